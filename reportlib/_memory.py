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
thread instead of one made it 2.0 GiB). A pack's kept kernels apply the settings too, once,
after their warm-up or first notebook (``reportlib.render._kernel``): they live for many packs.

A command that loads a large company has its heap faulted in ahead, on the second core
while it imports (:func:`warm_heap_for`): the run's arrays then reuse pages already there.

Beside :mod:`reportlib.values` at the bottom of the chain: imports nothing from reportlib,
and numpy and pyarrow only when the settings are applied (:func:`warm_heap_for` runs before
they are imported).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import os
import sys
import threading
import tomllib
from collections.abc import Sequence
from pathlib import Path

from reportlib._command import CONFIG_FILE, company_folder

__all__ = ["keep_freed_memory", "settle_imports", "warm_heap_for"]

# mallopt parameters (glibc's malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_MAX, _M_ARENA_MAX = -1, -4, -8

#: parameter -> value: never give the heap's free top back to the system (trim threshold at
#: its int maximum); every block from the heap, none mapped on its own (glibc still maps
#: when the heap cannot grow); one arena for every thread (a block freed on one thread is
#: reused on another).
_SETTINGS = {_M_TRIM_THRESHOLD: 2**31 - 1, _M_MMAP_MAX: 0, _M_ARENA_MAX: 1}

_done: list[bool] = []  # the outcome of the first call: settings apply to the whole process
_malloc_done: list[bool] = []  # the outcome of the first mallopt calls (see _keep_in_malloc)
_settled: list[bool] = []  # whether this process has frozen its imports (settle_imports)


def keep_freed_memory() -> bool:
    """Let glibc's ``malloc`` keep freed memory in the process for reuse (see the module
    docstring); call it once, early, before other threads allocate. True when the settings
    took effect, False elsewhere (macOS, musl, Windows), where nothing changes."""
    if not _done:
        _done.append(_apply())
    return _done[0]


def _apply() -> bool:
    if not _keep_in_malloc():
        return False
    _arrow_from_malloc()
    _numpy_on_small_pages()
    return True


def _keep_in_malloc() -> bool:
    """glibc's part of the settings, once (ctypes only: callable before numpy is imported)."""
    if not _malloc_done:
        _malloc_done.append(_mallopt())
    return _malloc_done[0]


def _mallopt() -> bool:
    libc = _libc()
    if libc is None:
        return False
    mallopt = libc.mallopt
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return all(mallopt(param, value) == 1 for param, value in _SETTINGS.items())


def _libc() -> ctypes.CDLL | None:
    """glibc on Linux; None elsewhere (macOS, musl without mallopt, Windows)."""
    return _glibc() if sys.platform.startswith("linux") else None


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    """The C library, looked up once (the settings and the warm-up both use it)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt  # noqa: B018 (glibc has it; musl does not)
    except (OSError, AttributeError):
        return None
    return libc


def _numpy_on_small_pages() -> None:
    """No transparent huge pages asked for numpy's large arrays (see the module docstring),
    unless the user chose with ``NUMPY_MADVISE_HUGEPAGE``."""
    import numpy as np  # here: warm_heap_for runs before numpy is imported

    core = getattr(np, "_core", None) or np.core  # numpy 2 / numpy 1.26
    setter = getattr(core.multiarray, "_set_madvise_hugepage", None)
    if setter is not None and "NUMPY_MADVISE_HUGEPAGE" not in os.environ:
        setter(False)


def _arrow_from_malloc() -> None:
    """Arrow's buffers from ``malloc`` too (see the module docstring), unless the user chose
    Arrow's pool."""
    import pyarrow as pa

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


# --- the heap faulted in ahead, while the command imports ------------------------------------
#: Commands whose run is warmed: ``kpis`` loads and computes a company in this process.
#: ``validate`` gained 0.05 s of 1.77 on the 6M company for 0.25 GiB more at its peak (it
#: needs less heap than the estimate) and ``pack``'s kernel warms on the second core
#: meanwhile: both are left out.
_LOADING_VERBS = frozenset({"kpis"})
#: Heap warmed per byte of an input file, by suffix. The 6M customer-month benchmark company
#: (:mod:`benchmarks.bench_kpis`) takes 1.3 GB for its 52 MB Parquet file and 1.45 GB for
#: the same rows as a 185 MB CSV file; a little less is warmed
#: (factor 20 of its 25 for Parquet), since the run's arrays never fill the freed block
#: exactly and what they take beyond it adds to the peak: 1.65-1.73 GiB against 1.54 GiB
#: without, where the full 24 gave up to 2.0 GiB for the same 0.25 s. Other files (Excel,
#: .gz) are not counted.
_HEAP_PER_BYTE = {".parquet": 20.0, ".pq": 20.0, ".csv": 6.5, ".tsv": 6.5, ".txt": 6.5, ".json": 6.5, ".jsonl": 6.5}
#: No warm-up below this (a demo company needs a few MB); at most this much (under the trim
#: threshold of :data:`_SETTINGS`, so the freed block stays in the heap), and at most a
#: quarter of the memory available.
_HEAP_MIN, _HEAP_MAX = 128 * 2**20, 1536 * 2**20


def warm_heap_for(args: Sequence[str]) -> threading.Thread | None:
    """Fault in the heap a large run of ``reportlib ARGS`` will need, on a second thread,
    while the command imports pandas and the engine on the first.

    A run over millions of rows spends a third of its CPU time in the kernel, faulting in
    and zeroing fresh pages, most of it on the thread whose steps the run waits for. The
    imports before it (about 0.35 s) leave the second core idle: there, one block of the
    size the inputs need (:func:`expected_heap`) is written once and freed; with
    :func:`keep_freed_memory`'s settings, applied first, it stays in the heap and the run's
    arrays reuse its pages. On the 6M customer-month benchmark company (1.05 GB faulted in
    about 0.55 s on the idle core): ``reportlib kpis`` 2.15 -> 1.90 s from start to end, four
    alternating pairs, total CPU unchanged, peak 1.54 -> 1.65-1.73 GiB (2 December 2026).
    Faulting it in after the imports, beside the reading, saved a third of that and raised
    the peak by 0.6 GiB.

    Only for ``reportlib kpis`` (see :data:`_LOADING_VERBS`) of inputs that need at least
    128 MiB; None (nothing done) otherwise, or off glibc.
    """
    try:
        folder = company_folder(args, _LOADING_VERBS)
        needed = expected_heap(_input_files(folder)) if folder is not None else 0.0
    except (OSError, ValueError):  # a path the command itself will refuse, with its own message
        return None
    size = int(min(needed, _HEAP_MAX, _available_bytes() // 4))
    if size < _HEAP_MIN or not _keep_in_malloc():
        return None
    thread = threading.Thread(target=_fault_in, args=(size,), name="reportlib-heap", daemon=True)
    thread.start()
    return thread


def expected_heap(files: Sequence[Path]) -> float:
    """Bytes of heap a run over ``files`` takes (see :data:`_HEAP_PER_BYTE`)."""
    total = 0.0
    for path in files:
        factor = _HEAP_PER_BYTE.get(path.suffix.lower(), 0.0)
        if factor:
            try:
                total += factor * path.stat().st_size
            except OSError:
                continue
    return total


def _input_files(folder: Path) -> list[Path]:
    """The files the company's ``[inputs.*]`` tables name (``path``: a file, a glob or a
    list of them). Lenient: the load checks the configuration and says what is wrong."""
    try:
        with open(folder / CONFIG_FILE, "rb") as f:
            inputs = tomllib.load(f).get("inputs")
    except (OSError, tomllib.TOMLDecodeError):
        return []
    tables = inputs.values() if isinstance(inputs, dict) else ()
    patterns = [p for table in tables if isinstance(table, dict) for p in _patterns(table.get("path"))]
    return [f for pattern in patterns for f in folder.glob(pattern) if f.is_file()]


def _patterns(given: object) -> list[str]:
    """The relative paths or globs of an input's ``path`` (absolute ones and ``..`` are the
    load's to refuse)."""
    listed = [given] if isinstance(given, str) else given if isinstance(given, list) else []
    return [p for p in listed if isinstance(p, str) and p and not Path(p).is_absolute() and ".." not in Path(p).parts]


def _available_bytes() -> int:
    """``MemAvailable`` of ``/proc/meminfo`` (0 when unknown: nothing is warmed)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _fault_in(size: int) -> None:
    """Write ``size`` bytes of a new heap block once, then free it (ctypes calls run
    without the GIL, so the imports go on)."""
    libc = _libc()
    if libc is None:
        return
    libc.malloc.argtypes, libc.malloc.restype = (ctypes.c_size_t,), ctypes.c_void_p
    libc.free.argtypes, libc.free.restype = (ctypes.c_void_p,), None
    libc.memset.argtypes, libc.memset.restype = (ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t), ctypes.c_void_p
    block = libc.malloc(size)
    if block:
        libc.memset(block, 0, size)
        libc.free(block)
