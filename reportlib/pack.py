"""One company's board pack, as a pipeline of named steps.

:func:`build_pack` reads top-down as the steps it takes: resolve the parameters ->
validate the inputs -> skip an unchanged pack -> stage -> start Chromium -> compute the
KPIs -> restate earlier packs -> write the tables -> check Chromium -> find the sections
that need not run again -> run the other section notebooks -> release the kernels -> print
them -> assemble the PDF -> release the browser -> keep the sections that ran -> write the
manifest -> swap the pack in. Each step is a short function of the run's
parameters (:class:`PackRequest`, frozen) and of what earlier steps made (:class:`_Run`).

Everything is built in a staging folder next to the target (same filesystem) and swapped
in with a rename at the end, so a pack folder always holds one complete run: a failed run
leaves the previous pack as it was and no partial folder. Workers, kernels and Chromium
end with the pack however it ends (see :mod:`reportlib.processes`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import ModuleType
from typing import Any

from reportlib import __version__, processes
from reportlib._store import Mode, code_digest, file_digest, library_versions
from reportlib.deck._reads import unchanged
from reportlib.deck._result_cache import write_cache
from reportlib.deck._style import Theme
from reportlib.exceptions import ExportError
from reportlib.inputs import Company, company_slug, load_company, resolve_as_of
from reportlib.inputs.company import data_last_month
from reportlib.inputs.fund import FundConfig, find_fund
from reportlib.kpis import KpiResult, compute_kpis, write_kpis
from reportlib.kpis.builder import is_stored, result_fingerprint, shared_grids, write_kpis_workbook
from reportlib.kpis.restatements import pack_hook as restatement_record
from reportlib.params import pack_folder, parse_compare, parse_segment, safe_name
from reportlib.registry import SECTION_TITLES
from reportlib.render import ahead, reuse
from reportlib.render.chromium import Chromium
from reportlib.render.run import SectionRun, run_sections, warm_up
from reportlib.resources import notebooks_dir, templates_dir
from reportlib.session import Session

__all__ = [
    "KPI_CACHE",
    "MANIFEST",
    "NOTEBOOKS_DIR",
    "PackRequest",
    "PackResult",
    "build_pack",
    "fund_sections",
    "pack_folder",
    "pack_workers",
    "section_notebooks",
    "section_title",
]

#: The section notebooks: ``notebooks/NN_<section>.ipynb`` at the top of the repository.
NOTEBOOKS_DIR = notebooks_dir()
#: Where the pack leaves the computed KpiResult for ``reportlib.deck.report.load_report``
#: (relative to the notebooks' ``output_dir``); removed before the pack is swapped in.
KPI_CACHE = Path("_cache") / "kpi_result.pkl"
MANIFEST = "manifest.json"
#: The manifest key of the last month of the company's own data (``YYYY-MM``).
DATA_LAST_MONTH = "data_last_month"
PDF_NAME = "board-pack.pdf"
#: Seconds to wait for one printed section once every notebook has run.
PRINT_TIMEOUT = 300.0

#: Bookmark titles: the registry's section titles (the cover's bookmark says "Cover").
_TITLES = {**SECTION_TITLES, "cover": "Cover"}
_VERSIONED = ("pandas", "papermill", "nbconvert", "matplotlib")


@dataclass(frozen=True)
class PackResult:
    """Where a pack went. ``skipped`` is True when an identical pack was already there;
    ``input_warnings`` counts the inputs' warnings (``reportlib validate`` lists them)."""

    folder: Path
    pdf: Path
    manifest: Path
    skipped: bool = False
    seconds: float = 0.0
    input_warnings: int = 0


@dataclass(frozen=True)
class PackRequest:
    """The parameters of one pack run, parsed once (see :func:`build_pack`)."""

    company_dir: Path
    as_of: str | None
    window: str
    segment: tuple[str, str] | None
    compare: tuple[str, tuple[str, str]] | None
    out: Path
    sections: tuple[Path, ...]
    jobs: int | None = None
    force: bool = False
    executor: Executor | None = None
    fund: FundConfig | None = None
    cache: Mode = Mode.USE
    session: Session | None = None

    @property
    def theme(self) -> Theme:
        """The fund's colours, font and logo (the default look without a fund)."""
        return Theme.from_fund(self.fund)

    @property
    def slug_root(self) -> Path:
        """``<out>/<slug>``: where this company's packs (and staging folders) live."""
        return self.out / safe_name(company_slug(self.company_dir))


@dataclass
class _Run:
    """What the steps of one run have made so far (filled top-down by :func:`build_pack`)."""

    request: PackRequest
    timings: dict[str, Any] = field(default_factory=dict)
    pool: Executor | None = None
    company: Company | None = None
    folder: Path = Path()
    parameters: dict[str, str] = field(default_factory=dict)
    fingerprint: dict[str, Any] = field(default_factory=dict)
    browser: Chromium | None = None
    chromium: str = ""  # the browser's version, for the manifest
    staging: Path = Path()
    result: KpiResult | None = None
    restatements: dict[str, Any] = field(default_factory=dict)
    runs: list[SectionRun] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)
    reused: dict[str, reuse.StoredSection] = field(default_factory=dict)
    pdfs: list[Path] = field(default_factory=list)
    pages: int = 0
    writes: dict[str, Future] = field(default_factory=dict)
    releases: list[Future] = field(default_factory=list)  # kernels and browser ending on a thread

    @contextmanager
    def timed(self, step: str) -> Iterator[None]:
        """Record the seconds ``step`` took in :attr:`timings`."""
        start = time.perf_counter()
        yield
        self.timings[step] = round(time.perf_counter() - start, 3)


# -- names and paths ---------------------------------------------------------------------------
def section_notebooks(folder: Path | None = None, custom: Path | None = None) -> list[Path]:
    """The section notebooks ``NN_<section>.ipynb`` of ``folder`` in order of their names.

    ``custom`` (a fund's ``[notebooks] path``) changes them by file name: a notebook of the
    same name replaces the built-in one, a new name adds a section, an empty file removes it.
    """

    def found(where: Path) -> dict[str, Path]:
        return {p.name: p for p in Path(where).glob("[0-9][0-9]_*.ipynb") if p.is_file()}

    sections = found(folder or NOTEBOOKS_DIR)
    for name, path in found(custom).items() if custom is not None else ():
        if path.read_bytes().strip():
            sections[name] = path
        else:
            sections.pop(name, None)
    return [sections[name] for name in sorted(sections)]


def fund_sections(fund: FundConfig | None) -> list[Path]:
    """The section notebooks a pack runs under ``fund``: the built-in ones, changed by the
    fund's ``[notebooks] path`` when it has one (see :func:`section_notebooks`)."""
    custom = fund.notebooks if fund else None
    return section_notebooks(custom=custom) if custom else section_notebooks()


def section_title(notebook: Path) -> str:
    """Bookmark title: ``02_revenue_quality`` -> ``Revenue quality``."""
    key = re.sub(r"^\d+_", "", Path(notebook).stem)
    return _TITLES.get(key, key.replace("_", " ").capitalize())


# -- the pipeline ------------------------------------------------------------------------------
def build_pack(
    company_dir: Path | str,
    as_of: str | None = None,
    window: str = "quarter",
    segment: Any = None,
    compare: Any = None,
    out: Path | str = "reports",
    jobs: int | None = None,
    force: bool = False,
    executor: Executor | None = None,
    *,
    notebooks: Sequence[Path] | None = None,
    fund: Path | str | None = None,
    cache: bool = True,
    session: Session | None = None,
) -> PackResult:
    """Make one company's board pack.

    Parameters
    ----------
    company_dir : path
        The company folder (company.toml and its input files).
    as_of : str, optional
        ``YYYY-MM`` (or ``YYYY-MM-DD`` for pacing); default the last month of revenue data.
    window : str
        ``month``, ``quarter`` or ``year``.
    segment : (key, value) or "key=value", optional
        Restrict every input that carries the dimension.
    compare : (key, (A, B)) or "key=A,B", optional
        Two values of one dimension shown side by side.
    out : path
        Root of the packs (default ``reports``).
    jobs : int, optional
        Section notebooks run at once (default :func:`pack_workers`; 1 = in this process).
    force : bool
        Rebuild even when the existing pack has the same parameters, version and inputs, and
        load the inputs and compute the KPIs again instead of reading them from the store
        (the fresh ones are stored).
    executor : concurrent.futures.Executor, optional
        Runs the section notebooks instead of a new process pool.
    notebooks : sequence of Path, optional
        Section notebooks to use instead of ``notebooks/NN_*.ipynb`` (tests, custom decks).
    fund : path, optional
        The fund.toml (default ``$REPORTLIB_FUND``, else ``fund.toml`` beside the company
        folder): branding, default north stars and the fund's section notebooks.
    cache : bool
        Reuse the validated inputs and the KPI result of an earlier run whose inputs,
        parameters and code are the same (``reportlib._store``; the notebooks, and so the
        commentary, always run again). False: neither read nor write the store.
    session : Session, optional
        Warm kernels and a Chromium kept from one pack to the next
        (:class:`reportlib.session.Session`): this pack runs its notebooks on the
        session's kernels and prints in its browser, and leaves both running.

    Returns
    -------
    PackResult

    Raises
    ------
    InputError
        The inputs do not validate; raised before any notebook starts, nothing is written.
    SectionError
        A section notebook failed; names the section, the cell and the error. Nothing is
        written and a previous pack stays as it was.
    ExportError
        No Chromium (checked before any notebook runs, naming the binary tried), or
        printing/assembly failed.
    OSError
        The output folder cannot be written (read-only, full); raised before any notebook runs.
    """
    started = time.perf_counter()
    run = _Run(
        _resolve_parameters(
            company_dir, as_of, window, segment, compare, out, jobs, force, executor, notebooks, fund, cache, session
        )
    )
    with ExitStack() as cleanup:
        cleanup.callback(_clean_up, run)
        run.pool = _warm_kernels_unless_skippable(run.request)
        with run.timed("validate"):
            run.company, as_of_text = _validate(run.request)
        run.folder, run.parameters, run.fingerprint = _plan(run.request, run.company, as_of_text)
        if _unchanged(run.folder, run.fingerprint, run.request.force):
            return PackResult(
                run.folder,
                run.folder / PDF_NAME,
                run.folder / MANIFEST,
                True,
                round(time.perf_counter() - started, 3),
                len(run.company.warnings),
            )
        # forked before this process starts threads; kernels warmed ahead, except the several
        # workers a caller asked for when the KPIs come from the store (see _warm_ahead)
        run.pool = run.pool or _process_pool(run.request, warm=_warm_ahead(run))
        _printing()  # loaded now that the pack is to be made (see _printing)
        run.staging = _open_staging(run.request, run.folder)
        with run.timed("kpis"), shared_grids():  # the restatements' figures reuse the KPIs' grids
            run.result = _compute_kpis(run.request, run.company, run.parameters["as_of"])
            run.restatements, keep_record = _restate(run)
            run.writes = _write_tables(run.result, run.staging, run.parameters, run.request.cache, keep_record)
        run.browser = _start_chromium(run.request)
        run.chromium = _check_chromium(run.browser)
        run.keys, run.reused = _unchanged_sections(run)
        printer = cleanup.enter_context(
            _Printer(run.staging / "_build", run.browser, len(run.request.sections), run.request.theme)
        )
        with run.timed("notebooks"):
            run.runs = _run_notebooks(run, printer)
        _release_kernels(run)
        run.timings["sections"] = {r.section: round(r.seconds, 3) for r in run.runs if r.section not in run.reused}
        with run.timed("export_wait"):
            run.pdfs = printer.results([s.stem for s in run.request.sections])
        run.timings["export"] = dict(printer.seconds)
        with run.timed("assemble"):
            run.pages = _assemble(run)
        _release_browser(run)
        _keep_sections(run)
        with run.timed("workbook_wait"):
            _finish_writes(run)  # their error, if any, fails the pack here
        _tidy_staging(run)
        run.timings["total"] = round(time.perf_counter() - started, 3)
        _write_manifest(run)
        _swap_in(run.staging, run.folder)
        _released(run)
    return PackResult(
        run.folder, run.folder / PDF_NAME, run.folder / MANIFEST, False, run.timings["total"], len(run.company.warnings)
    )


# -- step: resolve parameters ---------------------------------------------------------------------
def _resolve_parameters(
    company_dir: Path | str,
    as_of: str | None,
    window: str,
    segment: Any,
    compare: Any,
    out: Path | str,
    jobs: int | None,
    force: bool,
    executor: Executor | None,
    notebooks: Sequence[Path] | None,
    fund: Path | str | None,
    cache: bool = True,
    session: Session | None = None,
) -> PackRequest:
    fund_config = find_fund(company_dir, fund)
    if notebooks is None:
        notebooks = fund_sections(fund_config)
    sections = tuple(Path(p).resolve() for p in notebooks)
    if not sections:
        raise ExportError(f"no section notebooks (NN_<section>.ipynb) in {NOTEBOOKS_DIR}")
    return PackRequest(
        Path(company_dir).resolve(),
        as_of,
        window,
        parse_segment(segment),
        parse_compare(compare),
        Path(out).resolve(),
        sections,
        1 if jobs is None and session is not None and session.inline else jobs,  # the session's kept kernel
        force,
        executor or (session.executor() if session else None),  # the session's warm kernels
        fund_config,
        Mode.of(cache, force),
        session,
    )


# -- step: kernels warm up while the inputs are validated ---------------------------------------------
def _warm_kernels_unless_skippable(request: PackRequest) -> Executor | None:
    """Kernels take seconds to start and import pandas/matplotlib: the ones the command
    started ahead (:mod:`reportlib.render.ahead`), else, when this run cannot be skipped,
    kernels that warm up while the inputs are validated (on the otherwise idle cores)."""
    started = ahead.take()
    if started is not None and _process_pool_wanted(request):
        return started
    processes.end_pool(started)
    if _may_skip(request):
        return None
    return _process_pool(request)


def _process_pool_wanted(request: PackRequest) -> bool:
    """Whether this pack runs its sections in a process pool of its own (not in this
    process, ``jobs=1``, nor on the caller's executor or session)."""
    return request.executor is None and request.jobs != 1 and len(request.sections) > 1


def _may_skip(request: PackRequest) -> bool:
    """Whether an unchanged earlier pack of this company may exist (then it is checked
    before any kernel starts); False means this run will certainly build."""
    if request.force:
        return False
    root = request.slug_root
    return root.is_dir() and any(root.glob(f"*/{MANIFEST}"))


def _process_pool(request: PackRequest, warm: bool = True) -> Executor | None:
    """The pack's own process pool, its kernels warming up while the KPIs are computed
    (``warm``; else each worker starts its kernel with its first section); None when the
    caller gave an executor or asked for an in-process run (``jobs=1``). Its workers are
    forked now, and die with this process (:func:`reportlib.processes.die_with_parent`)."""
    if not _process_pool_wanted(request):
        return None
    workers = min(request.jobs or pack_workers(warm), len(request.sections))
    pool = ProcessPoolExecutor(max_workers=workers, initializer=processes.die_with_parent)
    if warm:
        warm_up(pool, workers)
    else:
        pool.submit(os.getpid)  # the first task forks every worker: now, before any thread starts
    return pool


def pack_workers(warm: bool) -> int:
    """Kernels of a pack's own pool when the caller did not say (``jobs``).

    One per core, less the core this process keeps busy loading the inputs and computing
    the KPIs while the kernels warm up ahead. A kernel more would only take that core from
    the KPIs and pay a second start and import of pandas and matplotlib: measured on 2
    cores, a cold Meridian pack with one kernel warmed ahead took 6.9-8.3 s and 9.4-11.1 CPU
    s, against 7.9-8.5 s and 12.3-13.3 CPU s with two.

    Parameters
    ----------
    warm : bool
        Whether the kernels warm up while this process computes the KPIs (a pack whose
        KPIs come from the store starts its kernels with its sections instead).

    Returns
    -------
    int
        At least 1.
    """
    return ahead.workers() if warm else processes.default_jobs()


def _warm_ahead(run: _Run) -> bool:
    """Whether the pack's kernels warm up ahead, while it reads its KPIs and starts Chromium.

    By default one kernel does (:func:`pack_workers`), whether the KPIs compute or come
    from the store: an analyst's re-run runs the sections an edit touched (often one), and
    the one kernel warmed ahead runs them. Measured on Meridian after a commentary edit that
    the summary shows, five alternating pairs: 2.2-2.8 s, against 2.6-3.3 s with the kernel
    started for the section (a re-run whose edit no section shows ends that kernel at once,
    :func:`_release_kernels`; ``reportlib pack`` warms its kernel at its first moment).
    Several workers the caller asked for (``jobs``) warm ahead only when the
    KPIs compute: on two cores, two kernels warming beside a re-run slowed it (6.4 s against
    4.9-5.5 s with one kernel started for the one section)."""
    return run.request.jobs is None or not _kpis_stored(run)


def _kpis_stored(run: _Run) -> bool:
    """Whether the KPIs will be read back from the store: the pack is an analyst's re-run."""
    request = run.request
    try:
        return is_stored(
            run.company, run.parameters["as_of"], request.window, request.segment, request.compare, request.cache
        )
    except Exception:  # noqa: BLE001 -- a hint only: when in doubt, warm the kernels
        return False


# -- step: validate ---------------------------------------------------------------------------------
def _validate(request: PackRequest) -> tuple[Company, str]:
    """The validated company (restricted to the segment) and the reported month."""
    company = load_company(request.company_dir, cache=request.cache)
    if request.segment:
        company.segment(*request.segment)  # fails early (ParameterError) on an unknown dimension
    month, _date = resolve_as_of(company, request.as_of)
    text = str(request.as_of).strip() if request.as_of is not None else ""
    # a given YYYY-MM-DD is kept: pacing reads the day
    return company, text if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text) else str(month)


# -- step: plan (folder, notebook parameters, what makes the pack unique) -------------------------------
def _plan(request: PackRequest, company: Company, as_of: str) -> tuple[Path, dict[str, str], dict[str, Any]]:
    seg, cmp_ = request.segment, request.compare
    folder = pack_folder(request.out, company.slug, as_of, seg, cmp_)
    parameters = {
        "company_dir": str(Path(company.path).resolve()),
        "as_of": as_of,
        "window": request.window,
        "segment": f"{seg[0]}={seg[1]}" if seg else "",
        "compare": f"{cmp_[0]}={cmp_[1][0]},{cmp_[1][1]}" if cmp_ else "",
    }
    fingerprint = {
        "parameters": parameters,
        "versions": _versions(),
        "inputs": _input_hashes(company),
        "notebooks": {p.name: file_digest(p) for p in request.sections},
        "fund": {str(f): file_digest(f) for f in request.fund.files()} if request.fund else {},
        "template": _tree_hash(templates_dir()),
    }
    return folder, parameters, fingerprint


def _tree_hash(folder: Path) -> str:
    """One sha256 over every file of ``folder`` (names and contents): the nbconvert template."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(folder)).encode() + b"\0" + file_digest(path).encode())
    return h.hexdigest()


def _input_hashes(company: Company) -> dict[str, str]:
    """sha256 of every file read for the company, plus company.toml and commentary.md."""
    root = Path(company.path)
    files = {Path(p) for paths in company.sources.values() for p in paths}
    files |= {root / n for n in ("company.toml", "commentary.md") if (root / n).is_file()}
    out = {}
    for f in sorted(files):
        f = f if f.is_absolute() else root / f
        try:
            key = str(f.relative_to(root))
        except ValueError:
            key = str(f)
        out[key] = file_digest(f)
    return out


def _versions() -> dict[str, str]:
    """The package's version and its code's digest (an edited install, or a fix released
    under the same version, makes the pack again), and the toolchain's versions."""
    out = {"reportlib": __version__, "reportlib_code": code_digest()}
    for name in _VERSIONED:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = ""
    return out


# -- step: skip an unchanged pack -----------------------------------------------------------------
def _skip_key(manifest: dict[str, Any]) -> Any:
    """Everything that changes the pack: parameters, package version and code, inputs,
    section notebooks, the fund's settings and files, the template."""
    return (
        manifest.get("parameters"),
        manifest.get("versions", {}).get("reportlib"),
        manifest.get("versions", {}).get("reportlib_code"),
        manifest.get("inputs"),
        manifest.get("notebooks"),
        manifest.get("fund"),
        manifest.get("template"),
    )


def _unchanged(folder: Path, fingerprint: dict[str, Any], force: bool) -> bool:
    if force:
        return False
    try:
        old = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        _skip_key(old) == _skip_key(fingerprint)
        and (folder / PDF_NAME).is_file()
        and all(unchanged(reads) for reads in dict(old.get("reads") or {}).values())
    )


# -- step: check Chromium ---------------------------------------------------------------------------
def _start_chromium(request: PackRequest) -> Chromium:
    """Start the browser now (no binary: an error naming where it looked), or take the
    session's running one, checked by :func:`_check_chromium`.

    Started after the KPIs, not beside them: its start (about a CPU second over several
    processes) slowed the KPIs by 0.4-0.5 s on two cores, where the pack's kernel warms up
    meanwhile, and it still answers before that kernel's first section ends (Meridian, cold
    ``--force``, interleaved: 3.9-4.1 s against 4.2-4.3 s; kpis step 0.39 s against 0.82-0.90 s)."""
    return request.session.browser() if request.session else Chromium(wait=False)


def _check_chromium(browser: Chromium) -> str:
    """The browser answered (its version): checked before any notebook runs, so that a broken
    one (``REPORTLIB_CHROMIUM=/bin/false``) fails in seconds, naming the binary."""
    return browser.ready()


# -- step: stage ----------------------------------------------------------------------------------
def _open_staging(request: PackRequest, folder: Path) -> Path:
    """A new staging folder beside ``folder``, named with this process's pid; staging
    folders of runs whose process is gone are removed first. A folder that cannot be
    written raises the OS's error here, before Chromium or any notebook starts (the CLI
    says what it means)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    processes.remove_stale(folder.parent)
    staging = folder.with_name(processes.staging_name(folder.name))
    staging.mkdir()
    return staging


# -- steps: compute KPIs, write tables ------------------------------------------------------------
def _compute_kpis(request: PackRequest, company: Company, as_of: str) -> KpiResult:
    return compute_kpis(
        company,
        as_of=as_of,
        window=request.window,
        segment=request.segment,
        compare=request.compare,
        cache=request.cache,
    )


def _restate(run: _Run) -> tuple[dict[str, Any], Callable[[], Any]]:
    """Restatements against the latest earlier pack beside the folder (added to the result);
    manifest entries, and the call that writes the record the next pack compares with into
    staging (run while the notebooks run, see :func:`_write_tables`)."""
    return restatement_record(run.result, run.company, run.folder, run.staging, run.request.cache)


def _write_tables(
    result: KpiResult, staging: Path, parameters: dict[str, str], cache: Mode, keep_record: Callable[[], Any]
) -> dict[str, Future]:
    """The KpiResult where ``load_report`` looks for it, so that the section notebooks read it
    instead of recomputing (one computation per pack); ``kpis.csv`` and ``tables/``.

    ``kpis.csv``, ``tables/``, ``kpis.xlsx`` and the input record (``keep_record``) are
    written on a thread while the notebooks run (no notebook reads them, and the main process
    mostly waits for kernels and Chromium meanwhile): the returned futures give their seconds,
    see :func:`_finish_writes`."""
    write_cache(
        result,
        staging,
        parameters["company_dir"],
        parameters["as_of"],
        parameters["window"],
        parameters["segment"],
        parameters["compare"],
    )
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pack-writes")
    try:
        return {
            "tables": writer.submit(_timed, lambda: write_kpis(result, staging, workbook=False, cache=cache)),
            "input_record": writer.submit(_timed, keep_record),
            "workbook": writer.submit(_timed, lambda: write_kpis_workbook(result, staging, cache=cache)),
        }
    finally:
        writer.shutdown(wait=False)  # the thread ends with its jobs


def _timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return round(time.perf_counter() - start, 3)


def _finish_writes(run: _Run) -> None:
    """Wait for ``kpis.xlsx`` and the input record (raising an error of theirs) and record
    their seconds."""
    for name, written in run.writes.items():
        run.timings[name] = written.result()


# -- steps: run notebooks, print them ----------------------------------------------------------------
class _Printer:
    """Prints sections as their notebooks finish, in tabs of one browser."""

    def __init__(self, pdf_dir: Path, browser: Chromium, workers: int, theme: Theme):
        self.pdf_dir = pdf_dir
        self.browser = browser
        self.theme_css = theme.css()
        self.pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="print")
        self.jobs: dict[str, Future] = {}
        self.seconds: dict[str, float] = {}

    def submit(self, notebook: Path) -> None:
        self.jobs[notebook.stem] = self.pool.submit(self._export, notebook)

    def reuse(self, stem: str, pdf: bytes) -> None:
        """A section printed by an earlier pack (:mod:`reportlib.render.reuse`): its pages as they were."""
        path = self.pdf_dir / f"{stem}.pdf"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pdf)
        done: Future = Future()
        done.set_result(path)
        self.jobs[stem] = done

    def _export(self, notebook: Path) -> Path:
        start = time.perf_counter()
        pdf = _printing().export_one(notebook, self.pdf_dir, self.browser, footer=False, theme_css=self.theme_css)
        self.seconds[notebook.stem] = round(time.perf_counter() - start, 3)
        return pdf

    def results(self, stems: Sequence[str]) -> list[Path]:
        try:
            return [self.jobs[s].result(PRINT_TIMEOUT) for s in stems]
        except TimeoutError:
            raise ExportError(f"a section was not printed within {PRINT_TIMEOUT:.0f}s") from None

    def __enter__(self) -> _Printer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        # After a failure (SIGTERM or Ctrl-C included: raised anywhere in this thread, even
        # inside a lock a printing thread then waits for) the clean-up goes on at once
        # rather than waiting for the printing threads; it closes the browser they print in.
        self.pool.shutdown(wait=exc_type is None, cancel_futures=True)


def _printing() -> ModuleType:
    """:mod:`reportlib.render.export` (nbconvert, pypdf: 0.3 s of CPU to import), which the
    pack loads on its own thread once it knows it will print: a pack found unchanged
    never loads it (its command: 0.93-1.19 -> 0.63-1.06 s, five pairs). Loaded later, in the printing thread, it
    competed with the kernel's warm-up and Chromium's start: a re-run after a commentary
    edit took 0.4 s longer (eight interleaved pairs, 3.28 against 2.87 s)."""
    from reportlib.render import export

    return export


def _run_notebooks(run: _Run, printer: _Printer) -> list[SectionRun]:
    """Every section notebook, each printed as soon as it finishes (a reused section is
    copied instead, see :func:`_unchanged_sections`); the first failure raises."""
    request, staging = run.request, run.staging
    for stem, stored in run.reused.items():
        _copy_reused(stem, stored, staging / "notebooks", printer)
    runs = run_sections(
        [s for s in request.sections if s.stem not in run.reused],
        {**run.parameters, "output_dir": str(staging)},
        staging / "notebooks",
        executor=run.pool or request.executor,
        jobs=request.jobs,
        expected=_expected(request.sections, run.folder),
        on_done=lambda done: printer.submit(done.output) if done.ok else None,
        track_reads=True,  # for the store and for the next run's check of an unchanged pack
    )
    failed = [r for r in runs if not r.ok and r.attempts > 0]
    if failed:
        failed[0].raise_for_error()
    ran = {r.section: r for r in runs}
    return [ran.get(s.stem) or SectionRun(s.stem, s, staging / "notebooks" / s.name, 0.0, 0) for s in request.sections]


# -- steps: reuse unchanged sections, keep the ones that ran ---------------------------------------
def _unchanged_sections(run: _Run) -> tuple[dict[str, str], dict[str, reuse.StoredSection]]:
    """Each plain section's store key (none when the result has no store key or the store
    is off; a notebook that is not plain always runs, see
    :func:`reportlib.render.reuse.plain_notebook`) and the sections whose stored pages
    still hold: same context, and every commentary block and file they read unchanged
    (:mod:`reportlib.render.reuse`)."""
    fingerprint = result_fingerprint(run.result)
    if fingerprint is None or not run.request.cache.writes:
        return {}, {}
    f = run.fingerprint
    context = (
        run.parameters,
        str(run.folder),
        fingerprint,
        code_digest(),
        library_versions(),
        f["versions"],
        f["fund"],
        f["template"],
        run.request.theme.css(),
        run.chromium,
    )
    keys = {s.stem: reuse.section_key(s, context) for s in run.request.sections if reuse.plain_notebook(s)}
    found = {stem: hit for stem, key in keys.items() if (hit := reuse.reusable(key, run.request.cache)) is not None}
    return keys, found


def _copy_reused(stem: str, stored: reuse.StoredSection, notebooks: Path, printer: _Printer) -> None:
    """A reused section's executed notebook into staging and its pages to the printer."""
    notebooks.mkdir(parents=True, exist_ok=True)
    (notebooks / f"{stem}.ipynb").write_bytes(stored.notebook)
    printer.reuse(stem, stored.pdf)


def _keep_sections(run: _Run) -> None:
    """Store each section that ran with what it read, its executed notebook (pointing at
    the pack's folder) and its pages, for the next pack of the same context."""
    pdfs = dict(zip([s.stem for s in run.request.sections], run.pdfs, strict=True))
    for section in run.runs:
        key = run.keys.get(section.section)
        if key and section.reads:  # a reused section has no reads of this run: kept already
            text = _relocated(section.output.read_text(encoding="utf-8"), run.staging, run.folder)
            reuse.keep(key, run.request.cache, section.reads, text.encode("utf-8"), pdfs[section.section].read_bytes())


def _last_timings(folder: Path) -> dict[str, float]:
    """Section seconds of the pack already in ``folder`` (empty when there is none)."""
    try:
        return dict(json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["timings"]["sections"])
    except (OSError, ValueError, KeyError, TypeError):
        return {}


_DRAWING = re.compile(r"\bcharts\.\w+\(|\bplt\.(?:show|subplots|figure)\(|\bdisplay\(")


def _estimate(notebook: Path) -> float:
    """Rough seconds a section takes, from what its code draws (charts, tables): used to
    start the heaviest sections first when no earlier pack of this folder has timings."""
    try:
        cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):
        return 0.0
    code = "\n".join("".join(c.get("source", "")) for c in cells if c.get("cell_type") == "code")
    return 0.3 + 0.25 * len(_DRAWING.findall(code))


def _expected(sections: Sequence[Path], folder: Path) -> dict[str, float]:
    """Expected seconds per section: the last pack's timings in ``folder`` where there are
    some, else an estimate from each notebook's code (see :func:`_estimate`)."""
    last = _last_timings(folder)
    return {s.stem: last.get(s.stem, _estimate(s)) for s in sections}


# -- step: assemble ---------------------------------------------------------------------------------
def _assemble(run: _Run) -> int:
    """The section PDFs joined into ``board-pack.pdf``, with bookmarks and a footer; its pages."""
    seg = run.request.segment
    name = run.company.config.name + (f" ({seg[1]})" if seg else "")
    logo = run.request.theme.logo_data_uri()
    printing = _printing()
    stamps = printing.logo_stamps(logo, run.staging / "_build", run.browser) if logo else None
    return printing.assemble_pdf(
        run.pdfs,
        run.staging / PDF_NAME,
        company=name,
        period=run.result.window.label,  # the window the KPIs report, snapped to a fiscal period end
        bookmarks=[section_title(s) for s in run.request.sections],
        stamps=stamps,
    )


def _tidy_staging(run: _Run) -> None:
    """Point the executed notebooks at the final folder; drop the build and cache folders."""
    for section in run.runs:
        _relocate(section.output, run.staging, run.folder)
    shutil.rmtree(run.staging / "_build", ignore_errors=True)
    shutil.rmtree(run.staging / KPI_CACHE.parent, ignore_errors=True)


def _relocate(notebook: Path, staging: Path, folder: Path) -> None:
    """Point the executed notebook's ``output_dir`` at the final folder, not the staging one.

    The staging path is unique (it holds a pid and a random id), so a plain text
    replacement of its JSON-escaped form touches nothing else.
    """
    text = notebook.read_text(encoding="utf-8")
    relocated = _relocated(text, staging, folder)
    if relocated != text:
        notebook.write_text(relocated, encoding="utf-8")


def _relocated(text: str, staging: Path, folder: Path) -> str:
    """An executed notebook's text with the staging folder replaced by the pack's folder."""
    old, new = json.dumps(str(staging))[1:-1], json.dumps(str(folder))[1:-1]
    return text.replace(old, new)


# -- step: manifest -----------------------------------------------------------------------------------
def _warnings(company: Company, result: KpiResult) -> list[str]:
    items = [str(w) for w in getattr(company, "warnings", [])]
    items += [str(n) for n in getattr(result, "notes", [])]
    return list(dict.fromkeys(items))


def _section_reads(run: _Run) -> dict[str, Any]:
    """What each section read besides the KPI result (:mod:`reportlib.deck._reads`), where
    known: the next run checks it before it skips this pack as unchanged."""
    reads = {r.section: r.reads for r in run.runs if r.reads}
    reads.update({stem: stored.reads for stem, stored in run.reused.items()})
    return {stem: json.loads(text) for stem, text in sorted(reads.items())}


def _write_manifest(run: _Run) -> None:
    fingerprint = run.fingerprint
    manifest = {
        "parameters": fingerprint["parameters"],
        "versions": {**fingerprint["versions"], "chromium": run.chromium},
        "inputs": fingerprint["inputs"],
        "notebooks": fingerprint["notebooks"],
        "fund": fingerprint["fund"],
        "template": fingerprint["template"],
        **run.restatements,
        "pages": run.pages,
        "reused_sections": sorted(run.reused),
        "reads": _section_reads(run),
        "warnings": _warnings(run.company, run.result),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "timings": run.timings,
        # the portfolio's staleness: a contracts pack runs past its data (open contracts serve on)
        DATA_LAST_MONTH: data_last_month(run.company),
    }
    (run.staging / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")


# -- step: swap in ------------------------------------------------------------------------------------
def _swap_in(staging: Path, folder: Path) -> None:
    """Replace ``folder`` by ``staging``; the old pack is kept until the new one is in place."""
    old = None
    if folder.exists():
        old = folder.with_name(processes.staging_name(folder.name, "old"))
        os.rename(folder, old)
    try:
        os.rename(staging, folder)
    except OSError:
        if old is not None:
            os.rename(old, folder)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# -- clean-up (on success, error, SIGTERM and Ctrl-C) --------------------------------------------------
def _release_kernels(run: _Run) -> None:
    """Every section has run: the pack's own workers (and their kernels) end politely on a
    thread while the last pages print and the deck is assembled, rather than after it (about
    0.2 s at the end of every pack). A caller's executor or session keeps its kernels. The
    pool stays the run's until it has ended: a run that fails meanwhile kills what is left.

    A pool on which no section ran (every page came from the store) is ended at once: its
    kernel warmed ahead for nothing, and a polite end would wait for that warm-up (about
    0.9 s of a 0.7 s pack). Its kernel exits on its own, as when an unchanged pack ends the
    kernels the command started ahead."""
    pool = run.pool
    if pool is None:
        return
    if {s.stem for s in run.request.sections} <= set(run.reused):
        _release(run, lambda: processes.end_pool(pool))
    else:
        _release(run, lambda: pool.shutdown(wait=True, cancel_futures=True))


def _release_browser(run: _Run) -> None:
    """Every page has printed and the deck is assembled (a logo is stamped through the
    browser): the pack's own browser closes on a thread while the rest is written (about
    0.15 s). A session's browser stays."""
    browser = run.browser
    if browser is not None and run.request.session is None:
        run.browser = None
        _release(run, browser.close)


def _release(run: _Run, end: Callable[[], None]) -> None:
    ending = ThreadPoolExecutor(1, thread_name_prefix="reportlib-release")
    run.releases.append(ending.submit(end))  # its error is raised where the run waits (_released)
    ending.shutdown(wait=False)  # the thread ends with its one job


def _released(run: _Run) -> None:
    """After a good run: the kernels and the browser have ended (an error ending them is raised)."""
    for done in run.releases:
        done.result()
    run.pool = None


def _clean_up(run: _Run) -> None:
    """Stop the browser and whatever workers are left (killed: the run failed), wait for the
    ones ending on a thread, then remove a staging folder that was not swapped in."""
    if run.browser is not None and run.request.session is None:  # a session's browser stays
        run.browser.close()
    processes.end_pool(run.pool)
    wait(run.releases)  # no process of this pack outlives it
    wait(run.writes.values())  # not writing into a folder about to be removed
    if run.staging != Path() and run.staging.exists():
        shutil.rmtree(run.staging, ignore_errors=True)
        _remove_empty_parents(run.folder.parent, run.request.out)


def _remove_empty_parents(path: Path, stop: Path) -> None:
    for parent in [path, *path.parents]:
        if parent == stop or stop not in parent.parents:
            break
        try:
            parent.rmdir()
        except OSError:
            break
