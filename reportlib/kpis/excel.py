"""Excel workbooks for pasting into the fund's model: ``kpis.xlsx`` and ``portfolio_kpis.xlsx``.

Written with openpyxl. Values are the very numbers of the CSV files (ratios as fractions,
shown as percentages by the cell's number format, never rounded in the cell); each sheet
has a bold, frozen header row and columns wide enough to read.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

__all__ = ["FILE_MODE", "number_format", "write_workbook", "atomic_write"]

#: Files of a pack are readable by others (DESIGN.md, "Outputs").
FILE_MODE = 0o644
_FORMATS = {"ratio": "0.0%", "multiple": '0.00"x"', "months": "0.0", "days": "0.0", "count": "#,##0", "score": "0.0"}
_BOLD = Font(bold=True)
_SHEET_CHARS = str.maketrans({c: "_" for c in "[]:*?/\\"})


def number_format(unit: str, currency: str = "") -> str:
    """The Excel number format of a KPI unit (``currency`` in the currency's code)."""
    if unit == "currency":
        return f'#,##0 "{currency}"' if currency else "#,##0"
    return _FORMATS.get(unit, "General")


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


def write_workbook(
    path: Path, sheets: Mapping[str, pd.DataFrame], formats: Mapping[str, Mapping[str, Sequence[str]]] | None = None
) -> Path:
    """One sheet per frame (names cut to Excel's 31 characters, kept unique).

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
    # write-only: rows stream to the file as they are added, no cell objects kept
    book = Workbook(write_only=True)
    used: set[str] = set()
    for name, frame in sheets.items():
        sheet = book.create_sheet(_sheet_name(name, used))
        _fill(sheet, frame, (formats or {}).get(name))
    atomic_write(Path(path), lambda tmp: book.save(tmp))
    return Path(path)


def _sheet_name(name: str, used: set[str]) -> str:
    base = str(name).translate(_SHEET_CHARS)[:31] or "sheet"
    candidate, n = base, 2
    while candidate.lower() in used:
        candidate = f"{base[:28]}_{n}"
        n += 1
    used.add(candidate.lower())
    return candidate


def _cell(value: Any) -> Any:
    """A value openpyxl writes: blanks (NaN, None, NaT) as empty cells, numpy as Python."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (pd.Period, pd.Timestamp)):
        return str(value)
    return value


def _fill(sheet: Any, frame: pd.DataFrame, formats: Mapping[str, Sequence[str]] | None) -> None:
    """Header (bold, frozen), rows, number formats and column widths of one sheet; widths
    and panes are set before the rows, as a write-only sheet needs."""
    sheet.freeze_panes = "A2"
    for i, column in enumerate(frame.columns, start=1):
        width = max([len(str(column))] + [len(str(v)) for v in frame[column].head(200)])
        sheet.column_dimensions[get_column_letter(i)].width = min(max(10, width + 2), 60)
    sheet.append([_styled(sheet, str(c), font=_BOLD) for c in frame.columns])
    numeric = [
        i
        for i, c in enumerate(frame.columns)
        if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
    ]
    given = [(formats or {}).get(frame.columns[i]) for i in numeric]
    for r, row in enumerate(frame.itertuples(index=False, name=None)):
        cells = [_cell(v) for v in row]
        for i, fmt in zip(numeric, given, strict=True):
            if fmt is not None:  # a blank cell keeps its KPI's format too
                cells[i] = _styled(sheet, cells[i], number_format=fmt[r])
            elif isinstance(cells[i], float):
                cells[i] = _styled(sheet, cells[i], number_format="#,##0.00")
        sheet.append(cells)


def _styled(sheet: Any, value: Any, font: Font | None = None, number_format: str | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if font is not None:
        cell.font = font
    if number_format is not None:
        cell.number_format = number_format
    return cell
