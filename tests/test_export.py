"""The boardpdf exporter, its template and PDF assembly."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from pypdf import PdfReader, PdfWriter

from conftest import FIXTURES, chromium_available
from reportlib.exceptions import ExportError
from reportlib.render.assemble import empty_pdf
from reportlib.render.chromium import Chromium
from reportlib.render.export import (
    TEMPLATES_DIR,
    BoardPDFExporter,
    _shared_exporter,
    assemble_pdf,
    find_chromium,
    shows_anything,
    warm_printing,
)
from reportlib.render.run import run_sections

NOTEBOOKS = FIXTURES / "notebooks"
JUPYTER = Path(sys.executable).with_name("jupyter")
needs_chromium = pytest.mark.skipif(not chromium_available(), reason="no Chromium installed")
NETWORK_LOAD = re.compile(
    r"<(?:script|link|img|iframe)\b[^>]*(?:src|href)\s*=\s*[\"']?(?:https?:)?//"
    r"|@import\s+(?:url\()?[\"']?(?:https?:)?//|url\(\s*[\"']?(?:https?:)?//",
    re.I,
)


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The fixture notebooks executed once (the failing one too, as papermill leaves it)."""
    out = tmp_path_factory.mktemp("executed")
    runs = run_sections(
        sorted(NOTEBOOKS.glob("*.ipynb")), {"as_of": "2026-09", "company_dir": str(FIXTURES)}, out, jobs=2
    )
    return {r.section: r.output for r in runs}


def _html(path: Path) -> str:
    html, _ = BoardPDFExporter().to_html(nbformat.read(str(path), as_version=4))
    return html


def test_template_is_found_relative_to_the_package() -> None:
    assert (TEMPLATES_DIR / "boardpack" / "index.html.j2").is_file()
    assert BoardPDFExporter().template_name == "boardpack"


def test_html_loads_nothing_from_the_network(executed: dict[str, Path]) -> None:
    for path in executed.values():
        html = _html(path)
        assert not NETWORK_LOAD.search(html), NETWORK_LOAD.search(html)
        assert "require.js" not in html and "mathjax" not in html.lower()


def test_html_hides_code_prompts_and_papermill_cells(executed: dict[str, Path]) -> None:
    html = _html(executed["01_ok"])
    assert "ARR" in html and "stdout line from the ok section" in html
    for hidden in ("import sys", "In&nbsp;[", "Out[", "injected", "a warning"):
        assert hidden not in html, hidden
    failed = _html(executed["02_fails"])
    for hidden in (
        "An Exception was encountered",
        "encountered an exception here",
        "Traceback",
        "ValueError",
        "raise ValueError",
    ):
        assert hidden not in failed, hidden


def test_page_breaks_at_level_two_headings_and_tagged_cells(executed: dict[str, Path]) -> None:
    html = _html(executed["01_ok"])
    body = html[html.index("<main>") :]
    # "## Revenue quality", "## Second page" and the cell tagged page-break
    assert body.count('class="bp-page-break"') == 3


def test_an_output_shows_its_richest_form_and_the_page_is_not_parsed_again() -> None:
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>chart</text></svg>'
    data = {"text/plain": "<Figure size 10x10>", "image/svg+xml": svg, "text/html": "<p>table</p>"}
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output("display_data", data=data)])]
    )
    html, _ = BoardPDFExporter().to_html(nb)
    # nbconvert's type filter keeps one form per output, the richest (HTML before SVG before text)
    assert "<p>table</p>" in html and "<text>chart</text>" not in html and "Figure size" not in html
    # written as the template wrote it: no BeautifulSoup round trip (alt texts, tab stops)
    assert 'tabindex="0"' not in html
    assert '<meta http-equiv="Content-Security-Policy"' in html


def test_chromium_discovery_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "my-chrome"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("REPORTLIB_CHROMIUM", str(fake))
    assert find_chromium() == fake

    monkeypatch.delenv("REPORTLIB_CHROMIUM")
    pw = tmp_path / "pw" / "chromium-1200" / "chrome-linux"
    pw.mkdir(parents=True)
    (pw / "chrome").write_text("#!/bin/sh\n")
    (pw / "chrome").chmod(0o755)
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path / "pw"))
    assert find_chromium() == pw / "chrome"

    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path / "none"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(ExportError, match="apt-get install chromium"):
        find_chromium()


def test_a_headless_shell_on_path_is_preferred_to_the_full_browser(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("chromium", "google-chrome", "chromium-headless-shell"):
        (bin_dir / name).write_text("#!/bin/sh\n")
        (bin_dir / name).chmod(0o755)
    monkeypatch.delenv("REPORTLIB_CHROMIUM", raising=False)
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path / "none"))
    monkeypatch.setenv("PATH", str(bin_dir))
    assert find_chromium() == bin_dir / "chromium-headless-shell"

    # Playwright's: its headless shell before its full browser, of the same build
    pw = tmp_path / "pw"
    for build, exe in (
        ("chromium-1200/chrome-linux", "chrome"),
        ("chromium_headless_shell-1200/chrome-linux", "headless_shell"),
    ):
        (pw / build).mkdir(parents=True)
        (pw / build / exe).write_text("#!/bin/sh\n")
        (pw / build / exe).chmod(0o755)
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(pw))
    assert find_chromium() == pw / "chromium_headless_shell-1200/chrome-linux/headless_shell"
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path / "none"))

    (bin_dir / "chromium-headless-shell").unlink()
    assert find_chromium() == bin_dir / "chromium"


def _blank_pdf(path: Path, pages: int) -> Path:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(960, 540)
    with open(path, "wb") as f:
        writer.write(f)
    return path


def test_assembly_bookmarks_and_page_numbers(tmp_path: Path) -> None:
    parts = [_blank_pdf(tmp_path / f"{i}.pdf", n) for i, n in enumerate((1, 2, 0, 3))]
    out = tmp_path / "deck.pdf"
    pages = assemble_pdf(
        parts, out, company="Acme", period="Q3 2026", bookmarks=["Cover", "Summary", "Empty", "Appendix"]
    )
    assert pages == 6
    reader = PdfReader(str(out))
    outline = [(item.title, reader.get_destination_page_number(item)) for item in reader.outline]
    assert outline == [("Cover", 0), ("Summary", 1), ("Appendix", 3)]  # empty section: no bookmark
    texts = [p.extract_text() for p in reader.pages]
    assert "page" not in texts[0]  # the cover is not numbered
    assert texts[1].strip() == "Acme · Q3 2026 · page 2 / 6"
    assert texts[5].strip() == "Acme · Q3 2026 · page 6 / 6"


def test_footer_shortens_a_long_company_name_to_fit_the_page(tmp_path: Path) -> None:
    """A 500-character company name: the footer is right-aligned, so before it ran off the
    page's left edge (500 "X" at 8 pt Helvetica, 667/1000 em each, are 2,668 pt on a page
    960 pt wide). Now the name is cut with "…" and the whole line lies inside the margins."""
    import pdfplumber

    parts = [_blank_pdf(tmp_path / f"{i}.pdf", n) for i, n in enumerate((1, 2))]
    out = tmp_path / "deck.pdf"
    assemble_pdf(parts, out, company="X" * 500, period="Q3 2026", bookmarks=["Cover", "Summary"])
    with pdfplumber.open(out) as pdf:
        page = pdf.pages[1]
        chars = page.chars
        text = "".join(c["text"] for c in chars)
        assert text.startswith("XXX") and text.endswith("… · Q3 2026 · page 2 / 3"), text
        # inside the 0.55 in (39.6 pt) margins on both sides
        assert min(c["x0"] for c in chars) >= 39.6 - 0.5 and max(c["x1"] for c in chars) <= 960 - 39.6 + 0.5


@pytest.mark.chromium
@needs_chromium
def test_nbconvert_cli_writes_a_landscape_pdf_without_code(executed: dict[str, Path], tmp_path: Path) -> None:
    nb = shutil.copy(executed["01_ok"], tmp_path / "section.ipynb")
    proc = subprocess.run(
        [str(JUPYTER), "nbconvert", "--to", "boardpdf", str(nb)], capture_output=True, text=True, timeout=180
    )
    assert proc.returncode == 0, proc.stderr
    pdf = tmp_path / "section.pdf"
    reader = PdfReader(str(pdf))
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)  # landscape 16:9
    assert round(float(box.width) / float(box.height), 2) == 1.78
    assert len(reader.pages) == 3  # two forced breaks
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Revenue quality" in text and "ARR grew in 2026-09" in text
    for code in ("import ", "In [", "reportlib.", "display(", "as_of ="):
        assert code not in text, code
    assert "fixtures · Q3 2026 · page 1 / 3" in text  # footer from the papermill parameters


@pytest.mark.chromium
@needs_chromium
def test_long_tables_break_between_rows_and_nothing_is_clipped(executed: dict[str, Path], tmp_path: Path) -> None:
    pdf = BoardPDFExporter(footer=False).from_notebook_node(
        nbformat.read(str(executed["03_long_table"]), as_version=4)
    )[0]
    (tmp_path / "t.pdf").write_bytes(pdf)
    reader = PdfReader(str(tmp_path / "t.pdf"))
    text = subprocess.run(["pdftotext", str(tmp_path / "t.pdf"), "-"], capture_output=True, text=True).stdout
    assert "A long table" in reader.pages[0].extract_text()  # no blank first page
    assert "row 1\n" in text and "row 80" in text and text.count("word") == 60


def test_a_section_that_shows_nothing_prints_no_page():
    quiet = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    quiet.cells[0].outputs = [nbformat.v4.new_output("stream", name="stderr", text="a log line\n")]
    assert not shows_anything(quiet)  # a log line is no page
    quiet.cells[0].outputs.append(nbformat.v4.new_output("display_data", data={"text/html": "<h2>A title</h2>"}))
    assert shows_anything(quiet)
    # a Markdown heading or printed text is a page too (the fixture cover is both)
    heading = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Fixture Co")])
    assert shows_anything(heading)
    printed = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)")])
    printed.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    assert shows_anything(printed)
    assert not shows_anything(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("  ")]))
    assert len(PdfReader(io.BytesIO(empty_pdf())).pages) == 0  # assemble_pdf skips it: no page, no bookmark


@pytest.mark.chromium
@needs_chromium
def test_a_tab_whose_page_printed_prints_the_next_page_and_a_failed_one_is_closed(tmp_path: Path) -> None:
    pages = []
    for word in ("Alpha", "Bravo", "Charlie"):
        page = tmp_path / f"{word}.html"
        page.write_text(f"<html><body><h1>{word}</h1></body></html>")
        pages.append(page)
    options = {"paperWidth": 13.333, "paperHeight": 7.5}

    def tabs(browser: Chromium) -> int:
        return sum(t["type"] == "page" for t in browser.call("Target.getTargets")["targetInfos"])

    with Chromium() as browser:
        opened = tabs(browser)  # the browser's own about:blank
        texts = [PdfReader(io.BytesIO(browser.print_pdf(p, options))).pages[0].extract_text() for p in pages]
        assert texts == ["Alpha", "Bravo", "Charlie"]  # each print shows its own page, not the last one
        assert tabs(browser) == opened + 1  # one tab printed all three
        with pytest.raises(ExportError, match="could not open"):
            browser.print_pdf(tmp_path / "missing.html", options)
        deadline = time.monotonic() + 10  # the tab is closed without waiting for the answer
        while tabs(browser) != opened and time.monotonic() < deadline:
            time.sleep(0.05)
        assert tabs(browser) == opened  # the tab that failed was closed, not kept
        assert "Alpha" in PdfReader(io.BytesIO(browser.print_pdf(pages[0], options))).pages[0].extract_text()


@needs_chromium
def test_warm_printing_prints_a_page_like_the_decks_and_keeps_the_looks_exporter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # its scratch folder, to see it removed
    css = ":root { --bp-primary: #123456; }"
    printed: list[bytes] = []
    with Chromium() as browser:
        plain = browser.print_pdf
        monkeypatch.setattr(
            browser, "print_pdf", lambda html, options: printed.append(plain(html, options)) or printed[-1]
        )
        seconds = warm_printing(browser, css)
    assert seconds > 0 and len(printed) == 1
    text = " ".join(PdfReader(io.BytesIO(printed[0])).pages[0].extract_text().split())
    # a title, bold text, a table and a chart's live SVG text: what a section's first page has
    for shown in ("A page printed to warm the browser", "bold", "NRR", "112%", "Net revenue retention 112%"):
        assert shown in text, text
    hits = _shared_exporter.cache_info().hits
    _shared_exporter(False, css)  # the pack's printer for that look: already made, not compiled again
    assert _shared_exporter.cache_info().hits == hits + 1
    assert list(tmp_path.iterdir()) == []  # nothing left behind


@pytest.mark.parametrize(
    ("fiscal", "as_of", "period"),
    [
        # a February fiscal year, as of Mar 2026: the last fiscal quarter ended in January,
        # Nov 2025 - Jan 2026 = FY2026 Q4 (before: 'Q1 2026', the calendar Jan-Mar)
        ("[policies]\nfiscal_year_start_month = 2\n", "2026-03", "FY2026 Q4"),
        # a calendar company rolls: the 3 months to Aug 2026, as before
        ("", "2026-08", "Jun 2026 – Aug 2026"),
    ],
)
def test_a_notebook_printed_alone_names_the_period_its_pack_reports(tmp_path: Path, fiscal, as_of, period) -> None:
    (tmp_path / "company.toml").write_text(f'[company]\nname = "Febco"\n\n{fiscal}')
    nb = nbformat.v4.new_notebook(
        metadata={"papermill": {"parameters": {"company_dir": str(tmp_path), "as_of": as_of, "window": "quarter"}}}
    )
    assert BoardPDFExporter()._footer_labels(nb) == ("Febco", period)
