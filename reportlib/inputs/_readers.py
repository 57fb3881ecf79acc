"""Read an input's export files (CSV, XLSX, Parquet, JSON, JSON lines; plain, ``.gz`` or
``.zip``) into one raw DataFrame.

Raw means untyped: text cells stay text so that parsing (and its error messages) happens
in one place, :mod:`reportlib.inputs._mapping`. Every frame gets a ``__row__`` column holding
the row number as the user sees the file (header = row 1 unless ``header_row`` says
otherwise, first data row = the next one; Parquet and JSON: record number from 1), and,
when several files are stacked, a ``__file__`` column naming each row's file.
"""

from __future__ import annotations

import codecs
import csv
import fnmatch
import glob
import gzip
import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from reportlib._codes import decoded, factorize_ahead
from reportlib.exceptions import Problem
from reportlib.inputs._xlsx import sheet_cells
from reportlib.inputs.config import did_you_mean

ROW = "__row__"
FILE = "__file__"
_DELIMITERS = ",;\t|"
_KINDS = {
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
}
_FORMULA_ELEMENT = re.compile(rb"<(?:\w+:)?f[\s/>]")  # a cell's formula, any namespace prefix
TITLE_SCAN = 30  # lines looked at to find a header below title lines
_SMALL_PAGE = 32_768  # bytes of a Parquet dictionary page read as a dictionary
_SHOWN_ROWS = 10  # rows named in a message before "and N more"
# A web page saved in place of the export (a report viewed in the browser, a login page).
_HTML_START = re.compile(r"\s*<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.IGNORECASE)
_HTML_PAGE = (
    "{display} is a web page (HTML), not an export: it was saved from the browser (or is a "
    "login or error page). Download the export itself from the tool (CSV or XLSX) and save it here."
)


class ReadError(Exception):
    """A file could not be read; carries the problem to report."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


@dataclass(frozen=True)
class ReadOptions:
    """How the files of one input are read (company.toml keys of the same names)."""

    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    header_row: int | str | None = None  # 1-based, "auto", or None (row 1 unless titles above)
    comment: str | None = None
    footer: tuple[str, ...] = ()
    member: str | None = None
    formula_text: bool = False  # report layouts: an uncalculated formula reads as its text


CsvOptions = ReadOptions  # the name the mapping used before report layouts


def file_kind(path: Path | str) -> str:
    """``csv``, ``excel``, ``parquet``, ``json`` or ``jsonl`` from the name (``.gz`` looked through)."""
    name = str(path).lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return _KINDS.get(Path(name).suffix, "csv")


# ======================================================================================
# which files


def resolve_paths(folder: Path, patterns: tuple[str, ...], input_name: str) -> list[Path]:
    """Every file the input's ``path`` names (globs expanded, in name order).

    Raises
    ------
    ReadError
        When a name or glob matches no file (with the closest file name).
    """
    out: list[Path] = []
    for pattern in patterns:
        if glob.has_magic(pattern):
            hits = sorted(Path(p) for p in glob.glob(str(folder / pattern)) if Path(p).is_file())
            if not hits:
                raise ReadError(
                    Problem(
                        f"No file in the company folder matches {pattern!r}, named in "
                        f"company.toml [inputs.{input_name}].",
                        file=pattern,
                        input=input_name,
                    )
                )
            out += hits
        else:
            out.append(folder / pattern)
    return list(dict.fromkeys(out))


def read_files(folder: Path, paths: list[Path], options: ReadOptions, input_name: str) -> pd.DataFrame:
    """Read and stack ``paths`` (columns by name); ``__file__`` says where each row came from."""
    frames = [read_table(p, _display(folder, p), options=options, input_name=input_name) for p in paths]
    if len(frames) == 1 and FILE not in frames[0]:
        return frames[0]
    for frame, path in zip(frames, paths, strict=False):
        if FILE not in frame:
            frame[FILE] = _display(folder, path)
    return pd.concat(frames, ignore_index=True, sort=False)


def _display(folder: Path, path: Path) -> str:
    try:
        return path.relative_to(folder).as_posix()
    except ValueError:
        return path.name


# ======================================================================================
# one file


def read_table(
    path: Path,
    display: str,
    *,
    sheet: str | None = None,
    options: ReadOptions = ReadOptions(),
    input_name: str | None = None,
) -> pd.DataFrame:
    """Read ``path`` into a raw frame with a ``__row__`` column.

    Raises
    ------
    ReadError
        When the file is missing, unreadable, in another encoding, the sheet is wrong, or
        spreadsheet formulas have no saved values.
    """

    def fail(message: str, row: int | None = None) -> ReadError:
        return ReadError(Problem(message, file=display, row=row, input=input_name))

    if sheet is not None:
        options = ReadOptions(**{**options.__dict__, "sheet": sheet})
    if path.is_dir():
        raise fail(
            f"{display}, named in company.toml [inputs.{input_name}], is a folder, not a file: "
            "name the export file inside it (a glob such as 'folder/*.csv' reads every file)."
        )
    if not path.is_file():
        folder = path.parent
        near = sorted(p.name for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
        raise fail(
            f"The file {display} named in company.toml [inputs.{input_name}] does not exist "
            "in the company folder." + did_you_mean(path.name, near)
        )
    if path.suffix.lower() == ".zip":
        return _read_zip(path, display, options, fail)
    try:
        data: Any = path
        if path.suffix.lower() == ".gz":
            data = io.BytesIO(gzip.decompress(path.read_bytes()))
        return _read_one(data, file_kind(path), display, options, fail)
    except ReadError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure is the file's, reported plainly
        if _HTML_START.match(_start_text(path)):
            raise fail(_HTML_PAGE.format(display=display)) from None
        detail = str(exc).splitlines()[0] if str(exc) else "no detail"
        raise fail(
            f"{display} could not be read as a {file_kind(path).upper()} file ({type(exc).__name__}: {detail})."
        ) from None


def _start_text(path: Path) -> str:
    """The file's first bytes as text, to tell what it really is when its parser fails."""
    with path.open("rb") as handle:
        return handle.read(512).decode("utf-8", errors="replace")


def _read_zip(path: Path, display: str, options: ReadOptions, fail) -> pd.DataFrame:
    """A zip's data files stacked, or only those matching ``member``."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise fail(f"{display} is not a valid zip archive.") from None
    with archive:
        names = [
            n
            for n in archive.namelist()
            if not n.endswith("/")
            and not n.startswith("__MACOSX")
            and Path(n.lower().removesuffix(".gz")).suffix in _KINDS
        ]
        if options.member:
            names = [
                n
                for n in names
                if fnmatch.fnmatch(n.lower(), options.member.lower())
                or fnmatch.fnmatch(Path(n).name.lower(), options.member.lower())
            ]
        if not names:
            what = f"matching member = {options.member!r}" if options.member else "(CSV, XLSX, Parquet or JSON)"
            held = [n for n in archive.namelist() if not n.endswith("/")]
            shown = ", ".join(held[:5]) + (" ..." if len(held) > 5 else "")
            raise fail(
                f"{display} holds no data file {what}: it holds {shown or 'nothing'} "
                f"({len(held)} file{'s' * (len(held) != 1)})."
            )
        frames = []
        for name in sorted(names):
            data = io.BytesIO(archive.read(name))
            if name.lower().endswith(".gz"):
                data = io.BytesIO(gzip.decompress(data.getvalue()))
            shown = f"{display}:{name}"
            frame = _read_one(data, file_kind(name), shown, options, fail)
            frame[FILE] = shown
            frames.append(frame)
    return pd.concat(frames, ignore_index=True, sort=False)


def _read_one(data: Any, kind: str, display: str, options: ReadOptions, fail) -> pd.DataFrame:
    if kind == "parquet":
        frame = _read_parquet(data)
        frame.columns = [str(c).strip() for c in frame.columns]
        # Parquet has no header row: record 1 is the first row.
        frame[ROW] = range(1, len(frame) + 1)
        return frame
    if kind in ("json", "jsonl"):
        return _read_json(data, kind, display, options, fail)
    if kind == "excel":
        frame = _read_excel(data, display, options, fail)
    else:
        frame = _read_csv(data, display, options, fail)
    return _drop_blank_and_footer(frame, options.footer)


def _read_parquet(data: Any) -> pd.DataFrame:
    """The file as pandas reads it; text columns of few distinct values (months, plans) are
    taken from the file's dictionary pages with their codes, instead of decoded and hashed.
    Large text columns of many values (ids) are factorised on a second thread meanwhile."""
    few = _few_distinct_texts(data)
    if hasattr(data, "seek"):
        data.seek(0)
    frame = pd.read_parquet(data, read_dictionary=few) if few else pd.read_parquet(data)
    if len(frame) >= _AHEAD_ROWS:
        factorize_ahead(
            [frame[c] for c in frame.columns if c not in few and isinstance(frame[c].dtype, pd.StringDtype)]
        )
    if not few:
        return frame
    text = pd.StringDtype(na_value=np.nan)  # what pandas reads a Parquet text column as
    for name in few:
        if name in frame.columns and isinstance(frame[name].dtype, pd.CategoricalDtype):
            frame[name] = decoded(frame[name], text)
    return frame


#: Files of this many rows have their id columns factorised on a second thread while read.
_AHEAD_ROWS = 100_000


def _few_distinct_texts(data: Any) -> list[str]:
    """Text columns whose every row group is dictionary-encoded with a small dictionary page
    (a few distinct values repeated): far below the writers' dictionary size limit (1 MiB),
    so no page falls back to plain values, which the reader would have to hash again."""
    meta = pq.read_metadata(data)
    schema = meta.schema.to_arrow_schema()
    index = set(map(str, (schema.pandas_metadata or {}).get("index_columns", [])))
    texts = {f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)} - index
    small: dict[str, bool] = {}
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        for j in range(group.num_columns):
            chunk = group.column(j)
            name = chunk.path_in_schema
            if name in texts:
                page = chunk.data_page_offset - (chunk.dictionary_page_offset or 0)
                fits = chunk.has_dictionary_page and 0 < page <= _SMALL_PAGE and page * 16 <= chunk.num_values
                small[name] = small.get(name, True) and fits
    return [name for name, fits in small.items() if fits]


def _drop_blank_and_footer(frame: pd.DataFrame, footer: tuple[str, ...]) -> pd.DataFrame:
    # Blank lines were kept so row numbers match the file; now drop them.
    data_cols = [c for c in frame.columns if c != ROW]
    blank = frame[data_cols].isna().all(axis=1) if data_cols else pd.Series(False, index=frame.index)
    if footer and data_cols:
        first = frame[data_cols].bfill(axis=1).iloc[:, 0].astype("string").str.strip().str.lower()
        patterns = [f.lower() for f in footer]
        blank |= (
            first.map(lambda v: isinstance(v, str) and any(fnmatch.fnmatch(v, p) for p in patterns), na_action="ignore")
            .fillna(False)
            .astype(bool)
        )
    return frame.loc[~blank].reset_index(drop=True) if blank.any() else frame


# ---------------------------------------------------------------------------------- CSV


def _read_csv(data: Any, display: str, options: ReadOptions, fail) -> pd.DataFrame:
    try:
        text = data.read_bytes() if isinstance(data, Path) else data.getvalue()
    except OSError as exc:
        raise fail(f"{display} could not be opened ({exc.strerror}).") from None
    encoding = options.encoding or _bom_encoding(text)
    sample = text[:65536].decode(encoding, errors="replace")
    lines = sample.splitlines()
    if sample.lstrip()[:1] in ("[", "{") and _json_text(sample):
        raise fail(
            f"{display} holds JSON, not CSV: rename it to .json (or .jsonl for one record per line) "
            "so it is read as JSON."
        )
    if _HTML_START.match(sample):
        raise fail(_HTML_PAGE.format(display=display))
    delimiter = options.delimiter or _sniff(lines, options.comment)
    skip = _comment_lines(text, encoding, options.comment) if options.comment else []
    header = _header_index(lines, delimiter, options, set(skip))
    if header and header >= len(text.decode(encoding, errors="replace").splitlines()):
        raise fail(_no_header_row(display, header))
    skip_set = set(skip) | set(range(header))
    try:
        frame = pd.read_csv(
            io.BytesIO(text),
            sep=delimiter,
            encoding=encoding,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=False,
            engine="c",
            skiprows=sorted(skip_set) or None,
        )
    except UnicodeDecodeError:
        raise fail(
            f"{display} is not encoded as {encoding}; set encoding in company.toml "
            '(exports from Excel on Windows are usually "cp1252" or "latin-1").'
        ) from None
    except pd.errors.EmptyDataError:
        raise fail(f"{display} is empty: it has no header row.") from None
    except pd.errors.ParserError as exc:
        body = text.decode(encoding, errors="replace")
        message, row = _split_failure(display, body, delimiter, header, skip_set, options, str(exc).strip())
        raise fail(message, row=row) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if skip:
        # Data rows are the lines neither skipped nor the header (1-based as an editor shows).
        kept = [i + 1 for i in range(header + 1, header + 1 + len(frame) + len(skip)) if i not in skip_set]
        frame[ROW] = kept[: len(frame)]
    else:
        frame[ROW] = range(header + 2, header + 2 + len(frame))
    return frame


def _no_header_row(display: str, header: int) -> str:
    return f"{display} has no row {header + 1} to use as the header (header_row)."


def _bom_encoding(text: bytes) -> str:
    """UTF-16 when the file opens with its byte-order mark, else UTF-8 with or without BOM:
    the mark declares the encoding, nothing is guessed. Excel's "Unicode Text (*.txt)" save
    writes UTF-16 little-endian with a BOM, tab separated (herongyang.com, "Saving Files in
    Unicode Text"; strata.uga.edu, "Excel's text file formats")."""
    return "utf-16" if text[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else "utf-8-sig"


def _rows_wider_than_header(text: str, delimiter: str, header: int, skip: set[int]) -> list[tuple[int, int, int]]:
    """(row, values, header's values) of each data row holding more values than the header.

    Rows are the file's line numbers (1-based, as an editor shows them)."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    width, out, start = None, [], 0  # start: the 0-based line a record begins on
    for cells in reader:
        if start >= header and start not in skip:
            if width is None:
                width = len(cells)
            elif len(cells) > width:
                out.append((start + 1, len(cells), width))
        start = reader.line_num
    return out


def _wide_rows_message(display: str, delimiter: str, wide: list[tuple[int, int, int]]) -> str:
    row, values, width = wide[0]
    if len(wide) == 1:
        said = f"Row {row} holds {values} values but the header has {width} columns"
    else:
        rows = ", ".join(str(r) for r, _, _ in wide[:_SHOWN_ROWS])
        rows += f" and {len(wide) - _SHOWN_ROWS:,} more" if len(wide) > _SHOWN_ROWS else ""
        said = f"Rows {rows} hold more values than the header's {width} columns (row {row} has {values})"
    return (
        f"{said}: a value holding the delimiter {delimiter!r} needs quotes, or a cell was typed beyond "
        "the last column. Fix these rows in the file; the rest of it is read once they are fixed."
    )


def _json_text(sample: str) -> bool:
    """The start of a JSON document or of JSON lines (a CSV never opens with [{ or {")."""
    return bool(re.match(r'\s*(\[\s*\{|\{\s*")', sample))


def _split_failure(
    display: str, text: str, delimiter: str, header: int, skip: set[int], options: ReadOptions, detail: str
) -> tuple[str, int | None]:
    """Why a CSV could not be split (a sentence, and the row it names): comment or title
    lines above the header, or rows holding more values than the header."""
    rows = list(csv.reader(text.splitlines()[:TITLE_SCAN], delimiter=delimiter))
    widths = [sum(bool(c.strip()) for c in r) for r in rows]
    widest = widths.index(max(widths)) if widths else 0
    marks = {r[0].lstrip()[:1] for r in rows[:widest] if r and r[0].strip()}
    if widest > header and len(marks) == 1 and marks <= {"#", "/", ";", "%"} and not options.comment:
        mark = marks.pop()
        return (
            f"{display} starts with lines beginning with '{mark}' (comments): set comment = \"{mark}\" in company.toml."
        ), None
    if widest > header and _table_starts(rows, widest):
        return (
            f"{display}: the header seems to be on row {widest + 1} (the lines above look like titles); "
            f"set header_row = {widest + 1} in company.toml."
        ), widest + 1
    wide = _rows_wider_than_header(text, delimiter, header, skip)
    if wide:
        return _wide_rows_message(display, delimiter, wide), wide[0][0]
    return (
        f"{display} could not be split into columns with delimiter {delimiter!r} ({detail}); "
        "set delimiter in company.toml, or header_row if title lines come first."
    ), None


def _table_starts(rows: list[list[str]], line: int) -> bool:
    """The next filled line after ``line`` has as many values: a header with its table, not
    one data row holding more values than the rest (an unquoted delimiter)."""
    following = next((r for r in rows[line + 1 :] if any(c.strip() for c in r)), None)
    return following is None or len(following) == len(rows[line])


def _comment_lines(text: bytes, encoding: str, prefix: str) -> list[int]:
    lines = text.decode(encoding, errors="replace").splitlines()
    return [i for i, line in enumerate(lines) if line.lstrip().startswith(prefix)]


def _header_index(lines: list[str], delimiter: str, options: ReadOptions, skip: set[int]) -> int:
    """0-based line of the header: ``header_row``, else the first line unless it is a title
    (one filled cell) above a wider table, in which case the widest of the first lines."""
    if isinstance(options.header_row, int):
        return options.header_row - 1
    widths = [
        (i, sum(bool(c.strip()) for c in cells))
        for i, cells in enumerate(csv.reader(lines[:TITLE_SCAN], delimiter=delimiter))
        if i not in skip
    ]
    return _widest_first(widths, options.header_row == "auto")


def _widest_first(widths: list[tuple[int, int]], auto: bool) -> int:
    if not widths:
        return 0
    first, width = widths[0]
    if width >= 2 and not auto:
        return first
    widest = max(w for _, w in widths)
    return next(i for i, w in widths if w == widest)


class _Sniffer(csv.Sniffer):
    """:class:`csv.Sniffer`, without its search for quoted fields in a sample that holds no
    quote: each of its four patterns needs one, so it would find none (the same dialect),
    after four scans of up to 64 KB (~20 ms a file, most of what sniffing took)."""

    def _guess_quote_and_delimiter(self, data: str, delimiters: str | None) -> tuple[str, bool, str | None, int]:
        if '"' not in data and "'" not in data:
            return ("", False, None, 0)
        return super()._guess_quote_and_delimiter(data, delimiters)


def _sniff(lines: list[str], comment: str | None) -> str:
    body = [ln for ln in lines if ln.strip() and not (comment and ln.lstrip().startswith(comment))]
    # Title lines have no delimiter: start at the first line that has one.
    start = next((i for i, ln in enumerate(body) if any(d in ln for d in _DELIMITERS)), 0)
    sample = "\n".join(body[start:])
    try:
        return _Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        header = body[start] if body else ""
        counts = {d: header.count(d) for d in _DELIMITERS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


# ---------------------------------------------------------------------------------- JSON


def _read_json(data: Any, kind: str, display: str, options: ReadOptions, fail) -> pd.DataFrame:
    encoding = options.encoding or "utf-8-sig"
    raw = data.read_bytes() if isinstance(data, Path) else data.getvalue()
    text = raw.decode(encoding)
    records: list[Any] = []
    rows: list[int] = []
    if kind == "json" and _is_json_lines(text):
        kind = "jsonl"  # e.g. Amplitude's hourly *.json.gz files hold one event per line
    if kind == "jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise fail(f"{display} line {number} is not JSON ({exc.msg}).") from None
                rows.append(number)
    else:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise fail(f"{display} is not valid JSON: {exc.msg} at line {exc.lineno}.") from None
        records = _records(doc)
        if records is None:
            raise fail(
                f"{display} holds no list of records (expected [{{...}}, ...] or an object "
                'with one such list, e.g. {"data": [...]}).'
            )
        rows = list(range(1, len(records) + 1))
    if not all(isinstance(r, dict) for r in records):
        raise fail(f"{display}: every record must be a JSON object with named fields.")
    frame = pd.json_normalize(records, sep=".") if records else pd.DataFrame()
    # Raw text, as a CSV would give it: nested lists kept as JSON text, blanks as missing.
    frame = frame.map(_json_cell).astype(object).where(frame.notna(), None)
    frame.columns = [str(c).strip() for c in frame.columns]
    frame[ROW] = rows
    return frame


def _is_json_lines(text: str) -> bool:
    """Several JSON objects one per line (not one document spread over lines)."""
    lines = [ln for ln in text.splitlines()[:3] if ln.strip()]
    if len(lines) < 2:
        return False
    try:
        return all(isinstance(json.loads(ln), dict) for ln in lines)
    except json.JSONDecodeError:
        return False


def _records(doc: Any) -> list | None:
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        lists = [v for v in doc.values() if isinstance(v, list) and v and all(isinstance(r, dict) for r in v)]
        # {"data": [{...}, ...]} wraps the records; any other object is one record (a one-line
        # JSON-lines file, e.g. an hour of Amplitude events holding one event).
        return lists[0] if len(lists) == 1 else [doc]
    return None


def _json_cell(v: Any) -> Any:
    if isinstance(v, (list, dict)):
        return json.dumps(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    return v


# ---------------------------------------------------------------------------------- XLSX


def _read_excel(data: Any, display: str, options: ReadOptions, fail) -> pd.DataFrame:
    sheet, cells = _excel_cells(data, display, options, fail)
    if not cells:
        raise fail(f"{display} sheet '{sheet}' is empty: it has no header row.")
    skip = {
        i
        for i, r in enumerate(cells[:TITLE_SCAN])
        if options.comment and isinstance(r[0], str) and r[0].lstrip().startswith(options.comment)
    }
    if isinstance(options.header_row, int):
        header = options.header_row - 1
    else:
        widths = [(i, sum(_filled(c) for c in r)) for i, r in enumerate(cells[:TITLE_SCAN]) if i not in skip]
        header = _widest_first(widths, options.header_row == "auto")
    if header >= len(cells):
        raise fail(_no_header_row(display, header))
    names = _unique_names(cells[header])
    body = [
        (i + 1, r)
        for i, r in enumerate(cells)
        if i > header
        and i not in skip
        and not (options.comment and isinstance(r[0], str) and r[0].lstrip().startswith(options.comment))
    ]
    width = len(names)
    frame = pd.DataFrame([(r + [None] * width)[:width] for _, r in body], columns=names, dtype=object)
    # Excel stores empty strings for some cleared cells; treat them as blank.
    frame = frame.map(lambda v: None if isinstance(v, str) and not v.strip() else v)
    frame = frame.loc[
        :, [bool(str(n).strip()) and not str(n).startswith("Unnamed") or frame[n].notna().any() for n in names]
    ]
    frame[ROW] = [i for i, _ in body]
    return frame


def _excel_cells(data: Any, display: str, options: ReadOptions, fail) -> tuple[str, list[list[Any]]]:
    """The sheet's name and cells, as openpyxl reads them; by calamine when it reads them the
    same (:mod:`reportlib.inputs._xlsx`, ~10x faster), else by openpyxl, which also checks
    that formula cells hold their computed values."""
    fast = sheet_cells(data, options.sheet, lambda names, sheet: _pick_sheet(names, display, sheet, fail))
    if fast is not None:
        return fast
    if isinstance(data, io.IOBase):
        data.seek(0)
    import openpyxl  # only for a sheet calamine leaves to it (see LAZY_ALLOWED in tests/test_layout.py)

    book = openpyxl.load_workbook(data, read_only=True, data_only=True)
    try:
        sheet = _pick_sheet(book.sheetnames, display, options.sheet, fail)
        cells = [list(r) for r in book[sheet].iter_rows(values_only=True)]
        formulas = _has_formulas(book[sheet])
    finally:
        book.close()
    if formulas:
        _check_formulas(data, sheet, cells, display, fail, options.formula_text)
    return sheet, cells


def _filled(v: Any) -> bool:
    return v is not None and not (isinstance(v, str) and not v.strip())


def _unique_names(header: list[Any]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, v in enumerate(header):
        name = str(v).strip() if _filled(v) else f"Unnamed: {i}"
        if isinstance(v, float) and v.is_integer():
            name = str(int(v))
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        out.append(name)
    return out


def _pick_sheet(names: list[str], display: str, sheet: str | None, fail) -> str:
    if sheet is None:
        if len(names) > 1:
            raise fail(
                f'{display} has several sheets ({", ".join(names)}); say which one with sheet = "..." in company.toml.'
            )
        return names[0]
    if sheet not in names:
        raise fail(
            f"{display} has no sheet named '{sheet}'. Its sheets are: {', '.join(names)}." + did_you_mean(sheet, names)
        )
    return sheet


def _has_formulas(worksheet: Any) -> bool:
    """Whether the sheet's XML holds a formula element (``<f>``): without one, the second
    pass of :func:`_check_formulas` (as long as the first) would find nothing."""
    source = getattr(worksheet, "_get_source", None)  # openpyxl's read-only sheet
    if source is None:
        return True
    with source() as xml:
        return _FORMULA_ELEMENT.search(xml.read()) is not None


def _check_formulas(data: Any, sheet: str, values: list[list[Any]], display: str, fail, as_text: bool = False) -> None:
    """Formula cells saved without their computed value read as blank: refuse them by name.

    Files written by scripts (not by Excel) often hold formulas that were never calculated;
    read as blank, the customers on those rows would look churned. With ``as_text`` (report
    layouts, whose totals are formulas the reader skips) each such cell holds its formula
    text instead, so a formula on a line that is read is named as "not an amount".
    """
    if isinstance(data, io.BytesIO):
        data.seek(0)
    import openpyxl  # as above: only when the sheet was left to openpyxl

    book = openpyxl.load_workbook(data, read_only=True, data_only=False)
    try:
        missing = []
        for r, row in enumerate(book[sheet].iter_rows(values_only=True)):
            for c, v in enumerate(row):
                if (
                    isinstance(v, str)
                    and v.startswith("=")
                    and r < len(values)
                    and (c >= len(values[r]) or values[r][c] is None)
                ):
                    missing.append(f"{openpyxl.utils.get_column_letter(c + 1)}{r + 1}")
                    if as_text and c < len(values[r]):
                        values[r][c] = v
    finally:
        book.close()
    if missing and not as_text:
        shown = ", ".join(missing[:20]) + (f" and {len(missing) - 20} more" if len(missing) > 20 else "")
        raise fail(
            f"{display} sheet '{sheet}' has formula cells without a saved value ({shown}): they "
            "would read as blank. Open the file in Excel or LibreOffice, let it calculate, and save "
            "it again (or export the sheet as CSV)."
        )
