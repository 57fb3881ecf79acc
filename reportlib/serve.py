"""The pack server: ``reportlib serve`` keeps the toolchain warm for the packs made beside it.

A one-off ``reportlib pack`` pays, before its first page, for what every pack needs and none
changes: importing pandas, papermill and nbconvert into the command (about 1.7 s of CPU),
starting two ``python3`` kernels with pandas, matplotlib and the deck imported (2.5-3 s of
CPU each) and one Chromium (about 1 s). ``pack --watch`` keeps them for one company's
re-makes; the server keeps them for every pack made from one folder, whatever the company,
segment or comparison, for as long as it runs:

- ``reportlib serve`` (in a terminal of its own, or in the background) holds a
  :class:`reportlib.session.Session` (warm kernels and a browser) and the imported library,
  and listens on a Unix socket that only its user may open;
- ``reportlib pack`` run in the same folder, with the same reportlib code, Python,
  libraries and ``REPORTLIB_*`` settings, sends its arguments there; the server runs the
  very command (:func:`reportlib.cli.served`: same parsing, messages, files and exit code) on
  its warm session and sends back what it printed. Anything else -- no server here, a server
  of other code or settings, ``--watch``, ``--no-server``, a server that stops or fails
  mid-way -- makes the pack in the command itself, as without a server.

The folder and the settings are part of the match because the server's kernels and browser
were started there and with those: a custom section that opens ``plan.txt`` reads the
server's folder, and a kernel tells the store's files from a section's reads by
``$REPORTLIB_CACHE``. One pack runs at a time; a second command waits its turn. Ctrl-C in
the command abandons its pack in the server too (nothing half-written is left, the server's
kernels are replaced). The server stops on Ctrl-C, on ``reportlib serve --stop`` run in the
same folder, or after ``--idle`` minutes without a pack.

This module's client half (:func:`forward`) runs before anything heavy is imported: a
served ``reportlib pack`` starts in about 0.2 s.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import select
import signal
import socket
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

__all__ = ["forward", "run_server", "serving_session", "socket_path", "stop_server", "ServerError"]

#: The pack's libraries besides the store's (``reportlib._store.VERSIONED``): a server of
#: other versions is not used.
TOOLCHAIN = ("matplotlib", "papermill", "nbclient", "nbconvert", "ipykernel", "jupyter_client")
#: Settings read from the environment besides ``REPORTLIB_*``: where Chromium, the store and
#: the user's files are found.
ENVIRONMENT = ("PATH", "HOME", "XDG_CACHE_HOME", "PLAYWRIGHT_BROWSERS_PATH")
IDLE_MINUTES = 60.0
#: Seconds after which a command whose pack has not started says that it waits its turn.
WAIT_NOTE_SECONDS = 1.0
#: Options that keep a ``pack`` in the command (``-h``: click prints the help itself).
_LOCAL_OPTIONS = {"--watch", "--no-server", "-h", "--help"}
_GROUP_OPTIONS = {"-q", "--quiet", "-v", "--verbose"}

_session: Any = None  # the Session of the request being served, in the server process
#: Unix sockets and user ids: Linux and macOS (elsewhere every pack is made by its command).
SUPPORTED = hasattr(socket, "AF_UNIX") and hasattr(os, "getuid")


class ServerError(RuntimeError):
    """No pack server can start here: one already answers in this folder, or the system has
    no Unix sockets."""


# -- where and which ----------------------------------------------------------------------------
def runtime_dir() -> Path:
    """The user's private folder of server sockets: ``$XDG_RUNTIME_DIR/reportlib``, else
    ``/tmp/reportlib-<uid>``; made 0700, and refused (OSError) when another user owns it
    or others may enter it, since a socket there runs packs as this user."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    folder = Path(base) / "reportlib" if base else Path("/tmp") / f"reportlib-{os.getuid()}"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = folder.lstat()  # a symbolic link is not a directory here
    if st.st_uid != os.getuid() or st.st_mode & 0o077 or not stat.S_ISDIR(st.st_mode):
        raise PermissionError(f"{folder} is not a private folder of this user: no pack server is used")
    return folder


def socket_path(cwd: Path | None = None) -> Path:
    """The socket of the server of folder ``cwd`` (default the current one)."""
    where = str((cwd or Path.cwd()).resolve())
    return runtime_dir() / f"{hashlib.sha256(where.encode()).hexdigest()[:20]}.sock"


def server_key(cwd: Path | None = None) -> str:
    """What a command and a server must share for the server to make the command's pack:
    reportlib's code, Python, the toolchain's versions, the folder and the settings."""
    from reportlib._store import VERSIONED, code_digest, library_versions  # 0.15 s: only when a server runs

    versions = library_versions(VERSIONED + TOOLCHAIN)
    settings = sorted((k, v) for k, v in os.environ.items() if k.startswith("REPORTLIB_") or k in ENVIRONMENT)
    parts = [code_digest(), sys.executable, sys.version, versions, str((cwd or Path.cwd()).resolve()), settings]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


# -- the command's side -------------------------------------------------------------------------
def servable(args: Sequence[str]) -> bool:
    """Whether ``reportlib ARGS`` is a pack a server may make."""
    rest = [a for a in args if a not in _GROUP_OPTIONS]
    return bool(rest) and rest[0] == "pack" and not _LOCAL_OPTIONS.intersection(rest)


def forward(args: Sequence[str], out: Any = None, err: Any = None) -> int | None:
    """Have this folder's server make the pack of ``reportlib ARGS``: its exit code, after
    its messages went to ``out`` and ``err`` (default stdout and stderr); None when the
    command must make it itself (no server here, another key, the server stopped)."""
    out, err = out or sys.stdout, err or sys.stderr
    if not SUPPORTED or not servable(args):
        return None
    try:
        path = socket_path()
        if not path.exists():
            return None
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(str(path))
    except OSError:  # no private folder, or a socket its server left behind
        return None
    with conn:
        try:
            return _exchange(conn, {"key": server_key(), "args": list(args)}, out, err)
        except KeyboardInterrupt:  # closing the connection abandons the pack in the server
            err.write("interrupted\n")
            err.flush()
            return 130


def _exchange(conn: socket.socket, request: dict[str, Any], out: Any, err: Any) -> int | None:
    conn.sendall(json.dumps(request).encode() + b"\n")
    if not select.select([conn], [], [], WAIT_NOTE_SECONDS)[0]:  # no "started" yet: it is busy
        err.write("waiting for the pack server: it is making another pack\n")
        err.flush()
    for message in _messages(conn):
        if "started" in message:
            continue
        if "other" in message:
            err.write(
                "note: the pack server of this folder runs other code or settings; making the pack here"
                " (`reportlib serve --stop` ends that server)\n"
            )
            return None
        if "local" in message:
            err.write(f"note: the pack server failed ({message['local']}); making the pack here\n")
            return None
        if "exit" in message:
            return int(message["exit"])
        stream = out if "out" in message else err
        stream.write(message.get("out", message.get("err", "")))
        stream.flush()
    err.write("note: the pack server stopped during the pack; making it here\n")
    return None


def _messages(conn: socket.socket) -> Iterator[dict[str, Any]]:
    with conn.makefile("rb") as lines:
        for line in lines:
            yield json.loads(line)


def stop_server(timeout: float = 30.0) -> bool:
    """Stop this folder's server (it finishes the pack it is making first); False when
    none runs here. ``timeout``: seconds to reach it."""
    try:
        path = socket_path()
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.settimeout(timeout)
        conn.connect(str(path))
    except OSError:
        return False
    with conn:
        conn.settimeout(None)  # a pack being made ends first, however long it takes
        try:
            conn.sendall(json.dumps({"stop": True}).encode() + b"\n")
            return any("exit" in m for m in _messages(conn))
        except OSError:  # the server ended meanwhile
            return False


# -- the server's side --------------------------------------------------------------------------
def serving_session() -> Any:
    """The server's :class:`~reportlib.session.Session` while it serves a command (the
    command's pack runs on it); None anywhere else."""
    return _session


def run_server(
    jobs: int | None = None,
    idle_minutes: float = IDLE_MINUTES,
    say: Callable[[str], None] = print,
    ready: Callable[[Path], None] | None = None,
) -> None:
    """Serve the packs of this folder until Ctrl-C (``KeyboardInterrupt``, which the caller
    sees), ``reportlib serve --stop`` or ``idle_minutes`` without a request.

    Raises :class:`ServerError` when a server already answers here.
    """
    if not SUPPORTED:
        raise ServerError("the pack server needs Unix sockets (Linux, macOS); make each pack with `reportlib pack`")
    path = socket_path()
    listener = _listen(path)
    try:
        server = _Server(server_key(), jobs, say)
        try:
            say(f"Serving the packs of {Path.cwd()} on {path} ({server.workers} kernels kept warm)")
            if ready is not None:
                ready(path)
            server.run(listener, idle_minutes * 60.0)
        finally:
            server.close()
    finally:
        listener.close()
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _listen(path: Path) -> socket.socket:
    """The listening socket at ``path``; a socket file whose server is gone is replaced."""
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with probe:
        try:
            probe.connect(str(path))
        except OSError:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        else:
            raise ServerError(f"a pack server already runs for {Path.cwd()} (`reportlib serve --stop` ends it)")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)  # the socket file is the user's alone from its first instant
    try:
        listener.bind(str(path))
    finally:
        os.umask(old)
    listener.listen(16)
    return listener


def _folder_theme_css() -> str:
    """The look of this folder's packs: the theme of the fund a company folder here belongs
    to (``$REPORTLIB_FUND``, else ``fund.toml`` here), else the default; the default too when
    that fund file is invalid (each pack names its problems)."""
    from reportlib.deck._style import Theme
    from reportlib.exceptions import ReportlibError
    from reportlib.inputs.fund import find_fund

    try:
        return Theme.from_fund(find_fund(Path.cwd() / "company")).css()  # any folder here
    except (ReportlibError, OSError):
        return Theme.from_fund(None).css()


class _Server:
    """The warm session, the library imported, and one request at a time."""

    def __init__(self, key: str, jobs: int | None, say: Callable[[str], None]):
        from reportlib import cli, pack  # imported once here, not at each pack
        from reportlib._memory import settle_imports

        self.key, self.jobs, self.say = key, jobs, say
        self.cli, self.sections = cli, len(pack.section_notebooks())
        self.session = self._new_session()
        settle_imports()

    @property
    def workers(self) -> int:
        return self.session.workers

    def _new_session(self) -> Any:
        from reportlib.session import Session

        session = Session(self.jobs, self.sections)
        session.wait_warm(120, _folder_theme_css())  # the first pack starts with its first section
        return session

    def close(self) -> None:
        self.session.close()

    def run(self, listener: socket.socket, idle_seconds: float) -> None:
        listener.settimeout(idle_seconds)
        while True:
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                self.say(f"no pack for {idle_seconds / 60:g} minutes: the server stops")
                return
            with conn:
                conn.settimeout(None)
                if self._answer(conn) == "stop":
                    self.say("stopped by `reportlib serve --stop`")
                    return

    def _answer(self, conn: socket.socket) -> str | None:
        try:
            request = json.loads(conn.makefile("rb").readline() or b"{}")
        except ValueError:
            return None
        if request.get("stop"):
            _send(conn, {"exit": 0})
            return "stop"
        if request.get("key") != self.key or not isinstance(request.get("args"), list):
            _send(conn, {"other": True})
            return None
        _send(conn, {"started": True})  # the command stops waiting for another's pack
        args = [str(a) for a in request["args"]]
        t0 = time.perf_counter()
        code = self._serve(conn, args)
        took = time.perf_counter() - t0
        self.say(f"{time.strftime('%H:%M:%S')} reportlib {' '.join(args)}: exit {code} in {took:.1f} s")
        if isinstance(code, int):
            _send(conn, {"exit": code})  # after the log line: the command ends last
        return None

    def _serve(self, conn: socket.socket, args: list[str]) -> int | str:
        """Run the command on the warm session, its output sent as it comes: its exit code,
        else what became of it. A command abandoned by its caller (Ctrl-C there) is
        interrupted here."""
        global _session
        watch = _Abandoned(conn)
        environ = dict(os.environ)  # --fund sets REPORTLIB_FUND for its own run only
        _session = self.session
        failure = None
        try:
            with watch, _redirected(conn):
                code: int | str = self.cli.served(args)
        except (KeyboardInterrupt, Exception) as exc:  # noqa: BLE001 -- the server outlives a failed pack
            if isinstance(exc, KeyboardInterrupt) and not watch.abandoned:
                raise  # Ctrl-C in the server's own terminal
            failure = exc
        finally:
            _session = None
            os.environ.clear()
            os.environ.update(environ)
        if watch.abandoned:  # the pack's own clean-up ran; the session's kernels stay usable
            return "abandoned"
        if failure is not None:  # not a user's mistake: the command makes the pack itself
            _send(conn, {"local": f"{type(failure).__name__}: {failure}"})
            self.session.close()  # and this server starts afresh
            self.session = self._new_session()  # outside the handler: see render.run._attempt
            return f"failed ({type(failure).__name__}: {failure}); the command makes the pack itself"
        return code


def _send(conn: socket.socket, message: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):  # the caller has gone: nothing to tell
        conn.sendall(json.dumps(message).encode() + b"\n")


class _Stream(io.TextIOBase):
    """stdout or stderr of a served command: each write goes to the caller."""

    def __init__(self, conn: socket.socket, name: str):
        self.conn, self.name = conn, name

    def write(self, text: str) -> int:
        _send(self.conn, {self.name: text})
        return len(text)

    def isatty(self) -> bool:
        return False

    @property
    def encoding(self) -> str:
        return "utf-8"


@contextlib.contextmanager
def _redirected(conn: socket.socket) -> Iterator[None]:
    with contextlib.redirect_stdout(_Stream(conn, "out")), contextlib.redirect_stderr(_Stream(conn, "err")):
        yield


class _Abandoned:
    """Watches the caller's end of ``conn`` while its command runs: when the caller goes
    (Ctrl-C there), the command is interrupted like a Ctrl-C here (SIGINT to this process's
    main thread, where :func:`reportlib.processes.raise_on_signals` makes it an interrupt).
    The signal is sent only inside the block (the lock), so that it lands in the command."""

    def __init__(self, conn: socket.socket):
        # a server run from another thread (a test, an embedding) lets an abandoned pack finish
        self.interrupts = threading.current_thread() is threading.main_thread()
        self.conn, self.abandoned = conn, False
        self._lock, self._done = threading.Lock(), False

    def __enter__(self) -> _Abandoned:
        threading.Thread(target=self._watch, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._done = True

    def _watch(self) -> None:
        try:
            gone = self.conn.recv(1) == b""
        except OSError:
            gone = True
        with self._lock:
            if gone and not self._done and self.interrupts:
                self.abandoned = True
                signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
