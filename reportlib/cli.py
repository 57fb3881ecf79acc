"""The `reportlib` command: a thin layer over the Python API.

Every verb parses its arguments, calls one library function and turns a
:class:`~reportlib.exceptions.ReportlibError` (or an unwritable folder) into a plain
message and exit code 1. SIGTERM ends a run like Ctrl-C does: its workers, kernels and
browser are stopped and nothing half-made is left (exit code 143, 130 for Ctrl-C).

Each verb imports its library module when it runs: importing all of them (pandas,
papermill, nbconvert, matplotlib) would make ``reportlib --help`` take seconds instead of
about one (measured: 1.9 s against 6.7-9.3 s on the shared 2-core machine).
"""
from __future__ import annotations

import argparse
import errno
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from reportlib.exceptions import InputError, ParameterError, ReportlibError
from reportlib.params import parse_compare, parse_segment
from reportlib.processes import Terminated, raise_on_signals


def _argument(parse: Callable[[str], object]) -> Callable[[str], object]:
    """An argparse type from a :mod:`reportlib.params` parser: its message, no traceback."""
    def convert(text: str) -> object:
        try:
            return parse(text)
        except ParameterError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return convert


_key_value = _argument(parse_segment)
_compare = _argument(parse_compare)


def _add_period_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as-of", dest="as_of", default=None,
                   help="last month reported, YYYY-MM (a YYYY-MM-DD date is allowed for pacing); "
                        "default: the last month of the revenue data")
    p.add_argument("--window", choices=["month", "quarter", "year"], default="quarter",
                   help="length of the reported period (default: quarter)")
    p.add_argument("--segment", type=_key_value, default=None, metavar="KEY=VALUE",
                   help="restrict every input that carries the dimension, e.g. segment=Enterprise")


def _cmd_validate(args: argparse.Namespace) -> int:
    from reportlib.inputs import validate_company
    from reportlib.inputs.commentary import commentary_problems
    from reportlib.kpis.builder import reconciliation_warnings

    report = validate_company(args.company_dir)
    if report.ok and report.company is not None:   # sources that disagree (reconciliation.csv)
        report.warnings.extend(reconciliation_warnings(report.company))
    if Path(args.company_dir).is_dir():   # commentary headings the pack would not show
        report.warnings.extend(commentary_problems(args.company_dir))
    print(report.render())
    return 1 if report.errors else 0


def _cmd_kpis(args: argparse.Namespace) -> int:
    from reportlib.kpis import compute_kpis, write_kpis

    result = compute_kpis(args.company_dir, as_of=args.as_of, window=args.window,
                          segment=args.segment, compare=args.compare)
    out = write_kpis(result, args.out)
    print(f"Wrote {out / 'kpis.csv'} and {len(result.tables)} tables in {out / 'tables'}")
    return 0


def _cmd_pack(args: argparse.Namespace) -> int:
    from reportlib.pack import build_pack

    result = build_pack(args.company_dir, as_of=args.as_of, window=args.window,
                        segment=args.segment, compare=args.compare, out=args.out)
    print(f"Wrote {result.pdf}")
    return 0


def _cmd_portfolio(args: argparse.Namespace) -> int:
    from reportlib.portfolio import run_portfolio

    result = run_portfolio(args.data_dir, as_of=args.as_of, window=args.window, jobs=args.jobs,
                           segments=args.segments, scheduler=args.scheduler, force=args.force,
                           out=args.out, fx=args.fx)
    return 0 if result.ok else 1


def _cmd_history(args: argparse.Namespace) -> int:
    from reportlib.portfolio.history import history_text, kpi_history, write_history

    print(history_text(kpi_history(args.reports_dir, args.segment)))
    print(f"Wrote {write_history(args.reports_dir, args.segment)}")
    return 0


def _cmd_inspect(args: argparse.Namespace) -> int:
    from reportlib.inputs.onboard import inspect_file

    report = inspect_file(args.file)
    print(report.render())
    return 1 if report.recognised.error else 0


def _cmd_init(args: argparse.Namespace) -> int:
    from reportlib.inputs.onboard import init_folder

    started = init_folder(args.company_dir, name=args.name, currency=args.currency)
    print(f"Wrote {started.path} ({len(started.todos)} TODO line(s) to check):")
    print("\n".join(f"  {todo}" for todo in started.todos) or "  none")
    print(f"Then run: reportlib validate {args.company_dir}")
    return 0


def _cmd_template(args: argparse.Namespace) -> int:
    from reportlib.inputs.onboard import write_template

    out = write_template(args.out)
    print(f"Wrote {out}: one sheet per input, with notes and an example row; its company.toml is on the "
          "README sheet.")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from reportlib.demo import run_demo

    return run_demo(data_dir=args.data_dir, out=args.out, data_only=args.data_only)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reportlib", description="SaaS board packs from a portfolio company's exports.")
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    p = sub.add_parser("validate", help="check a company folder's inputs and list every problem")
    p.add_argument("company_dir", type=Path)
    p.set_defaults(func=_cmd_validate)

    for verb, helptext, func in (
        ("kpis", "compute kpis.csv and the tables, without notebooks", _cmd_kpis),
        ("pack", "make the board-pack PDF of one company (or one segment)", _cmd_pack),
    ):
        p = sub.add_parser(verb, help=helptext)
        p.add_argument("company_dir", type=Path)
        _add_period_args(p)
        p.add_argument("--compare", type=_compare, default=None, metavar="KEY=A,B",
                       help="side-by-side cohort and retention views of two values of one dimension")
        p.add_argument("--out", type=Path, default=Path("reports"),
                       help="output folder (default: reports/)")
        p.set_defaults(func=func)

    p = sub.add_parser("portfolio", help="make every company's pack in parallel, then a portfolio summary")
    p.add_argument("data_dir", type=Path)
    _add_period_args(p)
    p.add_argument("--jobs", type=int, default=None, help="parallel workers (default: one per core)")
    p.add_argument("--segments", action="store_true", help="also make each company's configured segment packs")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run on a Dask distributed cluster, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--force", action="store_true", help="recompute companies whose inputs did not change")
    p.add_argument("--fx", type=Path, default=None,
                   help="CSV of currency, month, rate to the fund currency for portfolio sums")
    p.add_argument("--out", type=Path, default=Path("reports"))
    p.set_defaults(func=_cmd_portfolio)

    p = sub.add_parser("history", help="every KPI across the packs issued for one company (one row per as-of)")
    p.add_argument("reports_dir", type=Path, help="reports/<company>")
    p.add_argument("--segment", type=_key_value, default=None, metavar="KEY=VALUE",
                   help="the history of that segment's packs")
    p.set_defaults(func=_cmd_history)

    p = sub.add_parser("inspect", help="what a data file is: known export, header row, columns, a company.toml block")
    p.add_argument("file", type=Path)
    p.set_defaults(func=_cmd_inspect)

    p = sub.add_parser("init", help="write a commented starter company.toml for a folder of exports")
    p.add_argument("company_dir", type=Path)
    p.add_argument("--name", default=None, help="company name (default: from the folder name)")
    p.add_argument("--currency", default="USD", help="ISO currency of the exports (default: USD)")
    p.set_defaults(func=_cmd_init)

    p = sub.add_parser("template", help="write the canonical workbook (a sheet per input) to fill by hand")
    p.add_argument("out", type=Path, help="the .xlsx to write")
    p.set_defaults(func=_cmd_template)

    p = sub.add_parser("demo", help="(re)generate the demo companies and make their board packs")
    p.add_argument("--data-dir", type=Path, default=Path("data"))
    p.add_argument("--out", type=Path, default=Path("reports"))
    p.add_argument("--data-only", action="store_true", help="only regenerate the demo input files")
    p.set_defaults(func=_cmd_demo)
    return parser


def _os_sentence(exc: OSError) -> str:
    """What a failed read or write means for the user, and what to do."""
    where = f" {exc.filename}" if exc.filename else ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return (f"the disk is full{' while writing' + where if where else ''}. Free some space (or "
                "give another --out) and run again; files already in the output folder were left as they were.")
    if exc.errno == errno.EROFS:
        return f"cannot write{where}: the file system is read-only. Give another output folder with --out."
    if exc.errno in (errno.EACCES, errno.EPERM):
        return (f"permission denied for{where}. Give an output folder you may write to with "
                "--out, or change the permissions.")
    if exc.errno == errno.ENAMETOOLONG:
        return (f"a file name is too long for the file system:{where}. Use a shorter segment value "
                "or output folder (--out).")
    return f"{exc.strerror or exc}{':' + where if where else ''}."


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        with raise_on_signals():
            return func(args)
    except InputError as exc:
        print(str(exc), file=sys.stderr)
        for w in exc.warnings:
            print(f"  warning: {w}", file=sys.stderr)
        return 1
    except (ParameterError, ReportlibError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # the output folder or the disk, not a bug: a sentence, no traceback
        print(f"error: {_os_sentence(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("terminated", file=sys.stderr)
        return 143


if __name__ == "__main__":
    sys.exit(main())
