"""reportlib.inputs.commentary: which commentary applies to a pack, segment headings, and the
validate warning for a heading that names no part of the pack."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from reportlib.inputs.commentary import commentary_blocks, commentary_file, commentary_problems, parse_commentary

COMMENTARY = (
    "## Highlights\nARR 19.5m, 637 accounts.\n\n"
    "## Risks and asks (Enterprise)\nTwo renewals at risk.\n\n"
    "## Risks and asks\nSMB churn.\n\n"
    "## Board dinner\nThursday.\n"
)


def test_as_of_file_is_preferred_over_commentary_md(tmp_path: Path) -> None:
    (tmp_path / "commentary.md").write_text("## Highlights\nold\n")
    (tmp_path / "commentary").mkdir()
    (tmp_path / "commentary" / "2026-10.md").write_text("## Highlights\nOctober\n")
    assert commentary_file(tmp_path, "2026-10") == tmp_path / "commentary" / "2026-10.md"
    assert commentary_blocks(tmp_path, "2026-10") == {"highlights": "October"}
    # another as-of has no file of its own: commentary.md applies
    assert commentary_blocks(tmp_path, "2026-07") == {"highlights": "old"}


def test_segment_headings_go_to_their_segment_only(tmp_path: Path) -> None:
    (tmp_path / "commentary.md").write_text(COMMENTARY)
    company = commentary_blocks(tmp_path)
    assert company == {"highlights": "ARR 19.5m, 637 accounts.", "risks": "SMB churn."}
    # the company's ARR and accounts never appear under a segment's headline
    assert commentary_blocks(tmp_path, segment="Enterprise") == {"risks": "Two renewals at risk."}
    assert commentary_blocks(tmp_path, segment="SMB") == {}


def test_unmatched_heading_is_a_warning_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "commentary.md").write_text(COMMENTARY)
    blocks = parse_commentary(COMMENTARY)
    assert [(b.block, b.segment) for b in blocks] == [
        ("highlights", ""),
        ("risks", "Enterprise"),
        ("risks", ""),
        ("", ""),
    ]
    (problem,) = commentary_problems(tmp_path)
    # "## Board dinner" is line 10: 3 lines per block before it (heading, text, blank) x 3, + 1
    assert (problem.file, problem.row, problem.severity) == ("commentary.md", 10, "warning")
    assert '"Board dinner"' in problem.message


def test_validate_prints_the_commentary_warning(tmp_path: Path) -> None:
    src = Path(__file__).resolve().parents[1] / "data" / "loopwise"
    folder = tmp_path / "loopwise"
    subprocess.run(["cp", "-r", str(src), str(folder)], check=True)
    (folder / "commentary.md").write_text("## Summary\nFine.\n\n## Things we worry about\nChurn.\n")
    out = subprocess.run(
        [sys.executable, "-m", "reportlib.cli", "validate", str(folder)], capture_output=True, text=True
    )
    assert "Things we worry about" in out.stdout + out.stderr
