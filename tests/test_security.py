"""Untrusted text stays text: every HTML entry point of the deck escapes, commentary is
Markdown without raw HTML, the template forbids loads and scripts, Chromium is offline."""

from __future__ import annotations

import csv
import errno
import http.server
import os
import re
import subprocess
import threading
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from IPython.display import HTML
from nbformat.v4 import new_code_cell, new_notebook, new_output
from pandas.io.formats.style import Styler
from test_kpis import tiny_company

from conftest import chromium_available
from reportlib import cli
from reportlib.deck import _html, _tables, report
from reportlib.exceptions import Problem
from reportlib.inputs.commentary import commentary_blocks
from reportlib.kpis import KpiResult, compute_kpis
from reportlib.render import chromium
from reportlib.render.export import BoardPDFExporter

HOSTILE = '<iframe src="file:///etc/passwd"></iframe><script>alert(1)</script><img src="http://127.0.0.1:9/x">'
needs_chromium = pytest.mark.skipif(not chromium_available(), reason="no Chromium installed")


def _no_markup(html: str) -> None:
    """No tag of the hostile string survives; its text does, escaped."""
    assert not re.search(r"<\s*(iframe|script|img)\b", html, re.I), html
    assert "&lt;iframe" in html or "&lt;script" in html, html


@pytest.fixture()
def shown(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """HTML the deck helpers display, in order."""
    out: list[str] = []

    def display(obj: HTML | Styler) -> None:
        out.append(obj.data if isinstance(obj, HTML) else obj.to_html())

    monkeypatch.setattr(_html, "display", display)  # show_html
    monkeypatch.setattr(_tables, "display", display)  # show: a table
    return out


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> KpiResult:
    return compute_kpis(tiny_company(tmp_path_factory.mktemp("security") / "tiny"), as_of="2026-03")


def _result(tiny: KpiResult, tmp_path: Path, commentary: str = "") -> KpiResult:
    """A real KpiResult carrying the hostile string wherever a company's files reach."""
    folder = tmp_path / "co"
    folder.mkdir(exist_ok=True)
    if commentary:
        (folder / "commentary.md").write_text(commentary, encoding="utf-8")
    cfg = replace(tiny.company.config, name=HOSTILE, stage="Series A", gtm=HOSTILE)
    company = replace(
        tiny.company,
        path=folder,
        config=cfg,
        slug="co",
        warnings=[Problem(HOSTILE, file=f"/x/{HOSTILE}.csv", row=3, column=HOSTILE, input="mrr")],
    )
    return replace(
        tiny,
        company=company,
        narrative={"summary": [HOSTILE, HOSTILE]},
        segment=("segment", HOSTILE),
        notes=[HOSTILE],
        alerts=[HOSTILE],
    )


def test_esc_escapes_markup_and_quotes() -> None:
    # html.escape with quote=True: & first, then < > " '
    assert _html.esc('<a href="x">&\'') == "&lt;a href=&quot;x&quot;&gt;&amp;&#x27;"
    assert _html.esc(None) == ""


def test_markdown_keeps_formatting_but_no_html_images_or_bad_links() -> None:
    html = _html.markdown(
        "**Strong** quarter.\n\n" + HOSTILE + "\n\n![x](http://127.0.0.1:9/i.png) "
        "[a](javascript:alert(1)) [b](file:///etc/passwd) [c](https://example.com)"
    )
    assert "<strong>Strong</strong>" in html
    _no_markup(html)
    assert 'href="https://example.com"' in html
    for bad in ('href="javascript:', 'href="file:', "<img", 'src="http'):
        assert bad not in html, bad


@pytest.mark.parametrize(
    "call",
    [
        lambda r: report.title(HOSTILE),
        lambda r: report.title(HOSTILE, "appendix", r),
        lambda r: report.section_intro(r, "summary"),
        lambda r: report.section_intro(r, "summary", title=HOSTILE),
        # a company pack (no segment): the commentary's "Summary" heading names no segment
        lambda r: report.show_commentary(replace(r, segment=None), "summary"),
        lambda r: report.note(HOSTILE),
        lambda r: report.show_text(HOSTILE),
        lambda r: report.show_alerts(r),
        lambda r: report.show_bullets(r.notes),
        lambda r: report.cover(r, "segment=" + HOSTILE.replace("=", "")),
    ],
    ids=[
        "title",
        "title-kicker",
        "section-intro",
        "section-intro-title",
        "commentary",
        "note",
        "show-text",
        "alerts",
        "bullets",
        "cover",
    ],
)
def test_every_text_entry_point_escapes(call, shown: list[str], tiny: KpiResult, tmp_path: Path) -> None:
    call(_result(tiny, tmp_path, f"# Summary\n\n{HOSTILE}\n"))
    assert shown
    for html in shown:
        assert not re.search(r"<\s*(iframe|script|img)\b", html, re.I), html
    assert any("&lt;iframe" in h for h in shown)


@pytest.mark.parametrize(
    "make",
    [
        lambda r: report.styled(report.warnings_table(r)),
        lambda r: report.styled(pd.DataFrame({HOSTILE: [HOSTILE], "arr": [1.5]}), {"arr": "money"}, r),
        lambda r: report.styled(report.cover_facts(r), labels={"": "", " ": ""}),
        lambda r: report.kpi_table(r, ["arr"]),
    ],
    ids=["warnings", "styled-header-and-cells", "cover-facts", "kpi-table"],
)
def test_tables_escape_cells_and_headers(make, tiny: KpiResult, tmp_path: Path) -> None:
    result = _result(tiny, tmp_path)
    result.kpis = pd.DataFrame(
        {
            "kpi": ["arr"],
            "value": [1.0],
            "prior_value": [1.0],
            "change": [0.0],
            "unit": ["currency"],
            "benchmark": [HOSTILE],
            "status": ["green"],
            "note": [HOSTILE],
            "label": [HOSTILE],
            "tier": ["north_star"],
        }
    )
    _no_markup(make(result).to_html())


def test_breakdown_table_escapes_segment_values_used_as_headers(tiny: KpiResult, tmp_path: Path) -> None:
    result = _result(tiny, tmp_path)
    result.tables = {
        "breakdowns": pd.DataFrame(
            {
                "dimension": ["segment", "segment"],
                "segment": [HOSTILE, "SMB"],
                "kpi": ["arr", "arr"],
                "label": ["ARR", "ARR"],
                "value": [1.0, 2.0],
                "unit": ["currency", "currency"],
            }
        )
    }
    _no_markup(report.breakdown_table(result, "segment").to_html())


def test_exporter_html_has_a_csp_and_only_the_templates_script_is_allowed() -> None:
    nb = new_notebook(
        cells=[
            new_code_cell(
                "x", outputs=[new_output("display_data", data={"text/html": "<p>ok</p><script>alert(1)</script>"})]
            )
        ]
    )
    html, _ = BoardPDFExporter().to_html(nb, {"metadata": {"name": "t"}})
    meta = re.search(r'<meta [^>]*http-equiv="Content-Security-Policy"[^>]*>', html)
    assert meta, html[:600]
    policy = re.search(r'content="([^"]*)"', meta.group(0)).group(1)
    assert policy.startswith("default-src 'none'")
    assert "img-src data:;" in policy and "style-src 'unsafe-inline'" in policy
    nonce = re.search(r"script-src 'nonce-([0-9a-f]{32})'", policy).group(1)
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts.count(f' nonce="{nonce}"') == 1  # the template's page-height script
    assert "<script>" in html  # the injected one: present but not allowed
    again, _ = BoardPDFExporter().to_html(nb, {"metadata": {"name": "t"}})
    assert nonce not in again  # a fresh nonce per render


def test_chromium_flags_keep_the_browser_offline() -> None:
    flags = chromium._FLAGS
    assert "--proxy-server=http://127.0.0.1:9" in flags
    assert "--proxy-bypass-list=<-loopback>" in flags  # loopback goes to the dead proxy too
    assert "--host-resolver-rules=MAP * ~NOTFOUND" in flags
    assert not any(f.startswith(("--allow-file-access", "--disable-web-security")) for f in flags)


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        type(self).hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"SERVER-CANARY")

    def log_message(self, *args: object) -> None:
        pass


@needs_chromium
def test_printed_page_fetches_nothing_and_runs_no_injected_script(tmp_path: Path) -> None:
    """The second wall alone: raw hostile HTML in an output (as if an escape were missed)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    canary = tmp_path / "secret.txt"
    canary.write_text("FILE-CANARY", encoding="utf-8")
    payload = (
        f'<p>VISIBLE</p><iframe src="{canary.as_uri()}"></iframe>'
        f'<iframe src="http://127.0.0.1:{port}/frame"></iframe><img src="http://127.0.0.1:{port}/img">'
        f'<img src="http://localhost:{port}/host"><link rel="stylesheet" href="http://127.0.0.1:{port}/css">'
        f'<object data="{canary.as_uri()}"></object>'
        '<script>document.write("SCRIPT-CANARY")</script><img src=x onerror="document.write(\'ONERROR\')">'
    )
    nb = new_notebook(cells=[new_code_cell("x", outputs=[new_output("display_data", data={"text/html": payload})])])
    try:
        pdf, _ = BoardPDFExporter(footer=False).from_notebook_node(nb, {"metadata": {"name": "t"}})
    finally:
        server.shutdown()
    out = tmp_path / "t.pdf"
    out.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "VISIBLE" in text
    for canary_text in ("FILE-CANARY", "SERVER-CANARY", "SCRIPT-CANARY", "ONERROR"):
        assert canary_text not in text
    assert _Recorder.hits == []


def test_md_text_is_literal_inside_markdown_tables() -> None:
    from nbconvert.filters.markdown import markdown2html

    from reportlib.deck import portfolio_charts as pc

    runs = pd.DataFrame(
        {
            "status": ["failed"],
            "company": [HOSTILE],
            "segment": [""],
            "reason": ["a|b ![i](http://127.0.0.1:9/i.png) [x](javascript:alert(1))"],
        }
    )
    companies = pd.DataFrame(
        {"name": [HOSTILE], "stage": ["seed"], "gtm": [HOSTILE], "behind": [True], "behind_reasons": [HOSTILE]}
    )
    for md in (pc.failures_markdown(runs), pc.behind_markdown(companies)):
        html = markdown2html(md)
        _no_markup(html)
        assert "<a " not in html and 'src="http' not in html
    # one row, three cells: the '|' in the reason did not split the cell
    assert markdown2html(pc.failures_markdown(runs)).count("<td") == 3


def test_md_text_shows_quotes_and_ampersands_as_written() -> None:
    """A failed pack's reason reads as its sentence: ``'``, ``"`` and ``&`` are printed as
    themselves, not as the entity text ``&#x27;`` (their escape and Markdown's used to stack)."""
    import html as html_lib

    from nbconvert.filters.markdown import markdown2html

    from reportlib.deck import portfolio_charts as pc

    reason = "column 'MRR': a credit belongs in the month's lower MRR, not a \"negative\" row (P&L <1>)"
    runs = pd.DataFrame({"status": ["failed"], "company": ["O'Brien & Co"], "segment": [""], "reason": [reason]})
    rendered = markdown2html(pc.failures_markdown(runs))
    text = html_lib.unescape(re.sub(r"<[^>]+>", "", rendered))
    assert reason in text and "O'Brien & Co" in text
    assert "&#x27;" not in text and "&amp;" not in text and "<1>" not in rendered


def test_safe_path_follows_links_and_refuses_those_that_leave(tmp_path: Path) -> None:
    from reportlib.inputs.config import safe_path

    company, other = tmp_path / "acme", tmp_path / "other"
    company.mkdir()
    other.mkdir()
    (other / "commentary.md").write_text("# Summary\n\nConfidential\n", encoding="utf-8")
    (company / "raw.csv").write_text("x\n", encoding="utf-8")
    (company / "inside.csv").symlink_to("raw.csv")
    (company / "commentary.md").symlink_to(other / "commentary.md")
    (company / "root").symlink_to("/")
    (company / "a").symlink_to("b")
    (company / "b").symlink_to("a")
    assert safe_path(company, "inside.csv") == (company / "inside.csv", None)
    assert safe_path(company, "not-yet-there.csv")[1] is None
    for relative, words in (
        ("commentary.md", "outside the company folder"),
        ("root/etc/passwd", "symbolic link to /etc/passwd"),
        ("a", "loop"),
    ):
        problem = safe_path(company, relative)[1]
        assert problem is not None and problem.file == relative and words in problem.message
    # the deck never reads a commentary linked from elsewhere, even if validation was skipped
    assert commentary_blocks(company) == {}
    (company / "commentary.md").unlink()
    (company / "commentary.md").write_text("# Summary\n\nOwn words\n", encoding="utf-8")
    assert commentary_blocks(company) == {"highlights": "Own words"}


@pytest.mark.parametrize(
    "code, words",
    [
        (errno.ENOSPC, "the disk is full while writing /o/kpis.csv. Free some space"),
        (errno.EROFS, "cannot write /o/kpis.csv: the file system is read-only"),
        (errno.EACCES, "permission denied for /o/kpis.csv"),
        (errno.ENAMETOOLONG, "a file name is too long for the file system: /o/kpis.csv"),
        (errno.EIO, "Input/output error: /o/kpis.csv."),
    ],
)
def test_cli_turns_os_errors_into_sentences(
    code: int, words: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise OSError(code, os.strerror(code), "/o/kpis.csv")

    monkeypatch.setattr(cli, "_validate_one", fail)  # what `validate` calls
    assert cli.main(["validate", "anywhere"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and words in err and "Traceback" not in err


# ---------------------------------------------------------------------------------------
# CSV files a spreadsheet opens: a text starting with = + - @ tab CR is not a formula
# ---------------------------------------------------------------------------------------
HYPERLINK = '=HYPERLINK("http://x","y")'


def _formula_company(folder: Path) -> Path:
    """tiny_company with its segments renamed as a hostile export would name them:
    SMB (A at 100 a month, C new in 2026-02 at 50, 80 in 2026-03) is '=HYPERLINK(...)',
    Enterprise (B at 200, last month 2026-01) is '-2+3'."""
    tiny_company(folder)
    mrr = pd.read_csv(folder / "mrr.csv")
    mrr["segment"] = mrr["segment"].map({"SMB": HYPERLINK, "Enterprise": "-2+3"})
    mrr.to_csv(folder / "mrr.csv", index=False)
    return folder


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_table_csvs_write_formula_text_as_text_and_numbers_as_numbers(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from reportlib.kpis import write_kpis

    result = compute_kpis(_formula_company(tmp_path / "co"), as_of="2026-03")
    out = write_kpis(result, tmp_path / "out")
    lines = (out / "tables" / "breakdowns.csv").read_text(encoding="utf-8").splitlines()
    arr = {line.split(",arr,")[0] for line in lines if ",arr,ARR," in line}
    # ARR in 2026-03 by segment: '=HYPERLINK' A 100 + C 80 = 180 a month, x12 = 2160;
    # '-2+3' B churned after 2026-01: 0. The texts gain a leading ' (Excel shows them as
    # text, never runs them); the numbers are written as they were.
    assert 'segment,"\'=HYPERLINK(""http://x"",""y"")"' in arr and "segment,'-2+3" in arr, lines
    assert any(
        line.startswith("segment,\"'=HYPERLINK") and line.endswith(",arr,ARR,currency,2160.0,") for line in lines
    )
    # a negative number stays a number: net new ARR of '-2+3' is 0 - 200 x 12 = -2400
    assert any(line.startswith("segment,'-2+3,net_new_arr,") and ",-2400.0," in line for line in lines), lines
    for cells in csv.reader(lines):  # no cell a spreadsheet would run is left
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(c)], cells
    # the package reads its own file back as it was
    from reportlib._csvfiles import read_csv

    back = read_csv(out / "tables" / "breakdowns.csv")
    assert set(back.query("dimension == 'segment'")["segment"]) == {HYPERLINK, "-2+3"}
    # kpis.xlsx holds the same text as a text cell, not a formula
    sheet = load_workbook(out / "kpis.xlsx")["breakdowns"]
    cells = [c for row in sheet.iter_rows() for c in row if c.value == HYPERLINK]
    assert cells and all(c.data_type == "s" for c in cells)


# ---------------------------------------------------------------------------------------
# the terminal: a company's text is printed as text, never as a terminal command
# ---------------------------------------------------------------------------------------
#: Set the terminal's title (OSC 0, which click does not strip even when piped), then show
#: the rest of the line right to left, then a carriage return that would print over the line.
TERMINAL = "Acme\x1b]0;pwned\x07 \u202eevil\r0 errors"


def test_validate_and_inspect_print_control_characters_as_escapes(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    folder = tiny_company(tmp_path / "co")
    toml = (folder / "company.toml").read_text(encoding="utf-8")
    # TOML's \u001b, \u0007, \u202e, \r: the name holds the raw control characters
    (folder / "company.toml").write_text(
        toml.replace('name = "Tiny"', 'name = "Acme\\u001b]0;pwned\\u0007 \\u202eevil\\r0 errors"'), encoding="utf-8"
    )
    mrr = pd.read_csv(folder / "mrr.csv")
    (folder / "export.csv").write_text(
        mrr.rename(columns={"segment": "seg\x1b]0;pwned\x07"}).to_csv(index=False), encoding="utf-8"
    )
    assert cli.main(["validate", str(folder)]) == 0
    assert cli.main(["inspect", str(folder / "export.csv")]) == 0
    out = capsys.readouterr().out
    for raw in ("\x1b", "\x07", "\u202e", "\r"):
        assert raw not in out, repr(raw)
    # each character shown as its Python escape, the rest of the text as it was
    assert "Checked Acme\\x1b]0;pwned\\x07 \\u202eevil\\x0d0 errors (" in out
    assert "seg\\x1b]0;pwned\\x07" in out


@needs_chromium
def test_a_500_character_name_wraps_inside_the_page(tmp_path: Path) -> None:
    """A company or segment name with no space to break at (500 x "X") is a title and a
    paragraph: it wraps at the page's edge instead of running off it."""
    import pdfplumber

    name = "X" * 500
    html = f"<h1>{name}</h1><p>Company: {name}</p>"
    nb = new_notebook(cells=[new_code_cell("x", outputs=[new_output("display_data", data={"text/html": html})])])
    pdf, _ = BoardPDFExporter(footer=False).from_notebook_node(nb, {"metadata": {"name": "t"}})
    (tmp_path / "t.pdf").write_bytes(pdf)
    with pdfplumber.open(tmp_path / "t.pdf") as doc:
        chars = [(c, page.width) for page in doc.pages for page_chars in [page.chars] for c in page_chars]
    # all 1,000 X's are printed (none lost), and each lies inside its page
    assert sum(c["text"] == "X" for c, _ in chars) == 1000
    assert all(0 <= c["x0"] and c["x1"] <= width for c, width in chars), max(c["x1"] for c, _ in chars)


@needs_chromium
def test_a_right_to_left_override_in_a_name_does_not_reverse_the_page(tmp_path: Path) -> None:
    """A company named "Acme" + U+202E (right-to-left override) would print the rest of its
    line backwards: the kicker "Acme · Aug 2026 – Oct 2026" as "Acme · 6202 tcO – 6202 guA".
    The override is left out of what goes to Chromium, in the page and in its chart text."""
    import pdfplumber

    name = "Acme\u202e"
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" width="300" height="40"><text x="5" y="20">{name} Q3 2026</text></svg>'
    html = f"<p>{_html.esc(name)} · Aug 2026 – Oct 2026</p>{svg}"
    nb = new_notebook(cells=[new_code_cell("x", outputs=[new_output("display_data", data={"text/html": html})])])
    pdf, _ = BoardPDFExporter(footer=False).from_notebook_node(nb, {"metadata": {"name": "t"}})
    (tmp_path / "t.pdf").write_bytes(pdf)
    with pdfplumber.open(tmp_path / "t.pdf") as doc:
        text = "\n".join(page.extract_text() for page in doc.pages)
    assert "Acme · Aug 2026 – Oct 2026" in text and "Acme Q3 2026" in text, text
    assert "6202" not in text


def test_only_the_overrides_embeddings_and_isolates_are_left_out_of_a_page() -> None:
    # U+202A-202E and U+2066-2069 reorder what follows them; the marks LRM (U+200E) and
    # RLM (U+200F) reorder nothing and stay for right-to-left names
    from reportlib.render.export import printable

    assert printable("a\u202ab\u202bc\u202cd\u202de\u202ef\u2066g\u2067h\u2068i\u2069j") == "abcdefghij"
    assert printable("\u05e9\u05dc\u05d5\u05dd\u200f Ltd\u200e") == "\u05e9\u05dc\u05d5\u05dd\u200f Ltd\u200e"


def test_a_csv_column_of_blanks_reads_back_as_text(tmp_path: Path) -> None:
    # a fingerprint's "until" column is blank on every row: read back, it is still a text
    # column (str), so a text fill works; mapped alone it came back as float64
    from reportlib._csvfiles import read_csv, write_csv

    path = tmp_path / "t.csv"
    write_csv(pd.DataFrame({"id": ["=1+1", "c2"], "until": [None, None]}), path)
    found = read_csv(path, dtype={"id": str, "until": str})
    assert found["id"].tolist() == ["=1+1", "c2"]
    assert not pd.api.types.is_float_dtype(found["until"])
    assert found["until"].fillna("").tolist() == ["", ""]
