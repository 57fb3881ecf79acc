"""Reporting windows (METRICS.md "Time").

``as_of`` M is the last month reported; a window of w months is P = the w months ending
at M; its opening state is month M - w.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from reportlib.exceptions import ParameterError
from reportlib.metrics._dates import month_ordinals, wall_time
from reportlib.metrics._values import Blank
from reportlib.params import WINDOWS, fiscal_period_end, period_label


def quarter_freq(fiscal_start: int = 1) -> str:
    """pandas' quarterly frequency of a fiscal year starting in month ``fiscal_start``:
    ``"Q"`` for the calendar year, else the month the year ends in (February: ``"Q-JAN"``,
    whose periods pandas names after that year's end, as FY labels are).

    >>> quarter_freq(2), quarter_freq(1)
    ('Q-JAN', 'Q')
    """
    if fiscal_start == 1:
        return "Q"
    return f"Q-{calendar.month_abbr[(fiscal_start - 2) % 12 + 1].upper()}"


def fiscal_start_of(freq: pd.DateOffset) -> int:
    """The first month of the fiscal year of a quarterly frequency (a period's ``freq``): 1
    for calendar quarters and any other frequency."""
    if not isinstance(freq, pd.offsets.QuarterEnd):
        return 1
    return freq.startingMonth % 12 + 1


def period_text(period: pd.Period) -> str:
    """A period as the tables write it: ``2026-09``, ``2026Q3``; a fiscal quarter as its
    label (:func:`reportlib.params.period_label`), ``FY2027 Q3``: pandas would write
    ``2027Q3``, which reads as a calendar quarter."""
    start = fiscal_start_of(period.freq)
    if start == 1:
        return str(period)
    return period_label(period.asfreq("M", how="end"), 3, start)


def parse_window(window: str | int) -> int:
    """Months in a window: ``"month"`` 1, ``"quarter"`` 3, ``"year"`` 12."""
    if isinstance(window, int) and window in WINDOWS.values():
        return window
    try:
        return WINDOWS[str(window).strip().lower()]
    except KeyError:
        raise ParameterError(f"unknown window '{window}': use month, quarter or year") from None


def parse_as_of(as_of: str | pd.Period | pd.Timestamp) -> tuple[pd.Period, pd.Timestamp]:
    """The as-of month and date. ``"2026-09"`` means the month's last day;
    ``"2026-09-15"`` is a date inside the month (used by pacing)."""
    if isinstance(as_of, pd.Period):
        month = as_of.asfreq("M")
        return month, month.to_timestamp(how="end").normalize()
    if isinstance(as_of, pd.Timestamp):
        return as_of.to_period("M"), as_of.normalize()
    text = str(as_of).strip()
    try:
        if len(text) == 7:
            month = pd.Period(text, freq="M")
            return month, month.to_timestamp(how="end").normalize()
        date = pd.Timestamp(text).normalize()
    except (ValueError, TypeError):
        raise ParameterError(f"as-of '{as_of}' is not a month (YYYY-MM) or a date (YYYY-MM-DD)") from None
    return date.to_period("M"), date


@dataclass(frozen=True)
class Window:
    """The reported period: ``months`` months ending at ``as_of``.

    Parameters
    ----------
    as_of : pd.Period
        The last month of the period (monthly frequency).
    months : int
        1, 3 or 12.
    fiscal_start : int
        Policy ``fiscal_year_start_month``: the first month of the fiscal year (labels).
    """

    as_of: pd.Period
    months: int = 3
    fiscal_start: int = 1

    @classmethod
    def of(cls, as_of: str | pd.Period, window: str | int = "quarter", fiscal_start: int | None = None) -> Window:
        """The window of ``window`` ending at ``as_of``; with ``fiscal_start``, a quarter or
        year window ends on the last fiscal quarter or year end on or before ``as_of``."""
        month, months = parse_as_of(as_of)[0], parse_window(window)
        if fiscal_start is None:
            return cls(month, months)
        return cls(fiscal_period_end(month, months, fiscal_start), months, fiscal_start)

    @classmethod
    def reported(cls, as_of: str | pd.Period, window: str | int, fiscal_start: int = 1) -> Window:
        """The window a pack reports under policy ``fiscal_year_start_month``: with 1, the
        ``window`` months ending at ``as_of`` (rolling); otherwise a quarter or year window
        ends on the last fiscal period end on or before ``as_of`` (:meth:`of`)."""
        return cls.of(as_of, window, None if fiscal_start == 1 else fiscal_start)

    @property
    def start(self) -> pd.Period:
        """Month M - w: the state the period opens from."""
        return self.as_of - self.months

    @property
    def first(self) -> pd.Period:
        """The first month inside the period."""
        return self.as_of - (self.months - 1)

    @property
    def period_months(self) -> pd.PeriodIndex:
        """The w months of the period, oldest first."""
        return pd.period_range(self.first, self.as_of, freq="M")

    def contains(self, months: pd.Series) -> pd.Series:
        """Boolean mask of a Series of monthly Periods that fall inside the period."""
        return (months >= self.first) & (months <= self.as_of)

    def dated(self, dates: pd.Series) -> pd.Series:
        """Boolean mask of a Series of datetimes whose month falls inside the period (NaT
        never does): :meth:`contains` of their months, on month ordinals rather than boxed
        Periods."""
        inside = dates.notna().to_numpy() & self.holds(month_ordinals(wall_time(dates)))
        return pd.Series(inside, index=dates.index)

    def holds(self, months: np.ndarray) -> np.ndarray:
        """Boolean mask of month ordinals inside the period (:meth:`contains` on integers)."""
        return (months >= self.first.ordinal) & (months <= self.as_of.ordinal)

    def shift(self, months: int) -> Window:
        return Window(self.as_of - months, self.months, self.fiscal_start)

    def prior(self) -> Window:
        """The w months before this period."""
        return self.shift(self.months)

    def year_ago(self) -> Window:
        """The same period twelve months earlier."""
        return self.shift(12)

    def ttm(self) -> Window:
        """The twelve months ending at M."""
        return Window(self.as_of, 12, self.fiscal_start)

    @property
    def quarter_freq(self) -> str:
        """The frequency of the quarters the quarterly tables group by (:func:`quarter_freq`)."""
        return quarter_freq(self.fiscal_start)

    @property
    def label(self) -> str:
        """The period's one label (:func:`reportlib.params.period_label`)."""
        return period_label(self.as_of, self.months, self.fiscal_start)


def months_text(months: Sequence[pd.Period]) -> str:
    """Months named in a note: '2026-07', or '2025-11 to 2025-12 (2 months)'."""
    return str(months[0]) if len(months) == 1 else f"{months[0]} to {months[-1]} ({len(months)} months)"


def first_month(*dates: pd.Series) -> pd.Period | None:
    """The earliest month of any of the date columns ``dates`` (NaT left out), as their own
    clock shows it; None when none holds a date."""
    firsts = [wall_time(d).min() for d in dates]
    known = [f for f in firsts if pd.notna(f)]
    return pd.Period(min(known), freq="M") if known else None


def before_the_data(window: Window, first: pd.Period | None, data: str, period: str = "period") -> Blank | None:
    """The blank a window reaching before the first month of its data gets (METRICS.md
    "Time": never a partial sum of the months that exist), or None when the data covers it.

    Parameters
    ----------
    window : Window
        The period a KPI is computed over.
    first : Period or None
        The first month of the data (None: no dated rows, nothing to say here).
    data : str
        The data's name in the note ("leads", "NPS").
    period : str
        The window's name in the note ("period", "prior period").

    Examples
    --------
    >>> before_the_data(Window(pd.Period("2024-03", "M"), 12), pd.Period("2023-11", "M"), "leads")
    Blank(note='the period starts 2023-04, before the leads data (it starts 2023-11)')
    """
    if first is None or window.first >= first:
        return None
    return Blank(f"the {period} starts {window.first}, before the {data} data (it starts {first})")
