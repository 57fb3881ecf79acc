"""The `reportlib` command (click): a thin layer over the Python API.

Every verb parses its arguments, calls one library function and turns a
:class:`~reportlib.exceptions.ReportlibError` (or an unwritable folder) into a plain
message and exit code 1; a wrong option is exit code 2 with click's usage line. SIGTERM
ends a run like Ctrl-C does: its workers, kernels and browser are stopped and nothing
half-made is left (exit code 143, 130 for Ctrl-C).

Each verb imports its library module when it runs: importing all of them (pandas,
papermill, nbconvert, matplotlib) would make ``reportlib --help`` take seconds instead of
about one (measured: 1.9 s against 6.7-9.3 s on the shared 2-core machine).
"""

from __future__ import annotations

import errno
import functools
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from reportlib import __version__
from reportlib._command import CONFIG_FILE, HELP_OPTIONS
from reportlib._memory import keep_freed_memory, settle_imports
from reportlib._store import Mode
from reportlib._terminal import terminal_text
from reportlib.exceptions import InputError, ParameterError, ReportlibError
from reportlib.params import as_of_month, parse_compare, parse_segment
from reportlib.processes import Terminated, interrupted, raise_on_signals
from reportlib.serve import IDLE_MINUTES, ServerError, run_server, serving_session, stop_server

FUND_FILE = "fund.toml"
FUND_ENV = "REPORTLIB_FUND"
_CONTEXT = {"help_option_names": list(HELP_OPTIONS), "max_content_width": 100}


# -- what the run says ------------------------------------------------------------------------
def _echo(text: object = "", err: bool = False) -> None:
    """Print a line for the user; a company's text in it stays text (:func:`terminal_text`)."""
    click.echo(terminal_text(text), err=err)


class _Say:
    """Lines for the user: ``info`` unless --quiet, ``detail`` only with --verbose."""

    level = 1

    @classmethod
    def info(cls, text: str) -> None:
        if cls.level >= 1:
            _echo(text)

    @classmethod
    def detail(cls, text: str) -> None:
        if cls.level >= 2:
            _echo(text)


# -- argument types ---------------------------------------------------------------------------
class _Parsed(click.ParamType):
    """A click type from a :mod:`reportlib.params` parser: its message, no traceback."""

    def __init__(self, parse: Callable[[str], Any], name: str):
        self.parse, self.name = parse, name

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        try:
            return self.parse(value)
        except ParameterError as exc:
            self.fail(str(exc), param, ctx)


def _as_of(ctx: click.Context, param: Any, value: str | None) -> str | None:
    """Calendar quarters now; a fiscal quarter or year (FY2027Q1, FY2027) waits for its
    company's policy."""
    return value if value and value.strip().upper().startswith("FY") else as_of_month(value)


def _fiscal_as_of(as_of: str | None, companies: Sequence[Path]) -> str | None:
    """A fiscal as-of (``FY2027Q1``, ``FY2027``) as a month, with the companies' ``fiscal_year_start_month``
    policy (they must agree: one as-of is given to all of them)."""
    if not as_of or not as_of.strip().upper().startswith("FY"):
        return as_of
    from reportlib.inputs.config import load_config

    starts = {load_config(c).policies.fiscal_year_start_month for c in companies if (c / CONFIG_FILE).is_file()}
    if len(starts) > 1:
        raise ParameterError(
            f"--as-of {as_of}: the companies start their fiscal years in different months "
            f"({', '.join(map(str, sorted(starts)))}); give a calendar month or quarter, e.g. 2026Q3."
        )
    return as_of_month(as_of, starts.pop() if starts else 1)


def _period_options(func: Callable, segment_hidden: bool = False) -> Callable:
    """--as-of, --window and --segment; ``segment_hidden`` keeps --segment out of a verb's
    help while it still reads it, to refuse it with a sentence (``portfolio``)."""
    for option in reversed(
        (
            click.option(
                "--as-of",
                "as_of",
                default=None,
                callback=_as_of,
                metavar="PERIOD",
                help="Last month reported: 2026-09, 2026Q3, FY2027Q1 or FY2027 (a quarter's or fiscal year's "
                "last month), or "
                "a YYYY-MM-DD day for pacing. Default: the last month of the revenue data.",
            ),
            click.option(
                "--window",
                type=click.Choice(["month", "quarter", "year"]),
                default="quarter",
                show_default=True,
                help="Length of the reported period.",
            ),
            click.option(
                "--segment",
                type=_Parsed(parse_segment, "KEY=VALUE"),
                default=None,
                metavar="KEY=VALUE",
                hidden=segment_hidden,
                help="Restrict every input that carries the dimension, e.g. segment=Enterprise.",
            ),
        )
    ):
        func = option(func)
    return func


def _fund_option(func: Callable) -> Callable:
    return click.option(
        "--fund",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="The fund.toml (branding, north stars, section notebooks). "
        "Default: fund.toml in the folder above the company folders.",
    )(func)


def _cache_option(func: Callable) -> Callable:
    return click.option(
        "--no-cache",
        "no_cache",
        is_flag=True,
        help="Load the inputs and compute the KPIs from scratch, neither reading nor writing the cache "
        "of validated inputs, KPI results and printed sections ($REPORTLIB_CACHE, default ~/.cache/reportlib).",
    )(func)


def _use_fund(fund: Path | None) -> None:
    """``--fund FILE`` for this run and every process it starts (workers, kernels)."""
    if fund is not None:
        if not fund.is_file():
            raise ParameterError(f"--fund {fund}: there is no such file.")
        os.environ[FUND_ENV] = str(fund.resolve())


# -- folders: typos and portfolio roots ------------------------------------------------------
def _companies_in(folder: Path) -> list[Path]:
    return sorted(p.parent for p in folder.glob(f"*/{CONFIG_FILE}"))


def _company_folder(path: Path, verb: str) -> Path:
    """``path`` when it is a company folder; otherwise a ParameterError that says what to
    type instead: the close folder name, or ``portfolio`` for a portfolio root."""
    if (path / CONFIG_FILE).is_file():
        return path
    if path.is_dir() and _companies_in(path):
        names = ", ".join(p.name for p in _companies_in(path)[:5])
        raise ParameterError(
            f"{path} is a portfolio folder (it holds companies: {names}). "
            f"Run `reportlib portfolio {path}` for all of them, or `reportlib {verb} "
            f"{_companies_in(path)[0]}` for one."
        )
    if not path.exists():
        raise ParameterError(f"{path} does not exist.{_did_you_mean(path)}")
    return path  # a folder without company.toml: the library says what is missing


def _did_you_mean(path: Path) -> str:
    from reportlib.inputs.config import closest

    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        return ""
    hit = closest(path.name, [p.name for p in parent.iterdir() if p.is_dir()])
    return f" Did you mean {parent / hit}?" if hit else ""


# -- the group -------------------------------------------------------------------------------------
@click.group(context_settings=_CONTEXT, epilog="Run `reportlib VERB --help` for a verb's options and an example.")
@click.version_option(__version__, "--version", prog_name="reportlib", message="%(prog)s %(version)s")
@click.option("-q", "--quiet", is_flag=True, help="Only errors: no progress, no summary lines.")
@click.option("-v", "--verbose", is_flag=True, help="Also warnings, timings and where each file went.")
def cli(quiet: bool, verbose: bool) -> None:
    """SaaS board packs from a portfolio company's exports.

    A company folder holds company.toml and the exports it names; a portfolio folder holds
    company folders (and optionally fund.toml). The analyst's quarter:

    \b
      reportlib validate data                 check every company
      reportlib portfolio data --as-of 2026Q3 every pack and the portfolio summary
      reportlib pack data/meridian --force    one company again, after a tweak
    """
    _Say.level = 0 if quiet else 2 if verbose else 1


_compare_option = click.option(
    "--compare",
    type=_Parsed(parse_compare, "KEY=A,B"),
    default=None,
    metavar="KEY=A,B",
    help="Side-by-side cohort and retention views of two values of one dimension.",
)


@cli.command(context_settings=_CONTEXT)
@click.argument("folder", type=click.Path(path_type=Path))
@click.option(
    "--as-of",
    "as_of",
    default=None,
    callback=_as_of,
    metavar="PERIOD",
    help="Also check that this month (2026-09, 2026Q3) is inside the data.",
)
@_cache_option
def validate(folder: Path, as_of: str | None, no_cache: bool) -> int:
    """Check a company folder, or every company of a portfolio folder, and list every problem.

    One company: each problem with its file, row and column. A portfolio folder: one line
    per company; exit code 1 when any company fails.

    \b
    Example:
      reportlib validate data/meridian
      reportlib validate data
    """
    cache = Mode.of(cache=not no_cache)
    if not (folder / CONFIG_FILE).is_file() and folder.is_dir() and _companies_in(folder):
        return _validate_portfolio(folder, _fiscal_as_of(as_of, _companies_in(folder)), cache)
    as_of = _fiscal_as_of(as_of, [folder])
    report = _validate_one(folder, as_of, cache)
    _echo(report.render())
    if not folder.exists() and (hint := _did_you_mean(folder).strip()):
        _echo(hint)
    return 1 if report.errors else 0


def _validate_one(folder: Path, as_of: str | None, cache: Mode) -> Any:
    from reportlib.inputs import validate_company
    from reportlib.inputs.commentary import commentary_problems
    from reportlib.kpis.builder import reconciliation_warnings

    report = validate_company(folder, as_of=as_of, cache=cache)
    if report.ok and report.company is not None:  # sources that disagree (reconciliation.csv)
        report.warnings.extend(reconciliation_warnings(report.company))
    if folder.is_dir():  # commentary headings the pack would not show
        report.warnings.extend(commentary_problems(folder))
    return report


def _validate_portfolio(folder: Path, as_of: str | None, cache: Mode) -> int:
    failed = 0
    companies = _companies_in(folder)
    width = max(len(p.name) for p in companies)
    for company in companies:
        report = _validate_one(company, as_of, cache)
        warned = f", {len(report.warnings)} warning(s)" if report.warnings else ""
        if report.errors:
            failed += 1
            _echo(f"{company.name:<{width}}  FAIL  {len(report.errors)} problem(s){warned}: {report.errors[0]}")
        else:
            _echo(f"{company.name:<{width}}  ok{warned}")
        if _Say.level >= 2 and (report.errors or report.warnings):
            _echo("\n".join(f"    {p}" for p in report.errors + report.warnings))
    _echo(
        f"{len(companies) - failed} of {len(companies)} companies valid"
        + (f"; run `reportlib validate {folder}/<company>` for every problem of one." if failed else ".")
    )
    return 1 if failed else 0


@cli.command(context_settings=_CONTEXT)
@click.argument("company_dir", type=click.Path(path_type=Path))
@_period_options
@_compare_option
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Output root: files go to OUT/<company>/<as_of>/ like `pack`.",
)
@_fund_option
@_cache_option
def kpis(
    company_dir: Path,
    as_of: str | None,
    window: str,
    segment: Any,
    compare: Any,
    out: Path,
    fund: Path | None,
    no_cache: bool,
) -> int:
    """Compute kpis.csv, kpis.xlsx and the tables of one company, without notebooks or PDF.

    \b
    Example:
      reportlib kpis data/meridian --as-of 2026Q3 --out reports
    """
    from reportlib.kpis import compute_kpis, write_kpis
    from reportlib.params import pack_folder

    settle_imports()
    _use_fund(fund)
    company_dir = _company_folder(company_dir, "kpis")
    as_of = _fiscal_as_of(as_of, [company_dir])
    cache = Mode.of(cache=not no_cache)
    result = compute_kpis(company_dir, as_of=as_of, window=window, segment=segment, compare=compare, cache=cache)
    folder = pack_folder(out, result.company.slug, as_of or str(result.as_of_date.to_period("M")), segment, compare)
    write_kpis(result, folder, cache=cache)
    _Say.info(
        f"Wrote {folder / 'kpis.csv'}, {folder / 'kpis.xlsx'} and {len(result.tables)} tables in {folder / 'tables'}"
    )
    _say_input_warnings(len(result.company.warnings), company_dir)
    return 0


@cli.command(context_settings=_CONTEXT)
@click.argument("company_dir", type=click.Path(path_type=Path))
@_period_options
@_compare_option
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Output root: the pack goes to OUT/<company>/<as_of>/.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Remake the pack even when nothing that changes it changed, from a fresh load of the inputs, "
    "running every section notebook.",
)
@click.option(
    "--watch",
    is_flag=True,
    help="Stay running and remake the pack each time a file it reads is saved (the commentary, "
    "company.toml, an input, a notebook), with its kernels and browser kept warm; Ctrl-C ends it.",
)
@click.option(
    "--no-server",
    is_flag=True,
    help="Make the pack in this command even when `reportlib serve` runs in this folder.",
)
@_fund_option
@_cache_option
def pack(
    company_dir: Path,
    as_of: str | None,
    window: str,
    segment: Any,
    compare: Any,
    out: Path,
    force: bool,
    watch: bool,
    no_server: bool,
    fund: Path | None,
    no_cache: bool,
) -> int:
    """Make the board-pack PDF of one company (or one segment of it).

    An unchanged pack (same parameters, inputs, notebooks, fund settings, template and
    version, and every file a section read) is not remade; --force remakes it. A pack
    remade after a change that leaves its inputs alone (the commentary, a notebook) reuses
    the validated inputs and the KPIs of the last run from the cache, and the printed
    sections whose notebook and reads did not change (an edit of one commentary block runs
    the sections that show it); --force (or --no-cache) loads, computes and runs everything
    again.

    When `reportlib serve` runs in this folder, the pack is made there, on its warm kernels
    and browser (seconds sooner); --no-server makes it here.

    \b
    Example:
      reportlib pack data/meridian --as-of 2026Q3
      reportlib pack data/meridian --segment segment=Enterprise --force
      reportlib pack data/meridian --watch
    """
    from reportlib.render import ahead

    if not watch and serving_session() is None and (company_dir / CONFIG_FILE).is_file():
        if not ahead.running():  # started at the command's first moment (reportlib.__main__)
            ahead.start()  # the pack's kernels warm while this command imports the library
    try:
        from reportlib.pack import build_pack

        settle_imports()
        _use_fund(fund)
        company_dir = _company_folder(company_dir, "pack")
        as_of = _fiscal_as_of(as_of, [company_dir])
        options = dict(as_of=as_of, window=window, segment=segment, compare=compare, out=out, cache=not no_cache)
        if watch:
            return _watch(company_dir, force=force, **options)
        _say_pack(build_pack(company_dir, force=force, session=serving_session(), **options), company_dir)
        return 0
    finally:
        ahead.discard()  # the kernels of a pack that never began (the pack took them otherwise)


def _watch(company_dir: Path, **options: Any) -> int:
    """``pack --watch``: each pack (or the mistake that stopped it) is told as it happens;
    Ctrl-C is the way out, not an error."""
    from reportlib.watch import watch_pack

    def report(outcome: Any) -> None:
        if isinstance(outcome, BaseException):
            _echo(_explain(outcome), err=True)
            _echo("  (the previous pack is kept; waiting for the next save)", err=True)
        elif outcome.skipped:
            _Say.info(f"{outcome.pdf} is unchanged (the saved files are as they were for it)")
        else:
            _say_pack(outcome, company_dir)

    _Say.info(f"Watching {company_dir} (Ctrl-C to stop)")
    try:
        watch_pack(company_dir, report, **options)
    except KeyboardInterrupt:
        _Say.info("stopped watching")
    return 0


@cli.command(context_settings=_CONTEXT)
@click.option("--jobs", type=int, default=None, help="Kernels kept warm (default: one per core).")
@click.option(
    "--idle",
    type=click.FloatRange(min=0.1),
    default=IDLE_MINUTES,
    show_default=True,
    help="Stop after this many minutes without a pack.",
)
@click.option("--stop", is_flag=True, help="Stop the server of this folder and return.")
def serve(jobs: int | None, idle: float, stop: bool) -> int:
    """Keep kernels and a browser warm for the packs made in this folder.

    While it runs, `reportlib pack` run in this folder (with the same reportlib, Python and
    REPORTLIB_* settings) is made by the server: the same pack, messages and exit code,
    without starting Python's libraries, two kernels and Chromium first. One pack runs at a
    time; Ctrl-C in a pack's command abandons that pack. Ctrl-C here, `reportlib serve
    --stop` or --idle minutes without a pack stop the server.

    \b
    Example:
      reportlib serve &
      reportlib pack data/meridian          # made by the server
      reportlib serve --stop
    """
    if stop:
        if not stop_server():
            raise ParameterError(f"no pack server runs for {Path.cwd()}.")
        _Say.info("the pack server stopped")
        return 0
    try:
        run_server(jobs, idle, say=_Say.info)
    except ServerError as exc:
        raise ParameterError(str(exc)) from None
    except KeyboardInterrupt:
        _Say.info("the pack server stopped")
    return 0


def _say_pack(result: Any, company_dir: Path) -> None:
    if result.skipped:
        _Say.info(f"{result.pdf} is unchanged (same inputs and settings); --force remakes it")
    else:
        _Say.info(f"Wrote {result.pdf}")
        _Say.detail(f"  in {result.seconds:.1f} s; the executed notebooks are in {result.folder / 'notebooks'}")
    _say_input_warnings(result.input_warnings, company_dir)


def _say_input_warnings(count: int, company_dir: Path) -> None:
    """One line when the inputs had warnings, which kpis and pack do not list (a date order
    guessed, rows left out): a figure they explain must not pass unseen."""
    if count:
        _Say.info(f"{count} input warning{'s' if count != 1 else ''}: run reportlib validate {company_dir} to see them")


@cli.command(context_settings=_CONTEXT)
@click.argument("data_dir", type=click.Path(path_type=Path))
@functools.partial(_period_options, segment_hidden=True)
@click.option("--jobs", type=int, default=None, help="Parallel workers (default: one per core).")
@click.option("--segments", is_flag=True, help="Also make each company's configured segment packs.")
@click.option(
    "--scheduler", default=None, metavar="ADDRESS", help="Run on a Dask distributed cluster, e.g. tcp://10.0.0.5:8786."
)
@click.option("--force", is_flag=True, help="Remake packs that nothing changed (otherwise skipped).")
@click.option(
    "--fx",
    type=click.Path(path_type=Path),
    default=None,
    help="CSV of currency, month, rate to the fund currency (default: fund.toml's [fund] fx).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Output root: OUT/<company>/<as_of>/ and OUT/portfolio/<as_of>/.",
)
@_fund_option
def portfolio(
    data_dir: Path,
    as_of: str | None,
    window: str,
    segment: Any,
    jobs: int | None,
    segments: bool,
    scheduler: str | None,
    force: bool,
    fx: Path | None,
    out: Path,
    fund: Path | None,
) -> int:
    """Make every company's pack in parallel, then the portfolio summary and portfolio_kpis.xlsx.

    A progress bar on a terminal; one plain line per pack in a log. Exit code 1 when any
    company failed (the others are still made).

    \b
    Example:
      reportlib portfolio data --as-of 2026Q3 --jobs 4
    """
    from reportlib.inputs.fund import find_fund
    from reportlib.portfolio import run_portfolio

    if segment is not None:
        raise ParameterError(
            "--segment is for one company (`reportlib pack`); a portfolio run makes each "
            "company's configured segments with --segments."
        )
    if not data_dir.is_dir():
        raise ParameterError(f"{data_dir} is not a folder.{_did_you_mean(data_dir)}")
    as_of = _fiscal_as_of(as_of, _companies_in(data_dir))
    fund = fund or (data_dir / FUND_FILE if (data_dir / FUND_FILE).is_file() else None)
    _use_fund(fund)
    fund_config = find_fund(None, fund) if fund else None
    fx = fx or (fund_config.fx if fund_config else None)
    result = run_portfolio(
        data_dir,
        as_of=as_of,
        window=window,
        jobs=jobs,
        segments=segments,
        scheduler=scheduler,
        force=force,
        out=out,
        fx=fx,
        fund_currency=fund_config.currency if fund_config else None,
        progress=_Say.level >= 1,
    )
    return 0 if result.ok else 1


@cli.command(context_settings=_CONTEXT)
@click.argument("reports_dir", type=click.Path(path_type=Path))
@click.option(
    "--segment",
    type=_Parsed(parse_segment, "KEY=VALUE"),
    default=None,
    metavar="KEY=VALUE",
    help="The history of that segment's packs.",
)
def history(reports_dir: Path, segment: Any) -> int:
    """Every KPI across the packs issued for one company (one row per as-of).

    \b
    Example:
      reportlib history reports/meridian
    """
    from reportlib.portfolio.history import history_text, kpi_history, write_history

    _echo(history_text(kpi_history(reports_dir, segment)))
    _Say.info(f"Wrote {write_history(reports_dir, segment)}")
    return 0


@cli.command(context_settings=_CONTEXT)
@click.argument("file", type=click.Path(path_type=Path))
def inspect(file: Path) -> int:
    """What a data file is: known export, header row, columns, a company.toml block.

    \b
    Example:
      reportlib inspect exports/billing_export.xlsx
    """
    from reportlib.inputs.onboard import inspect_file

    report = inspect_file(file)
    _echo(report.render())
    return 1 if report.recognised.error else 0


@cli.command(context_settings=_CONTEXT)
@click.argument("company_dir", type=click.Path(path_type=Path))
@click.option("--name", default=None, help="Company name (default: from the folder name).")
@click.option(
    "--currency", default=None, help="ISO currency of the exports (default: a file's currency column, else USD)."
)
def init(company_dir: Path, name: str | None, currency: str | None) -> int:
    """Write a commented starter company.toml for a folder of exports (never overwrites).

    \b
    Example:
      reportlib init data/acme --name "Acme Analytics" --currency EUR
    """
    from reportlib.inputs.onboard import init_folder

    started = init_folder(company_dir, name=name, currency=currency)
    _echo(f"Wrote {started.path} ({len(started.todos)} TODO line(s) to check):")
    _echo("\n".join(f"  {todo}" for todo in started.todos) or "  none")
    if started.unfinished:
        _echo(
            f"It does not validate as written: {'; '.join(started.unfinished)}. Map the columns under the "
            f"[inputs.X] each file feeds (docs/inputs.md lists them), then run: reportlib validate {company_dir}"
        )
    else:
        _echo(f"Then run: reportlib validate {company_dir}")
    return 0


@cli.command(context_settings=_CONTEXT)
@click.argument("out", type=click.Path(path_type=Path))
def template(out: Path) -> int:
    """Write the canonical workbook (a sheet per input) to fill by hand.

    \b
    Example:
      reportlib template acme_inputs.xlsx
    """
    from reportlib.inputs.onboard import write_template

    written = write_template(out)
    _echo(
        f"Wrote {written}: one sheet per input, with notes and an example row; its company.toml is on the README sheet."
    )
    return 0


@cli.command(context_settings=_CONTEXT)
@click.option("--data-dir", type=click.Path(path_type=Path), default=Path("data"), show_default=True)
@click.option("--out", type=click.Path(path_type=Path), default=Path("reports"), show_default=True)
@click.option("--data-only", is_flag=True, help="Only regenerate the demo input files.")
def demo(data_dir: Path, out: Path, data_only: bool) -> int:
    """(Re)generate the demo companies and make their board packs.

    \b
    Example:
      reportlib demo --data-dir data --out reports
    """
    from reportlib.demo import run_demo

    return run_demo(data_dir=data_dir, out=out, data_only=data_only)


# -- errors and exit codes ---------------------------------------------------------------------------
def _os_sentence(exc: OSError) -> str:
    """What a failed read or write means for the user, and what to do."""
    where = f" {exc.filename}" if exc.filename else ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return (
            f"the disk is full{' while writing' + where if where else ''}. Free some space (or "
            "give another --out) and run again; files already in the output folder were left as they were."
        )
    if exc.errno == errno.EROFS:
        return f"cannot write{where}: the file system is read-only. Give another output folder with --out."
    if exc.errno in (errno.EACCES, errno.EPERM):
        return (
            f"permission denied for{where}. Give an output folder you may write to with "
            "--out, or change the permissions."
        )
    if exc.errno == errno.ENAMETOOLONG:
        return (
            f"a file name is too long for the file system:{where}. Use a shorter segment value "
            "or output folder (--out)."
        )
    return f"{exc.strerror or exc}{':' + where if where else ''}."


def _explain(exc: BaseException) -> str:
    """What a user's mistake, or a folder or disk problem, means: the sentence(s) printed
    instead of a traceback."""
    if isinstance(exc, InputError):
        return "\n".join([str(exc), *(f"  warning: {w}" for w in exc.warnings)])
    if isinstance(exc, OSError):
        return f"error: {_os_sentence(exc)}"
    return f"error: {exc}"


_LOUDNESS = ("-q", "--quiet", "-v", "--verbose")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; the exit code (0 fine, 1 a problem, 2 a wrong option, 130 Ctrl-C,
    143 SIGTERM)."""
    args = list(sys.argv[1:] if argv is None else argv)
    keep_freed_memory()  # large runs reuse freed arrays instead of faulting in new memory
    # -q / -v are the group's, but analysts type them after the verb too
    loud = [a for a in args if a in _LOUDNESS]
    code = _run(loud + [a for a in args if a not in _LOUDNESS])
    if (signal_code := interrupted()) is not None:
        # an interrupt whose exception an error of its clean-up replaced (told above as that
        # error): still the interrupt's exit, at once (see _exit_now); a watch stopped by
        # Ctrl-C ends as it said, with 0
        _exit_now(code if code == 0 else signal_code)
    return code


def _run(args: list[str]) -> int:
    try:
        return served(args)
    except KeyboardInterrupt:  # click's Abort included (see _outcome)
        _echo("interrupted", err=True)
        _exit_now(130)
    except Terminated:
        _echo("terminated", err=True)
        _exit_now(143)


def _outcome(args: list[str]) -> int:
    """The exit code of ``reportlib ARGS``; a user's mistake is told, an interrupt raised."""
    try:
        code = cli.main(args=args, prog_name="reportlib", standalone_mode=False)
        return code if isinstance(code, int) else 0
    except click.exceptions.Exit as exc:  # --help, --version
        return exc.exit_code
    except click.ClickException as exc:  # a wrong option or argument
        exc.show()
        return exc.exit_code
    except (ReportlibError, OSError) as exc:  # a user's mistake, the folder or the disk: no traceback
        _echo(_explain(exc), err=True)
        return 1
    except click.exceptions.Abort:
        raise KeyboardInterrupt from None


def served(args: list[str]) -> int:
    """``reportlib ARGS`` with SIGINT and SIGTERM raised as interrupts: the exit code of a
    command run here (:func:`_run`, which ends the process on an interrupt) or by the pack
    server (:mod:`reportlib.serve`, which stays up)."""
    with raise_on_signals():
        return _outcome(args)


def _exit_now(code: int) -> NoReturn:
    """End the process once an interrupt's clean-up ran (children ended, nothing
    half-written), without waiting for its threads: the interrupt was raised wherever the
    main thread was, possibly inside a lock that a printing thread now waits for forever,
    and the interpreter's exit would join that thread."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
