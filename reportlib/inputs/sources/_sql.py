"""Small SQL builders shared by the adapters (DuckDB dialect).

Exports differ in which optional columns they carry (a report with or without an
"Is Closed Won" column, a Data Loader extract or a report of the same object). The view
:func:`with_optional` gives every listed column, NULL when the file lacks it, so one
query reads every variant; the other helpers spell the parsing each tool needs once.
"""
from __future__ import annotations

from typing import Iterable


def q(column: str) -> str:
    """``column`` as a quoted SQL identifier."""
    return '"' + column.replace('"', '""') + '"'


def with_optional(columns: Iterable[str], name: str = "src") -> str:
    """``WITH src AS (...)``: the ``export`` view plus each of ``columns`` it lacks, as NULL.

    UNION BY NAME matches names case-insensitively, so a column the file has is kept as is.
    """
    nulls = ", ".join(f"NULL::VARCHAR AS {q(c)}" for c in columns)
    return f'WITH {name} AS (SELECT * FROM "export" UNION ALL BY NAME SELECT {nulls} WHERE false)'


def first(*columns: str) -> str:
    """The first non-blank of ``columns`` (an export labels the same field differently)."""
    return "COALESCE(" + ", ".join(f"NULLIF(TRIM({q(c)}), '')" for c in columns) + ")"


def number(expr: str) -> str:
    """A money or count cell as DOUBLE: thousands separators and currency signs removed."""
    return f"TRY_CAST(NULLIF(regexp_replace(TRIM({expr}), '[^0-9.eE+-]', '', 'g'), '') AS DOUBLE)"


def timestamp(expr: str, formats: Iterable[str]) -> str:
    """A date cell as TIMESTAMP, trying each ``formats`` (strptime) then an ISO cast."""
    fmts = ", ".join(f"'{f}'" for f in formats)
    return f"COALESCE(try_strptime(TRIM({expr}), [{fmts}]), TRY_CAST(TRIM({expr}) AS TIMESTAMP))"


def date(expr: str, formats: Iterable[str] = ()) -> str:
    """A date cell as DATE (the time of day dropped)."""
    return f"CAST({timestamp(expr, formats) if formats else f'TRY_CAST(TRIM({expr}) AS TIMESTAMP)'} AS DATE)"


def epoch(expr: str) -> str:
    """Unix epoch seconds (or milliseconds, when above 1e10) as a UTC TIMESTAMP."""
    value = f"TRY_CAST(TRIM({expr}) AS DOUBLE)"
    return f"epoch_ms(CAST(CASE WHEN {value} > 1e10 THEN {value} ELSE {value} * 1000 END AS BIGINT))"


def truthy(expr: str) -> str:
    """A boolean cell (true/false, yes/no, 1/0) as BOOLEAN; NULL when blank."""
    return (f"CASE WHEN lower(TRIM({expr})) IN ('true', 'yes', '1', 'y') THEN true "
            f"WHEN lower(TRIM({expr})) IN ('false', 'no', '0', 'n') THEN false END")


def label(expr: str) -> str:
    """A text cell lower-cased with spaces, dashes and underscores removed, to compare labels."""
    return f"regexp_replace(lower(TRIM({expr})), '[\\s_-]+', '', 'g')"
