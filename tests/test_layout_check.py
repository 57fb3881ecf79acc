"""Layout check of every demo pack (issue 13 item 8): no overlapping text, no token split
across the lines of a cell, no page more than two-thirds empty.

The packs are made once for the module (company, one segment and the compare pack of both
demo companies, then the portfolio summary): about a minute per pack on two cores.
"""

from __future__ import annotations

import shutil

import pytest
from _layout_check import layout_problems, overlaps, splits

from conftest import DEMO_COMPANIES, chromium_available
from reportlib.inputs.config import load_config
from reportlib.pack import build_pack
from reportlib.portfolio import run_portfolio
from reportlib.session import Session

needs_chromium = pytest.mark.skipif(not chromium_available(), reason="no Chromium")
KINDS = ["company", "segment", "compare"]


@pytest.fixture(scope="module")
def packs(tmp_path_factory) -> dict[str, object]:
    """name -> PDF: ``<company>-company``, ``-segment``, ``-compare`` and ``portfolio``."""
    root = tmp_path_factory.mktemp("layout")
    data, out = root / "data", root / "reports"
    for company in DEMO_COMPANIES:
        shutil.copytree(company, data / company.name)
    result = run_portfolio(data, out=out, jobs=2, progress=False)
    assert result.ok and result.summary_pdf, result.summary_error
    pdfs = {"portfolio": result.summary_pdf}
    for row in result.rows:
        pdfs[f"{row.company}-company"] = row.pdf
    with Session() as session:  # the four packs on the same warm kernels and browser
        for company in DEMO_COMPANIES:
            report = load_config(data / company.name)
            folder = data / company.name
            pdfs[f"{company.name}-segment"] = build_pack(
                folder, segment=report.segments[0], out=out, session=session
            ).pdf
            pdfs[f"{company.name}-compare"] = build_pack(folder, compare=report.compare, out=out, session=session).pdf
    return pdfs


def _cases() -> list:
    cases = [pytest.param("portfolio", id="portfolio")]
    for company in DEMO_COMPANIES:
        cases += [pytest.param(f"{company.name}-{kind}", id=f"{company.name}-{kind}") for kind in KINDS]
    return cases


@pytest.mark.slow
@pytest.mark.chromium
@needs_chromium
@pytest.mark.parametrize("name", _cases())
def test_pack_layout(packs, name):
    problems = layout_problems(packs[name])
    assert not problems, f"{name}: {len(problems)} layout problem(s):\n" + "\n".join(problems)


def _word(text: str, x0: float, top: float, size: float = 10.0) -> dict:
    return {"text": text, "x0": x0, "x1": x0 + 0.55 * size * len(text), "top": top, "bottom": top + size}


def test_overlap_and_split_rules_on_hand_made_boxes():
    # "Target" spans x 0..33 (0.55 x 10 x 6); "12%" starts at x 30 on the same line: they share
    # 3 x 10 = 30 of the smaller box's 16.5 x 10 = 165 (18%, under a fifth); at x 20: 13 x 10 = 130 (79%)
    assert overlaps([_word("Target", 0, 0), _word("12%", 30, 0)]) == []
    assert overlaps([_word("Target", 0, 0), _word("12%", 20, 0)]) == [("Target", "12%")]
    # the next line of a cell (top 12: gap 2 under a 10-high line, same x): split tokens
    assert splits([_word("€12.", 0, 0), _word("6M", 0, 12)]) == [("€12.", "6M")]
    assert splits([_word("115", 0, 0), _word("%", 0, 12)]) == [("115", "%")]
    assert splits([_word("benchmar", 0, 0), _word("k", 0, 12)]) == [("benchmar", "k")]
    # prose wrapping onto "a" or a whole number on the next row is not a split
    assert splits([_word("the", 0, 0), _word("a", 0, 12)]) == []
    assert splits([_word("115", 0, 0), _word("120", 0, 12)]) == []
