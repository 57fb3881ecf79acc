"""Join section PDFs into one deck: bookmarks per section, footer and page numbers.

The footer is stamped here rather than printed by Chromium so that page numbers run
over the whole deck ("page 7 / 23"), not per section. The stamp is a few PDF text
operators in Helvetica (one of the 14 standard fonts every viewer has), so no font
file or PDF library beyond pypdf is needed.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from reportlib.exceptions import ExportError

# Helvetica advance widths (1/1000 em) for ASCII 32..126, from the standard AFM; used to
# right-align the footer. Anything else counts as 556 (an average glyph).
_HELVETICA = [
    278,
    278,
    355,
    556,
    556,
    889,
    667,
    191,
    333,
    333,
    389,
    584,
    278,
    333,
    278,
    278,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    278,
    278,
    584,
    584,
    584,
    556,
    1015,
    667,
    667,
    722,
    722,
    667,
    611,
    778,
    722,
    278,
    500,
    667,
    556,
    833,
    722,
    778,
    667,
    778,
    722,
    667,
    611,
    722,
    667,
    944,
    667,
    667,
    611,
    278,
    278,
    278,
    469,
    556,
    333,
    556,
    556,
    500,
    556,
    556,
    278,
    556,
    556,
    222,
    222,
    500,
    222,
    833,
    556,
    556,
    556,
    556,
    333,
    500,
    278,
    556,
    500,
    722,
    500,
    500,
    500,
    334,
    260,
    334,
    584,
]
_WIDTH_OVERRIDES = {"·": 278, "–": 556, "—": 1000, "…": 1000, "é": 556, "ü": 556}
_FONT_SIZE = 8.0
_FOOTER_GREY = (0.38, 0.43, 0.49)


def _text_width(text: str, size: float) -> float:
    total = 0
    for ch in text:
        code = ord(ch)
        total += _HELVETICA[code - 32] if 32 <= code <= 126 else _WIDTH_OVERRIDES.get(ch, 556)
    return total * size / 1000.0


#: The footer's right margin, and its least left margin.
_MARGIN = 0.55 * 72


def _fitted(text: str, room: float) -> str:
    """``text``, cut with "…" to at most ``room`` points wide in the footer's font: a long
    company name shortened instead of running off the page's left edge."""
    if _text_width(text, _FONT_SIZE) <= room:
        return text
    room -= _text_width("…", _FONT_SIZE)
    used, kept = 0.0, 0
    for kept, char in enumerate(text):  # noqa: B007 - kept is the count of characters that fit
        used += _text_width(char, _FONT_SIZE)
        if used > room:
            break
    return text[:kept].rstrip() + "…"


def _pdf_string(text: str) -> bytes:
    """A PDF literal string in WinAnsi encoding (what the standard fonts use)."""
    raw = text.encode("cp1252", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _footer_overlay(width: float, height: float, text: str, margin_right: float, baseline: float):
    x = width - margin_right - _text_width(text, _FONT_SIZE)
    r, g, b = _FOOTER_GREY
    ops = (
        f"q BT /RLFooter {_FONT_SIZE:g} Tf {r} {g} {b} rg 1 0 0 1 {x:.2f} {baseline:.2f} Tm ".encode()
        + _pdf_string(text)
        + b" Tj ET Q"
    )
    overlay = PageObject.create_blank_page(width=width, height=height)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
            NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
        }
    )
    overlay[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/RLFooter"): font})}
    )
    stream = DecodedStreamObject()
    stream.set_data(ops)
    overlay[NameObject("/Contents")] = stream
    return overlay


def empty_pdf() -> bytes:
    """A PDF of no pages: a section with nothing to show (:func:`assemble_pdf` skips it)."""
    buffer = io.BytesIO()
    PdfWriter().write(buffer)
    return buffer.getvalue()


def _stamp(writer: PdfWriter, stamps: Mapping[str, Path]) -> None:
    """Lay ``stamps['cover']`` over the first page and ``stamps['footer']`` over the others."""
    over = {place: PdfReader(str(path)).pages[0] for place, path in stamps.items()}
    for n, page in enumerate(writer.pages):
        stamp = over.get("cover" if n == 0 else "footer")
        if stamp is not None:
            page.merge_page(stamp)


def assemble_pdf(
    section_pdfs: Sequence[Path],
    out_pdf: Path,
    *,
    company: str,
    period: str,
    bookmarks: Sequence[str],
    footer: bool = True,
    stamps: Mapping[str, Path] | None = None,
) -> int:
    """Join section PDFs into one deck.

    Parameters
    ----------
    section_pdfs : sequence of Path
        Section PDFs in deck order; the first is the cover.
    out_pdf : Path
        Where to write the deck (written to a temporary name, then renamed).
    company, period : str
        Footer text: "company · period · page n / N" on every page but the cover.
    bookmarks : sequence of str
        One outline title per section, same length as ``section_pdfs``.
    footer : bool
        Stamp the footer (off when the sections already carry one).
    stamps : mapping, optional
        One-page PDFs laid over the pages: ``cover`` on the first, ``footer`` on the others
        (the fund's logo, :func:`reportlib.render.export.logo_stamps`).

    Returns
    -------
    int
        The number of pages.
    """
    if len(bookmarks) != len(section_pdfs):
        raise ExportError(f"{len(section_pdfs)} sections but {len(bookmarks)} bookmarks")
    writer = PdfWriter()
    starts: list[tuple[str, int]] = []
    for pdf, title in zip(section_pdfs, bookmarks, strict=True):
        reader = PdfReader(str(pdf))
        if not reader.pages:
            continue  # an empty section (e.g. its input is absent) gets neither pages nor a bookmark
        starts.append((title, len(writer.pages)))
        for page in reader.pages:
            writer.add_page(page)
    total = len(writer.pages)
    if total == 0:
        raise ExportError("no pages to assemble: every section PDF is empty")
    if footer:
        narrowest = min(float(page.mediabox.width) for page in writer.pages)
        rest = " · ".join(x for x in (period, f"page {total} / {total}") if x)
        name = _fitted(company, narrowest - 2 * _MARGIN - _text_width(" · " + rest, _FONT_SIZE))
        label = " · ".join(x for x in (name, period) if x)
        for n, page in enumerate(writer.pages, start=1):
            if n == 1 and total > 1:
                continue  # the cover carries no page number
            width, height = float(page.mediabox.width), float(page.mediabox.height)
            text = f"{label} · page {n} / {total}" if label else f"page {n} / {total}"
            page.merge_page(_footer_overlay(width, height, text, margin_right=_MARGIN, baseline=0.25 * 72))
    _stamp(writer, stamps or {})
    for title, index in starts:
        writer.add_outline_item(title=title, page_number=index)
    writer.page_mode = "/UseOutlines"
    writer.add_metadata({"/Title": f"{company} board pack, {period}".strip(", "), "/Creator": "reportlib"})
    out_pdf = Path(out_pdf)
    tmp = out_pdf.with_name(f".{out_pdf.name}.tmp")
    with open(tmp, "wb") as f:
        writer.write(f)
    os.replace(tmp, out_pdf)
    return total
