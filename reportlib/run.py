"""Run section notebooks with papermill, in parallel worker processes.

Each notebook runs in its own ``python3`` kernel with absolute paths; the working
directory is never changed (``cwd=None``), so several runs can share one process pool.
The runner takes any :class:`concurrent.futures.Executor`: a process pool on one
machine, or ``distributed.Client(address).get_executor()`` across a Dask cluster.
"""
from __future__ import annotations

import os
import re
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from .exceptions import SectionError

__all__ = ["SectionRun", "run_section", "run_sections", "section_name", "default_jobs"]

KERNEL = "python3"
_START_ERRORS = (RuntimeError, TimeoutError, ConnectionError)


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


def default_jobs() -> int:
    """About one worker per core (each worker drives one kernel, which does the work)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _one_line(text: str) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(text)).strip()
    return text.splitlines()[0].strip() if text else ""


def _code_cell_number(nb_path: Path, cell_index: int) -> int | None:
    """1-based number of the failing cell among the source notebook's code cells.

    Papermill's ``cell_index`` counts every cell of the executed notebook, including the
    injected-parameters cell it added; the analyst needs the number in the notebook
    they open (Jupyter's "cell N" of code cells), so the injected cell is not counted.
    """
    import nbformat

    try:
        nb = nbformat.read(str(nb_path), as_version=4)
    except Exception:  # noqa: BLE001 - the output may be unreadable; fall back to None
        return None
    # Papermill inserts its error banner cells after computing cell_index: drop them.
    cells = [c for c in nb.cells if "papermill-error-cell-tag" not in c.metadata.get("tags", [])]
    count = 0
    for index, cell in enumerate(cells):
        if cell.cell_type != "code" or "injected-parameters" in cell.metadata.get("tags", []):
            if index == cell_index:
                return None
            continue
        count += 1
        if index == cell_index:
            return count
    return None


def run_section(notebook: Path | str, output: Path | str, parameters: Mapping[str, Any],
                start_timeout: float = 60.0, execution_timeout: float | None = 600.0) -> SectionRun:
    """Execute one notebook with papermill; never raises for a failing cell.

    A kernel that fails to start (``RuntimeError``/``TimeoutError`` from
    jupyter_client) is retried once, since that is usually a transient race for ports
    or a slow machine; a failing cell is not retried.
    """
    import papermill as pm
    from nbclient.exceptions import CellControlSignal
    from papermill.exceptions import PapermillExecutionError

    notebook, output = Path(notebook).resolve(), Path(output).resolve()
    name = section_name(notebook)
    t0 = time.perf_counter()
    for attempt in (1, 2):
        try:
            pm.execute_notebook(
                str(notebook), str(output), parameters=dict(parameters), kernel_name=KERNEL,
                cwd=None, progress_bar=False, log_output=False, request_save_on_cell_execute=False,
                start_timeout=start_timeout, execution_timeout=execution_timeout)
            return SectionRun(name, notebook, output, time.perf_counter() - t0, attempt)
        except PapermillExecutionError as exc:
            error = f"{exc.ename}: {_one_line(exc.evalue)}" if _one_line(exc.evalue) else str(exc.ename)
            cell = _code_cell_number(output, exc.cell_index)
            if cell is None:
                cell = exc.exec_count
            return SectionRun(name, notebook, output, time.perf_counter() - t0, attempt, cell, error)
        except CellControlSignal as exc:  # cell timeout: a cell problem, not a start problem
            return SectionRun(name, notebook, output, time.perf_counter() - t0, attempt, None,
                              f"{type(exc).__name__}: {_one_line(str(exc))}")
        except _START_ERRORS as exc:
            if attempt == 2:
                return SectionRun(name, notebook, output, time.perf_counter() - t0, attempt, None,
                                  f"kernel could not start: {type(exc).__name__}: {_one_line(str(exc))}")
    raise AssertionError("unreachable")


def _submit_all(executor: Executor, notebooks: Sequence[Path], outputs: Sequence[Path],
                params: Mapping[str, Any]) -> list[Future]:
    return [executor.submit(run_section, nb, out, dict(params)) for nb, out in zip(notebooks, outputs)]


def run_sections(notebooks: Iterable[Path | str], params: Mapping[str, Any], out_dir: Path | str,
                 executor: Executor | None = None, jobs: int | None = None,
                 on_done: Callable[[SectionRun], None] | None = None) -> list[SectionRun]:
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
        return _run_inline(notebooks, outputs, params, on_done)
    own = executor is None
    if own:
        executor = ProcessPoolExecutor(max_workers=min(jobs or default_jobs(), len(notebooks)))
    try:
        return _collect(_submit_all(executor, notebooks, outputs, params), notebooks, outputs, on_done)
    finally:
        if own:
            executor.shutdown(wait=True, cancel_futures=True)


def _run_inline(notebooks: Sequence[Path], outputs: Sequence[Path], params: Mapping[str, Any],
                on_done: Callable[[SectionRun], None] | None) -> list[SectionRun]:
    runs: list[SectionRun] = []
    for nb, out in zip(notebooks, outputs):
        run = run_section(nb, out, params)
        runs.append(run)
        if on_done:
            on_done(run)
        if not run.ok:
            runs += [_cancelled(n, o) for n, o in zip(notebooks[len(runs):], outputs[len(runs):])]
            break
    return runs


def _cancelled(nb: Path, out: Path) -> SectionRun:
    return SectionRun(section_name(nb), nb, out, 0.0, 0, None, "not run: an earlier section failed")


def _collect(futures: list[Future], notebooks: Sequence[Path], outputs: Sequence[Path],
             on_done: Callable[[SectionRun], None] | None) -> list[SectionRun]:
    from concurrent.futures import FIRST_COMPLETED, wait

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
                run = SectionRun(section_name(notebooks[i]), notebooks[i], outputs[i], 0.0, 1, None,
                                 f"worker failed: {type(exc).__name__}: {_one_line(str(exc))}")
            results[i] = run
            if on_done:
                on_done(run)
            if not run.ok and not failed:
                failed = True
                for other in pending:  # fail fast: do not start what cannot be used
                    other.cancel()
    return [results[i] for i in range(len(futures))]
