"""Deck: what the notebooks call to show a pack: number formats, the board style, the charts
and the notebook-facing helpers (``report``). Draws; never computes a metric."""

from __future__ import annotations

__all__: list[str] = []
