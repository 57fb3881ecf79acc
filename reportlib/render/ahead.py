"""Kernels warmed ahead of a pack, from the first moment of the ``reportlib pack`` command.

The command spends its first second or more importing pandas, nbconvert and the library
before the pack begins; a kernel's start and its imports of pandas and matplotlib take as
long again, and the pack's first section waits for them. :func:`start` forks the pool's
workers before those imports, so that their kernels warm meanwhile on the cores the imports
leave idle (this module imports nothing heavy; a worker imports
:mod:`reportlib.render.run` itself). The pack takes the pool with :func:`take` and owns it
from then on; a pool the pack did not take (a mistake in the arguments, a pack that turned
out unchanged) is ended with :func:`discard`.

Measured on 2 cores, interleaved: a Meridian re-run after a commentary edit made by the
command took 4.5-5.8 s with its kernel warmed ahead, against 5.7-7.0 s when the pack started
it; a cold ``--force`` pack 8.1-8.8 s against 8.6-9.5 s.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

from reportlib import processes

__all__ = ["discard", "running", "start", "take", "workers"]

_pool: ProcessPoolExecutor | None = None


def workers() -> int:
    """Kernels worth warming while the pack's own process imports and computes: one per
    core, less the core that process keeps busy (on 2 cores a second kernel only takes that
    core from the KPIs and pays a second start and import of pandas and matplotlib)."""
    return max(1, processes.default_jobs() - 1)


def start(count: int | None = None) -> None:
    """Fork ``count`` (default :func:`workers`) pool workers now, each warming a kernel.

    Call it before importing anything heavy, from the one thread a command has: the workers
    are forked at once. A pool started earlier and not taken is ended first.
    """
    global _pool
    discard()
    count = count or workers()
    _pool = ProcessPoolExecutor(max_workers=count, initializer=processes.die_with_parent)
    for _ in range(count):
        _pool.submit(_warm_in_worker)


def running() -> bool:
    """Whether a pool :func:`start` made is waiting to be taken."""
    return _pool is not None


def take() -> ProcessPoolExecutor | None:
    """The pool :func:`start` made, handed over (the caller now ends it); None when there is none."""
    global _pool
    pool, _pool = _pool, None
    return pool


def discard() -> None:
    """End a pool that was started and not taken: its workers and their kernels, now."""
    processes.end_pool(take())


def _warm_in_worker() -> float:
    """In a worker: start its kept kernel and warm it as a pack's pool does (seconds)."""
    from reportlib.render.run import WARM_IMPORTS, warm_kernel

    return warm_kernel(WARM_IMPORTS)
