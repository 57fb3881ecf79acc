"""Session: one browser and warm kernels serve many packs, and end with the session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import reportlib.pack as pack
from conftest import PACK_NOTEBOOKS, chromium_available
from reportlib.exceptions import ExportError, SectionError
from reportlib.portfolio._exec import _worker_session, pack_in_worker_session
from reportlib.render import export
from reportlib.session import Session

needs_chromium = pytest.mark.skipif(not chromium_available(), reason="no Chromium installed")
pytestmark = [pytest.mark.chromium, needs_chromium]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_two_packs_share_one_browser_and_one_pool(pack_company: Path, tmp_path: Path, fake_kpis) -> None:
    out = tmp_path / "reports"
    with Session(jobs=2, sections=len(PACK_NOTEBOOKS)) as session:
        first = pack.build_pack(pack_company, out=out, notebooks=PACK_NOTEBOOKS, session=session)
        browser, pool = session.browser(), session.executor()
        (pack_company / "commentary.md").write_text("A sentence the analyst added.\n")
        second = pack.build_pack(pack_company, out=out, notebooks=PACK_NOTEBOOKS, session=session)
        # the second pack was made (its commentary changed), in the same browser and pool
        assert not second.skipped and second.pdf.is_file() and first.pdf == second.pdf
        assert session.browsers_started == 1 and session.browser() is browser and browser.alive
        assert session.executor() is pool
        pid = browser._proc.pid
    assert not browser.alive and not _alive(pid)  # the session ended the browser
    assert pool._shutdown_thread  # and its pool


def test_a_pack_in_a_one_job_session_runs_in_its_kept_kernel_without_being_told(
    pack_company: Path, tmp_path: Path, fake_kpis, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Session(jobs=1) keeps only the browser and runs the notebooks here, in this thread's
    # kernel: a pack given it and no ``jobs`` uses that kernel rather than a pool of its own.
    from reportlib.render import _kernel

    def no_pool(*args, **kwargs):
        raise AssertionError("the pack started a process pool of its own")

    monkeypatch.setattr(pack, "ProcessPoolExecutor", no_pool)
    out = tmp_path / "reports"
    with Session(jobs=1, sections=len(PACK_NOTEBOOKS)) as session:  # closing it ends the kept kernel
        assert session.inline
        first = pack.build_pack(pack_company, out=out, notebooks=PACK_NOTEBOOKS, session=session)
        kernel = _kernel._local.km
        second = pack.build_pack(pack_company, out=out, notebooks=PACK_NOTEBOOKS, session=session, force=True)
        assert first.pdf.is_file() and not second.skipped
        assert kernel is not None and _kernel._local.km is kernel  # both packs, one kept kernel


def test_a_portfolio_worker_keeps_its_session_through_failures_and_companies(
    tmp_path: Path, pack_company: Path, fake_kpis
) -> None:
    out = tmp_path / "reports"
    other = tmp_path / "other-co"
    other.mkdir()
    for f in pack_company.iterdir():
        (other / f.name).write_bytes(f.read_bytes())
    failing = [PACK_NOTEBOOKS[0], PACK_NOTEBOOKS[0].with_name("02_fails.ipynb")]
    try:
        with pytest.raises(SectionError, match="the numbers do not add up"):
            pack_in_worker_session(str(pack_company), out=out, notebooks=failing, jobs=1)
        session = _worker_session()
        first = session.browser()
        assert first.alive  # the failed pack did not close the worker's browser

        a = pack_in_worker_session(str(pack_company), out=out, notebooks=PACK_NOTEBOOKS, jobs=1)
        assert a.pdf.is_file() and session.browsers_started == 1 and session.browser() is first

        first._proc.kill()  # a browser that died is started again for the next company
        first._proc.wait(5)
        b = pack_in_worker_session(str(other), out=out, notebooks=PACK_NOTEBOOKS, jobs=1)
        assert b.pdf.is_file() and b.folder != a.folder
        assert not first.alive and session.browsers_started == 2 and session.browser().alive
    finally:
        _worker_session().close()
        _worker_session.cache_clear()


def test_waiting_warm_prints_the_browsers_first_page_once_per_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    warmed: list[tuple[object, str]] = []
    monkeypatch.setattr(export, "warm_printing", lambda browser, css: warmed.append((browser, css)) or 0.1)
    with Session(jobs=1) as session:  # inline: no kernels, the browser only
        session.wait_warm(30, ":root { --bp-primary: #123456; }")
        session.wait_warm(30)
        first = session.browser()
        assert warmed == [(first, ":root { --bp-primary: #123456; }")]  # the same browser: once
        first._proc.kill()  # a new browser prints its own first page
        first._proc.wait(5)
        session.wait_warm(30)
        assert len(warmed) == 2 and warmed[1][0] is session.browser() is not first


def test_a_browser_that_cannot_print_leaves_the_error_to_the_pack(monkeypatch: pytest.MonkeyPatch) -> None:
    def cannot_print(browser: object, css: str) -> float:
        raise ExportError("Chromium could not print")

    monkeypatch.setattr(export, "warm_printing", cannot_print)
    with Session(jobs=1) as session:
        session.wait_warm(30)  # no error here: the pack checks its browser and names the remedy
        assert session._warm_browser is None
