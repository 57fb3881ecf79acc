"""Running section notebooks with papermill: parallel, ordered, failures named precisely."""

from __future__ import annotations

import os
import platform
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import FIXTURES
from reportlib.exceptions import SectionError
from reportlib.render import _kernel
from reportlib.render import run as runner
from reportlib.render.run import SectionRun, run_section, run_sections

NOTEBOOKS = FIXTURES / "notebooks"
OK = NOTEBOOKS / "01_ok.ipynb"
FAILS = NOTEBOOKS / "02_fails.ipynb"
PARAMS = {"as_of": "2026-09", "company_dir": str(FIXTURES), "window": "quarter"}


def test_sections_run_in_parallel_and_keep_order(tmp_path: Path) -> None:
    cwd = os.getcwd()
    nbs = [NOTEBOOKS / "00_cover.ipynb", OK, NOTEBOOKS / "03_long_table.ipynb"]
    runs = run_sections(nbs, PARAMS, tmp_path / "out", jobs=2)
    assert [r.section for r in runs] == ["00_cover", "01_ok", "03_long_table"]
    assert all(r.ok for r in runs), runs
    assert all(r.output.is_file() and r.output.parent == tmp_path / "out" for r in runs)
    assert 'as_of = \\"2026-09\\"' in runs[0].output.read_text()  # parameters injected
    assert os.getcwd() == cwd  # no chdir anywhere


def test_failing_section_names_section_cell_and_error(tmp_path: Path) -> None:
    [run] = run_sections([FAILS], PARAMS, tmp_path)
    assert not run.ok
    # The raise is the 4th code cell of the source notebook (the injected-parameters
    # cell papermill adds is not counted).
    assert run.cell == 4
    assert run.error == "ValueError: the numbers do not add up"
    with pytest.raises(SectionError) as info:
        run.raise_for_error()
    message = str(info.value)
    assert "02_fails" in message and "cell 4" in message and "ValueError: the numbers do not add up" in message
    assert "\n" not in message


def test_inline_run_stops_after_a_failure(tmp_path: Path) -> None:
    runs = run_sections([FAILS, OK], PARAMS, tmp_path, jobs=1)
    assert [r.ok for r in runs] == [False, False]
    assert runs[1].attempts == 0 and "earlier section failed" in (runs[1].error or "")


def test_any_executor_is_accepted(tmp_path: Path) -> None:
    seen: list[SectionRun] = []
    with ThreadPoolExecutor(2) as pool:
        runs = run_sections([OK], PARAMS, tmp_path, executor=pool, on_done=seen.append)
    assert runs[0].ok and seen == runs


def test_kernel_start_failure_is_retried_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import papermill

    calls = []
    real = papermill.execute_notebook

    def flaky(*args, **kwargs):
        calls.append(kwargs["kernel_name"])
        if len(calls) == 1:
            raise RuntimeError("Kernel died before replying to kernel_info")
        return real(*args, **kwargs)

    monkeypatch.setattr(papermill, "execute_notebook", flaky)
    run = run_section(OK, tmp_path / "ok.ipynb", PARAMS)
    assert run.ok and run.attempts == 2 and calls == ["python3", "python3"]


def test_kernel_that_never_starts_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import papermill

    def broken(*args, **kwargs):
        raise TimeoutError("Kernel didn't respond in 60 seconds")

    monkeypatch.setattr(papermill, "execute_notebook", broken)
    run = run_section(OK, tmp_path / "ok.ipynb", PARAMS)
    assert not run.ok and run.attempts == 2 and "kernel could not start" in (run.error or "")


def test_a_kept_kernel_is_kept_when_the_caller_handles_an_exception(tmp_path: Path) -> None:
    # A pool worker forked while its parent handled an exception (the pack server replacing
    # its kernels after a failed pack) inherits that exception as "being handled": a good run
    # must still keep its kernel, not start a new one for every section.
    try:
        raise ValueError("handled by the caller")
    except ValueError:
        first = run_section(OK, tmp_path / "a.ipynb", PARAMS, reuse_kernel=True)
        kept = _kernel._local.km
        second = run_section(OK, tmp_path / "b.ipynb", PARAMS, reuse_kernel=True)
    try:
        assert first.ok and second.ok
        assert kept is not None and _kernel._local.km is kept  # the same kernel ran both
    finally:
        runner.release_kernel()


def test_a_kept_kernel_never_warmed_up_freezes_once_after_its_first_notebook(tmp_path: Path) -> None:
    # A kernel kept in this thread (jobs=1: a portfolio worker's) has no warm-up, which ends
    # in gc.freeze(); without one, every reset's full collection walked pandas and
    # matplotlib again (0.065 s of the 0.075 s a reset took, per section).
    def frozen() -> int:
        return _kernel.run_sync(_kernel._execute)(_kernel._local.km, "import gc", 30, "gc.get_freeze_count()")

    try:
        assert run_section(OK, tmp_path / "a.ipynb", PARAMS, reuse_kernel=True).ok
        assert frozen() == 0  # the first notebook ran in a new kernel: nothing frozen yet
        assert run_section(OK, tmp_path / "b.ipynb", PARAMS, reuse_kernel=True).ok
        after_first_reset = frozen()
        assert after_first_reset > 1000  # the modules the first notebook imported, frozen
        assert run_section(OK, tmp_path / "c.ipynb", PARAMS, reuse_kernel=True).ok
        assert frozen() <= after_first_reset  # once: later resets freeze nothing more (some are freed)
    finally:
        runner.release_kernel()
    assert run_section(OK, tmp_path / "d.ipynb", PARAMS, reuse_kernel=True).ok  # a new kernel
    try:
        assert frozen() == 0
    finally:
        runner.release_kernel()


#: In a kernel: the pages faulted in to make and free a 64 MiB block, after one such block was freed.
_REFAULTS = """\
import resource as _resource
def _faults():
    before = _resource.getrusage(_resource.RUSAGE_SELF).ru_minflt
    block = bytearray(64 << 20)
    del block
    return _resource.getrusage(_resource.RUSAGE_SELF).ru_minflt - before
_faults()
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc settings")
def test_a_kept_kernel_keeps_the_memory_it_frees_after_its_first_notebook(tmp_path: Path) -> None:
    # Like the reportlib command (reportlib._memory.keep_freed_memory): a block freed stays
    # in the kernel for the next notebooks instead of being faulted in and zeroed again.
    def refaults() -> int:
        return _kernel.run_sync(_kernel._execute)(_kernel._local.km, _REFAULTS, 30, "_faults()")

    pages = (64 << 20) // os.sysconf("SC_PAGE_SIZE")
    try:
        assert run_section(OK, tmp_path / "a.ipynb", PARAMS, reuse_kernel=True).ok
        assert refaults() > pages // 2  # a new kernel: glibc gave the block back and faults it in again
        assert run_section(OK, tmp_path / "b.ipynb", PARAMS, reuse_kernel=True).ok
        assert refaults() < pages // 10  # after its first reset: the freed block is reused
    finally:
        runner.release_kernel()


def test_a_kept_kernel_has_one_client_for_its_reset_notebooks_and_reads(tmp_path: Path) -> None:
    # One client (sockets, heartbeat thread, handshake) for the kernel's whole life instead of
    # three per section: the reset, papermill and the reads all use it; it closes with the kernel.
    try:
        first = run_section(OK, tmp_path / "a.ipynb", PARAMS, reuse_kernel=True, track_reads=True)
        client = _kernel._local.km.client()
        second = run_section(OK, tmp_path / "b.ipynb", PARAMS, reuse_kernel=True, track_reads=True)
        assert first.ok and second.ok and first.reads is not None and second.reads is not None
        assert _kernel._local.km.client() is client and client.channels_running
        # a value asked after papermill's run comes back on the same client (nothing stale taken)
        assert _kernel.run_sync(_kernel._execute)(_kernel._local.km, "x = 41", 30, "x + 1") == 42
    finally:
        runner.release_kernel()
    assert client.stopped and not client.channels_running


def test_a_kernel_whose_client_was_closed_gets_a_new_one(tmp_path: Path) -> None:
    try:
        assert run_section(OK, tmp_path / "a.ipynb", PARAMS, reuse_kernel=True).ok
        km = _kernel._local.km
        old = km.client()
        old.stop_channels()  # as nbclient does when it owns the kernel
        assert run_section(OK, tmp_path / "b.ipynb", PARAMS, reuse_kernel=True).ok
        assert _kernel._local.km is km and km.client() is not old and km.client().channels_running
    finally:
        runner.release_kernel()


def test_a_worker_s_warm_up_compiles_the_validator_papermill_validates_with(monkeypatch: pytest.MonkeyPatch) -> None:
    # papermill validates every notebook it reads and writes; the first validation compiled
    # nbformat's schema validator during the pack's first section (0.03-0.06 s)
    import nbformat
    from nbformat import validator

    from reportlib.pack import section_notebooks

    monkeypatch.setattr(validator, "validators", {})
    _kernel._warm_runner()
    assert validator.validators

    class NoneNew(dict):
        def __setitem__(self, key, value):
            raise AssertionError(f"a validator compiled again: {key}")

    monkeypatch.setattr(validator, "validators", NoneNew(validator.validators))
    for path in section_notebooks():  # as papermill reads each section
        nbformat.validate(nbformat.read(str(path), as_version=4))


def test_a_runner_loads_papermill_without_pyarrow_and_can_load_pyarrow_later() -> None:
    # papermill's HDFS support would import pyarrow and numpy into every runner (0.13-0.16 s
    # of its start); the pack hands papermill local paths only
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import reportlib.render._papermill as p\n"
        "print(sorted({'pyarrow', 'pyarrow.fs', 'numpy'} & set(sys.modules)))\n"
        "import pyarrow.fs\n"
        "print(pyarrow.fs.LocalFileSystem.__name__, callable(p.pm.execute_notebook))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == ["[]", "LocalFileSystem True"], out.stderr


def test_a_module_already_loaded_is_left_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from reportlib.render._papermill import _without_module

    with _without_module("os"):
        import os as again
    assert again is os and sys.modules["os"] is os
    monkeypatch.delitem(sys.modules, "reportlib_no_such_module", raising=False)
    with _without_module("reportlib_no_such_module"), pytest.raises(ImportError):
        import reportlib_no_such_module  # noqa: F401
    assert "reportlib_no_such_module" not in sys.modules
