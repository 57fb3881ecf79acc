"""A computed value that carries a note, and helpers shared by the unit-economics,
journey, pipeline and engagement modules.

METRICS.md asks some values to be reported *with* a note even though they are not blank
(Rule of 40 on ARR growth when revenue history is short; LTV with a capped lifetime).
:class:`Noted` is a ``float`` subclass, so every consumer that treats a KPI as a number
keeps working, while ``kpis.csv`` can read the note with :func:`note_of`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from reportlib.metrics._values import Blank, Value, is_blank


class Noted(float):
    """A float with a plain-English note (``Noted(0.35, "ARR growth used ...")``).

    Arithmetic on a ``Noted`` returns a plain ``float``: the note belongs to the reported
    value only, not to anything derived from it. ``basis`` names a definition other than
    the KPI's own (Rule of 40 on "ARR growth"): a value and its prior on different bases
    are not compared (:func:`same_basis`).
    """

    note: str
    basis: str

    def __new__(cls, value: float, note: str, basis: str = "") -> Noted:
        obj = super().__new__(cls, float(value))
        obj.note = note
        obj.basis = basis
        return obj

    def __repr__(self) -> str:
        return f"Noted({float(self)!r}, {self.note!r}{f', {self.basis!r}' if self.basis else ''})"

    def __reduce__(self) -> tuple[Any, ...]:  # picklable across worker processes
        return (Noted, (float(self), self.note, self.basis))


def same_basis(value: object, prior: object) -> bool:
    """Whether two values of a KPI share its definition (see :attr:`Noted.basis`)."""
    return getattr(value, "basis", "") == getattr(prior, "basis", "")


def note_of(value: object) -> str:
    """The note of a KPI value: a :class:`Blank`'s or :class:`Noted`'s note, else ``""``."""
    if isinstance(value, (Blank, Noted)):
        return value.note
    return ""


def value_of(value: object) -> float:
    """A KPI value as a float for tables: NaN for a blank."""
    return float("nan") if is_blank(value) else float(value)  # type: ignore[arg-type]


def policy(policies: Any, name: str, default: Any) -> Any:
    """A policy from a ``Policies`` object (or ``None`` for the METRICS.md default)."""
    return default if policies is None else getattr(policies, name, default)


def as_months(values: pd.Series | pd.Index) -> pd.PeriodIndex:
    """Monthly periods from a column of Periods, ``YYYY-MM`` strings or timestamps."""
    if isinstance(values.dtype, pd.PeriodDtype):
        return pd.PeriodIndex(values).asfreq("M")
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return pd.PeriodIndex(pd.DatetimeIndex(values).to_period("M"))
    return pd.PeriodIndex([pd.Period(str(v), freq="M") for v in values], freq="M")  # freq: an empty column too


def first_blank(*values: Value) -> Blank | None:
    """The first :class:`Blank` among ``values`` (so a derived KPI keeps the reason)."""
    for v in values:
        if isinstance(v, Blank):
            return v
        if is_blank(v):
            return Blank("an input value is missing")
    return None
