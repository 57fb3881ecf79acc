"""Register a fixture as the DuckDB view ``export`` the way the transform layer does.

Unit-level adapter tests run a Source on an in-memory connection without the transform
layer: every column VARCHAR with the text as written, ``__row__`` = the row number a
spreadsheet shows (JSON: record number), ``comment`` and ``footer`` lines (the source's
``read`` hints) removed, blank lines dropped. Nested JSON objects are flattened (``properties.time``), lists kept as JSON text.
"""

from __future__ import annotations

import csv
import fnmatch
import gzip
import io
import json
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd

from reportlib.inputs.sources import get_source

ROW = "__row__"


def _cell(value):
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _records(lines) -> pd.DataFrame:
    # nested objects flattened to "properties.time" (as the transform layer's reader does), lists as JSON text
    flat = pd.json_normalize(list(lines), sep=".")
    frame = flat.astype(object).where(flat.notna(), None).map(_cell)
    frame[ROW] = range(1, len(frame) + 1)
    return frame


def _json_text(name: str, data: bytes) -> pd.DataFrame:
    if name.endswith(".gz"):
        data, name = gzip.decompress(data), name[:-3]
    text = data.decode("utf-8")
    if text.lstrip().startswith("["):
        return _records(json.loads(text))
    return _records(json.loads(line) for line in text.splitlines() if line.strip())


def _csv(path: Path, read: dict) -> pd.DataFrame:
    comment, footers = read.get("comment"), read.get("footer", [])
    lines = list(enumerate(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))), start=1))
    lines = [(n, r) for n, r in lines if not (comment and r and r[0].startswith(comment))]
    lines = [
        (n, r)
        for n, r in lines
        if any(c.strip() for c in r) and not any(fnmatch.fnmatch(r[0].strip(), f) for f in footers)
    ]
    (_, header), body = lines[0], lines[1:]
    frame = pd.DataFrame([r + [None] * (len(header) - len(r)) for _, r in body], columns=header, dtype=object)
    frame[ROW] = [n for n, _ in body]
    return frame


def read_export(path: Path, read: dict | None = None) -> pd.DataFrame:
    """The file as the ``export`` view holds it (see module docstring)."""
    read = read or {}
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as z:
            parts = [_json_text(n, z.read(n)) for n in sorted(z.namelist()) if not n.endswith("/")]
        frame = pd.concat(parts, ignore_index=True)
        frame[ROW] = range(1, len(frame) + 1)
        return frame
    if {".json", ".jsonl"} & set(path.suffixes):
        return _json_text(path.name, path.read_bytes())
    return _csv(path, read)


def read_cells(path: Path) -> pd.DataFrame:
    """A report's raw cells (no header), as a ``frame`` hook receives them, with ``__row__``."""
    if path.suffix == ".xlsx":
        sheet = openpyxl.load_workbook(path, data_only=True).active
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    else:
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    width = max(len(r) for r in rows)
    frame = pd.DataFrame([[_cell(c) for c in r] + [None] * (width - len(r)) for r in rows], dtype=object)
    frame[ROW] = range(1, len(frame) + 1)
    return frame


def run_source(name: str, path: Path) -> pd.DataFrame:
    """Run the known source ``name`` over ``path`` registered as ``export``."""
    source = get_source(name)
    con = duckdb.connect()
    frame = read_cells(path) if source.frame is not None else read_export(path, dict(source.read))
    assert not source.missing_columns([c for c in frame.columns if c != ROW]), source.missing_columns(frame.columns)
    con.register("export", frame)
    return source.run(con)
