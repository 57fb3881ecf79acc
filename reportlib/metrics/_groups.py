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
