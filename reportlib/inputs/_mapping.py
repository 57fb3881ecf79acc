"""Turn one input's raw file(s) into its canonical, typed, checked DataFrame.

The steps follow the mapping in company.toml: read the file, join the related files,
melt a wide MRR sheet, pick and rename the columns, apply defaults and value
translations, parse every value (vectorised, each failure kept as a boolean mask), check
the rules of the canonical schema, then the whole-table checks (duplicates, gaps,
currencies). Every failure becomes a :class:`Problem` naming the file, the row as the
user sees it, the column and what is wrong.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reportlib._codes import codes_pending
from reportlib.exceptions import Problem
from reportlib.inputs import _guards
from reportlib.inputs._fx import FxRates, convert, needs_rate
from reportlib.inputs._keys import duplicated_keys, month_gaps
from reportlib.inputs._readers import (
    FILE,
    ROW,
    TITLE_SCAN,
    ReadError,
    ReadOptions,
    file_kind,
    read_files,
    read_table,
    resolve_paths,
)
from reportlib.inputs._schemas import MONEY, MONTHLY_SERIES, SCHEMAS, SUMMED_ROWS, UNIQUE_KEYS, Col
from reportlib.inputs._transform import find_source, source_read_options, transform
from reportlib.inputs._values import (
    ABSURD,
    Notes,
    parse_dates,
    parse_months,
    parse_numbers,
    parse_periods,
    present,
    text,
)
from reportlib.inputs.config import AMOUNT_UNITS, InputSpec, did_you_mean

MAX_ROWS = 20  # rows listed per kind of problem; the rest are counted
_COL = "__col__"  # wide layout: the month column a value came from


@dataclass
class Loaded:
    """The result of loading one input: the frame (None when unusable) and what was found."""

    name: str
    frame: pd.DataFrame | None
    problems: list[Problem] = field(default_factory=list)
    sources: list[Path] = field(default_factory=list)
    # With ``defer_checks``: the whole-table checks, left to be run later (on another
    # thread); they return their problems, whose place is ``problems[checks_at]``.
    checks: Callable[[], list[Problem]] | None = None
    checks_at: int = 0


@dataclass(frozen=True)
class _Source:
    """Where a canonical column comes from: a raw column, or a constant."""

    column: str | None  # column in the working frame
    file: str  # file name shown to the user
    shown: str  # column name shown to the user
    row: str = ROW  # the row-number column of that file
    constant: Any = None


# ======================================================================================
# entry point


def load_input(
    folder: Path, spec: InputSpec, currency: str, fx: FxRates | None = None, defer_checks: bool = False
) -> Loaded:
    """Load, map and check one canonical input of the company in ``folder``.

    Read the file(s); without a transform key, map them directly (the fast canonical
    path); with one (``source``, ``where``, ``compute``, ``sql``, a keyed or summed
    join), run them through DuckDB first. Then map, parse, check, and guard. With ``fx``
    (the company's ``[fx]`` rates) rows in another currency are converted. With
    ``defer_checks`` the whole-table checks (duplicates, gaps, currencies, suspicious
    amounts) are not run but returned as ``Loaded.checks``, and the frame is returned as
    if they found nothing: the caller runs them beside its own work and must not use the
    frame when they find an error.
    """
    out = Loaded(spec.name, None)
    source, problems = find_source(spec)
    out.problems += problems
    if problems:
        return out
    options = source_read_options(
        ReadOptions(
            spec.delimiter,
            spec.encoding,
            spec.sheet,
            spec.header_row,
            spec.comment,
            spec.footer,
            spec.member,
            formula_text=spec.layout == "accounts",
        ),
        source,
    )
    try:
        paths = resolve_paths(folder, spec.patterns, spec.name)
        out.sources += paths
        raw = read_files(folder, paths, options, spec.name)
    except ReadError as exc:
        out.problems.append(exc.problem)
        return out
    if spec.layout == "long" and (below := header_further_down(spec, raw)):  # before totals: "Total revenue"
        out.problems.append(below)
        return out
    if spec.name in MONEY and fx is None:  # with [fx], rows may be in other currencies
        out.problems += _guards.foreign_symbols(spec, source, raw, currency)
    raw, notes = _guards.without_totals(raw, spec, {file_kind(p) for p in paths})
    out.problems += notes
    if empty := _guards.no_rows(spec, raw):
        out.problems.append(empty)
        return out
    rows_read, dropped = len(raw), 0
    if spec.needs_transform:
        out.sources += [folder / j.path for j in spec.join]
        done = transform(folder, spec, raw, options, source)
        out.problems += done.problems
        if done.frame is None:
            return out
        raw, spec, dropped = done.frame, done.spec, done.dropped_by_where
        if dropped:
            out.problems.append(_guards.left_out_by_where(spec, dropped, rows_read))
    ctx = _Context(spec, currency, out.problems, fx)
    raw, sources = ctx.assemble(folder, raw, options, out.sources)
    if sources is None:
        return out
    frame = ctx.build(raw, sources, defer_checks)
    if ctx.checks is not None:
        out.checks, out.checks_at = ctx.checks, len(out.problems)
    if frame is not None:
        out.problems += _guards.rows_kept(spec, rows_read, dropped + ctx.left_out, frame)
    out.frame = frame
    return out


def _translate(values: pd.Series, mapping: dict[str, str]) -> pd.Series:
    """``values`` translations: case-insensitive, ``"*"`` for every value not listed."""
    lower = {str(k).strip().lower(): v for k, v in mapping.items() if k != "*"}
    out = values.str.lower().map(lower)
    fallback = mapping.get("*")
    rest = values if fallback is None else values.where(values.isna(), fallback)
    return out.fillna(rest)


def _pending(raw: pd.DataFrame, src: _Source) -> bool:
    """Whether the source reads a column whose codes are being computed ahead, not done yet."""
    return src.column is not None and src.column in raw and codes_pending(raw[src.column])


class _Context:
    """State shared by the steps of loading one input."""

    def __init__(self, spec: InputSpec, currency: str, problems: list[Problem], fx: FxRates | None = None):
        self.spec = spec
        self.fx = fx
        self.name = spec.name
        self.schema: dict[str, Col] = SCHEMAS[spec.name]
        self.currency = currency
        self.problems = problems
        self.sources: dict[str, _Source] = {}
        self.left_out = 0  # rows left out as bad (on_bad_rows = "warn")
        self.checks: Callable[[], list[Problem]] | None = None  # the whole-table checks, deferred

    # ----------------------------------------------------------------------------------
    # problems

    def problem(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        severity: str = "error",
    ) -> None:
        self.problems.append(
            Problem(message, file=file or self.spec.path, row=row, column=column, severity=severity, input=self.name)
        )

    def row_problems(
        self,
        frame: pd.DataFrame,
        mask: pd.Series,
        src: _Source,
        sentence: Callable[[Any], str],
        values: pd.Series | None = None,
        severity: str = "error",
    ) -> None:
        """One problem per distinct sentence (at most MAX_ROWS), its rows listed when several
        rows say the same ("Rows 4, 5, 9 ... (18 rows): ..."), then a count of the rest."""
        if not mask.any():
            return
        hit = frame.loc[mask]
        shown = (
            values
            if values is not None
            else frame[src.column]
            if src.column
            else pd.Series(src.constant, index=frame.index)
        ).loc[mask]
        cols = hit[_COL] if (_COL in hit and src.column == "__value__") else None
        groups: dict[tuple[str, str, str], list[int | None]] = {}
        for idx, value in shown.head(_SENTENCES).items():
            row = hit.at[idx, src.row]
            file = hit.at[idx, FILE] if FILE in hit and src.file == self.spec.path else src.file
            column = str(cols.at[idx]) if cols is not None else src.shown
            groups.setdefault((sentence(value), file, column), []).append(None if pd.isna(row) else int(row))
        for (said, file, column), rows in list(groups.items())[:MAX_ROWS]:
            self.problem(
                said if len(rows) == 1 else f"{_rows_listed(rows)}: {said}",
                file=file,
                row=rows[0],
                column=column,
                severity=severity,
            )
        told = sum(len(rows) for rows in list(groups.values())[:MAX_ROWS])
        rest = int(mask.sum()) - told
        if rest > 0:
            self.problem(
                f"... and {rest:,} more rows with other values and the same kind of problem in this column.",
                file=src.file,
                column=src.shown,
                severity=severity,
            )

    # ----------------------------------------------------------------------------------
    # step 1: files, joins, wide layout, column sources

    def assemble(
        self, folder: Path, raw: pd.DataFrame, options: ReadOptions, read: list[Path]
    ) -> tuple[pd.DataFrame, dict[str, _Source] | None]:
        spec = self.spec
        n_before = len(self.problems)
        main_cols = [c for c in raw.columns if c not in (ROW, FILE)]
        sources: dict[str, _Source] = {}

        if spec.layout == "wide":
            raw = self._melt(raw, main_cols)
            if raw is None:
                return pd.DataFrame(), None
            sources["month"] = _Source("__month__", spec.path, "(month columns)")
            sources["mrr"] = _Source("__value__", spec.path, "(month columns)")

        for canon, col in spec.columns.items():
            if canon in sources and spec.layout == "wide":
                self.problem(
                    f"In the wide layout the months are the columns; remove {canon} from [inputs.{self.name}] columns.",
                    file="company.toml",
                    column=f"columns.{canon}",
                )
                continue
            if col not in main_cols:
                self._missing_column(col, canon, spec.path, main_cols)
                continue
            sources[canon] = _Source(col, spec.path, col)
        for dim in spec.dimensions:
            if dim in sources:
                continue
            if dim not in main_cols:
                self._missing_column(dim, None, spec.path, main_cols)
                continue
            sources[dim] = _Source(dim, spec.path, dim)

        for i, join in enumerate(spec.join, start=1):
            raw = self._join(folder, raw, i, join, main_cols, options, read, sources)

        # Canonical columns the mapping did not name: a constant, or the file's own column.
        for canon in self.schema:
            if canon in sources:
                continue
            if canon in spec.defaults:
                sources[canon] = _Source(None, "company.toml", f"defaults.{canon}", constant=spec.defaults[canon])
                continue
            own = _own_column(canon, main_cols)
            if own is not None:
                sources[canon] = _Source(own, spec.path, own)
        for key, value in spec.defaults.items():
            if key not in sources:  # a constant dimension, e.g. segment = "All"
                sources[key] = _Source(None, "company.toml", f"defaults.{key}", constant=value)
        for canon in spec.values:
            if canon not in sources:
                self.problem(
                    f"[inputs.{self.name}.values.{canon}] translates values of '{canon}', "
                    f"but no column is mapped to {canon}.",
                    file="company.toml",
                    column=f"values.{canon}",
                )
        self._required(sources, main_cols)
        if any(p.severity == "error" for p in self.problems[n_before:]):  # a join's warning is no stop
            return raw, None
        return raw, sources

    def _missing_column(self, col: str, canon: str | None, file: str, present: list[str]) -> None:
        role = f"mapped to {canon}" if canon else "listed in dimensions"
        hint = did_you_mean(col, present) or (" The file's columns are: " + ", ".join(present[:30]) + ".")
        self.problem(
            f"Column '{col}' ({role} in company.toml [inputs.{self.name}]) is not in {file}." + hint,
            file=file,
            column=col,
        )

    def _required(self, sources: dict[str, _Source], main_cols: list[str]) -> None:
        schema = dict(self.schema)
        if self.name == "traffic" and "date" in sources:
            schema.pop("month")  # traffic may come by day; it is summed to months
        mapped = set(self.spec.columns) | {c for j in self.spec.join for c in j.columns}
        for canon, col in schema.items():
            # A mapped column missing from the file is reported already, with a suggestion.
            if col.required and canon not in sources and canon not in mapped:
                self.problem(
                    f"No column of {self.spec.path} is mapped to {canon}, which [inputs.{self.name}] "
                    f'needs. Add {canon} = "<column name>" to its columns.' + did_you_mean(canon, main_cols),
                    column=canon,
                )
        if self.name == "contracts" and "tcv" not in sources and "mrr" not in sources:
            self.problem(
                "Contracts need a value: map either tcv (total contract value) or mrr "
                "(monthly value) in [inputs.contracts] columns." + did_you_mean("tcv", main_cols),
                column="tcv",
            )

    def _join(
        self,
        folder: Path,
        raw: pd.DataFrame,
        i: int,
        join,
        main_cols: list[str],
        options: ReadOptions,
        read: list[Path],
        sources: dict[str, _Source],
    ) -> pd.DataFrame:
        path = folder / join.path
        read.append(path)
        try:
            other = read_table(
                path,
                join.path,
                sheet=join.sheet,
                input_name=self.name,
                options=ReadOptions(options.delimiter, options.encoding),
            )
        except ReadError as exc:
            self.problems.append(exc.problem)
            return raw
        other_cols = [c for c in other.columns if c != ROW]
        ok = True
        for key in join.on:
            for cols, file in ((main_cols, self.spec.path), (other_cols, join.path)):
                if key not in cols:
                    ok = False
                    self.problem(
                        f"The join key '{key}' is not a column of {file}." + did_you_mean(key, cols),
                        file=file,
                        column=key,
                    )
        for canon, col in join.columns.items():
            if col not in other_cols:
                ok = False
                self._missing_column(col, canon, join.path, other_cols)
        if not ok:
            return raw
        keys = list(join.on)
        other = other.copy()
        for k in keys:
            other[k] = text(other[k])
        dup = other.duplicated(keys, keep=False) & other[keys].notna().all(axis=1)
        if dup.any():
            first = other.loc[dup].head(MAX_ROWS)
            for _, r in first.iterrows():
                key_text = ", ".join(f"{k} '{r[k]}'" for k in keys)
                self.problem(
                    f"{join.path} has more than one row for {key_text}; a joined file must "
                    "have one row per key, or every match would be counted twice.",
                    file=join.path,
                    row=int(r[ROW]),
                    column=keys[0],
                )
            return raw
        left = raw.copy()
        for k in keys:
            left[k] = text(left[k])
        unmatched = _guards.unmatched_join(self.spec, join, left, other)
        self.problems += unmatched
        if any(p.severity == "error" for p in unmatched):
            return raw
        prefix = f"__join{i}__"
        wanted = dict.fromkeys(join.columns.values())
        right = other[keys + [c for c in wanted if c not in keys] + [ROW]]
        right = right.rename(columns={c: prefix + c for c in right.columns if c not in keys})
        merged = left.merge(right, on=keys, how=join.how, sort=False)
        for canon, col in join.columns.items():
            column = col if col in keys else prefix + col
            sources[canon] = _Source(column, join.path, col, row=prefix + ROW if col not in keys else ROW)
        return merged

    def _melt(self, raw: pd.DataFrame, main_cols: list[str]) -> pd.DataFrame | None:
        spec = self.spec
        id_cols = [c for c in list(spec.columns.values()) + list(spec.dimensions) if c in main_cols]
        if "customer_id" not in spec.columns and "customer_id" in main_cols:
            id_cols.append("customer_id")
        id_cols = list(dict.fromkeys(id_cols))
        month_cols = [c for c in main_cols if c not in id_cols]
        if not month_cols:
            self.problem(f"{spec.path} is declared wide (months as columns) but has no month columns.")
            return None
        if spec.month_format:
            months = pd.to_datetime(pd.Series(month_cols), format=spec.month_format, errors="coerce")
        else:
            months = parse_dates(pd.Series(month_cols, dtype="object"), None, spec.dayfirst)[0]
        bad = [c for c, m in zip(month_cols, months, strict=False) if pd.isna(m)]
        for c in bad:
            self.problem(
                f"Column '{c}' is not a month. In the wide layout every column other than the "
                "customer id and the dimensions must be a month (e.g. 2024-03 or Mar 2024); "
                "list other columns in dimensions, or set month_format.",
                column=c,
            )
        if bad:
            return None
        month_of = dict(zip(month_cols, pd.PeriodIndex(months, freq="M").astype(str), strict=False))
        long = raw.melt(
            id_vars=id_cols + [c for c in (ROW, FILE) if c in raw],
            value_vars=month_cols,
            var_name=_COL,
            value_name="__value__",
        )
        long = long.loc[long["__value__"].notna()]
        if long["__value__"].dtype == object:
            long = long.loc[~long["__value__"].astype(str).str.strip().eq("")]
        long["__month__"] = long[_COL].map(month_of)
        return long.reset_index(drop=True)

    # ----------------------------------------------------------------------------------
    # step 2: values

    def build(self, raw: pd.DataFrame, sources: dict[str, _Source], defer_checks: bool = False) -> pd.DataFrame | None:
        n_before = sum(p.severity == "error" for p in self.problems)
        self.sources = sources
        # the parsed columns, made a frame at once: each column added to a frame re-creates its labels
        rows = raw[ROW]
        columns, bad_rows = self._columns(raw, sources)  # bad_rows: (mask, reason, source)
        frame = pd.DataFrame(columns, index=raw.index)
        self._row_rules(raw, frame, bad_rows)
        if self.spec.on_bad_rows == "warn" and bad_rows:
            keep = ~pd.concat([m for m, _, _ in bad_rows], axis=1).any(axis=1)
            self.left_out = int((~keep).sum())
            self._warn_left_out(raw, bad_rows)
            frame, raw = frame.loc[keep], raw.loc[keep]
            rows = rows.loc[keep]
        self._warn_blanks(raw, frame)
        frame = self._finish(frame)
        frame[ROW] = rows
        frame = self._converted(raw, frame)
        if defer_checks:
            self.checks = self._checks_later(raw, frame)
        else:
            self._table_checks(raw, frame)
        errors = sum(p.severity == "error" for p in self.problems)
        frame = frame.drop(columns=[ROW]).reset_index(drop=True)
        if self.name == "traffic":
            # Traffic may come by day, page or campaign: the canonical grain is the month.
            keys = [c for c in frame.columns if c != "visitors"]
            frame = frame.groupby(keys, dropna=False, observed=True, sort=True, as_index=False)["visitors"].sum()
            frame = frame[["month", "visitors"] + [c for c in keys if c != "month"]]
        return frame if errors == n_before else None

    def _columns(
        self, raw: pd.DataFrame, sources: dict[str, _Source]
    ) -> tuple[dict[str, pd.Series], list[tuple[pd.Series, str, _Source]]]:
        """Each source's parsed column and its bad rows, with their problems, in the sources'
        order. An id column whose codes are still being computed on the second thread (a
        large file's, :func:`reportlib._codes.factorize_ahead`) is parsed last: the others
        are parsed meanwhile instead of waiting for it (0.07-0.1 s of 6M rows)."""
        found: dict[str, tuple[pd.Series, list, list[Problem]]] = {}
        shared = self.problems
        try:
            for name, src in sorted(sources.items(), key=lambda item: _pending(raw, item[1])):
                self.problems, bad_rows = [], []  # this column's
                found[name] = (self._column(raw, name, src, bad_rows), bad_rows, self.problems)
        finally:
            self.problems = shared
        columns, bad_rows = {}, []
        for name in sources:
            column, bad, problems = found[name]
            columns[name] = column
            bad_rows += bad
            shared += problems
        return columns, bad_rows

    def _column(self, raw: pd.DataFrame, name: str, src: _Source, bad_rows: list) -> pd.Series:
        """One source's parsed column; its bad rows added to ``bad_rows``, its problems said."""
        column = self._values(raw, name, src)
        col = self.schema.get(name)
        if col is None:  # a dimension: kept as text
            return text(column)
        notes = Notes()
        parsed, unparseable, blank = self._parse(column, col, name, notes)
        if self.spec.amount_unit not in (None, "units") and name in MONEY.get(self.name, ()):
            times, divided_by = AMOUNT_UNITS[self.spec.amount_unit]
            parsed = parsed * times / divided_by
        said = self._notes(raw, notes, src, column)
        if unparseable.any():
            bad_rows.append((unparseable, "unparseable", src))
            self.row_problems_bad(
                raw,
                unparseable & ~said,
                src,
                lambda v, c=col, n=name: _unparseable(v, c, n, self.spec),
                values=column,
            )
        if not col.nullable and blank.any():
            bad_rows.append((blank, f"'{src.shown}' is blank and {name} is required", src))
            if self.spec.on_bad_rows == "error":
                self.row_problems(
                    raw, blank, src, lambda v, n=name: f"{n} is blank; every row needs one.", values=column
                )
        self._rules(raw, parsed, name, col, src, bad_rows)
        return parsed

    def _notes(self, raw, notes: Notes, src: _Source, column: pd.Series) -> pd.Series:
        """Whole-column findings of the parser: errors are said for their cells (which the
        parser left unread), warnings once with the first rows. Returns the cells said."""
        said = pd.Series(False, index=raw.index)
        for severity, sentence, mask in notes.items:
            if not mask.any():
                continue
            if severity == "error":
                self.row_problems(raw, mask, src, lambda v, s=sentence: f"'{str(v).strip()}': {s}", values=column)
                said |= mask
            else:
                rows = raw.loc[mask, src.row].head(5).astype(int).tolist()
                self.problem(
                    f"{int(mask.sum()):,} value(s) in this column: {sentence} Rows "
                    f"{', '.join(map(str, rows))}{' ...' if mask.sum() > 5 else ''}.",
                    file=src.file,
                    row=rows[0],
                    column=src.shown,
                    severity="warning",
                )
        return said

    def row_problems_bad(self, raw, mask, src, sentence, values=None) -> None:
        if self.spec.on_bad_rows == "error":
            self.row_problems(raw, mask, src, sentence, values=values)

    def _values(self, raw: pd.DataFrame, name: str, src: _Source) -> pd.Series:
        if src.column is None:
            column = pd.Series([src.constant] * len(raw), index=raw.index, dtype=object)
        else:
            column = raw[src.column]
        mapping = self.spec.values.get(name)
        if mapping:
            column = _translate(text(column), mapping)
        if src.column is not None and name in self.spec.defaults:
            column = column.where(present(column), self.spec.defaults[name])
        return column

    def _parse(self, column: pd.Series, col: Col, name: str, notes: Notes) -> tuple[pd.Series, pd.Series, pd.Series]:
        """Parsed values, mask of text that does not parse, mask of blanks."""
        blank = ~present(column)
        spec = self.spec
        if col.kind in ("id", "text", "category"):
            values = text(column)
            if col.kind == "category":
                values = values.str.lower()
            return values, pd.Series(False, index=column.index), blank
        if col.kind == "date":
            values, bad = parse_dates(column, spec.date_format, spec.dayfirst, notes)
        elif col.kind == "month":
            values, bad = parse_months(column, spec.date_format, spec.dayfirst, notes)
        elif col.kind == "period":
            values, bad = parse_periods(column)
        else:  # number, score
            values, bad = parse_numbers(column, spec.decimal, spec.thousands)
        return values, bad & ~blank, blank

    def _rules(self, raw, values: pd.Series, name: str, col: Col, src: _Source, bad_rows) -> None:
        if col.kind == "category":
            unknown = present(values) & ~values.isin(col.allowed)
            if unknown.any():
                allowed = ", ".join(col.allowed)
                # A value outside the list means a missing translation: always an error.
                self.row_problems(
                    raw,
                    unknown,
                    src,
                    lambda v: (
                        f"'{str(v).strip()}' is not a known {name}. Allowed: {allowed}. Translate the file's "
                        f"own values with [inputs.{self.name}.values.{name}] in company.toml."
                        + did_you_mean(str(v).strip().lower(), col.allowed)
                    ),
                    values=self._values(raw, name, src),
                )
        if col.kind in ("number", "score") and col.min is not None:
            low = values.notna() & (values < col.min)
            if col.kind == "score":
                out = values.notna() & ((values < col.min) | (values > col.max) | (values % 1 != 0))
                # A score off the 0-10 scale means the export uses another scale: always an error.
                self.row_problems(
                    raw,
                    out,
                    src,
                    lambda v: f"NPS score {_num(v)} is outside 0-10; NPS needs whole-number scores from 0 to 10.",
                    values=values,
                )
            elif low.any():
                bad_rows.append((low, f"negative {name}", src))
                self.row_problems_bad(
                    raw,
                    low,
                    src,
                    lambda v: (
                        f"{name} is negative ({_num(v)}); {_NEGATIVE_WHY.get(self.name, 'it must be 0 or more')}."
                    ),
                    values=values,
                )

    def _row_rules(self, raw, frame, bad_rows) -> None:
        if self.name == "contracts":
            if "end_date" in frame and "start_date" in frame:
                before = (
                    frame["end_date"].notna() & frame["start_date"].notna() & (frame["end_date"] < frame["start_date"])
                )
                if self.spec.end_date_exclusive:
                    before = (
                        frame["end_date"].notna()
                        & frame["start_date"].notna()
                        & (frame["end_date"] <= frame["start_date"])
                    )
                src = self.sources["end_date"]
                bad_rows.append((before, "ends before it starts", src))
                if before.any():
                    said = (
                        "The contract ends on "
                        + frame["end_date"].dt.strftime("%Y-%m-%d")
                        + " before it starts on "
                        + frame["start_date"].dt.strftime("%Y-%m-%d")
                        + "."
                    )
                    self.row_problems_bad(raw, before, src, str, values=said)
            tcv = frame["tcv"] if "tcv" in frame else pd.Series(np.nan, index=frame.index)
            mrr = frame["mrr"] if "mrr" in frame else pd.Series(np.nan, index=frame.index)
            neither = tcv.isna() & mrr.isna()
            # rows whose value did not parse are reported already
            already = pd.Series(False, index=frame.index)
            for m, _, _s in bad_rows:
                already |= m
            neither &= ~already
            if neither.any():
                src = self.sources.get("tcv") or self.sources.get("mrr")
                bad_rows.append((neither, "no value", src))
                self.row_problems_bad(
                    raw, neither, src, lambda v: "The contract has neither a tcv nor an mrr value; give one of them."
                )
            # A total value with no end cannot be spread over a term (METRICS.md: revenue =
            # TCV x fraction served / L); only one-off lines may be open-ended with a TCV.
            kind = frame["revenue_type"] if "revenue_type" in frame else pd.Series("", index=frame.index)
            end = frame["end_date"] if "end_date" in frame else pd.Series(pd.NaT, index=frame.index)
            endless = tcv.notna() & mrr.isna() & end.isna() & kind.ne("one_off").fillna(True) & ~already
            if endless.any():
                src = self.sources.get("end_date") or self.sources.get("tcv")
                bad_rows.append((endless, "no end date", src))
                self.row_problems_bad(
                    raw,
                    endless,
                    src,
                    lambda v: (
                        "The recurring contract has a total contract value but no end date, so its "
                        "value cannot be spread over a term; give an end date or a monthly value (mrr)."
                    ),
                )
        if self.name == "targets" and "filter" in frame:
            f = frame["filter"]
            bad = f.notna() & ~(f.str.lower().eq("all") | f.str.fullmatch(r"[^=\s]+\s*=\s*\S.*").fillna(False))
            if bad.any():
                src = self.sources["filter"]
                bad_rows.append((bad, "bad filter", src))
                self.row_problems_bad(
                    raw,
                    bad,
                    src,
                    lambda v: (
                        f'\'{v}\' is not a target filter; write "all" or a dimension filter like "source=partner".'
                    ),
                    values=f,
                )

    def _warn_blanks(self, raw: pd.DataFrame, frame: pd.DataFrame) -> None:
        """A warning per column whose blanks its schema says leave rows out of some figures."""
        for name, col in self.schema.items():
            if col.blank_leaves is None or name not in frame or not len(frame):
                continue
            blank = frame[name].isna()
            if blank.any():
                said = f"{int(blank.sum()):,} {self.name} ({blank.mean():.0%}) have no {name}: {col.blank_leaves}"
                self._warn_rows(raw, blank, self.sources[name], lambda rows, s=said: f"{s} ({rows}).")

    def _warn_left_out(self, raw: pd.DataFrame, bad_rows) -> None:
        for mask, reason, src in bad_rows:
            if not mask.any():
                continue
            why = "the value could not be read" if reason == "unparseable" else reason
            said = f"{int(mask.sum()):,} row(s) left out because {why}"
            self._warn_rows(
                raw, mask, src, lambda rows, s=said: f'{s}: {rows}. Set on_bad_rows = "error" to stop instead.'
            )

    def _warn_rows(self, raw: pd.DataFrame, mask: pd.Series, src: _Source, said: Callable[[str], str]) -> None:
        """A warning about the rows of ``mask``; ``said`` words it around their listing
        ('rows 4, 5, 9 and 12 more')."""
        rows = raw.loc[mask, src.row].dropna().astype(int).tolist()
        listed = ", ".join(str(r) for r in rows[:MAX_ROWS])
        more = f" and {len(rows) - MAX_ROWS:,} more" if len(rows) > MAX_ROWS else ""
        self.problem(
            said(f"rows {listed}{more}"),
            file=src.file,
            row=rows[0] if rows else None,
            column=src.shown,
            severity="warning",
        )

    # ----------------------------------------------------------------------------------
    # step 3: canonical dtypes and the whole-table checks

    def _finish(self, frame: pd.DataFrame) -> pd.DataFrame:
        name = self.name
        if name == "contracts":
            for c in ("tcv", "mrr"):
                if c not in frame:
                    frame[c] = np.nan
            if "end_date" not in frame:
                frame["end_date"] = pd.NaT
            frame["end_date"] = frame["end_date"].astype("datetime64[ns]")
            if self.spec.end_date_exclusive:
                # The export's end date is the first day not served; ours is the last day served.
                frame["end_date"] = frame["end_date"] - pd.Timedelta(days=1)
            signed = frame["signed_date"] if "signed_date" in frame else pd.Series(pd.NaT, index=frame.index)
            frame["signed_date"] = signed.astype("datetime64[ns]").fillna(frame["start_date"])
        if name == "opportunities" and "closed_at" not in frame:
            frame["closed_at"] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
        if name == "targets":
            if "filter" not in frame:
                frame["filter"] = "all"
            frame["filter"] = text(frame["filter"]).fillna("all")
        if name == "traffic" and "month" not in frame and "date" in frame:
            frame["month"] = frame["date"].dt.to_period("M")
        if name == "traffic":
            frame = frame.drop(columns=["date"], errors="ignore")
        for c, col in self.schema.items():
            if c not in frame:
                continue
            frame[c] = _dtype(frame[c], col)
        canon = [c for c in self.schema if c in frame]
        return frame[canon + [c for c in frame.columns if c not in canon]]

    def _table_checks(self, raw: pd.DataFrame, frame: pd.DataFrame) -> None:
        for name, col in self.schema.items():
            if col.kind == "id" and name in frame:
                self.problems += _guards.case_variants(
                    self.spec, frame[name], frame[ROW], self.sources[name].file, self.sources[name].shown
                )
        self._currency(raw, frame)
        self._duplicates(raw, frame)
        if self.name in SUMMED_ROWS:
            self.problems += _guards.identical_rows(raw, self.spec.path, self.name)
        self.problems += _guards.suspicious_amounts(self.spec, frame, {k: s.shown for k, s in self.sources.items()})
        if self.name in MONTHLY_SERIES and "month" in frame:
            self._gaps(frame)

    def _checks_later(self, raw: pd.DataFrame, frame: pd.DataFrame) -> Callable[[], list[Problem]]:
        """:meth:`_table_checks` as a call for later, its problems in a list of its own (the
        frames are only read, so another thread may run it beside the KPI computation)."""
        later = copy.copy(self)
        later.problems = []

        def run() -> list[Problem]:
            later._table_checks(raw, frame)
            return later.problems

        return run

    def _converted(self, raw, frame: pd.DataFrame) -> pd.DataFrame:
        """Rows in another currency converted through the company's ``[fx]`` rates."""
        if self.fx is None or "currency" not in frame:
            return frame
        frame, problems = convert(frame, self.name, self.currency, self.fx, file=self.spec.path)
        self.problems += problems
        return frame

    def _currency(self, raw, frame) -> None:
        if "currency" not in frame or self.fx is not None:
            return
        cur = frame["currency"].str.upper().str.strip()
        foreign = needs_rate(frame, self.name, self.currency)
        if not foreign.any():
            return
        src = self.sources["currency"]
        found = ", ".join(sorted(cur.dropna().unique()))
        self.row_problems(
            raw,
            foreign,
            src,
            lambda v: (
                f"This row is in {v} but the company reports in {self.currency} (currencies in the file: "
                f"{found}). Export every amount in {self.currency}, or give the rates in company.toml "
                f'[fx] path = "fx.csv" (columns currency, month, rate) to convert them.'
            ),
            values=cur,
        )

    def _duplicates(self, raw, frame) -> None:
        keys = UNIQUE_KEYS.get(self.name)
        if self.name == "financials":
            keys = ("month",) + tuple(c for c in frame.columns if c not in self.schema and c != ROW)
        if not keys or not all(k in frame for k in keys):
            return
        keys = list(keys)
        dup = duplicated_keys(frame, keys)
        if not dup.any():
            return
        hit = frame.loc[dup, keys + [ROW]].sort_values(ROW)
        src = self.sources[keys[0]] if self.spec.layout != "wide" else _Source(None, self.spec.path, "(month columns)")
        groups = hit.groupby(keys, sort=False, observed=True)[ROW].agg(list)
        for key, rows in groups.head(MAX_ROWS).items():
            key = key if isinstance(key, tuple) else (key,)
            what = " and ".join(f"{k} {v}" for k, v in zip(keys, key, strict=False))
            rows = [int(r) for r in rows]
            self.problem(
                f"Rows {', '.join(map(str, rows))} repeat {what}; each must appear once"
                + (" (one row per customer and month)." if self.name == "mrr" else "."),
                file=src.file,
                row=rows[0],
                column=src.shown,
            )
        if len(groups) > MAX_ROWS:
            self.problem(f"... and {len(groups) - MAX_ROWS:,} more repeated keys.", column=src.shown)

    def _gaps(self, frame) -> None:
        full, missing = month_gaps(frame["month"])
        if missing.empty:
            return
        shown = ", ".join(str(m) for m in missing[:MAX_ROWS]) + (
            f" and {len(missing) - MAX_ROWS} more" if len(missing) > MAX_ROWS else ""
        )
        why = {
            "mrr": "no customer has MRR in it, so every customer would look churned and then reactivated",
            "financials": "unit economics would silently skip it",
            "traffic": "visitor totals would be understated",
        }[self.name]
        self.problem(
            f"Month(s) {shown} missing inside the history ({full[0]} to {full[-1]}): {why}. "
            "Every month between the first and the last must be in the file (with 0 if nothing happened).",
            column=self.sources["month"].shown if "month" in self.sources else "month",
        )


_SENTENCES = 5_000  # offending rows whose sentences are grouped; the rest are counted
_LISTED = 5  # rows named in a grouped problem


def header_further_down(spec: InputSpec, raw: pd.DataFrame) -> Problem | None:
    """An error when two or more mapped columns are missing from the header and one of the
    first rows read as data holds every one of them: the real header, under a title or a
    grouped header row (merged cells) that was taken for it. None otherwise."""
    present = [c for c in raw.columns if c not in (ROW, FILE)]
    missing = [c for c in dict.fromkeys(spec.columns.values()) if c not in present]
    if len(missing) < 2:
        return None
    head = raw.head(TITLE_SCAN)
    for row, values in zip(head[ROW], head[present].itertuples(index=False), strict=True):
        if set(missing) <= {str(v).strip() for v in values if isinstance(v, str)}:
            shown = ", ".join(f"'{c}'" for c in missing[:5]) + (" ..." if len(missing) > 5 else "")
            read = ", ".join(f"'{c}'" for c in present if not c.startswith("Unnamed:"))
            return Problem(
                f"The columns company.toml [inputs.{spec.name}] names ({shown}) are on row {row}, below the "
                f"row read as the header ({read or 'blank cells'}: a title or a grouped header above the "
                f"table); set header_row = {int(row)} in company.toml.",
                file=spec.path,
                row=int(row),
                input=spec.name,
            )
    return None


def _rows_listed(rows: list[int | None]) -> str:
    """'Rows 4, 5, 9 ... (18 rows)': identical problems said once."""
    known = [r for r in rows if r is not None]
    shown = ", ".join(map(str, known[:_LISTED]))
    return f"Rows {shown}" + (f" ... ({len(rows):,} rows)" if len(rows) > _LISTED else "")


_NEGATIVE_WHY = {
    "mrr": "MRR must be 0 or more (a credit belongs in the month's lower MRR, not a negative row)",
    "contracts": "contract values must be 0 or more",
    "financials": "revenue must be 0 or more (put refunds and credits in the month's net revenue)",
    "opportunities": "deal amounts must be 0 or more",
    "traffic": "visitor counts must be 0 or more",
}

# ======================================================================================
# vectorised parsing helpers


def _own_column(canon: str, columns: list[str]) -> str | None:
    if canon in columns:
        return canon
    if canon == "currency":  # mixed currencies must never pass unnoticed, whatever the case
        for c in columns:
            if c.lower() == "currency":
                return c
    return None


def _dtype(s: pd.Series, col: Col) -> pd.Series:
    if col.kind in ("id", "text", "category", "period"):
        return s.astype("string")
    if col.kind == "date":
        return s.astype("datetime64[ns]")
    if col.kind == "month":
        return s.astype("period[M]")
    if col.kind == "score":
        return s.round().astype("Int64")
    return s.astype("float64")


def _num(v: Any) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    return f"{f:,.0f}" if f == int(f) else f"{f:,.2f}"


def _unparseable(value: Any, col: Col, name: str, spec: InputSpec) -> str:
    shown = str(value).strip()
    if col.kind == "date":
        how = (
            f" in the format {spec.date_format}"
            if spec.date_format
            else " (e.g. 2024-03-31; set date_format or dayfirst in company.toml for other formats)"
        )
        return f"'{shown}' is not a date{how}."
    if col.kind == "month":
        return f"'{shown}' is not a month (e.g. 2024-03 or 2024-03-01)."
    if col.kind == "period":
        return f"'{shown}' is not a target period; write a quarter like 2026Q3 or a month like 2026-09."
    try:
        number = float(shown)
    except ValueError:
        number = None
    if number is not None and not np.isfinite(number):
        return f"'{shown}' is not a finite number; every amount must be an actual figure."
    if number is not None and abs(number) > ABSURD:
        return f"{shown} is implausibly large (over {ABSURD:,.0f}); check the export for a misplaced exponent or id."
    if spec.decimal == "," and "." in shown and not spec.thousands:
        return (
            f"'{shown}' has a '.' although decimal = \",\": with decimal commas a '.' can only group "
            "thousands (12.000 = twelve thousand). Check the file's separators, or set thousands."
        )
    sep = f" with decimal '{spec.decimal}'" + (f" and thousands '{spec.thousands}'" if spec.thousands else "")
    return f"'{shown}' is not a number{sep if spec.decimal != '.' or spec.thousands else ''}" + (
        '; set decimal = "," in company.toml if the file uses decimal commas.'
        if "," in shown and spec.decimal == "."
        else "."
    )
