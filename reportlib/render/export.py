"""Board-deck PDF export: the ``boardpdf`` nbconvert exporter and PDF assembly.

``jupyter nbconvert --to boardpdf notebook.ipynb`` renders the notebook with the
``templates/boardpack`` template (no code, no prompts, no network) and prints it with a
headless Chromium through the DevTools protocol on landscape 16:9 pages, with a footer
"company · period · page n / N".

Inside a pack every section is printed without a footer (one shared browser, tabs in
parallel) and :func:`assemble_pdf` stamps the footer over the whole deck, so that page
numbers run from the cover to the appendix.
"""

from __future__ import annotations

import functools
import os
import re
import tempfile
import threading
import time
import tomllib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from html import escape
from pathlib import Path
from typing import Any

import nbformat
from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from traitlets import Bool, Float, Unicode, default

from reportlib.exceptions import ParameterError
from reportlib.metrics.periods import Window
from reportlib.render.assemble import assemble_pdf, empty_pdf
from reportlib.render.chromium import Chromium, find_chromium
from reportlib.resources import templates_dir

__all__ = [
    "BoardPDFExporter",
    "assemble_pdf",
    "export_pdfs",
    "find_chromium",
    "Chromium",
    "TEMPLATES_DIR",
    "logo_stamps",
    "warm_printing",
]

#: ``templates/`` at the top of the repository (DESIGN.md's layout); an installed copy
#: under ``<prefix>/share/jupyter/nbconvert/templates/boardpack`` is found by nbconvert too.
TEMPLATES_DIR = templates_dir()


class BoardPDFExporter(HTMLExporter):
    """nbconvert exporter: notebook -> landscape board-deck PDF via Chromium.

    Set :attr:`browser` to a running :class:`~reportlib.render.chromium.Chromium` to reuse one
    browser for many notebooks (the pack does); otherwise each conversion starts one.
    """

    export_from_notebook = "Board pack PDF"
    output_mimetype = "application/pdf"

    page_width = Float(13.333, help="Page width in inches (16:9 slide by default).").tag(config=True)
    page_height = Float(7.5, help="Page height in inches.").tag(config=True)
    margin_top = Float(0.45, help="Top margin in inches.").tag(config=True)
    margin_right = Float(0.55, help="Right margin in inches.").tag(config=True)
    margin_bottom = Float(0.6, help="Bottom margin in inches (holds the footer).").tag(config=True)
    margin_left = Float(0.55, help="Left margin in inches.").tag(config=True)
    footer = Bool(True, help="Print the 'company · period · page n / N' footer.").tag(config=True)
    company = Unicode("", help="Company name for the footer (default: from the papermill parameters).").tag(config=True)
    period = Unicode("", help="Period for the footer (default: from the papermill parameters).").tag(config=True)
    chromium_path = Unicode("", help="Chromium executable (default: discovered, see find_chromium).").tag(config=True)
    theme_css = Unicode("", help="CSS variables of the theme (reportlib.deck._style.Theme.css).").tag(config=True)

    browser: Chromium | None = None

    @default("file_extension")
    def _file_extension_default(self) -> str:
        return ".pdf"

    @default("template_extension")
    def _template_extension_default(self) -> str:
        return ".html.j2"  # the template is HTML even though the output is a PDF

    @default("template_name")
    def _template_name_default(self) -> str:
        return "boardpack"

    @default("extra_template_basedirs")
    def _default_extra_template_basedirs(self) -> list[str]:
        return [str(TEMPLATES_DIR)] if TEMPLATES_DIR.is_dir() else []

    @default("exclude_input")
    def _exclude_input_default(self) -> bool:
        return True

    @default("exclude_input_prompt")
    def _exclude_input_prompt_default(self) -> bool:
        return True

    @default("exclude_output_prompt")
    def _exclude_output_prompt_default(self) -> bool:
        return True

    # -- rendering ------------------------------------------------------------------------
    def _init_resources(self, resources: dict[str, Any]) -> dict[str, Any]:
        resources = super()._init_resources(resources)
        resources["boardpack"] = {
            name: getattr(self, name)
            for name in (
                "page_width",
                "page_height",
                "margin_top",
                "margin_right",
                "margin_bottom",
                "margin_left",
                "theme_css",
            )
        }
        return resources

    def to_html(self, nb: Any, resources: dict | None = None, **kw: Any) -> tuple[str, dict]:
        """The print-ready HTML (what Chromium prints).

        :meth:`HTMLExporter.from_notebook_node` without its last step, which parses the page
        again with BeautifulSoup to add alt texts and tab stops for a page read on screen:
        nothing a printed deck shows, and a parse of every chart's SVG plus the CSS-selector
        engine's start (about 0.25 s of a cold pack)."""
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        self.register_filter(
            "highlight_code", self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
        )
        resources = self._init_resources(resources)
        data_types = WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self, resources=resources)
        self.register_filter("filter_data_type", data_types)
        return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    def from_notebook_node(self, nb: Any, resources: dict | None = None, **kw: Any) -> tuple[bytes, dict]:
        html, resources = self.to_html(nb, resources, **kw)
        company, period = self._footer_labels(nb)
        pdf = self.print_html(html, company=company, period=period)
        resources["output_extension"] = ".pdf"
        return pdf, resources

    # -- printing -------------------------------------------------------------------------
    def print_options(self, company: str = "", period: str = "") -> dict[str, Any]:
        """``Page.printToPDF`` options for this exporter's page geometry and footer."""
        opts: dict[str, Any] = {
            "paperWidth": self.page_width,
            "paperHeight": self.page_height,
            "landscape": False,
            "marginTop": self.margin_top,
            "marginBottom": self.margin_bottom,
            "marginLeft": self.margin_left,
            "marginRight": self.margin_right,
            "printBackground": True,
            "preferCSSPageSize": False,
            "displayHeaderFooter": self.footer,
        }
        if self.footer:
            label = " · ".join(escape(printable(x)) for x in (company, period) if x)
            label = f"{label} · " if label else ""
            opts["headerTemplate"] = "<div></div>"
            opts["footerTemplate"] = (
                '<div style="width:100%;font-family:Liberation Sans,DejaVu Sans,Arial,sans-serif;'
                f'font-size:8px;color:#616e7c;text-align:right;padding:0 {self.margin_right}in 0.15in 0;">'
                f'{label}page <span class="pageNumber"></span> / <span class="totalPages"></span></div>'
            )
        return opts

    def print_html(self, html: str, company: str = "", period: str = "") -> bytes:
        """Print an HTML string to PDF bytes with Chromium."""
        fd, name = tempfile.mkstemp(suffix=".html", prefix="reportlib-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(printable(html))
            return self.print_file(Path(name), company, period)
        finally:
            os.unlink(name)

    def print_file(self, html: Path, company: str = "", period: str = "") -> bytes:
        """Print a local HTML file to PDF bytes with Chromium."""
        options = self.print_options(company, period)
        if self.browser is not None:
            return self.browser.print_pdf(html, options)
        with Chromium(Path(self.chromium_path) if self.chromium_path else None) as browser:
            return browser.print_pdf(html, options)

    def _footer_labels(self, nb: Any) -> tuple[str, str]:
        """Company and period for the footer: the traits, else the papermill parameters."""
        params = nb.get("metadata", {}).get("papermill", {}).get("parameters", {}) or {}
        config = _company_toml(params.get("company_dir"))
        company = self.company or _company_name(params.get("company_dir"), config)
        period = self.period
        if not period and params.get("as_of"):
            period = _period(str(params["as_of"]), str(params.get("window") or "quarter"), config)
        return company, period


#: The bidirectional embeddings, overrides and isolates (the marks LRM/RLM, which reorder
#: nothing by themselves, are kept for right-to-left names).
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` without Unicode bidirectional controls, as it goes to Chromium.

    A right-to-left override (U+202E) in a company's name or a segment value would print the
    rest of its line backwards ("Aug 2026 – Oct 2026" as "6202 tcO – 6202 guA"), inside any
    element, escaped or not, and in a chart's SVG text as well; nothing the deck writes
    itself uses them, so the whole page is cleared of them in this one place."""
    return _BIDI.sub("", text)


def _company_toml(company_dir: str | None) -> dict[str, Any]:
    """The company's company.toml as read (empty when there is none or it does not parse)."""
    if not company_dir:
        return {}
    try:
        with open(Path(company_dir) / "company.toml", "rb") as f:
            return tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def _company_name(company_dir: str | None, config: dict[str, Any]) -> str:
    """The ``[company] name`` from company.toml, or the folder name."""
    if not company_dir:
        return ""
    return str(config.get("company", {}).get("name") or Path(company_dir).name)


def _period(as_of: str, window: str, config: dict[str, Any]) -> str:
    """The label of the window the pack reports: with a fiscal year off January, a quarter
    or year window ends on the last fiscal period end on or before ``as_of`` (as the KPIs
    do), named ``FY2027 Q1``."""
    fiscal = config.get("policies", {}).get("fiscal_year_start_month", 1)
    try:
        return Window.reported(as_of, window, fiscal if isinstance(fiscal, int) and 1 <= fiscal <= 12 else 1).label
    except (ParameterError, ValueError):
        return as_of


def export_pdfs(
    notebooks: Sequence[Path], pdf_dir: Path, *, browser: Chromium | None = None, footer: bool = False, workers: int = 4
) -> list[Path]:
    """Export executed notebooks to one PDF each, printing in parallel tabs.

    Parameters
    ----------
    notebooks : sequence of Path
        Executed notebooks.
    pdf_dir : Path
        Folder for ``<stem>.pdf`` files (created).
    browser : Chromium, optional
        A running browser to reuse; one is started (and stopped) otherwise.
    footer : bool
        Print Chromium's per-document footer (off when :func:`assemble_pdf` stamps one).
    workers : int
        Tabs printed at once.

    Returns
    -------
    list of Path
        The PDFs, in the order of ``notebooks``.
    """
    pdf_dir.mkdir(parents=True, exist_ok=True)
    own = browser is None
    browser = browser or Chromium()
    try:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            return list(pool.map(lambda nb: export_one(nb, pdf_dir, browser, footer=footer), notebooks))
    finally:
        if own:
            browser.close()


def export_one(notebook: Path, pdf_dir: Path, browser: Chromium, *, footer: bool = False, theme_css: str = "") -> Path:
    """Export one executed notebook to ``pdf_dir/<stem>.pdf`` with a shared browser, in the
    theme whose CSS variables are ``theme_css`` (the default look when empty)."""
    nb = nbformat.read(str(notebook), as_version=4)
    return _export_node(nb, notebook.stem, pdf_dir, browser, footer=footer, theme_css=theme_css)


def _export_node(nb: Any, stem: str, pdf_dir: Path, browser: Chromium, *, footer: bool, theme_css: str) -> Path:
    """:func:`export_one` of a notebook already in memory, named ``stem``."""
    out = pdf_dir / f"{stem}.pdf"
    if not shows_anything(nb):  # no page at all rather than a blank one (assemble_pdf skips it)
        pdf_dir.mkdir(parents=True, exist_ok=True)
        out.write_bytes(empty_pdf())
        return out
    exporter, lock = _shared_exporter(footer, theme_css)
    with lock:  # rendering registers per-notebook filters on the exporter: one at a time
        html, _ = exporter.to_html(nb, {"metadata": {"name": stem}})
    pdf_dir.mkdir(parents=True, exist_ok=True)
    html_path = pdf_dir / f"{stem}.html"
    html_path.write_text(printable(html), encoding="utf-8")
    try:
        company, period = exporter._footer_labels(nb)
        pdf = browser.print_pdf(html_path, exporter.print_options(company, period))
    finally:
        html_path.unlink(missing_ok=True)
    out.write_bytes(pdf)
    return out


#: A chart as the deck draws them: SVG with live text (``svg.fonttype: none``), regular and bold.
_WARM_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="480" height="220" viewBox="0 0 480 220">'
    '<rect x="40" y="40" width="60" height="120" fill="#1f4e79"/><path d="M 30 160 L 460 160" stroke="#333"/>'
    '<text x="40" y="185" style="font: 12px \'DejaVu Sans\'">Q3 2026 €1.2M</text>'
    '<text x="140" y="30" style="font: bold 16px \'DejaVu Sans\'">Net revenue retention 112%</text></svg>'
)


def warm_printing(browser: Chromium, theme_css: str = "") -> float:
    """Print one representative page (a title, bold text, a table, an SVG chart) in
    ``browser`` through the pack's exporter for the look ``theme_css``, and discard it.

    A browser's first real page costs about 1 s of CPU more than the next ones (fonts,
    the PDF writer, its first renderers), and the exporter compiles its templates once per
    look (:func:`_shared_exporter`). A server that keeps a browser for the packs to come
    (``reportlib serve``) pays both here, at its start, instead of inside its first pack,
    where they compete with the kernels for the cores. Returns the seconds it took.
    """
    start = time.perf_counter()
    table = "<table><thead><tr><th>KPI</th><th>Value</th></tr></thead><tbody><tr><td>NRR</td><td>112%</td></tr></tbody></table>"
    outputs = [
        new_output("display_data", data={"image/svg+xml": _WARM_SVG}),
        new_output("display_data", data={"text/html": table}),
    ]
    nb = new_notebook(
        cells=[
            new_markdown_cell("# A page printed to warm the browser\n\nA **bold** phrase."),
            new_code_cell("", outputs=outputs),
        ]
    )
    with tempfile.TemporaryDirectory(prefix="reportlib-warm-") as tmp:
        _export_node(nb, "warm", Path(tmp), browser, footer=False, theme_css=theme_css)
    return time.perf_counter() - start


@functools.cache
def _shared_exporter(footer: bool, theme_css: str) -> tuple[BoardPDFExporter, threading.Lock]:
    """One exporter per look, reused for every section: a new exporter compiles its ten
    Jinja templates again (0.3-0.5 s of CPU per section, beside the kernels), a reused one
    renders a section's HTML in a few hundredths of a second. Rendering is quick, so the
    tabs take turns (the lock) and print in parallel."""
    return BoardPDFExporter(footer=footer, theme_css=theme_css), threading.Lock()


def shows_anything(nb: Any) -> bool:
    """Whether an executed section notebook displays anything (a Markdown cell, a title, a
    table, a figure, printed text): a section whose inputs are all absent (a go-to-market-only
    company's revenue pages) shows nothing; its log lines on stderr do not count (the template
    hides them)."""
    return any(cell.cell_type == "markdown" and cell.source.strip() for cell in nb.cells) or any(
        output.get("output_type") in ("display_data", "execute_result")
        or (output.get("output_type") == "stream" and output.get("name") == "stdout")
        for cell in nb.cells
        for output in cell.get("outputs", [])
    )


#: Where the logo goes: on the cover top right (large), on the other pages in the footer's
#: left corner (small); inches from the page edges.
_LOGO_PLACES = {
    "cover": "top: 0.45in; right: 0.55in; height: 0.9in; max-width: 3in;",
    "footer": "bottom: 0.16in; left: 0.55in; height: 0.28in; max-width: 1.4in;",
}


def logo_stamps(
    logo_uri: str, folder: Path, browser: Chromium, page_width: float = 13.333, page_height: float = 7.5
) -> dict[str, Path]:
    """One-page PDFs holding only the logo where it goes (``cover`` and ``footer``), for
    :func:`assemble_pdf` to stamp over the deck's pages. Chromium draws PNG and SVG alike.

    Parameters
    ----------
    logo_uri : str
        The logo as a ``data:`` URI (:meth:`reportlib.deck._style.Theme.logo_data_uri`).
    folder : Path
        Where the stamps are written (created).
    browser : Chromium
        A running browser.
    """
    folder.mkdir(parents=True, exist_ok=True)
    options = {
        "paperWidth": page_width,
        "paperHeight": page_height,
        "marginTop": 0,
        "marginBottom": 0,
        "marginLeft": 0,
        "marginRight": 0,
        "printBackground": False,
        "displayHeaderFooter": False,
    }
    stamps = {}
    for place, css in _LOGO_PLACES.items():
        html = folder / f"logo_{place}.html"
        html.write_text(
            '<!doctype html><meta charset="utf-8"><style>@page { margin: 0; } html, body { margin: 0; '
            f'background: transparent; }} img {{ position: fixed; {css} }}</style><img src="{escape(logo_uri)}">',
            encoding="utf-8",
        )
        stamps[place] = folder / f"logo_{place}.pdf"
        stamps[place].write_bytes(browser.print_pdf(html, options))
        html.unlink()
    return stamps
