"""Automatic layout check of a printed pack (issue 13 item 8), from pdfplumber's word boxes.

Three rules, each violation reported with its page number and the text involved:

- **overlap**: two words whose boxes overlap (by more than a fifth of the smaller box);
- **split**: a number, a unit or a word broken across two lines of a cell (``€12.`` over
  ``6M``, ``115`` over ``%``, ``benchmar`` over ``k``, a header stacked letter by letter);
- **empty**: a page whose content (text, drawings, images; the footer left out) covers
  less than a third of the page's height.
"""

from __future__ import annotations

import re
from pathlib import Path

import pdfplumber

FOOTER = 0.07  # the bottom share of the page holding the footer, not content
MIN_FILL = 1 / 3  # content must cover at least this share of the page height
OVERLAP = 0.2  # share of the smaller box two words may not share

_NUMBER_HEAD = re.compile(r"^[−\-+]?[€$£¥]?\d[\d,]*[.,]$|^[−\-+]?[€$£¥]?$")  # "€12." "1," "€"
_UNIT_TAIL = re.compile(r"^(%|x|k|M|B|pts?|mo|d)$|^\d+[kMB%x]?$")  # "%", "6M", "k"
_ONE_LETTER_WORDS = {"a", "A", "I"}  # a line of prose may start with them
_NUMBER = re.compile(r"^[−\-+]?[€$£¥]?\d[\d,.]*$")  # "115", "€12.6"


def _words(page) -> list[dict]:
    bottom = page.height * (1 - FOOTER)
    # rotated text (axis labels set at an angle) comes out one letter a word: left out
    level = page.filter(
        lambda obj: obj.get("object_type") != "char" or (abs(obj["matrix"][1]) < 1e-6 and abs(obj["matrix"][2]) < 1e-6)
    )
    return [
        w
        for w in level.extract_words(keep_blank_chars=False, use_text_flow=False)
        if w["bottom"] <= bottom and w["text"].strip()
    ]


def _area(a: dict) -> float:
    return max(a["x1"] - a["x0"], 0.0) * max(a["bottom"] - a["top"], 0.0)


def _shared(a: dict, b: dict) -> float:
    w = min(a["x1"], b["x1"]) - max(a["x0"], b["x0"])
    h = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
    return w * h if w > 0 and h > 0 else 0.0


def overlaps(words: list[dict]) -> list[tuple[str, str]]:
    """Pairs of words whose boxes overlap (a sweep over x so that a page stays fast)."""
    found = []
    ordered = sorted(words, key=lambda w: w["x0"])
    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            if b["x0"] >= a["x1"]:
                break
            smaller = min(_area(a), _area(b)) or 1.0
            if _shared(a, b) > OVERLAP * smaller:
                found.append((a["text"], b["text"]))
    return found


def _below(a: dict, b: dict) -> bool:
    """``b`` is the next line of ``a``'s cell: just under it, starting in its column."""
    height = a["bottom"] - a["top"]
    gap = b["top"] - a["bottom"]
    return -0.1 * height <= gap <= 0.6 * height and abs(b["x0"] - a["x0"]) <= 1.5 * height


def _is_split(head: str, tail: str) -> bool:
    if _NUMBER_HEAD.match(head) and re.match(r"^\d", tail):
        return True  # "€12." over "6M"
    if _NUMBER.match(head) and _UNIT_TAIL.match(tail) and not _NUMBER.match(tail):
        return True  # "115" over "%"
    if len(tail) == 1 and tail.isalpha() and tail not in _ONE_LETTER_WORDS and head[-1:].isalpha():
        return True  # "benchmar" over "k", "d" over "t"
    return False


def _starts_its_line(b: dict, a: dict, words: list[dict]) -> bool:
    """``b`` is the first word of its line in ``a``'s column: a wrapped cell continues there,
    while "mo" in "−2.8 mo vs prior quarter" under a tile's "17" is only the line's second word."""
    height = a["bottom"] - a["top"]
    return not any(
        c is not b and abs(c["top"] - b["top"]) < 1.0 and a["x0"] - 1.5 * height <= c["x0"] < b["x0"] for c in words
    )


def splits(words: list[dict]) -> list[tuple[str, str]]:
    """Words continued on the next line of the same cell where the break cuts a token."""
    found = []
    for a in words:
        for b in words:
            if b is not a and _below(a, b) and _is_split(a["text"], b["text"]) and _starts_its_line(b, a, words):
                found.append((a["text"], b["text"]))
    return found


def fill(page) -> float:
    """The share of the page's height between the top of its content and its bottom
    (text, drawings and images above the footer; frames and backgrounds taller than
    three quarters of the page left out)."""
    limit = page.height * (1 - FOOTER)
    boxes = [(w["top"], w["bottom"]) for w in _words(page)]
    for obj in [*page.rects, *page.lines, *page.curves, *page.images]:
        big = (obj["bottom"] - obj["top"]) > 0.75 * page.height  # a page frame or background
        if not big and obj["top"] < limit:
            boxes.append((obj["top"], min(obj["bottom"], limit)))
    if not boxes:
        return 0.0
    return (max(b for _, b in boxes) - min(t for t, _ in boxes)) / page.height


def layout_problems(pdf: str | Path) -> list[str]:
    """Every violation of the three rules in ``pdf``, one line each:
    ``p3 overlap: 'Target' / '12%'``."""
    problems = []
    with pdfplumber.open(str(pdf)) as doc:
        for n, page in enumerate(doc.pages, start=1):
            words = _words(page)
            problems += [f"p{n} overlap: {a!r} / {b!r}" for a, b in overlaps(words)]
            problems += [f"p{n} split: {a!r} / {b!r}" for a, b in splits(words)]
            share = fill(page)
            if share < MIN_FILL:
                first = " ".join(w["text"] for w in words[:8])
                problems.append(f"p{n} empty: content covers {share:.0%} of the page ({first!r})")
    return problems
