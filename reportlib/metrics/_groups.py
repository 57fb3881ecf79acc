"""Grouping keys shared by the funnel and pipeline cohort tables."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd


def dimension_keys(frame: pd.DataFrame, dimensions: Iterable[str]) -> list[tuple[str, pd.Series]]:
    """``("all", all)`` then one grouping Series (named ``value``) per dimension column
    present; a blank dimension value groups as ``(missing)``."""
    keys = [("all", pd.Series("all", index=frame.index, name="value"))]
    for d in dimensions:
        if d in frame.columns:
            keys.append((d, frame[d].astype("string").fillna("(missing)").rename("value")))
    return keys
