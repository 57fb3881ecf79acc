"""Re-make a company's pack whenever its files change (``reportlib pack --watch``).

An analyst writes the commentary of a pack over an afternoon, re-reading the PDF after
each paragraph. Re-running ``reportlib pack`` each time starts Python, two kernels and a
browser again (about half of a pack's seconds); the watch keeps them warm in one
:class:`~reportlib.session.Session` and re-makes the pack as soon as a file it reads is
saved: the company folder (``commentary.md``, ``company.toml``, the inputs), the section
notebooks and the fund's files. The validated inputs and the KPIs come from the store
while only the commentary changed (:mod:`reportlib._store`).

A mistake in a saved file (an input that does not validate, a failing notebook) is
reported and the watch goes on: the previous pack stays as it was, and the next save
that fixes it re-makes the pack.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from reportlib.exceptions import ReportlibError
from reportlib.inputs.fund import find_fund
from reportlib.pack import PackResult, build_pack, fund_sections, section_notebooks
from reportlib.session import Session

__all__ = ["watched_files", "watch_pack"]

#: Seconds between two looks at the files.
POLL_SECONDS = 0.25
#: A change is acted on once the files stayed the same this long (an editor's save is
#: often a write, a rename and a second write).
SETTLE_SECONDS = 0.25

Snapshot = dict[Path, tuple[int, int]]


def watched_files(company_dir: Path | str, fund: Path | str | None = None, out: Path | str | None = None) -> list[Path]:
    """Every file a pack of ``company_dir`` reads: the company folder's files (hidden
    files, editors' swap files and the packs' folder ``out`` aside), the section notebooks
    and the fund's files."""
    root = Path(company_dir).resolve()
    packs = Path(out).resolve() if out is not None else None
    files = [
        p
        for p in root.rglob("*")
        if p.is_file() and not _scratch(p.relative_to(root)) and not (packs and p.is_relative_to(packs))
    ]
    fund_config = find_fund(root, fund)
    files += fund_sections(fund_config) + (fund_config.files() if fund_config else [])
    return sorted(set(files))


def _scratch(relative: Path) -> bool:
    """Hidden files and folders, and editors' backup and swap files."""
    name = relative.name
    return any(part.startswith(".") for part in relative.parts) or name.endswith(("~", ".swp", ".tmp"))


def _snapshot(files: Iterable[Path]) -> Snapshot:
    out: Snapshot = {}
    for f in files:
        try:
            st = f.stat()
        except OSError:  # removed between the listing and the look
            continue
        out[f] = (st.st_mtime_ns, st.st_size)
    return out


def _look(company_dir: Path, options: dict[str, Any]) -> Snapshot:
    return _snapshot(watched_files(company_dir, options.get("fund"), options.get("out", "reports")))


def _settled(company_dir: Path, options: dict[str, Any], stop: threading.Event) -> Snapshot:
    """The files once they stopped changing for :data:`SETTLE_SECONDS`."""
    last = _look(company_dir, options)
    while not stop.wait(SETTLE_SECONDS):
        now = _look(company_dir, options)
        if now == last:
            return now
        last = now
    return last


def watch_pack(
    company_dir: Path | str,
    report: Callable[[PackResult | Exception], None],
    stop: threading.Event | None = None,
    session: Session | None = None,
    poll: float = POLL_SECONDS,
    **pack_options: Any,
) -> None:
    """Make the pack now, then again after every change to a file it reads, until ``stop``.

    Parameters
    ----------
    company_dir : path
        The company folder.
    report : callable
        Called after each attempt with the :class:`~reportlib.pack.PackResult`, or with
        the error a user can fix (:class:`~reportlib.exceptions.ReportlibError`, an
        ``OSError`` of the output folder); the watch then goes on.
    stop : threading.Event, optional
        Set it to end the watch (default: it runs until interrupted, Ctrl-C).
    session : Session, optional
        The warm kernels and browser (default: one made here and closed at the end).
    poll : float
        Seconds between two looks at the files.
    **pack_options
        Passed to :func:`reportlib.pack.build_pack` (``as_of``, ``window``, ``segment``,
        ``out``, ``fund``, ...). ``force`` applies to the first pack only: later ones are
        made because something changed, from the store where the inputs did not.
    """
    stop = stop or threading.Event()
    company_dir = Path(company_dir).resolve()
    own = session is None
    session = session or Session(pack_options.get("jobs"), len(section_notebooks()))
    try:
        seen = _look(company_dir, pack_options)
        _attempt(company_dir, session, report, pack_options)
        pack_options["force"] = False
        while not stop.wait(poll):
            if _look(company_dir, pack_options) == seen:
                continue
            seen = _settled(company_dir, pack_options, stop)
            if not stop.is_set():
                _attempt(company_dir, session, report, pack_options)
    finally:
        if own:
            session.close()


def _attempt(
    company_dir: Path, session: Session, report: Callable[[PackResult | Exception], None], options: dict[str, Any]
) -> None:
    """One pack; a user's mistake is reported, not raised (a bug still raises)."""
    try:
        result = build_pack(company_dir, session=session, **options)
    except (ReportlibError, OSError) as exc:
        report(exc)
        return
    report(result)
