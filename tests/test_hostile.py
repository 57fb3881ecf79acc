"""The battery of hostile and broken company folders, through the real CLI.

The folders are tests/fixtures/hostile/<case> (built by make.py there, which also writes
cases.json: the exit code and words each case must produce). Each case is copied into a
temporary folder, its placeholders filled in (the port of a recording HTTP server on
127.0.0.1 and the path of a canary file), and ``reportlib validate`` is run on it in a
subprocess; the hostile-content folder is also made into a pack and its PDF text read
back. Every case checks: exit code, the words of the message, no traceback, nothing
written, the inputs byte-identical afterwards, and no process left behind.
"""

from __future__ import annotations

import hashlib
import http.server
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from pypdf import PdfReader

from conftest import FIXTURES, ROOT, chromium_available

HOSTILE_DIR = FIXTURES / "hostile"
_spec = importlib.util.spec_from_file_location("hostile_make", HOSTILE_DIR / "make.py")
make = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make)
CASES: dict[str, dict] = json.loads((HOSTILE_DIR / "cases.json").read_text(encoding="utf-8"))
SERVER_ANSWER = f"SERVER-{make.CANARY}"
FILE_CONTENT = f"FILE-{make.CANARY}"
needs_chromium = pytest.mark.skipif(not chromium_available(), reason="no Chromium installed")


class Server(NamedTuple):
    port: int
    hits: list[str]


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """An HTTP server on 127.0.0.1 that records every request (there must be none)."""
    hits: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(SERVER_ANSWER.encode())

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield Server(httpd.server_address[1], hits)
    httpd.shutdown()


def materialise(case: str, root: Path, port: int) -> Path:
    """Copy ``case`` (and the ``_other`` company its links point at) into ``root`` with the
    placeholders filled in; links are copied as links."""
    secret = root / "secret.txt"
    secret.write_text(FILE_CONTENT, encoding="utf-8")
    for name in (case, "_other"):
        shutil.copytree(HOSTILE_DIR / name, root / name, symlinks=True)
    for link, target in CASES[case].get("links", {}).items():
        (root / case / link).symlink_to(target)
    for path in _files(root):
        if path.is_symlink() or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if make.PORT in text or make.CANARY_FILE in text:
            path.write_text(text.replace(make.PORT, str(port)).replace(make.CANARY_FILE, str(secret)), encoding="utf-8")
    return root / case


def _files(root: Path) -> list[Path]:
    """Every entry under ``root``, links not followed (a case links a folder to /)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        out += [Path(dirpath) / n for n in dirnames + filenames]
    return sorted(out)


def snapshot(root: Path, skip: Path | None = None) -> dict[str, str]:
    """Content hash (or link target) of everything under ``root`` except ``skip``."""
    out = {}
    for p in _files(root):
        if skip is not None and (p == skip or skip in p.parents):
            continue
        if p.is_symlink():
            out[str(p)] = "-> " + os.readlink(p)
        elif p.is_file():
            out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
        else:
            out[str(p)] = "dir"
    return out


def run_cli(args: list[str], cwd: Path, prefix: list[str] | None = None) -> subprocess.CompletedProcess:
    """``reportlib <args>`` in a subprocess; afterwards no process it started may be left."""
    mark = uuid.uuid4().hex
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REPORTLIB_TEST_MARK": mark}
    proc = subprocess.run(
        [*(prefix or []), sys.executable, "-m", "reportlib.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert not _leftovers(mark), f"processes left behind: {_leftovers(mark)}"
    return proc


def _leftovers(mark: str, grace: float = 5.0) -> list[int]:
    """Processes whose environment carries ``mark`` (children inherit it), after ``grace`` s."""
    needle = f"REPORTLIB_TEST_MARK={mark}".encode()
    deadline = time.monotonic() + grace
    while True:
        alive = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if needle in (entry / "environ").read_bytes():
                        alive.append(int(entry.name))
                except OSError:
                    pass
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.2)


def _assert_plain(proc: subprocess.CompletedProcess, words: list[str]) -> str:
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out, out
    for word in words:
        assert word in out, f"{word!r} not in:\n{out}"
    return out


def _param(case: str) -> pytest.param:
    reason = CASES[case].get("xfail")
    return pytest.param(case, marks=pytest.mark.xfail(reason=reason, strict=False) if reason else ())


def test_the_battery_is_big_enough_and_built_from_make_py() -> None:
    assert len(CASES) >= 40
    assert set(CASES) == set(make.CASES)
    assert {p.name for p in HOSTILE_DIR.iterdir() if p.is_dir() and p.name != "__pycache__"} == set(CASES) | {"_other"}


@pytest.mark.parametrize("case", [_param(c) for c in sorted(CASES)])
def test_validate(case: str, tmp_path: Path, server: Server) -> None:
    expected = CASES[case]
    folder = materialise(case, tmp_path, server.port)
    before = snapshot(tmp_path)
    proc = run_cli(["validate", str(folder)], tmp_path)
    out = _assert_plain(proc, expected["words"])
    assert proc.returncode == expected["exit"], out
    assert snapshot(tmp_path) == before  # nothing written, inputs untouched
    assert make.CANARY not in out and FILE_CONTENT not in out  # nothing read through a link


def _pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def _link_targets(pdf: Path) -> list[str]:
    uris = []
    for page in PdfReader(str(pdf)).pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A") or {}
            if "/URI" in action:
                uris.append(str(action["/URI"]))
    return uris


@needs_chromium
@pytest.mark.parametrize("case", [c for c in sorted(CASES) if CASES[c].get("pack")])
def test_pack_prints_hostile_text_as_text_and_fetches_nothing(case: str, tmp_path: Path, server: Server) -> None:
    folder = materialise(case, tmp_path, server.port)
    out = tmp_path / "out"
    before = snapshot(tmp_path, skip=out)
    server.hits.clear()
    proc = run_cli(["pack", str(folder), "--out", str(out)], tmp_path)
    _assert_plain(proc, ["Wrote"])
    assert proc.returncode == 0
    pdf = next(out.rglob("board-pack.pdf"))
    text = _pdf_text(pdf)
    assert server.hits == []  # no request reached the server
    for secret in (make.CANARY, FILE_CONTENT, SERVER_ANSWER, make.SCRIPT_RAN):
        assert secret not in text, secret  # no file, answer or script output
    # The strings are printed as the text they are (escaped, not dropped) wherever they
    # come from: company name (cover), commentary, customer ids (warning), file names.
    assert text.count("<iframe") >= 4 and "<script>" in text and "Acme" in text
    # the file name shows only where a warning names it (the data-quality page lists the first
    # three warnings): wherever it shows, it is the literal text
    # the name shows where a warning names it (the data-quality page lists the first warnings),
    # as literal text: a narrow table cell may wrap it after "<img", so look for its tail
    flat = " ".join(text.split())
    assert "src=x>.csv" in flat or "src=x" not in flat
    assert not [u for u in _link_targets(pdf) if not u.startswith(("http://", "https://", "mailto:"))]
    assert snapshot(tmp_path, skip=out) == before


# ---------------------------------------------------------------------------------------
# the output folder: read-only, or a full disk (a tmpfs in a private mount namespace)
# ---------------------------------------------------------------------------------------
def _namespace_prefix(out: Path, options: str, listing: Path) -> list[str]:
    """Run the command with a tmpfs mounted on ``out`` (private to it) and write what the
    command left in ``out`` to ``listing`` (the tmpfs vanishes with the namespace)."""
    script = (
        'mount -t tmpfs -o "$1" tmpfs "$2" || exit 99; shift 3; "$@"; rc=$?; '
        f'find "{out}" -mindepth 1 > "{listing}"; exit $rc'
    )
    return ["unshare", "--mount", "--map-root-user", "sh", "-c", script, "sh", options, str(out), "--"]


def _can_mount(tmp_path: Path) -> bool:
    probe = tmp_path / "probe"
    probe.mkdir()
    if shutil.which("unshare") is None:
        return False
    done = subprocess.run(
        ["unshare", "--mount", "--map-root-user", "sh", "-c", f'mount -t tmpfs -o size=8k tmpfs "{probe}"'],
        capture_output=True,
    )
    return done.returncode == 0


@pytest.fixture()
def base_company(tmp_path: Path, server: Server) -> Path:
    if not _can_mount(tmp_path):
        pytest.skip("cannot mount a tmpfs in a private mount namespace here")
    return materialise("csv-with-bom", tmp_path, server.port)


@pytest.mark.parametrize(
    "verb, options, words",
    [
        ("kpis", "size=8k", ["disk is full", "Free some space"]),
        ("kpis", "ro", ["read-only", "--out"]),
        ("pack", "ro", ["read-only", "--out"]),
        ("pack", "size=64k", ["disk is full"]),
    ],
    ids=["kpis-full-disk", "kpis-read-only", "pack-read-only", "pack-full-disk"],
)
def test_output_folder_that_cannot_be_written(
    verb: str, options: str, words: list[str], base_company: Path, tmp_path: Path
) -> None:
    out, listing = tmp_path / "out", tmp_path / "left.txt"
    out.mkdir()
    before = snapshot(tmp_path, skip=out)
    proc = run_cli(
        [verb, str(base_company), "--out", str(out)], tmp_path, prefix=_namespace_prefix(out, options, listing)
    )
    _assert_plain(proc, words)
    assert proc.returncode == 1
    left = [Path(line) for line in listing.read_text().splitlines() if line.strip()]
    # Files are written to a temporary name and renamed, a pack is built in a staging
    # folder and swapped in: a failed run leaves neither, nor a pack's PDF or manifest.
    half_written = [
        p
        for p in left
        if p.name.startswith(".") or ".staging" in str(p) or (verb == "pack" and p.suffix in (".pdf", ".json"))
    ]
    assert not half_written, left
    assert snapshot(tmp_path, skip=out) == {**before, str(listing): snapshot(tmp_path)[str(listing)]}
