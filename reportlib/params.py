"""Run parameters every layer reads: windows, period labels, segment and compare filters.

The bottom of the chain with :mod:`reportlib.registry`: importable by every module, imports
nothing of the package but :mod:`reportlib.exceptions`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from reportlib.exceptions import ParameterError

__all__ = [
    "PERIOD_WORDS",
    "WINDOWS",
    "Compare",
    "Segment",
    "as_of_month",
    "fiscal_period_end",
    "named_period",
    "pack_folder",
    "parse_compare",
    "parse_segment",
    "period_label",
    "period_word",
    "safe_name",
]

#: ``--window`` name -> months.
WINDOWS = {"month": 1, "quarter": 3, "year": 12}
#: months -> the word a sentence uses for the period ("ARR rose 12% this quarter").
PERIOD_WORDS = {1: "month", 3: "quarter", 12: "year"}

Segment = tuple[str, str]
Compare = tuple[str, tuple[str, str]]


def period_word(months: int) -> str:
    """'month', 'quarter', 'year', else 'N months'."""
    return PERIOD_WORDS.get(months, f"{months} months")


def period_label(as_of: Any, months: int | str = 3, fiscal_start: int = 1) -> str:
    """The one name of a reporting period, used on the cover, the footer and every title.

    ``Sep 2026`` (a month), ``Q3 2026`` (a calendar quarter), ``FY 2026`` (a calendar
    year); with a fiscal year starting in month ``fiscal_start`` other than January,
    ``FY2027 Q1`` and ``FY2027`` (a fiscal year is named after the calendar year in which
    it ends); otherwise the first and last month: ``Aug 2026 – Oct 2026``.

    Parameters
    ----------
    as_of : str or Period
        The last month of the period (``2026-09`` or anything starting with it).
    months : int or str
        The window in months, or its name (``month``, ``quarter``, ``year``).
    fiscal_start : int
        Policy ``fiscal_year_start_month``: the first month of the fiscal year (1-12).

    Examples
    --------
    >>> period_label("2026-12", "quarter", fiscal_start=10)
    'FY2027 Q1'
    >>> period_label("2027-09", "year", fiscal_start=10)
    'FY2027'
    """
    n = WINDOWS.get(months, 3) if isinstance(months, str) else int(months)
    try:
        end = pd.Period(str(as_of)[:7], freq="M")
    except (ValueError, TypeError):
        return str(as_of)
    if n == 1:
        return end.strftime("%b %Y")
    offset = (end.month - fiscal_start) % 12  # months since the fiscal year began
    fiscal_year = end.year + (1 if fiscal_start > 1 and end.month >= fiscal_start else 0)
    if n == 3 and offset % 3 == 2:
        quarter = offset // 3 + 1
        return f"Q{quarter} {end.year}" if fiscal_start == 1 else f"FY{fiscal_year} Q{quarter}"
    if n == 12 and offset == 11:
        return f"FY {end.year}" if fiscal_start == 1 else f"FY{fiscal_year}"
    return f"{(end - (n - 1)).strftime('%b %Y')} – {end.strftime('%b %Y')}"


def fiscal_period_end(as_of: Any, months: int, fiscal_start: int = 1) -> pd.Period:
    """The last fiscal quarter end (``months=3``) or fiscal year end (12) on or before
    ``as_of``; ``as_of`` itself for a month window.

    >>> str(fiscal_period_end("2026-11", 3, fiscal_start=10))   # FY2027 Q1 ends Dec 2026
    '2026-09'
    """
    end = pd.Period(str(as_of)[:7], freq="M")
    if months not in (3, 12):
        return end
    since = ((end.month - fiscal_start) % 12 + 1) % months  # months past the last period end
    return end - since


_QUARTER = re.compile(r"(?i)^(FY)?\s*(\d{4})\s*-?\s*Q([1-4])$")
_FISCAL_YEAR = re.compile(r"(?i)^FY\s*(\d{4})$")


def named_period(text: str, fiscal_start: int = 1) -> tuple[pd.Period, int] | None:
    """The last month and the length in months of a quarter or year named as the product
    names them, or None for anything else.

    ``2026Q3`` is a calendar quarter (2026-09, 3); ``FY2027Q1`` (or ``FY2027 Q1``, as
    :func:`period_label` writes it) is the first quarter and ``FY2027`` the whole of the
    fiscal year 2027, which ends in 2027 and starts in month ``fiscal_start`` (1: the
    calendar year).

    Examples
    --------
    >>> named_period("FY2027Q1", fiscal_start=4)   # April to June 2026
    (Period('2026-06', 'M'), 3)
    >>> named_period("FY2026", fiscal_start=4)     # April 2025 to March 2026
    (Period('2026-03', 'M'), 12)
    """
    text = str(text).strip()
    if match := _FISCAL_YEAR.match(text):
        return _fiscal_year_first(int(match.group(1)), fiscal_start) + 11, 12
    if match := _QUARTER.match(text):
        fiscal, year, quarter = match.group(1), int(match.group(2)), int(match.group(3))
        first = _fiscal_year_first(year, fiscal_start if fiscal else 1)
        return first + (quarter - 1) * 3 + 2, 3
    return None


def _fiscal_year_first(year: int, fiscal_start: int) -> pd.Period:
    """The first month of the fiscal year ``year`` (named after the calendar year it ends in)."""
    return pd.Period(year=year - (1 if fiscal_start > 1 else 0), month=fiscal_start, freq="M")


def as_of_month(text: str | None, fiscal_year_start_month: int = 1) -> str | None:
    """``--as-of`` as the month the data is reported to.

    ``YYYY-MM`` and ``YYYY-MM-DD`` pass unchanged; a quarter or a fiscal year named as in
    :func:`named_period` is its last month: ``2026Q3`` 2026-09; with April as the first
    month of the fiscal year, ``FY2027Q1`` (April-June 2026) 2026-06 and ``FY2027``
    (April 2026 - March 2027) 2027-03.
    """
    if text is None:
        return None
    named = named_period(text, fiscal_year_start_month)
    return text if named is None else str(named[0])


def parse_segment(segment: Any) -> Segment | None:
    """``"segment=Enterprise"`` or ``("segment", "Enterprise")`` -> ``("segment", "Enterprise")``;
    ``""`` / ``None`` -> ``None``. Anything else raises :class:`ParameterError`."""
    if segment is None or segment == "" or segment == ():
        return None
    if isinstance(segment, (tuple, list)):
        return (str(segment[0]), str(segment[1]))
    key, sep, value = str(segment).partition("=")
    if not sep or not key.strip() or not value.strip():
        raise ParameterError(f"segment must look like KEY=VALUE (e.g. segment=Enterprise), not {segment!r}")
    return key.strip(), value.strip()


def parse_compare(compare: Any) -> Compare | None:
    """``"segment=SMB,Enterprise"`` -> ``("segment", ("SMB", "Enterprise"))``; ``""`` / ``None``
    -> ``None``. Anything but one key and exactly two values raises :class:`ParameterError`."""
    if compare is None or compare == "" or compare == ():
        return None
    if isinstance(compare, (tuple, list)):
        return (str(compare[0]), (str(compare[1][0]), str(compare[1][1])))
    key, sep, values = str(compare).partition("=")
    parts = [v.strip() for v in values.split(",") if v.strip()]
    if not sep or not key.strip() or len(parts) != 2:
        raise ParameterError(f"compare must look like KEY=A,B (e.g. segment=SMB,Enterprise), not {compare!r}")
    return key.strip(), (parts[0], parts[1])


def safe_name(text: str) -> str:
    """``text`` as one file-name part: runs of other characters than letters, digits, ``._-`` become ``-``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", str(text)).strip("-.") or "x"


def pack_folder(out: Path | str, slug: str, as_of: Any, segment: Any = None, compare: Any = None) -> Path:
    """``<out>/<slug>/<YYYY-MM>[_<key>-<value>][_compare-<key>-<A>-vs-<B>]``.

    ``as_of`` may be a ``YYYY-MM`` or ``YYYY-MM-DD`` string or a pandas Period/Timestamp;
    the folder always uses the month. ``segment`` is ``(key, value)`` or ``"key=value"``,
    ``compare`` is ``(key, (A, B))`` or ``"key=A,B"``.
    """
    match = re.match(r"^(\d{4})-(\d{1,2})", str(as_of))
    if not match:
        raise ParameterError(f"as-of '{as_of}' is not a month (YYYY-MM)")
    name = f"{match.group(1)}-{int(match.group(2)):02d}"
    seg, cmp_ = parse_segment(segment), parse_compare(compare)
    if seg:
        name += f"_{safe_name(seg[0])}-{safe_name(seg[1])}"
    if cmp_:
        name += f"_compare-{safe_name(cmp_[0])}-{safe_name(cmp_[1][0])}-vs-{safe_name(cmp_[1][1])}"
    return Path(out).resolve() / safe_name(slug) / name
