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
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

__all__ = ["Terminated", "die_with_parent", "end_pool", "pid_alive", "raise_on_signals", "remove_stale", "staging_name"]

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


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated(signum)


@contextmanager
def raise_on_signals() -> Iterator[None]:
    """Within the block SIGTERM raises :class:`Terminated` in the main thread (SIGINT
    already raises ``KeyboardInterrupt``), so ``finally`` clauses end the children."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


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


_STALE = re.compile(r"^\..+\.(?:staging|old)-(?P<pid>\d+)-[0-9a-f]+$")


def remove_stale(folder: Path) -> list[Path]:
    """Remove the staging folders in ``folder`` whose run's process is gone; returns them."""
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
