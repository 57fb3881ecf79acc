"""The shape every known source (a named tool's export) has; see SOURCES_INTERFACE in the docs."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

import pandas as pd

if TYPE_CHECKING:
    import duckdb


@dataclass(frozen=True)
class Source:
    """A named tool's export read as the tool writes it (docs/inputs.md, "source")."""

    name: str
    feeds: str
    documentation: str
    required: tuple[str, ...]
    sql: str
    side_tables: Mapping[str, str] = field(default_factory=dict)
    read: Mapping[str, Any] = field(default_factory=dict)
    frame: Callable[[pd.DataFrame], pd.DataFrame] | None = None

    def missing_columns(self, columns: Iterable[str]) -> list[str]:
        """The ``required`` columns absent from ``columns`` (compared case-insensitively)."""
        have = {str(c).strip().lower() for c in columns}
        return [c for c in self.required if c.lower() not in have]

    def run(self, con: "duckdb.DuckDBPyConnection") -> pd.DataFrame:
        """The canonical frame: ``sql`` run over the view ``export`` (and the side tables)."""
        return con.execute(self.sql).df()
