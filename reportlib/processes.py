"""Child processes that end with the run: workers, kernels and Chromium never outlive a pack.

A pack starts pool workers, which start ``python3`` kernels, and one Chromium. They must
end when the pack ends, however it ends:

- normally or on an error: the pack shuts its pool down (:func:`end_pool` when it failed)
  and closes Chromium (which kills the browser's whole process group);
- on SIGTERM/SIGINT: :func:`raise_on_signals` turns the signal into an exception, so the
  same clean-up runs;
- on SIGKILL of the pack, where no clean-up can run: every child asks the kernel to kill
  it when its parent dies (:func:`die_with_parent`, ``PR_SET_PDEATHSIG`` on Linux; a
  watchdog thread polling the parent elsewhere), and ipykernel ends a kernel whose parent
  changed.

Staging folders carry the pid of the run that made them, so that the next run removes
those of dead runs (:func:`remove_stale`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import popen_fork as _popen_fork
from pathlib import Path
from types import FrameType

__all__ = [
    "Terminated",
    "default_jobs",
    "die_with_parent",
    "end_pool",
    "interrupted",
    "pid_alive",
    "raise_on_signals",
    "remove_stale",
    "staging_name",
]

_PR_SET_PDEATHSIG = 1
_WATCH_SECONDS = 0.5


class Terminated(BaseException):
    """The run received SIGTERM; raised in the main thread so that clean-up runs.

    A ``BaseException`` like ``KeyboardInterrupt``: nothing that catches ``Exception``
    (a section's error handling, one company's failure in a portfolio) swallows it.
    """

    def __init__(self, signum: int = signal.SIGTERM):
        super().__init__(f"terminated by signal {signum}")
        self.signum = signum


def _set_pdeathsig(signum: int) -> bool:
    """Ask Linux to send ``signum`` to this process when its parent dies."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_WATCH_SECONDS)
    os._exit(1)


def default_jobs() -> int:
    """About one worker per core (each worker drives one kernel, which does the work)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def die_with_parent(parent: int | None = None) -> None:
    """End this process as soon as its parent is gone (a pool ``initializer``).

    ``PR_SET_PDEATHSIG`` where Linux offers it, else a daemon thread polling
    :func:`os.getppid`. A parent that died before the call is noticed too.

    Ctrl-C is left to the parent: the terminal sends SIGINT to every process of the
    group, and an idle worker would print a traceback for it; the parent ends its pool.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid() if parent is None else parent
    if not _set_pdeathsig(signal.SIGKILL):
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="parent-watch").start()
    if os.getppid() != parent:
        os._exit(1)


def pdeathsig_preexec() -> None:
    """For ``subprocess.Popen(preexec_fn=...)``: the child dies with the process that started it."""
    _set_pdeathsig(signal.SIGKILL)


def end_pool(pool: Executor | None) -> None:
    """Stop ``pool`` now: queued work is cancelled and a process pool's workers are killed.

    For a failed or interrupted run; a successful one shuts its pool down politely.
    Workers' kernels notice that their parent is gone and exit on their own.
    """
    if pool is None:
        return
    processes = (
        list((getattr(pool, "_processes", None) or {}).values()) if isinstance(pool, ProcessPoolExecutor) else []
    )
    for process in processes:
        if process.is_alive():
            process.kill()
    pool.shutdown(wait=bool(processes), cancel_futures=True)


_RECEIVED: list[int] = []  # the interrupting signals the main thread received in raise_on_signals
_DEFERRED: list[int] = []  # an interrupt waiting for a place where raising it is safe
_RETRY_SECONDS = 0.01
#: Code during which an exception must not be raised: the parent's side of a fork, where
#: Python's at-fork callbacks run and an exception raised in one is printed and dropped.
_FORK_CODES = {_popen_fork.Popen._launch.__code__, subprocess.Popen._execute_child.__code__}


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    _RECEIVED.append(signum)
    _interrupt_when_safe(signum, frame)


def _interrupt_when_safe(signum: int, frame: FrameType | None) -> None:
    """Raise the interrupt's exception here, unless here is unsafe (:func:`_unsafe`): then
    it is raised 10 ms later, wherever the main thread is by then (SIGALRM, same check)."""
    if _unsafe(frame):
        _DEFERRED[:] = [signum]
        signal.setitimer(signal.ITIMER_REAL, _RETRY_SECONDS)
        return
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Terminated(signum)


def _retry_interrupt(signum: int, frame: FrameType | None) -> None:
    if _DEFERRED:
        _interrupt_when_safe(_DEFERRED.pop(), frame)


def _unsafe(frame: FrameType | None) -> bool:
    """Whether raising an exception in ``frame`` could hang the run or lose the interrupt:
    within :mod:`logging`, which takes its locks without a ``with`` (an exception between
    the acquire and the ``try`` leaves the lock held, and every later log call of any
    thread waits for ever), or within a fork (see ``_FORK_CODES``)."""
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module == "logging" or module.startswith("logging.") or frame.f_code in _FORK_CODES:
            return True
        frame = frame.f_back
    return False


def interrupted() -> int | None:
    """The exit code of the first interrupt received within :func:`raise_on_signals` (130
    Ctrl-C, 143 SIGTERM), None without one. An interrupt's exception can be lost on its way
    (an error raised by a clean-up replaces it); this stays."""
    return 128 + _RECEIVED[0] if _RECEIVED else None


@contextmanager
def raise_on_signals() -> Iterator[None]:
    """Within the block SIGTERM raises :class:`Terminated` and SIGINT ``KeyboardInterrupt``
    in the main thread, so ``finally`` clauses end the children; :func:`interrupted` tells
    afterwards that one came. The exception is raised where the main thread is, unless
    that is inside :mod:`logging` or a fork: then as soon as it is out (see :func:`_unsafe`)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _RECEIVED.clear()
    _DEFERRED.clear()
    handlers = {signal.SIGTERM: _raise_interrupt, signal.SIGINT: _raise_interrupt, signal.SIGALRM: _retry_interrupt}
    previous = {signum: signal.signal(signum, handler) for signum, handler in handlers.items()}
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (a process of another user counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def staging_name(name: str, kind: str = "staging") -> str:
    """``.<name>.<kind>-<pid>-<random>``: hidden, and tied to this process's pid."""
    return f".{name}.{kind}-{os.getpid()}-{os.urandom(4).hex()}"


_STALE = re.compile(r"^\..+\.(?:staging|old|ipc)-(?P<pid>\d+)-[0-9a-f]+$")


def remove_stale(folder: Path) -> list[Path]:
    """Remove the folders named by :func:`staging_name` in ``folder`` (a pack's staging and
    old folders, a kernel's IPC folder) whose process is gone; returns them."""
    removed = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _STALE.match(entry.name)
        if match and int(match["pid"]) != os.getpid() and not pid_alive(int(match["pid"])):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed
