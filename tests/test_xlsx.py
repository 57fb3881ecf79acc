"""The calamine reading of an XLSX sheet gives openpyxl's cells exactly, or steps aside."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from reportlib.inputs import _xlsx

FIXTURES = Path(__file__).parent / "fixtures"
DATA = Path(__file__).resolve().parent.parent / "data"

#: Values of every kind an export holds, each written under every number format below.
TEXTS_AND_DATES = [
    "  Acme ",
    "Acme\tCorp",
    "a\nb",
    "€ 1.234,50",
    "#N/A text",
    "",
    True,
    False,
    None,
    1,
    1060,
    45000.25,
    45000.123456789,
    2_958_465,
    dt.datetime(2024, 1, 31),
    dt.datetime(2024, 1, 31, 13, 45, 12, 345678),
    dt.datetime(1900, 1, 30),
    dt.date(2024, 2, 29),
]
#: Under a number format, also numbers no date has: below 1 (a time of day), negative, huge.
VALUES = [*TEXTS_AND_DATES, 0, 7, -3, 0.1, 0.5, -2.75, 1.5e-7, 123456789012345]


def _openpyxl_cells(data, sheet: str) -> list[list]:
    data.seek(0)
    book = openpyxl.load_workbook(data, read_only=True, data_only=True)
    try:
        return [list(r) for r in book[sheet].iter_rows(values_only=True)]
    finally:
        book.close()


def _fast(data, sheet: str | None = None):
    data.seek(0)
    return _xlsx.sheet_cells(data, sheet, lambda names, s: s or names[0])


def _book(number_formats: list[str | int], values: list) -> io.BytesIO:
    """One row per value, one column per number format (custom code or built-in id)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Data"
    sheet.append(["value", *[str(f) for f in number_formats]])
    for value in values:
        sheet.append([str(value), *[value] * len(number_formats)])
        for column, number_format in enumerate(number_formats, start=2):
            cell = sheet.cell(sheet.max_row, column)
            cell.number_format = (
                openpyxl.styles.numbers.BUILTIN_FORMATS[number_format]
                if isinstance(number_format, int)
                else number_format
            )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer


def _same(fast: list[list], slow: list[list]) -> bool:
    """Cell for cell the same value and type; text of spaces only may read as blank (the reader
    treats both as blank)."""

    def equal(a, b) -> bool:
        if isinstance(b, str) and not b.strip():
            return a is None or a == b
        return type(a) is type(b) and a == b

    return len(fast) == len(slow) and all(
        len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b, strict=True))
        for a, b in zip(fast, slow, strict=True)
    )


def _is_date(number_format: str | int) -> bool:
    return number_format in _xlsx._DATE_BUILTIN or any(c in str(number_format).lower() for c in "ymd")


@pytest.mark.parametrize("dates", [False, True], ids=["numbers", "dates"])
def test_every_format_read_as_openpyxl_reads_it(dates):
    formats = [f for f in [*sorted(_xlsx.SAME_FORMATS), *sorted(_xlsx._SAME_BUILTIN)] if _is_date(f) == dates]
    data = _book(formats, TEXTS_AND_DATES if dates else VALUES)
    fast = _fast(data, "Data")
    assert fast is not None
    assert fast[0] == "Data"
    assert _same(fast[1], _openpyxl_cells(data, "Data"))


@pytest.mark.parametrize("value", [0.5, -3, 2_958_466], ids=["time-of-day", "negative", "after-9999"])
def test_a_number_no_date_has_under_a_date_format_is_left_to_openpyxl(value):
    """openpyxl reads them as a time, a date before 1900 and #VALUE!; calamine otherwise."""
    assert _fast(_book(["yyyy-mm-dd"], [value])) is None


@pytest.mark.parametrize(
    "path",
    [
        DATA / "loopwise" / "mrr_export.xlsx",
        DATA / "meridian" / "financials.xlsx",
        FIXTURES / "inputs" / "xlsx-wide" / "billing.xlsx",
        FIXTURES / "sources" / "xero_pnl" / "Brightwave_Software_Ltd_-_Profit_and_Loss.xlsx",
    ],
    ids=lambda p: p.parent.name,
)
def test_exports_read_as_openpyxl_reads_them(path):
    """Read alike by calamine (meridian's cash balances pass 2,958,465, the last date serial,
    beside a date column: number cells, read by calamine too)."""
    if not path.exists():
        pytest.skip("demo data not generated")
    data = io.BytesIO(path.read_bytes())
    for sheet in openpyxl.load_workbook(data, read_only=True).sheetnames:
        fast = _fast(data, sheet)
        assert fast is not None and _same(fast[1], _openpyxl_cells(data, sheet)), sheet


def _one_cell_book(value, number_format: str = "General", formula: str | None = None) -> io.BytesIO:
    book = openpyxl.Workbook()
    book.active.append(["a", "b"])
    book.active.append([1, value])
    book.active["B2"].number_format = number_format
    if formula:
        book.active["A3"] = formula
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer


@pytest.mark.parametrize(
    "book",
    [
        _one_cell_book(0.5, "h:mm"),  # a time format: not checked alike
        _one_cell_book(5, "0.000E+00"),  # a number format outside the list
        _one_cell_book(1, formula="=A2+1"),  # formulas: openpyxl checks their cached values
        _one_cell_book(2**53 + 2),  # a whole number calamine may have rounded
    ],
    ids=["time", "scientific", "formula", "beyond-2**53"],
)
def test_a_sheet_it_may_read_differently_is_left_to_openpyxl(book):
    assert _fast(book) is None


def test_a_whole_number_written_with_a_point_is_left_to_openpyxl():
    """openpyxl reads <v>5.0</v> as the float 5.0, calamine as 5.0 made 5: not told apart."""
    out = _rewritten(_one_cell_book(5), b"<v>5</v>", b"<v>5.0</v>")
    assert _openpyxl_cells(out, "Sheet")[1][1] == 5.0
    assert _fast(out) is None


def _rewritten(book: io.BytesIO, old: bytes, new: bytes) -> io.BytesIO:
    """``book`` with ``old`` replaced by ``new`` in its sheet's XML (what another writer saves)."""
    book.seek(0)
    out = io.BytesIO()
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item, data.replace(old, new) if item.filename == "xl/worksheets/sheet1.xml" else data)
    return out


def test_millions_beside_a_date_column_are_read_by_calamine():
    """A number past the last date serial in a number cell is read alike; in a date cell
    (here written with an exponent, 2,958,466.5) openpyxl reads #VALUE!: left to it."""
    book = openpyxl.Workbook()
    book.active.append(["month", "cash"])
    book.active.append([dt.datetime(2024, 1, 1), 34_326_231.56])
    book.active.append([dt.datetime(2024, 2, 1), 12_000_000])
    buffer = io.BytesIO()
    book.save(buffer)
    fast = _fast(buffer)
    assert fast is not None and _same(fast[1], _openpyxl_cells(buffer, "Sheet"))
    serial = str((dt.datetime(2024, 1, 1) - dt.datetime(1899, 12, 30)).days).encode()  # 45292
    dated_past_9999 = _rewritten(buffer, b"<v>" + serial + b"</v>", b"<v>2.9584665E+6</v>")
    with pytest.warns(UserWarning, match="outside the limits for dates"):
        assert _openpyxl_cells(dated_past_9999, "Sheet")[1][0] == "#VALUE!"
    assert _fast(dated_past_9999) is None


def test_not_a_workbook_is_left_to_openpyxl():
    assert _fast(io.BytesIO(b"customer_id,month,mrr\n")) is None


def test_an_empty_text_cell_is_left_to_openpyxl():
    """openpyxl reads an empty text cell as "", a blank one as None; calamine reads "" for
    both. Inline (another writer's ``<is><t/></is>``) or shared, the sheet is left to openpyxl."""
    book = _one_cell_book(7)
    inline = _rewritten(book, b'<c r="B2" t="n"><v>7</v></c>', b'<c r="B2" t="inlineStr"><is><t></t></is></c>')
    assert _openpyxl_cells(inline, "Sheet")[1] == [1, ""]
    assert _fast(inline) is None

    shared = _with_shared_strings(
        _rewritten(book, b'<c r="B2" t="n"><v>7</v></c>', b'<c r="B2" t="s"><v>1</v></c>'), [b"kept", b""]
    )
    assert _openpyxl_cells(shared, "Sheet")[1] == [1, ""]
    assert _fast(shared) is None
    readable = _with_shared_strings(
        _rewritten(book, b'<c r="B2" t="n"><v>7</v></c>', b'<c r="B2" t="s"><v>0</v></c>'), [b"kept"]
    )
    fast = _fast(readable)
    assert fast is not None and fast[1] == _openpyxl_cells(readable, "Sheet") == [["a", "b"], [1, "kept"]]


def _with_shared_strings(book: io.BytesIO, strings: list[bytes]) -> io.BytesIO:
    """``book`` with a shared strings part holding ``strings`` (as Excel saves text)."""
    sst = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + b"".join(b"<si><t>" + s + b"</t></si>" for s in strings)
        + b"</sst>"
    )
    kind = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
    book.seek(0)
    out = io.BytesIO()
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            elif item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdS" Type="' + kind + b'" Target="sharedStrings.xml"/></Relationships>',
                )
            dst.writestr(item, data)
        dst.writestr("xl/sharedStrings.xml", sst)
    return out
