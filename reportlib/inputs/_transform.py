"""The transform layer: an input's files in an in-process DuckDB, then ``where``,
``[compute]``, a whole ``sql`` query or a known ``source``.

The main file(s) become the view ``export`` (every column VARCHAR, the text as written,
plus ``__row__``); each file is also a table named after its stem for ``sql``; joins with
``left_on``/``right_on`` or ``aggregate = "sum"`` are done here too, so ``where`` and
``compute`` name the file's own columns after joins. Once the tables are loaded, external
access is disabled and the configuration locked: an expression can read nothing but the
input's files and write nothing. A DuckDB error becomes one :class:`Problem` naming the
file, the key and DuckDB's message in plain words.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from reportlib.exceptions import InputError, Problem
from reportlib.inputs import _guards
from reportlib.inputs._accounts import LONG_COLUMNS, read_accounts, to_financials
from reportlib.inputs._readers import FILE, ROW, ReadError, ReadOptions, read_files, resolve_paths
from reportlib.inputs._schemas import SCHEMAS
from reportlib.inputs._values import Notes, day_month_order, parse_dates, text
from reportlib.inputs.config import CONFIG_FILE, InputSpec, JoinSpec, did_you_mean
from reportlib.inputs.sources import SOURCES, Source, get_source
from reportlib.inputs.sources._base import VALUES_COLUMNS, values_table
from reportlib.inputs.sources._sql import q, timestamp

if TYPE_CHECKING:  # pragma: no cover
    from duckdb import DuckDBPyConnection

EXPORT = "export"


@dataclass
class Transformed:
    """The frame the canonical mapping reads, the spec it maps with, and what was dropped."""

    frame: pd.DataFrame | None
    spec: InputSpec
    dropped_by_where: int = 0
    problems: list[Problem] = field(default_factory=list)


def find_source(spec: InputSpec) -> tuple[Source | None, list[Problem]]:
    """The known source ``spec.source`` names, checked against the input it feeds."""
    if not spec.source:
        return None, []
    key = f"inputs.{spec.name}.source"
    try:
        source = get_source(spec.source)
    except KeyError:
        known = ", ".join(sorted(SOURCES)) or "none installed"
        return None, [
            Problem(
                f"{key} = {spec.source!r} is not a known source."
                + did_you_mean(spec.source, SOURCES)
                + f" Known sources: {known}.",
                file=CONFIG_FILE,
                column=key,
                input=spec.name,
            )
        ]
    if source.feeds != spec.name:
        return None, [
            Problem(
                f"{key} = {spec.source!r} reads a {source.feeds} export; put it under "
                f"[inputs.{source.feeds}], not [inputs.{spec.name}].",
                file=CONFIG_FILE,
                column=key,
                input=spec.name,
            )
        ]
    return source, []


def source_read_options(options: ReadOptions, source: Source | None) -> ReadOptions:
    """Reader hints of a known source (comment, footer, header_row) under the user's own keys."""
    if source is None or not source.read:
        return options
    hints = {
        k: (tuple(v) if k == "footer" else v) for k, v in source.read.items() if k in ReadOptions.__dataclass_fields__
    }
    mine = {k: v for k, v in options.__dict__.items() if v is not None and v is not False and v != ()}
    return ReadOptions(**{**options.__dict__, **hints, **mine})


def transform(
    folder: Path, spec: InputSpec, main: pd.DataFrame, options: ReadOptions, source: Source | None
) -> Transformed:
    """Run the input's joins, ``where``, ``compute`` and ``sql`` or ``source`` in DuckDB."""
    import duckdb  # here, not at the top: most inputs need no transform, and kernels none

    out = Transformed(None, spec)
    con = duckdb.connect(config={"threads": 1})
    try:
        joins = _load(con, folder, spec, main, options, source, out)
        if out.problems:
            return out
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        out.frame = _run(con, spec, main, source, joins, out)
    finally:
        con.close()
    return out


# ======================================================================================
# loading


def table_name(file: str) -> str:
    """A file's table name in ``sql``: its stem, lower case, other characters as ``_``."""
    name = Path(file).name.lower()
    for suffix in (".gz", ".zip"):
        name = name.removesuffix(suffix)
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return re.sub(r"[^a-z0-9_]", "_", stem)


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every data column as text (as written), ``__row__`` as a whole number."""
    data = {c: text(frame[c]) if c not in (ROW, FILE) else frame[c] for c in frame.columns}
    out = pd.DataFrame(data, index=frame.index)
    for c in out.columns:
        if c != ROW:
            out[c] = out[c].astype(object).where(out[c].notna(), None)
    out[ROW] = out[ROW].astype("int64")
    return out


def _register(con: DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    con.register("__frame__", _as_text(frame))
    columns = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' if c != ROW else f'"{c}"' for c in frame.columns)
    con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT {columns} FROM __frame__')
    con.unregister("__frame__")


def _load(
    con,
    folder: Path,
    spec: InputSpec,
    main: pd.DataFrame,
    options: ReadOptions,
    source: Source | None,
    out: Transformed,
) -> list[tuple[JoinSpec, str, pd.DataFrame]]:
    _register(con, EXPORT, main)
    if FILE in main and main[FILE].nunique() > 1:
        for file, part in main.groupby(FILE, sort=False):
            _register(con, table_name(str(file)), part.drop(columns=[FILE]))
    else:
        _register(con, table_name(spec.patterns[0]), main.drop(columns=[FILE], errors="ignore"))
    joins = []
    for join in spec.join:
        try:
            paths = resolve_paths(folder, (join.path,), spec.name)
            frame = read_files(
                folder, paths, replace(options, sheet=join.sheet, header_row=None, footer=(), member=None), spec.name
            )
        except ReadError as exc:
            out.problems.append(exc.problem)
            continue
        name = table_name(join.path)
        _register(con, name, frame)
        joins.append((join, name, frame))
    if source is not None:
        for table, pattern in source.side_tables.items():
            hit = next(
                (
                    n
                    for j, n, _ in joins
                    if fnmatch.fnmatch(n, pattern.lower())
                    or fnmatch.fnmatch(Path(j.path).name.lower(), pattern.lower())
                ),
                None,
            )
            if hit is not None and hit != table:
                con.execute(f'CREATE OR REPLACE VIEW "{table}" AS SELECT * FROM "{hit}"')
        _register_values(con, spec, source)
    return joins


def _register_values(con: DuckDBPyConnection, spec: InputSpec, source: Source) -> None:
    """company.toml's ``values`` translations that ``source`` applies in its own query (an
    outcome read from the stage), as its ``values_<column>`` tables."""
    for column in source.values:
        mapping = spec.values.get(column)
        if mapping:
            pairs = pd.DataFrame(
                {
                    VALUES_COLUMNS[0]: [str(k).strip().lower() for k in mapping],
                    VALUES_COLUMNS[1]: list(mapping.values()),
                }
            )
            con.register("__values__", pairs)
            con.execute(f'CREATE OR REPLACE TABLE "{values_table(column)}" AS SELECT * FROM __values__')
            con.unregister("__values__")


# ======================================================================================
# running


def _run(
    con,
    spec: InputSpec,
    main: pd.DataFrame,
    source: Source | None,
    joins: list[tuple[JoinSpec, str, pd.DataFrame]],
    out: Transformed,
) -> pd.DataFrame | None:
    main_cols = [c for c in main.columns if c not in (ROW, FILE)]
    columns = dict(spec.columns)
    if source is None:
        for join, name, frame in joins:
            mapped = _join(con, spec, join, name, frame, main_cols, out)
            if mapped is None:
                return None
            columns.update(mapped)
    elif missing := source.missing_columns(main_cols):
        out.problems.append(
            Problem(
                f"{spec.path} is not a {source.name} export ({source.documentation}): it lacks the column(s) "
                f"{', '.join(missing)}. Its columns are: {', '.join(main_cols[:30])}.",
                file=spec.path,
                column=f"inputs.{spec.name}.source",
                input=spec.name,
            )
        )
        return None
    before = _count(con)
    if spec.where and not _step(con, spec, "where", f'SELECT * FROM "{EXPORT}" WHERE ({spec.where})', out):
        return None
    out.dropped_by_where = before - _count(con)
    for canon, expression in spec.compute.items():
        if not _compute(con, spec, canon, expression, out):
            return None
        columns.pop(canon, None)
    if source is not None and not _export_checked(con, spec, source, out):
        return None
    result = _result(con, spec, source, out)
    if result is None:
        return None
    if ROW not in result:
        result[ROW] = range(1, len(result) + 1)
    out.spec = replace(
        spec,
        columns=columns,
        join=(),
        compute={},
        where=None,
        sql=None,
        layout="long" if spec.layout == "accounts" else spec.layout,
        # translated by the source's own query already: not a second time by the mapping
        values={k: v for k, v in spec.values.items() if source is None or k not in source.values},
        dimensions=spec.dimensions + _extra_columns(spec, source, result),
    )
    return result


def _extra_columns(spec: InputSpec, source: Source | None, result: pd.DataFrame) -> tuple[str, ...]:
    """A source's output columns beyond the canonical ones: kept as dimensions (pipeline, plan...)."""
    if source is None:
        return ()
    known = set(SCHEMAS[spec.name]) | set(spec.columns) | set(spec.dimensions) | {ROW, FILE}
    return tuple(str(c) for c in result.columns if c not in known)


def _export_checked(con, spec: InputSpec, source: Source, out: Transformed) -> bool:
    """The export as the source's query may read it: its values known, its dates readable,
    no record twice. False (with problems naming the cells) when it cannot be."""
    errors = len([p for p in out.problems if p.severity == "error"])
    columns = {c.casefold(): c for c in _columns(con)}
    for name, allowed in source.allowed.items():
        if name.casefold() in columns:
            out.problems += _unknown_values(con, spec, source, columns[name.casefold()], allowed)
    dates = [columns[name.casefold()] for name in source.dates if name.casefold() in columns]
    if dates:
        _read_dates(con, spec, source, dates, out)
    if source.record_id is not None and not _without_repeats(con, spec, source, out):
        return False
    return len([p for p in out.problems if p.severity == "error"]) == errors


def _unknown_values(con, spec: InputSpec, source: Source, column: str, allowed: tuple[str, ...]) -> list[Problem]:
    """An error per value of ``column`` that the tool does not write, with its rows."""
    known = ", ".join(f"'{v}'" for v in allowed)
    found = con.execute(
        f'SELECT TRIM("{column}") AS v, list("{ROW}" ORDER BY "{ROW}") FROM "{EXPORT}" '
        f'WHERE NULLIF(TRIM("{column}"), \'\') IS NOT NULL AND lower(TRIM("{column}")) NOT IN ({known}) '
        "GROUP BY 1 ORDER BY 1 LIMIT 20"
    ).fetchall()
    return [
        Problem(
            f"Row{'s' if len(rows) > 1 else ''} {', '.join(map(str, rows[:5]))}{' ...' if len(rows) > 5 else ''}: "
            f"'{value}' is not a value {source.name} exports write in {column}; they write {known}. "
            f"Give the export as the tool wrote it (e.g. 'year', not 'yearly').",
            file=spec.path,
            row=int(rows[0]),
            column=column,
            input=spec.name,
        )
        for value, rows in found
    ]


def _read_dates(con, spec: InputSpec, source: Source, columns: list[str], out: Transformed) -> None:
    """The source's date ``columns`` as one ISO text per instant, so that the query reads them
    and two copies of a record compare on the date, not on how it was written.

    Cells the source's own formats cannot read (a file re-saved as ``25/02/2026 00:00``) are
    read by the inputs' date parser (``date_format``, ``dayfirst``) with ONE day/month order
    per file, over all its date columns: a spreadsheet re-saves every date of a file alike.
    """
    cells = _unreadable_dates(con, columns)
    files = cells.groupby(FILE, sort=False) if FILE in cells else [(spec.path, cells)]
    for file, part in files:
        _read_file_dates(con, spec, source, str(file), part.reset_index(drop=True), out)
    for column in columns:
        cell = timestamp(q(column))
        con.execute(f"UPDATE {q(EXPORT)} SET {q(column)} = strftime({cell}, '{_ISO}') WHERE {cell} IS NOT NULL")


#: The one text a source's date cells are rewritten to.
_ISO = "%Y-%m-%d %H:%M:%S"


def _unreadable_dates(con, columns: list[str]) -> pd.DataFrame:
    """The non-blank cells of ``columns`` that the sources' timestamp formats cannot read:
    ``rid`` (DuckDB's rowid), the row, the file when the export stacks several, column and cell."""
    file = f", {q(FILE)}" if FILE in _columns(con) else ""
    selects = [
        f"SELECT rowid AS rid, {q(ROW)}{file}, '{c.replace(chr(39), chr(39) * 2)}' AS \"column\", {q(c)} AS cell "
        f"FROM {q(EXPORT)} WHERE NULLIF(TRIM({q(c)}), '') IS NOT NULL AND {timestamp(q(c))} IS NULL"
        for c in columns
    ]
    return con.execute(" UNION ALL ".join(selects) + f" ORDER BY {q(ROW)}").df()


def _read_file_dates(con, spec: InputSpec, source: Source, file: str, cells: pd.DataFrame, out: Transformed) -> None:
    """One file's unreadable date ``cells`` parsed together, in one order, and written back;
    what the parser found said per column, naming the file."""
    if cells.empty:
        return
    notes = Notes()
    dates, bad = parse_dates(cells["cell"], spec.date_format, spec.dayfirst, notes, within="this file")
    out.problems += [
        Problem(
            f"{int((mask & mine).sum()):,} value(s) in this column: {sentence}",
            file=file,
            row=int(cells.loc[mask & mine, ROW].iloc[0]),
            column=column,
            severity="warning" if severity == "warning" else "error",
            input=spec.name,
        )
        for severity, sentence, mask in notes.items
        for column, mine in _by_column(cells)
        if (mask & mine).any()
    ]
    if not spec.date_format:
        out.problems += _order_from_other_columns(spec, file, cells)
    how = f"date_format = {spec.date_format!r} does not fit it" if spec.date_format else "set date_format"
    out.problems += [
        Problem(
            f"'{str(cell).strip()}' could not be read as a date ({source.name} writes e.g. 2026-01-05 10:12). "
            f'If the file was re-saved with other dates, {how} (e.g. date_format = "%d/%m/%Y %H:%M") or '
            f"dayfirst = true under [inputs.{spec.name}].",
            file=file,
            row=int(row),
            column=column,
            input=spec.name,
        )
        for cell, row, column in cells.loc[bad, ["cell", ROW, "column"]].head(20).itertuples(index=False)
    ]
    read = pd.DataFrame(
        {"rid": cells.loc[~bad, "rid"], "iso": dates[~bad].dt.strftime(_ISO), "column": cells.loc[~bad, "column"]}
    )
    con.register("__dates__", read)
    for column in read["column"].unique():
        con.execute(
            f"UPDATE {q(EXPORT)} SET {q(column)} = d.iso FROM __dates__ d "
            f'WHERE {q(EXPORT)}.rowid = d.rid AND d."column" = ?',
            [column],
        )
    con.unregister("__dates__")


def _by_column(cells: pd.DataFrame) -> list[tuple[str, pd.Series]]:
    return [(str(c), cells["column"].eq(c)) for c in cells["column"].unique()]


def _order_from_other_columns(spec: InputSpec, file: str, cells: pd.DataFrame) -> list[Problem]:
    """A warning per date column whose own cells do not show day or month first (10/03/2026)
    but are read in the order another column of the file shows (20/01/2026: day first)."""
    shown = day_month_order(cells["cell"].astype("string").str.strip())
    if shown["day_first"].any() == shown["month_first"].any():
        return []  # neither shown (the parser warned) or both (the parser's error)
    order = "day first" if shown["day_first"].any() else "month first"
    if spec.dayfirst and order == "day first":
        return []  # what dayfirst = true says
    settled = shown["day_first"] | shown["month_first"]
    witness = cells[settled].iloc[0]
    return [
        Problem(
            f"{int((mine & shown['either']).sum()):,} value(s) in this column (e.g. "
            f"{cells.loc[mine & shown['either'], 'cell'].iloc[0]}) could be day or month first; they are read "
            f"{order}, as {witness['column']} shows in this file ({witness['cell']}): a file re-saved by a "
            f"spreadsheet writes all its dates one way. If this column differs, set date_format.",
            file=file,
            row=int(cells.loc[mine & shown["either"], ROW].iloc[0]),
            column=column,
            severity="warning",
            input=spec.name,
        )
        for column, mine in _by_column(cells)
        if not (mine & settled).any() and (mine & shown["either"]).any()
    ]


def _without_repeats(con, spec: InputSpec, source: Source, out: Transformed) -> bool:
    """The export without the later copies of a record exported twice (by the source's
    ``record_id``), each said; False when two copies differ. Without the id column, rows
    identical in every column are only warned about (they may be real)."""
    frame = con.execute(f'SELECT rowid AS "__rowid__", * FROM "{EXPORT}"').df().set_index("__rowid__")
    column = next((c for c in frame.columns if str(c).casefold() == source.record_id.casefold()), None)
    if column is None:
        out.problems += _guards.identical_rows(frame, spec.path, spec.name)
        return True
    drop, problems = _guards.repeated_records(frame, column, spec.path, spec.name)
    out.problems += problems
    if any(p.severity == "error" for p in problems):
        return False
    if drop:
        con.execute(f'DELETE FROM "{EXPORT}" WHERE rowid IN ({", ".join(str(int(i)) for i in drop)})')
    return True


def _count(con) -> int:
    return con.execute(f'SELECT count(*) FROM "{EXPORT}"').fetchone()[0]


def _columns(con, table: str = EXPORT) -> list[str]:
    return [r[0] for r in con.execute(f'DESCRIBE "{table}"').fetchall()]


def _step(con, spec: InputSpec, key: str, query: str, out: Transformed) -> bool:
    """Replace ``export`` by ``query``; False (and a problem) when DuckDB refuses it."""
    import duckdb

    try:
        con.execute(f'CREATE OR REPLACE TEMP TABLE "__step__" AS {query}')
        con.execute(f'DROP TABLE "{EXPORT}"')
        con.execute(f'ALTER TABLE "__step__" RENAME TO "{EXPORT}"')
    except duckdb.Error as exc:
        out.problems.append(sql_problem(spec, key, exc))
        return False
    return True


def _compute(con, spec: InputSpec, canon: str, expression: str, out: Transformed) -> bool:
    quoted = canon.replace('"', '""')
    if canon in _columns(con):
        query = f'SELECT * REPLACE (({expression}) AS "{quoted}") FROM "{EXPORT}"'
    else:
        query = f'SELECT *, ({expression}) AS "{quoted}" FROM "{EXPORT}"'
    return _step(con, spec, f"compute.{canon}", query, out)


def _result(con, spec: InputSpec, source: Source | None, out: Transformed) -> pd.DataFrame | None:
    import duckdb

    try:
        if source is not None and source.frame is not None:
            result = source.frame(_cells(con))
        elif source is not None:
            result = source.run(con)
            out.problems += [
                replace(p, file=p.file or spec.path, input=p.input or spec.name)
                for check in source.checks
                for p in check(result)
            ]
        elif spec.layout == "accounts":
            result = read_accounts(_cells(con), file=spec.path)
        elif spec.sql:
            result = con.execute(spec.sql).df()
        else:
            result = con.execute(f'SELECT * FROM "{EXPORT}" ORDER BY "{ROW}"').df()
        if set(LONG_COLUMNS) <= set(result.columns):
            # A P&L report read as account lines: summed into canonical lines by the
            # company's own mapping of accounts.
            result = to_financials(result, spec.accounts, file=spec.path)
        return result
    except duckdb.Error as exc:
        key = "source" if source is not None else "sql"
        out.problems.append(sql_problem(spec, key, exc))
    except InputError as exc:
        out.problems += [replace(p, file=p.file or spec.path, input=p.input or spec.name) for p in exc.problems]
    return None


def _cells(con) -> pd.DataFrame:
    """The export's cells as read, in file order (for report layouts)."""
    return con.execute(f'SELECT * FROM "{EXPORT}" ORDER BY "{ROW}"').df()


def _join(
    con, spec: InputSpec, join: JoinSpec, name: str, frame: pd.DataFrame, main_cols: list[str], out: Transformed
) -> dict[str, str] | None:
    """Join ``name`` onto ``export``; the canonical columns it gives (as named in ``export``)."""
    right_cols = [c for c in frame.columns if c not in (ROW, FILE)]
    missing = [(k, spec.path, main_cols) for k in join.on if k not in main_cols]
    missing += [(k, join.path, right_cols) for k in join.right_keys if k not in right_cols]
    missing += [(c, join.path, right_cols) for c in join.columns.values() if c not in right_cols]
    for col, file, cols in missing:
        out.problems.append(
            Problem(
                f"Column '{col}' is not in {file}." + did_you_mean(col, cols), file=file, column=col, input=spec.name
            )
        )
    if missing:
        return None
    keys = list(join.right_keys)
    right = f'"{name}"'
    if join.aggregate == "sum":
        right = f"({_summed(con, name, keys, right_cols)})"
    elif not _unique_keys(con, spec, join, name, keys, out):
        return None
    if not _matched(con, spec, join, name, out):
        return None
    taken = set(main_cols) | {ROW, FILE}
    renamed = {c: (c if c not in taken else f"{table_name(join.path)}.{c}") for c in right_cols if c not in keys}
    pick = ", ".join(f'r."{c}" AS "{n}"' for c, n in renamed.items())
    on = " AND ".join(f'e."{left}" = r."{r}"' for left, r in zip(join.on, keys, strict=False))
    how = "INNER" if join.how == "inner" else "LEFT"
    query = f'SELECT e.*{", " + pick if pick else ""} FROM "{EXPORT}" e {how} JOIN {right} r ON {on}'
    if not _step(con, spec, f"join {join.path}", query, out):
        return None
    return {canon: renamed.get(col, col) for canon, col in join.columns.items()}


def _matched(con, spec: InputSpec, join: JoinSpec, name: str, out: Transformed) -> bool:
    """Whether any key of ``export`` matches the joined file's (:func:`_guards.unmatched_join`
    warns when too few do)."""
    named = con.execute(f"SELECT * FROM {q(EXPORT)} LIMIT 0").df().columns
    where = [c for c in (ROW, FILE) if c in named]  # the rows' place, for the message
    left = con.execute(f"SELECT {', '.join(q(k) for k in [*join.on, *where])} FROM {q(EXPORT)}").df()
    right = con.execute(f"SELECT {', '.join(q(k) for k in join.right_keys)}, {q(ROW)} FROM {q(name)}").df()
    unmatched = _guards.unmatched_join(spec, join, left, right)
    out.problems += unmatched
    return not any(p.severity == "error" for p in unmatched)


def _summed(con, name: str, keys: list[str], columns: list[str]) -> str:
    """The right side with one row per key: numeric columns summed, others the first row's."""
    exprs = []
    for c in columns:
        if c in keys:
            continue
        numeric = con.execute(f'SELECT count("{c}") = count(TRY_CAST("{c}" AS DOUBLE)) FROM "{name}"').fetchone()[0]
        exprs.append(f'sum(TRY_CAST("{c}" AS DOUBLE)) AS "{c}"' if numeric else f'arg_min("{c}", "{ROW}") AS "{c}"')
    group = ", ".join(f'"{k}"' for k in keys)
    return f'SELECT {group}{", " if exprs else ""}{", ".join(exprs)} FROM "{name}" GROUP BY {group}'


def _unique_keys(con, spec: InputSpec, join: JoinSpec, name: str, keys: list[str], out: Transformed) -> bool:
    group = ", ".join(f'"{k}"' for k in keys)
    dup = con.execute(
        f'SELECT {group}, list("{ROW}" ORDER BY "{ROW}") FROM "{name}" '
        f"WHERE {' AND '.join(f'{chr(34)}{k}{chr(34)} IS NOT NULL' for k in keys)} "
        f"GROUP BY {group} HAVING count(*) > 1 ORDER BY 1 LIMIT 20"
    ).fetchall()
    for *key, rows in dup:
        shown = ", ".join(f"{k} '{v}'" for k, v in zip(keys, key, strict=False))
        out.problems.append(
            Problem(
                f"{join.path} has more than one row for {shown} (rows {', '.join(map(str, rows))}); a joined "
                "file must have one row per key, or every match would be counted twice. Set aggregate = "
                '"sum" on the join to add them up instead.',
                file=join.path,
                row=int(rows[0]),
                column=keys[0],
                input=spec.name,
            )
        )
    return not dup


# ======================================================================================
# messages


_KIND = re.compile(r"^([A-Za-z ]+) Error: ")


def sql_problem(spec: InputSpec, key: str, exc: Exception) -> Problem:
    """DuckDB's message in plain words: no error class, no caret diagram, a suggestion."""
    message = str(exc).split("\n\nLINE")[0].strip()
    kind = _KIND.match(message)
    message = _KIND.sub("", message)
    message = re.sub(
        r"\nCandidate bindings: (.*)",
        lambda m: " Did you mean " + m.group(1).split(",")[0].replace(f'"{EXPORT}.', '"').strip() + "?",
        message,
    )
    message = message.replace("\n", " ").replace(" in FROM clause!", ".")
    hint = ""
    if kind and kind.group(1) == "Parser":
        hint = (
            " Write DuckDB SQL over the file's own columns: names in double quotes, text in single "
            "quotes, e.g. \"Status\" = 'active'."
        )
    elif kind and kind.group(1) == "Permission":
        hint = " Expressions may read only this input's own files."
    where = f"inputs.{spec.name}.{key}" if not key.startswith("join") else f"inputs.{spec.name} ({key})"
    return Problem(
        f"{where} could not be run: {message[0].lower() + message[1:] if message else 'no detail'}"
        + ("" if message.endswith(".") else ".")
        + hint,
        file=spec.path,
        column=where,
        input=spec.name,
    )
