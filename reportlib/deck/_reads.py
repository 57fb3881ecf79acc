"""What one section notebook read besides the pack's KPI result, so that an unchanged
section need not run again.

An analyst re-makes a pack after each paragraph of commentary (``reportlib pack --watch``),
and a paragraph changes one or two sections. A section's pages depend on its notebook, the
pack's parameters, the KPI result, the code and the fund: the pack keys its stored pages on
those (:mod:`reportlib.pack`). What else a section reads is only known while it runs, so the
kernel records it here:

* the commentary blocks it showed (the text of each, read through
  :func:`reportlib.deck._words.commentary` and ``commentary_sections``): an edit of another
  block leaves the section as it was;
* every other file it opened for reading, and every folder it listed (a customised
  notebook may read a CSV of its own), through an audit hook (:func:`sys.addaudithook`).
  Python's and the libraries' own files, reportlib's code, system folders and the pack's
  own output folder are left out: the pack's key covers them. A notebook that starts
  another program, opens a connection or a database (:data:`OPAQUE_EVENTS`) gets no
  record: what it read cannot be told. Files read by native code (a Parquet file through
  pyarrow, a CSV through DuckDB) raise no audit event; the pack therefore only reuses
  notebooks whose imports cannot do that (:func:`reportlib.render.reuse.plain_notebook`).

The runner arms the record before a notebook runs (:func:`arm`) and takes it after
(:func:`report`: JSON text, None when the run cannot be described, e.g. a file changed
while the section ran). The pack later asks :func:`unchanged` whether a stored section's
record still holds; anything it cannot check means "run it again".
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportlib._store import cache_root, file_digest
from reportlib.inputs.commentary import commentary_blocks

__all__ = ["arm", "commentary_read", "report", "unchanged", "untracked"]

#: Bumped when what a record holds changes (a stored section of older rules is not reused).
RECORD_VERSION = 1
#: A section that opened more files than this is not described (and so always runs).
MAX_FILES = 500
#: Events after which a notebook's reads cannot be told (another program, the network, a
#: database, native code): its record is dropped, so the section always runs.
OPAQUE_EVENTS = frozenset(
    {
        "subprocess.Popen",
        "os.system",
        "os.exec",
        "os.posix_spawn",
        "os.spawn",
        "os.fork",
        "os.forkpty",
        "pty.spawn",
        "socket.connect",
        "socket.getaddrinfo",
        "urllib.Request",
        "http.client.connect",
        "sqlite3.connect",
        "ctypes.dlopen",
        "webbrowser.open",
    }
)
#: System folders: the machine's, not the company's (like the libraries, not recorded).
_SYSTEM = ("/usr", "/etc", "/proc", "/sys", "/dev", "/lib", "/lib64", "/bin", "/sbin", "/run", "/var/lib")
_ACCESS = getattr(os, "O_ACCMODE", 3)


@dataclass
class _Record:
    """One notebook's reads: commentary entries, files (path -> (size, mtime) when opened),
    folders (path -> digest of their names)."""

    output_dir: str
    commentary: dict[tuple[str, str | None, str | None, str], str] = field(default_factory=dict)
    files: dict[str, tuple[int, int]] = field(default_factory=dict)
    folders: dict[str, str] = field(default_factory=dict)
    broken: bool = False


_state = threading.local()
_lock = threading.Lock()
_current: _Record | None = None
_hooked = False
_skipped: tuple[str, ...] = ()


def arm(output_dir: str | os.PathLike | None = "") -> None:
    """Start a new record for the notebook about to run (the runner calls this in the
    kernel); ``output_dir`` is the pack's folder, whose files the pack itself wrote."""
    global _current, _hooked, _skipped
    with _lock:
        if not _hooked:
            sys.addaudithook(_audit)  # cannot be removed: it does nothing unless armed
            _hooked = True
        # the store's place is read from the environment each time; the rest is fixed
        _skipped = _skipped_roots() + (_real(cache_root()),) + ((_real(output_dir),) if output_dir else ())
        _current = _Record(str(output_dir or ""))


def report() -> str | None:
    """The record of the notebook that just ran, as JSON text, and the record closed;
    None when nothing was armed or the reads cannot be told (too many, or a file changed
    after it was read)."""
    global _current
    with _lock:
        record, _current = _current, None
    if record is None or record.broken or len(record.files) > MAX_FILES:
        return None
    files = {}
    with untracked():
        for path, stamp in sorted(record.files.items()):
            try:
                if _stamp(path) != stamp:
                    return None
                files[path] = _file_digest(path)
            except OSError:  # removed since it was read
                return None
    return json.dumps(
        {
            "version": RECORD_VERSION,
            "commentary": [[*key, text] for key, text in sorted(record.commentary.items(), key=repr)],
            "files": sorted(files.items()),
            "folders": sorted(record.folders.items()),
        }
    )


def commentary_read(company_dir: object, as_of: object, segment: object, block: str | None, seen: Any) -> None:
    """Record that the notebook showed commentary: one block's text (``block``), or every
    block (``block`` None, ``seen`` the block id -> text mapping)."""
    record = _current
    if record is not None:
        key = (str(company_dir), _plain(as_of), _plain(segment), "*" if block is None else block)
        record.commentary[key] = _text_digest(seen)


def unchanged(record: str | Mapping[str, Any] | None) -> bool:
    """Whether everything a stored section read (its :func:`report`, as text or parsed) is
    as it was."""
    try:
        reads = record if isinstance(record, Mapping) else json.loads(record or "")
        if reads.get("version") != RECORD_VERSION:
            return False
        return (
            all(_commentary_now(*entry[:4]) == entry[4] for entry in reads["commentary"])
            and all(_file_now(path) == sha for path, sha in reads["files"])
            and all(_folder_now(path) == sha for path, sha in reads["folders"])
        )
    except Exception:  # noqa: BLE001 -- a record that cannot be checked means "run it again"
        return False


@contextmanager
def untracked() -> Iterator[None]:
    """Files opened in this block are not recorded (the commentary is recorded by block,
    not as a file; the record's own digests)."""
    depth = getattr(_state, "depth", 0)
    _state.depth = depth + 1
    try:
        yield
    finally:
        _state.depth = depth


# -- the audit hook ------------------------------------------------------------------------------
def _audit(event: str, args: tuple) -> None:
    if _current is None or getattr(_state, "depth", 0):
        return
    if event in OPAQUE_EVENTS:
        _current.broken = True
        return
    if event not in ("open", "os.listdir", "os.scandir"):
        return
    _state.depth = 1  # the hook's own stat and listing are not recorded
    try:
        _note(_current, event, args)
    except Exception:  # noqa: BLE001 -- a hook must never break the notebook; the run is just not reused
        _current.broken = True
    finally:
        _state.depth = 0


def _note(record: _Record, event: str, args: tuple) -> None:
    path = args[0] if args else None
    if not isinstance(path, (str, bytes, os.PathLike)):
        return  # a file descriptor: opened earlier, by a path already seen
    path = os.path.abspath(os.fsdecode(path))
    if event == "open":
        mode, flags = (args + (None, 0))[1:3]
        if not _reads(mode, flags) or path in record.files or _skipped_path(path) or not os.path.isfile(path):
            return
        record.files[path] = _stamp(path)
    elif path not in record.folders and not _skipped_path(path) and os.path.isdir(path):
        record.folders[path] = _names_digest(path)


def _reads(mode: object, flags: object) -> bool:
    """Whether an ``open`` event may read: ``open()`` gives its mode, ``os.open`` its flags."""
    if isinstance(mode, str):
        return "r" in mode or "+" in mode
    return int(flags or 0) & _ACCESS in (os.O_RDONLY, os.O_RDWR)


def _skipped_path(path: str) -> bool:
    return _under_skipped(path) or _under_skipped(os.path.realpath(path))


def _under_skipped(path: str) -> bool:
    return any(path == root or path.startswith(root + os.sep) for root in _skipped)


@functools.cache
def _skipped_roots() -> tuple[str, ...]:
    """Folders whose files are the environment's, not the section's inputs: Python and its
    libraries, reportlib's code, the kernel's and matplotlib's own files (worked out once
    per kernel: the same for every notebook it runs)."""
    roots = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, *_SYSTEM]
    roots.append(str(Path(__file__).resolve().parents[1]))  # reportlib: the code digest covers it
    roots += [p for p in sys.path if p and os.path.isdir(p) and "-packages" in p]
    roots += _tool_dirs()
    return tuple(dict.fromkeys(_real(r) for r in roots if r))


def _tool_dirs() -> list[str]:
    """The kernel's and matplotlib's own folders. Imported here, not at the top: the pack's
    own process reads this module (:func:`unchanged`) and never draws, and importing
    matplotlib and IPython there cost 0.4 s of every command; in a kernel both are loaded."""
    try:
        import matplotlib
        from IPython.paths import get_ipython_dir
        from jupyter_core.paths import jupyter_data_dir, jupyter_runtime_dir
    except ImportError:  # pragma: no cover - the notebook extras are not installed
        matplotlib = get_ipython_dir = jupyter_data_dir = jupyter_runtime_dir = None
    found = []
    for where in (
        getattr(matplotlib, "get_cachedir", None),
        getattr(matplotlib, "get_configdir", None),
        get_ipython_dir,
        jupyter_data_dir,
        jupyter_runtime_dir,
    ):
        try:
            found.append(where())
        except Exception:  # noqa: BLE001 -- not there: nothing of it to skip
            pass
    return found


# -- digests ---------------------------------------------------------------------------------------
def _real(path: str | os.PathLike) -> str:
    return os.path.realpath(os.path.abspath(os.fsdecode(path)))


def _stamp(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns


def _file_digest(path: str) -> str:
    return file_digest(Path(path))


def _names_digest(path: str) -> str:
    return hashlib.sha256("\0".join(sorted(os.listdir(path))).encode("utf-8", "surrogateescape")).hexdigest()


def _text_digest(seen: Any) -> str:
    text = json.dumps(dict(seen), sort_keys=True) if isinstance(seen, Mapping) else str(seen)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _plain(value: object) -> str | None:
    """A parameter as JSON keeps it (None stays None: "no as-of month")."""
    return None if value is None else str(value)


def _commentary_now(company_dir: str, as_of: str | None, segment: str | None, block: str) -> str:
    blocks = commentary_blocks(company_dir, as_of, segment or "")
    return _text_digest(blocks if block == "*" else blocks.get(block, ""))


def _file_now(path: str) -> str | None:
    try:
        return _file_digest(path)
    except OSError:
        return None


def _folder_now(path: str) -> str | None:
    try:
        return _names_digest(path)
    except OSError:
        return None
