"""Parse the cells of one column into numbers, dates, months or target periods.

Each parser returns the values and a boolean mask of the cells that are present but could
not be read, so that the mapping reports every bad cell with its row. Dates and months are
parsed once per distinct text (a month column of 6M rows has ~60), which keeps the
careful rules cheap: month forms such as ``Jan-24``, ``11/24`` and ``202401``, epoch
seconds and milliseconds, Excel serial numbers, one day/month order per column, and time
zone offsets dropped so the date is the one written in the export. Numbers accept
``$1,234.00``, ``(1,234.00)``, ``-`` (blank), ``12%`` and ``1.234,5`` when the separators
say so; separators that contradict each other, non-finite and absurd values are errors.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from reportlib._codes import factorized, per_row, share_codes, take_codes

# Larger than any amount a company reports (1e15 = a million billion): a parse accident.
ABSURD = 1e15
EPOCH_UNITS = {"epoch": "s", "%s": "s", "epoch_ms": "ms"}
# Excel serial dates between 1954-10-03 and 2119-01-09: plain numbers in a date column.
_SERIAL_MIN, _SERIAL_MAX = 20_000, 80_000
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")

_DASHES = {"-", "\u2013", "\u2014", "--"}
_CURRENCY = re.compile(r"^([A-Z]{3}\s*)|(\s*[A-Z]{3})$|[$€£¥₹]")
#: The currencies whose amounts each symbol is written with: "$" is the dollar (and peso,
#: real) of many countries, so it contradicts only a company currency outside the list.
CURRENCY_SYMBOLS: dict[str, tuple[str, ...]] = {
    "$": ("USD", "CAD", "AUD", "NZD", "SGD", "HKD", "TWD", "MXN", "BRL", "ARS", "CLP", "COP", "UYU"),
    "€": ("EUR",),
    "£": ("GBP", "EGP", "GIP", "FKP", "SHP"),
    "¥": ("JPY", "CNY"),
    "₹": ("INR",),
}
_SYMBOL = "[" + "".join(CURRENCY_SYMBOLS) + "]"
#: An amount written with a symbol before or after it: "$46,200.00", "-$12", "(£1,200)", "1.234,00 €".
_MARKED_AMOUNT = re.compile(
    r"^\(?-?\s*(?:[A-Z]{0,2}(?P<before>[$€£¥₹]))?\s*-?\s*\d[\d.,\s'\u00a0\u202f]*\s*(?P<after>[$€£¥₹])?\s*\)?-?$"
)
_SPACES = re.compile(r"[\s\u00a0\u202f']")
_PLAIN = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_DIGIT = re.compile(r"\d")  # every number _PLAIN accepts has one

_MONTH_NAME = re.compile(r"^([A-Za-z]{3,9})\.?[-\s/.']*(\d{2}|\d{4})$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})[/.-](\d{2}|\d{4})$")
_YEAR_MONTH = re.compile(r"^(\d{4})[-/.]?(\d{1,2})$")
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})(?:[ T](.*))?$")
_OFFSET = re.compile(r"(?<=\d)(?:\s*(?:Z|UTC|GMT|[+-]\d{2}:?\d{2}))$")
_MONTHS = {
    m: i
    for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)
}
_MONTHS.update({"sept": 9, "mrz": 3, "mai": 5, "okt": 10, "dez": 12})


@dataclass
class Notes:
    """What parsing a column found beyond bad cells: warnings and whole-column errors,
    each with the mask of the cells concerned."""

    items: list[tuple[str, str, pd.Series]] = field(default_factory=list)

    def add(self, severity: str, sentence: str, mask: pd.Series) -> None:
        self.items.append((severity, sentence, mask))


# ======================================================================================
# text helpers


def present(s: pd.Series) -> pd.Series:
    """Cells that hold something (not missing, not only spaces)."""
    if _arrow_text(s):  # once per distinct text
        codes, distinct = factorized(s)
        filled = np.asarray(distinct.str.strip() != "", dtype=bool)
        return pd.Series(per_row(filled, codes, False), index=s.index, name=s.name)
    if s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) in _ONE_TEXT_PER_VALUE:
        codes, objects = pd.factorize(s.to_numpy(), use_na_sentinel=True)  # once per distinct value
        filled = _filled_text(pd.Series(objects, dtype=object)).to_numpy(dtype=bool)
        return pd.Series(per_row(filled, codes, False), index=s.index, name=s.name)
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        return _filled_text(s)
    return s.notna()


def _filled_text(s: pd.Series) -> pd.Series:
    return s.notna() & s.astype("string").str.strip().ne("").fillna(False)


def text(s: pd.Series) -> pd.Series:
    """Text dtype with surrounding spaces removed; numbers from Excel keep a clean form."""
    if _arrow_text(s):
        return _stripped(s)
    if pd.api.types.is_float_dtype(s) and s.dropna().mod(1).eq(0).all():
        s = s.astype("Int64")
    out = s.astype("string").str.strip()
    return out.mask(out.eq(""))


def _arrow_text(s: pd.Series) -> bool:
    """An Arrow-backed text column (what the readers give): its codes are cached."""
    return isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow"


def _stripped(s: pd.Series) -> pd.Series:
    """:func:`text` of an Arrow text column, worked out on its distinct values: an export of
    millions of rows repeats a few thousand ids and a few dozen months."""
    codes, distinct = factorized(s)
    clean = distinct.str.strip()
    blank = np.asarray(clean == "", dtype=bool)
    if not (blank.any() or np.asarray(clean != distinct).any()):
        out = s.astype("string")
        share_codes(s, out)  # same values, row for row
        return out
    # Distinct texts that strip to the same one (or to blank) merge: renumber the few distinct.
    merged, kept = pd.factorize(clean.where(~blank))
    codes = per_row(merged.astype(np.int64), codes, -1)
    return take_codes(codes, pd.Index(kept), index=s.index, name=s.name)


# ======================================================================================
# numbers


def parse_numbers(s: pd.Series, decimal: str = ".", thousands: str | None = None) -> tuple[pd.Series, pd.Series]:
    """Float values and a mask of cells that are not (finite, plausible) numbers."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        values = s.astype("float64")
        return values, ~np.isfinite(values.fillna(0)) | values.abs().gt(ABSURD)
    if (
        s.dtype == object
        and s.map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool), na_action="ignore")
        .fillna(False)
        .all()
    ):
        return parse_numbers(pd.to_numeric(s, errors="coerce"))
    cells = s.astype("string").str.strip()
    if decimal == "." and thousands in (None, ","):
        # Fast path: most exports hold plain numbers; only the rest is cleaned up.
        values = pd.to_numeric(cells, errors="coerce").astype("float64")
        rest = values.isna() & cells.notna() & cells.ne("")
    else:
        values = pd.Series(np.nan, index=s.index)
        rest = cells.notna() & cells.ne("")
    bad = pd.Series(False, index=s.index)
    if rest.any():
        # Once per distinct text: exports repeat the same few formatted amounts.
        codes, distinct = pd.factorize(cells[rest])
        parsed = [_number(v, decimal, thousands) if _DIGIT.search(v) else _digitless(v) for v in distinct]
        refused = np.array([v is None for v in parsed], dtype=bool)
        numbers = np.array([np.nan if v is None else v for v in parsed], dtype="float64")
        values.loc[rest] = numbers[codes]
        bad.loc[rest] = refused[codes]
    bad |= ~np.isfinite(values.fillna(0)) | values.abs().gt(ABSURD)
    return values, bad


def currency_symbols(s: pd.Series) -> pd.Series:
    """The currency symbol of each amount cell of ``s`` written with one ("$46,200.00": "$"),
    indexed like ``s``; cells without one are left out (worked out on the distinct cells,
    only those holding a symbol parsed)."""
    if pd.api.types.is_numeric_dtype(s):
        return pd.Series([], dtype="string")
    codes, distinct = factorized(s)
    cells = pd.Index(distinct).astype("string[pyarrow]")
    holding = np.flatnonzero(cells.str.contains(_SYMBOL, regex=True).fillna(False).to_numpy(dtype=bool))
    if not len(holding):
        return pd.Series([], dtype="string")
    found = cells[holding].str.strip().str.extract(_MARKED_AMOUNT)
    symbols = found["before"].fillna(found["after"]).to_numpy(dtype=object)
    which = np.full(len(distinct) + 1, -1)  # by code; the last slot is a blank's (code -1)
    which[holding[pd.notna(symbols)]] = np.flatnonzero(pd.notna(symbols))
    at = which[codes]
    rows = np.flatnonzero(at >= 0)
    return pd.Series(symbols[at[rows]], index=s.index[rows], dtype="string")


def _digitless(v: str) -> float | None:
    """:func:`_number` of a text without a digit (a name, a status): NaN for a dash, else
    None, without its cleaning (most texts of an export's sample are not numbers)."""
    return math.nan if v.strip() in _DASHES else None


def _number(v: Any, decimal: str, thousands: str | None) -> float | None:
    """One cell as written by an accountant; None when it is not a number, NaN for a dash."""
    t = str(v).strip()
    if t in _DASHES:
        return math.nan
    negative = False
    if t.startswith("(") and t.endswith(")"):
        negative, t = True, t[1:-1].strip()
    if t.endswith("-") and not t.startswith("-"):
        negative, t = True, t[:-1]  # SAP-style trailing minus
    if t.startswith("-"):
        negative, t = not negative, t[1:].strip()
    t = _CURRENCY.sub("", t).strip()
    if t.startswith("-"):  # "$-12" after the symbol is gone
        negative, t = not negative, t[1:]
    scale = 1.0
    if t.endswith("%"):
        scale, t = 0.01, t[:-1].strip()
    t = _SPACES.sub("", t)
    t = _separators(t, decimal, thousands)
    if t is None or not _PLAIN.match(t):
        return None
    value = float(t) * scale
    return -value if negative else value


def _separators(t: str, decimal: str, thousands: str | None) -> str | None:
    """Digits with ``.`` as the decimal point, or None when the separators contradict.

    With ``decimal = ","`` and no ``thousands``, a ``.`` can only group thousands
    (``12.000`` is twelve thousand): it must then group digits by three.
    """
    group = thousands or ("." if decimal == "," else ",")
    if group in t:
        pattern = rf"^\d{{1,3}}({re.escape(group)}\d{{3}})+({re.escape(decimal)}\d*)?$"
        if not re.match(pattern, t):
            return None
        t = t.replace(group, "")
    if decimal != "." and "." in t:
        return None
    return t.replace(decimal, ".")


# ======================================================================================
# dates


def parse_dates(
    s: pd.Series,
    fmt: str | None = None,
    dayfirst: bool = False,
    notes: Notes | None = None,
    within: str = "the column",
) -> tuple[pd.Series, pd.Series]:
    """datetime64[ns] values and a mask of cells that are not dates.

    Time zone offsets are dropped, not converted: an export's date is the one its
    company wrote (``2024-01-31T23:30-05:00`` is 31 January), with a warning in ``notes``.
    ``s`` is read in one day/month order; ``within`` names what ``s`` is in the notes' sentences
    ("the column", or "this file" when ``s`` holds every date cell of a file).
    """
    notes = notes if notes is not None else Notes()
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        notes.add("warning", _TZ_NOTE, s.notna())
        out = s.dt.tz_localize(None)
    elif pd.api.types.is_datetime64_any_dtype(s):
        out = s
    elif pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        out = _numeric_dates(s.astype("float64"), fmt)
    else:
        out = _text_dates(s, fmt, dayfirst, notes, within)
    out = pd.to_datetime(out, errors="coerce").astype("datetime64[ns]")
    return out, out.isna() & present(s)


def _dated(s: pd.Series) -> bool:
    """Datetimes or numbers (serials, epochs), not text: parsed as a whole column."""
    return (
        isinstance(s.dtype, pd.DatetimeTZDtype)
        or pd.api.types.is_datetime64_any_dtype(s)
        or (pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s))
    )


_TZ_NOTE = (
    "dates carry time-zone offsets; each is read as the local date written in the export "
    "(the offset is ignored, not converted to UTC)."
)


def _numeric_dates(s: pd.Series, fmt: str | None) -> pd.Series:
    if fmt in EPOCH_UNITS:
        return _epoch(s, EPOCH_UNITS[fmt])
    ok = s.between(_SERIAL_MIN, _SERIAL_MAX)
    days = s.where(ok)
    return _EXCEL_EPOCH + pd.to_timedelta(days, unit="D")


def _epoch(s: pd.Series, unit: str) -> pd.Series:
    limit = 4e9 if unit == "s" else 4e12  # up to the year 2096
    ok = s.between(-limit, limit)
    return pd.to_datetime(s.where(ok), unit=unit, errors="coerce")


def _text_dates(s: pd.Series, fmt: str | None, dayfirst: bool, notes: Notes, within: str) -> pd.Series:
    codes, values = _text_date_codes(s, fmt, dayfirst, notes, within)
    return pd.Series(per_row(values, codes, np.datetime64("NaT", "ns")), index=s.index, dtype="datetime64[ns]")


def _text_date_codes(
    s: pd.Series, fmt: str | None, dayfirst: bool, notes: Notes, within: str = "the column"
) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the cells' distinct texts (-1 = blank) and the date of each text (NaT when
    it is not one): a date column of millions of rows has a few thousand distinct texts."""
    codes, uniques = _distinct_cells(s)
    if not len(uniques):
        return codes, np.array([], dtype="datetime64[ns]")
    distinct = pd.Series(np.asarray(uniques, dtype=object))
    parsed, issues = _distinct_dates(distinct, fmt, dayfirst, within)
    for severity, sentence, which in issues:
        notes.add(severity, sentence, pd.Series(per_row(which.to_numpy(dtype=bool), codes, False), index=s.index))
    return codes, parsed.to_numpy(dtype="datetime64[ns]")


def _distinct_cells(s: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Codes (-1 = blank) and distinct texts of the cells, stripped, in order of first appearance."""
    if _arrow_text(s):
        return factorized(text(s))  # cached with the column
    if s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) in _ONE_TEXT_PER_VALUE:
        # Parquet dates (or Excel text): formatted once per distinct value, not per cell.
        first, objects = pd.factorize(s.to_numpy(), use_na_sentinel=True)
        codes, uniques = _distinct_cells(pd.Series(objects, dtype=object).map(_cell_text).astype("string"))
        return per_row(codes, first, -1), uniques
    if s.dtype == object:  # Excel: a mix of real datetimes, numbers and text
        cells = s.map(_cell_text, na_action="ignore").astype("string").str.strip()
    else:
        cells = s.astype("string").str.strip()
    codes, uniques = pd.factorize(cells.mask(cells.eq("")), use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64), pd.Index(uniques)


#: Object columns of one type whose equal values (one hash) always have the same text; not
#: numbers (``1 == True``) nor aware datetimes (equal instants in two offsets).
_ONE_TEXT_PER_VALUE = {"date", "string"}


def _cell_text(v: Any) -> str:
    # Excel gives real datetimes and numbers; format them so one text parser handles every source.
    if hasattr(v, "isoformat") and not isinstance(v, str):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _distinct_dates(
    u: pd.Series, fmt: str | None, dayfirst: bool, within: str = "the column"
) -> tuple[pd.Series, list[tuple[str, str, pd.Series]]]:
    """Parse distinct texts; the issues found (severity, sentence, mask over ``u``)."""
    issues: list[tuple[str, str, pd.Series]] = []
    if fmt in EPOCH_UNITS:
        return _epoch(pd.to_numeric(u, errors="coerce"), EPOCH_UNITS[fmt]), issues
    offset = u.str.contains(_OFFSET, regex=True)
    if offset.any():
        issues.append(("warning", _TZ_NOTE, offset))
        u = u.str.replace(_OFFSET, "", regex=True)
    out = _to_datetime(u, fmt or "ISO8601")
    if fmt:
        rest = out.isna()
        if rest.any():  # joined files and Excel cells often use ISO even when the export does not
            out[rest] = _to_datetime(u[rest], "ISO8601")
        return out, issues
    refused = pd.Series(False, index=u.index)  # values an error note covers: not parsed further
    for rule in (_months, _day_month_year, _serials):
        rest = out.isna() & ~refused
        if not rest.any():
            break
        found, issue = rule(u[rest], dayfirst, within)
        out[rest] = found
        if issue:
            mask = issue[2].reindex(u.index, fill_value=False)
            issues.append((issue[0], issue[1], mask))
            refused |= mask
    rest = out.isna() & ~refused
    if rest.any():
        out[rest] = _to_datetime(u[rest], "mixed", dayfirst)
    return out, issues


def _to_datetime(u: pd.Series, fmt: str, dayfirst: bool = False) -> pd.Series:
    try:
        return pd.to_datetime(u, format=fmt, dayfirst=dayfirst, errors="coerce").astype("datetime64[ns]")
    except (ValueError, OverflowError, TypeError):
        # A value out of pandas' range (e.g. year 24) fails the whole call: one at a time.
        return pd.Series([_one_datetime(v, fmt, dayfirst) for v in u], index=u.index, dtype="datetime64[ns]")


def _one_datetime(v: Any, fmt: str, dayfirst: bool) -> Any:
    try:
        out = pd.to_datetime(v, format=fmt, dayfirst=dayfirst, errors="coerce")
        return out.tz_localize(None) if getattr(out, "tzinfo", None) else out
    except (ValueError, OverflowError, TypeError):
        return pd.NaT


def _month_start(years: pd.Series, months: pd.Series) -> pd.Series:
    ok = months.between(1, 12) & years.between(1900, 2200)
    text = years.where(ok).astype("Int64").astype("string") + "-" + months.where(ok).astype("Int64").astype("string")
    return pd.to_datetime(text, format="%Y-%m", errors="coerce")


def _months(u: pd.Series, dayfirst: bool, within: str) -> tuple[pd.Series, None]:
    """``Jan-24``, ``January 2024``, ``11/24``, ``03/2024``, ``202401``, ``2024-3``: first day.

    A layout no text has is skipped: its month starts would all be NaT, and building them
    was most of the time of a column of days (``31/01/2024``) read on a small company."""
    out = pd.Series(pd.NaT, index=u.index, dtype="datetime64[ns]")
    named = u.str.extract(_MONTH_NAME)
    if named[0].notna().any():
        month = named[0].str.lower().str[:4].map(lambda m: _MONTHS.get(m, _MONTHS.get(str(m)[:3])), na_action="ignore")
        year = pd.to_numeric(named[1], errors="coerce")
        year = year.where(year >= 100, year + 2000)
        out = out.fillna(_month_start(year, pd.to_numeric(month, errors="coerce")))
    my = u.str.extract(_MONTH_YEAR)
    if my[0].notna().any():
        year = pd.to_numeric(my[1], errors="coerce")
        year = year.where(year >= 100, year + 2000)
        out = out.fillna(_month_start(year, pd.to_numeric(my[0], errors="coerce")))
    ym = u.str.extract(_YEAR_MONTH)
    if ym[0].notna().any():
        out = out.fillna(_month_start(pd.to_numeric(ym[0], errors="coerce"), pd.to_numeric(ym[1], errors="coerce")))
    return out, None


def day_month_order(u: pd.Series) -> pd.DataFrame:
    """What each d/m/y text shows of its order: ``day_first`` (its first part is above 12, as in
    20/01/2026), ``month_first`` (its second part is, 01/20/2026) or ``either`` (05/03/2026 reads
    two ways; 05/05 does not count, it reads the same both ways). Not d/m/y: all False."""
    parts = u.str.extract(_DMY)
    first, second = pd.to_numeric(parts[0], errors="coerce"), pd.to_numeric(parts[1], errors="coerce")
    day_first, month_first = first.gt(12) & second.le(12), second.gt(12) & first.le(12)
    either = first.le(12) & second.le(12) & first.ne(second)
    return pd.DataFrame({"day_first": day_first, "month_first": month_first, "either": either}, index=u.index)


def date_order_shown(s: pd.Series, sample: int = 200) -> tuple[str, str] | None:
    """How a column of d/m/y dates shows its day/month order, with an example: ``"day
    first"`` (a first part above 12, 20/01/2026), ``"month first"``, ``"both"`` (mixed) or
    ``"unknown"`` (no date shows it and some read two ways: 01/02/2020). None when the
    column's first ``sample`` distinct cells are not all d/m/y dates, or each reads the same
    both ways (05/05/2026)."""
    u = pd.Series(text(s).dropna().unique()).astype(str)
    if u.empty or not u.head(sample).str.match(_DMY).all():
        return None
    shown = day_month_order(u)
    day, month = shown["day_first"], shown["month_first"]
    if day.any() or month.any():
        order = "both" if day.any() and month.any() else "day first" if day.any() else "month first"
        return order, u[day | month].iloc[0]
    return ("unknown", u[shown["either"]].iloc[0]) if shown["either"].any() else None


def month_first_format(value: str) -> str | None:
    """The ``date_format`` reading ``value`` (a d/m/y date without time) month first:
    ``"%m/%d/%Y"`` for 01/02/2020, ``"%m.%d.%y"`` for 01.02.20; None with a time part."""
    found = _DMY.match(value)
    if found is None or found.group(4):
        return None
    separator = value[len(found.group(1))]
    return separator.join(("%m", "%d", "%Y" if len(found.group(3)) == 4 else "%y"))


def _day_month_year(u: pd.Series, dayfirst: bool, within: str) -> tuple[pd.Series, tuple | None]:
    """d/m/y or m/d/y read with ONE order per column (or per ``within``): the order its
    unambiguous values show (a first part above 12 is a day), else ``dayfirst``. Both orders
    shown: an error."""
    parts = u.str.extract(_DMY)
    first, second = pd.to_numeric(parts[0], errors="coerce"), pd.to_numeric(parts[1], errors="coerce")
    year = pd.to_numeric(parts[2], errors="coerce")
    year = year.where(year >= 100, year + 2000)
    shown = day_month_order(u)
    day_first, month_first = shown["day_first"], shown["month_first"]
    issue = None
    if day_first.any() and month_first.any():
        minority = month_first if month_first.sum() <= day_first.sum() else day_first
        example_d, example_m = u[day_first].iloc[0], u[month_first].iloc[0]
        issue = (
            "error",
            f"{within} mixes day-first dates (e.g. {example_d}) and month-first dates "
            f"(e.g. {example_m}), so dates such as 03/04 cannot be read safely; export one format "
            "or set date_format.",
            minority | (first.le(12) & second.le(12)),
        )
        order_dayfirst = day_first.sum() >= month_first.sum()
    else:
        order_dayfirst = bool(day_first.any()) or (dayfirst and not month_first.any())
        # dayfirst = true was set on purpose (its default is false): nothing to warn about
        issue = None if dayfirst else _either_order(u, shown["either"], day_first | month_first, within)
    day, month = (first, second) if order_dayfirst else (second, first)
    text = (
        year.astype("Int64").astype("string")
        + "-"
        + month.astype("Int64").astype("string")
        + "-"
        + day.astype("Int64").astype("string")
    )
    out = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    time = parts[3].fillna("")
    timed = time.ne("") & out.notna()
    if timed.any():
        out[timed] = pd.to_datetime(
            out[timed].dt.strftime("%Y-%m-%d") + " " + time[timed], errors="coerce", format="mixed"
        )
    if issue and issue[0] == "error":
        out[issue[2]] = pd.NaT
    return out, issue


def _either_order(u: pd.Series, open_: pd.Series, settled: pd.Series, within: str) -> tuple | None:
    """A warning when no date of the column shows its order (no part above 12) and some would
    read differently the other way (05/03: 3 May or 5 March): they are read month first."""
    if settled.any() or not open_.any():
        return None
    return (
        "warning",
        f"no date in {within} shows whether it is day first or month first (e.g. {u[open_].iloc[0]}); they "
        "are read month first (MM/DD): set dayfirst = true in company.toml if they are day first, or date_format.",
        open_,
    )


def _serials(u: pd.Series, dayfirst: bool, within: str) -> tuple[pd.Series, None]:
    """Excel serial day numbers (e.g. 45292 = 2024-01-01) written as text."""
    numbers = pd.to_numeric(u, errors="coerce")
    return _numeric_dates(numbers, None).astype("datetime64[ns]"), None


# ======================================================================================
# months and periods


def parse_months(
    s: pd.Series, fmt: str | None = None, dayfirst: bool = False, notes: Notes | None = None
) -> tuple[pd.Series, pd.Series]:
    """``period[M]`` values and a mask of cells that are not months."""
    if isinstance(s.dtype, pd.PeriodDtype):
        return s.dt.asfreq("M"), pd.Series(False, index=s.index)
    notes = notes if notes is not None else Notes()
    months, bad = _parse_to_months(s, fmt, dayfirst, notes)
    if fmt and bad.any():
        more, still = _parse_to_months(s[bad], None, dayfirst, notes)
        months.loc[bad] = more
        bad.loc[bad] = still
    return months, bad


def _parse_to_months(s: pd.Series, fmt: str | None, dayfirst: bool, notes: Notes) -> tuple[pd.Series, pd.Series]:
    """:func:`parse_dates` to months; text is parsed once per distinct text and each row
    takes its month ordinal by code (no column of dates in between)."""
    if _dated(s):
        dates, bad = parse_dates(s, fmt, dayfirst, notes)
        ordinals = _month_ordinals(dates.to_numpy(dtype="datetime64[ns]"))
    else:
        codes, values = _text_date_codes(s, fmt, dayfirst, notes)
        ordinals = per_row(_month_ordinals(values), codes, _NAT)
        bad = pd.Series(ordinals == _NAT, index=s.index) & present(s)
    months = pd.Series(pd.arrays.PeriodArray(ordinals, dtype="period[M]"), index=s.index)
    return months, bad


_NAT = np.iinfo(np.int64).min  # NaT as an int64, for datetimes and periods alike


def _month_ordinals(dates: np.ndarray) -> np.ndarray:
    """Months since 1970-01 (a ``period[M]`` ordinal) of datetime64 values, NaT kept."""
    return dates.astype("datetime64[M]").astype(np.int64)


_PERIOD = re.compile(r"^\d{4}(Q[1-4]|-(0[1-9]|1[0-2]))$")


def parse_periods(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Target periods as text ``2026Q3`` or ``2026-09`` and a mask of other text."""
    t = text(s).str.upper().str.replace(r"[\s-]?Q", "Q", regex=True)
    ok = t.str.fullmatch(_PERIOD).fillna(False).astype(bool)
    return t.where(ok), ~ok & t.notna()
