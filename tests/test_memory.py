"""The allocator settings of a command-line run (reportlib._memory)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from reportlib import _memory
from reportlib._command import company_folder


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_freed_blocks_are_reused_instead_of_faulted_in_again():
    # 200 rounds of two 8 MB temporaries: with the settings the same heap blocks come back
    # each round (a few hundred page faults); without them glibc trims the heap every time
    # and each round faults its 4 MB pages in again (tens of thousands).
    script = textwrap.dedent(
        """
        import resource, sys
        import numpy as np
        from reportlib._memory import keep_freed_memory
        if sys.argv[1] == "keep":
            assert keep_freed_memory()
        x = np.arange(1_000_000, dtype=np.float64)
        for _ in range(3):
            (x * 2.0) + 1
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(200):
            y = x * 2.0
            z = y + 1
            del y, z
        print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
        """
    )
    faults = {
        mode: int(
            subprocess.run([sys.executable, "-c", script, mode], capture_output=True, text=True, check=True).stdout
        )
        for mode in ("keep", "default")
    }
    assert faults["keep"] * 10 < faults["default"], faults


def test_settings_are_applied_once_and_the_outcome_kept(monkeypatch):
    calls = []
    monkeypatch.setattr(_memory, "_done", [])
    monkeypatch.setattr(_memory, "_apply", lambda: calls.append(1) or True)
    assert _memory.keep_freed_memory() and _memory.keep_freed_memory()
    assert calls == [1]


def test_elsewhere_than_linux_nothing_changes(monkeypatch, tmp_path):
    monkeypatch.setattr(_memory, "_malloc_done", [])  # this process applied them already
    monkeypatch.setattr(_memory.sys, "platform", "darwin")
    assert _memory._apply() is False
    large = _company(tmp_path, '[inputs.mrr]\npath = "mrr.parquet"\n', {"mrr.parquet": 50_000_000})  # 1 GB of heap
    monkeypatch.setattr(_memory, "_fault_in", lambda size: pytest.fail("warmed"))
    assert _memory.warm_heap_for(["kpis", str(large)]) is None


def test_settled_imports_are_left_out_of_the_collectors_scans(monkeypatch):
    import gc

    monkeypatch.setattr(_memory, "_settled", [])
    try:
        _memory.settle_imports()
        assert gc.get_freeze_count() > 0  # the modules imported so far, at least
    finally:
        gc.unfreeze()


def test_a_process_running_pack_after_pack_settles_its_imports_once(monkeypatch):
    # `reportlib serve` runs every pack command in one process: a second freeze would keep
    # the garbage the previous pack left for the collector (here 1,000 lists in cycles) forever
    import gc

    monkeypatch.setattr(_memory, "_settled", [])
    gc.disable()  # no automatic collection while the garbage is made
    try:
        _memory.settle_imports()
        frozen = gc.get_freeze_count()
        for _ in range(1_000):
            cycle: list = []
            cycle.append(cycle)
        del cycle
        _memory.settle_imports()  # the next pack's command
        assert gc.get_freeze_count() == frozen
        assert gc.collect() >= 1_000  # the previous pack's garbage is still the collector's to free
    finally:
        gc.enable()
        gc.unfreeze()


def _after_the_settings(setting: str, chosen: str | None, prints: str) -> str:
    """What ``prints`` (an expression) is in a fresh process after :func:`keep_freed_memory`,
    the environment variable ``setting`` set to ``chosen`` (or unset)."""
    script = f"import numpy as np, pyarrow as pa\nfrom reportlib._memory import keep_freed_memory\nassert keep_freed_memory()\nprint({prints})\n"
    env = {k: v for k, v in os.environ.items() if k != setting}
    if chosen:
        env[setting] = chosen
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env)
    return run.stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
@pytest.mark.parametrize(("chosen", "expected"), [(None, "system"), ("jemalloc", "jemalloc")])
def test_arrow_takes_its_buffers_from_malloc_unless_the_user_chose_a_pool(chosen, expected):
    pool = _after_the_settings("ARROW_DEFAULT_MEMORY_POOL", chosen, "pa.default_memory_pool().backend_name")
    assert pool == expected


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
@pytest.mark.parametrize(("chosen", "expected"), [(None, "False"), ("1", "True")])
def test_numpy_asks_no_huge_pages_unless_the_user_chose(chosen, expected):
    # the setter returns the setting it replaces
    setter = "(getattr(np, '_core', None) or np.core).multiarray._set_madvise_hugepage(False)"
    assert _after_the_settings("NUMPY_MADVISE_HUGEPAGE", chosen, setter) == expected


# --- the heap warmed ahead of a large company's run (warm_heap_for) ---------------------------
def _company(tmp_path, inputs: str, files: dict[str, int]):
    """A company folder whose company.toml has ``inputs`` and whose files have these sizes."""
    (tmp_path / "company.toml").write_text(f'[company]\nname = "Acme"\n\n{inputs}', encoding="utf-8")
    for name, size in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:
            f.truncate(size)  # sparse: the size is what counts
    return tmp_path


def test_the_heap_expected_counts_the_inputs_by_kind(tmp_path):
    folder = _company(
        tmp_path,
        '[inputs.mrr]\npath = "exports/*.parquet"\n[inputs.financials]\npath = ["pnl.csv", "more.xlsx"]\n',
        {"exports/a.parquet": 1_000_000, "exports/b.parquet": 2_000_000, "pnl.csv": 400_000, "more.xlsx": 9_000_000},
    )
    files = sorted(p.name for p in _memory._input_files(folder))
    assert files == ["a.parquet", "b.parquet", "more.xlsx", "pnl.csv"]
    # Parquet 20 bytes of heap per byte, CSV 6.5, Excel not counted
    assert _memory.expected_heap(_memory._input_files(folder)) == 20 * 3_000_000 + 6.5 * 400_000


def test_only_the_kpis_command_names_its_company_folder(tmp_path):
    folder = _company(tmp_path, '[inputs.mrr]\npath = "mrr.csv"\n', {"mrr.csv": 10})

    def named(args):
        return company_folder(args, _memory._LOADING_VERBS)

    assert named(["kpis", str(folder), "--out", "x"]) == folder
    assert named(["-v", "kpis", "--no-cache", str(folder)]) == folder
    assert named(["kpis", "--as-of", "2026Q3", str(folder)]) == folder
    assert named(["pack", str(folder)]) is None  # its kernel takes the second core
    assert named(["validate", str(folder)]) is None  # it gained too little
    assert named(["kpis", str(tmp_path / "missing")]) is None
    assert named(["kpis"]) is None


def test_a_broken_or_strange_configuration_warms_nothing_and_raises_nothing(tmp_path):
    (tmp_path / "company.toml").write_text("[inputs.mrr\npath = ", encoding="utf-8")
    assert _memory._input_files(tmp_path) == []
    _company(tmp_path, '[inputs.mrr]\npath = "/etc/*"\n[inputs.x]\npath = "../up.csv"\n[inputs.y]\npath = 3\n', {})
    assert _memory._input_files(tmp_path) == []
    assert _memory.warm_heap_for(["kpis", str(tmp_path)]) is None


@pytest.mark.parametrize("folder", ["bad\0name", "x" * 5000, "/proc/1/root/nothing"])
def test_a_path_the_command_will_refuse_warms_nothing_and_raises_nothing(folder):
    # a NUL byte (ValueError), a name too long (OSError), a folder not ours to read: the
    # command then says what is wrong, without a traceback from here first
    assert _memory.warm_heap_for(["kpis", folder]) is None


def test_a_small_company_warms_nothing(tmp_path, monkeypatch):
    folder = _company(tmp_path, '[inputs.mrr]\npath = "mrr.csv"\n', {"mrr.csv": 5_000_000})  # 32 MB of heap
    monkeypatch.setattr(_memory, "_fault_in", lambda size: pytest.fail("warmed"))
    assert _memory.warm_heap_for(["kpis", str(folder)]) is None


def test_the_warm_up_is_capped_by_the_memory_available(tmp_path, monkeypatch):
    folder = _company(tmp_path, '[inputs.mrr]\npath = "mrr.parquet"\n', {"mrr.parquet": 500_000_000})
    sizes = []
    monkeypatch.setattr(_memory, "_fault_in", sizes.append)
    monkeypatch.setattr(_memory, "_keep_in_malloc", lambda: True)
    monkeypatch.setattr(_memory, "_available_bytes", lambda: 4 * 2**30)
    _memory.warm_heap_for(["kpis", str(folder)]).join()
    monkeypatch.setattr(_memory, "_available_bytes", lambda: 64 * 2**30)
    _memory.warm_heap_for(["kpis", str(folder)]).join()
    monkeypatch.setattr(_memory, "_available_bytes", lambda: 256 * 2**20)
    assert _memory.warm_heap_for(["kpis", str(folder)]) is None  # a quarter: 64 MiB, too little to bother
    assert sizes == [2**30, _memory._HEAP_MAX]  # a quarter of 4 GiB; at most 1.5 GiB (under the trim threshold)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_a_warmed_heap_is_reused_by_the_run_without_faulting_pages_in_again(tmp_path):
    # a company needing about 260 MB of heap: after the warm-up, 200 MB of new arrays fault in
    # almost nothing (without it, 51,200 pages of 4 KiB)
    folder = _company(tmp_path, '[inputs.mrr]\npath = "mrr.parquet"\n', {"mrr.parquet": 13_000_000})
    script = textwrap.dedent(
        """
        import resource, sys
        from reportlib._memory import warm_heap_for
        thread = warm_heap_for(["kpis", sys.argv[1]]) if sys.argv[2] == "warm" else None
        import numpy as np
        from reportlib._memory import keep_freed_memory
        assert keep_freed_memory()
        if thread is not None:
            thread.join()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        arrays = [np.ones(25_000_000 // 4) for _ in range(4)]  # 4 x 50 MB, written
        print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
        """
    )
    faults = {
        mode: int(
            subprocess.run(
                [sys.executable, "-c", script, str(folder), mode], capture_output=True, text=True, check=True
            ).stdout
        )
        for mode in ("warm", "cold")
    }
    assert faults["cold"] > 40_000 and faults["warm"] * 20 < faults["cold"], faults


def test_the_command_line_warms_before_its_imports(monkeypatch):
    # reportlib.__main__ calls it with the arguments, after the server had its chance
    import reportlib.__main__ as entry_point

    calls = []
    monkeypatch.setattr(entry_point, "forward", lambda args: 0)
    monkeypatch.setattr(entry_point, "warm_heap_for", calls.append)
    assert entry_point.entry(["pack", "x"]) == 0 and calls == []  # the server made it
    monkeypatch.setattr(entry_point, "forward", lambda args: None)
    monkeypatch.setattr("reportlib.cli.main", lambda args: 7)
    assert entry_point.entry(["kpis", "x"]) == 7 and calls == [["kpis", "x"]]
