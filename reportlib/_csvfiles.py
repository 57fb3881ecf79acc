"""CSV files of a pack and a portfolio: text a spreadsheet would run as a formula stays text.

Excel, LibreOffice and Google Sheets read a CSV cell whose first character is ``=``, ``+``,
``-``, ``@``, a tab or a carriage return as a formula, so a customer id or segment value such
as ``=HYPERLINK("http://x","y")`` in a company's export would run on the analyst's machine
when they open ``tables/breakdowns.csv``. Following OWASP ASVS 1.2.10 ("CSV and Formula
Injection": such a first character is escaped with a single quote), a *text* cell starting
with one of them is written with a leading ``'``. Numbers are never touched: a number cell
(``-0.05``) and a text cell that is a plain number (``"-5"``) stay numbers.

The rule is reversible, so the package reads its own CSV files back exactly
(:func:`read_csv`): a text starting with quotes and then a formula character gets one more
quote, and reading removes one. (``kpis.xlsx`` needs none of this: its text cells are
inline strings, which a spreadsheet never evaluates.)
"""

from __future__ import annotations

import os
import re
from typing import Any

import pandas as pd

__all__ = ["csv_bytes", "read_csv", "spreadsheet_text", "write_csv", "written_text"]

#: A text a spreadsheet would read as a formula, after any quotes this module added.
_FORMULA = re.compile(r"'*[=+\-@\t\r]")
_QUOTED_FORMULA = re.compile(r"'+[=+\-@\t\r]")
#: A text that is a plain number: a spreadsheet reads it as that number, not a formula.
_NUMBER = re.compile(r"[+-]?(\d[\d,]*\.?\d*|\.\d+)([eE][+-]?\d+)?%?")


def spreadsheet_text(value: Any) -> Any:
    """``value`` as a CSV cell: a text a spreadsheet would run as a formula gets a leading
    ``'``; anything else (numbers, blanks, plain-number texts) is returned unchanged.

    >>> spreadsheet_text('=HYPERLINK("http://x","y")')
    '\\'=HYPERLINK("http://x","y")'
    >>> spreadsheet_text("-5"), spreadsheet_text(-5.0), spreadsheet_text("SMB")
    ('-5', -5.0, 'SMB')
    """
    if isinstance(value, str) and _FORMULA.match(value) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def written_text(value: Any) -> Any:
    """The text :func:`spreadsheet_text` was given: one added ``'`` removed."""
    if isinstance(value, str) and _QUOTED_FORMULA.match(value):
        return value[1:]
    return value


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """``frame`` as UTF-8 CSV text without its index, text cells and headers made safe
    to open in a spreadsheet (:func:`spreadsheet_text`)."""
    return _safe(frame).to_csv(index=False).encode("utf-8")


def write_csv(frame: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write :func:`csv_bytes` of ``frame`` to ``path``."""
    with open(path, "wb") as f:
        f.write(csv_bytes(frame))


def read_csv(path: str | os.PathLike, **kwargs: Any) -> pd.DataFrame:
    """``pandas.read_csv`` of a CSV this package wrote, its text as it was before writing."""
    return _mapped(pd.read_csv(path, **kwargs), written_text)


def _safe(frame: pd.DataFrame) -> pd.DataFrame:
    return _mapped(frame, spreadsheet_text)


def _mapped(frame: pd.DataFrame, text: Any) -> pd.DataFrame:
    """``frame`` with ``text`` applied to its headers and the cells of its text columns
    (object or string dtype: only these can hold a formula); ``frame`` itself when nothing
    changes."""
    headers = [text(c) for c in frame.columns]
    positions = [i for i, dtype in enumerate(frame.dtypes) if _is_text(dtype)]
    cells = {i: _text_cells(frame.iloc[:, i], text) for i in positions}
    changed = [i for i, column in cells.items() if not column.equals(frame.iloc[:, i])]
    if not changed and headers == list(frame.columns):
        return frame
    out = frame.copy()
    for i in changed:
        out.isetitem(i, cells[i])
    out.columns = headers
    return out


def _text_cells(column: pd.Series, text: Any) -> pd.Series:
    """``text`` of each cell of ``column``, in the column's own dtype (a column of blanks
    mapped alone would come back as float64, and then refuse a text fill)."""
    mapped = column.map(text, na_action="ignore")
    return mapped if isinstance(column.dtype, pd.CategoricalDtype) else mapped.astype(column.dtype)


def _is_text(dtype: Any) -> bool:
    return getattr(dtype, "kind", "") == "O" or isinstance(dtype, (pd.StringDtype, pd.CategoricalDtype))
