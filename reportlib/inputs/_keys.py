"""Whole-table checks on integer codes: repeated keys, customers seen in one month only,
each customer's previous month.

They run on every load of the largest input (mrr), so they work on the customer codes the
revenue engine uses (:mod:`reportlib._codes`, factorised once per column and cached) and
on month ordinals, with bincount, scatter and ufunc reductions instead of a pandas groupby
or a sort of millions of rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from reportlib._codes import factorized, sorted_codes

#: Combined keys up to this many times the row count are counted in a dense array.
_DENSE_FACTOR = 8
_NAT = np.iinfo(np.int64).min  # a missing month ordinal


def column_codes(values: pd.Series) -> tuple[np.ndarray, int]:
    """Integer codes (-1 = missing) of a key column and the number of distinct values."""
    if isinstance(values.dtype, pd.PeriodDtype):
        ords = values.array.asi8
        missing = ords == _NAT
        if missing.all():
            return np.full(len(values), -1, dtype=np.int64), 0
        if not missing.any():
            low = int(ords.min())
            return ords - low, int(ords.max()) - low + 1
        low = int(ords[~missing].min())
        codes = np.where(missing, -1, ords - low)
        return codes, int(codes.max()) + 1
    codes, uniques = factorized(values)  # cached on the column, shared with the revenue engine
    return codes, len(uniques)


def duplicated_keys(frame: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Rows whose key (all columns present) appears more than once: pandas'
    ``duplicated(keys, keep=False)`` on rows without a missing key, on integer codes."""
    combined, present, size = None, None, 1
    for k in keys:
        codes, n = column_codes(frame[k])
        n = max(n, 1)
        missing = codes < 0
        if missing.any():
            present = ~missing if present is None else present & ~missing
            codes = np.maximum(codes, 0)
        if size * n >= 2**62:  # too many combinations for one int64: let pandas do it
            dup = frame.duplicated(keys, keep=False).to_numpy()
            return pd.Series(dup if present is None else dup & present, index=frame.index)
        combined = codes if combined is None else combined * n + codes
        size *= n
    if present is not None:
        combined = combined[present]
    dup = np.zeros(len(frame), dtype=bool)
    if size <= _DENSE_FACTOR * max(len(combined), 1):
        seen = np.zeros(size, dtype=bool)
        seen[combined] = True
        if np.count_nonzero(seen) == len(combined):  # the usual case: no key repeats
            return pd.Series(dup, index=frame.index)
        counts = np.bincount(combined, minlength=size)[combined]
    else:
        _, inverse, counts = np.unique(combined, return_inverse=True, return_counts=True)
        counts = counts[inverse]
    if present is None:
        dup = counts > 1
    else:
        dup[present] = counts > 1
    return pd.Series(dup, index=frame.index)


def one_month_customers(ids: pd.Series, months: pd.Series, mrr: pd.Series) -> tuple[pd.Index, int]:
    """Customers with MRR in exactly one month that is not the last month with MRR (a
    customer new in the last month has one month by nature): the first ids in sorted
    order (all of them) and how many there are."""
    active = (mrr > 0).to_numpy()
    if ids.hasnans or months.hasnans:  # rows without a key belong to no customer-month
        keep = (ids.notna() & months.notna()).to_numpy()
        ids, months, active = ids[keep], months[keep], active[keep]
    if not active.any():
        return pd.Index([]), 0
    codes, customers = sorted_codes(ids)
    cust, month = codes[active], months.array.asi8[active]
    first = np.full(len(customers), np.iinfo(np.int64).max)
    last = np.full(len(customers), np.iinfo(np.int64).min)
    np.minimum.at(first, cust, month)
    np.maximum.at(last, cust, month)
    seen = np.bincount(cust, minlength=len(customers)) > 0
    once = seen & (first == last) & (last != month.max())
    return customers[once], int(once.sum())


def previous_rows(codes: np.ndarray, months: np.ndarray) -> np.ndarray | None:
    """For each row, the row of the same customer in the month before (-1: none), from
    customer codes and month ordinals; None when a key is missing (code -1, NaT) or repeats,
    or when customers x months is too sparse for a dense lookup (then sort the rows)."""
    if not len(codes) or (codes < 0).any() or (months == _NAT).any():
        return None
    first, n_customers = int(months.min()), int(codes.max()) + 1
    size = (int(months.max()) - first + 1) * n_customers
    if size > _DENSE_FACTOR * len(codes):
        return None
    # month-major cells, as the engine's grid: the row of each (month, customer)
    cell = (months - first) * n_customers + codes
    row_of = np.full(size, -1, dtype=np.int32 if len(codes) < 2**31 else np.int64)
    row_of[cell] = np.arange(len(codes))
    if np.count_nonzero(row_of >= 0) != len(codes):
        return None  # a customer-month repeats
    before = cell - n_customers
    return np.where(before >= 0, row_of[np.maximum(before, 0)], -1)


def month_gaps(months: pd.Series) -> tuple[pd.PeriodIndex, pd.PeriodIndex]:
    """Every month from the first to the last present, and those of them absent, counted on
    the month ordinals (empty when no month is present)."""
    if months.dtype != pd.PeriodDtype("M"):
        months = pd.Series(pd.PeriodIndex(months.dropna(), freq="M"))
    ordinals = months.array.asi8
    ordinals = ordinals[ordinals != _NAT]
    if not len(ordinals):
        empty = pd.PeriodIndex([], freq="M")
        return empty, empty
    first = int(ordinals.min())
    seen = np.bincount(ordinals - first) > 0
    full = pd.PeriodIndex.from_ordinals(np.arange(first, first + len(seen)), freq="M")
    return full, full[~seen]
