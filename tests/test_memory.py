"""The allocator settings of a command-line run (reportlib._memory)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from reportlib import _memory


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


def test_elsewhere_than_linux_nothing_changes(monkeypatch):
    monkeypatch.setattr(_memory.sys, "platform", "darwin")
    assert _memory._apply() is False


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
