"""Grouping keys shared by the funnel and pipeline cohort tables."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd


def dimension_keys(frame: pd.DataFrame, dimensions: Iterable[str]) -> list[tuple[str, pd.Series]]:
    """``("all", all)`` then one grouping Series (named ``value``) per dimension column
    present; a blank dimension value groups as ``(missing)``."""
    keys = [("all", pd.Series("all", index=frame.index, name="value"))]
    for d in dimensions:
        if d in frame.columns:
            keys.append((d, frame[d].astype("string").fillna("(missing)").rename("value")))
    return keys


def per_cohort(cohorts: pd.Series, value: Callable[[pd.Period], Any]) -> list[Any]:
    """``[value(c) for c in cohorts]``, worked out once per distinct cohort month: a cohort
    table repeats a few dozen months over thousands of rows, and each Period is slow to box."""
    codes, distinct = pd.factorize(cohorts)
    if (codes < 0).any():
        return [value(c) for c in cohorts]
    return np.array([value(c) for c in distinct] + [None], dtype=object)[codes].tolist()


def sums_by_cohort(cohort: pd.Series, value: pd.Series, flags: dict[str, pd.Series]) -> pd.DataFrame:
    """Each boolean flag counted per (cohort, value): the rows of
    ``DataFrame({"cohort": cohort, "value": value, **flags}).groupby(["cohort", "value"]).sum()
    .reset_index()`` (groups in sorted order, a missing key left out), from integer codes
    and ``np.bincount``: a cohort table sums four dimensions, and the groupby's own
    overhead was most of the table's time on a company of a few thousand rows."""
    c_codes, c_values = pd.factorize(cohort, sort=True)
    v_codes, v_values = pd.factorize(value, sort=True)
    keep = (c_codes >= 0) & (v_codes >= 0)
    width = max(len(v_values), 1)
    combined = c_codes[keep].astype(np.int64) * width + v_codes[keep]
    groups, inverse = np.unique(combined, return_inverse=True)
    n = len(groups)
    counts = {
        name: np.bincount(inverse, weights=flag.to_numpy(dtype=np.float64)[keep], minlength=n).astype(np.int64)
        for name, flag in flags.items()
    }
    return pd.DataFrame(
        {
            "cohort": c_values.take(groups // width),
            "value": v_values.take(groups % width),
            **counts,
        }
    )


def summed_by_dimension(
    cohort: pd.Series, keys: list[tuple[str, pd.Series]], flags: dict[str, pd.Series]
) -> pd.DataFrame:
    """:func:`sums_by_cohort` of each dimension of :func:`dimension_keys`, stacked in their
    order with the dimension's name (``dimension``): one frame for a table's stage pairs to
    share, rather than one per pair and dimension."""
    parts = [sums_by_cohort(cohort, key, flags).assign(dimension=dim) for dim, key in keys]
    return pd.concat(parts, ignore_index=True)
