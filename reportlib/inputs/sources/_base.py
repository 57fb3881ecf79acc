"""The :class:`Source` of a known export: the columns that identify it and the query that reads it.

A source is data, not code paths: which export it reads (``required`` columns), what it
feeds, and one DuckDB ``SELECT`` over the view ``export`` (every column VARCHAR as
written in the file, plus ``"__row__"``) that gives the canonical columns of its input.
The transform layer loads the files, checks the columns, runs :meth:`Source.run` and
then the usual canonical mapping and validation.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from reportlib.exceptions import InputError, Problem

if TYPE_CHECKING:  # pragma: no cover
    from duckdb import DuckDBPyConnection

__all__ = ["ROW", "VALUES_COLUMNS", "Source", "values_table"]

ROW = "__row__"


@dataclass(frozen=True)
class Source:
    """A known tool export and how it becomes a canonical input.

    Parameters
    ----------
    name
        The DESIGN.md name, e.g. ``"stripe_subscriptions"``.
    feeds
        The canonical input it gives: ``"contracts"``, ``"mrr"``, ...
    documentation
        One line: the export read and the documentation followed (details in the module
        docstring). Problems about a wrong file quote it.
    required
        The export's own columns that identify it, matched case-insensitively.
    sql
        A DuckDB ``SELECT`` over view ``export`` (and the side tables) returning the
        canonical columns, typed, money in major units, ``"__row__"`` carried through.
    side_tables
        Side table name -> file-stem glob among the input's ``[[join]]`` files, e.g.
        ``{"coupons": "*coupon*"}``, matched case-insensitively (:meth:`side_table_for`).
    read
        Reader hints, e.g. ``{"comment": "#"}`` or ``{"header_row": "auto"}``.
    frame
        For report layouts: raw cells in, canonical long frame out (instead of ``sql``).
    optional_tables
        Side tables the export may come without -> their columns. When absent,
        :meth:`run` gives them as empty tables with these (VARCHAR) columns.
    units
        The export's money columns -> the unit the tool writes them in (``"cents"`` or
        ``"major"``). ``sql`` already converts them: for the guards' messages, and so
        ``amount_unit`` is never applied on top of a source.
    values
        Canonical columns whose company.toml ``values`` translations ``sql`` applies itself,
        to the export's own column (an opportunity's outcome from its stage, see
        :func:`~reportlib.inputs.sources._sql.translated`): the transform layer gives each
        as the table ``values_<column>`` (``value`` lower case, ``canonical``), empty when
        company.toml has none, and the mapping does not translate that column again.
    record_id
        The export's own id of one record (ChartMogul's activity ``UUID``), matched
        case-insensitively. Rows repeating one are that record exported twice: identical
        copies are left out with a warning, copies that differ are an error. An export
        without the column gets a warning for rows identical in every column instead.
    dates
        The export's date columns ``sql`` reads with :data:`~reportlib.inputs.sources._sql.TIMESTAMP_FORMATS`
        (matched case-insensitively). A cell those formats cannot read (a file re-saved
        with ``13/05/2024 10:00``) is read by the inputs' date parser, with the input's
        ``date_format`` / ``dayfirst``, before ``sql`` runs, in one day/month order per
        file over all these columns; one that neither reads is an error naming it and its
        file, not a blank date further on. Every date cell is then one ISO text, so copies
        of a record (``record_id``) compare on the date, not on how it was written.
    allowed
        Export column -> the values the tool writes there (compared lower case, trimmed),
        e.g. Stripe's ``Interval``: any other value is an error naming it and listing them.
    currency
        The export's column naming the currency of its amounts (Stripe's ``Currency``),
        matched case-insensitively: ``reportlib init`` proposes ``[company] currency`` from it.
    checks
        Whole-result checks: each takes the query's result and returns problems (e.g. a
        warning that no deal is won or lost because the stages are custom).
    """

    name: str
    feeds: str
    documentation: str
    required: tuple[str, ...]
    sql: str = ""
    side_tables: Mapping[str, str] = field(default_factory=dict)
    read: Mapping[str, Any] = field(default_factory=dict)
    frame: Callable[[pd.DataFrame], pd.DataFrame] | None = None
    optional_tables: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    units: Mapping[str, str] = field(default_factory=dict)
    values: tuple[str, ...] = ()
    record_id: str | None = None
    dates: tuple[str, ...] = ()
    allowed: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    currency: str | None = None
    checks: tuple[Callable[[pd.DataFrame], list[Problem]], ...] = ()

    def missing_columns(self, columns: Iterable[str]) -> list[str]:
        """The ``required`` columns absent from ``columns`` (compared case-insensitively)."""
        present = {str(c).strip().casefold() for c in columns}
        return [c for c in self.required if c.casefold() not in present]

    def side_table_for(self, stem: str) -> str | None:
        """The side table a join file with this stem gives (globs matched case-insensitively)."""
        return next(
            (t for t, glob in self.side_tables.items() if fnmatch.fnmatchcase(stem.casefold(), glob.casefold())), None
        )

    def column_problem(
        self, columns: Iterable[str], file: str | None = None, input: str | None = None
    ) -> Problem | None:
        """One problem naming the missing ``required`` columns and the export expected, or None."""
        missing = self.missing_columns(columns)
        if not missing:
            return None
        listed = ", ".join(f"'{c}'" for c in missing)
        return Problem(
            f'This file is not the export source = "{self.name}" reads: it has no column '
            f"{listed}. Expected: {self.documentation}, with the columns "
            f"{', '.join(self.required)}. Send that export as the tool writes it, "
            "or remove `source` and map the columns yourself.",
            file=file,
            input=input,
        )

    def run(self, con: DuckDBPyConnection) -> pd.DataFrame:
        """Execute ``sql`` (or ``frame`` on the ``export`` cells) on ``con``.

        Optional side tables (and ``values`` tables) that ``con`` lacks are given as empty
        tables. A required side table that is missing is an
        :class:`~reportlib.exceptions.InputError`.
        """
        if self.frame is not None and not self.sql:
            return self.frame(con.execute("SELECT * FROM export").df())
        optional = {**self.optional_tables, **{values_table(c): VALUES_COLUMNS for c in self.values}}
        absent = [t for t in {**self.side_tables, **optional} if not _has_table(con, t)]
        needed = [t for t in absent if t not in optional]
        if needed:
            raise InputError(
                [
                    Problem(
                        f'source = "{self.name}" needs the {t} file as a [[join]] (a file whose name '
                        f"matches {self.side_tables[t]})."
                    )
                    for t in needed
                ]
            )
        return con.execute(_with_empty_tables(self.sql, {t: optional[t] for t in absent})).df()


#: The columns of a ``values_<column>`` table: the export's value (lower case) and its canonical one.
VALUES_COLUMNS = ("value", "canonical")


def values_table(column: str) -> str:
    """The table holding company.toml's ``values.<column>`` translations for a source's query."""
    return f"values_{column}"


def _with_empty_tables(sql: str, tables: Mapping[str, tuple[str, ...]]) -> str:
    if not tables:
        return sql
    ctes = ", ".join(
        f"{_quote(t)} AS (SELECT {', '.join(f'NULL::VARCHAR AS {_quote(c)}' for c in cols)}, "
        f"NULL::BIGINT AS {ROW} WHERE false)"
        for t, cols in tables.items()
    )
    return f"WITH {ctes} SELECT * FROM (\n{sql}\n)"


def _has_table(con: DuckDBPyConnection, name: str) -> bool:
    import duckdb  # here, not at the top: a kernel unpickling a company never runs a source

    try:
        con.execute(f"SELECT 1 FROM {_quote(name)} LIMIT 0")
    except duckdb.CatalogException:
        return False
    return True


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
