"""Integer codes of id columns, computed once per column and shared by every layer.

Hashing millions of string ids is the single largest cost of a large company: validation
(duplicate customer-months, one-month customers) and the revenue engine (the customer x
month grid) all need the same codes. They are cached on the column's immutable Arrow
array, so every check and metric reading the same loaded column pays for one
factorisation; a filtered or rebuilt column is a new array and is factorised afresh.

Beside :mod:`reportlib.values` at the bottom of the chain: imports nothing from reportlib.
"""

from __future__ import annotations

import weakref

import numpy as np
import pandas as pd

__all__ = ["sorted_codes"]

#: id(arrow array) -> (codes, uniques); entries leave when the array is garbage-collected.
_CACHE: dict[int, tuple[np.ndarray, pd.Index]] = {}


def sorted_codes(ids: pd.Series | pd.Index | np.ndarray) -> tuple[np.ndarray, pd.Index]:
    """Integer codes of ids, numbered in sorted id order (read-only int64 array, uniques).

    Hash-factorising and then sorting only the (far fewer) unique ids is much faster than a
    sorted factorise, and makes every downstream result independent of input row order.

    Raises
    ------
    ValueError
        When an id is missing.
    """
    values = ids.array if isinstance(ids, (pd.Series, pd.Index)) else pd.array(ids)
    arrow = getattr(values, "_pa_array", None)  # Arrow-backed strings: immutable, cacheable
    if arrow is not None and id(arrow) in _CACHE:
        return _CACHE[id(arrow)]
    result = _factorize_sorted(values)
    if arrow is not None:
        key = id(arrow)
        result[0].flags.writeable = False  # shared by every caller from now on
        _CACHE[key] = result
        weakref.finalize(arrow, _CACHE.pop, key, None)
    return result


def _factorize_sorted(values) -> tuple[np.ndarray, pd.Index]:
    if isinstance(values, pd.Categorical):
        codes, uniques = np.asarray(values.codes), pd.Index(values.categories)
    else:
        codes, uniques = pd.factorize(values)
        uniques = pd.Index(uniques)
    if (codes < 0).any():
        raise ValueError("customer_id has missing values")
    if len(uniques) > 1 and not uniques.is_monotonic_increasing:
        order = uniques.argsort()
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        codes = rank[codes]
        uniques = uniques[order]
    return codes.astype(np.int64, copy=False), uniques
