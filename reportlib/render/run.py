"""Run section notebooks with papermill, in parallel worker processes.

Each notebook runs in its own ``python3`` kernel with absolute paths; the working
directory is never changed (``cwd=None``), so several runs can share one process pool.
The runner takes any :class:`concurrent.futures.Executor`: a process pool on one
machine, or ``distributed.Client(address).get_executor()`` across a Dask cluster.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportlib.exceptions import SectionError
from reportlib.processes import default_jobs, die_with_parent

__all__ = [
    "SectionRun",
    "release_kernel",
    "run_section",
    "run_sections",
    "section_name",
    "warm_kernel",
    "warm_up",
]

KERNEL = "python3"


@dataclass(frozen=True)
class SectionRun:
    """The outcome of one section notebook.

    Plain data (no exception object), so that it pickles across any executor.
    """

    section: str
    notebook: Path
    output: Path
    seconds: float
    attempts: int = 1
    cell: int | None = None
    error: str | None = None
    #: What the notebook read besides the KPI result (``reportlib.deck._reads``, JSON), when
    #: it ran with ``track_reads`` in a kept kernel and its reads could be told; else None.
    reads: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def raise_for_error(self) -> None:
        """Raise :class:`SectionError` if this section failed."""
        if self.error is not None:
            raise SectionError(self.section, self.cell, self.error)


def section_name(notebook: Path | str) -> str:
    """``02_revenue_quality.ipynb`` -> ``02_revenue_quality`` (the name errors use)."""
    return Path(notebook).stem


def _one_line(text: str) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(text)).strip()
    return text.splitlines()[0].strip() if text else ""


#: Imported into each warm kernel while the pack computes its KPIs (missing ones are skipped).
WARM_IMPORTS = (
    "pandas",
    "matplotlib.pyplot",
    "matplotlib_inline.backend_inline",
    "reportlib.deck.report",
    "reportlib.deck.charts",
)


#: Called in each warm kernel after the imports (missing or failing ones are skipped): the
#: deck draws one small figure and table there, so that fonts, the SVG writer and pandas'
#: table templates are loaded before the first section rather than during it.
WARM_CALLS = ("reportlib.deck.report.warm_drawing",)


def warm_kernel(imports: Sequence[str], start_timeout: float = 60.0, calls: Sequence[str] = WARM_CALLS) -> float:
    """Start (or reset) this worker's kernel, import ``imports`` in it and call ``calls``
    (dotted names of functions without arguments); returns seconds."""
    from reportlib.render import _kernel  # papermill and jupyter_client, where kernels run

    return _kernel.warm(imports, start_timeout, calls)


def release_kernel() -> None:
    """End this thread's kept kernel now, if it has one (a session that ran its
    notebooks in this thread is closing; otherwise the kernel ends with the process)."""
    kernels = sys.modules.get("reportlib.render._kernel")
    if kernels is not None:  # a process that never ran a section keeps no kernel
        kernels.release()


def run_section(
    notebook: Path | str,
    output: Path | str,
    parameters: Mapping[str, Any],
    start_timeout: float = 60.0,
    execution_timeout: float | None = 600.0,
    reuse_kernel: bool = False,
    track_reads: bool = False,
) -> SectionRun:
    """Execute one notebook with papermill; never raises for a failing cell.

    A kernel that fails to start (``RuntimeError``/``TimeoutError`` from
    jupyter_client) is retried once, since that is usually a transient race for ports
    or a slow machine; a failing cell is not retried. With ``reuse_kernel`` the
    notebook runs in this thread's warm kernel, reset first
    (:mod:`reportlib.render._kernel`); with ``track_reads`` too, the kernel records what
    the notebook read besides the KPI result (:mod:`reportlib.deck._reads`;
    :attr:`SectionRun.reads`).
    """
    from reportlib.render import _papermill  # papermill and jupyter_client, where sections run

    notebook, output = Path(notebook).resolve(), Path(output).resolve()
    name = section_name(notebook)
    track = track_reads and reuse_kernel
    t0 = time.perf_counter()
    for attempt in (1, 2):
        run, reads = _papermill.attempt(
            notebook, output, parameters, start_timeout, execution_timeout, reuse_kernel, track
        )
        if isinstance(run, tuple):
            cell, error = run
            if cell == "retry" and attempt == 1:
                continue
            return SectionRun(
                name, notebook, output, time.perf_counter() - t0, attempt, None if cell == "retry" else cell, error
            )
        return SectionRun(name, notebook, output, time.perf_counter() - t0, attempt, reads=reads)
    raise AssertionError("unreachable")


def warm_up(
    executor: Executor, workers: int, imports: Sequence[str] = WARM_IMPORTS, calls: Sequence[str] = WARM_CALLS
) -> list[Future]:
    """Start a kernel in each of ``workers`` pool workers, pre-import ``imports`` and call
    ``calls`` (:data:`WARM_CALLS`: the deck's first drawing).

    Submit this right after creating the pool and before the KPI step, so that kernel
    start-up and imports overlap with work the pack does anyway.
    """
    return [executor.submit(warm_kernel, tuple(imports), 60.0, tuple(calls)) for _ in range(workers)]


def _submit_all(
    executor: Executor,
    notebooks: Sequence[Path],
    outputs: Sequence[Path],
    params: Mapping[str, Any],
    reuse: bool,
    expected: Mapping[str, float] | None,
    track_reads: bool = False,
) -> list[Future]:
    # Longest expected section first (from a previous run's timings): the pool then
    # finishes sooner than in notebook order, where a long section may start last.
    order = sorted(range(len(notebooks)), key=lambda i: -(expected or {}).get(section_name(notebooks[i]), 0.0))
    futures: dict[int, Future] = {}
    for i in order:
        futures[i] = executor.submit(
            run_section, notebooks[i], outputs[i], dict(params), reuse_kernel=reuse, track_reads=track_reads
        )
    return [futures[i] for i in range(len(notebooks))]


def run_sections(
    notebooks: Iterable[Path | str],
    params: Mapping[str, Any],
    out_dir: Path | str,
    executor: Executor | None = None,
    jobs: int | None = None,
    on_done: Callable[[SectionRun], None] | None = None,
    reuse_kernels: bool = True,
    expected: Mapping[str, float] | None = None,
    track_reads: bool = False,
) -> list[SectionRun]:
    """Execute section notebooks in parallel and return their runs in notebook order.

    Parameters
    ----------
    notebooks : iterable of path
        Section notebooks (order is kept in the result).
    params : mapping
        Papermill parameters, the same for every section.
    out_dir : path
        Folder for the executed notebooks (same file names).
    executor : concurrent.futures.Executor, optional
        Where to run; default a :class:`ProcessPoolExecutor` of ``jobs`` workers.
    jobs : int, optional
        Workers for the default pool (default: one per core). ``jobs=1`` runs in this
        process, one after another (for use inside portfolio workers).
    on_done : callable, optional
        Called in this process with each :class:`SectionRun` as it completes (the pack
        starts printing a section while the others still run).
    reuse_kernels : bool
        Run each notebook in its worker's warm kernel, reset in between (default), rather
        than starting a new kernel per notebook; kernel start and library imports are
        then paid once per worker, not once per section.
    expected : mapping, optional
        Expected seconds per section name (e.g. from the last manifest); the longest
        sections are started first.
    track_reads : bool
        Record what each notebook reads besides the KPI result (in kept kernels only):
        :attr:`SectionRun.reads`, for the pack's reuse of unchanged sections.

    Returns
    -------
    list of SectionRun
        One per notebook; check ``.ok`` / call ``.raise_for_error()``. Once a section
        fails, sections not yet started are cancelled and reported as such.

    Raises
    ------
    SectionError
        Never for a failing notebook (see the result); only the pack turns it into one.
    """
    notebooks = [Path(nb).resolve() for nb in notebooks]
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = [out_dir / nb.name for nb in notebooks]
    if not notebooks:
        return []
    if executor is None and (jobs == 1 or len(notebooks) == 1):
        return _run_inline(notebooks, outputs, params, on_done, reuse_kernels, track_reads)
    own = executor is None
    if own:
        executor = ProcessPoolExecutor(
            max_workers=min(jobs or default_jobs(), len(notebooks)), initializer=die_with_parent
        )
    try:
        return _collect(
            _submit_all(executor, notebooks, outputs, params, reuse_kernels, expected, track_reads),
            notebooks,
            outputs,
            on_done,
        )
    finally:
        if own:
            executor.shutdown(wait=True, cancel_futures=True)


def _run_inline(
    notebooks: Sequence[Path],
    outputs: Sequence[Path],
    params: Mapping[str, Any],
    on_done: Callable[[SectionRun], None] | None,
    reuse: bool,
    track_reads: bool = False,
) -> list[SectionRun]:
    runs: list[SectionRun] = []
    for nb, out in zip(notebooks, outputs, strict=True):
        run = run_section(nb, out, params, reuse_kernel=reuse, track_reads=track_reads)
        runs.append(run)
        if on_done:
            on_done(run)
        if not run.ok:
            runs += [_cancelled(n, o) for n, o in zip(notebooks[len(runs) :], outputs[len(runs) :], strict=True)]
            break
    return runs


def _cancelled(nb: Path, out: Path) -> SectionRun:
    return SectionRun(section_name(nb), nb, out, 0.0, 0, None, "not run: an earlier section failed")


def _collect(
    futures: list[Future],
    notebooks: Sequence[Path],
    outputs: Sequence[Path],
    on_done: Callable[[SectionRun], None] | None,
) -> list[SectionRun]:
    results: dict[int, SectionRun] = {}
    index = {id(f): i for i, f in enumerate(futures)}
    pending = set(futures)
    failed = False
    while pending:
        done, pending = wait(pending, return_when=FIRST_COMPLETED)
        for fut in done:
            i = index[id(fut)]
            if fut.cancelled():
                results[i] = _cancelled(notebooks[i], outputs[i])
                continue
            try:
                run = fut.result()
            except Exception as exc:  # noqa: BLE001 - a worker died: report it as the section's error
                run = SectionRun(
                    section_name(notebooks[i]),
                    notebooks[i],
                    outputs[i],
                    0.0,
                    1,
                    None,
                    f"worker failed: {type(exc).__name__}: {_one_line(str(exc))}",
                )
            results[i] = run
            if on_done:
                on_done(run)
            if not run.ok and not failed:
                failed = True
                for other in pending:  # fail fast: do not start what cannot be used
                    other.cancel()
    return [results[i] for i in range(len(futures))]
