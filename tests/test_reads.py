"""What a section notebook read (reportlib.deck._reads): recorded while it runs, checked later.

The record decides whether a stored section may be reused (reportlib.render.reuse), so a
read it misses is a stale page: every test here pairs "recorded" with "a change is seen".
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sqlite3
import subprocess
from pathlib import Path

import pytest

from reportlib.deck import _reads
from reportlib.deck._words import commentary, commentary_sections
from reportlib.kpis import compute_kpis

COMMENTARY = "# Fixture Co\n\n## Highlights\n\nARR grew.\n\n## Risks\n\nOne customer is half of ARR.\n"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture()
def armed(tmp_path: Path):
    # requested after any fixture that loads a company: only the test body is recorded
    """A record armed for a notebook whose pack folder is ``tmp_path/out``; closed after."""
    (tmp_path / "out").mkdir()
    _reads.arm(tmp_path / "out")
    yield tmp_path
    _reads.report()


def test_a_file_read_is_recorded_with_its_digest_and_nothing_else(armed: Path) -> None:
    extra = armed / "extra.csv"
    extra.write_text("a,b\n1,2\n")
    folder = armed / "plans"
    folder.mkdir()
    (folder / "2026.csv").write_text("x")

    assert extra.read_text() == "a,b\n1,2\n"  # read: recorded
    assert sorted(os.listdir(folder)) == ["2026.csv"]  # a folder listed: its names recorded
    (armed / "written.txt").write_text("scratch")  # written only: not an input
    (armed / "out" / "kpi_result.pkl").write_bytes(b"pack")
    (armed / "out" / "kpi_result.pkl").read_bytes()  # the pack's own folder: its key covers it
    Path(json.__file__).read_text()  # Python's own files: the environment, not an input
    Path(_reads.__file__).read_text()  # reportlib's code: the code digest covers it

    record = json.loads(_reads.report())
    assert record["files"] == [[str(extra), _sha(b"a,b\n1,2\n")]]
    assert record["folders"] == [[str(folder), _sha(b"2026.csv")]]
    assert record["commentary"] == []
    assert _reads.report() is None  # the record is closed once taken


def test_a_recorded_file_or_folder_that_changes_is_seen(armed: Path) -> None:
    extra, folder = armed / "extra.csv", armed / "plans"
    extra.write_text("a,b\n1,2\n")
    folder.mkdir()
    extra.read_text()
    os.listdir(folder)
    record = _reads.report()
    assert _reads.unchanged(record)

    extra.write_text("a,b\n1,3\n")
    assert not _reads.unchanged(record)
    extra.write_text("a,b\n1,2\n")  # the same bytes again: the same section
    assert _reads.unchanged(record)
    (folder / "new.csv").write_text("y")  # a file appeared where the notebook looked
    assert not _reads.unchanged(record)
    (folder / "new.csv").unlink()
    extra.unlink()
    assert not _reads.unchanged(record)


def test_a_file_changed_while_the_section_ran_gives_no_record(armed: Path) -> None:
    extra = armed / "extra.csv"
    extra.write_text("old")
    extra.read_text()
    extra.write_text("newer")  # the section read "old"; a record of "newer" would be a lie
    assert _reads.report() is None


@pytest.mark.parametrize(
    "opaque",
    [
        lambda: subprocess.run(["true"], check=True),  # another program may read anything
        lambda: socket.getaddrinfo("localhost", 80),  # so may a server
        lambda: sqlite3.connect(":memory:").close(),
    ],
)
def test_a_program_a_connection_or_a_database_leave_no_record(armed: Path, opaque) -> None:
    opaque()
    assert _reads.report() is None


def test_a_file_removed_while_the_section_ran_gives_no_record(armed: Path) -> None:
    extra = armed / "extra.csv"
    extra.write_text("old")
    extra.read_text()
    extra.unlink()
    assert _reads.report() is None


def test_nothing_armed_nothing_recorded_and_bad_records_never_hold(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("x")
    (tmp_path / "f.txt").read_text()
    assert _reads.report() is None
    for record in (None, "", "not json", json.dumps({"version": 0, "commentary": [], "files": [], "folders": []})):
        assert not _reads.unchanged(record)


@pytest.fixture()
def result_with_commentary(pack_company: Path):
    (pack_company / "commentary.md").write_text(COMMENTARY)
    return compute_kpis(pack_company, as_of="2026-09")


def test_commentary_is_recorded_by_block_not_as_a_file(result_with_commentary, armed: Path) -> None:
    folder = Path(result_with_commentary.company.path)
    assert commentary(result_with_commentary, "risks") == "One customer is half of ARR."
    record = _reads.report()
    reads = json.loads(record)
    assert reads["files"] == []  # commentary.md itself is not a file input of the section
    assert reads["commentary"] == [[str(folder), "2026-09", "", "risks", _sha(b"One customer is half of ARR.")]]

    # another block edited: the section that showed only the risks is unchanged
    (folder / "commentary.md").write_text(COMMENTARY.replace("ARR grew.", "ARR grew 40%."))
    assert _reads.unchanged(record)
    (folder / "commentary.md").write_text(COMMENTARY.replace("half of ARR", "a third of ARR"))
    assert not _reads.unchanged(record)


def test_every_block_read_makes_any_edit_a_change(result_with_commentary, armed: Path) -> None:
    folder = Path(result_with_commentary.company.path)
    blocks = commentary_sections(result_with_commentary)
    assert blocks == {"highlights": "ARR grew.", "risks": "One customer is half of ARR."}
    record = _reads.report()
    assert json.loads(record)["commentary"][0][3] == "*"
    assert _reads.unchanged(record)
    (folder / "commentary.md").write_text(COMMENTARY + "\n## Asks\n\nApprove the hire.\n")
    assert not _reads.unchanged(record)
    # an as-of month's own commentary file takes over from commentary.md
    (folder / "commentary.md").write_text(COMMENTARY)
    assert _reads.unchanged(record)
    (folder / "commentary").mkdir()
    (folder / "commentary" / "2026-09.md").write_text("## Highlights\n\nSeptember's own words.\n")
    assert not _reads.unchanged(record)
