"""The portfolio summary: computed from the gathered KPIs, written as tables, printed as a PDF.

All computation is here; the summary notebook (``notebooks/portfolio/summary.ipynb``) only
draws what :func:`load_summary` reads back.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from reportlib import __version__
from reportlib import format as fmt
from reportlib import registry as reg
from reportlib._csvfiles import read_csv, write_csv
from reportlib._store import code_digest
from reportlib.params import WINDOWS, fiscal_period_end, period_label
from reportlib.portfolio.fx import FxTable
from reportlib.portfolio.gather import HISTORY_COLUMNS, text_column
from reportlib.registry import BANDS
from reportlib.render.export import assemble_pdf, export_pdfs
from reportlib.render.run import run_section
from reportlib.resources import notebooks_dir

__all__ = [
    "LEAGUE_KPIS",
    "MONEY_KPIS",
    "SCATTERS",
    "SUMMARY_NOTEBOOK",
    "SUM_KPIS",
    "TABLE_COLUMNS",
    "PortfolioSummary",
    "best_corner",
    "failures_title",
    "headline_title",
    "league_title",
    "load_summary",
    "render_summary",
    "scatter_caption",
    "scatter_title",
    "summarize",
    "write_summary_tables",
]

TABLE_COLUMNS = ["company", "segment", "status", "seconds", "reason"]
SUMMARY_NOTEBOOK = notebooks_dir() / "portfolio" / "summary.ipynb"

# the investor scatter plots: (x kpi, y kpi)
SCATTERS = [("arr_growth_yoy", "burn_multiple"), ("nrr", "grr"), ("magic_number", "cac_payback_months")]


def _bands() -> dict[str, tuple[float, float]]:
    """Benchmark bands drawn on the scatters, from the KPI registry: kpi -> (green edge,
    red edge); higher is better when the green edge is above the red one."""
    return {k: (r.bands.green, r.bands.amber) for k, r in BANDS.items() if r.bands.amber is not None}


MONEY_KPIS = frozenset(reg.ids_with_unit("currency"))
#: Summed over the companies; the ARR movements all of them, so that they add up to the
#: net new ARR above them.
SUM_KPIS = ["arr", "mrr", "net_new_arr", *reg.ARR_MOVEMENTS, "burn", "customers"]
_WIDE_KPIS = [
    "arr",
    "arr_growth_yoy",
    "burn_multiple",
    "nrr",
    "grr",
    "magic_number",
    "cac_payback_months",
    "runway_months",
]
#: columns of the league table after each company's north stars
LEAGUE_KPIS = ["arr_growth_yoy", "runway_months"]
#: a company is stale when its data ends more than this many months before the as-of
#: (or before the end of the fiscal period it reports, when that ends earlier)
STALE_AFTER_MONTHS = 1


@dataclass
class PortfolioSummary:
    """Everything the summary notebook draws.

    Attributes
    ----------
    as_of
        ``YYYY-MM`` of the summary.
    kpis
        ``portfolio_kpis.csv``: one row per company and KPI.
    companies
        One row per company: name, currency, stage, gtm, the scatter KPIs and their
        ``<kpi>_status``, ``arr_fund``, ``north_star``, ``behind``, ``behind_reasons``,
        ``last_month`` (the last month of its data), ``stale`` (data ending more than a
        month before ``as_of``, or before the end of the fiscal period the company reports),
        ``as_of`` and ``period`` (the period its figures are of: 'FY2027 Q2 (May–Jul 2026)')
        and ``other_period`` (that period is not the summary's).
    totals
        Sums: kpi, label, scope (``currency``: the companies reporting in that currency;
        ``fund``: every company converted with fx), currency, value, companies, note.
    runs
        The run table (company, segment, status, seconds, reason).
    fund_currency
        Currency of ``arr_fund`` and of the fund totals, ``None`` without fx.
    history
        Each company's north stars over its last four packs: company, as_of, kpi, value.
    period
        The summary's period: 'Q3 2026 (Jul–Sep 2026)' ("" when unknown).
    """

    as_of: str
    kpis: pd.DataFrame
    companies: pd.DataFrame
    totals: pd.DataFrame
    runs: pd.DataFrame
    fund_currency: str | None = None
    history: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=HISTORY_COLUMNS))
    scatters: list[tuple[str, str]] = field(default_factory=lambda: list(SCATTERS))
    bands: dict[str, tuple[float, float]] = field(default_factory=_bands)
    period: str = ""


def summarize(
    kpis: pd.DataFrame,
    meta: pd.DataFrame | None = None,
    fx: FxTable | None = None,
    as_of: str = "",
    runs: pd.DataFrame | None = None,
    history: pd.DataFrame | None = None,
    window: str = "quarter",
) -> PortfolioSummary:
    """Compute the summary from ``portfolio_kpis.csv`` rows.

    Parameters
    ----------
    kpis
        One row per company and KPI (:data:`KPI_COLUMNS`).
    meta
        Optional company, name, stage, gtm, ``last_month`` (of its data) and
        ``fiscal_start`` (its policy ``fiscal_year_start_month``) per company.
    fx
        Converts ARR and the sums to the fund currency, each figure at the rate of the month
        it is of (its row's ``as_of``).
    as_of
        The summary's month (``YYYY-MM``).
    runs
        The run table, passed through for the failures page.
    history
        :func:`reportlib.portfolio.gather.gather_history`, passed through.
    window
        The packs' window: a row whose ``as_of`` is not the summary's is of another period.

    Returns
    -------
    PortfolioSummary
    """
    months = WINDOWS.get(window, 3)
    kpis = _with_periods(kpis, as_of, months)
    companies = _companies_frame(kpis, meta)
    companies["stale"] = _stale(companies["last_month"], as_of, companies["fiscal_start"], months)
    companies["other_period"] = (companies["as_of"] != str(as_of)[:7]) & bool(as_of)  # no as-of: nothing to differ from
    companies["period"] = [
        _period_text(p, m, months) for p, m in zip(companies["period"], companies["as_of"], strict=True)
    ]
    others = {
        r.company: f"{r.name}'s figure is of {r.period}" for r in companies[companies["other_period"]].itertuples()
    }
    if fx is not None:
        companies["fx_rate"] = [fx.rate(c, m) for c, m in zip(companies["currency"], companies["as_of"], strict=True)]
        companies["arr_fund"] = companies["arr"] * companies["fx_rate"]
    return PortfolioSummary(
        as_of,
        kpis,
        companies,
        _totals(kpis, fx, others),
        runs if runs is not None else pd.DataFrame(columns=TABLE_COLUMNS),
        fx.fund_currency if fx else None,
        history if history is not None else pd.DataFrame(columns=HISTORY_COLUMNS),
        period=_period_text(period_label(as_of, months), str(as_of)[:7], months) if as_of else "",
    )


def _with_periods(kpis: pd.DataFrame, as_of: str, months: int) -> pd.DataFrame:
    """``kpis`` with every row's ``as_of`` and ``period`` filled: a row that does not say
    (a kpis.csv from before they were kept) is of the summary's own period."""
    kpis = kpis.copy()
    for col in ("as_of", "period"):
        kpis[col] = text_column(kpis[col]) if col in kpis else ""
    kpis["as_of"] = kpis["as_of"].str[:7].where(kpis["as_of"] != "", str(as_of)[:7])
    named = kpis["period"] != ""
    kpis["period"] = kpis["period"].where(named, [period_label(m, months) if m else "" for m in kpis["as_of"]])
    return kpis


def _period_text(label: str, as_of: str, months: int) -> str:
    """'FY2027 Q2 (May–Jul 2026)': a period's name and its months (the name alone when it
    already says them: 'Sep 2026', 'Aug 2026 – Oct 2026')."""
    if not as_of or months == 1 or " – " in label:
        return label
    end = pd.Period(as_of, freq="M")
    first = end - (months - 1)
    start = first.strftime("%b") if first.year == end.year else first.strftime("%b %Y")
    return f"{label} ({start}–{end.strftime('%b %Y')})"


def _stale(last_months: pd.Series, as_of: str, fiscal_starts: pd.Series, months: int) -> pd.Series:
    """Data ending before the month it should reach: :data:`STALE_AFTER_MONTHS` before the
    as-of month (2026-08 data in a 2026-10 summary is stale: 2 months; 2026-09 is not), or
    the end of the fiscal period the company reports when that is earlier (a February-year
    company reports May-Jul at 2026-09: data to 2026-07 is current, to 2026-06 stale)."""
    if not as_of:
        return pd.Series(False, index=last_months.index)
    end = pd.Period(str(as_of)[:7], freq="M")
    stale = []
    for last, start in zip(last_months, fiscal_starts, strict=True):
        period_end = fiscal_period_end(end, months, int(start)) if int(start) != 1 else end
        due = min(period_end, end - STALE_AFTER_MONTHS)
        stale.append(bool(last) and pd.Period(last, freq="M") < due)
    return pd.Series(stale, index=last_months.index)


def best_corner(x: str, y: str) -> str:
    """Where the better companies sit on a scatter of KPI ``x`` against ``y``, from each
    KPI's direction in the registry: x higher-is-better puts them right, y lower-is-better
    at the bottom (ARR growth vs burn multiple: 'bottom right')."""
    vertical = "top" if reg.get(y).direction == "higher" else "bottom"
    horizontal = "right" if reg.get(x).direction == "higher" else "left"
    return f"{vertical} {horizontal}"


def scatter_caption(x: str, y: str) -> str:
    """The sentence under a scatter's title: which corner is better and why, from the axes."""

    def side(kpi: str) -> str:
        return f"{'higher' if reg.get(kpi).direction == 'higher' else 'lower'} {reg.short_label(kpi)}"

    better = best_corner(x, y)
    opposite = " ".join({"top": "bottom", "bottom": "top", "left": "right", "right": "left"}[w] for w in better.split())
    return f"Better companies sit {better} ({side(x)}, {side(y)}); the {opposite} corner is the weakest on both."


def scatter_title(companies: pd.DataFrame, x: str, y: str) -> str:
    """A scatter page's title stating its message: which company leads on each axis.

    'Loopwise leads on ARR growth (YoY) at 117%, Meridian Analytics on burn multiple at 1.6x';
    'X leads on both NRR at 104% and GRR at 90%' when one company leads on both axes;
    'X and Y tie on ...' when they show the same best value. A plotted company that would
    lead but may not (stale, or not judged on the KPI) is named with why, so that the title
    never contradicts the chart. ``companies`` is :attr:`PortfolioSummary.companies`
    (``name`` and one column per KPI).
    """
    data = companies.dropna(subset=[x, y])
    label = {k: _in_sentence(reg.short_label(k)) for k in (x, y)}
    if data.empty:
        return f"{label[x]} vs {label[y]}: no company has both"
    (who_x, on_x, aside_x), (who_y, on_y, aside_y) = (_lead(data, k, label[k]) for k in (x, y))
    asides = list(dict.fromkeys(aside_x + aside_y))
    tail = f" ({'; '.join(asides)})" if asides else ""
    if len(data) == 1:
        return f"Only {who_x[0]} has both {on_x} and {on_y}"
    if who_x == who_y:
        return f"{_listed(who_x)} {_verb(who_x)} on both {on_x} and {on_y}{tail}"
    if _verb(who_x) == _verb(who_y):  # 'A leads on X, B on Y'; 'A and B tie on X, C and D on Y'
        return f"{_listed(who_x)} {_verb(who_x)} on {on_x}, {_listed(who_y)} on {on_y}{tail}"
    return f"{_listed(who_x)} {_verb(who_x)} on {on_x}, {_listed(who_y)} {_verb(who_y)} on {on_y}{tail}"


def _lead(data: pd.DataFrame, kpi: str, label: str) -> tuple[list[str], str, list[str]]:
    """Who leads the plotted ``data`` on ``kpi`` (several when they show the same best
    value: a tie), '<label> at <value>', and why each plotted company showing a better
    value does not lead ('Loopwise and Loopwise Feb at 1.7x: not judged')."""
    higher = reg.get(kpi).direction == "higher"
    rivals = _rivals(data, kpi)
    best = rivals[kpi].max() if higher else rivals[kpi].min()

    def shown(value: float) -> str:
        return fmt.value(value, reg.get(kpi).unit, context="text")

    leaders = [str(n) for n, v in zip(rivals["name"], rivals[kpi], strict=True) if shown(v) == shown(best)]
    better = data[~data.index.isin(rivals.index) & ((data[kpi] > best) if higher else (data[kpi] < best))]
    better = better[[shown(v) != shown(best) for v in better[kpi]]]
    groups: dict[tuple[str, str], list[str]] = {}
    for _, r in better.iterrows():
        groups.setdefault((shown(r[kpi]), _why_not_rival(r)), []).append(str(r["name"]))
    asides = [f"{_listed(names)} at {value}: {why}" for (value, why), names in groups.items()]
    return leaders, f"{label} at {shown(best)}", asides


def _why_not_rival(company: pd.Series) -> str:
    """Why a plotted company does not lead: its data is older, or the KPI is not judged for it."""
    return "older data" if bool(company.get("stale", False)) else "not judged"


def _verb(who: list[str]) -> str:
    return "tie" if len(who) > 1 else "leads"


def headline_title(summary: PortfolioSummary) -> str:
    """The first page's title: the portfolio's ARR and who is falling behind.

    'ARR €24.1M across 2 companies; Loopwise falling behind'. The ARR is the fund-currency
    sum with fx, else the one currency's; companies in several currencies without fx are
    counted, not summed.
    """
    n = len(summary.companies)
    arr = summary.totals[summary.totals["kpi"] == "arr"] if len(summary.totals) else summary.totals
    fund = arr[arr["scope"] == "fund"] if len(arr) else arr
    own = arr[arr["scope"] == "currency"] if len(arr) else arr
    row = fund.iloc[0] if len(fund) else own.iloc[0] if len(own) == 1 else None
    if row is not None and row["companies"] > 0:
        money = fmt.value(row["value"], "currency", row["currency"], context="text")
        counted = int(row["companies"])
        head = f"ARR {money} across " + (f"{counted} of {n} companies" if counted < n else _companies(n))
    else:
        currencies = summary.companies["currency"].nunique() if n else 0
        head = f"{_companies(n)} in {currencies} currencies" if currencies > 1 else _companies(n)
    behind = summary.companies.loc[summary.companies["behind"].astype(bool), "name"].astype(str).tolist() if n else []
    head += f"; {behind[0]} falling behind" if len(behind) == 1 else f"; {len(behind) or 'none'} falling behind"
    failed = int((summary.runs["status"] == "failed").sum()) if len(summary.runs) else 0
    return head + (f"; {failed} pack{'s' if failed > 1 else ''} failed" if failed else "")


def league_title(kpis: pd.DataFrame, companies: pd.DataFrame) -> str:
    """The league table's title: the companies with a north star below its benchmark.

    'Loopwise has a north star below benchmark: quick ratio'; 'No company has a north star
    below benchmark' (statuses of ``portfolio_kpis.csv``).
    """
    names = companies.set_index("company")["name"].astype(str).to_dict() if len(companies) else {}
    red = kpis[(kpis["tier"] == "north_star") & (text_column(kpis["status"]).str.lower() == "red")]
    red = red[red["company"].isin(names)]
    if red.empty:
        return "No company has a north star below benchmark"
    below = {
        names[c]: [_in_sentence(reg.short_label(k)) for k in g["kpi"]] for c, g in red.groupby("company", sort=False)
    }
    if len(below) == 1:
        ((name, stars),) = below.items()
        return f"{name} has a north star below benchmark: {_listed(stars)}"
    return f"{len(below)} companies have a north star below benchmark: {_listed(list(below))}"


def failures_title(runs: pd.DataFrame) -> str:
    """The failures page's title: '2 packs failed and are left out of this summary'."""
    failed = int((runs["status"] == "failed").sum()) if len(runs) else 0
    return f"{failed} pack{'s' if failed != 1 else ''} failed and {'are' if failed != 1 else 'is'} left out of this summary"


def _companies(n: int) -> str:
    return f"{n} compan{'ies' if n != 1 else 'y'}"


def _listed(items: list[str], most: int = 3) -> str:
    """'A', 'A and B', 'A, B and C', 'A, B, C and 2 more'."""
    if len(items) > most:
        return ", ".join(items[:most]) + f" and {len(items) - most} more"
    return " and ".join([", ".join(items[:-1]), items[-1]]) if len(items) > 1 else "".join(items)


def _rivals(data: pd.DataFrame, kpi: str) -> pd.DataFrame:
    """The companies that may lead on ``kpi``: not stale (an older month's figure does not
    lead this month's), and judged on it where some are (a product-led company's magic
    number, not judged, does not lead the sales-led ones'); all of them when that leaves none."""
    rivals = data
    if "stale" in rivals and not rivals["stale"].astype(bool).all():
        rivals = rivals[~rivals["stale"].astype(bool)]
    status = f"{kpi}_status"
    if status in rivals:
        judged = rivals[rivals[status].astype(str).str.strip() != ""]
        rivals = judged if len(judged) else rivals
    return rivals


def _in_sentence(name: str) -> str:
    """'Burn multiple' -> 'burn multiple' inside a sentence; 'NRR', 'CAC payback' stay."""
    return name[:1].lower() + name[1:] if name[1:2].islower() else name


def _companies_frame(kpis: pd.DataFrame, meta: pd.DataFrame | None) -> pd.DataFrame:
    order = list(dict.fromkeys(kpis["company"]))
    value = kpis.pivot_table(index="company", columns="kpi", values="value", aggfunc="first")
    status = kpis.assign(status=text_column(kpis["status"])).pivot_table(
        index="company", columns="kpi", values="status", aggfunc="first"
    )
    frame = pd.DataFrame({"company": order})
    first = kpis.groupby("company")
    frame["currency"] = frame["company"].map(first["currency"].first())
    frame["as_of"] = frame["company"].map(first["as_of"].first())
    frame["period"] = frame["company"].map(first["period"].first())
    for kpi in _WIDE_KPIS:
        frame[kpi] = frame["company"].map(value[kpi]) if kpi in value else math.nan
        frame[f"{kpi}_status"] = text_column(frame["company"].map(status[kpi])) if kpi in status else ""
    stars = kpis[kpis["tier"] == "north_star"].groupby("company")["kpi"].agg(",".join)
    frame["north_star"] = text_column(frame["company"].map(stars))
    if meta is not None and len(meta):
        frame = frame.merge(meta, on="company", how="left")
    for col, blank in (("name", None), ("last_month", ""), ("fiscal_start", 1)):
        if col not in frame:
            frame[col] = frame["company"] if blank is None else blank
    frame["name"] = frame["name"].fillna(frame["company"])
    frame["last_month"] = text_column(frame["last_month"])
    frame["fiscal_start"] = pd.to_numeric(frame["fiscal_start"], errors="coerce").fillna(1).astype(int)
    reasons = [_behind_reasons(kpis[kpis["company"] == c]) for c in frame["company"]]
    frame["behind_reasons"] = ["; ".join(r) for r in reasons]
    frame["behind"] = [bool(r) for r in reasons]
    return frame


def _behind_reasons(rows: pd.DataFrame) -> list[str]:
    """Why a company is falling behind: red statuses of its north stars and the scatter
    KPIs, and ARR shrinking year on year."""
    watched = set(rows.loc[rows["tier"] == "north_star", "kpi"]) | set(_WIDE_KPIS)
    reasons = [
        f"{r.label or r.kpi} below benchmark"
        for r in rows.itertuples()
        if r.kpi in watched and str(r.status).lower() == "red"
    ]
    growth = rows.loc[rows["kpi"] == "arr_growth_yoy", "value"]
    if len(growth) and pd.notna(growth.iloc[0]) and growth.iloc[0] < 0:
        reasons.append("ARR shrinking year on year")
    return reasons


def _totals(kpis: pd.DataFrame, fx: FxTable | None, others: dict[str, str]) -> pd.DataFrame:
    """Sums per currency and, with fx, in the fund currency; ``others`` (company -> 'X's
    figure is of <period>') notes the sums that mix another period's figures in."""
    rows = kpis[kpis["kpi"].isin(SUM_KPIS) & kpis["value"].notna()]
    labels = kpis.groupby("kpi")["label"].first()
    out = [
        {
            "kpi": k,
            "label": labels.get(k, k),
            "scope": "currency",
            "unit": reg.unit(k),
            "currency": ccy,
            "value": g["value"].sum(),
            "companies": len(g),
            "note": _mixed_periods_note(g, others),
        }
        for (k, ccy), g in rows.groupby(["kpi", "currency"], sort=False)
    ]
    if fx is not None:
        for k, g in rows.groupby("kpi", sort=False):
            out.append(_fund_total(k, labels.get(k, k), g, fx, others))
    frame = pd.DataFrame(out, columns=["kpi", "label", "scope", "unit", "currency", "value", "companies", "note"])
    frame["_order"] = frame["kpi"].map({k: i for i, k in enumerate(SUM_KPIS)})
    return (
        frame.sort_values(["_order", "scope", "currency"], kind="stable").drop(columns="_order").reset_index(drop=True)
    )


def _mixed_periods_note(rows: pd.DataFrame, others: dict[str, str]) -> str:
    """'mixes periods: Loopwise Feb's figure is of FY2027 Q2 (May–Jul 2026)' when the summed
    rows are of more than one period, naming those of another period than the summary's
    (``others``: company -> that sentence); "" when all are of one period."""
    if rows["as_of"].nunique() < 2:
        return ""
    told = [others[c] for c in dict.fromkeys(rows["company"]) if c in others]
    return "mixes periods: " + "; ".join(told) if told else ""


def _fund_total(kpi: str, label: str, rows: pd.DataFrame, fx: FxTable, others: dict[str, str]) -> dict:
    money = kpi in MONEY_KPIS
    rates = (
        pd.Series([fx.rate(c, m) for c, m in zip(rows["currency"], rows["as_of"], strict=True)], rows.index)
        if money
        else pd.Series(1.0, rows.index)
    )
    missing = rows[rates.isna()].drop_duplicates(["currency", "as_of"])
    note = "; ".join(
        [f"no fx rate for {r.currency} at {r.as_of}; left out" for r in missing.itertuples()]
        + [n for n in [_mixed_periods_note(rows[rates.notna()], others)] if n]
    )
    return {
        "kpi": kpi,
        "label": label,
        "scope": "fund",
        "unit": reg.unit(kpi),
        "currency": fx.fund_currency if money else "",
        "value": float((rows["value"] * rates).sum()),
        "companies": int(rates.notna().sum()),
        "note": note,
    }


_FILES = {
    "kpis": "portfolio_kpis.csv",
    "companies": "portfolio_companies.csv",
    "totals": "portfolio_totals.csv",
    "runs": "portfolio_runs.csv",
    "history": "portfolio_history.csv",
}


def write_summary_tables(summary: PortfolioSummary, folder: Path) -> Path:
    """The summary's tables and ``portfolio.json`` in ``folder``; returns ``portfolio_kpis.csv``."""
    for attr, name in _FILES.items():
        _atomic_csv(getattr(summary, attr), folder / name)
    meta = {"as_of": summary.as_of, "fund_currency": summary.fund_currency, "period": summary.period}
    (folder / "portfolio.json").write_text(json.dumps(meta, indent=2))
    return folder / _FILES["kpis"]


def _atomic_csv(df: pd.DataFrame, path: Path) -> None:
    tmp = path.with_suffix(".csv.tmp")
    write_csv(df, tmp)
    os.replace(tmp, path)


def load_summary(folder: str | Path) -> PortfolioSummary:
    """Read a portfolio summary folder (what the summary notebook draws).

    Parameters
    ----------
    folder
        ``<out>/portfolio/<as_of>``.

    Returns
    -------
    PortfolioSummary
    """
    folder = Path(folder)
    meta = json.loads((folder / "portfolio.json").read_text())
    frames = {attr: read_csv(folder / name, keep_default_na=False, na_values=[""]) for attr, name in _FILES.items()}
    for col in ("label", "tier", "unit", "benchmark", "status", "note", "as_of", "period"):
        if col in frames["kpis"]:  # a summary written before as_of and period were kept lacks them
            frames["kpis"][col] = text_column(frames["kpis"][col])
    comp = frames["companies"]
    for col in [c for c in comp.columns if c.endswith("_status")] + ["behind_reasons", "north_star", "last_month"]:
        comp[col] = text_column(comp[col])
    for col, blank in (("as_of", meta["as_of"]), ("period", ""), ("other_period", False)):
        comp[col] = comp[col] if col in comp else blank
    for col in ("segment", "reason"):
        frames["runs"][col] = text_column(frames["runs"][col])
    for col in ("note", "currency", "unit"):
        frames["totals"][col] = text_column(frames["totals"][col])
    frames["history"]["as_of"] = text_column(frames["history"]["as_of"])
    if "period" in frames["history"]:
        frames["history"]["period"] = text_column(frames["history"]["period"])
    return PortfolioSummary(
        meta["as_of"], fund_currency=meta.get("fund_currency"), period=meta.get("period", ""), **frames
    )


def _summary_hash(folder: Path) -> str:
    """What the summary PDF shows: the tables (of the run table only the failures, not
    the timings), the notebook, the package version and its code's digest (a fix of the
    summary's drawing makes it again, as it makes the packs again)."""
    h = hashlib.sha256()
    for name in ["portfolio.json", *(_FILES[k] for k in ("kpis", "companies", "totals", "history"))]:
        h.update((folder / name).read_bytes())
    runs = read_csv(folder / _FILES["runs"], keep_default_na=False)
    h.update(runs.loc[runs["status"] == "failed", ["company", "segment", "reason"]].to_csv().encode())
    h.update(SUMMARY_NOTEBOOK.read_bytes())
    h.update(__version__.encode() + b"\0" + code_digest().encode())
    return h.hexdigest()


def render_summary(folder: Path, as_of: str, force: bool) -> Path | None:
    """Run the summary notebook with papermill and print it with the pack's exporter.

    Skipped (the existing PDF returned) when the tables, notebook, package version and
    code are unchanged since the last summary, unless ``force``.
    """
    pdf, stamp = folder / "portfolio-summary.pdf", folder / "summary.sha256"
    digest = _summary_hash(folder)
    if not force and pdf.is_file() and stamp.is_file() and stamp.read_text() == digest:
        return pdf
    executed = folder / "notebooks" / SUMMARY_NOTEBOOK.name
    executed.parent.mkdir(exist_ok=True)
    run_section(SUMMARY_NOTEBOOK, executed, {"portfolio_dir": str(folder)}).raise_for_error()
    pages = export_pdfs([executed], folder / ".pdf-tmp", footer=False)
    try:
        assemble_pdf(
            pages,
            pdf,
            company="Portfolio summary",
            period=f"as of {period_label(as_of, 'month')}",
            bookmarks=["Portfolio summary"],
        )
    finally:
        for page in pages:
            page.unlink(missing_ok=True)
        (folder / ".pdf-tmp").rmdir()
    stamp.write_text(digest)
    return pdf
