"""Pipeline KPIs and leading-indicator pacing (METRICS.md "Customer journey, pipeline,
usage, NPS" and "Pacing").

Opportunities are canonical: opportunity_id, created_at, amount, stage, closed_at (NaT
when open), outcome in {won, lost, open}, optional source / partner / owner.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from reportlib.metrics._groups import dimension_keys, per_cohort, sums_by_cohort
from reportlib.metrics._noted import policy
from reportlib.metrics._values import Blank, Value, safe_ratio
from reportlib.metrics.movements import MovementSet
from reportlib.metrics.periods import Window, before_the_data, first_month

PIPELINE_IDS = ("pipeline_created", "win_rate", "avg_deal_size", "sales_cycle_days")
PACING_COLUMNS = [
    "period",
    "metric",
    "dimension",
    "target",
    "actual",
    "elapsed_fraction",
    "expected_to_date",
    "pace",
    "status",
    "required_run_rate_per_day",
]


def _outcome(opps: pd.DataFrame) -> pd.Series:
    return opps["outcome"].astype("string").str.lower().fillna("")  # NA would poison masks


def pipeline_kpis(opportunities: pd.DataFrame | None, window: Window) -> dict[str, Value]:
    """pipeline_created, win_rate, avg_deal_size, sales_cycle_days over the window; blank
    with a note when the window starts before the opportunities' first month (METRICS.md
    "Time": never from the months that exist).

    Parameters
    ----------
    opportunities : DataFrame or None
    window : Window

    Returns
    -------
    dict
        KPI id -> float or :class:`Blank`.
    """
    if opportunities is None:
        note = "no opportunities input: add a CRM opportunities export to report the pipeline"
        return {k: Blank(note) for k in PIPELINE_IDS}
    # the export's first month is its first opportunity created: none closes before it
    if (blank := before_the_data(window, first_month(opportunities["created_at"]), "opportunities")) is not None:
        return {k: blank for k in PIPELINE_IDS}
    row = _pipeline_stats(opportunities, window)
    return {
        "pipeline_created": float(row["pipeline_created"]),
        "win_rate": safe_ratio(row["won"], row["won"] + row["lost"], "no opportunities closed in the period"),
        "avg_deal_size": safe_ratio(row["won_amount"], row["won"], "no opportunities won in the period"),
        "sales_cycle_days": _blank_nan(row["sales_cycle_days"], "no opportunities won in the period"),
    }


def _blank_nan(value: float, note: str) -> Value:
    return Blank(note) if pd.isna(value) else float(value)


def _flags(opps: pd.DataFrame, window: Window) -> pd.DataFrame:
    """Per opportunity: created / won / lost in the window, amount and cycle days."""
    outcome = _outcome(opps)
    closed_in = window.dated(opps["closed_at"])
    created = window.dated(opps["created_at"])
    won = closed_in & (outcome == "won")
    amount = opps["amount"].astype(float)
    cycle = (opps["closed_at"] - opps["created_at"]).dt.total_seconds() / 86400.0
    return pd.DataFrame(
        {
            "created_amount": amount.where(created, 0.0).fillna(0.0),
            "opportunities_created": created.astype(int),
            "won": won.astype(int),
            "lost": (closed_in & (outcome == "lost")).astype(int),
            "won_amount": amount.where(won, 0.0).fillna(0.0),
            "won_cycle": cycle.where(won),
        },
        index=opps.index,
    )


def _pipeline_stats(opps: pd.DataFrame, window: Window) -> pd.Series:
    f = _flags(opps, window)
    return pd.Series(
        {
            "pipeline_created": f["created_amount"].sum(),
            "opportunities_created": f["opportunities_created"].sum(),
            "won": f["won"].sum(),
            "lost": f["lost"].sum(),
            "won_amount": f["won_amount"].sum(),
            "sales_cycle_days": f["won_cycle"].mean(),
        }
    )


PIPELINE_BY_COLUMNS = [
    "pipeline_created",
    "opportunities_created",
    "won",
    "lost",
    "win_rate",
    "won_amount",
    "avg_deal_size",
    "sales_cycle_days",
]
_SUMMED = ["created_amount", "opportunities_created", "won", "lost", "won_amount"]


def pipeline_by(opportunities: pd.DataFrame, window: Window, by: str) -> pd.DataFrame:
    """The pipeline KPIs split by one column (source, partner, owner, a dimension).

    Returns
    -------
    DataFrame
        by, pipeline_created, opportunities_created, won, lost, win_rate, won_amount,
        avg_deal_size, sales_cycle_days (NaN where a ratio has no denominator); one row
        per value (missing values as ``(missing)``), largest pipeline first.
    """
    return pipeline_by_each(opportunities, window, [by])[by]


def pipeline_by_each(opportunities: pd.DataFrame, window: Window, columns: Iterable[str]) -> dict[str, pd.DataFrame]:
    """:func:`pipeline_by` of each column, the opportunities' window flags worked out once."""
    flags = _flags(opportunities, window)
    return {by: _split(flags, opportunities, by) for by in columns}


def _split(flags: pd.DataFrame, opportunities: pd.DataFrame, by: str) -> pd.DataFrame:
    if by not in opportunities.columns:
        return pd.DataFrame(columns=[by, *PIPELINE_BY_COLUMNS])
    key = opportunities[by].astype("string").fillna("(missing)").rename(by)
    grouped = flags.groupby(key)  # one sum and one mean: named aggregations cost 4x as much
    g = grouped[_SUMMED].sum().rename(columns={"created_amount": "pipeline_created"})
    g["sales_cycle_days"] = grouped["won_cycle"].mean()
    closed = (g["won"] + g["lost"]).replace(0, np.nan)
    g["win_rate"] = g["won"] / closed
    g["avg_deal_size"] = g["won_amount"] / g["won"].replace(0, np.nan)
    return g[PIPELINE_BY_COLUMNS].sort_values("pipeline_created", ascending=False).reset_index()


def opportunity_cohorts(
    opportunities: pd.DataFrame,
    as_of_date: pd.Timestamp | None = None,
    dimensions: Iterable[str] = ("source", "partner", "owner"),
) -> pd.DataFrame:
    """Stage conversion of opportunities by creation month: created -> closed -> won.

    The export holds each opportunity's current stage only, so the stages measured are
    the ones every export has: created, closed (won or lost) and won.

    Returns
    -------
    DataFrame
        cohort, dimension, value, stage_from, stage_to, entered, converted, age_months
        (full months from the cohort month to the as-of month): the funnel_cohorts layout.
    """
    as_of = (pd.Timestamp(as_of_date) if as_of_date is not None else opportunities["created_at"].max()).normalize()
    cutoff = as_of + pd.Timedelta(days=1)  # nothing after the as-of day is known yet
    opps = opportunities[opportunities["created_at"] < cutoff]
    outcome = _outcome(opps)
    closed = opps["closed_at"].notna() & (opps["closed_at"] < cutoff) & outcome.isin(["won", "lost"])
    reached = pd.DataFrame(
        {"created": opps["created_at"].notna(), "closed": closed, "won": closed & (outcome == "won")}, index=opps.index
    )
    cohort = opps["created_at"].dt.to_period("M")
    pairs = (("created", "closed"), ("closed", "won"))
    flags = {}  # per stage pair k: entered_k and converted_k, summed by one groupby per dimension
    for k, (a, b) in enumerate(pairs):
        flags[f"entered_{k}"], flags[f"converted_{k}"] = reached[a], reached[a] & reached[b]
    frames = []
    for dim, value in dimension_keys(opps, dimensions):
        summed = sums_by_cohort(cohort, value, flags)
        for k, (a, b) in enumerate(pairs):
            # one frame built at once: each column added later re-creates the column labels
            g = {"cohort": summed["cohort"], "value": summed["value"]}
            g.update(entered=summed[f"entered_{k}"], converted=summed[f"converted_{k}"])
            frames.append(pd.DataFrame({**g, "dimension": dim, "stage_from": a, "stage_to": b}))
    out = pd.concat(frames, ignore_index=True)
    out["age_months"] = per_cohort(out["cohort"], lambda c: (as_of.to_period("M") - c).n)
    out["cohort"] = out["cohort"].astype(str)
    cols = ["cohort", "dimension", "value", "stage_from", "stage_to", "entered", "converted", "age_months"]
    return out[cols].astype({"entered": int, "converted": int})


# --- pacing ---------------------------------------------------------------------------


def period_bounds(period: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of a target period written ``2026Q3`` or ``2026-09``."""
    text = str(period).strip().upper().replace("-Q", "Q").replace(" ", "")
    p = pd.Period(text, freq="Q" if "Q" in text else "M")
    return p.start_time.normalize(), p.end_time.normalize()


def parse_filter(text: str | None) -> dict[str, str]:
    """``"all"`` -> {}; ``"source=partner"`` (several joined by ``;`` or ``&``) -> a dict."""
    if text is None or pd.isna(text) or str(text).strip().lower() in ("", "all"):
        return {}
    parts = str(text).replace("&", ";").split(";")
    pairs = [p.split("=", 1) for p in parts if p.strip()]
    return {k.strip(): v.strip() for k, v in pairs}


def _filtered(frame: pd.DataFrame, flt: dict[str, str]) -> pd.DataFrame | None:
    """Rows matching every ``column = value``; None when a column is missing."""
    if any(k not in frame.columns for k in flt):
        return None
    mask = pd.Series(True, index=frame.index)
    for k, v in flt.items():
        mask &= (frame[k].astype("string").str.lower() == v.lower()).fillna(False).astype(bool)
    return frame[mask]


def _between(dates: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Dates on days start..end inclusive (times within the end day count)."""
    return dates.notna() & (dates >= start) & (dates < end + pd.Timedelta(days=1))


def _opportunity_actual(opps: pd.DataFrame, metric: str, start: pd.Timestamp, end: pd.Timestamp) -> float:
    outcome = _outcome(opps)
    created = _between(opps["created_at"], start, end)
    won = _between(opps["closed_at"], start, end) & (outcome == "won")
    amount = opps["amount"].astype(float).fillna(0.0)
    return {
        "pipeline_created": lambda: amount[created].sum(),
        "opportunities_created": lambda: float(created.sum()),
        "deals_won": lambda: float(won.sum()),
        "won_amount": lambda: amount[won].sum(),
    }[metric]()


def _lead_actual(leads: pd.DataFrame, metric: str, start: pd.Timestamp, end: pd.Timestamp) -> float | None:
    column = LEAD_METRICS[metric]
    if column not in leads.columns:
        return None
    return float(_between(leads[column], start, end).sum())


OPPORTUNITY_METRICS = ("pipeline_created", "opportunities_created", "deals_won", "won_amount")
LEAD_METRICS = {"leads": "created_at", "signups": "signup_at", "pqls": "pql_at", "customers_won": "customer_at"}
#: Synonyms accepted in targets.csv.
METRIC_ALIASES = {
    "won_deals": "deals_won",
    "wins": "deals_won",
    "bookings_won": "won_amount",
    "new_leads": "leads",
    "leads_created": "leads",
}

Actuals = Mapping[str, Callable[[pd.Timestamp, pd.Timestamp, dict], "float | None"]]


def actual_to_date(
    metric: str,
    flt: dict[str, str],
    start: pd.Timestamp,
    end: pd.Timestamp,
    *,
    opportunities: pd.DataFrame | None = None,
    leads: pd.DataFrame | None = None,
    actuals: Actuals | None = None,
) -> float | None:
    """The actual of ``metric`` from ``start`` to ``end`` (inclusive), or None when it
    cannot be computed from the inputs given."""
    if actuals and metric in actuals:
        return actuals[metric](start, end, flt)
    name = METRIC_ALIASES.get(metric, metric)
    if name in OPPORTUNITY_METRICS and opportunities is not None:
        frame = _filtered(opportunities, flt)
        return None if frame is None else _opportunity_actual(frame, name, start, end)
    if name in LEAD_METRICS and leads is not None:
        frame = _filtered(leads, flt)
        return None if frame is None else _lead_actual(frame, name, start, end)
    return None


def pace_row(
    target: float, actual: float | None, elapsed_days: int, total_days: int, amber: float = 0.9
) -> dict[str, Any]:
    """Pacing of one target (METRICS.md "Pacing").

    expected = target x elapsed / total (the as-of day counts as elapsed); pace =
    actual / expected; ahead at pace >= 1, on track at >= ``amber``, else behind;
    required run rate = (target - actual) / days left (0 once the target is met; NaN
    at period end, where pace = attainment).
    """
    fraction = min(max(elapsed_days, 0), total_days) / total_days
    expected = target * fraction
    row = {
        "target": float(target),
        "actual": np.nan if actual is None else float(actual),
        "elapsed_fraction": fraction,
        "expected_to_date": expected,
        "pace": np.nan,
        "status": "",
        "required_run_rate_per_day": np.nan,
    }
    if actual is None:
        row["status"] = "no actuals"
        return row
    if expected > 0:
        row["pace"] = actual / expected
        row["status"] = "ahead" if row["pace"] >= 1 else "on track" if row["pace"] >= amber else "behind"
    days_left = total_days - min(max(elapsed_days, 0), total_days)
    if days_left > 0:
        row["required_run_rate_per_day"] = max(target - actual, 0.0) / days_left
    return row


#: movement KPIs paced against targets: id -> (movements counted, sign of each, ARR x12 or a count)
_MOVEMENT_METRICS = {
    "new_arr": ({"new": 1}, 12),
    "expansion_arr": ({"expansion": 1}, 12),
    "reactivation_arr": ({"reactivation": 1}, 12),
    "contraction_arr": ({"contraction": 1}, 12),
    "churned_arr": ({"churn": 1}, 12),
    "net_new_arr": ({"new": 1, "reactivation": 1, "expansion": 1, "contraction": -1, "churn": -1}, 12),
    "new_customers": ({"new": 1}, None),
}


def movement_actuals(
    mov: pd.DataFrame | MovementSet | None,
) -> dict[str, Callable[[pd.Timestamp, pd.Timestamp, dict], float | None]]:
    """Actuals of the MRR-movement KPIs (new_arr, net_new_arr, new_customers, ...) for
    :func:`pipeline_pacing`: the months from ``start`` to ``end`` counted whole (month
    figures use the as-of month); ``None`` for a filter, since movements carry no dimension.

    Parameters
    ----------
    mov : DataFrame, MovementSet or None
        :func:`reportlib.metrics.movements.movements` (a set is turned into that frame
        only when an actual is first asked for: most companies have no targets).
    """
    if mov is None or (len(mov.code) == 0 if isinstance(mov, MovementSet) else mov.empty):
        return {}
    tables = [] if isinstance(mov, MovementSet) else [mov]

    def frame() -> pd.DataFrame:
        if not tables:
            tables.append(mov.frame())
        return tables[0]

    def actual(metric: str) -> Callable[[pd.Timestamp, pd.Timestamp, dict], float | None]:
        signs, scale = _MOVEMENT_METRICS[metric]

        def of(start: pd.Timestamp, end: pd.Timestamp, flt: dict) -> float | None:
            if flt:
                return None
            table = frame()
            rows = table[(table["month"] >= start.to_period("M")) & (table["month"] <= end.to_period("M"))]
            kind = rows["movement"].astype(str)
            if scale is None:
                return float(sum((kind == m).sum() * sign for m, sign in signs.items()))
            return float(scale * sum(rows.loc[kind == m, "amount"].sum() * sign for m, sign in signs.items()))

        return of

    return {metric: actual(metric) for metric in _MOVEMENT_METRICS}


def target_filter(target: Any) -> str:
    """A target row's filter, read from its ``dimension`` or ``filter`` column (DESIGN.md);
    ``all`` when both are blank."""
    for column in ("dimension", "filter"):
        text = getattr(target, column, None)
        if text is not None and not pd.isna(text) and str(text).strip():
            return str(text).strip()
    return "all"


def pipeline_pacing(
    targets: pd.DataFrame | None,
    opportunities: pd.DataFrame | None,
    as_of_date: pd.Timestamp | str,
    policies: Any = None,
    *,
    leads: pd.DataFrame | None = None,
    actuals: Actuals | None = None,
    current_only: bool = True,
) -> pd.DataFrame:
    """Pacing of every target whose period has started (``tables/pipeline_pacing.csv``).

    Parameters
    ----------
    targets : DataFrame or None
        period (``2026Q3`` / ``2026-09``), metric, target, and the filter (``all`` /
        ``source=partner``) in a column named ``dimension`` or ``filter``.
    opportunities : DataFrame or None
        Actuals for pipeline_created, opportunities_created, deals_won, won_amount.
    as_of_date : Timestamp or str
        The day pacing is measured on (counted as elapsed).
    policies : Policies, optional
        ``pacing_amber`` (default 0.9).
    leads : DataFrame, optional
        Actuals for leads, signups, pqls, customers_won.
    actuals : dict, optional
        Further metrics (e.g. ``new_arr``): metric -> ``f(start, end, filter) -> float|None``.
    current_only : bool
        Only periods containing ``as_of_date`` (default); False adds periods already ended.

    Returns
    -------
    DataFrame
        Exactly :data:`PACING_COLUMNS`; ``dimension`` is the target's filter.
    """
    if targets is None or targets.empty:
        return pd.DataFrame(columns=PACING_COLUMNS)
    as_of = pd.Timestamp(as_of_date).normalize()
    amber = float(policy(policies, "pacing_amber", 0.9))
    rows = []
    for t in targets.itertuples(index=False):
        start, end = period_bounds(t.period)
        if start > as_of or (current_only and end < as_of):
            continue
        flt_text = target_filter(t)
        actual = actual_to_date(
            str(t.metric),
            parse_filter(flt_text),
            start,
            min(as_of, end),
            opportunities=opportunities,
            leads=leads,
            actuals=actuals,
        )
        total = (end - start).days + 1
        row = pace_row(float(t.target), actual, (as_of - start).days + 1, total, amber)
        rows.append({"period": str(t.period), "metric": str(t.metric), "dimension": flt_text, **row})
    return pd.DataFrame(rows, columns=PACING_COLUMNS)
