"""Deck: what the notebooks call to show a pack; draws, never computes a metric.

Number formats, the board style, the charts and the notebook-facing helpers (``report``).
"""

from __future__ import annotations

__all__: list[str] = []
