"""Running one pack per task on any ``concurrent.futures.Executor``, failures isolated.

The worker side (:func:`run_task`) never raises: a company's bad data, a failing section
notebook or any other exception comes back as a failed :class:`Outcome` with a one-line
reason. A worker process that dies (``os._exit``, the OOM killer, a segfault) breaks a
``ProcessPoolExecutor``; the pool is then re-created and the tasks that were running are
re-run one at a time, so the one whose worker died is identified and reported, and the
others still complete.
"""

from __future__ import annotations

import functools
import multiprocessing
import multiprocessing.util
import os
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from reportlib.exceptions import InputError, ReportlibError
from reportlib.pack import PackResult, build_pack
from reportlib.portfolio._progress import Progress
from reportlib.processes import die_with_parent, end_pool
from reportlib.session import Session

WORKER_DIED = "worker process died"
_MAX_REASON = 300


@dataclass(frozen=True)
class Task:
    """One pack to make: a company folder and an optional segment."""

    index: int
    company: str  # folder name (slug)
    company_dir: str  # absolute path
    segment: tuple[str, str] | None = None
    size: int = 0  # input bytes: larger tasks are started first

    @property
    def segment_label(self) -> str:
        return f"{self.segment[0]}={self.segment[1]}" if self.segment else ""


@dataclass(frozen=True)
class Outcome:
    """What came back for one task (plain, picklable values only)."""

    status: str  # done | skipped | failed
    seconds: float
    reason: str = ""
    pdf: str | None = None
    folder: str | None = None


# --------------------------------------------------------------------------------------
# worker side


def run_task(pack_fn: Callable[..., Any], task: Task, params: dict[str, Any]) -> Outcome:
    """Make one pack in this worker, sections sequential (``jobs=1``); never raises.

    Parameters
    ----------
    pack_fn
        ``build_pack`` or a function with its signature, returning an object with
        ``folder``, ``pdf`` and ``skipped``.
    task
        The company (and segment) to make.
    params
        ``as_of``, ``window``, ``out`` and ``force``, passed on to ``pack_fn``.

    Returns
    -------
    Outcome
    """
    start = time.perf_counter()
    try:
        result = pack_fn(task.company_dir, segment=task.segment, jobs=1, **params)
    except (Exception, SystemExit) as exc:  # one company never stops the others
        return Outcome("failed", time.perf_counter() - start, reason_of(exc))
    pdf, folder = getattr(result, "pdf", None), getattr(result, "folder", None)
    return Outcome(
        "skipped" if getattr(result, "skipped", False) else "done",
        time.perf_counter() - start,
        "",
        None if pdf is None else str(pdf),
        None if folder is None else str(folder),
    )


def pack_in_worker_session(company_dir: str, **params: Any) -> PackResult:
    """:func:`reportlib.pack.build_pack` in this worker's :class:`~reportlib.session.Session`.

    The portfolio's default ``pack_fn``: a worker makes one company after another, and
    its Chromium (like its kept kernel) serves them all instead of one browser being
    started and ended per company.
    """
    return build_pack(company_dir, session=_worker_session(), **params)


@functools.cache
def _worker_session() -> Session:
    """One session per worker process, closed when the process exits."""
    session = Session(jobs=1)
    multiprocessing.util.Finalize(session, session.close, exitpriority=10)
    return session


def reason_of(exc: BaseException) -> str:
    """A one-line reason for the final table.

    Input problems give their count and the first problem; section failures their own
    message; anything else the exception type and message.
    """
    if isinstance(exc, InputError):
        problems = exc.problems or exc.warnings
        text = f"{len(exc.problems)} input problem(s): {problems[0]}" if problems else str(exc)
        if len(exc.problems) > 1:
            text += f" (+{len(exc.problems) - 1} more)"
    elif isinstance(exc, ReportlibError):
        text = str(exc)
    elif type(exc).__name__ == "KilledWorker":  # distributed gave up on the task
        text = WORKER_DIED
    else:
        text = f"{type(exc).__name__}: {exc}"
    text = " ".join(text.split())
    return text if len(text) <= _MAX_REASON else text[: _MAX_REASON - 1] + "…"


# --------------------------------------------------------------------------------------
# executors


class Pool:
    """The executor a run uses, which it may re-create after a worker died.

    Parameters
    ----------
    executor
        A caller's executor (not shut down here), or ``None``.
    scheduler
        A Dask scheduler address; a ``distributed.Client`` is opened and closed here.
    jobs
        Workers of the default local process pool (default: one per core).
    """

    def __init__(self, executor: Executor | None = None, scheduler: str | None = None, jobs: int | None = None):
        self._client = None
        self._owned = executor is None
        if executor is not None:
            self.executor = executor
            self.capacity = getattr(executor, "_max_workers", None) or os.cpu_count() or 1
        elif scheduler:
            # an optional backend: distributed takes about a second to import, only paid with --scheduler
            from distributed import Client

            self._client = Client(scheduler)
            self.executor = self._client.get_executor()
            self.capacity = max(1, sum(self._client.nthreads().values()))
        else:
            self.capacity = max(1, jobs or os.cpu_count() or 1)
            self.executor = _process_pool(self.capacity)

    def renew(self) -> bool:
        """Replace a broken process pool by a new one; ``False`` when that is impossible."""
        if not isinstance(self.executor, ProcessPoolExecutor):
            return False
        if self._owned:
            self.executor.shutdown(wait=False, cancel_futures=True)
        self.executor = _process_pool(self.capacity)
        self._owned = True
        return True

    def close(self, failed: bool = False) -> None:
        """Shut down what this object created; after a failure (an error, SIGTERM,
        Ctrl-C) its workers are killed rather than waited for."""
        if self._client is None and self._owned:
            if failed:
                end_pool(self.executor)
            else:
                self.executor.shutdown(wait=True, cancel_futures=True)
        if self._client is not None:
            self._client.close()


#: Imported once by the fork server, so that every worker forked from it starts with
#: pandas and the pack code loaded instead of importing them itself (about a second per
#: worker, more than a small company's whole pack takes).
PRELOAD = ["reportlib.pack", "reportlib.inputs", "reportlib.kpis", "reportlib.render.run"]


def _process_pool(workers: int) -> ProcessPoolExecutor:
    # forkserver: workers start from a clean process, not a fork of a threaded parent
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else None)
    if "forkserver" in methods:
        # Takes effect when the fork server starts (the first pool); a module that fails
        # to import is skipped by multiprocessing and imported by the worker as before.
        ctx.set_forkserver_preload(PRELOAD)
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=die_with_parent)


# --------------------------------------------------------------------------------------
# the scheduling loop


def run_tasks(
    pool: Pool, pack_fn: Callable[..., Any], tasks: list[Task], params: dict[str, Any], progress: Progress
) -> dict[int, Outcome]:
    """Run every task on ``pool``; no task's failure stops the others.

    At most ``pool.capacity`` tasks are in flight, so "running" is what really runs and a
    dead worker can only have been running one of them. Those are re-run one at a time
    on a fresh pool: a task that kills its worker when alone is reported as failed; the
    others are made again (``force``), since their packs may already have been written.

    Returns
    -------
    dict
        Task index -> :class:`Outcome`, one per task.
    """
    # largest first: the long packs do not end up alone at the tail of the run
    queue, suspects = deque(sorted(tasks, key=lambda t: -t.size)), deque()
    inflight: dict[Future, Task] = {}
    alone: set[int] = set()
    results: dict[int, Outcome] = {}
    started: dict[int, float] = {}

    def submit(task: Task, again: bool = False) -> None:
        started[task.index] = time.perf_counter()
        # a task re-run after a break may have finished its pack before its result was
        # lost: made again, it reports "done", not "skipped" for a pack of this very run
        task_params = {**params, "force": True} if again else params
        inflight[pool.executor.submit(run_task, pack_fn, task, task_params)] = task

    while queue or suspects or inflight:
        if suspects and not inflight:
            task = suspects.popleft()
            alone.add(task.index)
            submit(task, again=True)
        elif not suspects:
            while queue and len(inflight) < pool.capacity:
                submit(queue.popleft())
        progress.started(len(inflight))
        done, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
        broken = _collect(done, inflight, results, started, progress)
        if broken:
            # the pool is dead: every other running task fails with it; wait for them all
            rest = list(inflight)
            wait(rest)
            broken += _collect(rest, inflight, results, started, progress)
            _after_break(broken, alone, suspects, results, started, progress)
            if not pool.renew():
                for task in [*suspects, *queue]:
                    _record(results, task, Outcome("failed", 0.0, "the executor broke"), progress)
                suspects.clear()
                queue.clear()
    return results


def _collect(futures, inflight, results, started, progress) -> list[Task]:
    """Record finished futures; return the tasks whose worker pool broke under them."""
    broken = []
    for fut in futures:
        task = inflight.pop(fut)
        try:
            outcome = fut.result()
        except BrokenProcessPool:
            broken.append(task)
            continue
        except BaseException as exc:  # pickling errors, KilledWorker, cancelled ...
            outcome = Outcome("failed", time.perf_counter() - started[task.index], reason_of(exc))
        progress.running = len(inflight)
        _record(results, task, outcome, progress)
    return broken


def _after_break(broken: list[Task], alone: set[int], suspects: deque, results, started, progress) -> None:
    """Blame a task that was running alone; re-queue the others to run alone."""
    if len(broken) == 1:
        alone.add(broken[0].index)
    for task in broken:
        if task.index in alone:
            seconds = time.perf_counter() - started[task.index]
            _record(results, task, Outcome("failed", seconds, WORKER_DIED), progress)
        else:
            suspects.append(task)


def _record(results: dict[int, Outcome], task: Task, outcome: Outcome, progress: Progress) -> None:
    results[task.index] = outcome
    progress.finished(outcome.status, progress.running)
