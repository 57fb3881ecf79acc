"""What the section notebooks call: load the KPI result, and present it.

Notebooks never compute. They call :func:`load_report` for the :class:`~reportlib.kpis.
KpiResult` (read from the pack's cache when the pack runner already computed it, else
computed), draw with :mod:`reportlib.deck.charts`, and use the helpers here for page titles,
narrative, the analyst's commentary, formatted tables and "this section needs a ... file"
notes. Everything here is presentation: picking rows, formatting numbers, choosing words.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display
from matplotlib.figure import Figure
from pandas.io.formats.style import Styler

from reportlib import format as F
from reportlib import params
from reportlib import registry as reg
from reportlib.deck import _style as S
from reportlib.deck import charts
from reportlib.deck._html import bullets, esc, escaped_styler, markdown, paragraph, show_html
from reportlib.inputs import Company
from reportlib.inputs.commentary import BLOCKS, commentary_blocks
from reportlib.kpis import KpiResult, compute_kpis
from reportlib.metrics import parse_window
from reportlib.params import parse_compare, parse_segment  # noqa: F401  (used by the notebooks too)
from reportlib.resources import notebooks_dir
from reportlib.values import is_blank

try:  # crisp figures in Jupyter; outside IPython there is nothing to configure
    from matplotlib_inline.backend_inline import set_matplotlib_formats
except ImportError:  # pragma: no cover - an optional extra of the notebook kernel
    set_matplotlib_formats = None

#: A papermill parameter: "" means "the default".
Param = str | None

CACHE_DIR = "_cache"
CACHE_FILE = "kpi_result.pkl"
CACHE_VERSION = 1

#: Blocks of the pack the commentary's headings can name (see reportlib.inputs.commentary).
SECTIONS = BLOCKS
_NOTEBOOKS_DIR = notebooks_dir()


# ---------------------------------------------------------------------------------------
# parameters and loading
# ---------------------------------------------------------------------------------------
def resolve_company_dir(company_dir: str | Path) -> Path:
    """An absolute company folder. A relative path is tried against the working directory,
    then against the repository's ``notebooks/`` folder (the notebooks' defaults are written
    relative to it, e.g. ``../data/meridian``)."""
    p = Path(company_dir).expanduser()
    if p.is_absolute():
        return p
    for base in (Path.cwd(), _NOTEBOOKS_DIR):
        cand = (base / p).resolve()
        if cand.exists():
            return cand
    return (Path.cwd() / p).resolve()


def cache_key(
    company_dir: str | Path,
    as_of: Param = None,
    window: str = "quarter",
    segment: str | tuple[str, str] | None = "",
    compare: str | tuple[str, tuple[str, str]] | None = "",
) -> dict[str, Any]:
    """The parameters a cached result must match (normalised)."""
    return {
        "company_dir": str(resolve_company_dir(company_dir)),
        "as_of": None if as_of in (None, "") else str(as_of),
        "window": str(window or "quarter"),
        "segment": parse_segment(segment),
        "compare": parse_compare(compare),
    }


def cache_path(output_dir: str | Path) -> Path:
    return Path(output_dir) / CACHE_DIR / CACHE_FILE


def write_cache(
    result: KpiResult,
    output_dir: str | Path,
    company_dir: str | Path,
    as_of: Param = None,
    window: str = "quarter",
    segment: str | tuple[str, str] | None = "",
    compare: str | tuple[str, tuple[str, str]] | None = "",
) -> Path:
    """Pickle ``result`` with its parameters to ``output_dir/_cache/kpi_result.pkl`` (for the
    pack runner: the section notebooks then read it instead of recomputing)."""
    path = cache_path(output_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "version": CACHE_VERSION,
        "params": cache_key(company_dir, as_of, window, segment, compare),
        "result": result,
    }
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        pickle.dump(payload, fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)
    return path


def _cached(output_dir: str | Path | None, key: dict[str, Any]) -> KpiResult | None:
    if not output_dir:
        return None
    path = cache_path(output_dir)
    if not path.is_file():
        return None
    try:
        with open(path, "rb") as fh:
            payload = pickle.load(fh)
    except Exception:  # noqa: BLE001  - a stale or foreign cache is recomputed, never trusted
        return None
    if isinstance(payload, KpiResult):  # a bare result: check what it says about itself
        return payload if _result_matches(payload, key) else None
    if not (isinstance(payload, Mapping) and isinstance(payload.get("result"), KpiResult)):
        return None
    params = dict(payload.get("params") or {})
    result = payload["result"]
    cached = {k: params.get(k) for k in key}
    want = dict(key)
    # the runner may cache with the resolved as-of while notebooks pass "" (default)
    if want["as_of"] is None or cached["as_of"] is None:
        want["as_of"] = cached["as_of"] = None
    elif str(want["as_of"])[:7] == str(result.window.as_of)[:7]:
        cached["as_of"] = want["as_of"]
    if all(_same_tuple(cached[k], want[k]) for k in want):
        return result
    return None


def _result_matches(result: KpiResult, key: Mapping[str, Any]) -> bool:
    """A bare cached result matches when its company folder, as-of month, window length,
    segment and comparison are the ones asked for."""
    return (
        str(Path(result.company.path).resolve()) == key["company_dir"]
        and (not key["as_of"] or str(key["as_of"])[:7] == str(result.window.as_of)[:7])
        and result.window.months == parse_window(key["window"])
        and _same_tuple(result.segment, key["segment"])
        and _same_tuple(result.compare, key["compare"])
    )


def _flat(x: object) -> object:
    return tuple(_flat(i) for i in x) if isinstance(x, (list, tuple)) else x


def _same_tuple(a: object, b: object) -> bool:
    return _flat(a) == _flat(b)


def load_report(
    company_dir: str | Path,
    as_of: Param = None,
    window: str = "quarter",
    segment: str | tuple[str, str] | None = "",
    compare: str | tuple[str, tuple[str, str]] | None = "",
    output_dir: str | Path | None = "",
) -> KpiResult:
    """The :class:`~reportlib.kpis.KpiResult` of a company for the given parameters.

    When ``output_dir`` holds ``_cache/kpi_result.pkl`` written for the same parameters
    (:func:`write_cache`), that result is returned; otherwise it is computed with
    :func:`reportlib.kpis.compute_kpis`. Parameters are the notebooks' papermill
    parameters: strings, ``""`` meaning "default"."""
    key = cache_key(company_dir, as_of, window, segment, compare)
    result = _cached(output_dir, key)
    if result is None:
        result = compute_kpis(
            key["company_dir"], as_of=key["as_of"], window=key["window"], segment=key["segment"], compare=key["compare"]
        )
    S.Theme.from_fund(result.company.config.fund).apply()  # the fund's colours and font
    return result


def setup() -> None:
    """Board-deck style for charts and crisp figures in the exported pages."""
    charts.apply_board_style()
    if set_matplotlib_formats is not None:
        try:
            set_matplotlib_formats("svg")
        except Exception:  # noqa: BLE001  - outside IPython there is nothing to configure
            pass
    pd.set_option("display.max_columns", 30)


# ---------------------------------------------------------------------------------------
# facts about the result
# ---------------------------------------------------------------------------------------
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
    """The period's one label (:func:`reportlib.params.period_label`): 'Q3 2026', 'Sep 2026'."""
    return params.period_label(result.window.as_of, result.window.months)


def segment_label(result: KpiResult, segment: str | tuple[str, str] | None = "") -> str:
    seg = parse_segment(segment) if segment else result.segment
    if not seg:
        return "All customers"
    key, value = seg
    return f"{str(key).replace('_', ' ').capitalize()}: {value}"


def has_input(result: KpiResult, name: str) -> bool:
    return result.company.has(name)


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
    hit = result.kpis[result.kpis["kpi"] == kpi]
    if not hit.empty:
        return hit.iloc[0].to_dict()
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
    if kpis is not None:
        order = [k for k in kpis if k in set(df["kpi"])]
        df = df.set_index("kpi").loc[order].reset_index()
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
    rows = kpi_rows(result, tier="north_star")
    if order and not rows.empty:
        rows = kpi_rows(
            result, [k for k in order if k in set(rows["kpi"])] + [k for k in rows["kpi"] if k not in order]
        )
    return rows


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


# ---------------------------------------------------------------------------------------
# words: titles, narrative, commentary, notes
# ---------------------------------------------------------------------------------------
def narrative(result: KpiResult, section: str) -> list[str]:
    """The generated sentences of one section of the pack (none when it has none)."""
    return [s for s in result.narrative.get(section, []) if s.strip()]


def short(sentence: str, limit: int = 90) -> str:
    """A sentence short enough for a slide title: up to its first ';' (or ':') when it is
    longer than ``limit`` characters, without the final full stop."""
    s = sentence.strip().rstrip(".")
    if len(s) <= limit:
        return s
    for sep in ("; ", ": ", ", while "):
        head = s.split(sep)[0]
        if 20 <= len(head) <= limit:
            return head
    return s


def headline(result: KpiResult, section: str, fallback: str) -> str:
    """The page title of a section's first page: its first narrative sentence (shortened
    for a title), else ``fallback``."""
    s = narrative(result, section)
    return short(s[0]) if s else fallback


#: Old section ids that name a commentary block of the pack.
_BLOCK_OF_SECTION = {"summary": "highlights"}


def commentary_sections(result: KpiResult) -> dict[str, str]:
    """The analyst's commentary of one pack, block id -> text
    (:func:`reportlib.inputs.commentary.commentary_blocks`): the as-of month's
    ``commentary/<YYYY-MM>.md`` when there is one, else ``commentary.md``; in a segment pack
    only the headings that name its segment, in a company pack only those that name none."""
    return commentary_blocks(result.company.path, as_of(result), segment_value(result))


def commentary(result: KpiResult, section: str) -> str:
    """The analyst's commentary for one block of the pack ("" when there is none): highlights
    (the ``summary`` heading), risks, asks, or a page family (revenue_quality, ...)."""
    return commentary_sections(result).get(_BLOCK_OF_SECTION.get(section, section), "")


def _kicker(section: str, result: KpiResult | None = None) -> str:
    """The small line above a section's first title: 'Appendix · Meridian · Q3 2026'."""
    kicker = reg.SECTION_TITLES.get(section, section)
    if result is not None:
        kicker += f" · {company_name(result)} · {period_label(result)}"
    return paragraph(kicker, "bp-muted")


def title(text: str, section: str | None = None, result: KpiResult | None = None) -> None:
    """Show a slide title (a level-2 heading starts a page in the exported deck). With
    ``section`` (a section's first page) a small line naming the section comes first."""
    show_html((_kicker(section, result) if section else "") + f"<h2>{esc(text)}</h2>\n")


def section_intro(result: KpiResult, section: str, fallback: str | None = None, title: str | None = None) -> None:
    """First page of a section: a small line naming the section, the title (``title``, else
    the first narrative sentence, else ``fallback``), the other sentences as bullets and the
    analyst's commentary for the section.

    The section line comes before the heading in the same output, so the heading is not
    the first thing of the section's document and no blank page is forced before it."""
    sentences = narrative(result, section)
    if title:
        head, rest = title, sentences
    else:
        head = short(sentences[0]) if sentences else (fallback or reg.SECTION_TITLES.get(section, section))
        rest = sentences if sentences and head != sentences[0].strip().rstrip(".") else sentences[1:]
    show_html(_kicker(section, result) + f"<h2>{esc(head)}</h2>\n" + (bullets(rest) if rest else ""))
    show_commentary(result, section)


def show_commentary(result: KpiResult, section: str) -> None:
    """The analyst's commentary for ``section`` as a quote: Markdown, raw HTML shown as text."""
    text = commentary(result, section)
    if text:
        show_html(f"<blockquote>\n<p><strong>Analyst commentary</strong></p>\n{markdown(text)}</blockquote>\n")


def note(text: str) -> None:
    """A one-line muted note on the page."""
    show_html(paragraph(text, "bp-note"))


def show_text(text: str) -> None:
    """Markdown text (raw HTML shown as text, no images)."""
    show_html(markdown(text))


def needs(result: KpiResult, inputs: str | Sequence[str], what: str, any_of: bool = False) -> bool:
    """True when the company has the input(s) ``what`` needs; otherwise shows the one-line
    note saying which file would enable it and returns False."""
    names = [inputs] if isinstance(inputs, str) else list(inputs)
    present = [has_input(result, n) for n in names]
    ok = any(present) if any_of else all(present)
    if not ok:
        missing = [n for n, p in zip(names, present, strict=False) if not p]
        note(f"{what} is left out: it {reg.needs_text(names if any_of else missing, 'or' if any_of else 'and')}.")
    return ok


# ---------------------------------------------------------------------------------------
# tables
# ---------------------------------------------------------------------------------------
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
    period = period_word(result)
    out = pd.DataFrame(
        {
            "KPI": rows.get("label", rows.get("kpi", pd.Series(dtype=str))),
            "Value": [F.value(v, u, cur) for v, u in zip(rows["value"], rows["unit"], strict=False)]
            if not rows.empty
            else [],
            f"Prior {period}": [F.value(v, u, cur) for v, u in zip(rows["prior_value"], rows["unit"], strict=False)]
            if not rows.empty
            else [],
            "Change": [F.change(v, u, cur) for v, u in zip(rows["change"], rows["unit"], strict=False)]
            if not rows.empty
            else [],
        }
    )
    if year_ago and not rows.empty:
        out["A year ago"] = [F.value(v, u, cur) for v, u in zip(rows["year_ago"], rows["unit"], strict=False)]
    if not rows.empty:
        out["Benchmark"] = ["" if is_blank(b) else str(b) for b in rows["benchmark"]]
        out["Status"] = [S.STATUS_LABELS[S.status_key(s)] if S.status_key(s) else "" for s in rows["status"]]
        out["Note"] = ["" if is_blank(n) else str(n) for n in rows["note"]]
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


def show(obj: Figure | Styler | pd.DataFrame) -> None:
    """Display a figure or a table and release the figure."""
    display(obj)
    if isinstance(obj, Figure):
        plt.close(obj)


# ---------------------------------------------------------------------------------------
# cover and appendix facts
# ---------------------------------------------------------------------------------------
def cover_facts(
    result: KpiResult,
    segment: str | tuple[str, str] | None = "",
    compare: str | tuple[str, tuple[str, str]] | None = "",
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


def notes_list(result: KpiResult) -> list[str]:
    return list(result.notes)


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


# ---------------------------------------------------------------------------------------
# page helpers: titles and the data behind particular charts (selection, no arithmetic)
# ---------------------------------------------------------------------------------------
def sentence(result: KpiResult, section: str, contains: str | Sequence[str], fallback: str) -> str:
    """The first narrative sentence of ``section`` containing one of ``contains`` (case
    insensitive), without its final full stop; ``fallback`` when none does."""
    keys = [contains] if isinstance(contains, str) else list(contains)
    # the section's first sentence is already its first page's title
    for s in narrative(result, section)[1:]:
        if any(k.lower() in s.lower() for k in keys):
            return short(s, 110)
    return fallback


def first_table(result: KpiResult, *names: str) -> pd.DataFrame:
    """The first non-empty table among ``names``."""
    for n in names:
        t = table(result, n)
        if not t.empty:
            return t
    return pd.DataFrame()


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
    moves = []
    for k, word, sign in (
        ("new_arr", "new", "+"),
        ("expansion_arr", "expansion", "+"),
        ("churned_arr", "churn", "−"),
        ("contraction_arr", "contraction", "−"),
    ):
        v = kpi_value(result, k)
        if not is_blank(v) and float(v) != 0:
            moves.append(f"{sign}{F.money(abs(float(v)), cur)} {word}")
    if moves:
        parts.append(", ".join(moves[:3]))
    return f"{parts[0]} in {period_label(result)}" + (f": {parts[1]}" if len(parts) > 1 else "")


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


def short_name(result: KpiResult, kpi: str) -> str:
    return reg.SHORT_LABELS.get(kpi) or str(kpi_row(result, kpi).get("label") or _label(kpi))


def _and(names: Sequence[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


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


def as_of(result: KpiResult) -> pd.Period:
    """The report's as-of month (a ``pd.Period``), e.g. for marking a quarter still running."""
    return result.window.as_of


# ---------------------------------------------------------------------------------------
# product usage and NPS
# ---------------------------------------------------------------------------------------
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


def alerts(result: KpiResult) -> list[str]:
    return list(result.alerts)


def show_alerts(result: KpiResult, empty: str = "") -> None:
    items = alerts(result)
    if items:
        show_html(bullets(f"⚠ {a}" for a in items))
    elif empty:
        note(empty)


def show_bullets(items: Iterable[str]) -> None:
    items = [str(i) for i in items if str(i).strip()]
    if items:
        show_html(bullets(items))


def cover(
    result: KpiResult,
    segment: str | tuple[str, str] | None = "",
    compare: str | tuple[str, tuple[str, str]] | None = "",
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


#: KPIs of the two-segment comparison page: growth, retention and what a customer pays.
#: S&M-based KPIs are left out (financials are company-wide, so they are blank or the
#: same for both segments).
COMPARE_KPIS = (
    "arr",
    "customers",
    "new_arr",
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
        order = [k for k in kpis if k in set(t["kpi"])]
        t = t.set_index("kpi").loc[order].reset_index()
    sides = list(result.compare[1])
    return t[t[sides].notna().any(axis=1)].reset_index(drop=True)


def compare_segments(result: KpiResult, compare: str | tuple[str, tuple[str, str]] | None = "") -> list[str]:
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
    compare: str | tuple[str, tuple[str, str]] | None = "",
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


def compare_cohorts_title(result: KpiResult, compare: str | tuple[str, tuple[str, str]] | None = "") -> str:
    """'SMB vs Enterprise cohorts: GRR 64% vs 96%, logo churn 5.8% vs 0.0%'."""
    return compare_title(result, compare, (("grr", "GRR"), ("logo_churn_rate", "logo churn")), "cohorts")


def tables_like(result: KpiResult, prefix: str) -> dict[str, pd.DataFrame]:
    """Non-empty tables whose name starts with ``prefix`` (e.g. 'pipeline_by_')."""
    return {n: t for n, t in result.tables.items() if n.startswith(prefix) and not t.empty}


def missing_notes(result: KpiResult, wanted: Sequence[tuple[str | Sequence[str], str]]) -> None:
    """One line per part of a section the inputs do not enable: ``wanted`` is a list of
    (input or inputs of which any enables it, what it is)."""
    for inputs, what in wanted:
        names = [inputs] if isinstance(inputs, str) else list(inputs)
        if not any(has_input(result, n) for n in names):
            note(f"{what} is left out: it {reg.needs_text(names, 'or')}.")


def kpi_note(result: KpiResult, kpi: str, what: str) -> None:
    """The note of a blank KPI as the reason a chart is left out."""
    n = kpi_row(result, kpi).get("note")
    note(f"{what} is left out: {'' if is_blank(n) else n}.")


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


# ---------------------------------------------------------------------------------------
# the pack's pages: what each page shows and the sentence that titles it
# ---------------------------------------------------------------------------------------
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
#: The executive summary's tiles after the north stars.
CASH_KPIS = ("cash_balance", "runway_months")
#: The KPIs judged on the unit-economics page.
UNIT_ECONOMICS_KPIS = ("ltv_cac", "cac_payback_months", "magic_number", "burn_multiple", "rule_of_40")
#: The commentary blocks of the executive summary, with their headings on the page.
SUMMARY_BLOCKS = (("highlights", "Highlights"), ("risks", "Risks"), ("asks", "Asks of the board"))


def segment_value(result: KpiResult) -> str:
    """The segment a segment pack is about ("" in a company pack)."""
    return "" if result.segment is None else str(result.segment[1])


def page_title(result: KpiResult, text: str) -> str:
    """A page's title; in a segment pack it names the segment first, so that no number on
    the page reads as the company's ("Enterprise: ARR grew 9% ...")."""
    seg = segment_value(result)
    return f"{seg}: {text}" if seg and not text.startswith(f"{seg}:") else text


def _said(result: KpiResult, kpi: str) -> str:
    """A KPI's value as a sentence writes it ('10.8 days', '49,049')."""
    r = kpi_row(result, kpi)
    return F.value(r.get("value"), r.get("unit"), currency(result), context="text")


def _name(result: KpiResult, kpi: str) -> str:
    """A KPI's short name inside a sentence: lower case unless it starts with an acronym."""
    name = short_name(result, kpi)
    return name if name[:2].isupper() else name[:1].lower() + name[1:]


def pack_kpi_ids(result: KpiResult) -> list[str]:
    """The KPIs of the pack's one table: the north stars, then :data:`PACK_KPIS`."""
    ns = list(north_star(result)["kpi"]) if not north_star(result).empty else []
    return ns + [k for k in PACK_KPIS if k not in ns]


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
    give (in a segment pack, the company-wide figures), one plain line per reason."""
    rows = kpi_rows(result, pack_kpi_ids(result))
    if rows.empty:
        return
    blank = rows[rows["value"].isna()]
    reasons: dict[str, list[str]] = {}
    for k, n in zip(blank["kpi"], blank["note"], strict=False):
        reasons.setdefault("" if is_blank(n) else str(n).strip().rstrip("."), []).append(short_name(result, str(k)))
    for reason, names in reasons.items():
        note(f"Left blank: {_and(names)}" + (f" ({reason})." if reason else "."))


#: A page-long table (the KPIs, the definitions): smaller type, so that it fits one page.
_COMPACT_CSS = [{"selector": "td, th", "props": "font-size: 10pt; padding: 0.025in 0.1in;"}]


def _status_phrase(result: KpiResult, kpis: Sequence[str]) -> str:
    """'Burn multiple and CAC payback amber; NRR, LTV:CAC and magic number green', worst first."""
    rows = kpi_rows(result, kpis, keep_blank=False)
    by_status: dict[str, list[str]] = {}
    for k, st in zip(rows.get("kpi", []), rows.get("status", []), strict=False):
        key = S.status_key(st)
        if key:
            by_status.setdefault(key, []).append(_name(result, str(k)))
    return "; ".join(f"{_and(by_status[st])} {st}" for st in ("red", "amber", "green") if by_status.get(st))


def pack_kpi_title(result: KpiResult) -> str:
    """'KPIs against their benchmarks: burn multiple and CAC payback amber; NRR ... green'."""
    phrase = _status_phrase(result, pack_kpi_ids(result))
    return page_title(
        result,
        f"KPIs against their benchmarks: {phrase}"
        if phrase
        else f"The KPIs of the {period_word(result)} against the prior {period_word(result)}",
    )


def summary_title(result: KpiResult) -> str:
    """The executive summary's title: the first north star's sentence, up to its first clause."""
    sentences = narrative(result, "summary")
    return page_title(result, short(sentences[0], 80) if sentences else f"Executive summary, {period_label(result)}")


def summary_tiles(result: KpiResult) -> pd.DataFrame:
    """The executive summary's tiles: the north stars, then cash and runway when known."""
    ns = north_star(result)
    cash = kpi_rows(result, [k for k in CASH_KPIS if k not in set(ns.get("kpi", []))], keep_blank=False)
    rows = pd.concat([ns, cash], ignore_index=True) if not cash.empty else ns
    if not rows.empty:  # six tiles to a row: the short names fit a tile's width
        rows = rows.assign(label=[short_name(result, str(k)) for k in rows["kpi"]])
    return rows


def what_moved(result: KpiResult) -> None:
    """'What moved': one sentence per north star naming the KPI that explains its change."""
    sentences = narrative(result, "summary")
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
    """'CARR €20.8M → ARR €19.5M; revenue €4.9M and billings €4M in the quarter'."""
    cur = currency(result)
    v = {k: kpi_value(result, k) for k in ("carr", "arr", "revenue", "billings", "bookings")}
    head = " → ".join(
        f"{short_name(result, k)} {F.money(v[k], cur, context='text')}" for k in ("carr", "arr") if not is_blank(v[k])
    )
    flows = [
        f"{w} {F.money(v[k], cur, context='text')}"
        for k, w in (("revenue", "revenue"), ("billings", "billings"), ("bookings", "bookings"))
        if not is_blank(v[k])
    ]
    tail = f"{_and(flows)} in the {period_word(result)}" if flows else ""
    return page_title(result, "; ".join(p for p in (head, tail) if p) or "Contracted ARR, ARR, revenue and billings")


def quick_ratio_title(result: KpiResult) -> str:
    """'Quick ratio 5.6x: MRR added per MRR lost; 2 of the last 13 quarters below green'."""
    t = table(result, "mrr_drivers")
    below = int(sum(S.status_key(s) in ("amber", "red") for s in t.get("status", [])))
    tail = f"; {below} of the last {len(t)} quarters below green" if len(t) else ""
    value = "" if is_blank(kpi_value(result, "quick_ratio")) else f" {fmt_kpi(result, 'quick_ratio')}"
    return page_title(result, f"Quick ratio{value}: MRR added per MRR lost{tail}")


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


def funnel_title(result: KpiResult) -> str:
    """'Of 49,049 visitors, 54 became customers; revenue per lead €1.8k, 10.8 days to PQL'."""
    t = table(result, "funnel")
    if t.empty:
        return page_title(result, "The customer journey this period")
    first, last = t.iloc[0], t.iloc[-1]
    head = (
        f"Of {F.number(first['count'], context='text')} {str(first['stage']).replace('_', ' ')} this "
        f"{period_word(result)}, {F.number(last['count'], context='text')} became "
        f"{str(last['stage']).replace('_', ' ')}s"
    )
    extra = [
        f"{_name(result, k)} {_said(result, k)}"
        for k in ("revenue_per_lead", "time_to_pql_days")
        if not is_blank(kpi_value(result, k))
    ]
    return page_title(result, head + (f"; {', '.join(extra)}" if extra else ""))


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
    extra = [
        f"{_name(result, k)} {_said(result, k)}"
        for k in ("avg_deal_size", "sales_cycle_days")
        if not is_blank(kpi_value(result, k))
    ]
    return page_title(result, head + (f"; {', '.join(extra)} overall" if extra else ""))


def pacing_title(result: KpiResult) -> str:
    """'Against target this quarter: 1 of 4 behind pace (partner pipeline)'."""
    t = table(result, "pipeline_pacing")
    if t.empty:
        return page_title(result, "Leading indicators against target")
    behind = t[t["status"].astype(str) == "behind"]
    names = [str(d).split("=", 1)[-1] for d in behind.get("dimension", [])]
    tail = f" ({_and(names)})" if names else ""
    return page_title(
        result, f"Against target, paced for the {period_word(result)}: {len(behind)} of {len(t)} behind pace{tail}"
    )


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
    return t[[pair in keep for pair in zip(t["kpi"], t["policy"], strict=False)]].reset_index(drop=True)


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


def policy_words(policy: str) -> str:
    return POLICY_WORDS.get(policy, "the " + policy.replace("_", " "))


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


RECONCILIATION_GAP = 0.05


def reconciliation_rows(result: KpiResult, max_rows: int = 12) -> pd.DataFrame:
    """The largest gaps between sources first (those above 5% lead)."""
    t = table(result, "reconciliation")
    if t.empty:
        return t
    order = t["relative"].abs().sort_values(ascending=False, na_position="last").index
    return t.loc[order].head(max_rows).reset_index(drop=True)


def reconciliation_title(result: KpiResult) -> str:
    """'Revenue: contracts vs financials within 5% in all 36 months; bookings: opportunities vs
    contracts above 5% in 13 of 13' (the pairs with gaps first)."""
    t = table(result, "reconciliation")
    if t.empty:
        return page_title(result, "No two sources to reconcile")
    parts = []
    for (a, b, kpi), g in t.groupby(["source_a", "source_b", "kpi"], sort=False):
        big = int((g["relative"].abs() > RECONCILIATION_GAP).sum())
        what = f"{kpi.replace('_', ' ')} in {a} vs {b}"
        parts.append(
            (
                -big,
                f"{what} differs by over 5% in {big} of {len(g)} periods"
                if big
                else f"{what} agrees within 5% in all {len(g)} periods",
            )
        )
    parts.sort(key=lambda p: p[0])
    text = "; ".join(p[1] for p in parts[:2])
    return page_title(result, text[:1].upper() + text[1:])


def reconciliation_table(result: KpiResult) -> Styler:
    t = reconciliation_rows(result)
    return styled(
        t[["source_a", "source_b", "period", "kpi", "value_a", "value_b", "difference", "relative"]],
        {"value_a": "money", "value_b": "money", "difference": "money", "relative": "pct"},
        result,
        labels={"source_a": "Source A", "source_b": "Source B", "value_a": "A", "value_b": "B", "relative": "Gap"},
    )


def restatements_title(result: KpiResult) -> str:
    said = narrative(result, "restatements_title")
    return page_title(result, said[0] if said else "Restated since the last pack")


def restatements_table(result: KpiResult) -> Styler:
    t = table(result, "restatements")
    return styled(t.head(12), {"reported_before": "number", "now": "number", "change": "number"}, result)


def definitions_for_pages(result: KpiResult) -> pd.DataFrame:
    """Definitions of the KPIs on the pack's pages only (those of its KPI table)."""
    d = definitions_table(result)
    labels = {_label(k) for k in _shown_rows(result, pack_kpi_ids(result))["kpi"]}
    return d[d["kpi"].isin(labels)].reset_index(drop=True)


#: Sections whose small kicker line was shown (one notebook runs in one kernel).
_KICKED: set[str] = set()


def page(result: KpiResult, text: str, section: str) -> None:
    """A page's title; the first page a section shows also gets the small line naming the
    section (whichever of its pages the inputs let through first)."""
    first = section not in _KICKED
    _KICKED.add(section)
    title(text, section if first else None, result if first else None)


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


def data_quality_title(result: KpiResult) -> str:
    """'Data quality: 3 warnings in the inputs; the policies in force' or 'all checks passed'."""
    n = len(warnings_table(result))
    shown = f" ({min(n, 3)} shown here, all in the validate report)" if n > 3 else ""
    head = (
        f"Data quality: {n} warning{'s' if n != 1 else ''} in the inputs{shown}"
        if n
        else "Data quality: all checks passed"
    )
    return f"The definitions' policies in force; {head[:1].lower()}{head[1:]}"


def compact(styler: Styler) -> Styler:
    """A page-long table in smaller type (:data:`_COMPACT_CSS`)."""
    return styler.set_table_styles(_COMPACT_CSS, overwrite=False)


def sensitivity_note(result: KpiResult) -> None:
    """On the appendix's policies page when no north star moves with a definition: one line
    saying so (the sensitivity page is then left out)."""
    if sensitivity_table(result).empty:
        note(
            "Definition sensitivity: no north star changes under the policies' alternative values "
            "in this pack, so there is no sensitivity page (sensitivity.csv)."
        )


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
