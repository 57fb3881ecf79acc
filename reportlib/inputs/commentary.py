"""The analyst's commentary: which file applies to a pack, and its headings as pack blocks.

A company folder holds ``commentary/<YYYY-MM>.md`` (the commentary written for that as-of
month, preferred) or one ``commentary.md``. A level 1-3 heading names a block of the pack
(``## Highlights``, ``## Risks and asks``, ``## Revenue quality``) and may name a segment in
brackets (``## Risks and asks (Enterprise)``): a segment pack shows only the blocks that
name its segment, a company pack only those that name none. A heading that names no block
is a ``validate`` warning (:func:`commentary_problems`), never silently dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from reportlib.exceptions import Problem
from reportlib.inputs.config import safe_path

__all__ = [
    "BLOCKS",
    "COMMENTARY_DIR",
    "COMMENTARY_FILE",
    "CommentaryBlock",
    "commentary_blocks",
    "commentary_file",
    "commentary_problems",
    "parse_commentary",
]

COMMENTARY_FILE = "commentary.md"
COMMENTARY_DIR = "commentary"

#: Pack blocks and the heading words that name them (compared lower case, punctuation dropped).
BLOCKS: dict[str, tuple[str, ...]] = {
    "highlights": ("highlights", "summary", "executive summary", "exec summary", "overview"),
    "risks": (
        "risks",
        "risks and asks",
        "risks and issues",
        "risks and mitigations",
        "lowlights",
        "concerns",
        "issues",
    ),
    "asks": ("asks", "asks of the board", "board asks", "decisions", "decisions needed", "help needed"),
    "revenue_quality": ("revenue quality", "revenue", "revenue quality tiers", "growth"),
    "unit_economics": ("unit economics", "efficiency", "cash", "cash and runway", "runway"),
    "cohort_economics": ("cohort economics", "cohorts", "retention"),
    "kpi_hierarchy": (
        "kpi hierarchy",
        "kpi hierarchy and leading indicators",
        "leading indicators",
        "customer journey",
        "pipeline",
        "kpi tree",
        "go to market",
    ),
    "appendix": ("appendix", "data quality", "definitions"),
}
_HEADING = re.compile(r"^\s{0,3}#{1,3}\s+(.*?)\s*#*\s*$")
_SEGMENT = re.compile(r"^(.*?)\s*\(([^()]+)\)\s*$")


@dataclass(frozen=True)
class CommentaryBlock:
    """One heading of the commentary: the block it names ("" when none), the segment value
    it names ("" for the company), its text and the line of its heading."""

    heading: str
    block: str
    segment: str
    text: str
    line: int


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _block_of(heading: str) -> str:
    h = re.sub(r"^\d+\s*", "", _norm(heading))
    for block, names in BLOCKS.items():
        if h == _norm(block) or h in (_norm(n) for n in names):
            return block
    for block, names in BLOCKS.items():  # "Revenue quality: seasonality" names revenue_quality
        if any(h.startswith(_norm(n)) for n in names if len(n) > 6):
            return block
    return ""


def commentary_file(company_dir: str | Path, as_of: object = None) -> Path | None:
    """The commentary of a pack: ``commentary/<YYYY-MM>.md`` for the as-of month when it
    exists, else ``commentary.md``; None when there is none (or it links out of the folder)."""
    folder = Path(company_dir)
    names = ([f"{COMMENTARY_DIR}/{str(as_of)[:7]}.md"] if as_of not in (None, "") else []) + [COMMENTARY_FILE]
    for name in names:
        try:
            path, outside = safe_path(folder, name)
        except (TypeError, ValueError):
            continue
        if outside is None and path.is_file():
            return path
    return None


def parse_commentary(text: str) -> list[CommentaryBlock]:
    """The headings of a commentary text, in order, each with its text (text before the
    first heading belongs to no block)."""
    out: list[CommentaryBlock] = []
    current: tuple[str, int] | None = None
    lines: list[str] = []

    def close() -> None:
        if current is not None:
            heading, line = current
            m = _SEGMENT.match(heading)
            name, segment = (m.group(1), m.group(2).strip()) if m and _block_of(m.group(1)) else (heading, "")
            out.append(CommentaryBlock(heading, _block_of(name), segment, "\n".join(lines).strip(), line))

    for number, line in enumerate(text.splitlines(), start=1):
        m = _HEADING.match(line)
        if m:
            close()
            current, lines = (m.group(1), number), []
        elif current is not None:
            lines.append(line)
    close()
    return out


def commentary_blocks(company_dir: str | Path, as_of: object = None, segment: str = "") -> dict[str, str]:
    """Block id -> commentary text for one pack: the blocks naming ``segment`` (a segment
    value; "" for a company pack, which takes the blocks that name no segment)."""
    path = commentary_file(company_dir, as_of)
    if path is None:
        return {}
    out: dict[str, list[str]] = {}
    for b in parse_commentary(path.read_text(encoding="utf-8")):
        if b.block and b.text and _norm(b.segment) == _norm(segment):
            out.setdefault(b.block, []).append(b.text)
    return {k: "\n\n".join(v) for k, v in out.items()}


def commentary_problems(company_dir: str | Path, as_of: object = None) -> list[Problem]:
    """Warnings for ``reportlib validate``: every heading of the commentary (each as-of file
    and commentary.md) that names no block of the pack while text follows it, so that text
    would not be shown."""
    folder = Path(company_dir)
    files = sorted((folder / COMMENTARY_DIR).glob("*.md")) if (folder / COMMENTARY_DIR).is_dir() else []
    main = commentary_file(folder)
    files += [main] if main is not None else []
    known = ", ".join(f'"{names[0]}"' for names in BLOCKS.values())
    out = []
    for path in files:
        for b in parse_commentary(path.read_text(encoding="utf-8")):
            if not b.block and b.text:  # a title heading with nothing under it drops nothing
                out.append(
                    Problem(
                        f'heading "{b.heading}" names no part of the pack, so its text is not shown; '
                        f"use one of {known} (a segment may follow in brackets)",
                        file=str(path.relative_to(folder)),
                        row=b.line,
                        severity="warning",
                        input="commentary",
                    )
                )
    return out
