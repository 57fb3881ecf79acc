"""Cash: the balance, the monthly net burn and the months of runway they leave."""

from __future__ import annotations

import numpy as np
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
from reportlib.values import is_blank

__all__ = ["runway"]


@styled
def runway(
    cash: pd.DataFrame,
    currency: str | None = None,
    months: int = 24,
    ax: Axes | None = None,
    size: tuple[float, float] = S.FULL,
) -> Axes:
    """Cash balance (bars) and monthly net burn (line, right axis) over the last ``months``
    months, the latest months of runway written on the last bar.

    Parameters
    ----------
    cash : DataFrame
        The ``cash_runway`` table: month, cash_balance, net_burn_monthly, runway_months.
    currency : str, optional
        ISO code of the amounts.
    months : int
        How many of the latest months are drawn.
    ax : Axes, optional
        Where to draw (the burn goes on its twin); a new figure of ``size`` when None.

    Returns
    -------
    Axes
        The cash axes (the burn is on its right-hand twin).
    """
    if cash.empty:
        return empty(ax, "No cash balance in the financials", size)
    data = cash.tail(months).reset_index(drop=True)
    dates = to_timestamps(data["month"])
    ax = axes_for(ax, size)
    balance = data["cash_balance"].astype(float).to_numpy()
    ax.bar(dates, balance, width=20, color=S.PRIMARY, alpha=0.85, label="Cash balance (left)")
    ax.yaxis.set_major_formatter(S.money_formatter(currency))
    ax.set_ylabel(money_label(currency, "cash at month end"))
    ax.set_ylim(0, np.nanmax(balance) * 1.25 if np.isfinite(np.nanmax(balance)) else 1)
    axb = ax.twinx()
    burn = data["net_burn_monthly"].astype(float).to_numpy()
    axb.plot(dates, burn, color=S.RED, lw=2.6, marker="o", ms=4, label="Net burn per month (right)")
    axb.yaxis.set_major_formatter(S.money_formatter(currency))
    axb.set_ylabel(money_label(currency, "net burn per month, 3-month average"))
    top = np.nanmax(burn) if np.isfinite(burn).any() else 1.0
    axb.set_ylim(0, top * 1.6)
    axb.grid(False)
    last = data["runway_months"].iloc[-1]
    if not is_blank(last):
        ax.text(
            0.99,
            0.97,
            f"{F.months(last, context='text')} of runway at {dates[-1]:%b %Y}",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=13,
            fontweight="bold",
            color=S.INK,
        )
    format_time_axis(ax, dates)
    handles = ax.get_legend_handles_labels()[0] + axb.get_legend_handles_labels()[0]
    legend_below(ax, handles, [h.get_label() for h in handles], ncols=2)
    return ax
