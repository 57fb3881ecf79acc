"""Find a Chromium and print HTML files to PDF through the DevTools protocol.

The browser is driven over ``--remote-debugging-pipe`` (file descriptors 3 and 4,
NUL-terminated JSON messages): no TCP port, no websocket library, nothing that a closed
network or a busy machine can refuse. One :class:`Chromium` is started per pack (or kept
by a :class:`reportlib.session.Session`) and prints the sections concurrently, each in a
tab of its own; a tab whose page printed is reused for the next page, since opening a tab
starts a renderer (about a third of a section's printing).
"""

from __future__ import annotations

import base64
import fcntl
import glob
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from reportlib.exceptions import ExportError
from reportlib.processes import pdeathsig_preexec

INSTALL_HINT = (
    "No Chromium or Chrome browser was found; it is needed to print the PDF. Install one "
    "(Debian: `sudo apt-get install chromium chromium-headless-shell`, the second prints "
    "faster; Ubuntu: `sudo apt-get install chromium-browser`; or `pip install playwright && "
    "playwright install chromium`), or set REPORTLIB_CHROMIUM to the browser's executable."
)

# Flags that keep a headless browser quiet on a closed network and inside containers:
# without the background-networking ones Chromium's own update/sync calls are refused
# and slow the start down.
_QUIET_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
    "--no-default-browser-check",
    "--remote-debugging-pipe",
)
# Flags that keep the printed page offline, whatever a company's files put into it (the
# template's Content-Security-Policy is the first wall, these are the second): every
# request goes to a proxy that does not exist (loopback included, which Chromium would
# otherwise bypass), no host name resolves, and a file:// page may not read other files
# through scripts.
_OFFLINE_FLAGS = (
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--disable-remote-fonts",
    "--disable-file-system",
    "--disable-notifications",
    "--disable-webgl",
)
_FLAGS = _QUIET_FLAGS + _OFFLINE_FLAGS
# The headless shells first: the same Blink that prints the same pages, without the desktop
# browser around it. Debian's chromium-headless-shell starts and prints a page for a third of
# the CPU of its chromium (0.43-0.49 against 1.26-1.50 CPU s of the whole machine here), and
# prints a pack for 0.9 against 2.2 CPU s.
_HEADLESS_SHELLS = ("chromium-headless-shell", "chrome-headless-shell")
_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
_PATH_NAMES = _HEADLESS_SHELLS + _BROWSERS


def _playwright_browsers() -> list[Path]:
    """Chromium builds installed by ``playwright install`` (newest first)."""
    root = os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or str(Path.home() / ".cache" / "ms-playwright")
    patterns = (
        "chromium-*/chrome-linux*/chrome",
        "chromium_headless_shell-*/chrome-linux*/headless_shell",
        "chromium-*/chrome-mac*/Chromium.app/Contents/MacOS/Chromium",
        "chromium-*/chrome-win*/chrome.exe",
    )
    found = [Path(p) for pat in patterns for p in glob.glob(os.path.join(root, pat))]
    return sorted(found, key=lambda p: p.parts[-3] if len(p.parts) > 2 else str(p), reverse=True)


def find_chromium() -> Path:
    """Locate a Chromium executable.

    Order: ``REPORTLIB_CHROMIUM``, Playwright's own browsers (its headless shell first), then
    on PATH a headless shell (``chromium-headless-shell``, ``chrome-headless-shell``) before a
    full browser (``chromium``, ``chromium-browser``, ``google-chrome``...): the shell prints
    the same pages for less CPU.

    Raises
    ------
    ExportError
        When none is found, with a how-to-install message.
    """
    env = os.environ.get("REPORTLIB_CHROMIUM")
    if env:
        path = Path(env).expanduser()
        resolved = path if path.is_file() else shutil.which(env)
        if not resolved:
            raise ExportError(f"REPORTLIB_CHROMIUM={env} is not an executable file. " + INSTALL_HINT)
        return Path(resolved)
    for candidate in _playwright_browsers():
        if os.access(candidate, os.X_OK):
            return candidate
    for name in _PATH_NAMES:
        hit = shutil.which(name)
        if hit:
            return Path(hit)
    raise ExportError(INSTALL_HINT)


class Chromium:
    """A headless Chromium controlled over the DevTools pipe.

    Use as a context manager; :meth:`print_pdf` may be called from several threads
    at once (each call has a tab to itself: an idle one, else a new one). The browser runs in its own process group,
    which :meth:`close` ends as a whole; it is killed too when the thread that started
    it dies (Linux), so it never outlives its pack.

    Parameters
    ----------
    executable : Path, optional
        Default :func:`find_chromium`.
    timeout : float
        Seconds any single answer from the browser may take.
    wait : bool
        Wait for the browser's first answer here (default). With ``False`` the caller
        checks it later with :meth:`ready`, while doing other work.
    """

    def __init__(self, executable: Path | None = None, timeout: float = 60.0, wait: bool = True):
        self.executable = Path(executable) if executable else find_chromium()
        self.timeout = timeout
        self._profile = tempfile.mkdtemp(prefix="reportlib-chromium-")
        self._lock = threading.Lock()
        self._next_id = 0
        self._pending: dict[int, Future] = {}
        self._waiters: dict[tuple[str, str], list[Future]] = {}
        self._idle_tabs: list[tuple[str, str]] = []  # (target, session) whose page printed
        self._gone: ExportError | None = None
        self._proc = self._launch()
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()
        try:
            self._version = self.send("Browser.getVersion")
        except ExportError as exc:
            # it exited at once (REPORTLIB_CHROMIUM=/bin/false): told as when it exits a
            # moment later, its exit code and the remedy, which the reader finds
            self._reader.join(self.timeout)
            error = self._gone or exc
            self.close()
            raise error from None
        if wait:
            self.ready()

    def ready(self) -> str:
        """Wait (at most ``timeout``) for the browser's first answer; returns its version.

        Raises
        ------
        ExportError
            The browser exited or did not answer; names the executable. The browser is
            stopped first.
        """
        try:
            return str(self._version.result(self.timeout).get("product", ""))
        except TimeoutError:
            error = ExportError(f"Chromium ({self.executable}) did not answer within {self.timeout:.0f}s")
        except ExportError as exc:
            error = exc
        self.close()
        raise error

    @property
    def alive(self) -> bool:
        """Whether the browser is still running and its pipe open (a kept browser is
        checked before reuse)."""
        return self._gone is None and self._proc.poll() is None

    @property
    def version(self) -> str:
        """The browser's product string, e.g. ``HeadlessChrome/120.0``."""
        return self.ready()

    # -- process and protocol plumbing -------------------------------------------------
    def _launch(self) -> subprocess.Popen:
        # Chromium reads commands from fd 3 and writes replies to fd 4. The child moves
        # our pipe ends there; fds are first lifted above 9 so that neither can be
        # overwritten by the other's dup2. close_fds must stay off, since subprocess would
        # close 3 and 4 after this hook; Python's own fds are non-inheritable anyway.
        cmd_r, cmd_w = os.pipe()
        res_r, res_w = os.pipe()

        def _move_fds() -> None:  # runs in the child between fork and exec
            a = fcntl.fcntl(cmd_r, fcntl.F_DUPFD, 10)
            b = fcntl.fcntl(res_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)
            os.close(a)
            os.close(b)
            pdeathsig_preexec()

        args = [str(self.executable), *_FLAGS, f"--user-data-dir={self._profile}", "about:blank"]
        try:
            proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                preexec_fn=_move_fds,
                close_fds=False,
                start_new_session=True,
            )
        except OSError as exc:
            for fd in (cmd_r, cmd_w, res_r, res_w):
                os.close(fd)
            shutil.rmtree(self._profile, ignore_errors=True)
            raise ExportError(f"Could not start {self.executable}: {exc}. " + INSTALL_HINT) from exc
        os.close(cmd_r)
        os.close(res_w)
        self._out = os.fdopen(cmd_w, "wb", buffering=0)
        self._in = os.fdopen(res_r, "rb", buffering=0)
        return proc

    def _read_loop(self) -> None:
        buf = b""
        while True:
            try:
                chunk = self._in.read(1 << 16)
            except (OSError, ValueError):
                chunk = b""
            if not chunk:
                break
            buf += chunk
            *messages, buf = buf.split(b"\0")
            for raw in messages:
                self._dispatch(json.loads(raw))
        try:
            code = self._proc.wait(self.timeout)
        except subprocess.TimeoutExpired:
            code = None
        ended = f"exited with code {code}" if code is not None else "closed its pipe"
        self._fail_all(
            ExportError(
                f"Chromium ({self.executable}) {ended} before answering; it cannot print the PDF. " + INSTALL_HINT
            )
        )

    def _dispatch(self, msg: dict[str, Any]) -> None:
        with self._lock:
            if "id" in msg:
                fut = self._pending.pop(msg["id"], None)
                waiters = []
            else:
                fut = None
                waiters = self._waiters.pop((msg.get("sessionId", ""), msg.get("method", "")), [])
        if fut is not None and not fut.done():
            if "error" in msg:
                fut.set_exception(ExportError(f"Chromium: {msg['error'].get('message', msg['error'])}"))
            else:
                fut.set_result(msg.get("result", {}))
        for w in waiters:
            if not w.done():
                w.set_result(msg.get("params", {}))

    def _fail_all(self, exc: ExportError) -> None:
        with self._lock:
            self._gone = exc
            futures = list(self._pending.values()) + [w for ws in self._waiters.values() for w in ws]
            self._pending.clear()
            self._waiters.clear()
        for f in futures:
            if not f.done():
                f.set_exception(exc)

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> Future:
        """Send one protocol command; the future resolves to its ``result``."""
        fut: Future = Future()
        with self._lock:
            if self._gone is not None:
                raise self._gone
            self._next_id += 1
            msg: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
            if session:
                msg["sessionId"] = session
            self._pending[self._next_id] = fut
            try:
                self._out.write(json.dumps(msg).encode() + b"\0")
            except (OSError, ValueError) as exc:
                self._pending.pop(self._next_id, None)
                raise ExportError(f"Chromium ({self.executable}) is not running: {exc}") from exc
        return fut

    def call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        """Send a command and wait for its result."""
        try:
            return self.send(method, params, session).result(self.timeout)
        except TimeoutError as exc:
            raise ExportError(
                f"Chromium ({self.executable}) did not answer {method} within {self.timeout:.0f}s"
            ) from exc

    def expect(self, session: str, event: str) -> Future:
        """A future for the next ``event`` in ``session`` (register before triggering it)."""
        fut: Future = Future()
        with self._lock:
            if self._gone is not None:
                raise self._gone
            self._waiters.setdefault((session, event), []).append(fut)
        return fut

    # -- public -------------------------------------------------------------------------
    def print_pdf(self, html: Path, options: dict[str, Any]) -> bytes:
        """Open ``html`` (a local file) in a tab and return ``Page.printToPDF`` bytes.

        The tab is kept for a later call once the page printed; a tab that saw any error is
        closed instead, never reused."""
        target, session = self._take_tab()
        printed = False
        try:
            pdf = self._print_in(session, html, options)
            printed = True
            return pdf
        finally:
            if printed:
                with self._lock:
                    self._idle_tabs.append((target, session))
            else:
                self._close_tab(target)

    def _take_tab(self) -> tuple[str, str]:
        with self._lock:
            if self._idle_tabs:
                return self._idle_tabs.pop()
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        try:
            session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            self.call("Page.enable", session=session)
        except ExportError:
            self._close_tab(target)
            raise
        return target, session

    def _close_tab(self, target: str) -> None:
        try:
            self.send("Target.closeTarget", {"targetId": target})
        except ExportError:
            pass  # the browser is gone: nothing left to close

    def _print_in(self, session: str, html: Path, options: dict[str, Any]) -> bytes:
        """Navigate the tab of ``session`` to ``html``, wait for it, print it."""
        loaded = self.expect(session, "Page.loadEventFired")
        nav = self.call("Page.navigate", {"url": Path(html).resolve().as_uri()}, session=session)
        if nav.get("errorText"):
            raise ExportError(f"Chromium could not open {html}: {nav['errorText']}")
        try:
            loaded.result(self.timeout)
        except TimeoutError as exc:
            raise ExportError(f"Chromium ({self.executable}) did not load {html} within {self.timeout:.0f}s") from exc
        # Web fonts and images must be decoded before layout is final.
        self.call(
            "Runtime.evaluate",
            {"expression": "document.fonts.ready.then(() => true)", "awaitPromise": True},
            session=session,
        )
        result = self.call("Page.printToPDF", {**options, "transferMode": "ReturnAsBase64"}, session=session)
        return base64.b64decode(result["data"])

    def close(self) -> None:
        """Stop the browser (its whole process group) and remove its temporary profile."""
        try:
            if self._proc.poll() is None and self._answered():
                try:
                    self.send("Browser.close").result(5)
                    self._proc.wait(5)
                except Exception:  # noqa: BLE001 - (subprocess.TimeoutExpired too) fall through to kill
                    pass
            self._kill_group()
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.wait(5)
        finally:
            for f in (self._out, self._in):
                try:
                    f.close()
                except OSError:
                    pass
            shutil.rmtree(self._profile, ignore_errors=True)

    def _answered(self) -> bool:
        """Whether the browser ever answered (one that did not is killed, not asked to close)."""
        version = getattr(self, "_version", None)
        return version is not None and version.done() and version.exception() is None

    def _kill_group(self) -> None:
        """Kill what the browser left in its process group (renderers, zygote)."""
        try:
            os.killpg(self._proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
