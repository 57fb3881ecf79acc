"""The C allocator's settings for a run over millions of rows.

A KPI run on a large company makes thousands of short-lived numpy arrays of a few to tens
of megabytes. By default glibc's ``malloc`` gives freed memory back to the system (trimming
the heap, and a thread's arena of its own), so the next array is new memory that the kernel
must fault in and zero: on the 6M customer-month benchmark that was a quarter of the CPU
time, 1.2-2.2 s of system time for 3.8 s of user time. With the settings below freed
blocks under 32 MiB stay in the process and are reused as they are (the median run went
from 3.85 s to 3.43 s).

The price is that the process keeps that memory until it ends, which suits the command
line (one run, then exit). The peak grows a little (1.49 to 1.65 GiB on that benchmark);
without the single arena it grew to 2.0 GiB, and serving every block from the heap (no
``mmap`` at all) to 1.8 GiB, for no faster run.

Beside :mod:`reportlib.values` at the bottom of the chain: imports nothing from reportlib.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

__all__ = ["keep_freed_memory"]

# mallopt parameters (glibc's malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8

#: parameter -> value: never give the heap's free top back to the system (trim threshold at
#: its int maximum); blocks under 32 MiB (glibc's largest threshold) from the heap, larger
#: ones mapped; one arena for every thread (a block freed on one is reused on another).
_SETTINGS = {_M_TRIM_THRESHOLD: 2**31 - 1, _M_MMAP_THRESHOLD: 32 * 2**20, _M_ARENA_MAX: 1}

_done: list[bool] = []  # the outcome of the first call: settings apply to the whole process


def keep_freed_memory() -> bool:
    """Let glibc's ``malloc`` keep freed memory in the process for reuse (see the module
    docstring); call it once, early, before other threads allocate. True when the settings
    took effect, False elsewhere (macOS, musl, Windows), where nothing changes."""
    if not _done:
        _done.append(_apply())
    return _done[0]


def _apply() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return all(mallopt(param, value) == 1 for param, value in _SETTINGS.items())
