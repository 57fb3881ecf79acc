"""Read one export file (CSV, XLSX sheet or Parquet) into a raw DataFrame.

Raw means untyped: CSV cells stay text so that parsing (and its error messages) happens
in one place, :mod:`reportlib.inputs._mapping`. Every frame gets a ``__row__`` column holding
the row number as the user sees the file (header = row 1, first data row = row 2).
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from reportlib.exceptions import Problem

ROW = "__row__"
_DELIMITERS = ",;\t|"


class ReadError(Exception):
    """A file could not be read; carries the problem to report."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


@dataclass(frozen=True)
class CsvOptions:
    delimiter: str | None = None
    encoding: str | None = None


def file_kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        return "excel"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    return "csv"


def read_table(path: Path, display: str, *, sheet: str | None = None,
               options: CsvOptions = CsvOptions(), input_name: str | None = None) -> pd.DataFrame:
    """Read ``path`` into a raw frame with a ``__row__`` column.

    Raises
    ------
    ReadError
        When the file is missing, unreadable, in another encoding, or the sheet is wrong.
    """
    def fail(message: str) -> ReadError:
        return ReadError(Problem(message, file=display, input=input_name))

    if not path.is_file():
        folder = path.parent
        near = sorted(p.name for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
        from reportlib.inputs.config import did_you_mean
        raise fail(f"The file {display} named in company.toml [inputs.{input_name}] does not exist "
                   "in the company folder." + did_you_mean(path.name, near))
    kind = file_kind(path)
    try:
        if kind == "excel":
            frame = _read_excel(path, display, sheet, fail)
        elif kind == "parquet":
            frame = pd.read_parquet(path)
            # Parquet has no header row: record 1 is the first row.
            frame.insert(len(frame.columns), ROW, range(1, len(frame) + 1))
            return frame
        else:
            frame = _read_csv(path, display, options, fail)
    except ReadError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure is the file's, reported plainly
        raise fail(f"{display} could not be read as a {kind.upper()} file ({type(exc).__name__}: "
                   f"{str(exc).splitlines()[0] if str(exc) else 'no detail'}).") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    frame[ROW] = range(2, len(frame) + 2)
    # Blank lines were kept so row numbers match the file; now drop them.
    data_cols = [c for c in frame.columns if c != ROW]
    blank = frame[data_cols].isna().all(axis=1) if data_cols else pd.Series(False, index=frame.index)
    return frame.loc[~blank].reset_index(drop=True)


def _read_csv(path: Path, display: str, options: CsvOptions, fail) -> pd.DataFrame:
    encoding = options.encoding or "utf-8-sig"
    delimiter = options.delimiter or _sniff(path, encoding)
    try:
        return pd.read_csv(path, sep=delimiter, encoding=encoding, dtype=str, keep_default_na=False,
                           na_values=[""], skip_blank_lines=False, engine="c")
    except UnicodeDecodeError:
        raise fail(f"{display} is not encoded as {encoding}; set encoding in company.toml "
                   "(exports from Excel on Windows are usually \"cp1252\" or \"latin-1\").") from None
    except pd.errors.EmptyDataError:
        raise fail(f"{display} is empty: it has no header row.") from None
    except pd.errors.ParserError as exc:
        raise fail(f"{display} could not be split into columns with delimiter {delimiter!r} ({exc}); "
                   "set delimiter in company.toml.") from None


def _sniff(path: Path, encoding: str) -> str:
    try:
        with open(path, encoding=encoding, errors="replace", newline="") as fh:
            sample = fh.read(65536)
    except OSError:
        return ","
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        header = sample.splitlines()[0] if sample else ""
        counts = {d: header.count(d) for d in _DELIMITERS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _read_excel(path: Path, display: str, sheet: str | None, fail) -> pd.DataFrame:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        names = list(book.sheetnames)
    finally:
        book.close()
    if sheet is None:
        if len(names) > 1:
            raise fail(f"{display} has several sheets ({', '.join(names)}); say which one with "
                       "sheet = \"...\" in company.toml.")
        sheet = names[0]
    elif sheet not in names:
        from reportlib.inputs.config import did_you_mean
        raise fail(f"{display} has no sheet named '{sheet}'. Its sheets are: {', '.join(names)}."
                   + did_you_mean(sheet, names))
    frame = pd.read_excel(path, sheet_name=sheet, dtype=object, engine="openpyxl")
    # Excel stores empty strings for some cleared cells; treat them as blank.
    return frame.replace(r"^\s*$", pd.NA, regex=True)
