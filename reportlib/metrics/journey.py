"""Customer journey (METRICS.md "Customer journey, pipeline, usage, NPS"): visitors ->
signups -> PQLs -> customers, the funnel table, funnel cohorts and journey alerts.

Leads are canonical: lead_id, created_at, and whichever of signup_at / pql_at /
customer_at the export has (NaT = stage not reached; a column absent = the export has no
such stage). Traffic: month ``period[M]``, visitors, optional channel.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from reportlib.metrics._groups import dimension_keys, per_cohort, summed_by_dimension
from reportlib.metrics._values import Blank, Value, is_blank, safe_ratio
from reportlib.metrics.periods import Window, before_the_data, first_month

#: Lead stages in funnel order, named after their columns without ``_at``.
LEAD_STAGES = ("created", "signup", "pql", "customer")
JOURNEY_IDS = (
    "visitors",
    "signups",
    "visitor_to_signup",
    "pqls",
    "pqls_growth",
    "signup_to_pql",
    "time_to_pql_days",
    "pql_to_customer",
    "lead_conversion_rate",
    "revenue_per_lead",
)
FUNNEL_COHORT_COLUMNS = [
    "cohort",
    "dimension",
    "value",
    "stage_from",
    "stage_to",
    "entered",
    "converted",
    "age_months",
    "mature",
    "rate",
]
#: Adjacent journey measures whose opposite moves deserve an alert: (upstream, downstream).
ADJACENT = (
    ("visitors", "signups"),
    ("visitors", "visitor_to_signup"),
    ("signups", "pqls"),
    ("signups", "signup_to_pql"),
    ("pqls", "pql_to_customer"),
)


def stages(leads: pd.DataFrame) -> list[str]:
    """The lead stages this export has, in funnel order."""
    return [s for s in LEAD_STAGES if f"{s}_at" in leads.columns]


def _count_in(leads: pd.DataFrame | None, stage: str, window: Window) -> Value:
    """Leads that reached ``stage`` in the window; blank when the stage is not exported."""
    if leads is None:
        return Blank("no leads input: add a CRM leads export for the customer journey")
    col = f"{stage}_at"
    if col not in leads.columns:
        return Blank(f"the leads export has no {stage} stage ({col})")
    dates = leads[col]
    return float(window.dated(dates).sum())


def visitors(traffic: pd.DataFrame | None, window: Window) -> Value:
    """Visitors over the window; blank unless traffic covers every month of it."""
    if traffic is None:
        return Blank("no traffic input: add a web analytics export for visitors")
    per_month = traffic.groupby(traffic["month"])["visitors"].sum()
    per_month.index = pd.PeriodIndex(per_month.index, freq="M")
    values = per_month.reindex(window.period_months)
    if values.isna().any():
        return Blank(f"traffic does not cover every month of {window.label}")
    return float(values.sum())


def _ratio(num: Value, den: Value, note: str) -> Value:
    if isinstance(num, Blank):
        return num
    if isinstance(den, Blank):
        return den
    return safe_ratio(num, den, note)


def _growth(now: Value, before: Value, what: str) -> Value:
    ratio = _ratio(now, before, f"no {what} in the prior period")
    return ratio if is_blank(ratio) else ratio - 1.0


def _days_between(leads: pd.DataFrame, a: str, b: str) -> pd.Series:
    """Days from stage a to stage b per lead (fractional; NaN when either is missing)."""
    return (leads[f"{b}_at"] - leads[f"{a}_at"]).dt.total_seconds() / 86400.0


def time_to_pql_days(leads: pd.DataFrame | None, window: Window, how: str = "mean") -> Value:
    """Mean (or median) of pql_at - signup_at over leads with pql_at in the window."""
    if leads is None or "pql_at" not in leads.columns or "signup_at" not in leads.columns:
        return Blank("the leads export lacks signup or PQL dates")
    in_p = window.dated(leads["pql_at"])
    days = _days_between(leads[in_p], "signup", "pql").dropna()
    if days.empty:
        return Blank("no PQLs with a signup date in the period")
    return float(days.mean() if how == "mean" else days.median())


def journey_kpis(
    leads: pd.DataFrame | None,
    traffic: pd.DataFrame | None,
    window: Window,
    new_arr: Value = Blank("new ARR is not available"),  # noqa: B008  (Blank is frozen: a safe default)
) -> dict[str, Value]:
    """Every customer-journey KPI of METRICS.md for the window.

    A window (or for pqls_growth, its prior window) starting before the leads' first month
    gives blanks that say so, never counts of the months that exist (METRICS.md "Time").

    Parameters
    ----------
    leads, traffic : DataFrame or None
    window : Window
    new_arr : float or Blank
        The revenue engine's new ARR over the window (for revenue_per_lead).

    Returns
    -------
    dict
        KPI id -> float or :class:`Blank`.
    """
    out: dict[str, Value] = {}
    out["visitors"] = visitors(traffic, window)
    first = None if leads is None else first_month(*(leads[f"{s}_at"] for s in stages(leads)))
    if (blank := before_the_data(window, first, "leads")) is not None:
        return {**out, **{k: blank for k in JOURNEY_IDS if k != "visitors"}}
    out["signups"] = _count_in(leads, "signup", window)
    out["visitor_to_signup"] = _ratio(out["signups"], out["visitors"], "no visitors in the period")
    out["pqls"] = _count_in(leads, "pql", window)
    prior = before_the_data(window.prior(), first, "leads", "prior period")
    out["pqls_growth"] = (
        _growth(out["pqls"], _count_in(leads, "pql", window.prior()), "PQLs") if prior is None else prior
    )
    out["signup_to_pql"] = _ratio(out["pqls"], out["signups"], "no signups in the period")
    out["time_to_pql_days"] = time_to_pql_days(leads, window)
    customers = _count_in(leads, "customer", window)
    out["pql_to_customer"] = _ratio(customers, out["pqls"], "no PQLs in the period")
    created = _count_in(leads, "created", window)
    out["lead_conversion_rate"] = _ratio(customers, created, "no leads created in the period")
    out["revenue_per_lead"] = _ratio(new_arr, created, "no leads created in the period")
    return out


def funnel(leads: pd.DataFrame | None, traffic: pd.DataFrame | None, window: Window) -> pd.DataFrame:
    """The journey funnel of the window (``tables/funnel.csv``).

    Returns
    -------
    DataFrame
        stage (visitors, then the lead stages present), count (reaching the stage in the
        window), conversion_from_previous (count / previous count), median_days and
        mean_days (from the previous lead stage, over leads reaching this stage in the
        window).
    """
    rows = []
    if traffic is not None:
        v = visitors(traffic, window)
        rows.append({"stage": "visitors", "count": np.nan if is_blank(v) else v})
    previous = None
    for stage in stages(leads) if leads is not None else []:
        count = _count_in(leads, stage, window)
        row = {"stage": stage, "count": count}
        if previous is not None:
            col = leads[f"{stage}_at"]
            in_p = window.dated(col)
            days = _days_between(leads[in_p], previous, stage).dropna()
            row["median_days"] = days.median() if len(days) else np.nan
            row["mean_days"] = days.mean() if len(days) else np.nan
        rows.append(row)
        previous = stage
    out = pd.DataFrame(rows, columns=["stage", "count", "conversion_from_previous", "median_days", "mean_days"])
    counts = out["count"].astype(float)
    out["count"] = counts
    out["conversion_from_previous"] = counts / counts.shift(1).replace(0, np.nan)
    return out


def funnel_cohorts(
    leads: pd.DataFrame,
    dimensions: Iterable[str] = ("channel", "owner", "segment"),
    as_of_date: pd.Timestamp | str | None = None,
    maturity_quantile: float = 0.9,
) -> pd.DataFrame:
    """Stage-to-stage conversion by the month leads were created (``tables/funnel_cohorts.csv``).

    Each pair of adjacent stages the export has (created -> signup -> pql -> customer, or
    created -> customer for an export with only those) gives ``entered`` (cohort leads
    that reached the first stage) and ``converted`` (of those, reached the next).

    Parameters
    ----------
    leads : DataFrame
    dimensions : iterable of str
        Columns to split by, where present; the total comes first as ``all`` / ``all``.
    as_of_date : date, optional
        Default: the latest date in the leads. Leads created and stages reached after
        this day are left out.
    maturity_quantile : float
        A cohort is ``mature`` for a stage pair once the time since its month ended is at
        least this quantile of the observed time between the two stages, so recent
        cohorts (whose leads are still converting) show as immature.

    Returns
    -------
    DataFrame
        The DESIGN.md columns (cohort, dimension, value, stage_from, stage_to, entered,
        converted), then age_months, mature and rate (converted / entered; blank when
        nobody entered).
    """
    present = stages(leads)
    if "created" not in present or len(present) < 2:
        return pd.DataFrame(columns=FUNNEL_COHORT_COLUMNS)
    as_of = _as_of(leads, present, as_of_date)
    # Nothing after the as-of day is known yet: later leads and later conversions are left out.
    leads = leads[leads["created_at"] < as_of + pd.Timedelta(days=1)]
    cohort = leads["created_at"].dt.to_period("M").rename("cohort")
    reached = pd.DataFrame(
        {s: leads[f"{s}_at"].notna() & (leads[f"{s}_at"] < as_of + pd.Timedelta(days=1)) for s in present},
        index=leads.index,
    )
    days_after = {}  # cohort -> whole days from its last moment to the as-of day

    def ended(c: pd.Period) -> int:
        if c not in days_after:
            days_after[c] = (as_of - c.end_time).days
        return days_after[c]

    pairs = list(zip(present, present[1:], strict=False))
    flags = {}  # per stage pair k: entered_k and converted_k, summed by one groupby per dimension
    for k, (a, b) in enumerate(pairs):
        flags[f"entered_{k}"], flags[f"converted_{k}"] = reached[a], reached[a] & reached[b]
    summed = summed_by_dimension(cohort, dimension_keys(leads, dimensions), flags)
    frames = []
    for k, (a, b) in enumerate(pairs):
        horizon = _maturity_days(leads, a, b, maturity_quantile)
        # one frame built at once: each column added later re-creates the column labels
        g = {"cohort": summed["cohort"], "value": summed["value"]}
        g.update(entered=summed[f"entered_{k}"], converted=summed[f"converted_{k}"])
        g.update(dimension=summed["dimension"], stage_from=a, stage_to=b)
        g["mature"] = per_cohort(summed["cohort"], lambda c, h=horizon: ended(c) >= h)
        frames.append(pd.DataFrame(g))
    out = pd.concat(frames, ignore_index=True)
    out["age_months"] = per_cohort(out["cohort"], lambda c: (as_of.to_period("M") - c).n)
    out["cohort"] = out["cohort"].astype(str)
    out["rate"] = out["converted"] / out["entered"].replace(0, np.nan)
    return out[FUNNEL_COHORT_COLUMNS].astype({"entered": int, "converted": int, "mature": bool})


def _as_of(leads: pd.DataFrame, present: list[str], as_of_date: object) -> pd.Timestamp:
    if as_of_date is not None:
        return pd.Timestamp(as_of_date).normalize()
    return max(leads[f"{s}_at"].max() for s in present).normalize()


def _maturity_days(leads: pd.DataFrame, a: str, b: str, q: float) -> float:
    days = _days_between(leads, a, b).dropna()
    return float(np.ceil(days.quantile(q))) if len(days) else 0.0


def conversion_by(
    leads: pd.DataFrame, by: str, stage_from: str = "created", stage_to: str = "customer"
) -> pd.DataFrame:
    """Share of leads reaching ``stage_from`` that also reached ``stage_to``, per value of
    ``by`` (e.g. lead-to-customer conversion per channel), all time.

    Returns
    -------
    DataFrame
        by, entered, converted, conversion; largest first.
    """
    entered = leads[f"{stage_from}_at"].notna()
    converted = entered & leads[f"{stage_to}_at"].notna()
    key = leads[by].astype("string").fillna("(missing)")
    g = pd.DataFrame({"entered": entered, "converted": converted}).groupby(key.rename(by)).sum()
    g["conversion"] = g["converted"] / g["entered"].replace(0, np.nan)
    return g.sort_values("entered", ascending=False).reset_index()


def journey_alerts(current: Mapping[str, Value], prior: Mapping[str, Value], threshold: float = 0.10) -> list[dict]:
    """Adjacent journey measures moving in opposite directions by more than ``threshold``
    (relative change), e.g. signups up 25% while signup-to-PQL fell 20%.

    Returns
    -------
    list of dict
        One per alert: up, up_change, down, down_change, message.
    """
    alerts = []
    for a, b in ADJACENT:
        ca, cb = _change(current.get(a), prior.get(a)), _change(current.get(b), prior.get(b))
        if ca is None or cb is None:
            continue
        if (ca > threshold and cb < -threshold) or (ca < -threshold and cb > threshold):
            (up, cu), (down, cd) = ((a, ca), (b, cb)) if ca > 0 else ((b, cb), (a, ca))
            alerts.append(
                {
                    "up": up,
                    "up_change": cu,
                    "down": down,
                    "down_change": cd,
                    "message": f"{_label(up)} rose {cu:.0%} while {_label(down)} fell {-cd:.0%}",
                }
            )
    return alerts


def _change(now: object, before: object) -> float | None:
    if is_blank(now) or is_blank(before) or float(before) == 0:  # type: ignore[arg-type]
        return None
    return float(now) / float(before) - 1.0  # type: ignore[arg-type]


def _label(kpi: str) -> str:
    return {
        "visitor_to_signup": "visitor-to-signup",
        "signup_to_pql": "signup-to-PQL",
        "pql_to_customer": "PQL-to-customer",
        "pqls": "PQLs",
    }.get(kpi, kpi.replace("_", " "))
