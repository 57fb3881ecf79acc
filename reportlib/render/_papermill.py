"""Papermill's run of one section notebook in the worker's kept kernel
(:mod:`reportlib.render._kernel`), or in a kernel of its own; what a failure means for the
pack (the cell the analyst opens, a kernel that did not start and is retried).
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import nbformat
from nbclient.exceptions import CellControlSignal

from reportlib.render._kernel import ARM_READS, TrackingKernelManager, discard_kernel, kept_kernel, take_reads
from reportlib.render.run import KERNEL, _one_line


@contextlib.contextmanager
def _without_module(name: str) -> Iterator[None]:
    """Within the block, ``import name`` fails as if the module were not installed (unless
    this process has imported it already); afterwards it imports as usual."""
    if name in sys.modules:
        yield
        return
    sys.modules[name] = None  # type: ignore[assignment]  # the import system's "not found"
    try:
        yield
    finally:
        if sys.modules.get(name, 0) is None:
            del sys.modules[name]


# papermill's I/O module offers HDFS paths through pyarrow.fs, which imports pyarrow and
# numpy: 0.13-0.16 s of every runner's start, while its kernel boots on the other core. The
# pack gives papermill local paths only, so papermill is loaded as if pyarrow.fs were absent
# (its HDFS handler then says pyarrow is missing); the process imports pyarrow.fs normally
# afterwards.
with _without_module("pyarrow.fs"):
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

_START_ERRORS = (RuntimeError, TimeoutError, ConnectionError)


def compile_validator() -> None:
    """Compile nbformat's schema validator in this process (see :func:`reportlib.render._kernel._warm_runner`)."""
    nbformat.validate(nbformat.v4.new_notebook())


class _QuietPapermill:
    """Logging filter for papermill's parameter-inspection chatter.

    Papermill parses the ``parameters`` cell to list the notebook's parameters and warns
    about every line it cannot read as ``name = value`` (comments, wrapped lines) and about
    parameters the cell does not assign. The pack passes the same documented parameters to
    every section, so for a user these are noise; everything else papermill logs (errors
    included) still goes through.
    """

    _NOISE = ("Unable to parse line", "Passed unknown parameter")

    def filter(self, record: Any) -> bool:
        try:
            return not str(record.getMessage()).startswith(self._NOISE)
        except Exception:  # noqa: BLE001 - never lose a record because of the filter
            return True


def _quiet_papermill() -> None:
    for name in ("papermill", "papermill.translators"):
        log = logging.getLogger(name)
        if not any(isinstance(f, _QuietPapermill) for f in log.filters):
            log.addFilter(_QuietPapermill())


def _code_cell_number(nb_path: Path, cell_index: int) -> int | None:
    """1-based number of the failing cell among the source notebook's code cells.

    Papermill's ``cell_index`` counts every cell of the executed notebook, including the
    injected-parameters cell it added; the analyst needs the number in the notebook
    they open (Jupyter's "cell N" of code cells), so the injected cell is not counted.
    """
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


def attempt(
    notebook: Path,
    output: Path,
    parameters: Mapping[str, Any],
    start_timeout: float,
    execution_timeout: float | None,
    reuse_kernel: bool,
    track_reads: bool = False,
) -> tuple[None | tuple[Any, str], str | None]:
    """One papermill run: (None, its reads) when it succeeded, else ``((cell, error),
    None)``; ``cell`` is ``"retry"`` when the kernel did not start. A warm kernel that saw
    any failure is discarded, never reused."""
    _quiet_papermill()
    engine: dict[str, Any] = {"kernel_manager_class": TrackingKernelManager}
    failure: None | tuple[Any, str] = None
    reads, finished = None, False
    try:
        if reuse_kernel:
            arm = ARM_READS.format(output_dir=str(parameters.get("output_dir") or "")) if track_reads else ""
            engine["km"] = kept_kernel(start_timeout, arm)
        pm.execute_notebook(
            str(notebook),
            str(output),
            parameters=dict(parameters),
            kernel_name=KERNEL,
            cwd=None,
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            start_timeout=start_timeout,
            execution_timeout=execution_timeout,
            **engine,
        )
        if track_reads:
            reads = take_reads(engine["km"], start_timeout)
        finished = True
    except PapermillExecutionError as exc:
        error = f"{exc.ename}: {_one_line(exc.evalue)}" if _one_line(exc.evalue) else str(exc.ename)
        cell = _code_cell_number(output, exc.cell_index)
        failure = (exc.exec_count if cell is None else cell), error
    except CellControlSignal as exc:  # a cell timed out: a cell problem, not a start problem
        failure = None, f"{type(exc).__name__}: {_one_line(str(exc))}"
    except _START_ERRORS as exc:
        failure = "retry", f"kernel could not start: {type(exc).__name__}: {_one_line(str(exc))}"
    finally:
        if reuse_kernel:
            # not sys.exc_info(): in a worker forked while its parent handled an exception,
            # that exception is still "being handled" in the inherited frames below
            if failure is not None or not finished:
                discard_kernel()
    return failure, reads
