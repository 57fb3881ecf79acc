"""Whole-table checks on integer codes: repeated keys and customers seen in one month only.

Both run on every load of the largest input (mrr), so they work on the same customer codes
the revenue engine uses (:func:`reportlib._codes.sorted_codes`, factorised once per column)
and month ordinals, with bincount and ufunc reductions instead of a pandas groupby.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from reportlib._codes import sorted_codes

#: Combined keys up to this many times the row count are counted in a dense array.
_DENSE_FACTOR = 8


def column_codes(values: pd.Series) -> tuple[np.ndarray, int]:
    """Integer codes (-1 = missing) of a key column and the number of distinct values."""
    if isinstance(values.dtype, pd.PeriodDtype):
        ords = values.array.asi8
        missing = values.isna().to_numpy()
        if missing.all():
            return np.full(len(values), -1, dtype=np.int64), 0
        low = int(ords[~missing].min())
        codes = np.where(missing, -1, ords - low)
        return codes, int(codes.max()) + 1
    if isinstance(values.dtype, pd.StringDtype) and not values.hasnans:
        codes, uniques = sorted_codes(values)  # shared with the revenue engine
        return codes, len(uniques)
    codes, uniques = pd.factorize(values)
    return np.asarray(codes, dtype=np.int64), len(uniques)


def duplicated_keys(frame: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Rows whose key (all columns present) appears more than once: pandas'
    ``duplicated(keys, keep=False)`` on rows without a missing key, on integer codes."""
    combined = np.zeros(len(frame), dtype=np.int64)
    present = np.ones(len(frame), dtype=bool)
    size = 1
    for k in keys:
        codes, n = column_codes(frame[k])
        present &= codes >= 0
        if size * max(n, 1) >= 2**62:  # too many combinations for one int64: let pandas do it
            dup = frame.duplicated(keys, keep=False).to_numpy()
            return pd.Series(dup & present, index=frame.index)
        combined = combined * max(n, 1) + np.maximum(codes, 0)
        size *= max(n, 1)
    combined = combined[present]
    if size <= _DENSE_FACTOR * max(len(combined), 1):
        counts = np.bincount(combined, minlength=size)[combined]
    else:
        _, inverse, counts = np.unique(combined, return_inverse=True, return_counts=True)
        counts = counts[inverse]
    dup = np.zeros(len(frame), dtype=bool)
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
