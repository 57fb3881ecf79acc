"""The cover, the executive summary and the pack's one KPI table.

Behind :mod:`reportlib.deck.report`, which the notebooks import.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from pandas.io.formats.style import Styler

from reportlib import registry as reg
from reportlib.deck._facts import (
    company_name,
    fmt_kpi,
    kpi_rows,
    north_star,
    period_label,
    period_word,
    segment_label,
    segment_value,
    short_name,
)
from reportlib.deck._html import bullets, esc, markdown, show_html
from reportlib.deck._load import CompareParam, SegmentParam
from reportlib.deck._pages import CASH_KPIS, GO_TO_MARKET_KPIS
from reportlib.deck._tables import _COMPACT_CSS, cover_facts, kpi_table, show, styled
from reportlib.deck._words import (
    _and,
    _lower_first,
    _status_phrase,
    commentary_sections,
    narrative,
    note,
    page_title,
    short,
)
from reportlib.kpis import NO_CHANGE, KpiResult
from reportlib.values import is_blank


def cover(
    result: KpiResult,
    segment: SegmentParam = "",
    compare: CompareParam = "",
) -> None:
    """The cover page: company, period, segment, currency, data as of, generated on."""
    seg = segment_label(result, segment)
    show_html(
        f"<h1>{esc(company_name(result))}</h1>\n<h3>"
        + esc(f"Board pack · {period_label(result)}" + (f" · {seg}" if segment else ""))
        + "</h3>\n"
    )
    show(styled(cover_facts(result, segment, compare), labels={"": "", " ": ""}))
    contents = [
        reg.SECTION_TITLES[k]
        for k in ("summary", "revenue_quality", "unit_economics", "cohort_economics", "kpi_hierarchy", "appendix")
    ]
    scope = (
        f" Every figure is the {segment_value(result)} segment's own, or blank with a note where only a "
        "company-wide figure exists."
        if segment_value(result)
        else ""
    )
    note(
        "Contents: " + " · ".join(contents) + ". All figures are generated from the company's "
        "exports with the same definitions for every company (see the appendix)." + scope
    )


#: The pack's one KPI table, in reading order after the north stars: growth, retention,
#: efficiency, cash, go-to-market.
PACK_KPIS = (
    "arr",
    "net_new_arr",
    "arr_growth_yoy",
    "customers",
    "nrr",
    "grr",
    "logo_churn_rate",
    "net_mrr_churn_rate",
    "quick_ratio",
    "gross_margin_ttm",
    "cac",
    "ltv_cac",
    "cac_payback_months",
    "magic_number",
    "burn_multiple",
    "rule_of_40",
    "cash_balance",
    "runway_months",
    "win_rate",
    "avg_deal_size",
    "sales_cycle_days",
)
#: The commentary blocks of the executive summary, with their headings on the page.
SUMMARY_BLOCKS = (("highlights", "Highlights"), ("risks", "Risks"), ("asks", "Asks of the board"))


def pack_kpi_ids(result: KpiResult) -> list[str]:
    """The KPIs of the pack's one table: the north stars, then :data:`PACK_KPIS`."""
    stars = north_star(result)
    ns = list(stars["kpi"]) if not stars.empty else []
    more = (*PACK_KPIS, *GO_TO_MARKET_KPIS, "nps") if go_to_market_only(result) else PACK_KPIS
    return ns + [k for k in dict.fromkeys(more) if k not in ns]


def _shown_rows(result: KpiResult, kpis: Sequence[str]) -> pd.DataFrame:
    """Rows with a value; in a segment pack also the blank rows whose note says why (a
    company-wide figure left out), so that a board sees what is missing and why."""
    rows = kpi_rows(result, kpis)
    if rows.empty:
        return rows
    keep = rows["value"].notna()
    if segment_value(result):
        keep |= rows["note"].map(lambda n: not is_blank(n) and bool(str(n).strip()))
    return rows[keep].reset_index(drop=True)


def pack_kpi_table(result: KpiResult) -> Styler:
    """The pack's one KPI table (:func:`pack_kpi_ids`), with the year-ago column."""
    rows = kpi_rows(result, pack_kpi_ids(result), keep_blank=False)
    return kpi_table(result, list(rows["kpi"]), year_ago=True).set_table_styles(_COMPACT_CSS, overwrite=False)


def blank_kpi_notes(result: KpiResult) -> None:
    """Under the KPI table: the pack's KPIs left blank, grouped by the reason their notes
    give (in a segment pack, the company-wide figures), one plain line per reason; and each
    change left out because the two periods were measured on different bases."""
    for line in _blank_reasons(result, pack_kpi_ids(result)) + _no_change_reasons(result, pack_kpi_ids(result)):
        note(line)


def _no_change_reasons(result: KpiResult, kpis: Sequence[str]) -> list[str]:
    """'Rule of 40: no change shown, the prior period used ARR growth.'"""
    rows = kpi_rows(result, kpis, keep_blank=False)
    return [
        f"{short_name(result, str(k))}: no change shown, {str(n).split(NO_CHANGE, 1)[1].strip()}"
        for k, n in zip(rows["kpi"], rows["note"], strict=False)
        if not is_blank(n) and NO_CHANGE in str(n)
    ]


def _blank_reasons(result: KpiResult, kpis: Sequence[str]) -> list[str]:
    """The blank ones of ``kpis`` grouped by the reason their notes give, one plain sentence
    per reason: 'CAC and burn multiple are not shown for SMB: ...'."""
    rows = kpi_rows(result, kpis)
    if rows.empty:
        return []
    blank = rows[rows["value"].isna()]
    reasons: dict[str, list[str]] = {}
    for k, n in zip(blank["kpi"], blank["note"], strict=False):
        reasons.setdefault("" if is_blank(n) else str(n).strip().rstrip("."), []).append(short_name(result, str(k)))
    return [reg.not_shown(_and(names), reason, plural=len(names) > 1) for reason, names in reasons.items()]


def pack_kpi_title(result: KpiResult) -> str:
    """'KPIs against their benchmarks: burn multiple and CAC payback amber; NRR ... green'."""
    phrase = _status_phrase(result, pack_kpi_ids(result))
    return page_title(
        result,
        f"KPIs against their benchmarks: {phrase}"
        if phrase
        else f"The KPIs of the {period_word(result)} against the prior {period_word(result)}",
    )


#: The executive summary's tiles when every north star is blank: a company that sent only
#: go-to-market exports (CRM, leads, traffic, NPS) sees what it did send.
GO_TO_MARKET_TILES = ("pipeline_created", "win_rate", "nps", "avg_deal_size", "visitors", "new_customers")


def go_to_market_only(result: KpiResult) -> bool:
    """True when no north star has a value but a go-to-market tile has."""
    ns = north_star(result)
    tiles = kpi_rows(result, GO_TO_MARKET_TILES, keep_blank=False)
    return not tiles.empty and (ns.empty or ns["value"].isna().all())


def _go_to_market_title(result: KpiResult) -> str:
    """'Go-to-market in Q1 2026: pipeline created $147k, win rate 50%, NPS 25'."""
    rows = kpi_rows(result, GO_TO_MARKET_TILES, keep_blank=False).head(3)
    said = [f"{_lower_first(short_name(result, str(k)))} {fmt_kpi(result, str(k))}" for k in rows["kpi"]]
    return page_title(result, f"Go-to-market in {period_label(result)}: {', '.join(said)}")


def summary_title(result: KpiResult) -> str:
    """The executive summary's title: the first north star's sentence, up to its first clause."""
    if go_to_market_only(result):
        return _go_to_market_title(result)
    sentences = narrative(result, "summary")
    return page_title(result, short(sentences[0], 80) if sentences else f"Executive summary, {period_label(result)}")


def summary_tiles(result: KpiResult) -> pd.DataFrame:
    """The executive summary's tiles: the north stars, then cash and runway when known."""
    ns = north_star(result)
    shown = set(ns["kpi"])
    cash = kpi_rows(result, [k for k in CASH_KPIS if k not in shown], keep_blank=False)
    rows = pd.concat([ns, cash], ignore_index=True) if not cash.empty else ns
    if go_to_market_only(result):
        rows = kpi_rows(result, GO_TO_MARKET_TILES, keep_blank=False)
    if not rows.empty:  # six tiles to a row: the short names fit a tile's width
        rows = rows.assign(label=[short_name(result, str(k)) for k in rows["kpi"]])
        if "note" in rows:  # a segment's long reason is in "What moved": the tile names it only
            rows["note"] = rows["note"].map(_tile_note)
    return rows


def _tile_note(n: object) -> object:
    """'Not shown for SMB: a company-wide figure (see What moved)' for a segment's blank."""
    text = "" if is_blank(n) else str(n)
    if text.startswith("Not shown for "):
        return text.split(":", 1)[0] + ": a company-wide figure (see What moved)."
    return n


def what_moved(result: KpiResult) -> None:
    """'What moved': one sentence per north star naming the KPI that explains its change."""
    sentences = narrative(result, "summary")
    if go_to_market_only(result):  # the blank north stars, one plain line per reason
        sentences = _blank_reasons(result, list(north_star(result)["kpi"]))
    if sentences:
        show_html("<p><strong>What moved</strong></p>\n" + bullets(sentences))


def summary_commentary(result: KpiResult) -> None:
    """The analyst's highlights, risks and asks (commentary blocks), each under its heading;
    one line saying where to write them when there are none."""
    blocks = commentary_sections(result)
    parts = [
        f"<p><strong>{esc(head)}</strong></p>\n{markdown(blocks[b])}" for b, head in SUMMARY_BLOCKS if blocks.get(b)
    ]
    if parts:
        show_html("<blockquote>\n" + "\n".join(parts) + "</blockquote>\n")


#: Page families whose commentary the "by area" page shows, with their headings.
AREA_BLOCKS = (
    ("revenue_quality", "Revenue quality"),
    ("unit_economics", "Unit economics and cash"),
    ("cohort_economics", "Retention"),
    ("kpi_hierarchy", "Go-to-market"),
)


def has_area_commentary(result: KpiResult) -> bool:
    blocks = commentary_sections(result)
    return any(blocks.get(b) for b, _ in AREA_BLOCKS)


def area_commentary_title(result: KpiResult) -> str:
    blocks = commentary_sections(result)
    names = [head.lower() for b, head in AREA_BLOCKS if blocks.get(b)]
    return page_title(result, f"The analyst's commentary by area: {'; '.join(names)}")


def area_commentary(result: KpiResult) -> None:
    """The analyst's commentary per page family, in two columns on one page."""
    blocks = commentary_sections(result)
    parts = [f"<p><strong>{esc(head)}</strong></p>\n{markdown(blocks[b])}" for b, head in AREA_BLOCKS if blocks.get(b)]
    if parts:
        show_html('<div class="bp-columns">\n' + "\n".join(parts) + "</div>\n")
