"""The pack server (``reportlib serve``): which commands it takes, what it checks, and the
packs it makes -- the same files, messages and exit codes as the command's own."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from conftest import MARKER, ROOT, SALES_LED, chromium_available, staging_folders, until
from conftest import marked_processes as _marked
from reportlib import serve
from reportlib.serve import forward, servable, server_key, socket_path

needs_chromium = pytest.mark.skipif(not chromium_available(), reason="no Chromium installed")


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private socket folder of this test's own (short: a socket path has 107 bytes)."""
    folder = Path(f"/tmp/rl-{uuid.uuid4().hex[:8]}")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    monkeypatch.chdir(tmp_path)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


# -- which commands, which server -----------------------------------------------------------------
@pytest.mark.parametrize(
    "args, expected",
    [
        (["pack", "data/meridian"], True),
        (["-q", "pack", "data/meridian", "--force"], True),
        (["pack", "data/meridian", "-v", "--segment", "segment=SMB"], True),
        (["pack", "data/meridian", "--watch"], False),  # a watch keeps its own kernels
        (["pack", "data/meridian", "--no-server"], False),
        (["pack", "--help"], False),
        (["kpis", "data/meridian"], False),
        (["portfolio", "data"], False),
        ([], False),
    ],
)
def test_only_a_pack_goes_to_the_server(args: list[str], expected: bool) -> None:
    assert servable(args) is expected


def test_the_socket_folder_is_private_and_a_shared_one_is_refused(runtime: Path) -> None:
    path = socket_path()
    assert path.parent == runtime / "reportlib"
    assert (path.parent.stat().st_mode & 0o777) == 0o700
    path.parent.chmod(0o755)  # others may enter: a socket there could be someone else's
    with pytest.raises(PermissionError, match="not a private folder"):
        socket_path()
    assert forward(["pack", "x"]) is None  # the command then makes its pack itself


def test_the_key_holds_the_folder_and_the_settings(runtime: Path, tmp_path: Path, monkeypatch) -> None:
    key = server_key()
    assert server_key() == key
    assert socket_path() == socket_path(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    assert server_key(other) != key and socket_path(other) != socket_path()
    monkeypatch.setenv("REPORTLIB_FUND", str(tmp_path / "fund.toml"))
    assert server_key() != key  # kernels and browser were started with the server's settings
    monkeypatch.delenv("REPORTLIB_FUND")
    monkeypatch.setenv("UNRELATED_SETTING", "1")
    assert server_key() == key


def test_no_server_or_a_dead_one_leaves_the_pack_to_the_command(runtime: Path) -> None:
    assert forward(["pack", "x"]) is None  # no socket
    path = socket_path()
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(path))
    dead.close()  # its file stays: a server killed with -9 leaves it
    assert path.exists() and forward(["pack", "x"]) is None


def test_without_unix_sockets_every_pack_is_the_commands(runtime: Path, monkeypatch) -> None:
    monkeypatch.setattr(serve, "SUPPORTED", False)  # Windows
    assert forward(["pack", "x"]) is None
    with pytest.raises(serve.ServerError, match="needs Unix sockets"):
        serve.run_server()


def _fake_server(path: Path, replies: list[dict], received: list[dict], delay: float = 0.0) -> threading.Thread:
    """A listener answering one request with ``replies`` (the server's side of the protocol),
    after ``delay`` seconds (busy with another command's pack)."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)

    def answer() -> None:
        conn, _ = listener.accept()
        with conn, listener:
            received.append(json.loads(conn.makefile("rb").readline()))
            time.sleep(delay)
            for reply in replies:
                conn.sendall(json.dumps(reply).encode() + b"\n")

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    return thread


def test_a_command_says_when_it_waits_for_anothers_pack(runtime: Path) -> None:
    received: list[dict] = []
    thread = _fake_server(socket_path(), [{"started": True}, {"exit": 0}], received, delay=1.5)
    stderr = io.StringIO()
    assert forward(["pack", "meridian"], io.StringIO(), stderr) == 0
    thread.join(5)
    assert stderr.getvalue() == "waiting for the pack server: it is making another pack\n"


@pytest.mark.parametrize(
    "replies, code, out, err",
    [
        (
            [{"started": True}, {"out": "Wrote a.pdf\n"}, {"err": "warning: w\n"}, {"exit": 0}],
            0,
            "Wrote a.pdf\n",
            "warning: w\n",
        ),
        ([{"err": "error: nothere does not exist.\n"}, {"exit": 1}], 1, "", "error: nothere does not exist.\n"),
        ([{"other": True}], None, "", "runs other code or settings"),  # then made here
        ([{"out": "half"}], None, "half", "stopped during the pack"),  # server gone mid-way
    ],
)
def test_the_command_shows_what_the_server_says(runtime: Path, replies, code, out, err) -> None:
    received: list[dict] = []
    thread = _fake_server(socket_path(), replies, received)
    stdout, stderr = io.StringIO(), io.StringIO()
    assert forward(["-q", "pack", "meridian"], stdout, stderr) == code
    thread.join(5)
    assert received == [{"key": server_key(), "args": ["-q", "pack", "meridian"]}]
    assert stdout.getvalue() == out
    assert err in stderr.getvalue()


# -- the real server ------------------------------------------------------------------------------
def _env(runtime: Path, tmp_path: Path, marker: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        "XDG_RUNTIME_DIR": str(runtime),
        "REPORTLIB_CACHE": str(tmp_path / "cache"),
        MARKER: marker,
    }


def _reportlib(args: list[str], env: dict[str, str], cwd: Path, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "reportlib", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300, **kw
    )


def _pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


class _Log:
    """The server's output lines, read as they come."""

    def __init__(self, proc: subprocess.Popen):
        self.lines: list[str] = []
        threading.Thread(target=lambda: self.lines.extend(iter(proc.stdout.readline, "")), daemon=True).start()

    def wait_for(self, text: str, seconds: float = 120) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            hits = [line for line in self.lines if text in line]
            if hits:
                return hits[-1]
            time.sleep(0.1)
        raise AssertionError(f"the server never said {text!r}: {self.lines}")


@pytest.mark.slow
@pytest.mark.chromium
@needs_chromium
def test_a_served_pack_is_the_commands_own_and_the_server_stops_clean(runtime: Path, tmp_path: Path) -> None:
    marker = uuid.uuid4().hex
    work = tmp_path / "work"
    shutil.copytree(SALES_LED, work / "meridian")
    env = _env(runtime, tmp_path, marker)
    server = subprocess.Popen(
        [sys.executable, "-m", "reportlib", "serve", "--idle", "10"],
        env=env,
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    log = _Log(server)
    try:
        log.wait_for("Serving the packs of")
        assert _reportlib(["serve"], env, work).returncode == 1  # one server per folder

        # 1. the pack, made by the server: its messages and exit code come back
        served = _reportlib(["-v", "pack", "meridian", "--out", "reports"], env, work)
        assert served.returncode == 0, served.stderr
        assert "Wrote" in served.stdout and "board-pack.pdf" in served.stdout
        assert "exit 0" in log.wait_for("reportlib -v pack meridian --out reports")

        # 2. the same pack made by the command itself: the same pages, word for word
        local = _reportlib(["pack", "meridian", "--out", "local", "--no-server", "--force"], env, work)
        assert local.returncode == 0, local.stderr
        assert not any("--no-server" in line for line in log.lines)
        pdf = Path("meridian") / "2026-10" / "board-pack.pdf"
        assert _pdf_text(work / "reports" / pdf) == _pdf_text(work / "local" / pdf)

        # 3. a mistake is told as the command tells it, exit 1, no traceback
        mistake = _reportlib(["pack", "meridan", "--out", "reports"], env, work)
        own = _reportlib(["pack", "meridan", "--out", "reports", "--no-server"], env, work)
        assert (mistake.returncode, mistake.stderr) == (1, own.stderr) and "Did you mean" in own.stderr
        assert "exit 1" in log.wait_for("reportlib pack meridan")

        # 4. other settings: the server is not used, and the command says so
        other = _reportlib(["pack", "meridan"], {**env, "REPORTLIB_FUND": str(tmp_path / "fund.toml")}, work)
        assert other.returncode == 1 and "runs other code or settings" in other.stderr

        # 5. Ctrl-C in the command abandons its pack in the server: nothing half-written
        (work / "meridian" / "commentary.md").write_text("## Summary\n\nA quarter to remember.\n")
        command = subprocess.Popen(
            [sys.executable, "-m", "reportlib", "pack", "meridian", "--out", "abandoned", "--force"],
            env=env,
            cwd=work,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # once the pack is under way in the server (a fixed sleep raced a pack that got faster)
        assert until(lambda: staging_folders(work / "abandoned"), 60, step=0.02), "no pack started"
        command.send_signal(signal.SIGINT)
        _, err = command.communicate(timeout=60)
        assert command.returncode == 130 and "interrupted" in err
        assert "exit abandoned" in log.wait_for("--out abandoned --force", 120)
        assert not (work / "abandoned").exists() or not any((work / "abandoned").rglob("*.pdf"))

        # ... and the server goes on with its kernels: the next pack is made, with the edit
        again = _reportlib(["pack", "meridian", "--out", "reports"], env, work)
        assert again.returncode == 0, again.stderr
        assert "exit 0" in log.wait_for("reportlib pack meridian --out reports")
        assert "A quarter to remember." in _pdf_text(work / "reports" / pdf)
    finally:
        stopped = _reportlib(["serve", "--stop"], env, work)
        server.wait(60)
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert server.returncode == 0
    assert not socket_path(work).exists()
    gone = lambda: not _marked(marker)  # noqa: E731 -- kernels, workers, Chromium: all ended
    deadline = time.monotonic() + 30
    while not gone() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert gone(), [p.cmdline()[:3] for p in _marked(marker)]
    assert _reportlib(["serve", "--stop"], env, work).returncode == 1  # none runs now


def test_the_server_module_imports_nothing_heavy() -> None:
    # the command's half runs before any pack: no pandas, click or notebook machinery
    code = (
        "import sys, reportlib.__main__; print(sorted(m for m in ('pandas', 'click', 'papermill') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    assert out.stdout.strip() == "[]", out.stderr
    assert serve.TOOLCHAIN  # the versions a server must share with its commands


@pytest.fixture
def server_thread(runtime: Path, monkeypatch: pytest.MonkeyPatch):
    """A real server in this process, kept light: ``jobs=1`` (no kernels, its browser only)
    and the command it runs replaced by ``commands`` (args[1] -> what to do)."""
    from reportlib import cli

    commands: dict = {}

    def served(args: list[str]) -> int:
        return commands[args[1]]()

    monkeypatch.setattr(cli, "served", served)
    said: list[str] = []
    ready = threading.Event()
    thread = threading.Thread(
        target=serve.run_server, args=(1, 5.0), kwargs={"say": said.append, "ready": lambda p: ready.set()}, daemon=True
    )
    thread.start()
    assert ready.wait(60), said
    yield commands, said
    assert serve.stop_server()
    thread.join(30)
    assert not thread.is_alive() and not socket_path().exists()


@needs_chromium
def test_the_server_streams_output_and_keeps_no_setting(server_thread, monkeypatch) -> None:
    commands, said = server_thread

    def pack_with_a_fund() -> int:
        print("Wrote a.pdf")
        print("warning: w", file=sys.stderr)
        os.environ["REPORTLIB_FUND"] = "/elsewhere/fund.toml"  # what --fund does, for its run only
        return 0

    commands["a"] = pack_with_a_fund
    out, err = io.StringIO(), io.StringIO()
    assert forward(["pack", "a"], out, err) == 0
    assert (out.getvalue(), err.getvalue()) == ("Wrote a.pdf\n", "warning: w\n")
    assert "REPORTLIB_FUND" not in os.environ
    assert any(re.search(r"reportlib pack a: exit 0 in \d+\.\d s$", line) for line in said)  # any time: a busy machine


@needs_chromium
def test_a_server_fault_leaves_the_pack_to_the_command(server_thread) -> None:
    commands, said = server_thread

    def broken() -> int:
        raise RuntimeError("a bug of the server's")

    commands["b"] = broken
    commands["c"] = lambda: 0
    err = io.StringIO()
    assert forward(["pack", "b"], io.StringIO(), err) is None  # the command makes it itself
    assert "the pack server failed (RuntimeError: a bug of the server's); making the pack here" in err.getvalue()
    assert forward(["pack", "c"], io.StringIO(), io.StringIO()) == 0  # and the server goes on
    assert any("reportlib pack b: exit failed (RuntimeError" in line for line in said)


def test_the_servers_browser_warms_in_the_folders_look(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reportlib.deck._style import Theme

    monkeypatch.delenv("REPORTLIB_FUND", raising=False)
    monkeypatch.chdir(tmp_path)
    assert serve._folder_theme_css() == Theme().css()  # no fund here: the default look
    (tmp_path / "fund.toml").write_text('[fund]\nname = "N"\n\n[branding]\ncolors = { primary = "#123456" }\n')
    assert "--bp-primary: #123456" in serve._folder_theme_css()  # the fund's packs' look
    (tmp_path / "fund.toml").write_text("[branding]\ncolours = {}\n")  # invalid: each pack says why
    assert serve._folder_theme_css() == Theme().css()
