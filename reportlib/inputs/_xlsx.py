"""One XLSX sheet's cells read by calamine (Rust), as openpyxl's read-only reader gives them.

openpyxl parses a sheet's XML cell by cell in Python: 0.3-0.5 s for a 1,200 x 27 MRR
export, most of what validating such a company takes. calamine reads it in a few
milliseconds. Their values differ only in kind, and :func:`sheet_cells` maps them back
to openpyxl's: a blank cell is None (calamine: ""), a date without a time is a datetime at
midnight (calamine: a date), a whole number is an int (openpyxl reads ``<v>5</v>`` as 5).

A sheet whose reading could differ in any other way is left to openpyxl (the function
returns None): formulas (their cached values are checked by openpyxl), error cells,
ISO-date cells, an empty text cell (openpyxl: "", calamine: "" as for a blank cell), the
1904 date system, sheets other than worksheets, a missing or too small
``<dimension>``, rows without their number, a number written with a point or an exponent
whose value is whole (openpyxl: a float), a whole number of 2**53 or more (calamine reads
it as a float), a time of day or a negative number under a date format, a date-formatted
number past 9999-12-31 (openpyxl: #VALUE!), and number formats outside
:data:`SAME_FORMATS`, those both readers are checked to turn into the same values
(tests/test_xlsx.py).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any
from xml.etree import ElementTree

import python_calamine

#: Built-in number formats (by id) read the same by both: numbers, percentages, and dates
#: without a time of day or with one (mm-dd-yy, d-mmm-yy, d-mmm, mmm-yy, m/d/yy h:mm).
_SAME_BUILTIN = frozenset({0, 1, 2, 3, 4, 9, 10, 14, 15, 16, 17, 22, 37, 38, 39, 40})
#: Custom number formats read the same by both (what pandas, Excel and the usual exports write).
SAME_FORMATS = frozenset(
    {
        "General",
        "0",
        "0.0",
        "0.00",
        "#,##0",
        "#,##0.0",
        "#,##0.00",
        "#,##0;(#,##0)",
        "#,##0.00;(#,##0.00)",
        "#,##0;[Red]-#,##0",
        "#,##0.00;[Red]-#,##0.00",
        "0%",
        "0.0%",
        "0.00%",
        '"$"#,##0',
        '"$"#,##0.00',
        "yyyy-mm-dd",
        "YYYY-MM-DD",
        "yyyy-mm-dd h:mm:ss",
        "yyyy-mm-dd hh:mm:ss",
        "YYYY-MM-DD HH:MM:SS",
        "dd/mm/yyyy",
        "mm/dd/yyyy",
        "d/m/yyyy",
        "m/d/yyyy",
        "dd.mm.yyyy",
        "dd/mm/yyyy hh:mm",
        "mmm yyyy",
        "mmm-yy",
        "mmm yy",
        "dd-mmm-yy",
        "d-mmm-yy",
        "dd mmm yyyy",
    }
)
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_WORKSHEET = _REL + "/worksheet"
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s/>]")
_ODD_CELL = re.compile(rb"""t=["'][ed]["']""")  # an error or an ISO-date cell
_DIMENSION = re.compile(rb"""<(?:\w+:)?dimension\s+ref=["']([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?["']""")
_ROW = re.compile(rb"<(?:\w+:)?row[\s>/]")
_ROW_NUMBER = re.compile(rb"""<(?:\w+:)?row\s[^>]*?\br=["'](\d+)["']""")
_LONG_NUMBER = re.compile(rb"<(?:\w+:)?v>(\d[^<]{6,})<")  # 7 characters or more: 2958466, 3.1E+6
_STYLE = re.compile(rb"""\ss=["'](\d+)["']""")
_TYPE = re.compile(rb"""\st=["'](?!n["'])""")  # a cell of text, a boolean...: not a number
_POINT_NUMBER = re.compile(rb"<(?:\w+:)?v>([^<.eE]*[.eE][^<]*)<")
#: A text element with no text: an empty text cell (openpyxl reads "", calamine "" as for a
#: blank cell, which openpyxl reads as None).
_EMPTY_TEXT = re.compile(rb"<(?:\w+:)?t(?:\s[^>]*)?(?:/>|></(?:\w+:)?t>)")
_SHARED_STRINGS = "xl/sharedStrings.xml"
_EXACT = 2**53
_LAST_DATE = 2_958_465  # 9999-12-31
_DATE_BUILTIN = frozenset({14, 15, 16, 17, 22})
_MIDNIGHT = dt.time()


def sheet_cells(data: Any, sheet: str | None, pick_sheet) -> tuple[str, list[list[Any]]] | None:
    """The chosen sheet's name and its rows of cells from A1 as openpyxl's read-only,
    data-only ``iter_rows(values_only=True)`` gives them (as lists), or None when the sheet
    is left to openpyxl (see the module docstring). ``pick_sheet(names, sheet)`` chooses
    the sheet among the workbook's names (raising the reader's error for a wrong one)."""
    try:
        archive = zipfile.ZipFile(data)
    except Exception:  # noqa: BLE001 -- not a workbook, or a broken one: openpyxl reports it
        return None
    with archive:  # opened once: the workbook's parts, then the chosen sheet's
        book = _plain_book(archive)
        if book is None:
            return None
        sheets, dates = book
        name = pick_sheet(list(sheets), sheet)
        try:
            cells = _sheet(data, archive, name, sheets[name], dates)
        except Exception:  # noqa: BLE001 -- anything unforeseen: openpyxl reads it (and says what is wrong)
            return None
    return None if cells is None else (name, cells)


def _plain_book(archive: zipfile.ZipFile) -> tuple[dict[str, str], set[int]] | None:
    """The workbook's sheets (name -> XML part, in order) and date styles, when the workbook
    is plain: worksheets only, the 1900 date system, number formats read alike."""
    try:
        book = archive.read("xl/workbook.xml")
        dates = _date_styles(archive)
        if b"date1904" in book or dates is None:
            return None
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        listed = list(ElementTree.fromstring(book).iter(f"{{{_MAIN}}}sheet"))
    except Exception:  # noqa: BLE001 -- a broken workbook: openpyxl reports it
        return None
    targets = {r.get("Id"): (r.get("Type"), r.get("Target", "")) for r in rels.iter(f"{{{_PACKAGE_REL}}}Relationship")}
    sheets = {}
    for element in listed:
        kind, target = targets.get(element.get(f"{{{_REL}}}id"), ("", ""))
        if kind != _WORKSHEET or element.get("name", "") in sheets:
            return None
        sheets[element.get("name", "")] = (
            target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        )
    return (sheets, dates) if sheets else None


def _sheet(data: Any, archive: zipfile.ZipFile, name: str, part: str, dates: set[int]) -> list[list[Any]] | None:
    """The sheet's cells read by calamine as openpyxl's, or None (see :func:`sheet_cells`)."""
    xml = archive.read(part)
    texts = archive.read(_SHARED_STRINGS) if _SHARED_STRINGS in archive.namelist() else b""
    shape = _shape(xml)
    if shape is None or _dated_past_9999(xml, dates) or _EMPTY_TEXT.search(xml) or _EMPTY_TEXT.search(texts):
        return None
    if isinstance(data, io.IOBase):
        data.seek(0)
    with _open(data) as book:
        values = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    return _as_openpyxl(values, *shape)


def _open(data: Any) -> python_calamine.CalamineWorkbook:
    if isinstance(data, (str, Path)):
        return python_calamine.CalamineWorkbook.from_path(str(data))
    return python_calamine.CalamineWorkbook.from_filelike(data)


def _date_styles(archive: zipfile.ZipFile) -> set[int] | None:
    """The cell styles (their index) that format dates; None when a style's number format
    is not one both readers read alike."""
    try:
        styles = ElementTree.fromstring(archive.read("xl/styles.xml"))
    except KeyError:
        return set()
    custom = {f.get("numFmtId"): f.get("formatCode") for f in styles.iter(f"{{{_MAIN}}}numFmt")}
    xfs = styles.find(f"{{{_MAIN}}}cellXfs")
    dates = set()
    for index, xf in enumerate(xfs if xfs is not None else ()):
        number_format = xf.get("numFmtId", "0")
        if number_format in custom:
            if custom[number_format] not in SAME_FORMATS:
                return None
            if any(c in custom[number_format].lower() for c in "ymd"):
                dates.add(index)
        elif not number_format.isdigit() or int(number_format) not in _SAME_BUILTIN:
            return None
        elif int(number_format) in _DATE_BUILTIN:
            dates.add(index)
    return dates


def _dated_past_9999(xml: bytes, dates: set[int]) -> bool:
    """Whether a cell of a date style holds a number past 9999-12-31 (a serial of 7 digits or
    more): openpyxl reads it as #VALUE!, calamine as the number. Amounts of millions in
    number cells beside a date column are not such cells."""
    if not dates:
        return False
    for found in _LONG_NUMBER.finditer(xml):
        try:
            if float(found.group(1)) <= _LAST_DATE:
                continue
        except ValueError:
            continue
        cell = xml[xml.rfind(b"<", 0, found.start()) : found.start()]  # the <c ...> tag before <v>
        style = _STYLE.search(cell)
        if _TYPE.search(cell) is None and int(style.group(1) if style else 0) in dates:
            return True
    return False


def _shape(xml: bytes) -> tuple[int, int] | None:
    """(rows, columns) openpyxl yields for the sheet, or None when it is not plain."""
    if _FORMULA.search(xml) or _ODD_CELL.search(xml):
        return None
    if any(float(v).is_integer() for v in _POINT_NUMBER.findall(xml)):
        return None
    dimension = _DIMENSION.search(xml)
    numbers = _ROW_NUMBER.findall(xml)
    if dimension is None or len(numbers) != len(_ROW.findall(xml)):
        return None
    last_column, last_row = dimension.group(3) or dimension.group(1), dimension.group(4) or dimension.group(2)
    # openpyxl stops at the dimension's last row, or at the last row element before it
    rows = min(int(last_row), max((int(n) for n in numbers), default=0))
    return rows, _column_number(last_column.decode())


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _as_openpyxl(values: list[list[Any]], rows: int, width: int) -> list[list[Any]] | None:
    """calamine's rows as openpyxl's: ``rows`` rows of ``width`` cells; None when calamine
    holds a value outside them or one openpyxl may read otherwise: a whole number it may
    have rounded (2**53 or more), a time of day (calamine: also a negative date)."""
    if len(values) > rows or (values and len(values[0]) > width):
        return None
    out = []
    pad = [None] * (width - len(values[0])) if values else []
    for row in values:
        kinds = set(map(type, row))
        if dt.time in kinds or float in kinds and any(type(v) is float and abs(v) >= _EXACT for v in row):
            return None
        cells = [
            int(v) if type(v) is float and v.is_integer() else None if v == "" and type(v) is str else v for v in row
        ]
        if dt.date in kinds:
            cells = [dt.datetime.combine(v, _MIDNIGHT) if type(v) is dt.date else v for v in cells]
        out.append(cells + pad)
    out += [[None] * width for _ in range(rows - len(values))]
    return out
