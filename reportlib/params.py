"""Run parameters every layer reads: windows, period labels, segment and compare filters.

The bottom of the chain with :mod:`reportlib.registry`: importable by every module, imports
nothing of the package but :mod:`reportlib.exceptions`.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from reportlib.exceptions import ParameterError

__all__ = ["PERIOD_WORDS", "WINDOWS", "Compare", "Segment", "parse_compare", "parse_segment",
           "period_label", "period_word"]

#: ``--window`` name -> months.
WINDOWS = {"month": 1, "quarter": 3, "year": 12}
#: months -> the word a sentence uses for the period ("ARR rose 12% this quarter").
PERIOD_WORDS = {1: "month", 3: "quarter", 12: "year"}

Segment = tuple[str, str]
Compare = tuple[str, tuple[str, str]]


def period_word(months: int) -> str:
    """'month', 'quarter', 'year', else 'N months'."""
    return PERIOD_WORDS.get(months, f"{months} months")


def period_label(as_of: Any, months: int | str = 3) -> str:
    """The one name of a reporting period, used on the cover, the footer and every title.

    ``Sep 2026`` (a month), ``Q3 2026`` (a calendar quarter), ``FY 2026`` (a calendar
    year), otherwise the first and last month: ``Aug 2026 – Oct 2026``.

    Parameters
    ----------
    as_of : str or Period
        The last month of the period (``2026-09`` or anything starting with it).
    months : int or str
        The window in months, or its name (``month``, ``quarter``, ``year``).
    """
    n = WINDOWS.get(months, 3) if isinstance(months, str) else int(months)
    try:
        end = pd.Period(str(as_of)[:7], freq="M")
    except (ValueError, TypeError):
        return str(as_of)
    if n == 1:
        return end.strftime("%b %Y")
    if n == 3 and end.month % 3 == 0:
        return f"Q{end.quarter} {end.year}"
    if n == 12 and end.month == 12:
        return f"FY {end.year}"
    return f"{(end - (n - 1)).strftime('%b %Y')} – {end.strftime('%b %Y')}"


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
