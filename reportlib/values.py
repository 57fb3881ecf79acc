"""Values: a number, or a blank that says why -- and the one test for "blank".

METRICS.md: a value that cannot be computed is blank with a note, never 0 or inf. Every
layer (registry bands, metrics, narrative, deck) asks :func:`is_blank` / :func:`finite`
here, so a NaN cell, a ``None``, an ``inf`` and a :class:`Blank` are blank everywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Number

import pandas as pd

__all__ = ["Blank", "Value", "finite", "is_blank"]


@dataclass(frozen=True)
class Blank:
    """A KPI that cannot be computed, with the reason shown in kpis.csv's ``note``."""

    note: str

    def __bool__(self) -> bool:  # a blank is never truthy, so `value or fallback` reads naturally
        return False


Value = float | Blank


def is_blank(value: object) -> bool:
    """True for None, a :class:`Blank` (anything carrying a ``note``), NaN, +-inf, NA/NaT
    and an empty or all-space string. Any other string (a status, a note) is not blank."""
    if value is None or isinstance(value, Blank):
        return True
    if isinstance(value, str):
        return value.strip() == ""
    if isinstance(value, Number):
        try:
            return not math.isfinite(float(value))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return True
    if hasattr(value, "note"):
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # arrays and other containers are values, not blanks
        return False


def finite(value: object) -> float | None:
    """``value`` as a finite float (numeric strings are read), None when it is blank or
    not a number."""
    if is_blank(value):
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
