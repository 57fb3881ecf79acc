"""Metric values: a number, or a blank that says why.

METRICS.md: a value that cannot be computed is blank with a note, never 0 or inf.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Union


@dataclass(frozen=True)
class Blank:
    """A KPI that cannot be computed, with the reason shown in kpis.csv's ``note``."""

    note: str

    def __bool__(self) -> bool:  # a blank is never truthy, so `value or fallback` reads naturally
        return False


Value = Union[float, Blank]


def is_blank(value: object) -> bool:
    """True for a :class:`Blank`, None or NaN."""
    if isinstance(value, Blank) or value is None:
        return True
    try:
        return math.isnan(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True


def safe_ratio(numerator: float, denominator: float, note: str) -> Value:
    """``numerator / denominator``, or ``Blank(note)`` when either is missing or the
    denominator is zero."""
    if is_blank(numerator) or is_blank(denominator) or float(denominator) == 0.0:
        return Blank(note)
    return float(numerator) / float(denominator)
