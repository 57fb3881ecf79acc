"""Process hygiene: a pack's workers, kernels and Chromium end with it, however it ends.

The real ``reportlib pack`` runs in a subprocess carrying a marker environment variable,
which every process it starts (pool workers, kernels, Chromium and its helpers) inherits;
a process still carrying the marker after the pack ended is a leftover.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest

import reportlib.pack as pack
from conftest import FIXTURES, MARKER, ROOT, SALES_LED, chromium_available, staging_folders, until
from conftest import marked_processes as _marked
from reportlib import processes
from reportlib.exceptions import ExportError
from reportlib.render.chromium import Chromium

GOOD = [FIXTURES / "notebooks" / "00_cover.ipynb", FIXTURES / "notebooks" / "01_ok.ipynb"]
needs_chromium = pytest.mark.skipif(not chromium_available(), reason="no Chromium installed")


def _kernels(marker: str) -> list[psutil.Process]:
    out = []
    for proc in _marked(marker):
        try:
            if any("ipykernel" in part for part in proc.cmdline()):
                out.append(proc)
        except psutil.Error:
            continue
    return out


def _start_pack(out: Path, marker: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "reportlib.cli", "pack", str(SALES_LED), "--out", str(out)],
        env={**os.environ, "PYTHONPATH": str(ROOT), MARKER: marker, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=out.parent,
    )


def _kill_mid_run(tmp_path: Path, signum: int) -> tuple[subprocess.Popen, Path, str]:
    out, marker = tmp_path / "reports", uuid.uuid4().hex
    out.mkdir()
    proc = _start_pack(out, marker)
    # mid-run: kernels are up and the staging folder exists
    started = until(lambda: proc.poll() is None and _kernels(marker) and staging_folders(out), 120)
    assert started, f"the pack never got going: {proc.communicate()[1][-2000:]}"
    proc.send_signal(signum)
    proc.wait(60)
    return proc, out, marker


@pytest.mark.slow
@pytest.mark.chromium
@needs_chromium
def test_sigterm_mid_run_ends_every_child_and_leaves_no_staging(tmp_path: Path) -> None:
    proc, out, marker = _kill_mid_run(tmp_path, signal.SIGTERM)
    assert proc.returncode == 143
    assert "Traceback" not in proc.stderr.read()
    assert until(lambda: not _marked(marker), 5), [p.cmdline() for p in _marked(marker)]
    assert staging_folders(out) == []


@pytest.mark.slow
@pytest.mark.chromium
@needs_chromium
def test_sigkill_leaves_no_process_and_the_next_run_removes_its_staging(tmp_path: Path) -> None:
    proc, out, marker = _kill_mid_run(tmp_path, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    # nothing ran clean-up: the children notice their parent is gone by themselves
    assert until(lambda: not _marked(marker), 5), [p.cmdline() for p in _marked(marker)]
    stale = staging_folders(out)
    assert len(stale) == 1 and f"-{proc.pid}-" in stale[0].name
    # The next run (here one that stops at the Chromium check) removes the dead run's folder.
    again = _start_pack(out, uuid.uuid4().hex, REPORTLIB_CHROMIUM="/bin/false")
    _, err = again.communicate(timeout=300)
    assert again.returncode == 1 and "/bin/false" in err
    assert not stale[0].exists() and staging_folders(out) == []


@pytest.mark.slow
@pytest.mark.chromium
@needs_chromium
def test_an_unchanged_pack_ends_its_kernel_started_ahead_without_a_word(tmp_path: Path) -> None:
    # the command starts a kernel before it knows the pack is unchanged (render.ahead):
    # the skip ends it at once, and nothing is left or said
    out = tmp_path / "reports"
    out.mkdir()
    first = _start_pack(out, uuid.uuid4().hex)
    assert first.wait(300) == 0, first.communicate()[1][-2000:]
    marker = uuid.uuid4().hex
    again = _start_pack(out, marker)
    stdout, stderr = again.communicate(timeout=120)
    assert again.returncode == 0 and "unchanged" in stdout
    assert stderr == ""
    assert until(lambda: not _marked(marker), 30), [p.cmdline() for p in _marked(marker)]


def test_stale_kernel_folders_go_those_of_live_workers_stay(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    gone = tmp_path / f".rl-kernel.ipc-{dead.pid}-abc"
    live = tmp_path / f".rl-kernel.ipc-{os.getppid()}-def"
    other = tmp_path / "rl-kernel-xyz"  # not named after a process: not ours to judge
    for folder in (gone, live, other):
        (folder / "k-1").mkdir(parents=True)
    processes.remove_stale(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in (live, other))


def test_remove_stale_keeps_live_runs(tmp_path: Path) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    gone = tmp_path / f".2026-09.staging-{dead.pid}-0a1b2c3d"
    live = tmp_path / f".2026-09.staging-{os.getppid()}-0a1b2c3d"
    mine = tmp_path / processes.staging_name("2026-09")
    other = tmp_path / "2026-09"
    for folder in (gone, live, mine, other):
        folder.mkdir()
    assert processes.remove_stale(tmp_path) == [gone]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in (live, mine, other))


def test_a_broken_chromium_fails_before_any_notebook_naming_the_binary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPORTLIB_CHROMIUM", "/bin/false")
    monkeypatch.setattr(pack, "run_sections", lambda *a, **k: pytest.fail("a notebook ran"))
    out = tmp_path / "reports"
    start = time.monotonic()
    with pytest.raises(ExportError, match="/bin/false"):
        pack.build_pack(SALES_LED, out=out, notebooks=GOOD, jobs=1)
    assert time.monotonic() - start < 60
    assert list(out.rglob("*.pdf")) == [] and staging_folders(out) == []


def test_the_cli_names_a_broken_chromium(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    proc = subprocess.run(
        [sys.executable, "-m", "reportlib.cli", "pack", str(SALES_LED), "--out", str(out)],
        env={**os.environ, "PYTHONPATH": str(ROOT), "REPORTLIB_CHROMIUM": "/bin/false"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1
    assert "/bin/false" in proc.stderr and "Traceback" not in proc.stderr
    # however soon it exits, the same sentence: its exit code and the remedy
    assert "exited with code 1 before answering" in proc.stderr and "apt-get install chromium" in proc.stderr
    # the kernel warming meanwhile ends with its worker without a word (its stderr is this
    # command's, read here to its end: the kernel's included)
    assert "Parent appears to have exited" not in proc.stderr and "WARNING" not in proc.stderr
    assert not out.exists() or list(out.rglob("*.ipynb")) == []


def test_a_chromium_that_never_answers_is_stopped(tmp_path: Path) -> None:
    silent = tmp_path / "silent-chromium"
    silent.write_text("#!/bin/sh\nexec sleep 600\n")
    silent.chmod(silent.stat().st_mode | stat.S_IXUSR)
    browser = Chromium(silent, timeout=2, wait=False)
    pid = browser._proc.pid
    start = time.monotonic()
    with pytest.raises(ExportError, match="silent-chromium.*did not answer within 2s"):
        browser.ready()
    assert time.monotonic() - start < 10
    assert not processes.pid_alive(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def _unwritable(tmp_path: Path) -> Path:
    """An output folder this process cannot write into: read-only by mode, or, for root
    (whom modes do not stop), a folder on sysfs, which refuses new folders."""
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
        return folder / "reports"
    if not Path("/sys/kernel").is_dir():
        pytest.skip("running as root without sysfs: no folder refuses writes")
    return Path("/sys/kernel/reportlib-reports")


def test_an_unwritable_output_folder_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    out = _unwritable(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "reportlib.cli", "pack", str(SALES_LED), "--out", str(out)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert str(out) in proc.stderr and "--out" in proc.stderr
    assert "permission denied" in proc.stderr or "read-only" in proc.stderr


def test_signals_in_the_block_raise_in_the_main_thread_and_are_remembered() -> None:
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    with pytest.raises(processes.Terminated), processes.raise_on_signals():
        signal.raise_signal(signal.SIGTERM)
    assert processes.interrupted() == 143  # 128 + SIGTERM (15)
    with pytest.raises(KeyboardInterrupt), processes.raise_on_signals():
        signal.raise_signal(signal.SIGINT)
    assert processes.interrupted() == 130  # 128 + SIGINT (2)
    with processes.raise_on_signals():
        pass
    assert processes.interrupted() is None  # each block starts afresh
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


def test_an_interrupt_replaced_by_a_clean_up_error_still_ends_the_process_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SIGTERM mid-run, then the clean-up fails (the disk, say): the error replaces Terminated
    # on its way up, and the interpreter's exit would join threads that may wait for ever on
    # a lock the interrupted main thread held. The CLI still ends with 143, without that exit.
    import reportlib.cli as cli

    def interrupted_then_failing_clean_up(*args, **kwargs):
        try:
            signal.raise_signal(signal.SIGTERM)
        finally:
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(cli, "_validate_one", interrupted_then_failing_clean_up)
    monkeypatch.setattr(cli, "_exit_now", lambda code: (_ for _ in ()).throw(SystemExit(code)))
    with pytest.raises(SystemExit) as ended:
        cli.main(["validate", str(SALES_LED)])
    assert ended.value.code == 143


def test_an_interrupt_inside_logging_is_raised_once_out_of_it() -> None:
    # raised inside logging (between a lock's acquire and its try, say) it would leave the
    # lock held for ever; raised inside a fork's at-fork callbacks it would be dropped
    import logging

    namespace: dict = {"__name__": "logging", "sys": sys}
    exec("def where():\n    return sys._getframe()", namespace)  # a frame of the logging module
    in_logging = namespace["where"]()
    assert processes._unsafe(in_logging) and not processes._unsafe(sys._getframe())
    assert logging.getLogger().handlers is not None
    with pytest.raises(processes.Terminated), processes.raise_on_signals():
        processes._interrupt_when_safe(signal.SIGTERM, in_logging)  # deferred: nothing raised here
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # raised by the retry, 10 ms later, here
            time.sleep(0.001)
        pytest.fail("the deferred interrupt never came")
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
