"""A small content-addressed store of computed objects, shared by the inputs and kpis layers.

An entry is a pickle named by the sha256 of everything the object depends on (its *key*,
built by the caller from :func:`file_digest`, :func:`code_digest`, :func:`library_versions`
and its own parameters). A re-run whose key is unchanged reads the object back instead of
computing it again; anything that changes the key misses, so an entry is never updated in
place and never goes stale -- it is only left unused and evicted.

Where: ``$REPORTLIB_CACHE`` if set, else ``$XDG_CACHE_HOME/reportlib``, else
``~/.cache/reportlib``. Writes go to a temporary file renamed into place (a reader sees a
whole entry or none); an entry that is missing, truncated or does not unpickle (another
pandas) is a miss; the store keeps to :data:`MAX_BYTES` by removing the least recently used
entries. A store that cannot be written (read-only home) is silently not used.

>>> store = Store("kpis")                       # doctest: +SKIP
>>> key = digest("v1", file_digest(path), "2026-09")  # doctest: +SKIP
>>> store.get(key) or store.put(key, compute())  # doctest: +SKIP
"""

from __future__ import annotations

import enum
import functools
import hashlib
import os
import pickle
import platform
import tempfile
import time
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TypeVar

_T = TypeVar("_T")

__all__ = [
    "CACHE_ENV",
    "MAX_BYTES",
    "Mode",
    "Store",
    "cache_root",
    "code_digest",
    "digest",
    "file_digest",
    "is_pair",
    "library_versions",
]

#: Overrides where the store lives (tests point it at a temporary folder).
CACHE_ENV = "REPORTLIB_CACHE"
#: The store's size bound; the least recently used entries go first beyond it.
MAX_BYTES = 2 << 30
#: Libraries whose version can change a loaded frame or a computed number (readers, parsing,
#: arithmetic, the DuckDB transforms, the pickled objects themselves).
VERSIONED = ("pandas", "numpy", "pyarrow", "duckdb", "openpyxl", "python-calamine", "pandera")
_SUFFIX = ".pkl"
#: Seconds after which a temporary file is a dead writer's leftover (removed on eviction).
_STALE_TMP = 3600
#: A write rescans the store only when no process has scanned it for this long, or when the
#: bytes found then plus those this process has written since pass the bound. A scan stats
#: every entry (0.05 s at 7,500 entries, each command's first write paid it), and a pack
#: writes a dozen entries; other processes' writes are seen at the next scan.
_RESCAN_SECONDS = 60.0
#: Per root: [time.monotonic() of the last scan, bytes found then + written since by this process].
_scans: dict[Path, list[float]] = {}
#: The last scan of a root, for every process: a file at the root holding the bytes it
#: found, written when it ended (its modification time).
_USAGE = "usage"
_PACKAGE = Path(__file__).resolve().parent


class Mode(enum.Enum):
    """How a run uses the store: ``USE`` reads and writes, ``REFRESH`` (``--force``) computes
    again and writes the fresh entry, ``OFF`` (``--no-cache``) neither reads nor writes."""

    USE = "use"
    REFRESH = "refresh"
    OFF = "off"

    @classmethod
    def of(cls, cache: bool = True, force: bool = False) -> Mode:
        """The mode of a run: no cache (``--no-cache``) is ``OFF``, ``force`` ``REFRESH``."""
        return cls.OFF if not cache else cls.REFRESH if force else cls.USE

    @property
    def reads(self) -> bool:
        return self is Mode.USE

    @property
    def writes(self) -> bool:
        return self is not Mode.OFF


def cache_root() -> Path:
    """``$REPORTLIB_CACHE``, else ``$XDG_CACHE_HOME/reportlib``, else ``~/.cache/reportlib``."""
    if given := os.environ.get(CACHE_ENV):
        return Path(given).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "reportlib"


def digest(*parts: Any) -> str:
    """One sha256 over ``parts`` (each as its ``repr``: dataclasses, tuples, text and numbers
    give the same text in every process), separated so that ``("ab", "c") != ("a", "bc")``."""
    h = hashlib.sha256()
    for part in parts:
        h.update(repr(part).encode("utf-8") + b"\0")
    return h.hexdigest()


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes (OSError when it cannot be read).

    A pack hashes each input twice (the store's key, the pack's manifest) and ``--watch``
    hashes them again at every save: the digest is kept for a file whose size, times and
    inode are unchanged. Only for a file last changed at least :data:`_SETTLED` seconds ago:
    a write within the file system's timestamp granularity (a few ms) would leave them
    unchanged (git's "racy" files)."""
    st = os.stat(path)
    stamp = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)
    name = os.path.abspath(path)
    if (known := _DIGESTS.get(name)) is not None and known[0] == stamp:
        return known[1]
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) >= _SETTLED * 1e9:
        _DIGESTS[name] = (stamp, h.hexdigest())
    return h.hexdigest()


#: absolute path -> (size, mtime, ctime, inode, device) when hashed, its digest.
_DIGESTS: dict[str, tuple[tuple[int, ...], str]] = {}
#: Seconds since a file's last change after which its stat identifies its bytes.
_SETTLED = 2.0


@functools.cache
def code_digest() -> str:
    """sha256 over every source and data file of the installed reportlib package (names
    and bytes), so that an edited editable install misses, not only a version bump.
    Computed once per process."""
    files = sorted(
        p for p in _PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )
    return digest(*((p.relative_to(_PACKAGE).as_posix(), file_digest(p)) for p in files))


@functools.cache
def library_versions(names: tuple[str, ...] = VERSIONED) -> tuple[tuple[str, str], ...]:
    """(name, version) of Python and of every library in ``names`` (default
    :data:`VERSIONED`; "" for one not installed)."""
    found = [("python", platform.python_version())]
    for name in names:
        try:
            found.append((name, version(name)))
        except PackageNotFoundError:
            found.append((name, ""))
    return tuple(found)


class Store:
    """One kind of entry (``inputs``, ``kpis``) under :func:`cache_root`.

    Parameters
    ----------
    kind : str
        The sub-folder; also part of every key, so kinds never collide.
    root : Path, optional
        Default :func:`cache_root` (read when the store is made).
    max_bytes : int
        The whole root's bound (every kind), checked after each write (by a scan of the
        root at most every :data:`_RESCAN_SECONDS`, unless the write may pass the bound).
    """

    def __init__(self, kind: str, root: Path | None = None, max_bytes: int = MAX_BYTES) -> None:
        self.kind = kind
        self.root = Path(root) if root is not None else cache_root()
        self.max_bytes = max_bytes

    def path(self, key: str) -> Path:
        return self.root / self.kind / f"{key}{_SUFFIX}"

    def get(self, key: str) -> Any | None:
        """The object stored under ``key``; None when there is none or it cannot be read
        (missing, truncated, written by other library versions): a miss, never an error."""
        path = self.path(key)
        try:
            with open(path, "rb") as f:
                found = pickle.load(f)
        except Exception:  # noqa: BLE001 -- any unreadable entry is a miss, by design
            return None
        try:
            os.utime(path)  # recently used: evicted last
        except OSError:
            pass
        return found

    def fetch(self, key: str | None, mode: Mode, make: Callable[[], _T], valid: Callable[[Any], bool]) -> _T:
        """The object stored under ``key`` when ``mode`` reads and ``valid`` accepts it; else
        ``make()``, stored when ``mode`` writes. Without a key: ``make()``, nothing stored."""
        if key is not None and mode.reads and (hit := self.get(key)) is not None and valid(hit):
            return hit
        value = make()
        return self.put(key, value) if key is not None and mode.writes else value

    def put(self, key: str, value: Any) -> Any:
        """Store ``value`` under ``key`` (atomically) and return it; a store that cannot be
        written is skipped silently (the run goes on without it)."""
        path = self.path(key)
        try:
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)  # entries are pickles: the user's own
            path.parent.mkdir(mode=0o700, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{key[:16]}-", suffix=".tmp", dir=path.parent)
        except OSError:
            return value
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
                written = f.tell()
            os.replace(tmp, path)
        except Exception:  # noqa: BLE001 -- a full disk or an unpicklable object: no entry
            Path(tmp).unlink(missing_ok=True)
            return value
        self._evict_when_due(written)
        return value

    def _evict_when_due(self, written: int) -> None:
        """:meth:`evict` after a write of ``written`` bytes, unless a process (this one, or
        another by the root's :data:`_USAGE` file) scanned the root less than
        :data:`_RESCAN_SECONDS` ago and what it found then plus what this process wrote
        since is still within :attr:`max_bytes`."""
        last = _scans.get(self.root)
        if last is None or _age(last) >= _RESCAN_SECONDS:
            recorded = self._recorded_scan()
            if recorded is not None:
                last = _scans[self.root] = recorded
        if last is not None:
            last[1] += written
            if _age(last) < _RESCAN_SECONDS and last[1] <= self.max_bytes:
                return
        self.evict()

    def _recorded_scan(self) -> list[float] | None:
        """The root's last scan by any process, from its :data:`_USAGE` file, as
        [its time on this process's monotonic clock, the bytes it found]; None when there is
        none, it cannot be read, or it is :data:`_RESCAN_SECONDS` old."""
        usage = self.root / _USAGE
        try:
            age = time.time() - usage.stat().st_mtime
            found = int(usage.read_text(encoding="ascii"))
        except (OSError, ValueError):
            return None
        return [time.monotonic() - age, found] if 0 <= age < _RESCAN_SECONDS and found >= 0 else None

    def _record_scan(self, total: int) -> None:
        """Write the root's :data:`_USAGE` file (atomically; skipped when it cannot be)."""
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{_USAGE}-", suffix=".tmp", dir=self.root)
        except OSError:
            return
        try:
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(str(total))
            os.replace(tmp, self.root / _USAGE)
        except OSError:
            Path(tmp).unlink(missing_ok=True)

    def evict(self) -> None:
        """Remove the least recently used entries (every kind) until the root is within
        :attr:`max_bytes`, and temporary files a killed writer left an hour ago or more."""
        entries, now = [], time.time()
        for path in [*self.root.glob("*/*"), *self.root.glob(f".{_USAGE}-*.tmp")]:
            try:
                stat = path.stat()
            except OSError:
                continue
            if path.suffix == _SUFFIX:
                entries.append((stat.st_mtime, stat.st_size, path))
            elif path.suffix == ".tmp" and now - stat.st_mtime > _STALE_TMP:
                path.unlink(missing_ok=True)
        total = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries, key=lambda e: e[0]):
            if total <= self.max_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size
        _scans[self.root] = [time.monotonic(), total]
        self._record_scan(total)


def _age(scan: list[float]) -> float:
    """Seconds since a scan of :data:`_scans`."""
    return time.monotonic() - scan[0]


def is_pair(first: type, second: type) -> Callable[[Any], bool]:
    """A ``valid`` check for :meth:`Store.fetch`: the stored value is a ``(first, second)``
    tuple (an entry of another shape, from older code, is made again)."""

    def valid(value: Any) -> bool:
        return (
            isinstance(value, tuple)
            and len(value) == 2
            and isinstance(value[0], first)
            and isinstance(value[1], second)
        )

    return valid
