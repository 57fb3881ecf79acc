"""Small SQL builders shared by every adapter (DuckDB dialect): the one place for them.

Exports differ in which optional columns they carry (a report with or without an
"Is Closed Won" column, a Data Loader extract or a report of the same object, Stripe's
older ``Start (UTC)``). :func:`with_optional_columns` (a FROM item) and
:func:`with_optional` (a ``WITH`` view) give every listed column, NULL when the file
lacks it, so one query reads every variant; the other helpers spell the parsing each
tool needs once.
"""

from __future__ import annotations

from collections.abc import Iterable

from reportlib.inputs.sources._base import values_table


def q(column: str) -> str:
    """``column`` as a quoted SQL identifier."""
    return '"' + column.replace('"', '""') + '"'


def with_optional_columns(table: str, columns: Iterable[str]) -> str:
    """A FROM item: ``table`` with each of ``columns`` it lacks added as NULL VARCHAR.

    UNION BY NAME matches names case-insensitively (as the ``required`` check does), so a
    column the file has is kept as is.
    """
    nulls = ", ".join(f"NULL::VARCHAR AS {q(c)}" for c in columns)
    return f"(SELECT * FROM (SELECT {nulls} WHERE false) UNION ALL BY NAME SELECT * FROM {q(table)})"


def with_optional(columns: Iterable[str], name: str = "src") -> str:
    """``WITH src AS (...)``: the ``export`` view plus each of ``columns`` it lacks, as NULL."""
    return f"WITH {name} AS (SELECT * FROM {with_optional_columns('export', columns)})"


def first(*columns: str) -> str:
    """The first non-blank of ``columns`` (an export labels the same field differently)."""
    return "COALESCE(" + ", ".join(f"NULLIF(TRIM({q(c)}), '')" for c in columns) + ")"


def number(expr: str, default: str | None = None, *, exact: bool = False) -> str:
    """A money or count cell as a number: currency signs, spaces and thousands separators dropped,
    a decimal comma read as one (:func:`_point_decimal`).

    A blank cell gives ``default`` (SQL text, e.g. ``'1'``) or NULL; text that is not a
    number gives NULL, so the canonical validation names the row instead of the query
    failing. ``exact`` gives DECIMAL(18,4) (billing amounts in cents), else DOUBLE.
    """
    cell = f"NULLIF(TRIM({expr}), '')"
    if default is not None:
        cell = f"COALESCE({cell}, {default})"
    kind = "DECIMAL(18,4)" if exact else "DOUBLE"
    return f"TRY_CAST(NULLIF({_point_decimal(cell)}, '') AS {kind})"


def _point_decimal(cell: str) -> str:
    """The cell's digits with a decimal point: '1,200.00' and '1.200,00' (a decimal comma, as
    most of Europe writes) both '1200.00', '12,50' '12.50'; NULL (a row the validation names)
    when the point could be either ('1.200'), so that an amount is never read 1,000x off."""
    s = f"regexp_replace({cell}, '[^0-9.,eE+-]', '', 'g')"
    comma = (
        f"(regexp_matches({s}, '^[+-]?[0-9]{{1,3}}(\\.[0-9]{{3}})+,[0-9]+$') "
        f"OR regexp_matches({s}, '^[+-]?[0-9]+,[0-9]{{1,2}}$'))"
    )
    either = f"regexp_matches({s}, '^[+-]?[1-9][0-9]{{0,2}}(\\.[0-9]{{3}})+$')"
    return f"CASE WHEN {comma} THEN replace(replace({s}, '.', ''), ',', '.') WHEN {either} THEN NULL ELSE replace({s}, ',', '') END"


#: What billing tools write: ``2026-01-05 10:12[:00[.123]]``, ISO ``...T10:12:00[.123][Z]``, a date.
TIMESTAMP_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M:%S.%fZ",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d",
)


def timestamp(expr: str, formats: Iterable[str] = TIMESTAMP_FORMATS) -> str:
    """A date cell as TIMESTAMP, trying each ``formats`` (strptime) then an ISO cast; blank -> NULL."""
    fmts = ", ".join(f"'{f}'" for f in formats)
    cell = f"NULLIF(TRIM({expr}), '')"
    return f"CAST(COALESCE(try_strptime({cell}, [{fmts}]), TRY_CAST({cell} AS TIMESTAMP)) AS TIMESTAMP)"


def date(expr: str, formats: Iterable[str] = ()) -> str:
    """A date cell as DATE (the time of day dropped)."""
    return f"CAST({timestamp(expr, formats) if formats else f'TRY_CAST(TRIM({expr}) AS TIMESTAMP)'} AS DATE)"


def epoch(expr: str) -> str:
    """Unix epoch seconds (or milliseconds, when above 1e10) as a UTC TIMESTAMP."""
    value = f"TRY_CAST(TRIM({expr}) AS DOUBLE)"
    return f"epoch_ms(CAST(CASE WHEN {value} > 1e10 THEN {value} ELSE {value} * 1000 END AS BIGINT))"


def truthy(expr: str) -> str:
    """A boolean cell (true/false, yes/no, 1/0) as BOOLEAN; NULL when blank."""
    return (
        f"CASE WHEN lower(TRIM({expr})) IN ('true', 'yes', '1', 'y') THEN true "
        f"WHEN lower(TRIM({expr})) IN ('false', 'no', '0', 'n') THEN false END"
    )


def label(expr: str) -> str:
    """A text cell lower-cased with spaces, dashes and underscores removed, to compare labels."""
    return f"regexp_replace(lower(TRIM({expr})), '[\\s_-]+', '', 'g')"


def translated(column: str, cell: str, own: str) -> str:
    """``own`` (the tool's own reading of a row, e.g. its outcome) unless company.toml's
    ``values.<column>`` names ``cell``'s value, case-insensitively.

    A value the mapping names wins (a custom stage "Signed" = "won"); then the tool's own
    result when it is not ``'open'`` (a deal flagged won stays won); then the mapping's
    ``"*"`` (every other value); then ``own``. The source lists ``column`` in its
    :attr:`~reportlib.inputs.sources._base.Source.values`.
    """
    table = q(values_table(column))
    named = f"(SELECT v.canonical FROM {table} v WHERE v.value = lower(TRIM({cell})))"
    rest = f"(SELECT v.canonical FROM {table} v WHERE v.value = '*')"
    return f"COALESCE({named}, NULLIF({own}, 'open'), {rest}, {own})"
