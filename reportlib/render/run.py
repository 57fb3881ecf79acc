"""Run section notebooks with papermill, in parallel worker processes.

Each notebook runs in its own ``python3`` kernel with absolute paths; the working
directory is never changed (``cwd=None``), so several runs can share one process pool.
The runner takes any :class:`concurrent.futures.Executor`: a process pool on one
machine, or ``distributed.Client(address).get_executor()`` across a Dask cluster.
"""

from __future__ import annotations

import ast
import contextlib
import logging
import multiprocessing.util
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from queue import Empty
from typing import Any

import nbformat
import papermill as pm
from jupyter_client import AsyncKernelManager
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellControlSignal
from papermill.exceptions import PapermillExecutionError

from reportlib.exceptions import SectionError
from reportlib.processes import default_jobs, die_with_parent, remove_stale, staging_name

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


#: A kept kernel logs errors only: its warnings reach the user's terminal (the kernel's stderr
#: is the command's), and the one a kernel gives when its worker was ended for it (a failed
#: or skipped pack, "Parent appears to have exited, shutting down.") came after the command's
#: own message. A kernel that cannot start still prints its traceback.
_QUIET_KERNEL = ("--IPKernelApp.log_level=ERROR",)

_RESET_CODE = """\
get_ipython().reset(new_session=True)
import sys as _sys
if "matplotlib.pyplot" in _sys.modules:
    _sys.modules["matplotlib.pyplot"].close("all")
del _sys
"""
_local = threading.local()


def _ipc_dir() -> str | None:
    """A private (0700), short folder for a kernel's IPC sockets, named after this process
    (the worker that owns the kernel) as staging folders are; None where IPC is not
    available (Windows), in which case kernels fall back to TCP.

    A failed, interrupted or skipped pack ends its pool at once, killing workers that cannot
    remove their kernel's folder: the next kernel to start removes those
    (:func:`reportlib.processes.remove_stale`)."""
    if os.name == "nt":
        return None
    root = Path(tempfile.gettempdir())
    remove_stale(root)
    path = root / staging_name("rl-kernel", "ipc")
    path.mkdir(mode=0o700)
    return str(path)


class _FastReady:
    """Mixin for a kernel client: a deterministic ``wait_for_ready``.

    jupyter_client's version ends by draining IOPub until nothing arrives for 0.2 s, so it
    costs at least 0.2 s even for a kernel that has been idle for minutes (twice per
    section: once for the reset, once for papermill). Here the client waits for the IOPub
    ``idle`` status of its own ``kernel_info`` request instead: that proves the IOPub
    subscription is live and, IOPub being ordered, that nothing older is still queued. A
    request whose status was published before the subscription took hold is simply sent
    again, as jupyter_client does.
    """

    async def wait_for_ready(self, timeout: float | None = None) -> None:  # type: ignore[override]
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            msg_id = self.kernel_info()
            reply = await self._reply_to(msg_id, 1.0)
            if reply is not None and await self._idle_for(msg_id, 0.25):
                self._handle_kernel_info_reply(reply)
                return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

    async def _reply_to(self, msg_id: str, timeout: float) -> dict | None:
        end = time.monotonic() + timeout
        while (left := end - time.monotonic()) > 0:
            try:
                msg = await self.shell_channel.get_msg(timeout=left)
            except Empty:
                return None
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                return msg
        return None

    async def _idle_for(self, msg_id: str, timeout: float) -> bool:
        while True:
            try:
                msg = await self.iopub_channel.get_msg(timeout=timeout)
            except Empty:
                return False
            if (
                msg.get("msg_type") == "status"
                and msg.get("content", {}).get("execution_state") == "idle"
                and msg.get("parent_header", {}).get("msg_id") == msg_id
            ):
                return True


class _FastClient(_FastReady, AsyncKernelClient):
    """An async kernel client with the deterministic :meth:`_FastReady.wait_for_ready`,
    whose channels start once: the kernel's one client is asked to start them again by
    every run that uses it (papermill's, the reset's, the reads')."""

    stopped = False

    def start_channels(self, *args: Any, **kwargs: Any) -> None:
        if not self.channels_running:
            super().start_channels(*args, **kwargs)

    def stop_channels(self) -> None:
        self.stopped = True  # its heartbeat thread cannot start again: the kernel gets a new client
        super().stop_channels()


class _TrackingKernelManager(AsyncKernelManager):
    """A kernel with one client for its whole life, shared by the reset, papermill and the
    reads of every notebook it runs, and closed with the kernel (:meth:`close_client`).

    A client per use cost three sets of sockets, a heartbeat thread and a handshake per
    section: about 20 ms of a section's 0.1-0.5 s (0.15 s of a Meridian pack). Every reader of the shared client matches
    replies and output to its own request (jupyter_client and nbclient skip the others),
    so what an earlier run left unread is never taken for this run's.

    Kernels talk over IPC sockets in a private folder rather than TCP on localhost:
    nothing is reachable from other users or hosts, and ipykernel does not print its
    "running over TCP without encryption" warning to the user's terminal.
    """

    #: Whether the kernel has frozen what it imported (:data:`_FREEZE_CODE`).
    frozen = False

    def __init__(self, **kwargs: Any) -> None:
        ipc = _ipc_dir()
        if ipc is not None:
            kwargs.setdefault("transport", "ipc")
            kwargs.setdefault("ip", os.path.join(ipc, "k"))
        super().__init__(**kwargs)
        self.client_factory = _FastClient
        self._ipc_dir = ipc

    def client(self, **kwargs: Any) -> Any:
        kept = self.__dict__.get("_client")
        if kept is None or kept.stopped:
            kept = self.__dict__["_client"] = super().client(**kwargs)
        return kept

    def close_client(self) -> None:
        """Close the kernel's client (before the kernel shuts down, or is dropped)."""
        client = self.__dict__.pop("_client", None)
        if client is not None:
            client.stop_channels()

    def remove_ipc_dir(self) -> None:
        if self._ipc_dir:
            shutil.rmtree(self._ipc_dir, ignore_errors=True)

    async def _async_interrupt_kernel(self) -> None:
        # jupyter_client interrupts (SIGINT) every kernel it shuts down, and ipykernel
        # then logs "ERROR | KeyboardInterrupt caught in kernel" to the terminal; a kernel
        # that is being shut down (killed right after) needs no interrupt.
        if self.shutting_down:
            return
        await super()._async_interrupt_kernel()

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:  # a kernel shut down for good (papermill's own, or ours)
            self.remove_ipc_dir()


def _shutdown(km: Any) -> None:
    try:
        km.close_client()
        run_sync(km.shutdown_kernel)(now=True)
    except Exception:  # noqa: BLE001 - already gone
        pass
    try:
        km.remove_ipc_dir()
    except Exception:  # noqa: BLE001 - best effort
        pass


def _warm_kernel(start_timeout: float, setup: str = "") -> Any:
    """This thread's reusable ``python3`` kernel, reset to an empty namespace.

    Starting a kernel and importing pandas/matplotlib costs seconds; a section notebook
    itself often takes less. A kernel is therefore kept per worker thread and reset
    between notebooks (``InteractiveShell.reset(new_session=True)``: no variables, no
    history, execution count back to 1; modules stay imported), then ``setup`` (code) is
    run in it. It is discarded after any failure.
    """
    km = getattr(_local, "km", None)
    if km is not None and not run_sync(km.is_alive)():
        _discard_kernel()
        km = None
    if km is None:
        km = _TrackingKernelManager(kernel_name=KERNEL)
        run_sync(km.start_kernel)(extra_arguments=list(_QUIET_KERNEL))
        _warm_runner()  # while the kernel starts
        _local.km = km
        # Worker processes skip atexit; multiprocessing's finalizers run in both.
        _local.finalizer = multiprocessing.util.Finalize(km, _shutdown, args=(km,), exitpriority=10)
        if setup:
            run_sync(_execute)(km, setup, start_timeout)
    else:
        # a kernel never warmed up (one kept in this thread, jobs=1: a portfolio worker's)
        # freezes at its first reset, once its first notebook has imported what it uses
        freeze = "" if km.frozen else _FREEZE_CODE
        run_sync(_execute)(km, _RESET_CODE + freeze + setup, start_timeout)
        km.frozen = True
    return km


async def _execute(km: Any, code: str, timeout: float, expression: str | None = None) -> Any:
    """Run ``code`` in the kernel; the value of ``expression`` after it (a Python literal,
    sent back as its repr), else None."""
    client = km.client()
    if not client.channels_running:  # a kernel just started: wait until it answers
        client.start_channels()
        await client.wait_for_ready(timeout=timeout)
    wanted = {"value": expression} if expression else {}
    reply = await client.execute_interactive(
        code, store_history=False, timeout=timeout, output_hook=lambda msg: None, user_expressions=wanted
    )
    if reply["content"].get("status") != "ok":
        raise RuntimeError(f"the kernel failed to run set-up code: {reply['content'].get('evalue')}")
    value = reply["content"].get("user_expressions", {}).get("value", {})
    return ast.literal_eval(value["data"]["text/plain"]) if value.get("status") == "ok" else None


#: Starts the record of what the next notebook reads (``reportlib.deck._reads``); a kernel
#: without reportlib records nothing (its sections are then never reused).
_ARM_READS = """\
try:
    import reportlib.deck._reads as _reads
    _reads.arm({output_dir!r})
    del _reads
except Exception:
    pass
"""
#: The record of the notebook that just ran (JSON text or None).
_TAKE_READS = "__import__('reportlib.deck._reads', fromlist=['report']).report()"


def _take_reads(km: Any, timeout: float) -> str | None:
    """The record of what the notebook that just ran read; None when it cannot be had."""
    try:
        reads = run_sync(_execute)(km, "", timeout, _TAKE_READS)
    except Exception:  # noqa: BLE001 -- no record only means the section is not reused
        return None
    return reads if isinstance(reads, str) else None


def release_kernel() -> None:
    """End this thread's kept kernel now, if it has one (a session that ran its
    notebooks in this thread is closing; otherwise the kernel ends with the process)."""
    _discard_kernel()


def _discard_kernel() -> None:
    finalizer = getattr(_local, "finalizer", None)
    _local.km = _local.finalizer = None
    if finalizer is not None:
        finalizer()  # shuts the kernel down now


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

#: Ends the warm-up (or, in a kernel that had none, its first reset): what the kernel holds
#: now (modules, fonts, templates) lives as long as the kernel, so it is moved out of the
#: garbage collector's reach. The reset between notebooks ends in a full collection
#: (IPython's), which would otherwise walk all of it again: 0.065 s of CPU per section on a
#: quiet machine (0.15-0.2 s on a busy one), 0.001 s after the freeze.
_FREEZE_CODE = "import gc as _gc\n_gc.collect()\n_gc.freeze()\ndel _gc\n"


def warm_kernel(imports: Sequence[str], start_timeout: float = 60.0, calls: Sequence[str] = WARM_CALLS) -> float:
    """Start (or reset) this worker's kernel, import ``imports`` in it and call ``calls``
    (dotted names of functions without arguments); returns seconds."""
    t0 = time.perf_counter()
    code = "".join(f"try:\n    import {m}\nexcept Exception:\n    pass\n" for m in imports)
    code += "".join(f"try:\n    {c}()\nexcept Exception:\n    pass\n" for c in calls) + _FREEZE_CODE
    try:
        km = _warm_kernel(start_timeout)
        run_sync(_execute)(km, code, start_timeout)
        km.frozen = True
    except Exception:  # noqa: BLE001 - warming is an optimisation; the real run retries
        _discard_kernel()
    return time.perf_counter() - t0


def _warm_runner() -> None:
    """Compile nbformat's schema validator in this process: papermill validates each
    notebook it reads and writes, and the first validation compiles it (0.03-0.06 s,
    else on the first section's time)."""
    with contextlib.suppress(Exception):  # an optimisation only
        nbformat.validate(nbformat.v4.new_notebook())


def warm_up(
    executor: Executor, workers: int, imports: Sequence[str] = WARM_IMPORTS, calls: Sequence[str] = WARM_CALLS
) -> list[Future]:
    """Start a kernel in each of ``workers`` pool workers, pre-import ``imports`` and call
    ``calls`` (:data:`WARM_CALLS`: the deck's first drawing).

    Submit this right after creating the pool and before the KPI step, so that kernel
    start-up and imports overlap with work the pack does anyway.
    """
    return [executor.submit(warm_kernel, tuple(imports), 60.0, tuple(calls)) for _ in range(workers)]


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
    notebook runs in this thread's warm kernel, reset first (see :func:`_warm_kernel`);
    with ``track_reads`` too, the kernel records what the notebook read besides the KPI
    result (:mod:`reportlib.deck._reads`; :attr:`SectionRun.reads`).
    """
    notebook, output = Path(notebook).resolve(), Path(output).resolve()
    name = section_name(notebook)
    track = track_reads and reuse_kernel
    t0 = time.perf_counter()
    for attempt in (1, 2):
        run, reads = _attempt(notebook, output, parameters, start_timeout, execution_timeout, reuse_kernel, track)
        if isinstance(run, tuple):
            cell, error = run
            if cell == "retry" and attempt == 1:
                continue
            return SectionRun(
                name, notebook, output, time.perf_counter() - t0, attempt, None if cell == "retry" else cell, error
            )
        return SectionRun(name, notebook, output, time.perf_counter() - t0, attempt, reads=reads)
    raise AssertionError("unreachable")


def _attempt(
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
    engine: dict[str, Any] = {"kernel_manager_class": _TrackingKernelManager}
    failure: None | tuple[Any, str] = None
    reads, finished = None, False
    try:
        if reuse_kernel:
            arm = _ARM_READS.format(output_dir=str(parameters.get("output_dir") or "")) if track_reads else ""
            engine["km"] = _warm_kernel(start_timeout, arm)
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
            reads = _take_reads(engine["km"], start_timeout)
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
                _discard_kernel()
    return failure, reads


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
