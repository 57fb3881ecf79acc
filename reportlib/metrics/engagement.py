"""Product usage and NPS (METRICS.md "Customer journey, pipeline, usage, NPS").

Usage is canonical: one row per event, user_id, date, optional account_id and feature.
NPS: responded_at, score 0-10 (Int64), optional customer_id.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import numpy as np
import pandas as pd

from reportlib._codes import factorized
from reportlib.metrics._dates import day_dates, month_ordinals, wall_time
from reportlib.metrics._values import Blank, Value, safe_ratio
from reportlib.metrics.periods import Window, before_the_data, first_month

USAGE_IDS = ("dau_mau", "mau", "active_accounts", "usage_depth")
NPS_IDS = ("nps", "nps_responses", "nps_promoters", "nps_passives", "nps_detractors")


def _accounts(usage: pd.DataFrame) -> pd.Series:
    """The account behind each event: account_id, else the user (self-serve products)."""
    if "account_id" in usage.columns:
        return usage["account_id"].astype("string").fillna(usage["user_id"].astype("string"))
    return usage["user_id"].astype("string")


class _Events(NamedTuple):
    """Each event's month and day ordinals (NaT: the int64 minimum, in no month) and its
    user's and account's integer codes (-1: missing): distinct counts by ``np.unique`` on
    integers instead of ``nunique`` on text, which was most of the usage KPIs' time."""

    month: np.ndarray
    day: np.ndarray
    user: np.ndarray
    account: np.ndarray

    @classmethod
    def of(cls, usage: pd.DataFrame) -> _Events:
        days = day_dates(wall_time(usage["date"]))
        user = factorized(usage["user_id"])[0]
        if "account_id" in usage.columns:
            account = factorized(usage["account_id"])[0]
            if (account < 0).any():  # the user stands in, as text (an account and a user may share an id)
                account = pd.factorize(_accounts(usage))[0]
        else:
            account = user
        return cls(days.astype("datetime64[M]").astype(np.int64), days.astype(np.int64), user, account)


def _distinct(codes: np.ndarray) -> int:
    """How many distinct codes, missing (-1) left out: ``Series.nunique()``."""
    return len(pd.unique(codes[codes >= 0]))


def _distinct_pairs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The ``a`` of each distinct (a, b) pair of the rows with ``b`` present, in no
    particular order (``a``: non-negative codes or dated ordinals; hashed, not sorted)."""
    keep = b >= 0
    if not keep.any():
        return np.empty(0, np.int64)
    width = int(b.max()) + 1
    return pd.unique(a[keep].astype(np.int64) * width + b[keep]) // width


def dau_mau(usage: pd.DataFrame, month: pd.Period) -> Value:
    """Mean daily active users over every calendar day of ``month`` / monthly active users.

    A day without events counts as zero active users.
    """
    return _dau_mau(_Events.of(usage), pd.Period(month, freq="M"))


def _dau_mau(events: _Events, month: pd.Period) -> Value:
    in_m = events.month == month.ordinal
    mau = _distinct(events.user[in_m])
    if mau == 0:
        return Blank(f"no active users in {month}")
    # the daily distinct users summed over the month: the distinct (day, user) pairs
    daily = len(_distinct_pairs(events.day[in_m], events.user[in_m]))
    return float(daily / month.days_in_month / mau)


def usage_kpis(usage: pd.DataFrame | None, window: Window) -> dict[str, Value]:
    """dau_mau and mau (month M), active_accounts (distinct over the window) and usage_depth
    (events per active account and month over the window: events / the distinct
    account-months, so a quarter reads as its months do in :func:`usage_series`).

    Returns
    -------
    dict
        KPI id -> float or :class:`Blank`.
    """
    if usage is None:
        note = "no usage input: add a product usage export for DAU/MAU and adoption"
        return {k: Blank(note) for k in USAGE_IDS}
    events = _Events.of(usage)
    as_of = pd.Period(window.as_of, freq="M")
    in_p = window.holds(events.month)
    accounts = _distinct(events.account[in_p])
    # per account and month, as the monthly table: a quarter's events over its distinct
    # accounts would read three times a month's depth, a year's twelve times
    account_months = len(_distinct_pairs(events.month[in_p], events.account[in_p]))
    mau = _distinct(events.user[events.month == as_of.ordinal])
    out = {
        "dau_mau": _dau_mau(events, as_of),
        "mau": float(mau) if mau else Blank(f"no active users in {window.as_of}"),
        "active_accounts": float(accounts) if accounts else Blank("no active accounts in the period"),
        "usage_depth": safe_ratio(float(in_p.sum()), float(account_months), "no active accounts in the period"),
    }
    return {**out, **_before_the_data(events, window)}


def _before_the_data(events: _Events, window: Window) -> dict[str, Blank]:
    """The usage KPIs a window reaching before the first month of usage data cannot give
    (METRICS.md "Time": never from the months that exist): the month's when M is before it,
    the period's when P starts before it."""
    dated = events.month[events.month != np.iinfo(np.int64).min]
    if not len(dated):
        return {}
    first = pd.Period(ordinal=int(dated.min()), freq="M")
    out: dict[str, Blank] = {}
    if (blank := before_the_data(window, first, "usage")) is not None:
        out.update({k: blank for k in ("active_accounts", "usage_depth")})
    if window.as_of < first:
        note = f"{window.as_of} is before the usage data (it starts {first})"
        out.update({k: Blank(note) for k in ("dau_mau", "mau")})
    return out


def usage_series(usage: pd.DataFrame) -> pd.DataFrame:
    """Per month: dau (mean over the calendar days), mau, dau_mau, active_accounts,
    events, usage_depth (events per active account)."""
    events = _Events.of(usage)
    dated = events.month != np.iinfo(np.int64).min  # an event without a date is in no month
    months, month_code = np.unique(events.month[dated], return_inverse=True)
    n = len(months)

    def per_month(codes: np.ndarray) -> np.ndarray:
        return np.bincount(_distinct_pairs(month_code, codes[dated]), minlength=n)

    index = pd.PeriodIndex.from_ordinals(months, freq="M").rename("month")
    g = pd.DataFrame(
        {
            "mau": per_month(events.user),
            "active_accounts": per_month(events.account),
            "events": np.bincount(month_code, minlength=n),
        },
        index=index,
    )
    daily = _daily_users(events, dated, months)
    g["dau"] = daily / [p.days_in_month for p in g.index]
    g["dau_mau"] = g["dau"] / g["mau"]
    g["usage_depth"] = g["events"] / g["active_accounts"]
    g.index = g.index.astype(str)
    return g[["dau", "mau", "dau_mau", "active_accounts", "events", "usage_depth"]].reset_index()


def _daily_users(events: _Events, dated: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Per month of ``months`` (sorted ordinals), the daily distinct users summed over its
    days: its distinct (day, user) pairs."""
    days = _distinct_pairs(events.day[dated], events.user[dated])
    day_months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return np.bincount(np.searchsorted(months, day_months), minlength=len(months))


def feature_adoption(usage: pd.DataFrame, window: Window, core_features: Iterable[str] | None = None) -> pd.DataFrame:
    """Share of the window's active accounts that used each feature.

    Parameters
    ----------
    usage : DataFrame
        Needs a ``feature`` column.
    window : Window
    core_features : iterable of str, optional
        The features to report (a core feature no one used shows 0); default all seen.

    Returns
    -------
    DataFrame
        feature, accounts_using, active_accounts, adoption; most adopted first.
    """
    cols = ["feature", "accounts_using", "active_accounts", "adoption"]
    if "feature" not in usage.columns:
        return pd.DataFrame(columns=cols)
    in_p = window.dated(usage["date"])
    accounts = _accounts(usage)[in_p]
    features = usage.loc[in_p, "feature"].astype("string")
    active = accounts.nunique()
    using = accounts.groupby(features.rename("feature")).nunique()
    if core_features is not None:
        using = using.reindex(list(core_features), fill_value=0)
    out = using.rename("accounts_using").reset_index()
    out["active_accounts"] = active
    out["adoption"] = out["accounts_using"] / active if active else np.nan
    return out[cols].sort_values("adoption", ascending=False, kind="stable").reset_index(drop=True)


def nps_kpis(nps: pd.DataFrame | None, window: Window) -> dict[str, Value]:
    """NPS over responses in the window: % promoters (9-10) - % detractors (0-6), on
    -100..100, with the three shares as fractions and the response count; blank with a
    note when the window starts before the first response's month (METRICS.md "Time")."""
    return nps_kpis_each(nps, [window])[0]


def nps_kpis_each(nps: pd.DataFrame | None, windows: Iterable[Window]) -> list[dict[str, Value]]:
    """:func:`nps_kpis` of each window, the responses' months and scores read once (a pack's
    NPS table asks for every period of two years)."""
    windows = list(windows)
    if nps is None:
        note = "no nps input: add a survey export for NPS"
        return [{k: Blank(note) for k in NPS_IDS} for _ in windows]
    answered = nps["responded_at"].notna() & nps["score"].notna()
    months = month_ordinals(wall_time(nps.loc[answered, "responded_at"]))
    scores = nps.loc[answered, "score"].astype(int).to_numpy()
    first = first_month(nps.loc[answered, "responded_at"])
    return [_nps(scores[w.holds(months)], w, before_the_data(w, first, "NPS")) for w in windows]


def _nps(scores: np.ndarray, window: Window, before: Blank | None) -> dict[str, Value]:
    """NPS of the window's ``scores``; ``before``: the blank of a window starting before the
    first response (its score would be a partial period's)."""
    if before is not None:
        return {k: before for k in NPS_IDS}
    if not len(scores):
        note = f"no NPS responses in {window.label}"
        return {k: Blank(note) for k in NPS_IDS}
    # shares as pandas' mean of a boolean column gives them: the count over the responses
    n = len(scores)
    promoters, detractors = np.count_nonzero(scores >= 9) / n, np.count_nonzero(scores <= 6) / n
    return {
        "nps": float(100.0 * (promoters - detractors)),
        "nps_responses": float(n),
        "nps_promoters": float(promoters),
        "nps_passives": float(np.count_nonzero((scores >= 7) & (scores <= 8)) / n),
        "nps_detractors": float(detractors),
    }
