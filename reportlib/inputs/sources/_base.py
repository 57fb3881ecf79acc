"""The :class:`Source` of a known export: what identifies it and how it becomes canonical.

The transform layer registers the input's file(s) as the DuckDB view ``export`` (every
column VARCHAR as written, plus ``"__row__"``) and runs the source's ``sql`` over it, or
hands the raw cells to ``frame`` for report layouts (a P&L with accounts as rows).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

import pandas as pd

if TYPE_CHECKING:  # pragma: no cover - typing only
    import duckdb


@dataclass(frozen=True)
class Source:
    """One tool's export, read as the tool writes it.

    Attributes
    ----------
    name
        DESIGN.md name, e.g. ``"stripe_subscriptions"``.
    feeds
        Canonical input it gives: ``"contracts"``, ``"mrr"``, ``"financials"``, ...
    documentation
        One line: the docs, pages or code followed (details in the module docstring).
    required
        The export's own columns that identify it (matched case-insensitively).
    sql
        DuckDB SELECT over view ``export`` (+ side tables) returning canonical columns.
    side_tables
        Table name -> file-stem glob among the input's ``join`` files.
    read
        Reader hints, e.g. ``{"comment": "#"}``, ``{"footer": ["Grand Totals*"]}``.
    frame
        Instead of ``sql``, for report layouts: raw cells in, canonical long frame out.
    """

    name: str
    feeds: str
    documentation: str
    required: tuple[str, ...]
    sql: str
    side_tables: Mapping[str, str] = field(default_factory=dict)
    read: Mapping[str, Any] = field(default_factory=dict)
    frame: Callable[[pd.DataFrame], pd.DataFrame] | None = None

    def missing_columns(self, columns: Iterable[str]) -> list[str]:
        """The ``required`` columns absent from ``columns`` (compared case-insensitively, trimmed)."""
        have = {str(c).strip().lower() for c in columns}
        return [c for c in self.required if c.lower() not in have]

    def run(self, con: "duckdb.DuckDBPyConnection") -> pd.DataFrame:
        """Execute the source over the connection's ``export`` view.

        Returns
        -------
        pandas.DataFrame
            Canonical columns of ``feeds`` plus ``__row__`` and any dimensions.
        """
        if self.frame is not None:
            return self.frame(con.execute('SELECT * FROM "export"').df())
        return con.execute(self.sql).df()
