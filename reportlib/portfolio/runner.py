"""Running a portfolio: every company's pack in parallel, then the portfolio summary.

:func:`run_portfolio` finds each company folder (a folder with ``company.toml``), makes its
board pack (and, with ``segments=True``, its configured segment packs) on a process pool,
a Dask cluster or any ``concurrent.futures.Executor``, and never lets one company's failure
stop the others. It then gathers every company's ``kpis.csv`` into
``<out>/portfolio/<as_of>/portfolio_kpis.csv`` and prints a summary PDF from
``notebooks/portfolio/summary.ipynb``: a league table of north stars, the scatter plots
investors read with benchmark bands, and the companies falling behind.

Values stay in each company's currency; an optional fx table (currency, month, rate to
the fund currency) converts the sums and the ARR axis.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from reportlib._terminal import terminal_text
from reportlib.exceptions import ParameterError
from reportlib.kpis.excel import write_workbook
from reportlib.portfolio._exec import Outcome, Pool, Task, pack_in_worker_session, reason_of, run_tasks
from reportlib.portfolio._progress import Progress
from reportlib.portfolio.companies import FundCompany, describe_company, find_companies, pack_tasks
from reportlib.portfolio.fx import FxTable, load_fx
from reportlib.portfolio.gather import fiscal_year_start, gather_history, gather_kpis, pack_data_last_month
from reportlib.portfolio.summary import TABLE_COLUMNS, render_summary, summarize, write_summary_tables

#: The portfolio's KPIs as formatted sheets, beside portfolio_kpis.csv.
PORTFOLIO_XLSX = "portfolio_kpis.xlsx"

__all__ = ["CompanyRun", "PortfolioResult", "run_portfolio"]


@dataclass(frozen=True)
class CompanyRun:
    """One company's (or segment's) pack in a portfolio run."""

    company: str
    segment: str
    status: str  # done | skipped | failed
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
        return pd.DataFrame(
            [[r.company, r.segment, r.status, round(r.seconds, 1), r.reason] for r in self.rows], columns=TABLE_COLUMNS
        )


def run_portfolio(
    data_dir: str | Path,
    as_of: str | None = None,
    window: str = "quarter",
    jobs: int | None = None,
    segments: bool = False,
    scheduler: str | None = None,
    force: bool = False,
    out: str | Path = "reports",
    fx: str | Path | pd.DataFrame | None = None,
    fund_currency: str | None = None,
    executor: Executor | None = None,
    pack_fn: Callable[..., Any] | None = None,
    summary: bool = True,
    progress: bool = True,
) -> PortfolioResult:
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
    fund_currency
        The fund's currency (``fund.toml``'s ``[fund] currency``) when the fx table has no
        ``fund_currency`` column (:func:`reportlib.portfolio.fx.load_fx`).
    executor
        Any ``concurrent.futures.Executor`` to use instead (not shut down here).
    pack_fn
        The function making one pack (default :func:`reportlib.pack.build_pack` in each
        worker's kept session, :func:`pack_in_worker_session`); it must be picklable for
        process and Dask executors.
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
    fx_table = load_fx(fx, fund_currency) if fx is not None else None
    companies = [describe_company(p, data_dir) for p in find_companies(data_dir)]
    tasks = pack_tasks(companies, segments)
    params = {"as_of": as_of, "window": window, "out": str(out), "force": force}
    outcomes = _execute(tasks, params, pack_fn or pack_in_worker_session, executor, scheduler, jobs, progress)
    result = PortfolioResult(rows=[_row(t, outcomes[t.index]) for t in tasks])
    _summary_step(result, companies, tasks, outcomes, out, (as_of, window), fx_table, force, summary, progress)
    if progress:
        _print_table(result)
    return result


def _execute(tasks, params, pack_fn, executor, scheduler, jobs, show) -> dict[int, Outcome]:
    if not tasks:
        return {}
    bar = Progress(len(tasks), enabled=show)
    pool = Pool(executor, scheduler, jobs)
    failed = True
    try:
        outcomes = run_tasks(pool, pack_fn, tasks, params, bar)
        failed = False
        return outcomes
    finally:
        bar.close()
        pool.close(failed)


def _row(task: Task, outcome: Outcome) -> CompanyRun:
    return CompanyRun(
        task.company,
        task.segment_label,
        outcome.status,
        outcome.seconds,
        outcome.reason,
        Path(outcome.pdf) if outcome.pdf else None,
    )


def _print_table(result: PortfolioResult) -> None:
    table = result.table()
    if table.empty:
        print("No company folders (with a company.toml) were found.")
        return
    print(terminal_text(_format_table(table)))
    counts = table["status"].value_counts()
    print(", ".join(f"{n} {s}" for s, n in counts.items()))
    if result.summary_pdf:
        print(f"Portfolio summary: {result.summary_pdf}")
    elif result.summary_error:
        print(terminal_text(f"Portfolio summary not made: {result.summary_error}"), file=sys.stderr)


def _print_fx_gaps(totals: pd.DataFrame) -> None:
    """One line on stderr when a company's figures were left out of the fund sums for want
    of an fx rate (the summary PDF says it too, but a scheduled run is read in its log)."""
    fund = totals[totals["scope"] == "fund"] if len(totals) else totals
    gaps = sorted({part for note in fund["note"] for part in str(note).split("; ") if part.startswith("no fx rate")})
    if gaps:
        print(
            f"Portfolio summary: {', '.join(gaps)}: left out of the fund sums; add the rates to the fx table",
            file=sys.stderr,
        )


def _format_table(table: pd.DataFrame) -> str:
    """The run table as plain text: text left-aligned, seconds right-aligned."""
    cells = table.assign(seconds=table["seconds"].map("{:.1f}".format)).astype(str)
    widths = {c: max(len(c), cells[c].str.len().max()) for c in cells.columns}

    def line(values: dict[str, str]) -> str:
        return "  ".join(
            values[c].rjust(widths[c]) if c == "seconds" else values[c].ljust(widths[c]) for c in cells.columns
        ).rstrip()

    return "\n".join([line({c: c for c in cells.columns})] + [line(row) for row in cells.to_dict("records")])


def _summary_step(
    result: PortfolioResult,
    companies: list[FundCompany],
    tasks: list[Task],
    outcomes: dict[int, Outcome],
    out: Path,
    period: tuple[str | None, str],
    fx: FxTable | None,
    force: bool,
    pdf: bool,
    show: bool = True,
) -> None:
    as_of, window = period
    finished = {
        t.company: outcomes[t.index]
        for t in tasks
        if t.segment is None and outcomes[t.index].status != "failed" and outcomes[t.index].folder
    }
    if not finished:
        result.summary_error = "no company pack finished"
        return
    month = str(as_of)[:7] if as_of else max(Path(o.folder).name[:7] for o in finished.values())
    by_slug = {c.slug: c for c in companies}
    folders = {s: Path(o.folder) for s, o in finished.items()}
    kpis = gather_kpis(folders, {s: by_slug[s].currency for s in finished}, window)
    stars = kpis[kpis["tier"] == "north_star"].groupby("company")["kpi"].agg(list).to_dict()
    folder = out / "portfolio" / month
    folder.mkdir(parents=True, exist_ok=True)
    meta = pd.DataFrame(
        [
            {
                "company": c.slug,
                "name": c.name,
                "stage": c.stage,
                "gtm": c.gtm,
                "last_month": pack_data_last_month(folders[c.slug]),
                "fiscal_start": fiscal_year_start(folders[c.slug]),
            }
            for c in companies
            if c.slug in finished
        ]
    )
    summary = summarize(kpis, meta, fx, month, result.table(), gather_history(folders, stars, window=window), window)
    result.kpis_csv = write_summary_tables(summary, folder)
    if show:
        _print_fx_gaps(summary.totals)
    write_workbook(
        folder / PORTFOLIO_XLSX,
        {"KPIs": summary.kpis, "Companies": summary.companies, "Totals": summary.totals, "Runs": summary.runs},
    )
    if not pdf:
        return
    try:
        result.summary_pdf = render_summary(folder, month, force)
    except Exception as exc:  # the companies' packs stand even when the summary fails
        result.summary_error = reason_of(exc)
