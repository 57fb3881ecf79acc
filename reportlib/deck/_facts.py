"""Facts about a KPI result the pages read: its company, period, KPI rows and tables.

Behind :mod:`reportlib.deck.report`, which the notebooks import.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from reportlib import format as F
from reportlib import params
from reportlib import registry as reg
from reportlib.deck._load import SegmentParam
from reportlib.inputs import Company
from reportlib.inputs.config import CONFIG_FILE, INPUT_NAMES
from reportlib.kpis import KpiResult
from reportlib.params import parse_segment
from reportlib.values import is_blank


def company_of(result: KpiResult) -> Company:
    """The (segmented) company the result is of."""
    return result.company


def currency(result: KpiResult) -> str:
    return result.company.config.currency


def company_name(result: KpiResult) -> str:
    return result.company.config.name or result.company.slug


def window_months(result: KpiResult) -> int:
    return result.window.months


def period_word(result: KpiResult) -> str:
    return params.PERIOD_WORDS.get(window_months(result), "period")


def period_label(result: KpiResult) -> str:
    """The period's one label (:attr:`reportlib.metrics.periods.Window.label`): 'Q3 2026',
    'Sep 2026', or 'FY2027 Q1' under a fiscal year off January."""
    return result.window.label


def segment_label(result: KpiResult, segment: SegmentParam = "") -> str:
    seg = parse_segment(segment) if segment else result.segment
    if not seg:
        return "All customers"
    key, value = seg
    return f"{str(key).replace('_', ' ').capitalize()}: {value}"


def has_input(result: KpiResult, name: str) -> bool:
    return result.company.has(name)


def has_revenue(result: KpiResult) -> bool:
    """Whether the company sent a revenue input (MRR, contracts or transactions): a folder of
    go-to-market exports only has no revenue pages (its KPI table says why)."""
    return bool(result.company.revenue_source())


def table(result: KpiResult, name: str) -> pd.DataFrame:
    """A table of the result (empty DataFrame when absent)."""
    t = result.tables.get(name)
    return pd.DataFrame() if t is None else t


def has_table(result: KpiResult, name: str, columns: Sequence[str] | None = None) -> bool:
    """True when the table exists and holds at least one number (in ``columns`` when
    given: a tier table of a company whose revenue is not split by tier is all blanks)."""
    t = table(result, name)
    if t.empty:
        return False
    if columns is not None:
        t = t[list(columns)]
    num = t.select_dtypes("number")
    return num.empty or bool(num.notna().any().any())


def kpi_row(result: KpiResult, kpi: str) -> dict[str, Any]:
    """The kpis.csv row of one KPI as a dict (a blank row with a note when absent)."""
    ids = result.kpis["kpi"].tolist()  # a list lookup: a mask over the string column costs more
    if kpi in ids:
        return result.kpis.iloc[ids.index(kpi)].to_dict()
    return {
        "kpi": kpi,
        "label": _label(kpi),
        "tier": "",
        "value": float("nan"),
        "unit": _unit(kpi),
        "prior_value": float("nan"),
        "change": float("nan"),
        "benchmark": "",
        "status": "",
        "note": "not computed",
    }


def kpi_value(result: KpiResult, kpi: str) -> float:
    return kpi_row(result, kpi).get("value")


def kpi_rows(
    result: KpiResult, kpis: Iterable[str] | None = None, tier: str | None = None, keep_blank: bool = True
) -> pd.DataFrame:
    """Rows of kpis.csv in the order asked, with ``change_yoy`` / ``year_ago`` (the north
    stars' change against and value a year earlier; blank for the other KPIs)."""
    df = result.kpis
    if tier is not None:
        df = df[df["tier"] == tier]
    if kpis is not None:  # by position: a label lookup on the string column costs ~3 ms a call
        where = {k: i for i, k in enumerate(df["kpi"])}
        df = df.iloc[[where[k] for k in kpis if k in where]]
    if not keep_blank:
        df = df[df["value"].notna()]
    yoy = {e.kpi: e.change_year_ago for e in result.explanations}
    return df.assign(
        year_ago=[_plain(result.year_ago.get(k)) for k in df["kpi"]],
        change_yoy=[_plain(yoy.get(k)) for k in df["kpi"]],
    ).reset_index(drop=True)


def north_star(result: KpiResult) -> pd.DataFrame:
    """North-star rows in the company's order."""
    order = result.north_star
    if not order:
        return kpi_rows(result, tier="north_star")
    kpis = result.kpis
    present = list(kpis.loc[kpis["tier"] == "north_star", "kpi"])
    return kpi_rows(result, [k for k in order if k in present] + [k for k in present if k not in order])


def _plain(v: object) -> float | None:
    return None if is_blank(v) else float(v)


def _label(kpi: str) -> str:
    return reg.REGISTRY[kpi].label if kpi in reg.REGISTRY else kpi.replace("_", " ").capitalize()


def _unit(kpi: str) -> str:
    return reg.REGISTRY[kpi].unit if kpi in reg.REGISTRY else ""


def fmt_kpi(result: KpiResult, kpi: str) -> str:
    """A KPI's value formatted for its unit and the company's currency."""
    r = kpi_row(result, kpi)
    return F.value(r.get("value"), r.get("unit"), currency(result))


def sparklines(result: KpiResult) -> dict[str, pd.Series]:
    """Monthly history for the tiles' sparklines: ARR (and MRR) follow the closing MRR of
    ``mrr_bridge`` (the same shape), the last 24 months."""
    b = table(result, "mrr_bridge")
    if b.empty:
        return {}
    arr = pd.Series(b["closing_mrr"].to_numpy(dtype=float), index=b["month"]).tail(24)
    return {"arr": arr, "mrr": arr}


def notes_list(result: KpiResult) -> list[str]:
    """The run's notes as the data-quality page lists them, the inputs not given in one
    sentence: a line each ("No leads input: add [inputs.leads] to company.toml for ...")
    pushed the page onto a second one for a company that sends its billing alone."""
    company = result.company
    if company is None:
        return list(result.notes)
    lines = {company.missing_note(name): name for name in INPUT_NAMES}
    missing = [lines[n] for n in result.notes if n in lines]
    if len(missing) < 2:
        return list(result.notes)
    named = ", ".join(missing[:-1]) + f" or {missing[-1]}"
    return [n for n in result.notes if n not in lines] + [
        f"No {named} input: their pages are left out (add each under [inputs.<name>] in {CONFIG_FILE}; "
        "kpis.csv says which KPIs each would give)."
    ]


def first_table(result: KpiResult, *names: str) -> pd.DataFrame:
    """The first non-empty table among ``names``."""
    for n in names:
        t = table(result, n)
        if not t.empty:
            return t
    return pd.DataFrame()


def short_name(result: KpiResult, kpi: str) -> str:
    return reg.SHORT_LABELS.get(kpi) or str(kpi_row(result, kpi).get("label") or _label(kpi))


def as_of(result: KpiResult) -> pd.Period:
    """The report's as-of month (a ``pd.Period``), e.g. for marking a quarter still running."""
    return result.window.as_of


def alerts(result: KpiResult) -> list[str]:
    return list(result.alerts)


def tables_like(result: KpiResult, prefix: str) -> dict[str, pd.DataFrame]:
    """Non-empty tables whose name starts with ``prefix`` (e.g. 'pipeline_by_')."""
    return {n: t for n, t in result.tables.items() if n.startswith(prefix) and not t.empty}


def segment_value(result: KpiResult) -> str:
    """The segment a segment pack is about ("" in a company pack)."""
    return "" if result.segment is None else str(result.segment[1])
