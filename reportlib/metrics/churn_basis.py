"""The annual logo churn LTV divides by, under policy ``ltv_churn_basis`` (METRICS.md "ltv").

``period`` (default) is ``logo_churn_rate_annual``: customers active a year ago and not
now, over customers active a year ago. It never sees a customer won and lost inside the
year. ``monthly`` averages the twelve monthly logo churn rates of the trailing 12 months
(churned customers of month m / customers active at m-1) and annualises by 12 x the mean:
the seed's LTV = ARPA x GM / churn takes churn "over the same period as your ARPA", and
ARPA is monthly, so a lifetime of 1 / monthly churn months is 1 / (12 x monthly churn)
years. Compounding (1 - (1 - m)^12) would be a probability of leaving within a year, not
the rate whose inverse is the lifetime, and would overstate LTV.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from reportlib.metrics._values import Blank, Value
from reportlib.metrics.movements import CHURN, MovementsLike, _read
from reportlib.metrics.periods import Window

__all__ = ["CHURN_BASES", "MONTHLY_CHURN_KEY", "annualised_monthly_logo_churn", "ltv_churn"]

CHURN_BASES = ("period", "monthly")
#: Key of the revenue-engine dict that holds the monthly-basis annual churn.
MONTHLY_CHURN_KEY = "logo_churn_rate_monthly_annualised"


def annualised_monthly_logo_churn(mov: MovementsLike | None, window: Window) -> Value:
    """12 x the mean monthly logo churn over the twelve months ending at M.

    Parameters
    ----------
    mov : DataFrame or MovementSet
        Movements (:func:`~reportlib.metrics.movements.movements` or
        :func:`~reportlib.metrics.movements.movement_set`).
    window : Window
        Its ``as_of`` is M.

    Returns
    -------
    float or Blank
        Blank when the data do not reach back to M - 12 or a month of the TTM opens with no
        active customer.
    """
    m = None if mov is None else _read(mov)
    if m is None or len(m.col) == 0:
        return Blank("no revenue data")
    totals = m.totals()
    # the first month with a movement row (a segment may start after the company's first month)
    first = pd.Period(ordinal=m.first + int(np.flatnonzero(totals["count"].sum(axis=1))[0]), freq="M")
    as_of = pd.Period(window.as_of, freq="M")
    if as_of - 12 < first:
        return Blank(f"needs 13 months of revenue data up to {as_of}; they start {first}")
    ttm = np.arange(as_of.ordinal - 11, as_of.ordinal + 1) - m.first  # month columns
    opening = _at(totals["customers"], ttm - 1).astype(float)
    if (opening == 0).any():
        return Blank("a month of the trailing 12 opens with no active customer")
    rates = _at(totals["count"][:, CHURN], ttm).astype(float) / opening
    return 12.0 * float(np.mean(rates))


def _at(per_month: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``per_month`` at month columns, 0 outside the data."""
    inside = (cols >= 0) & (cols < len(per_month))
    return np.where(inside, per_month[np.clip(cols, 0, max(len(per_month) - 1, 0))], 0)


def ltv_churn(revenue: Mapping[str, Value], basis: str) -> Value:
    """The annual logo churn LTV uses under ``basis`` from the revenue-engine dict."""
    key = "logo_churn_rate_annual" if basis == "period" else MONTHLY_CHURN_KEY
    return revenue.get(key, Blank(f"{key} is not available"))
