"""Every company of a portfolio in parallel, then a portfolio summary.

:func:`run_portfolio` finds each company folder (a folder with ``company.toml``), makes its
board pack (and, with ``segments=True``, its configured segment packs) on a process pool,
a Dask cluster or any ``concurrent.futures.Executor``, and never lets one company's failure
stop the others. It then gathers every company's ``kpis.csv`` into
``<out>/portfolio/<as_of>/portfolio_kpis.csv`` and prints a summary PDF from
``notebooks/portfolio/summary.ipynb``: a league table of north stars, the scatter plots
investors read with benchmark bands, and the companies falling behind.

Values stay in each company's currency; an optional fx table (currency, month, rate to
the fund currency) converts the sums and the ARR axis. All computation is here; the
summary notebook only draws.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import sys
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from reportlib.portfolio._exec import Outcome, Pool, Task, run_tasks
from reportlib.portfolio._progress import Progress
from reportlib.exceptions import ConfigError, ParameterError
from reportlib import registry as reg
from reportlib.resources import notebooks_dir

__all__ = ["CompanyRun", "FxTable", "PortfolioResult", "PortfolioSummary", "find_companies",
           "load_fx", "load_summary", "run_portfolio", "summarize"]

KPI_COLUMNS = ["company", "currency", "kpi", "label", "tier", "value", "unit", "prior_value",
               "change", "benchmark", "status", "note"]
TABLE_COLUMNS = ["company", "segment", "status", "seconds", "reason"]
SUMMARY_NOTEBOOK = notebooks_dir() / "portfolio" / "summary.ipynb"

# the investor scatter plots: (x kpi, y kpi)
SCATTERS = [("arr_growth_yoy", "burn_multiple"), ("nrr", "grr"),
            ("magic_number", "cac_payback_months")]


def _bands() -> dict[str, tuple[float, float]]:
    """Benchmark bands drawn on the scatters, from the KPI registry: kpi -> (green edge,
    red edge); higher is better when the green edge is above the red one."""
    from reportlib.registry import BANDS as RULES

    return {k: (r.bands.green, r.bands.amber) for k, r in RULES.items() if r.bands.amber is not None}


MONEY_KPIS = frozenset(reg.ids_with_unit("currency"))
SUM_KPIS = ["arr", "mrr", "net_new_arr", "new_arr", "churned_arr", "burn", "customers"]
_WIDE_KPIS = ["arr", "arr_growth_yoy", "burn_multiple", "nrr", "grr", "magic_number",
              "cac_payback_months"]


# --------------------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class CompanyRun:
    """One company's (or segment's) pack in a portfolio run."""

    company: str
    segment: str
    status: str            # done | skipped | failed
    seconds: float
    reason: str = ""
    pdf: Path | None = None


@dataclass
class PortfolioResult:
    """What :func:`run_portfolio` did.

    Attributes
    ----------
    rows
        One :class:`CompanyRun` per pack, in discovery order.
    summary_pdf
        The portfolio summary PDF, or ``None`` when none could be made.
    kpis_csv
        ``portfolio_kpis.csv``, or ``None`` when no company finished.
    """

    rows: list[CompanyRun] = field(default_factory=list)
    summary_pdf: Path | None = None
    kpis_csv: Path | None = None
    summary_error: str = ""

    @property
    def ok(self) -> bool:
        """``True`` when no pack failed."""
        return all(r.status != "failed" for r in self.rows)

    def table(self) -> pd.DataFrame:
        """The final table: company, segment, status, seconds, reason."""
        return pd.DataFrame([[r.company, r.segment, r.status, round(r.seconds, 1), r.reason]
                             for r in self.rows], columns=TABLE_COLUMNS)


@dataclass(frozen=True)
class _Company:
    slug: str
    path: Path
    name: str
    currency: str
    stage: str
    gtm: str
    segments: tuple[tuple[str, str], ...]
    size: int = 0          # bytes of its input files: big companies are started first


# --------------------------------------------------------------------------------------
# the run


def run_portfolio(data_dir: str | Path, as_of: str | None = None, window: str = "quarter",
                  jobs: int | None = None, segments: bool = False, scheduler: str | None = None,
                  force: bool = False, out: str | Path = "reports",
                  fx: str | Path | pd.DataFrame | None = None, executor: Executor | None = None,
                  pack_fn: Callable[..., Any] | None = None, summary: bool = True,
                  progress: bool = True) -> PortfolioResult:
    """Make every company's board pack in parallel, then the portfolio summary.

    Parameters
    ----------
    data_dir
        Folder searched recursively for company folders (those with ``company.toml``).
    as_of, window
        Passed to every pack; ``as_of=None`` lets each company use its last month.
    jobs
        Workers of the default local process pool (default: one per core).
    segments
        Also make each company's ``[report] segments`` packs.
    scheduler
        Address of a Dask scheduler (``tcp://host:8786``): the packs run on its workers.
    force
        Remake packs whose parameters and inputs did not change (otherwise skipped).
    out
        Output folder; the summary goes to ``<out>/portfolio/<as_of>/``.
    fx
        CSV path or DataFrame of ``currency, month, rate`` to the fund currency.
    executor
        Any ``concurrent.futures.Executor`` to use instead (not shut down here).
    pack_fn
        The function making one pack (default :func:`reportlib.pack.build_pack`); it must
        be picklable for process and Dask executors.
    summary
        Print the summary PDF (the summary tables are always written).
    progress
        Show the progress bar (stderr) and print the final table (stdout).

    Returns
    -------
    PortfolioResult
        ``.ok`` is ``False`` when any pack failed.
    """
    data_dir, out = Path(data_dir).resolve(), Path(out).resolve()
    if not data_dir.is_dir():
        raise ParameterError(f"{data_dir} is not a folder")
    fx_table = load_fx(fx) if fx is not None else None
    companies = [_describe(p, data_dir) for p in find_companies(data_dir)]
    tasks = _tasks(companies, segments)
    params = {"as_of": as_of, "window": window, "out": str(out), "force": force}
    outcomes = _execute(tasks, params, pack_fn or _build_pack, executor, scheduler, jobs, progress)
    result = PortfolioResult(rows=[_row(t, outcomes[t.index]) for t in tasks])
    _summary_step(result, companies, tasks, outcomes, out, as_of, fx_table, force, summary)
    if progress:
        _print_table(result)
    return result


def find_companies(data_dir: str | Path) -> list[Path]:
    """Every folder under ``data_dir`` (itself included) holding a ``company.toml``.

    Returns
    -------
    list of Path
        Sorted by their path relative to ``data_dir``; hidden folders are left out.
    """
    root = Path(data_dir).resolve()
    found = [p.parent for p in root.rglob("company.toml")
             if not any(part.startswith(".") for part in p.relative_to(root).parts[:-1])]
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def _describe(path: Path, root: Path) -> _Company:
    from reportlib.inputs.config import load_config

    size = sum(f.stat().st_size for f in path.iterdir() if f.is_file())
    try:
        cfg = load_config(path)
    except ConfigError:  # the pack reports the problems as this company's failure
        return _Company(path.name, path, path.name, "", "", "", (), size)
    return _Company(path.name, path, cfg.name, cfg.currency, cfg.stage, cfg.gtm,
                    tuple(tuple(s) for s in cfg.segments), size)


def _tasks(companies: list[_Company], segments: bool) -> list[Task]:
    pairs = [(c, None) for c in companies]
    if segments:
        pairs = [(c, s) for c in companies for s in (None, *c.segments)]
    return [Task(i, c.slug, str(c.path), s, c.size) for i, (c, s) in enumerate(pairs)]


def _build_pack(company_dir: str, **kwargs: Any) -> Any:
    from reportlib.pack import build_pack

    return build_pack(company_dir, **kwargs)


def _execute(tasks, params, pack_fn, executor, scheduler, jobs, show) -> dict[int, Outcome]:
    if not tasks:
        return {}
    bar = Progress(len(tasks), enabled=show)
    pool = Pool(executor, scheduler, jobs)
    try:
        return run_tasks(pool, pack_fn, tasks, params, bar)
    finally:
        bar.close()
        pool.close()


def _row(task: Task, outcome: Outcome) -> CompanyRun:
    return CompanyRun(task.company, task.segment_label, outcome.status, outcome.seconds,
                      outcome.reason, Path(outcome.pdf) if outcome.pdf else None)


def _print_table(result: PortfolioResult) -> None:
    table = result.table()
    if table.empty:
        print("No company folders (with a company.toml) were found.")
        return
    print(_format_table(table))
    counts = table["status"].value_counts()
    print(", ".join(f"{n} {s}" for s, n in counts.items()))
    if result.summary_pdf:
        print(f"Portfolio summary: {result.summary_pdf}")
    elif result.summary_error:
        print(f"Portfolio summary not made: {result.summary_error}", file=sys.stderr)


def _format_table(table: pd.DataFrame) -> str:
    """The run table as plain text: text left-aligned, seconds right-aligned."""
    cells = table.assign(seconds=table["seconds"].map("{:.1f}".format)).astype(str)
    widths = {c: max(len(c), cells[c].str.len().max()) for c in cells.columns}
    def line(values: dict[str, str]) -> str:
        return "  ".join(values[c].rjust(widths[c]) if c == "seconds" else values[c].ljust(widths[c])
                         for c in cells.columns).rstrip()
    return "\n".join([line({c: c for c in cells.columns})]
                     + [line(row) for row in cells.to_dict("records")])


# --------------------------------------------------------------------------------------
# fx


@dataclass(frozen=True)
class FxTable:
    """Monthly rates from each currency to the fund currency.

    Attributes
    ----------
    rates
        ``currency`` (str), ``month`` (``period[M]``), ``rate`` (float): one unit of
        ``currency`` is worth ``rate`` units of the fund currency.
    fund_currency
        The currency the rates convert to.
    """

    rates: pd.DataFrame
    fund_currency: str

    def rate(self, currency: str, month: str | pd.Period) -> float:
        """The rate of ``month``, else of the latest month before it; NaN when none."""
        if currency == self.fund_currency:
            return 1.0
        month = pd.Period(month, "M")
        rows = self.rates[(self.rates["currency"] == currency) & (self.rates["month"] <= month)]
        return float(rows.sort_values("month")["rate"].iloc[-1]) if len(rows) else math.nan


def load_fx(source: str | Path | pd.DataFrame) -> FxTable:
    """Read an fx table: columns ``currency, month, rate`` (optional ``fund_currency``).

    The fund currency is the ``fund_currency`` column's value, else the one currency
    whose rates are all 1, else ``"FUND"``.

    Raises
    ------
    ParameterError
        Missing columns, months or rates that are not numbers, rates <= 0.
    """
    df = source.copy() if isinstance(source, pd.DataFrame) else _read_fx(Path(source))
    df.columns = [str(c).strip().lower() for c in df.columns]
    missing = {"currency", "month", "rate"} - set(df.columns)
    if missing:
        raise ParameterError(f"the fx table lacks column(s) {', '.join(sorted(missing))}; "
                             "it needs currency, month, rate")
    rates = pd.DataFrame({"currency": df["currency"].astype(str).str.strip().str.upper(),
                          "month": _fx_months(df["month"]),
                          "rate": pd.to_numeric(df["rate"], errors="coerce")})
    bad = rates.index[rates["rate"].isna() | (rates["rate"] <= 0)]
    if len(bad):
        raise ParameterError(f"the fx table has rates that are not positive numbers "
                             f"(row {int(bad[0]) + 2})")
    return FxTable(rates, _fund_currency(df, rates))


def _read_fx(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise ParameterError(f"fx table {path} does not exist")
    return pd.read_csv(path, dtype=str)


def _fx_months(col: pd.Series) -> pd.Series:
    try:
        return pd.to_datetime(col.astype(str).str.strip(), format="mixed").dt.to_period("M")
    except (ValueError, TypeError) as exc:
        raise ParameterError(f"the fx table has a month that is not a date: {exc}") from None


def _fund_currency(df: pd.DataFrame, rates: pd.DataFrame) -> str:
    if "fund_currency" in df.columns and df["fund_currency"].notna().any():
        return str(df["fund_currency"].dropna().iloc[0]).strip().upper()
    ones = rates.groupby("currency")["rate"].apply(lambda r: bool((r == 1).all()))
    return ones[ones].index[0] if ones.sum() == 1 else "FUND"


# --------------------------------------------------------------------------------------
# the summary: computation


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
        ``<kpi>_status``, ``arr_fund``, ``north_star``, ``behind`` and ``behind_reasons``.
    totals
        Sums: kpi, label, scope (``currency``: the companies reporting in that currency;
        ``fund``: every company converted with fx), currency, value, companies, note.
    runs
        The run table (company, segment, status, seconds, reason).
    fund_currency
        Currency of ``arr_fund`` and of the fund totals, ``None`` without fx.
    """

    as_of: str
    kpis: pd.DataFrame
    companies: pd.DataFrame
    totals: pd.DataFrame
    runs: pd.DataFrame
    fund_currency: str | None = None
    scatters: list[tuple[str, str]] = field(default_factory=lambda: list(SCATTERS))
    bands: dict[str, tuple[float, float]] = field(default_factory=_bands)


def summarize(kpis: pd.DataFrame, meta: pd.DataFrame | None = None, fx: FxTable | None = None,
              as_of: str = "", runs: pd.DataFrame | None = None) -> PortfolioSummary:
    """Compute the summary from ``portfolio_kpis.csv`` rows.

    Parameters
    ----------
    kpis
        One row per company and KPI (:data:`KPI_COLUMNS`).
    meta
        Optional company, name, stage, gtm per company.
    fx
        Converts ARR and the sums to the fund currency.
    as_of
        Month of the fx rates (``YYYY-MM``).
    runs
        The run table, passed through for the failures page.

    Returns
    -------
    PortfolioSummary
    """
    companies = _companies_frame(kpis, meta)
    if fx is not None:
        rates = [fx.rate(c, as_of) for c in companies["currency"]]
        companies["fx_rate"] = rates
        companies["arr_fund"] = companies["arr"] * companies["fx_rate"]
    return PortfolioSummary(as_of, kpis, companies, _totals(kpis, fx, as_of),
                            runs if runs is not None else pd.DataFrame(columns=TABLE_COLUMNS),
                            fx.fund_currency if fx else None)


def _companies_frame(kpis: pd.DataFrame, meta: pd.DataFrame | None) -> pd.DataFrame:
    order = list(dict.fromkeys(kpis["company"]))
    value = kpis.pivot_table(index="company", columns="kpi", values="value", aggfunc="first")
    status = kpis.assign(status=_text(kpis["status"])).pivot_table(
        index="company", columns="kpi", values="status", aggfunc="first")
    frame = pd.DataFrame({"company": order})
    frame["currency"] = frame["company"].map(kpis.groupby("company")["currency"].first())
    for kpi in _WIDE_KPIS:
        frame[kpi] = frame["company"].map(value[kpi]) if kpi in value else math.nan
        frame[f"{kpi}_status"] = _text(frame["company"].map(status[kpi])) if kpi in status else ""
    stars = kpis[kpis["tier"] == "north_star"].groupby("company")["kpi"].agg(",".join)
    frame["north_star"] = _text(frame["company"].map(stars))
    if meta is not None and len(meta):
        frame = frame.merge(meta, on="company", how="left")
    if "name" not in frame:
        frame["name"] = frame["company"]
    frame["name"] = frame["name"].fillna(frame["company"])
    reasons = [_behind_reasons(kpis[kpis["company"] == c]) for c in frame["company"]]
    frame["behind_reasons"] = ["; ".join(r) for r in reasons]
    frame["behind"] = [bool(r) for r in reasons]
    return frame


def _behind_reasons(rows: pd.DataFrame) -> list[str]:
    """Why a company is falling behind: red statuses of its north stars and the scatter
    KPIs, and ARR shrinking year on year."""
    watched = set(rows.loc[rows["tier"] == "north_star", "kpi"]) | set(_WIDE_KPIS)
    reasons = [f"{r.label or r.kpi} below benchmark"
               for r in rows.itertuples() if r.kpi in watched and str(r.status).lower() == "red"]
    growth = rows.loc[rows["kpi"] == "arr_growth_yoy", "value"]
    if len(growth) and pd.notna(growth.iloc[0]) and growth.iloc[0] < 0:
        reasons.append("ARR shrinking year on year")
    return reasons


def _totals(kpis: pd.DataFrame, fx: FxTable | None, as_of: str) -> pd.DataFrame:
    rows = kpis[kpis["kpi"].isin(SUM_KPIS) & kpis["value"].notna()]
    labels = kpis.groupby("kpi")["label"].first()
    out = [{"kpi": k, "label": labels.get(k, k), "scope": "currency", "currency": ccy,
            "value": g["value"].sum(),
            "companies": len(g), "note": ""}
           for (k, ccy), g in rows.groupby(["kpi", "currency"], sort=False)]
    if fx is not None:
        for k, g in rows.groupby("kpi", sort=False):
            out.append(_fund_total(k, labels.get(k, k), g, fx, as_of))
    frame = pd.DataFrame(out, columns=["kpi", "label", "scope", "currency", "value", "companies",
                                       "note"])
    frame["_order"] = frame["kpi"].map({k: i for i, k in enumerate(SUM_KPIS)})
    return frame.sort_values(["_order", "scope", "currency"], kind="stable").drop(columns="_order") \
        .reset_index(drop=True)


def _fund_total(kpi: str, label: str, rows: pd.DataFrame, fx: FxTable, as_of: str) -> dict:
    money = kpi in MONEY_KPIS or bool((rows["unit"] == "currency").any())
    rates = rows["currency"].map(lambda c: fx.rate(c, as_of)) if money else pd.Series(1.0, rows.index)
    missing = sorted(set(rows.loc[rates.isna(), "currency"]))
    note = f"no fx rate for {', '.join(missing)} at {as_of}; left out" if missing else ""
    return {"kpi": kpi, "label": label, "scope": "fund", "currency": fx.fund_currency if money else "",
            "value": float((rows["value"] * rates).sum()), "companies": int(rates.notna().sum()),
            "note": note}


# --------------------------------------------------------------------------------------
# the summary: files


def _summary_step(result: PortfolioResult, companies: list[_Company], tasks: list[Task],
                  outcomes: dict[int, Outcome], out: Path, as_of: str | None,
                  fx: FxTable | None, force: bool, pdf: bool) -> None:
    finished = {t.company: outcomes[t.index] for t in tasks
                if t.segment is None and outcomes[t.index].status != "failed"
                and outcomes[t.index].folder}
    if not finished:
        result.summary_error = "no company pack finished"
        return
    month = str(as_of)[:7] if as_of else max(Path(o.folder).name[:7] for o in finished.values())
    by_slug = {c.slug: c for c in companies}
    kpis = gather_kpis({s: Path(o.folder) for s, o in finished.items()},
                       {s: by_slug[s].currency for s in finished})
    folder = out / "portfolio" / month
    folder.mkdir(parents=True, exist_ok=True)
    meta = pd.DataFrame([{"company": c.slug, "name": c.name, "stage": c.stage, "gtm": c.gtm}
                         for c in companies if c.slug in finished])
    summary = summarize(kpis, meta, fx, month, result.table())
    result.kpis_csv = _write_summary_tables(summary, folder)
    if not pdf:
        return
    try:
        result.summary_pdf = _render_summary(folder, month, force)
    except Exception as exc:  # the companies' packs stand even when the summary fails
        from reportlib.portfolio._exec import reason_of

        result.summary_error = reason_of(exc)


def gather_kpis(folders: dict[str, Path], currencies: dict[str, str]) -> pd.DataFrame:
    """Stack each company's ``kpis.csv`` into the ``portfolio_kpis.csv`` frame.

    Parameters
    ----------
    folders
        Company slug -> pack folder.
    currencies
        Company slug -> reporting currency.

    Returns
    -------
    pandas.DataFrame
        :data:`KPI_COLUMNS`, companies in the given order.
    """
    frames = []
    for slug, folder in folders.items():
        path = folder / "kpis.csv"
        if not path.is_file():
            continue
        df = pd.read_csv(path, keep_default_na=False, na_values=[""])
        df.insert(0, "company", slug)
        df.insert(1, "currency", currencies.get(slug, ""))
        frames.append(df.reindex(columns=KPI_COLUMNS))
    if not frames:
        return pd.DataFrame(columns=KPI_COLUMNS)
    kpis = pd.concat(frames, ignore_index=True)
    for col in ("value", "prior_value", "change"):
        kpis[col] = pd.to_numeric(kpis[col], errors="coerce")
    for col in ("label", "tier", "unit", "benchmark", "status", "note"):
        kpis[col] = _text(kpis[col])
    return kpis


def _text(col: pd.Series) -> pd.Series:
    """A text column with blanks as ``""`` (whatever dtype pandas read it as)."""
    return col.astype(object).where(col.notna(), "").astype(str)


_FILES = {"kpis": "portfolio_kpis.csv", "companies": "portfolio_companies.csv",
          "totals": "portfolio_totals.csv", "runs": "portfolio_runs.csv"}


def _write_summary_tables(summary: PortfolioSummary, folder: Path) -> Path:
    for attr, name in _FILES.items():
        _atomic_csv(getattr(summary, attr), folder / name)
    meta = {"as_of": summary.as_of, "fund_currency": summary.fund_currency}
    (folder / "portfolio.json").write_text(json.dumps(meta, indent=2))
    return folder / _FILES["kpis"]


def _atomic_csv(df: pd.DataFrame, path: Path) -> None:
    tmp = path.with_suffix(".csv.tmp")
    df.to_csv(tmp, index=False)
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
    frames = {attr: pd.read_csv(folder / name, keep_default_na=False, na_values=[""])
              for attr, name in _FILES.items()}
    for col in ("label", "tier", "unit", "benchmark", "status", "note"):
        frames["kpis"][col] = _text(frames["kpis"][col])
    comp = frames["companies"]
    for col in [c for c in comp.columns if c.endswith("_status")] + ["behind_reasons", "north_star"]:
        comp[col] = _text(comp[col])
    for col in ("segment", "reason"):
        frames["runs"][col] = _text(frames["runs"][col])
    frames["totals"]["note"] = _text(frames["totals"]["note"])
    return PortfolioSummary(meta["as_of"], fund_currency=meta.get("fund_currency"), **frames)


# --------------------------------------------------------------------------------------
# the summary: PDF


def _summary_hash(folder: Path) -> str:
    """What the summary PDF shows: the tables (of the run table only the failures, not
    the timings), the notebook and the package version."""
    from reportlib import __version__

    h = hashlib.sha256()
    for name in ["portfolio.json", *(_FILES[k] for k in ("kpis", "companies", "totals"))]:
        h.update((folder / name).read_bytes())
    runs = pd.read_csv(folder / _FILES["runs"], keep_default_na=False)
    h.update(runs.loc[runs["status"] == "failed", ["company", "segment", "reason"]].to_csv().encode())
    h.update(SUMMARY_NOTEBOOK.read_bytes())
    h.update(__version__.encode())
    return h.hexdigest()


def _render_summary(folder: Path, as_of: str, force: bool) -> Path | None:
    """Run the summary notebook with papermill and print it with the pack's exporter.

    Skipped (the existing PDF returned) when the tables, notebook and package version
    are unchanged since the last summary, unless ``force``.
    """
    pdf, stamp = folder / "portfolio-summary.pdf", folder / "summary.sha256"
    digest = _summary_hash(folder)
    if not force and pdf.is_file() and stamp.is_file() and stamp.read_text() == digest:
        return pdf
    from reportlib.params import period_label
    from reportlib.render.export import assemble_pdf, export_pdfs
    from reportlib.render.run import run_section

    executed = folder / "notebooks" / SUMMARY_NOTEBOOK.name
    executed.parent.mkdir(exist_ok=True)
    run_section(SUMMARY_NOTEBOOK, executed, {"portfolio_dir": str(folder)}).raise_for_error()
    pages = export_pdfs([executed], folder / ".pdf-tmp", footer=False)
    try:
        assemble_pdf(pages, pdf, company="Portfolio summary", period=f"as of {period_label(as_of, 'month')}",
                     bookmarks=["Portfolio summary"])
    finally:
        for page in pages:
            page.unlink(missing_ok=True)
        (folder / ".pdf-tmp").rmdir()
    stamp.write_text(digest)
    return pdf

