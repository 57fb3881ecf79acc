"""The appendix pages: definition sensitivity, reconciliation, restatements, data quality.

Behind :mod:`reportlib.deck.report`, which the notebooks import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from pandas.io.formats.style import Styler

from reportlib import format as F
from reportlib import registry as reg
from reportlib.deck._facts import _label, currency, table
from reportlib.deck._summary import _shown_rows, pack_kpi_ids
from reportlib.deck._tables import definitions_table, header, styled, warnings_table
from reportlib.deck._words import _and, _lower_first, narrative, note, page_title
from reportlib.inputs.config import policy_meaning, policy_value
from reportlib.kpis import KpiResult
from reportlib.kpis.reconciliation import GAP_WARNING, warned_gaps
from reportlib.kpis.restatements import brief_cause, cause_headline, figure_unit
from reportlib.values import is_blank


def sensitivity_table(result: KpiResult) -> pd.DataFrame:
    """The ``sensitivity`` rows of the pages' KPIs whose value moves with a policy."""
    t = table(result, "sensitivity")
    if t.empty:
        return t
    # a range that prints as one value ("104% to 104%") tells a board nothing: left out
    cur = currency(result)
    keep = [
        (kpi, policy)
        for (kpi, policy), g in t.groupby(["kpi", "policy"], sort=False)
        if len({F.value(v, reg.get(kpi).unit, cur) for v in g["kpi_value"].dropna()}) > 1
    ]
    kept = t[[pair in keep for pair in zip(t["kpi"], t["policy"], strict=False)]].reset_index(drop=True)
    return kept.assign(
        choice=[policy_choice(p, str(v)) for p, v in zip(kept["policy"], kept["policy_value"], strict=True)]
    )


#: The definition choices behind the sensitivity page, as a board reads them.
POLICY_WORDS = {
    "cac_lag_months": "the CAC lag",
    "ltv_churn_basis": "the churn basis",
    "reactivation_window_months": "the reactivation window",
    "mrr_includes_uncontracted": "counting uncontracted MRR",
    "magic_number_basis": "the magic-number basis",
    "ltv_max_lifetime_years": "the LTV lifetime cap",
    "sm_allocation": "the S&M allocation",
}


#: Definition choices the sensitivity page lists one by one under its chart; more would not
#: fit the page, and the chart then says it alone.
SENSITIVITY_LISTED = 2


def sensitivity_values(result: KpiResult) -> Styler | None:
    """Under a short sensitivity chart (at most :data:`SENSITIVITY_LISTED` rows): each
    alternative with what it means and the value it gives, the one in force marked; None
    when the chart has more rows."""
    t = sensitivity_table(result)
    if t.empty or t.groupby(["kpi", "policy"], sort=False).ngroups > SENSITIVITY_LISTED:
        return None
    cur = currency(result)
    t = t.sort_values("kpi", key=lambda k: k.map({v: i for i, v in enumerate(dict.fromkeys(k))}), kind="stable")
    rows = pd.DataFrame(
        {
            "kpi": [reg.get(k).label for k in t["kpi"]],
            "choice": [
                f"{policy_words(p)[:1].upper()}{policy_words(p)[1:]}: {v}" + (" (in force)" if now else "")
                for p, v, now in zip(
                    t["policy"], t["policy_value"].astype(str), t["in_force"].astype(bool), strict=True
                )
            ],
            "meaning": [policy_meaning(p, str(v)) for p, v in zip(t["policy"], t["policy_value"], strict=True)],
            "value": [
                "not shown" if is_blank(v) else F.value(v, reg.get(k).unit, cur)
                for k, v in zip(t["kpi"], t["kpi_value"], strict=True)
            ],
        }
    )
    return styled(rows, result=result, labels={"kpi": "KPI", "choice": "Definition choice", "value": "Value"})


def policy_words(policy: str) -> str:
    return POLICY_WORDS.get(policy, "the " + policy.replace("_", " "))


#: One value of a definition choice in a few words, as the sensitivity chart labels it
#: ("17 mo as reported (1-month lag)", not "(1)"; "(not counted)", not "(false)").
_CHOICE_WORDS: dict[str, Callable[[Any], str]] = {
    "cac_lag_months": lambda v: "no lag" if not v else f"{v}-month lag",
    "reactivation_window_months": lambda v: "any gap" if v is None else f"{v}-month window",
    "mrr_includes_uncontracted": lambda v: "counted" if v else "not counted",
    "ltv_max_lifetime_years": lambda v: "uncapped" if v is None else f"{v:g}-year cap",
    "ltv_churn_basis": lambda v: f"{v} churn",
    "magic_number_basis": lambda v: str(v).replace("_", " "),
    "sm_allocation": lambda v: "not allocated" if v in (None, "none") else "by " + str(v).replace("_", " "),
}


def policy_choice(policy: str, text: str) -> str:
    """A policy's printed value ("1", "false", "none") in the few words a board reads."""
    words = _CHOICE_WORDS.get(policy)
    return words(policy_value(text)) if words else text


def sensitivity_title(result: KpiResult) -> str:
    """The widest range of a north star under the definitions' alternatives: 'CAC payback
    16.3-21.4 months depending on the CAC lag; 16.6 as reported'."""
    t = sensitivity_table(result)
    if t.empty:
        return page_title(result, "No north star moves with the alternative definitions")
    g = t.groupby(["kpi", "policy"], sort=False)["kpi_value"]
    rel = (g.max() - g.min()) / g.max().abs().clip(lower=1e-9)
    kpi, policy = rel.idxmax()
    rows = t[(t["kpi"] == kpi) & (t["policy"] == policy)]
    unit, cur = reg.get(kpi).unit, currency(result)
    lo, hi = (F.value(v, unit, cur, context="text") for v in (rows["kpi_value"].min(), rows["kpi_value"].max()))
    now = rows[rows["in_force"].astype(bool)]["kpi_value"]
    reported = (
        ""
        if not len(now)
        else "; blank as reported"
        if is_blank(now.iloc[0])
        else f"; {F.value(now.iloc[0], unit, cur, context='text')} as reported"
    )
    return page_title(result, f"{reg.get(kpi).label} {lo} to {hi} depending on {policy_words(policy)}{reported}")


def reconciliation_rows(result: KpiResult, max_rows: int = 12) -> pd.DataFrame:
    """The largest gaps between sources first (those above :data:`GAP_WARNING` lead)."""
    t = table(result, "reconciliation")
    if t.empty:
        return t
    # the largest gaps first; among equal gaps (all within a cent) the latest periods
    key = t.assign(_gap=t["relative"].abs(), _period=t["period"].astype(str))
    order = key.sort_values(["_gap", "_period"], ascending=[False, False], na_position="last").index
    return t.loc[order].head(max_rows).reset_index(drop=True)


def reconciliation_title(result: KpiResult) -> str:
    """'Revenue in contracts vs P&L agrees within 10% in all 36 periods; bookings in CRM (won
    deals) vs contracts differs by over 10% in 13 of 13 periods' (the pairs with gaps first).

    The threshold is validate's, :data:`~reportlib.kpis.reconciliation.GAP_WARNING`: the page
    and the warnings name the same gaps."""
    t = table(result, "reconciliation")
    if t.empty:
        return page_title(result, "No two sources to reconcile")
    parts = []
    for (a, b, kpi), g in t.groupby(["source_a", "source_b", "kpi"], sort=False):
        big = int((g["relative"].abs() > GAP_WARNING).sum())
        what = f"{kpi.replace('_', ' ')} in {_lower_first(SOURCE_WORDS.get(a, a))} vs {_lower_first(SOURCE_WORDS.get(b, b))}"
        parts.append(
            (
                -big,
                f"{what} differs by over {GAP_WARNING:.0%} in {big} of {len(g)} periods"
                if big
                else f"{what} agrees within {GAP_WARNING:.0%} in all {len(g)} periods",
            )
        )
    parts.sort(key=lambda p: p[0])
    text = "; ".join(p[1] for p in parts[:2])
    return page_title(result, text[:1].upper() + text[1:])


#: The reconciliation's source names as a board reads them.
SOURCE_WORDS = {
    "contracts": "Contracts",
    "contracts+transactions": "Contracts + usage charges",
    "mrr": "MRR export",
    "mrr+transactions": "MRR + usage charges",
    "transactions": "Usage charges",
    "financials": "P&L",
    "opportunities": "CRM (won deals)",
    "reported": "Company's report",
    "recomputed": "Recomputed",
}


def reconciliation_table(result: KpiResult) -> Styler:
    """The largest gaps (:func:`reconciliation_rows`); a last line says how many more
    reconciliation.csv holds, so that the title's count matches what the page accounts for."""
    t = reconciliation_rows(result)
    more = len(table(result, "reconciliation")) - len(t)
    t = t.assign(**{c: t[c].map(lambda v: SOURCE_WORDS.get(str(v), str(v))) for c in ("source_a", "source_b")})
    t = t[["source_a", "source_b", "period", "kpi", "value_a", "value_b", "difference", "relative"]]
    if more > 0:
        t = pd.concat(
            [t, pd.DataFrame([{"source_a": "", "source_b": f"… and {more} more in reconciliation.csv"}])],
            ignore_index=True,
        )
    return styled(
        t,
        {"value_a": "money", "value_b": "money", "difference": "money", "relative": "pct"},
        result,
        labels={"source_a": "Source A", "source_b": "Source B", "value_a": "A", "value_b": "B", "relative": "Gap"},
    )


def reconciliation_note(result: KpiResult) -> None:
    """Under the reconciliation table: why CRM amounts and contract bookings may differ (so
    that an expected gap does not read as an error)."""
    t = table(result, "reconciliation")
    if not t.empty and (t["source_a"] == "opportunities").any():
        note(
            "CRM deal amounts and contract bookings differ by definition (a deal's amount is often its first-year "
            "value, bookings the contract's total value), so a gap between them is expected; billing and the P&L "
            "should agree."
        )


def restatements_title(result: KpiResult) -> str:
    """'13 figures restated since the 2026-09 pack: policy cac_lag_months changed and the mrr
    input changed', the causes that restated most figures first, at most two named (the
    narrative's sentence alone when nothing is restated)."""
    said = narrative(result, "restatements_title")
    since = said[0] if said else "Restated since the last pack"
    t = table(result, "restatements")
    if t.empty:
        return page_title(result, since)
    what = f"{len(t)} figure{'s' * (len(t) != 1)} {_lower_first(since)}"
    causes = cause_headline(t["cause"])
    if not causes:
        return page_title(result, what)
    named = causes[:2] + ([f"{len(causes) - 2} more causes"] if len(causes) > 2 else [])
    return page_title(result, f"{what}: {_and(named)}")


#: Restated figures on the page at most; the table says how many more restatements.csv holds.
RESTATED_ROWS = 8
#: Lines of cause text the page has room for beside the summary below the table (eight
#: one-line rows, or five of two lines), and the characters of a line of the Cause column.
_CAUSE_LINES, _CAUSE_LINE_CHARS = 10, 95


def restatements_table(result: KpiResult) -> Styler:
    """The restated figures as a board reads them, the largest first: each KPI by its label (a
    bridge line as 'Revenue bridge: bookings'), each value in its unit and currency with the
    precision that shows it changed, the change signed."""
    t = table(result, "restatements")
    cur = currency(result)
    ordered = _largest_first(t)
    causes = [brief_cause(c) for c in ordered["cause"].head(RESTATED_ROWS)]
    shown, causes = ordered.head(_rows_that_fit(causes)), causes[: _rows_that_fit(causes)]
    units = [figure_unit(k) for k in shown["kpi"]]
    pairs = [
        _restated(b, n, c, u, cur)
        for b, n, c, u in zip(shown["reported_before"], shown["now"], shown["change"], units, strict=True)
    ]
    rows = pd.DataFrame(
        {
            "period": shown["period"].astype(str),
            "figure": [_figure_label(k) for k in shown["kpi"]],
            "reported_before": [p[0] for p in pairs],
            "now": [p[1] for p in pairs],
            "change": [p[2] for p in pairs],
            "cause": causes,
        }
    )
    if len(t) > len(shown):
        rows.loc[len(rows)] = ["", "", "", "", "", f"… and {len(t) - len(shown)} more in tables/restatements.csv"]
    sty = styled(rows, result=result, max_rows=RESTATED_ROWS + 1)
    return sty.set_properties(subset=["period", "reported_before", "now", "change"], **{"white-space": "nowrap"})


def _rows_that_fit(causes: list[str]) -> int:
    """How many rows, in order, the page holds: their cause cells' lines within the budget."""
    lines = [-(-len(c) // _CAUSE_LINE_CHARS) or 1 for c in causes]
    fit = next((n for n in range(len(lines), 0, -1) if sum(lines[:n]) <= _CAUSE_LINES), 1)
    return min(fit, len(causes))


def _largest_first(t: pd.DataFrame) -> pd.DataFrame:
    """Restatements by the size of their change against the figure reported (a figure that
    appeared or vanished first), then in restatements.csv's order."""
    before = t["reported_before"].astype(float).abs()
    size = (t["change"].astype(float).abs() / before.where(before > 0)).fillna(float("inf"))
    return t.assign(_size=size).sort_values("_size", ascending=False, kind="stable").drop(columns="_size")


def _restated(before: float, now: float, change: float, unit: str, cur: str | None) -> tuple[str, str, str]:
    """Before, now and the change as text, each with the digits that tell before from now
    ('€1.5M -> €1.5M' never: '€1.49M -> €1.50M', '53.0% -> 53.3%')."""
    for digits in (None, 1, 2, 3, 4):
        b, n = F.value(before, unit, cur, decimals=digits), F.value(now, unit, cur, decimals=digits)
        if b != n or pd.isna(before) or pd.isna(now):
            break
    if digits is None:
        return b, n, F.difference(change, unit, cur)
    if F.unit_kind(unit) == "pct":
        shown = next((d for d in range(digits, 5) if round(abs(change) * 100, d) != 0), 4)
        return b, n, F.points(change, decimals=shown)
    if F.unit_kind(unit) == "money":
        return b, n, F.money(change, cur, sign=True, sig=3)
    return b, n, F.difference(change, unit, cur)


#: A bridge line's name on the page.
_BRIDGES = {"mrr_bridge": "MRR bridge", "revenue_bridge": "Revenue bridge"}


def _figure_label(figure: str) -> str:
    """A KPI's label; a bridge line ('revenue_bridge.bookings') as 'Revenue bridge: bookings'."""
    bridge, _, line = str(figure).partition(".")
    if line and bridge in _BRIDGES:
        return f"{_BRIDGES[bridge]}: {_lower_first(header(line))}"
    return _label(str(figure))


def definitions_for_pages(result: KpiResult) -> pd.DataFrame:
    """Definitions of the KPIs on the pack's pages only (those of its KPI table)."""
    d = definitions_table(result)
    labels = {_label(k) for k in _shown_rows(result, pack_kpi_ids(result))["kpi"]}
    return d[d["kpi"].isin(labels)].reset_index(drop=True)


def data_quality_title(result: KpiResult) -> str:
    """'...; data quality: 3 warnings in the inputs' or 'all input checks passed', and the
    periods whose sources disagree beyond the validate warning's share."""
    n = len(warnings_table(result))
    shown = f" ({min(n, 3)} shown here, all in the validate report)" if n > 3 else ""
    head = (
        f"Data quality: {n} warning{'s' if n != 1 else ''} in the inputs{shown}"
        if n
        else "Data quality: all input checks passed"
    )
    gaps = _warned_gaps(result)
    if gaps:  # validate warns of them too: "all passed" above a -99% gap would contradict it
        head += f"; sources disagree by over {GAP_WARNING:.0%} in {gaps} period{'s' * (gaps != 1)} (reconciliation)"
    return f"The definitions' policies in force; {head[:1].lower()}{head[1:]}"


def _warned_gaps(result: KpiResult) -> int:
    """Periods in which two sources disagree by more than the validate warning's share (CRM
    against bookings differs by definition: not counted, as validate does not warn of it)."""
    t = table(result, "reconciliation")
    return 0 if t.empty else len(warned_gaps(t))


def sensitivity_note(result: KpiResult) -> None:
    """On the appendix's policies page when no north star moves with a definition: one line
    saying so (the sensitivity page is then left out)."""
    if sensitivity_table(result).empty:
        note(
            "Definition sensitivity: no north star changes under the policies' alternative values "
            "in this pack, so there is no sensitivity page (sensitivity.csv)."
        )
