"""Vectorised calendar arithmetic on month ordinals and day dates.

A month ordinal is pandas' ``Period(..., "M").ordinal``: months since 1970-01. numpy's
``datetime64[M]`` uses the same origin, so dates convert without Python objects.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def month_ordinals(values: pd.Series | pd.Index | np.ndarray) -> np.ndarray:
    """Month ordinals (int64) of Periods, timestamps or ``YYYY-MM`` strings."""
    dtype = getattr(values, "dtype", None)
    if isinstance(dtype, pd.PeriodDtype):
        arr = values.array if hasattr(values, "array") else values
        if dtype != pd.PeriodDtype("M"):
            arr = pd.PeriodIndex(arr).asfreq("M", how="end").array
        return np.asarray(arr.asi8, dtype=np.int64)
    if dtype is not None and pd.api.types.is_datetime64_any_dtype(dtype):
        return day_dates(values).astype("datetime64[M]").astype(np.int64)
    index = pd.PeriodIndex([pd.Period(str(v), freq="M") for v in values])
    return np.asarray(index.asi8, dtype=np.int64)


def wall_time(dates: pd.Series) -> pd.Series:
    """Datetimes as their own clock shows them: an aware Series loses its zone, not its hour
    (as ``dt.to_period`` and ``dt.normalize`` read it); a naive one is returned as is."""
    return dates.dt.tz_localize(None) if isinstance(dates.dtype, pd.DatetimeTZDtype) else dates


def day_dates(values: pd.Series | pd.Index | np.ndarray) -> np.ndarray:
    """``datetime64[D]`` array (NaT kept) from a datetime Series or array."""
    arr = pd.DatetimeIndex(values) if not isinstance(values, np.ndarray) else values
    return np.asarray(arr, dtype="datetime64[D]")


def month_start(months: np.ndarray) -> np.ndarray:
    """First day (datetime64[D]) of each month ordinal."""
    return months.astype("datetime64[M]").astype("datetime64[D]")


def days_in_month(months: np.ndarray) -> np.ndarray:
    """Days in each month ordinal."""
    return (month_start(months + 1) - month_start(months)).astype(np.int64)


def day_of_month(dates: np.ndarray) -> np.ndarray:
    """Day of month (1..31) of datetime64[D] values."""
    return (dates - dates.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1


def last_served_month(end_date: pd.Series, horizon: int) -> np.ndarray:
    """The last month whose last day an inclusive ``end_date`` serves; ``horizon`` when
    open-ended (NaT)."""
    end = day_dates(end_date)
    open_ended = np.isnat(end)
    safe = np.where(open_ended, np.datetime64("2000-01-31"), end)
    months = safe.astype("datetime64[M]").astype(np.int64)
    serves_last_day = (safe + 1).astype("datetime64[M]").astype(np.int64) != months
    last = np.where(serves_last_day, months, months - 1)
    return np.where(open_ended, horizon, last)


def service_length(start_date: pd.Series, end_date: pd.Series) -> np.ndarray:
    """Service-period length L in months, partial months as days served / days in month.

    ``start_date..end_date`` inclusive: L = (days served in the start month / its days)
    + whole months between + (days served in the end month / its days). The same formula
    holds when start and end fall in one month. NaN when open-ended.
    """
    start, end = day_dates(start_date), day_dates(end_date)
    open_ended = np.isnat(end) | np.isnat(start)
    start = np.where(open_ended, np.datetime64("2000-01-01"), start)
    end = np.where(open_ended, np.datetime64("2000-01-01"), end)
    ms = start.astype("datetime64[M]").astype(np.int64)
    me = end.astype("datetime64[M]").astype(np.int64)
    dim_s, dim_e = days_in_month(ms), days_in_month(me)
    length = (dim_s - day_of_month(start) + 1) / dim_s + (me - ms - 1) + day_of_month(end) / dim_e
    return np.where(open_ended, np.nan, length)
