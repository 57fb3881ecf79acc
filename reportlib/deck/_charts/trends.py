"""Trends: lines over months of one or more columns of a monthly table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
from matplotlib.axes import Axes

from reportlib import format as F
from reportlib.deck import _style as S
from reportlib.deck._charts._drawing import (
    axes_for,
    empty,
    format_time_axis,
    legend_below,
    money_label,
    styled,
    to_timestamps,
)

__all__ = ["trend"]


@styled
def trend(
    table: pd.DataFrame,
    columns: Sequence[str],
    unit: str = "count",
    currency: str | None = None,
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
    ylabel: str | None = None,
    x: str = "month",
    ax: Axes | None = None,
    size: tuple[float, float] = S.FULL,
) -> Axes:
    """Lines over months of one or more columns of a table.

    Parameters
    ----------
    table : DataFrame
        One row per month: the ``x`` column and ``columns``.
    columns : sequence of str
        The columns drawn, one line each, in the series colours.
    unit : str
        The registry unit of the values (the y-axis format).
    currency : str, optional
        ISO code of money values.
    labels : mapping of str to str, optional
        Column -> legend label (default: the column in words).
    x : str
        The month column.
    ax : Axes, optional
        Where to draw; a new figure of ``size`` inches when None.

    Returns
    -------
    Axes
    """
    if table.empty:
        return empty(ax, "No data", size)
    dates = to_timestamps(table[x])
    ax = axes_for(ax, size)
    for i, c in enumerate(columns):
        label = (labels or {}).get(c, c.replace("_", " ").capitalize())
        ax.plot(dates, table[c].astype(float), label=label, color=S.SERIES[i % len(S.SERIES)])
    ax.yaxis.set_major_formatter(S.value_formatter(unit, currency))
    format_time_axis(ax, dates)
    ax.set_ylabel(ylabel or (money_label(currency, "").strip() if F.unit_kind(unit) == "money" else unit))
    if len(columns) > 1:
        legend_below(ax, ncols=min(len(columns), 4))
    if title:
        ax.set_title(title)
    return ax
