"""Cohort economics (METRICS.md "Cohorts"): each acquisition cohort's cumulative gross
profit against its CAC, and the realised payback age.

Cumulative gross profit of a cohort at age k = sum over ages 0..k of cohort MRR x gross
margin of that calendar month; cohort CAC = CAC of its acquisition month x cohort size;
realised payback age = the first k where cumulative gross profit >= cohort CAC.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from reportlib.metrics._noted import as_months, policy
from reportlib.metrics.grid import period_array
from reportlib.metrics.unit_economics import monthly_financials

GP_COLUMNS = [
    "cohort",
    "age_months",
    "month",
    "customers",
    "mrr",
    "gross_margin",
    "gross_profit",
    "cumulative_gross_profit",
    "cohort_size",
    "cohort_cac",
    "paid_back",
]
PAYBACK_COLUMNS = [
    "cohort",
    "cohort_size",
    "cohort_cac",
    "payback_age_months",
    "cumulative_gross_profit",
    "latest_age_months",
]


def monthly_gross_margin(financials: pd.DataFrame, *, monthly: pd.DataFrame | None = None) -> pd.Series:
    """(revenue - cogs) / revenue per month (NaN for a month without revenue); ``monthly``:
    ``monthly_financials(financials)`` when the caller has it."""
    m = monthly_financials(financials) if monthly is None else monthly
    return ((m["revenue"] - m["cogs"]) / m["revenue"].where(m["revenue"] != 0)).rename("gross_margin")


def monthly_cac(
    financials: pd.DataFrame,
    bridge: pd.DataFrame,
    policies: Any = None,
    share: pd.Series | None = None,
    *,
    monthly: pd.DataFrame | None = None,
) -> pd.Series:
    """CAC per acquisition month: S&M of month t - ``cac_lag_months`` / new customers of t.

    Parameters
    ----------
    financials : DataFrame
    bridge : DataFrame
        The ``mrr_bridge`` table (month, new_customers, ...).
    share : Series, optional
        A segment's share of the company per month (``sm_allocation``), indexed by month:
        company S&M is allocated pro rata before it is divided by the segment's customers.
    monthly : DataFrame, optional
        ``monthly_financials(financials)`` when the caller has it.
    """
    lag = int(policy(policies, "cac_lag_months", 0) or 0)
    sm = (monthly_financials(financials) if monthly is None else monthly)["sales_marketing"]
    new = pd.Series(bridge["new_customers"].to_numpy(dtype=float), index=as_months(bridge["month"]))
    spend = sm.reindex(new.index - lag)
    spend.index = new.index
    if share is not None:
        spend = spend * share.reindex(new.index)
    return (spend.where(spend > 0) / new.where(new > 0)).rename("cac")


def _cohort_month(label: object) -> pd.Period | None:
    """The acquisition month of a cohort label; None for the opening cohort (``<=YYYY-MM``),
    which was not acquired in the data and so has no CAC."""
    text = str(label)
    if text.startswith("<="):
        return None
    p = pd.Period(text, freq="Q" if "Q" in text.upper() else "M")
    return p.asfreq("M", how="start")


_NO_MONTH = np.iinfo(np.int64).min  # the opening cohort: no acquisition month


def _ordinal(month: pd.Period | None) -> int:
    return _NO_MONTH if month is None else month.ordinal


def _running_totals(profit: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Cumulative sum within each run of equal ``group`` values (rows sorted by group, then
    age); NaN from a group's first NaN on, since profit after a gap is unknown. The same
    sums, term by term, as ``Series.cumsum`` per group."""
    out = np.full(len(profit), np.nan)
    bounds = np.flatnonzero(np.diff(group)) + 1
    for lo, hi in zip(np.concatenate([[0], bounds]), np.concatenate([bounds, [len(profit)]]), strict=False):
        part = profit[lo:hi]
        gaps = np.flatnonzero(np.isnan(part))
        end = lo + (gaps[0] if len(gaps) else len(part))
        out[lo:end] = np.cumsum(part[: end - lo])
    return out


def cohort_gross_profit(
    cohorts: pd.DataFrame,
    financials: pd.DataFrame,
    cac: pd.Series | Mapping[Any, float],
    *,
    monthly: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Cumulative gross profit per cohort and age against the cohort's CAC.

    Parameters
    ----------
    cohorts : DataFrame
        The revenue engine's cohort table: cohort (``YYYY-MM``; the opening cohort
        ``<=YYYY-MM`` is left out), age_months, customers, mrr, optionally size (else
        the customers at age 0).
    financials : DataFrame
        Gross margin per calendar month.
    cac : Series or dict
        CAC of each acquisition month (see :func:`monthly_cac`), keyed by monthly Period.
    monthly : DataFrame, optional
        ``monthly_financials(financials)`` when the caller has it.

    Returns
    -------
    DataFrame
        :data:`GP_COLUMNS`; the cumulative sum stops (NaN) from the first month without a
        gross margin, since profit after a gap is unknown.
    """
    labels = cohorts["cohort"]
    starts = {label: _cohort_month(label) for label in pd.unique(labels)}  # tens of labels
    start = np.array([_ordinal(starts[label]) for label in labels], dtype=np.int64)
    keep = start != _NO_MONTH
    t = cohorts[keep].copy()
    if t.empty:
        return pd.DataFrame(columns=GP_COLUMNS)
    start = start[keep]
    t["start"] = period_array(start)
    month = start + t["age_months"].to_numpy(dtype=np.int64)
    t["month"] = period_array(month)
    gm = monthly_gross_margin(financials, monthly=monthly)
    t["gross_margin"] = gm.reindex(pd.PeriodIndex(t["month"])).to_numpy(dtype=float)
    t["gross_profit"] = t["mrr"].astype(float) * t["gross_margin"]
    t = t.sort_values(["start", "age_months"])
    t["cumulative_gross_profit"] = _running_totals(t["gross_profit"].to_numpy(), t["start"].array.asi8)
    if "size" in t.columns:  # the revenue engine's table carries the cohort size itself
        t["cohort_size"] = t["size"].astype(float)
    else:
        size = t[t["age_months"] == 0].set_index("cohort")["customers"]
        t["cohort_size"] = t["cohort"].map(size).astype(float)
    cac_map = pd.Series(dict(cac)) if not isinstance(cac, pd.Series) else cac
    t["cohort_cac"] = t["start"].map(cac_map).astype(float) * t["cohort_size"]
    t["paid_back"] = t["cumulative_gross_profit"] >= t["cohort_cac"]
    t["month"] = t["month"].astype(str)
    return t[GP_COLUMNS].reset_index(drop=True)


def cohort_payback(gross_profit: pd.DataFrame) -> pd.DataFrame:
    """Realised payback age per cohort from :func:`cohort_gross_profit`'s table.

    Returns
    -------
    DataFrame
        :data:`PAYBACK_COLUMNS`: payback_age_months is the first age with cumulative
        gross profit >= cohort CAC, NaN while the cohort has not paid back (or its CAC is
        unknown); cumulative_gross_profit and latest_age_months are at the last age seen.
    """
    if gross_profit.empty:
        return pd.DataFrame(columns=PAYBACK_COLUMNS)
    g = gross_profit.groupby("cohort", sort=False)
    out = pd.DataFrame(
        {
            "cohort_size": g["cohort_size"].first(),
            "cohort_cac": g["cohort_cac"].first(),
            "payback_age_months": gross_profit[gross_profit["paid_back"]].groupby("cohort")["age_months"].min(),
            "cumulative_gross_profit": g["cumulative_gross_profit"].last(),
            "latest_age_months": g["age_months"].max(),
        }
    )
    out["payback_age_months"] = out["payback_age_months"].astype(float)
    return out.rename_axis("cohort").reset_index()[PAYBACK_COLUMNS]
