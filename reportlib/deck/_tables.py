"""Tables on the pages: KPI rows and any table formatted, with the cover's and appendix's facts.

Behind :mod:`reportlib.deck.report`, which the notebooks import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display
from matplotlib.figure import Figure
from pandas.io.formats.style import Styler

from reportlib import format as F
from reportlib import registry as reg
from reportlib.deck import _style as S
from reportlib.deck._facts import (
    _label,
    company_name,
    currency,
    kpi_rows,
    period_label,
    period_word,
    segment_label,
    table,
)
from reportlib.deck._html import esc, escaped_styler
from reportlib.deck._load import CompareParam, SegmentParam
from reportlib.kpis import NO_CHANGE, KpiResult
from reportlib.params import parse_compare
from reportlib.values import is_blank


def _status_css(status: str) -> str:
    """Inline CSS of a status cell, in the theme's status colour."""
    return f"color: {S.STATUS_COLORS[status]}; font-weight: 700;" if status in ("green", "amber", "red") else ""


def kpi_table(
    result: KpiResult,
    kpis: Iterable[str] | None = None,
    tier: str | None = None,
    keep_blank: bool = True,
    year_ago: bool = False,
) -> Styler:
    """A Styler of KPI rows: KPI, value, prior period, change, benchmark, status (coloured),
    note; numbers formatted for each KPI's unit."""
    rows = kpi_rows(result, kpis, tier, keep_blank)
    if not rows.empty:
        rows = rows.assign(label=[_table_label(r) for r in rows.to_dict("records")])
    cur = currency(result)
    # value, prior and change formatted together, so that the change shown is the shown
    # values' difference (F.footed)
    shown = (
        [
            F.footed(v, p, c, u, cur)
            for v, p, c, u in zip(rows["value"], rows["prior_value"], rows["change"], rows["unit"], strict=False)
        ]
        if not rows.empty
        else []
    )
    out = pd.DataFrame(
        {
            "KPI": rows["label"],
            "Value": [s[0] for s in shown],
            f"Prior {period_word(result)}": [s[1] for s in shown],
            "Change": [s[2] for s in shown],
        }
    )
    if year_ago and not rows.empty:
        out["A year ago"] = [F.value(v, u, cur) for v, u in zip(rows["year_ago"], rows["unit"], strict=False)]
    if not rows.empty:
        out["Benchmark"] = ["" if is_blank(b) else str(b) for b in rows["benchmark"]]
        out["Status"] = [S.STATUS_LABELS[S.status_key(s)] if S.status_key(s) else "" for s in rows["status"]]
        # a change left out between two bases is said under the table (_summary.blank_kpi_notes)
        out["Note"] = ["" if is_blank(n) else reg.plain_needs(str(n).split(NO_CHANGE)[0].strip()) for n in rows["note"]]
        if not any(out["Note"]):
            out = out.drop(columns="Note")
    statuses = [S.status_key(s) for s in rows["status"]] if not rows.empty else []
    sty = escaped_styler(out).hide(axis="index")
    if "Status" in out.columns:
        sty = sty.apply(lambda col: [_status_css(s) for s in statuses], subset=["Status"])
    sty = sty.set_properties(
        subset=["KPI"]
        + (["Benchmark", "Note"] if "Note" in out.columns else ["Benchmark"] if "Benchmark" in out.columns else []),
        **{"text-align": "left", "white-space": "normal"},
    )
    sty = sty.set_table_styles(
        {
            c: [{"selector": "th", "props": "text-align: left;"}]
            for c in ("KPI", "Benchmark", "Note")
            if c in out.columns
        }
    )
    return sty.set_table_styles(_TABLE_CSS, overwrite=False)


def _table_label(row: Mapping[str, Any]) -> str:
    """A KPI's label in a table; negative net MRR churn is named for what it is."""
    label = str(row.get("label") or _label(str(row.get("kpi"))))
    value = row.get("value")
    if row.get("kpi") == "net_mrr_churn_rate" and not is_blank(value) and float(value) < 0:
        return f"{label} (net negative churn)"
    return label


_TABLE_CSS = [
    {"selector": "td, th", "props": "font-size: 11.5pt; padding: 0.035in 0.12in;"},
    {"selector": "", "props": "min-width: 60%;"},
]
_FMT_KIND = {
    "money": "currency",
    "currency": "currency",
    "pct": "ratio",
    "ratio": "ratio",
    "count": "count",
    "number": "count",
    "multiple": "multiple",
    "months": "months",
    "days": "days",
}
#: Words that stay upper case in a column header.
_ACRONYMS = {
    "kpi": "KPI",
    "kpis": "KPIs",
    "arr": "ARR",
    "mrr": "MRR",
    "nrr": "NRR",
    "grr": "GRR",
    "carr": "CARR",
    "cac": "CAC",
    "ltv": "LTV",
    "arpa": "ARPA",
    "asp": "ASP",
    "nps": "NPS",
    "dau": "DAU",
    "mau": "MAU",
    "pql": "PQL",
    "pqls": "PQLs",
    "id": "ID",
    "yoy": "YoY",
    "ttm": "TTM",
    "s&m": "S&M",
    "csv": "CSV",
}


def header(column: object) -> str:
    """A column name as a table header: snake_case -> Sentence case, acronyms kept
    ('kpi' -> 'KPI', 'new_arr' -> 'New ARR')."""
    words = str(column).replace("_", " ").split(" ")
    out = []
    for i, w in enumerate(words):
        a = _ACRONYMS.get(w.lower())
        out.append(a if a else (w.capitalize() if i == 0 else w.lower() if w.islower() else w))
    return " ".join(out)


def styled(
    df: pd.DataFrame,
    formats: Mapping[str, str] | None = None,
    result: KpiResult | None = None,
    labels: Mapping[str, str] | None = None,
    max_rows: int = 14,
) -> Styler:
    """A Styler of any table: columns formatted by ``formats`` (column -> money / pct /
    count / multiple / months / days), index hidden, columns renamed by ``labels`` (else
    snake_case -> Sentence case), at most ``max_rows`` rows (a page holds about that many)."""
    cur = currency(result) if result is not None else None
    d = df.head(max_rows).copy()
    formats = dict(formats or {})
    fmt = {}
    for col, kind in formats.items():
        if col in d.columns:
            unit = _FMT_KIND.get(kind, kind)
            fmt[col] = (lambda u: lambda v: F.value(v, u, cur))(unit)
    for col in d.columns:
        if col not in fmt and pd.api.types.is_float_dtype(d[col]):
            fmt[col] = lambda v: F.number(v)
    names = {c: (labels or {}).get(c, header(c)) for c in d.columns}
    text_cols = [c for c in d.columns if c not in fmt and not pd.api.types.is_numeric_dtype(d[c])]
    sty = escaped_styler(d, fmt, na_rep="–").hide(axis="index")
    if text_cols:
        sty = sty.set_properties(subset=text_cols, **{"text-align": "left", "white-space": "normal"})
        sty = sty.set_table_styles({c: [{"selector": "th", "props": "text-align: left;"}] for c in text_cols})
    sty = sty.relabel_index([esc(names[c]) for c in d.columns], axis="columns")
    return sty.set_table_styles(_TABLE_CSS, overwrite=False)


def show(obj: Figure | Styler | pd.DataFrame | None) -> None:
    """Display a figure or a table and release the figure; None (a helper with nothing to
    show, e.g. :func:`sensitivity_values` under a tall chart) displays nothing."""
    if obj is None:
        return
    display(obj)
    if isinstance(obj, Figure):
        plt.close(obj)


def cover_facts(
    result: KpiResult,
    segment: SegmentParam = "",
    compare: CompareParam = "",
) -> pd.DataFrame:
    """The cover's facts: company, period, segment, currency, data as of, generated on."""
    cfg = result.company.config
    cmp = parse_compare(compare) if compare else None
    rows = [
        ("Company", company_name(result)),
        ("Period", f"{period_label(result)} ({period_word(result)} to {result.window.as_of})"),
        ("Customers", segment_label(result, segment)),
        ("Currency", currency(result)),
        ("Data as of", str(result.window.as_of)),
        ("Stage · go-to-market", f"{cfg.stage or ''} · {cfg.gtm or ''}"),
        ("Generated on", pd.Timestamp.now().strftime("%d %B %Y")),
    ]
    if cmp:
        rows.insert(3, ("Comparison", f"{cmp[1][0]} vs {cmp[1][1]} ({cmp[0]})"))
    return pd.DataFrame(rows, columns=["", " "])


def warnings_table(result: KpiResult) -> pd.DataFrame:
    """Data-quality warnings of the inputs: input, file, row, column, message."""
    rows = [
        {
            "input": p.input or "",
            "file": Path(p.file or "").name,
            "row": "" if p.row is None else str(p.row),
            "column": p.column or "",
            "warning": p.message,
        }
        for p in result.company.warnings
    ]
    return pd.DataFrame(rows, columns=["input", "file", "row", "column", "warning"])


def policies_table(result: KpiResult) -> pd.DataFrame:
    return pd.DataFrame(result.company.config.policies.describe(), columns=["policy", "value", "meaning"])


def definitions_table(result: KpiResult, section: str | None = None) -> pd.DataFrame:
    """KPI definitions (registry) for the KPIs present in the result, with their benchmark."""
    df = result.kpis
    rows = []
    bench = dict(zip(df["kpi"], df["benchmark"], strict=True))
    for k in df["kpi"]:
        spec = reg.REGISTRY.get(k)
        if spec is None:
            continue
        if section and spec.section != section:
            continue
        b = bench.get(k)
        rows.append({"kpi": spec.label, "definition": spec.definition, "benchmark": "" if is_blank(b) else str(b)})
    return pd.DataFrame(rows, columns=["kpi", "definition", "benchmark"])


def inputs_table(result: KpiResult) -> pd.DataFrame:
    """Inputs used: logical input, files, rows."""
    comp = result.company
    rows = [
        {"input": name, "files": ", ".join(Path(p).name for p in comp.sources.get(name, [])), "rows": len(frame)}
        for name, frame in comp.frames.items()
    ]
    return pd.DataFrame(rows, columns=["input", "files", "rows"])


def chunks(df: pd.DataFrame, size: int = 14) -> list[pd.DataFrame]:
    """Split a long table into page-sized pieces."""
    if df.empty:
        return []
    return [df.iloc[i : i + size] for i in range(0, len(df), size)]


def breakdown_table(result: KpiResult, dimension: str | None = None) -> Styler | None:
    """The granular view: revenue KPIs (rows) by each value of one dimension (columns),
    formatted; from the ``breakdowns`` table."""
    t = table(result, "breakdowns")
    if t.empty:
        return None
    dim = dimension or str(t["dimension"].iloc[0])
    t = t[t["dimension"] == dim]
    cur = currency(result)
    t = t.assign(shown=[F.value(v, u, cur) for v, u in zip(t["value"], t["unit"], strict=False)])
    wide = t.pivot_table(
        index=["kpi", "label"], columns="segment", values="shown", aggfunc="first", sort=False
    ).reset_index()
    order = list(dict.fromkeys(t["kpi"]))
    wide = wide.set_index("kpi").loc[order].reset_index().drop(columns="kpi")
    wide.columns.name = None
    wide = wide.rename(columns={"label": "KPI"})
    return (
        escaped_styler(wide)
        .hide(axis="index")
        .set_properties(subset=["KPI"], **{"text-align": "left"})
        .set_table_styles(_TABLE_CSS)
    )


def breakdown_dimensions(result: KpiResult) -> list[str]:
    t = table(result, "breakdowns")
    if t.empty:
        return []
    # a dimension with a single value (e.g. one currency) splits nothing
    return [str(d) for d in dict.fromkeys(t["dimension"]) if t.loc[t["dimension"] == d, "segment"].nunique() > 1]


#: A page-long table (the KPIs, the definitions): smaller type, so that it fits one page.
_COMPACT_CSS = [{"selector": "td, th", "props": "font-size: 10pt; padding: 0.025in 0.1in;"}]


def compact(styler: Styler) -> Styler:
    """A page-long table in smaller type (:data:`_COMPACT_CSS`)."""
    return styler.set_table_styles(_COMPACT_CSS, overwrite=False)
