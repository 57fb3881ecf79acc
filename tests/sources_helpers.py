"""Run a known source on fixture files exactly as the transform layer promises to give them.

Each file becomes a view: every column VARCHAR holding the text as written (header names
as in the file) plus ``"__row__"``, the row number a spreadsheet shows (header = row 1).
``blank`` says what an empty cell is: SQL NULL (DuckDB's CSV reader) or ``''`` (pandas
with ``keep_default_na=False``); a source must read both the same.
"""

from __future__ import annotations

import calendar
import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd

FIXTURES = Path(__file__).parent / "fixtures" / "sources"


def export_connection(tables: dict[str, Path], blank: str = "null") -> duckdb.DuckDBPyConnection:
    """An in-memory connection with each of ``tables`` (name -> CSV) registered as a view."""
    con = duckdb.connect()
    for name, path in tables.items():
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        if blank == "null":
            frame = frame.mask(frame.eq(""))
        frame["__row__"] = range(2, len(frame) + 2)
        con.register(name, frame)
    return con


def contract_mrr(contracts: pd.DataFrame, month: str) -> float:
    """MRR of ``month`` per METRICS.md: contracts serving its last day, summed."""
    year, mon = map(int, month.split("-"))
    last = pd.Timestamp(dt.date(year, mon, calendar.monthrange(year, mon)[1]))
    serving = (contracts["start_date"] <= last) & (contracts["end_date"].isna() | (contracts["end_date"] >= last))
    return round(float(contracts.loc[serving, "mrr"].sum()), 2)
