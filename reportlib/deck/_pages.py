"""The section pages: what each shows and the sentence that titles it.

Behind :mod:`reportlib.deck.report`, which the notebooks import.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd
from pandas.io.formats.style import Styler

from reportlib import format as F
from reportlib import params
from reportlib import registry as reg
from reportlib.deck import _style as S
from reportlib.deck._facts import (
    currency,
    first_table,
    fmt_kpi,
    has_input,
    has_table,
    kpi_row,
    kpi_rows,
    kpi_value,
    north_star,
    period_label,
    period_word,
    segment_value,
    short_name,
    table,
)
from reportlib.deck._tables import breakdown_dimensions, kpi_table
from reportlib.deck._words import _and, _name, _said, _status_phrase, note, page_title
from reportlib.kpis import KpiResult
from reportlib.metrics.cohorts import common_age, median_at_age
from reportlib.values import is_blank


def arr_bridge(result: KpiResult) -> dict[str, float]:
    """The period's ARR bridge from kpis.csv: opening (ARR at the start of the period,
    i.e. the prior value of ``arr``), new, reactivation, expansion, contraction, churn,
    closing."""
    arr = kpi_row(result, "arr")
    steps = {
        "opening": arr.get("prior_value"),
        "new": kpi_value(result, "new_arr"),
        "reactivation": kpi_value(result, "reactivation_arr"),
        "expansion": kpi_value(result, "expansion_arr"),
        "contraction": kpi_value(result, "contraction_arr"),
        "churn": kpi_value(result, "churned_arr"),
        "closing": arr.get("value"),
    }
    return {k: float(v) for k, v in steps.items() if not is_blank(v)}


def arr_bridge_title(result: KpiResult) -> str:
    cur = currency(result)
    arr = kpi_row(result, "arr")
    if is_blank(arr.get("value")):
        return "ARR bridge"
    parts = [
        f"ARR {F.money(arr.get('prior_value'), cur)} → {F.money(arr.get('value'), cur)}"
        if not is_blank(arr.get("prior_value"))
        else f"ARR {F.money(arr.get('value'), cur)}"
    ]
    moves = _bridge_moves(result)
    if moves:
        parts.append(", ".join(f"{F.money(v, cur, sign=True)} {word}" for word, v in moves))
    return f"{parts[0]} in {period_label(result)}" + (f": {parts[1]}" if len(parts) > 1 else "")


#: A movement's word in the bridge's title.
_MOVE_WORDS = {
    "new_arr": "new",
    "reactivation_arr": "reactivation",
    "expansion_arr": "expansion",
    "contraction_arr": "contraction",
    "churned_arr": "churn",
}
#: The title names at most this many movements; with more, the largest are named and the
#: others summed into one "other", so that the title still adds up to the net change.
_MOVES_NAMED = 4


def _bridge_moves(result: KpiResult) -> list[tuple[str, float]]:
    """The period's non-zero ARR movements, signed, in the bridge's order, that add up to
    ARR's change: all of them, or with more than :data:`_MOVES_NAMED` the three largest
    and 'other' (the rest, summed)."""
    moves = []
    for kpi in reg.ARR_MOVEMENTS:
        v = kpi_value(result, kpi)
        if not is_blank(v) and float(v) != 0:
            moves.append((_MOVE_WORDS[kpi], -float(v) if kpi in reg.ARR_OUTFLOWS else float(v)))
    if len(moves) <= _MOVES_NAMED:
        return moves
    largest = sorted(moves, key=lambda m: -abs(m[1]))[: _MOVES_NAMED - 1]
    other = sum(v for m, v in moves if (m, v) not in largest)
    return [m for m in moves if m in largest] + ([("other", other)] if other else [])


def hierarchy(result: KpiResult, max_children: int = 4, max_granular: int = 2) -> pd.DataFrame:
    """North star -> diagnostic -> granular rows (kpi, label, tier, parent, value, unit,
    status) for :func:`reportlib.deck.charts.kpi_tree`, over the KPIs that have a value: the
    edges of the result's ``kpi_tree`` table (else the registry's). Under each north star
    the KPI the narrative names as its driver comes first."""
    rows = result.kpis
    if rows.empty:
        return pd.DataFrame()
    have = {k: r for k, r in zip(rows["kpi"], rows.to_dict("records"), strict=False) if not is_blank(r.get("value"))}
    edges = table(result, "kpi_tree")
    children: dict[str, list[str]] = {}
    if not edges.empty:
        for k, p in zip(edges["kpi"], edges["parent"], strict=False):
            if not is_blank(p):
                children.setdefault(str(p), []).append(str(k))
    else:
        for k in have:
            children[k] = reg.children(k) if k in reg.REGISTRY else []
    drivers = {e.kpi: e.driver for e in result.explanations}
    rank = {"diagnostic": 0, "granular": 1, "north_star": 2}
    out, seen = [], set()
    for ns in north_star(result).to_dict("records"):
        out.append({**ns, "parent": ""})
        seen.add(ns["kpi"])
    for ns in north_star(result).to_dict("records"):
        kids = [k for k in children.get(ns["kpi"], []) if k in have and k not in seen and k != "mrr"]
        kids.sort(key=lambda k: (k != drivers.get(ns["kpi"]), rank.get(have[k].get("tier"), 3)))
        for k in kids[:max_children]:
            out.append({**have[k], "tier": "diagnostic", "parent": ns["kpi"]})
            seen.add(k)
            grand = [g for g in children.get(k, []) if g in have and g not in seen and g != "mrr"]
            for g in grand[:max_granular]:
                out.append({**have[g], "tier": "granular", "parent": k})
                seen.add(g)
    return pd.DataFrame(out)


def kpi_tree_title(result: KpiResult) -> str:
    """The KPI tree's message from the north stars' statuses, worst first: 'KPI tree: Burn
    multiple and CAC payback are amber; NRR green'."""
    rows = north_star(result)
    if rows.empty:
        return "KPI tree: the north stars and the KPIs that explain them"
    by_status: dict[str, list[str]] = {}
    for k, st in zip(rows["kpi"], rows["status"], strict=False):
        key = S.status_key(st)
        if key:
            by_status.setdefault(key, []).append(short_name(result, str(k)))
    parts = []
    for st in ("red", "amber", "green"):
        names = by_status.get(st)
        if names:
            verb = (" is " if len(names) == 1 else " are ") if not parts else " "
            parts.append(f"{_and(names)}{verb}{st}")
    if not parts:
        return "KPI tree: the north stars and the diagnostic KPIs that explain them"
    return "KPI tree: " + "; ".join(parts)


ENGAGEMENT_KPIS = ("dau_mau", "mau", "active_accounts", "usage_depth", "nps")


def has_engagement(result: KpiResult) -> bool:
    """True when the result has product-usage or NPS figures to show."""
    rows = kpi_rows(result, ENGAGEMENT_KPIS, keep_blank=False)
    return not rows.empty or any(not table(result, n).empty for n in ("usage", "feature_adoption", "nps"))


def engagement_kpis(result: KpiResult) -> pd.DataFrame:
    return kpi_rows(result, ENGAGEMENT_KPIS, keep_blank=False)


def engagement_note(result: KpiResult) -> None:
    """In a segment pack, a note when the usage / NPS inputs carry no segment column (their
    figures are then the whole company's)."""
    comp = result.company
    whole = [n for n in ("usage", "nps") if n in comp.unfiltered_inputs and has_input(result, n)]
    seg = comp.segment_filter
    if whole and seg:
        what = " and ".join({"usage": "Product usage", "nps": "NPS"}[n] for n in whole)
        inputs = " and ".join(whole) + (" inputs have" if len(whole) > 1 else " input has")
        note(f"{what}: company-wide figures (the {inputs} no {seg[0]} column).")


def engagement_title(result: KpiResult) -> str:
    """'Product usage and NPS: DAU/MAU 26%, NPS 29 (+39 vs prior quarter)'."""
    cur = currency(result)
    parts = []
    for k in ("dau_mau", "nps"):
        r = kpi_row(result, k)
        if is_blank(r.get("value")):
            continue
        text = f"{short_name(result, k)} {F.value(r.get('value'), r.get('unit'), cur)}"
        if not is_blank(r.get("change")):
            text += f" ({F.change(r.get('change'), r.get('unit'), cur)} vs prior {period_word(result)})"
        parts.append(text)
    words = [w for w, n in (("Product usage", "dau_mau"), ("NPS", "nps")) if not is_blank(kpi_value(result, n))]
    head = " and ".join(words) or "Product usage and NPS"
    return f"{head}: " + ", ".join(parts) if parts else head


def breakdown_dimension(result: KpiResult) -> str:
    """The dimension of the company pack's segment page: ``segment`` when the breakdowns
    have it, else the first one that splits the customers ("" in a segment pack)."""
    if segment_value(result):
        return ""
    dims = breakdown_dimensions(result)
    return "segment" if "segment" in dims else (dims[0] if dims else "")


def breakdown_title(result: KpiResult, dimension: str) -> str:
    """'By segment: Enterprise ARR €12.6M at 115% NRR; Mid-market ...; SMB €1.3M at 67%'."""
    t = table(result, "breakdowns")
    t = t[t["dimension"] == dimension] if not t.empty else t
    cur = currency(result)
    parts = []
    for seg, g in t.groupby("segment", sort=False):
        v = dict(zip(g["kpi"], g["value"], strict=False))
        text = f"{seg} {F.money(v.get('arr'), cur, context='text')} ARR"
        if not is_blank(v.get("nrr")):
            text += f" at {F.percent(v.get('nrr'), context='text')} NRR"
        parts.append((v.get("arr") or 0, text))
    parts.sort(key=lambda p: -float(p[0]) if not is_blank(p[0]) else 0)
    return f"By {dimension.replace('_', ' ')}: " + "; ".join(p[1] for p in parts[:4])


def revenue_view_title(result: KpiResult) -> str:
    """'ARR €19.5M and CARR €20.8M; revenue €4.9M and billings €4M in the quarter': both at
    the as-of month (an arrow, as on the bridge page, read as CARR falling to ARR)."""
    cur = currency(result)
    v = {k: kpi_value(result, k) for k in ("carr", "arr", "revenue", "billings", "bookings")}
    head = " and ".join(
        f"{short_name(result, k)} {F.money(v[k], cur, context='text')}" for k in ("arr", "carr") if not is_blank(v[k])
    )
    flows = [
        f"{w} {F.money(v[k], cur, context='text')}"
        for k, w in (("revenue", "revenue"), ("billings", "billings"), ("bookings", "bookings"))
        if not is_blank(v[k])
    ]
    tail = f"{_and(flows)} in the {period_word(result)}" if flows else ""
    return page_title(result, "; ".join(p for p in (head, tail) if p) or "Contracted ARR, ARR, revenue and billings")


#: The ``revenue_tiers`` table's tiers, best first, as a title names them (METRICS.md
#: "Revenue tiers").
REVENUE_TIERS = {
    "contracted_recurring": "contracted recurring",
    "uncontracted_recurring": "uncontracted recurring",
    "one_off": "one-off",
}


def has_revenue_tiers(result: KpiResult) -> bool:
    """True when the inputs split revenue by tier (a P&L without tier columns does not)."""
    return has_table(result, "revenue_tiers", list(REVENUE_TIERS))


def revenue_tiers_title(result: KpiResult) -> str:
    """'Revenue €4.9M in the quarter: 97% contracted recurring, 1% uncontracted recurring,
    2.5% one-off': the period's tier shares of kpis.csv (a tier with none left out), so the
    board reads the recurring share the chart draws month by month."""
    cur = currency(result)
    shares = [(kpi_value(result, f"revenue_share_{tier}"), words) for tier, words in REVENUE_TIERS.items()]
    parts = [f"{F.value(v, 'ratio', context='text')} {words}" for v, words in shares if not is_blank(v) and float(v)]
    if not parts:
        return page_title(result, "Revenue by quality tier and recurring share")
    revenue = kpi_value(result, "revenue")
    head = (
        "Revenue by tier"
        if is_blank(revenue)
        else f"Revenue {F.money(revenue, cur, context='text')} in the {period_word(result)}"
    )
    return page_title(result, f"{head}: {', '.join(parts)}")


def cohort_title(result: KpiResult) -> str:
    """'NRR 104%; median cohort at 93% of its starting MRR after 12 months': the trailing NRR and what the heatmap shows (the median acquisition cohort at
    the oldest age, up to 12 months, that one reached), instead of a caption of the chart."""
    head = f"Net revenue retention {fmt_kpi(result, 'nrr')}"
    short = f"NRR {fmt_kpi(result, 'nrr')}"  # one line beside the cohorts' message
    t = first_table(result, "cohorts_nrr_quarterly", "cohorts_nrr")
    age = common_age([t]) if not t.empty else None
    typical = median_at_age(t, age) if age is not None else None
    if typical is None:
        return page_title(result, f"{head}: each cohort's MRR against its first month")
    at = F.value(typical, "ratio")
    return page_title(result, f"{short}; median cohort at {at} of its starting MRR after {age} months")


def _to_date(result: KpiResult, t: pd.DataFrame) -> bool:
    """Whether the last quarter of a quarterly table ends after the report's month (a quarter
    under way, drawn '(to date)')."""
    last = t["period"].iloc[-1]
    if not isinstance(last, pd.Period):
        return False
    return last.asfreq("M", how="end") > pd.Period(result.window.as_of, freq="M")


def quick_ratio_title(result: KpiResult) -> str:
    """'Quick ratio 5.6x: MRR added per MRR lost; 2 of the last 11 complete quarters below
    green' (the opening quarter and a quarter under way are not counted)."""
    t = table(result, "mrr_drivers")
    t = t[t["new"].notna()] if not t.empty else t  # the opening quarter, blank, is not counted
    t = t.iloc[:-1] if len(t) and _to_date(result, t) else t  # a quarter under way is no quarter yet
    below = 0 if t.empty else int(sum(S.status_key(s) in ("amber", "red") for s in t["status"]))
    tail = f"; {below} of the last {len(t)} complete quarters below green" if len(t) else ""
    value = "" if is_blank(kpi_value(result, "quick_ratio")) else f" {fmt_kpi(result, 'quick_ratio')}"
    return page_title(result, f"Quick ratio{value}: MRR added per MRR lost{tail}")


#: The executive summary's tiles after the north stars.
CASH_KPIS = ("cash_balance", "runway_months")
#: The KPIs judged on the unit-economics page.
UNIT_ECONOMICS_KPIS = ("ltv_cac", "cac_payback_months", "magic_number", "burn_multiple", "rule_of_40")


def has_unit_economics(result: KpiResult) -> bool:
    """True when at least one KPI of the unit-economics page has a value."""
    return not kpi_rows(result, UNIT_ECONOMICS_KPIS, keep_blank=False).empty


def unit_economics_title(result: KpiResult) -> str:
    phrase = _status_phrase(result, UNIT_ECONOMICS_KPIS)
    return page_title(result, f"Unit economics: {phrase}" if phrase else "Unit economics against their benchmark bands")


def runway_title(result: KpiResult) -> str:
    """'12.7 months of runway: cash €11.4M at a net burn of €900k a month'."""
    cur = currency(result)
    months_left = kpi_value(result, "runway_months")
    cash, burn = kpi_value(result, "cash_balance"), kpi_value(result, "net_burn_monthly")
    if is_blank(months_left):
        return page_title(result, f"Cash {F.money(cash, cur, context='text')}: runway not limited by burn")
    return page_title(
        result,
        f"{F.months(months_left, context='text')} of runway: cash "
        f"{F.money(cash, cur, context='text')} at a net burn of "
        f"{F.money(burn, cur, context='text')} a month",
    )


#: A funnel's first stage as a title names it ("created" is the stage of new leads).
STAGE_WORDS = {
    "created": "leads created",
    "signup": "sign-ups",
    "pql": "PQLs",
    "customer": "leads who became customers",
}


def funnel_title(result: KpiResult) -> str:
    """'49,049 visitors and 54 leads who became customers this quarter; revenue per lead
    €1.8k, 10.8 days to PQL'. Each stage is counted in the period's months, so the title
    never says the customers came from those visitors ("Of 49,049 visitors, 54 became
    customers": 35 of the 54 were leads of earlier months)."""
    t = table(result, "funnel")
    if t.empty:
        return page_title(result, "The customer journey this period")
    ends = [t.iloc[0]] if len(t) == 1 else [t.iloc[0], t.iloc[-1]]
    said = [
        f"{F.number(r['count'], context='text')} {STAGE_WORDS.get(str(r['stage']), str(r['stage']).replace('_', ' '))}"
        for r in ends
    ]
    head = f"{' and '.join(said)} this {period_word(result)}"
    extra = _phrases(result, ("revenue_per_lead", "time_to_pql_days"))
    return page_title(result, head + (f"; {', '.join(extra)}" if extra else ""))


def _phrases(result: KpiResult, kpis: Sequence[str]) -> list[str]:
    """'revenue per lead €1.8k', ... for the KPIs of ``kpis`` that have a value."""
    return [f"{_name(result, k)} {_said(result, k)}" for k in kpis if not is_blank(kpi_value(result, k))]


def owner_title(result: KpiResult) -> str:
    """'By owner: Claire Dubois won most (€936k); average deal €24.1k, sales cycle 54 days'."""
    t = table(result, "pipeline_by_owner")
    cur = currency(result)
    top = t.sort_values("won_amount", ascending=False).iloc[0] if not t.empty else None
    head = (
        f"By owner: {top['owner']} won most ({F.money(top['won_amount'], cur, context='text')})"
        if top is not None
        else "Pipeline by owner"
    )
    extra = _phrases(result, ("avg_deal_size", "sales_cycle_days"))
    return page_title(result, head + (f"; {', '.join(extra)} overall" if extra else ""))


def pacing_title(result: KpiResult) -> str:
    """'Q4 2026 targets at 31 Oct: 1 of 4 behind pace (partner)': the targets' own period and
    the as-of date, which are not the pack's window (pacing counts from the target period's
    first day: October alone, beside an Aug-Oct pack)."""
    t = table(result, "pipeline_pacing")
    if t.empty:
        return page_title(result, "Leading indicators against target")
    behind = t[t["status"].astype(str) == "behind"]
    names = ["overall" if str(d) == "all" else str(d).split("=", 1)[-1] for d in behind["dimension"]]
    tail = f" ({_and(names)})" if names else ""
    periods = list(dict.fromkeys(_period_words(p) for p in t["period"].astype(str)))
    date = pd.Timestamp(result.as_of_date)
    return page_title(
        result,
        f"{_and(periods)} targets at {date.day} {date.strftime('%b')}: {len(behind)} of {len(t)} behind pace{tail}",
    )


def _period_words(period: str) -> str:
    """'2026Q4' -> 'Q4 2026', '2026-10' -> 'Oct 2026' (the pack's one name of a period,
    :func:`reportlib.params.period_label`); else as it is."""
    if re.fullmatch(r"\d{4}Q[1-4]", period):
        return params.period_label(pd.Period(period, freq="Q").asfreq("M", how="end"), 3)
    if re.fullmatch(r"\d{4}-\d{2}", period):
        return params.period_label(period, 1)
    return period


def unit_economics_blanks_title(result: KpiResult) -> str:
    return page_title(result, "Unit economics and cash are left blank: the notes say why")


def unit_economics_blanks(result: KpiResult) -> Styler:
    """The unit-economics and cash KPIs with the notes that say why each is blank (a segment
    pack on company-wide financials), so that the section shows its reason, not an empty page."""
    return kpi_table(result, [*UNIT_ECONOMICS_KPIS, *CASH_KPIS])


#: The go-to-market section's pages (tables) and the KPIs its blank page lists.
GO_TO_MARKET_TABLES = ("funnel", "pipeline_by_owner", "pipeline_pacing")
GO_TO_MARKET_KPIS = (
    "visitors",
    "signups",
    "pqls",
    "new_customers",
    "lead_conversion_rate",
    "revenue_per_lead",
    "pipeline_created",
    "win_rate",
    "avg_deal_size",
    "sales_cycle_days",
)


def has_go_to_market(result: KpiResult) -> bool:
    """True when the go-to-market section has at least one of its pages to show."""
    return any(has_table(result, t) for t in GO_TO_MARKET_TABLES)


def go_to_market_blanks_title(result: KpiResult) -> str:
    return page_title(result, "Go-to-market figures are left out of this pack: the notes say why")


def go_to_market_blanks(result: KpiResult) -> Styler:
    """The go-to-market KPIs with the notes that say why each is blank, so that the section
    shows its reason, not an empty page."""
    return kpi_table(result, GO_TO_MARKET_KPIS)
