"""The two-segment comparison pages: the KPIs and cohorts of two segments side by side.

Behind :mod:`reportlib.deck.report`, which the notebooks import.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from reportlib import format as F
from reportlib import registry as reg
from reportlib.deck._facts import currency, table
from reportlib.deck._load import CompareParam
from reportlib.kpis import KpiResult
from reportlib.metrics.cohorts import common_age, median_at_age
from reportlib.params import parse_compare
from reportlib.values import is_blank

#: KPIs of the two-segment comparison page: growth, retention and what a customer pays.
#: S&M-based KPIs are left out (financials are company-wide, so they are blank or the
#: same for both segments).
COMPARE_KPIS = (
    "arr",
    "customers",
    *reg.ARR_MOVEMENTS,  # all of them, so that each segment's add up to its net new ARR
    "net_new_arr",
    "arr_growth_yoy",
    "nrr",
    "grr",
    "logo_churn_rate",
    "quick_ratio",
    "arpa",
    "asp",
    "ltv",
)


def compare_table(result: KpiResult, kpis: Sequence[str] | None = COMPARE_KPIS) -> pd.DataFrame:
    """The two-segment comparison (``compare_kpis``: kpi, label, unit, <A>, <B>,
    difference, status_<A>, status_<B>, note_<A>, note_<B>), the rows of ``kpis`` in that
    order (all rows with ``kpis=None``) that have a value for at least one segment."""
    t = table(result, "compare_kpis")
    if t.empty or result.compare is None:
        return pd.DataFrame()
    if kpis is not None:
        present = set(t["kpi"])
        order = [k for k in kpis if k in present]
        t = t.set_index("kpi").loc[order].reset_index()
    sides = list(result.compare[1])
    return t[t[sides].notna().any(axis=1)].reset_index(drop=True)


def compare_segments(result: KpiResult, compare: CompareParam = "") -> list[str]:
    """The two compared values (e.g. ["SMB", "Enterprise"]); none in a pack without a comparison."""
    cmp = parse_compare(compare) if compare else result.compare
    return [str(cmp[1][0]), str(cmp[1][1])] if cmp else []


def has_compare(result: KpiResult) -> bool:
    return not compare_table(result).empty


def compare_cohorts(result: KpiResult, kinds: Sequence[str] = ("nrr", "logo")) -> dict[str, pd.DataFrame]:
    """The two segments' cohort tables (``compare_cohorts_<kind>``: cohort, age_months,
    value, segment) that the result has, keyed by kind."""
    out = {}
    for k in kinds:
        t = table(result, f"compare_cohorts_{k}")
        if not t.empty:
            out[k] = t
    return out


def compare_title(
    result: KpiResult,
    compare: CompareParam = "",
    kpis: Sequence[tuple[str, str]] = (("nrr", "NRR"), ("arr", "ARR")),
    what: str = "",
) -> str:
    """'SMB vs Enterprise: NRR 67% vs 115%, ARR €1.3M vs €12.6M' from the comparison
    (``kpis``: (kpi, short name) pairs; ``what`` is added after the segments' names)."""
    sides = compare_segments(result, compare)
    t = compare_table(result, None)
    if len(sides) < 2:
        return "The two segments side by side"
    cur = currency(result)
    rows = {k: r for k, r in zip(t["kpi"], t.to_dict("records"), strict=False)} if not t.empty else {}
    parts = []
    for k, short_label in kpis:
        r = rows.get(k)
        if r is not None and not (is_blank(r.get(sides[0])) and is_blank(r.get(sides[1]))):
            a = F.value(r.get(sides[0]), r.get("unit"), cur)
            b = F.value(r.get(sides[1]), r.get("unit"), cur)
            parts.append(f"{short_label} {a} vs {b}")
    head = f"{sides[0]} vs {sides[1]}" + (f" {what}" if what else "")
    return f"{head}: " + ", ".join(parts) if parts else f"{head}: the two segments side by side"


#: The cohort kinds a compare cohort title quotes, as it names them.
_COHORT_WORDS = (("nrr", "NRR"), ("logo", "logos kept"))


def compare_cohorts_title(result: KpiResult, compare: CompareParam = "") -> str:
    """The cohort page's message, from the cohort curves it draws: 'SMB vs Enterprise at
    month 12: NRR 87% vs 112%, logos kept 70% vs 95%' (:func:`cohort_compare_message`)."""
    sides = compare_segments(result, compare)
    if len(sides) < 2:
        return "The two segments' cohorts side by side"
    return cohort_compare_message(compare_cohorts(result), sides)


def cohort_compare_message(tables: Mapping[str, pd.DataFrame], sides: Sequence[str]) -> str:
    """Two segments' typical cohort at one age: the median, over each segment's acquisition
    cohorts (the opening cohort left out), of NRR and logo retention at the oldest age up to
    12 months that both segments' cohorts reached ('SMB vs Enterprise at month 12: NRR 87%
    vs 112%, logos kept 70% vs 95%', one line on the page for names of up to about 20
    characters together).

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Kind (nrr, logo) -> ``compare_cohorts_<kind>``: cohort, age_months, value, segment.
    sides : sequence of str
        The two segments, left then right.
    """
    head = f"{sides[0]} vs {sides[1]} cohorts"
    split = {k: [t[t["segment"].astype(str) == str(s)] for s in sides] for k, t in tables.items() if not t.empty}
    if not split:
        return f"{head}: no cohorts to compare"
    for i, side in enumerate(sides):
        if common_age([pair[i] for pair in split.values()]) is None:
            return f"{head}: {side} has no cohort a month old yet"
    age = common_age([t for pair in split.values() for t in pair])
    parts = [
        f"{words} " + " vs ".join(F.value(median_at_age(t, age), "ratio") for t in split[kind])
        for kind, words in _COHORT_WORDS
        if kind in split
    ]
    return f"{sides[0]} vs {sides[1]} at month {age}: " + ", ".join(parts)
