"""The ``reportlib`` program's end (reportlib.__main__.run): what a normal exit does is done,
the teardown of every module is not."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROGRAM = """\
import atexit, sys, threading, time
from pathlib import Path
import reportlib.__main__ as program

out = Path(sys.argv[1])
atexit.register(lambda: (out / "atexit").write_text("ran"))

def late_writer():
    time.sleep(0.3)  # still running when the command returns
    (out / "thread").write_text("joined")

program.entry = lambda: (threading.Thread(target=late_writer).start(), {code})[1]
sys.stdout.write("x" * 200_000)  # more than a pipe holds: flushed at the end, not lost
program.run()
"""


def _run(tmp_path: Path, code: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", PROGRAM.format(code=code), str(tmp_path)], capture_output=True, text=True, timeout=60
    )


def test_the_program_ends_with_its_command_s_code_after_threads_exit_handlers_and_output(tmp_path: Path) -> None:
    done = _run(tmp_path, 3)
    assert done.returncode == 3, done.stderr
    assert (tmp_path / "thread").read_text() == "joined"  # a thread still running is waited for
    assert (tmp_path / "atexit").read_text() == "ran"
    assert done.stdout == "x" * 200_000 and done.stderr == ""


def test_a_command_that_succeeds_ends_with_0(tmp_path: Path) -> None:
    assert _run(tmp_path, 0).returncode == 0


def test_the_installed_program_and_python_m_give_the_command_s_code_and_message(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-company"
    for argv in ([sys.executable, "-m", "reportlib"], [str(Path(sys.executable).with_name("reportlib"))]):
        done = subprocess.run([*argv, "kpis", str(missing)], capture_output=True, text=True, timeout=120)
        assert done.returncode != 0 and str(missing) in done.stderr, (argv, done.stderr)
        help_ = subprocess.run([*argv, "--help"], capture_output=True, text=True, timeout=120)
        assert help_.returncode == 0 and help_.stdout.startswith("Usage: reportlib"), argv
