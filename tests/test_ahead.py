"""reportlib.render.ahead: kernels warmed from the command's first moment, handed to the pack."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import ROOT, until
from reportlib import processes
from reportlib.render import ahead


def _pid() -> int:
    """Stands in for a kernel's warm-up in a worker (module level: it is pickled by name)."""
    return os.getpid()


def test_the_module_imports_nothing_heavy() -> None:
    # it is imported before the command's own imports: pandas, nbconvert, papermill and
    # matplotlib would make the head start a late start
    code = (
        "import sys, reportlib.render.ahead; "
        "print(sorted(m for m in ('pandas', 'nbconvert', 'papermill', 'matplotlib', 'jupyter_client') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True
    )
    assert out.stdout.strip() == "[]", out.stderr


@pytest.mark.parametrize(("cores", "workers"), [(1, 1), (2, 1), (4, 3), (8, 7)])
def test_workers_leave_a_core_to_the_command(monkeypatch, cores, workers) -> None:
    monkeypatch.setattr(processes, "default_jobs", lambda: cores)
    assert ahead.workers() == workers


def test_start_forks_the_workers_and_take_hands_the_pool_over_once(monkeypatch) -> None:
    monkeypatch.setattr(ahead, "_warm_in_worker", _pid)
    ahead.start(2)
    pool = ahead.take()
    try:
        assert pool is not None and pool._max_workers == 2
        assert ahead.take() is None
        pids = {pool.submit(_pid).result(30) for _ in range(6)}
        assert pids and os.getpid() not in pids  # the work runs in the forked workers
    finally:
        pool.shutdown(wait=True)


def test_discard_ends_a_pool_nobody_took(monkeypatch) -> None:
    monkeypatch.setattr(ahead, "_warm_in_worker", _pid)
    ahead.start(1)
    workers = list(ahead._pool._processes.values())  # forked at start: the first task went in
    assert workers and all(w.is_alive() for w in workers)
    ahead.discard()
    assert ahead.take() is None
    assert until(lambda: not any(w.is_alive() for w in workers), 10)
    ahead.discard()  # nothing left: nothing to do


def test_a_second_start_ends_the_first_pool(monkeypatch) -> None:
    monkeypatch.setattr(ahead, "_warm_in_worker", _pid)
    ahead.start(1)
    first = list(ahead._pool._processes.values())
    ahead.start(1)
    try:
        assert until(lambda: not any(w.is_alive() for w in first), 10)
    finally:
        ahead.discard()
