"""watch_pack and ``reportlib pack --watch``: a save re-makes the pack, a mistake is told and
the watch goes on, files that are not the company's are ignored."""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path

import pytest

import reportlib.watch as watch
from conftest import PACK_NOTEBOOKS, PACK_TOML, chromium_available
from reportlib.cli import main
from reportlib.exceptions import InputError, Problem
from reportlib.pack import PackResult


def test_watched_files_are_the_company_files_the_notebooks_and_not_scratch(pack_company: Path) -> None:
    (pack_company / "commentary.md").write_text("Words.\n")
    (pack_company / ".commentary.md.swp").write_text("vim")
    (pack_company / "commentary.md~").write_text("backup")
    (pack_company / ".git").mkdir()
    (pack_company / ".git" / "HEAD").write_text("ref")
    (pack_company / "reports" / "fixture-co").mkdir(parents=True)  # packs written inside the folder
    (pack_company / "reports" / "fixture-co" / "board-pack.pdf").write_bytes(b"%PDF")
    files = watch.watched_files(pack_company, out=pack_company / "reports")
    mine = sorted(p.name for p in files if p.parent == pack_company.resolve())
    assert mine == ["commentary.md", "company.toml", "mrr.csv"]
    assert {p.name for p in files} >= {"01_summary.ipynb", "06_appendix.ipynb"}  # the section notebooks


@pytest.mark.chromium
@pytest.mark.skipif(not chromium_available(), reason="no Chromium installed")
def test_a_save_remakes_the_pack_and_a_mistake_is_told_without_ending_the_watch(
    pack_company: Path, tmp_path: Path, fake_kpis
) -> None:
    outcomes: queue.Queue = queue.Queue()
    stop = threading.Event()
    options = dict(out=tmp_path / "reports", notebooks=PACK_NOTEBOOKS, jobs=1, as_of="2026-09")
    thread = threading.Thread(
        target=watch.watch_pack, args=(pack_company, outcomes.put, stop, None, 0.05), kwargs=options
    )
    thread.start()
    try:
        first = outcomes.get(timeout=120)
        assert isinstance(first, PackResult) and not first.skipped

        (pack_company / "commentary.md").write_text("A paragraph the analyst saved.\n")
        second = outcomes.get(timeout=120)
        assert isinstance(second, PackResult) and not second.skipped
        assert "commentary.md" in second.manifest.read_text()  # the new file is in the pack's inputs
        pdf_time = second.pdf.stat().st_mtime_ns

        (pack_company / "company.toml").write_text("garbage = [")
        third = outcomes.get(timeout=60)
        assert isinstance(third, InputError) and "company.toml" in str(third)
        assert second.pdf.stat().st_mtime_ns == pdf_time  # the last good pack is kept

        (pack_company / "company.toml").write_text(PACK_TOML)  # fixed: the same as the last pack
        fourth = outcomes.get(timeout=60)
        assert isinstance(fourth, PackResult) and fourth.skipped

        (pack_company / ".commentary.md.swp").write_text("an editor's swap file")
        time.sleep(0.5)
        assert outcomes.empty()  # not a file the pack reads: nothing re-made
    finally:
        stop.set()
        thread.join(60)
    assert not thread.is_alive()


def test_the_cli_watch_tells_each_outcome_and_ctrl_c_ends_it_cleanly(
    pack_company: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    pdf = pack_company / "board-pack.pdf"

    def fake_watch(company_dir, report, **options):
        report(PackResult(pack_company, pdf, pack_company / "manifest.json"))
        report(InputError([Problem("company.toml is not valid TOML", file="company.toml")], "fixture-co"))
        raise KeyboardInterrupt

    monkeypatch.setattr(watch, "watch_pack", fake_watch)
    assert main(["pack", str(pack_company), "--watch"]) == 0
    out, err = capsys.readouterr()
    assert f"Wrote {pdf}" in out and "stopped watching" in out
    assert "company.toml: company.toml is not valid TOML" in err and "previous pack is kept" in err
