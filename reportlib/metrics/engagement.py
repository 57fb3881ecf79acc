"""Product usage and NPS (METRICS.md "Customer journey, pipeline, usage, NPS").

Usage is canonical: one row per event, user_id, date, optional account_id and feature.
NPS: responded_at, score 0-10 (Int64), optional customer_id.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from reportlib.metrics._values import Blank, Value, safe_ratio
from reportlib.metrics.periods import Window

USAGE_IDS = ("dau_mau", "mau", "active_accounts", "usage_depth")
NPS_IDS = ("nps", "nps_responses", "nps_promoters", "nps_passives", "nps_detractors")


def _accounts(usage: pd.DataFrame) -> pd.Series:
    """The account behind each event: account_id, else the user (self-serve products)."""
    if "account_id" in usage.columns:
        return usage["account_id"].astype("string").fillna(usage["user_id"].astype("string"))
    return usage["user_id"].astype("string")


def dau_mau(usage: pd.DataFrame, month: pd.Period) -> Value:
    """Mean daily active users over every calendar day of ``month`` / monthly active users.

    A day without events counts as zero active users.
    """
    in_m = usage["date"].dt.to_period("M") == month
    events = usage[in_m]
    mau = events["user_id"].nunique()
    if mau == 0:
        return Blank(f"no active users in {month}")
    dau = events.groupby(events["date"].dt.normalize())["user_id"].nunique()
    return float(dau.sum() / month.days_in_month / mau)


def usage_kpis(usage: pd.DataFrame | None, window: Window) -> dict[str, Value]:
    """dau_mau and mau (month M), active_accounts and usage_depth (events per active
    account over the window).

    Returns
    -------
    dict
        KPI id -> float or :class:`Blank`.
    """
    if usage is None:
        note = "no usage input: add a product usage export for DAU/MAU and adoption"
        return {k: Blank(note) for k in USAGE_IDS}
    in_m = usage["date"].dt.to_period("M") == window.as_of
    in_p = window.contains(usage["date"].dt.to_period("M"))
    accounts = _accounts(usage)[in_p].nunique()
    mau = usage.loc[in_m, "user_id"].nunique()
    return {
        "dau_mau": dau_mau(usage, window.as_of),
        "mau": float(mau) if mau else Blank(f"no active users in {window.as_of}"),
        "active_accounts": float(accounts) if accounts else Blank("no active accounts in the period"),
        "usage_depth": safe_ratio(float(in_p.sum()), float(accounts), "no active accounts in the period"),
    }


def usage_series(usage: pd.DataFrame) -> pd.DataFrame:
    """Per month: dau (mean over the calendar days), mau, dau_mau, active_accounts,
    events, usage_depth (events per active account)."""
    month = usage["date"].dt.to_period("M").rename("month")
    daily = usage.groupby([month, usage["date"].dt.normalize()])["user_id"].nunique().groupby(level=0).sum()
    g = pd.DataFrame(
        {
            "mau": usage.groupby(month)["user_id"].nunique(),
            "active_accounts": _accounts(usage).groupby(month).nunique(),
            "events": usage.groupby(month).size(),
        }
    )
    g["dau"] = daily / [p.days_in_month for p in g.index]
    g["dau_mau"] = g["dau"] / g["mau"]
    g["usage_depth"] = g["events"] / g["active_accounts"]
    g.index = g.index.astype(str)
    return g[["dau", "mau", "dau_mau", "active_accounts", "events", "usage_depth"]].reset_index()


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
    in_p = window.contains(usage["date"].dt.to_period("M"))
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
    -100..100, with the three shares as fractions and the response count."""
    if nps is None:
        note = "no nps input: add a survey export for NPS"
        return {k: Blank(note) for k in NPS_IDS}
    in_p = nps["responded_at"].notna() & window.contains(nps["responded_at"].dt.to_period("M"))
    scores = nps.loc[in_p, "score"].dropna().astype(int)
    if scores.empty:
        note = f"no NPS responses in {window.label}"
        return {k: Blank(note) for k in NPS_IDS}
    promoters, detractors = (scores >= 9).mean(), (scores <= 6).mean()
    return {
        "nps": float(100.0 * (promoters - detractors)),
        "nps_responses": float(len(scores)),
        "nps_promoters": float(promoters),
        "nps_passives": float(scores.between(7, 8).mean()),
        "nps_detractors": float(detractors),
    }
