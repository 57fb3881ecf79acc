"""Excel workbooks for pasting into the fund's model: ``kpis.xlsx`` and ``portfolio_kpis.xlsx``.

Written as SpreadsheetML directly (see :func:`write_workbook`). Values are the very numbers of
the CSV files (ratios as fractions, never rounded in the cell), a blank an empty cell; each
cell shows its unit through its number format (:func:`table_formats`, the formats of
:mod:`reportlib.format`): money with the currency's code, ratios as percentages, a ratio's
change in points ("+1.2% pts", the cell holding 0.012). Each sheet has a bold, frozen header
row and columns wide enough to read.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from reportlib import format as F
from reportlib.metrics.periods import period_text
from reportlib.registry import ROW_UNITS, RowUnits, column_unit, row_unit

__all__ = ["FILE_MODE", "table_formats", "write_workbook", "atomic_write"]

#: Files of a pack are readable by others (DESIGN.md, "Outputs").
FILE_MODE = 0o644
_SHEET_CHARS = str.maketrans({c: "_" for c in "[]:*?/\\"})


def table_formats(table: str, frame: pd.DataFrame, currency: str) -> dict[str, list[str]]:
    """Per-row Excel formats of a table's sheet, for :func:`write_workbook`: each column in
    its unit (:func:`reportlib.registry.column_unit`), and the columns whose unit is each
    row's (:data:`reportlib.registry.ROW_UNITS`) in that row's, differences signed."""
    formats = {}
    for column in frame.columns:
        unit = column_unit(table, str(column))
        if unit is not None:
            formats[column] = [F.excel_format(unit, currency)] * len(frame)
    rows = ROW_UNITS.get(table)
    if rows is None or rows.by not in frame.columns:
        return formats
    units = [row_unit(u) for u in frame[rows.by]]
    for column in (c for c in rows.differences if c in frame.columns):
        formats[column] = [F.excel_difference_format(u, currency) for u in units]
    for column in _row_unit_columns(rows, frame, formats):
        formats[column] = [F.excel_format(u, currency) for u in units]
    return formats


def _row_unit_columns(rows: RowUnits, frame: pd.DataFrame, formatted: Mapping[str, Any]) -> list[str]:
    """The columns of ``frame`` in each row's unit: those named, or with ``"*"`` every
    numeric column not ``formatted`` already."""
    if rows.values != ("*",):
        return [c for c in rows.values if c in frame.columns]
    return [c for c in frame.columns if c not in formatted and pd.api.types.is_numeric_dtype(frame[c])]


def atomic_write(path: Path, write: Any) -> None:
    """Call ``write(temporary_path)``, then rename it to ``path`` with mode 0644."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _sheet_name(name: str, used: set[str]) -> str:
    base = str(name).translate(_SHEET_CHARS)[:31] or "sheet"
    candidate, n = base, 2
    while candidate.lower() in used:
        candidate = f"{base[:28]}_{n}"
        n += 1
    used.add(candidate.lower())
    return candidate


def _cell(value: Any) -> Any:
    """A cell's value: blanks (NaN, None, NA, NaT) as empty cells, numpy as Python."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Period):
        return period_text(value)  # a fiscal quarter by its label, FY2027 Q3
    if isinstance(value, pd.Timestamp):
        return str(value)
    return value


def write_workbook(
    path: Path, sheets: Mapping[str, pd.DataFrame], formats: Mapping[str, Mapping[str, Sequence[str]]] | None = None
) -> Path:
    """One sheet per frame (names cut to Excel's 31 characters, kept unique).

    The SpreadsheetML is written directly, a column at a time (a pack's workbook has tens of
    thousands of cells; a cell object per value would cost seconds): inline strings, a bold
    frozen header row, widths from the first 200 values.

    Parameters
    ----------
    path : Path
        The ``.xlsx`` file (replaced atomically).
    sheets : mapping
        Sheet name -> frame, in order.
    formats : mapping, optional
        Sheet name -> column -> one number format per row (the KPI sheet: each KPI in its
        unit's format). Other numeric cells: ``#,##0.00``.
    """
    styles = _Styles()
    used: set[str] = set()
    names, parts = [], []
    for name, frame in sheets.items():
        names.append(_sheet_name(name, used))
        parts.append(_sheet_xml(frame, (formats or {}).get(name) or {}, styles))

    def save(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
            book.writestr("[Content_Types].xml", _content_types(len(parts)))
            book.writestr("_rels/.rels", _ROOT_RELS)
            book.writestr("xl/workbook.xml", _workbook_xml(names))
            book.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(parts)))
            book.writestr("xl/styles.xml", styles.xml())
            for i, xml in enumerate(parts, start=1):
                book.writestr(f"xl/worksheets/sheet{i}.xml", xml)

    atomic_write(Path(path), save)
    return Path(path)


_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
#: Characters XML 1.0 does not allow (openpyxl refuses them too): dropped from text cells.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _content_types(n: int) -> str:
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, n + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        f"{sheets}</Types>"
    )


def _workbook_xml(names: list[str]) -> str:
    sheets = "".join(
        f'<sheet name="{escape(name, _QUOTE)}" sheetId="{i}" r:id="rId{i}"/>' for i, name in enumerate(names, start=1)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook {_NS} xmlns:r="{_REL_NS}">'
        f"<sheets>{sheets}</sheets></workbook>"
    )


def _workbook_rels(n: int) -> str:
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{_REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, n + 1)
    )
    rels += f'<Relationship Id="rId{n + 1}" Type="{_REL_NS}/styles" Target="styles.xml"/>'
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>'
    )


_QUOTE = {'"': "&quot;"}


class _Styles:
    """Cell styles of a workbook: 0 plain, 1 bold (headers), then one per number format."""

    def __init__(self) -> None:
        self.formats: dict[str, int] = {}

    def of(self, number_format: str) -> int:
        """The style index of a number format."""
        if number_format not in self.formats:
            self.formats[number_format] = len(self.formats) + 2
        return self.formats[number_format]

    def xml(self) -> str:
        fmts = "".join(
            f'<numFmt numFmtId="{164 + i}" formatCode="{escape(code, _QUOTE)}"/>' for i, code in enumerate(self.formats)
        )
        xfs = "".join(
            f'<xf numFmtId="{164 + i}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
            for i in range(len(self.formats))
        )
        numbers = f'<numFmts count="{len(self.formats)}">{fmts}</numFmts>' if fmts else ""
        return (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet {_NS}>{numbers}'
            '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
            '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            f'<cellXfs count="{len(self.formats) + 2}">'
            '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
            f"{xfs}</cellXfs>"
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
        )


def _sheet_xml(frame: pd.DataFrame, formats: Mapping[str, Sequence[str]], styles: _Styles) -> str:
    letters = [_column_letter(i) for i in range(1, len(frame.columns) + 1)]
    header = "".join(
        f'<c r="{letter}1" t="inlineStr" s="1"><is><t>{_text(str(c))}</t></is></c>'
        for letter, c in zip(letters, frame.columns, strict=True)
    )
    numbers = [str(r) for r in range(2, len(frame) + 2)]
    columns = [frame.iloc[:, j] for j in range(len(frame.columns))]
    values = [column.tolist() for column in columns]  # Python values, as iterating the column gives
    cells = [
        _column_cells(column, listed, letter, formats.get(name), styles, numbers)
        for column, listed, letter, name in zip(columns, values, letters, frame.columns, strict=True)
    ]
    rows = [f'<row r="1">{header}</row>']
    rows += [
        f'<row r="{number}">{"".join(row)}</row>' for number, row in zip(numbers, zip(*cells, strict=True), strict=True)
    ]
    widths = "".join(
        f'<col min="{i}" max="{i}" width="{_width(listed, name)}" customWidth="1"/>'
        for i, (listed, name) in enumerate(zip(values, frame.columns, strict=True), start=1)
    )
    cols = f"<cols>{widths}</cols>" if widths else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {_NS}>'
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
        'state="frozen"/><selection pane="bottomLeft"/></sheetView></sheetViews>'
        f"{cols}<sheetData>{''.join(rows)}</sheetData></worksheet>"
    )


def _column_cells(
    column: pd.Series,
    values: list,
    letter: str,
    given: Sequence[str] | None,
    styles: _Styles,
    numbers: list[str],
) -> list[str]:
    """The ``<c>`` element of each row of one column (``""`` for an empty cell): ``values``
    is ``column.tolist()``, ``numbers`` the rows' numbers as text."""
    head = f'<c r="{letter}'
    tails = _tails(column, values, given, styles)
    return [head + number + tail if tail else "" for number, tail in zip(numbers, tails, strict=True)]


def _tails(column: pd.Series, values: list, given: Sequence[str] | None, styles: _Styles) -> list[str]:
    """What follows the row number in each cell of a column (``""`` for an empty cell)."""
    numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
    given = given if numeric else None
    plain = styles.of("#,##0.00") if numeric else 0
    if column.dtype.kind in "fi":  # numpy floats and ints: no per-value type tests
        return _number_tails(column.to_numpy(), values, given, plain if column.dtype.kind == "f" else 0, styles)
    texts: dict[str, str] = {}  # a text column repeats its values (months, names): each escaped once
    out = []
    for i, raw in enumerate(values):
        if type(raw) is str:
            if not raw:  # a blank text cell is empty, not a text of no characters
                out.append("")
                continue
            tail = texts.get(raw)
            if tail is None:
                tail = texts[raw] = f'" t="inlineStr"><is><t xml:space="preserve">{_text(raw)}</t></is></c>'
            out.append(tail)
            continue
        value = _cell(raw)
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            out.append("")
        elif isinstance(value, bool):
            out.append(f'" t="b"><v>{int(value)}</v></c>')
        elif isinstance(value, (int, float)):
            style = styles.of(given[i]) if given is not None else plain if isinstance(value, float) else 0
            out.append(f'" s="{style}"><v>{value!r}</v></c>' if style else f'"><v>{value!r}</v></c>')
        else:
            out.append(f'" t="inlineStr"><is><t xml:space="preserve">{_text(str(value))}</t></is></c>')
    return out


def _number_tails(
    array: np.ndarray, values: list, given: Sequence[str] | None, style: int, styles: _Styles
) -> list[str]:
    """:func:`_tails` of a numpy number column (``values`` its Python numbers; ``style``
    unless ``given``)."""
    if given is not None:
        per_row = [styles.of(f) for f in given]
    elif array.dtype.kind == "f" and np.isfinite(array).all():  # the usual table: one style, every cell filled
        return [f'" s="{style}"><v>{v!r}</v></c>' if style else f'"><v>{v!r}</v></c>' for v in values]
    else:
        per_row = [style] * len(values)
    finite = np.isfinite(array).tolist() if array.dtype.kind == "f" else [True] * len(values)
    return [
        (f'" s="{s}"><v>{v!r}</v></c>' if s else f'"><v>{v!r}</v></c>') if ok else ""
        for v, ok, s in zip(values, finite, per_row, strict=True)
    ]


def _text(value: str) -> str:
    """Text as XML character data (characters XML cannot hold are dropped)."""
    return escape(_ILLEGAL.sub("", value))


def _width(values: list, name: object) -> int:
    """Wide enough for the header and the first 200 ``values``, between 10 and 60."""
    width = max([len(str(name))] + [len(str(v)) for v in values[:200]])
    return min(max(10, width + 2), 60)


def _column_letter(index: int) -> str:
    """Excel's column name of a 1-based index (1 -> A, 27 -> AA)."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
