"""The chart modules behind :mod:`reportlib.deck.charts`, one per page family (revenue,
cohorts, unit economics, cash, journey, pipeline, ...); import them through the facade."""

from __future__ import annotations

__all__: list[str] = []
