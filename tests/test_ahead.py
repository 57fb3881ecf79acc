"""reportlib.render.ahead: kernels warmed from the command's first moment, handed to the pack."""

from __future__ import annotations

import os
import subprocess
import sys
from types import SimpleNamespace

import pytest

from conftest import ROOT, SALES_LED, until
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


# --------------------------------------------------------------------------------------
# started by the command itself (reportlib.__main__), before it imports the CLI


def _counting_start(monkeypatch) -> list[int]:
    """``ahead.start`` recorded; its workers stand in for kernels with :func:`_pid`."""
    monkeypatch.setattr(ahead, "_warm_in_worker", _pid)
    calls: list[int] = []
    start = ahead.start
    monkeypatch.setattr(ahead, "start", lambda count=None: (calls.append(1), start(1)))
    return calls


@pytest.mark.parametrize(
    ("extra", "started"),
    [
        ([], True),
        (["--force", "--no-server"], True),
        (["--watch"], False),  # the watch keeps a session of its own
        (["--help"], False),
        (["-h"], False),
    ],
)
def test_the_command_starts_a_packs_kernels_before_its_imports(monkeypatch, extra, started) -> None:
    from reportlib import __main__ as entry_point

    calls = _counting_start(monkeypatch)
    try:
        assert entry_point._kernels_ahead(["pack", str(SALES_LED), *extra]) is started
        assert calls == ([1] if started else []) and ahead.running() is started
    finally:
        ahead.discard()


def test_no_kernels_for_other_verbs_or_a_folder_that_is_no_company(monkeypatch, tmp_path) -> None:
    from reportlib import __main__ as entry_point

    calls = _counting_start(monkeypatch)
    for args in (["kpis", str(SALES_LED)], ["validate", str(SALES_LED)], ["pack", str(tmp_path)], ["pack"]):
        assert entry_point._kernels_ahead(args) is False
    assert calls == [] and not ahead.running()


def test_the_pack_verb_takes_the_kernels_the_command_started(monkeypatch, tmp_path) -> None:
    import reportlib.pack
    from reportlib import __main__ as entry_point

    calls = _counting_start(monkeypatch)
    taken: list[object] = []

    def fake_pack(company_dir, **options):
        taken.append(ahead.take())
        return SimpleNamespace(
            skipped=False, pdf=tmp_path / "board-pack.pdf", seconds=0.1, folder=tmp_path, input_warnings=0
        )

    monkeypatch.setattr(reportlib.pack, "build_pack", fake_pack)
    assert entry_point.entry(["pack", str(SALES_LED), "--out", str(tmp_path)]) == 0
    assert calls == [1]  # started once, by the command, not again by the verb
    assert len(taken) == 1 and taken[0] is not None
    processes.end_pool(taken[0])


def test_kernels_of_a_command_with_a_wrong_option_are_ended(monkeypatch) -> None:
    from reportlib import __main__ as entry_point

    calls = _counting_start(monkeypatch)
    workers: list[object] = []
    discard = ahead.discard

    def discarding() -> None:
        if ahead.running():
            workers.extend(ahead._pool._processes.values())
        discard()

    monkeypatch.setattr(ahead, "discard", discarding)
    assert entry_point.entry(["pack", str(SALES_LED), "--no-such-option"]) == 2
    assert calls == [1] and not ahead.running()
    assert workers and until(lambda: not any(w.is_alive() for w in workers), 10)
