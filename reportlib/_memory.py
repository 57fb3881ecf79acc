"""The C allocator's settings for a run over millions of rows.

A KPI run on a large company makes thousands of short-lived numpy arrays of a few to tens
of megabytes. By default glibc's ``malloc`` gives freed memory back to the system (blocks
of 32 MiB or more are unmapped at once, the heap's top is trimmed, each thread has an arena
of its own), so the next array is new memory that the kernel must fault in and zero: on the
6M customer-month benchmark that was a quarter of the CPU time, 1.2-2.2 s of system time
for 3.8 s of user time. With the settings below freed blocks stay in the process's heap
and are reused as they are.

Arrow's buffers (the Parquet reader's columns, the text columns' codes) are taken from the
same ``malloc`` then, instead of Arrow's default pool (mimalloc), which maps its own pages
and gives them back soon after they are freed: on the same benchmark that was 0.9-2.1 s of
system time, 0.5-0.8 s of wall time more per run, and 0.15 GiB more at the peak (five
fresh runs each, 2 December 2026). A pool the user chose (``ARROW_DEFAULT_MEMORY_POOL``)
is kept.

numpy's arrays are left on ordinary pages. numpy asks the kernel for transparent huge
pages for every array of 4 MiB or more; where the kernel then compacts memory to find them
at the first touch (``/sys/kernel/mm/transparent_hugepage/defrag`` = ``madvise``, a common
default and the build machine's), each 2 MiB fault costs more than the 512 small ones it
saves: on the same benchmark, six alternating pairs of fresh runs, 2.12 s against 2.46 s of
wall time and 0.98 s against 1.51 s of system time (2 December 2026). A choice the user made
with ``NUMPY_MADVISE_HUGEPAGE`` is kept.

The price is that the process keeps that memory until it ends, which suits the command
line (one run, then exit). Measured on that benchmark, the median of five fresh runs each:
3.85 s without any setting, 3.43 s with large blocks still mapped, 3.29 s with the settings
below and :func:`settle_imports`; the peak memory stayed at 1.5-1.6 GiB (an arena per
thread instead of one made it 2.0 GiB).

Beside :mod:`reportlib.values` at the bottom of the chain: imports nothing from reportlib.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import sys

import numpy as np
import pyarrow as pa

__all__ = ["keep_freed_memory", "settle_imports"]

# mallopt parameters (glibc's malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_MAX, _M_ARENA_MAX = -1, -4, -8

#: parameter -> value: never give the heap's free top back to the system (trim threshold at
#: its int maximum); every block from the heap, none mapped on its own (glibc still maps
#: when the heap cannot grow); one arena for every thread (a block freed on one thread is
#: reused on another).
_SETTINGS = {_M_TRIM_THRESHOLD: 2**31 - 1, _M_MMAP_MAX: 0, _M_ARENA_MAX: 1}

_done: list[bool] = []  # the outcome of the first call: settings apply to the whole process
_settled: list[bool] = []  # whether this process has frozen its imports (settle_imports)


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
    if not all(mallopt(param, value) == 1 for param, value in _SETTINGS.items()):
        return False
    _arrow_from_malloc()
    _numpy_on_small_pages()
    return True


def _numpy_on_small_pages() -> None:
    """No transparent huge pages asked for numpy's large arrays (see the module docstring),
    unless the user chose with ``NUMPY_MADVISE_HUGEPAGE``."""
    core = getattr(np, "_core", None) or np.core  # numpy 2 / numpy 1.26
    setter = getattr(core.multiarray, "_set_madvise_hugepage", None)
    if setter is not None and "NUMPY_MADVISE_HUGEPAGE" not in os.environ:
        setter(False)


def _arrow_from_malloc() -> None:
    """Arrow's buffers from ``malloc`` too (see the module docstring), unless the user chose
    Arrow's pool."""
    if not os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        pa.set_memory_pool(pa.system_memory_pool())


def settle_imports() -> None:
    """Exclude every object alive now (the imported modules: pandas, numpy, pyarrow and the
    engine, hundreds of thousands of objects) from the cyclic garbage collector's scans:
    the collections a large run triggers then visit only what the run itself makes (on the
    6M benchmark the collector took about 4% of the CPU). Call it once the imports are done;
    those objects live for the whole process anyway.

    Only the first call freezes. ``reportlib serve`` runs one command after another in one
    process; freezing again at each pack would keep the previous pack's uncollected garbage
    forever (frozen objects are never collected): about 7 MB more per served pack."""
    if not _settled:
        _settled.append(True)
        gc.freeze()
