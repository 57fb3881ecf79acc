"""Revenue charts: the ARR bridge, revenue by quality tier, bookings / billings / revenue
beside ARR and CARR, MRR movements, the quick ratio and the ARPA drivers."""

from __future__ import annotations

import math
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from reportlib import format as F
from reportlib import registry as reg
from reportlib.deck import _style as S
from reportlib.deck._charts._drawing import (
    axes_for,
    empty,
    format_time_axis,
    legend_below,
    money_label,
    period_labels,
    period_ticks,
    styled,
    to_timestamps,
)

__all__ = ["arpa_drivers", "arr_waterfall", "mrr_movements", "quick_ratio_bars", "revenue_lines", "revenue_tiers"]

#: MRR movements in bridge order: gained, then lost.
MOVEMENTS = ["new", "reactivation", "expansion", "contraction", "churn"]
GAINED = ("new", "reactivation", "expansion")
LOST = ("contraction", "churn")
BRIDGE_LABELS = {
    "opening": "Opening",
    "new": "New",
    "reactivation": "Reactivation",
    "expansion": "Expansion",
    "contraction": "Contraction",
    "churn": "Churn",
    "closing": "Closing",
}


# --- ARR bridge ---------------------------------------------------------------------------------
def _nice_floor(x: float) -> float:
    """``x`` rounded down to a round number (1, 2 or 5 times a power of ten, over ten
    steps): 15.18M -> 15M, 850k -> 850k, 1.27M -> 1.2M."""
    if not x or x <= 0 or not math.isfinite(x):
        return 0.0
    step = 10 ** math.floor(math.log10(x)) / 10
    for m in (1, 2, 5):
        if x / (step * m) <= 100:
            return math.floor(x / (step * m)) * step * m
    return math.floor(x / (step * 10)) * step * 10


def _bridge_steps(bridge: Mapping[str, float]) -> tuple[list[str], list[float]]:
    """(step names, amounts): opening, the movements that moved (contraction and churn as
    positive amounts that are drawn downward), closing."""
    steps = ["opening"] + [s for s in MOVEMENTS if bridge.get(s, 0.0) != 0] + ["closing"]
    return steps, [abs(bridge.get(s, 0.0)) if s in LOST else bridge.get(s, 0.0) for s in steps]


def _floating_bars(steps: list[str], amounts: list[float]) -> tuple[list[float], list[float], list[str]]:
    """Bottoms, heights and colours of a waterfall's bars: opening and closing stand on
    zero, each movement floats from the running total."""
    running = amounts[0]
    bottoms, heights, colors = [], [], []
    for s, a in zip(steps, amounts, strict=True):
        if s in ("opening", "closing"):
            bottoms.append(0.0)
            colors.append(S.PRIMARY)
        elif s in LOST:
            running -= a
            bottoms.append(running)
            colors.append(S.MOVEMENT_COLORS[s])
        else:
            bottoms.append(running)
            running += a
            colors.append(S.MOVEMENT_COLORS[s])
        heights.append(a)
    return bottoms, heights, colors


@styled
def arr_waterfall(
    bridge: Mapping[str, float],
    currency: str | None = None,
    title: str = "ARR bridge",
    measure: str = "ARR",
    ax: Axes | None = None,
    size: tuple[float, float] = S.FULL,
) -> Axes:
    """Waterfall: opening -> new, reactivation, expansion, contraction, churn -> closing.

    Parameters
    ----------
    bridge : mapping of str to float
        Step -> amount, keys opening, new, reactivation, expansion, contraction, churn,
        closing (``report.arr_bridge``); a missing or zero movement is not drawn.
    currency : str, optional
        ISO code of the amounts.
    title, measure : str
        The chart's title and what the amounts are (the y-axis label).
    ax : Axes, optional
        Where to draw; a new figure of ``size`` inches when None.

    Returns
    -------
    Axes
    """
    steps, amounts = _bridge_steps(bridge)
    ax = axes_for(ax, size)
    bottoms, heights, colors = _floating_bars(steps, amounts)
    x = np.arange(len(steps))
    ax.bar(x, heights, bottom=bottoms, color=colors, width=0.62)
    top = max(b + h for b, h in zip(bottoms, heights, strict=True)) or 1.0
    # a bridge is about the movements: when opening and closing dwarf them, the axis starts
    # near the smaller of the two (85% of it, down to a round tick) so that they read
    levels = [amounts[0], amounts[-1]] + [
        b for s, b in zip(steps, bottoms, strict=True) if s not in ("opening", "closing")
    ]
    base = _nice_floor(min(amounts[0], amounts[-1]) * 0.85)
    smaller = min(amounts[0], amounts[-1])
    cut = smaller > 0 and base > 0 and min(levels) > base and top - min(levels) < 0.5 * smaller
    lo = base if cut else min(0.0, min(bottoms))
    span = top - lo
    for i, (s, a, b, h) in enumerate(zip(steps, amounts, bottoms, heights, strict=True)):
        neg = s in LOST
        text = F.money(-a if neg else a, currency, sign=s not in ("opening", "closing"), sig=3)
        ax.text(i, b + h + span * 0.015, text, ha="center", va="bottom", fontsize=13, fontweight="bold", color=S.INK)
        if i < len(steps) - 1 and s != "closing":
            level = b + h if not neg else b
            ax.plot([i + 0.31, i + 0.69], [level, level], color=S.MUTED, lw=0.8, ls=":")
    ax.set_xticks(x, [BRIDGE_LABELS[s] for s in steps])
    ax.yaxis.set_major_formatter(S.money_formatter(currency))
    ax.set_ylabel(money_label(currency, measure))
    ax.set_xlabel("")
    if cut:
        ax.set_ylim(lo, top + span * 0.10)
        ax.text(
            1.0,
            1.0,
            f"axis starts at {F.money(lo, currency)}, not zero",
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize=11,
            color=S.MUTED,
        )
    else:
        ax.set_ylim(lo, top + span * 0.12)
    ax.set_title(title)
    return ax


# --- revenue by tier, revenue lines -----------------------------------------------------------
@styled
def revenue_tiers(
    tiers: pd.DataFrame,
    currency: str | None = None,
    title: str = "Revenue by quality tier",
    ax: Axes | None = None,
    size: tuple[float, float] = S.FULL,
) -> Axes:
    """Stacked monthly revenue by tier (contracted recurring, uncontracted recurring,
    one-off) with the recurring share on a second axis.

    Parameters
    ----------
    tiers : DataFrame
        The ``revenue_tiers`` table: month, contracted_recurring, uncontracted_recurring,
        one_off, recurring_share.
    currency : str, optional
        ISO code of the amounts.
    ax : Axes, optional
        Where to draw (the share goes on its twin); a new figure of ``size`` when None.

    Returns
    -------
    Axes
        The revenue axes (the recurring share is on its right-hand twin).
    """
    names = list(S.TIER_COLORS)
    if tiers.empty:
        return empty(ax, "No revenue-tier data", size)
    if tiers[names].isna().all().all():
        return empty(ax, "Revenue is not split by tier in the inputs", size)
    dates = to_timestamps(tiers["month"])
    ax = axes_for(ax, size)
    bottom = np.zeros(len(tiers))
    for t in names:
        vals = tiers[t].fillna(0).astype(float).to_numpy()
        ax.bar(dates, vals, bottom=bottom, width=24, color=S.TIER_COLORS[t], label=S.TIER_LABELS[t])
        bottom = bottom + vals
    ax.yaxis.set_major_formatter(S.money_formatter(currency))
    ax.set_ylabel(money_label(currency, "Revenue per month"))
    format_time_axis(ax, dates)
    handles, labels = ax.get_legend_handles_labels()
    ax2 = ax.twinx()
    ax2.plot(
        dates,
        tiers["recurring_share"].astype(float),
        color=S.INK,
        lw=2.2,
        marker="o",
        ms=3.5,
        label="Recurring share (right)",
    )
    ax2.set_ylim(0, 1.05)
    ax2.yaxis.set_major_formatter(S.pct_formatter())
    ax2.set_ylabel("Recurring share of revenue")
    ax2.grid(False)
    ax2.spines["right"].set_visible(True)
    h2, l2 = ax2.get_legend_handles_labels()
    ax.set_ylim(0, (bottom.max() or 1) * 1.08)
    legend_below(ax, handles + h2, labels + l2, ncols=4)
    ax.set_title(title)
    return ax


LINE_LABELS = {
    "bookings": "Bookings",
    "billings": "Billings",
    "revenue": "Recognized revenue",
    "arr": "ARR",
    "carr": "CARR",
}


def _after_opening(bridge: pd.DataFrame) -> pd.DataFrame:
    """The months of a revenue bridge after its first month of data. The first month with
    ARR is the opening balance: its bookings and billings are the whole book signed before
    the data begins, not that month's sales; months before it (ARR 0) precede the data."""
    live = np.flatnonzero(bridge["arr"].astype(float).fillna(0).to_numpy() > 0)
    if not live.size:
        return bridge.iloc[0:0]
    return bridge.iloc[live[0] + 1 :].reset_index(drop=True)


def _end_label(ax: Axes, date: pd.Timestamp, value: float, currency: str | None, color: str, va: str) -> None:
    ax.text(date, value, " " + F.money(value, currency), va=va, ha="left", fontsize=12, color=color, fontweight="bold")


@styled
def revenue_lines(
    revenue_bridge: pd.DataFrame,
    currency: str | None = None,
    title: str | None = None,
    size: tuple[float, float] = S.FULL,
) -> Figure:
    """Bookings, billings and recognized revenue per month (left) beside ARR and CARR
    (right), from the month after the opening book (:func:`_after_opening`).

    Parameters
    ----------
    revenue_bridge : DataFrame
        The ``revenue_bridge`` table: month, bookings, billings, revenue, arr, carr.
    currency : str, optional
        ISO code of the amounts.
    title : str, optional
        A title over both panels.

    Returns
    -------
    Figure
        Two Axes: the monthly flows, then ARR and CARR.
    """
    if revenue_bridge.empty:
        return empty(None, "No contract data: revenue_bridge is empty", size).figure
    df = _after_opening(revenue_bridge)
    if df.empty:
        return empty(None, "Too little contract history: one month is the opening book", size).figure
    dates = to_timestamps(df["month"])
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=size, gridspec_kw={"width_ratios": [1.15, 1]})
    colors = {"bookings": S.SERIES[1], "billings": S.SERIES[2], "revenue": S.PRIMARY, "arr": S.PRIMARY}
    colors["carr"] = S.SERIES[3]
    for c in ("bookings", "billings", "revenue"):
        ax1.plot(dates, df[c].astype(float), label=LINE_LABELS[c], color=colors[c], lw=2.8 if c == "revenue" else 2.0)
    ax1.yaxis.set_major_formatter(S.money_formatter(currency))
    ax1.set_ylabel(money_label(currency, "per month"))
    ax1.set_title("Bookings, billings, revenue")
    format_time_axis(ax1, dates, narrow=True)
    legend_below(ax1, ncols=3)
    ax1.set_ylim(bottom=0)
    for c in ("arr", "carr"):
        ax2.plot(
            dates, df[c].astype(float), label=LINE_LABELS[c], color=colors[c], lw=2.8, ls="-" if c == "arr" else "--"
        )
    _end_label(ax2, dates[-1], float(df["arr"].iloc[-1]), currency, colors["arr"], "center")
    _end_label(ax2, dates[-1], float(df["carr"].iloc[-1]), currency, colors["carr"], "bottom")
    ax2.yaxis.set_major_formatter(S.money_formatter(currency))
    ax2.set_ylabel(money_label(currency, "annualised"))
    ax2.set_title("ARR and contracted ARR (CARR)")
    format_time_axis(ax2, dates, narrow=True)
    ax2.margins(x=0.12)
    legend_below(ax2, ncols=2)
    ax2.set_ylim(bottom=0)
    if title:
        fig.suptitle(title, x=0.01, ha="left", fontweight="bold")
    for ax in (ax1, ax2):
        ax.tick_params(axis="x", labelrotation=0)
    return fig


# --- MRR movements and quick ratio ------------------------------------------------------------
def _stacked_movements(ax: Axes, table: pd.DataFrame, width: float) -> tuple[np.ndarray, np.ndarray]:
    """MRR gained stacked above zero and MRR lost below it, one bar per row; returns both
    stack heights."""
    x = np.arange(len(table))
    pos, neg = np.zeros(len(table)), np.zeros(len(table))
    for s in MOVEMENTS:
        v = table[s].fillna(0).abs().astype(float).to_numpy()
        gained = s in GAINED
        ax.bar(
            x,
            v if gained else -v,
            bottom=pos if gained else -neg,
            color=S.MOVEMENT_COLORS[s],
            label=s.capitalize(),
            width=width,
        )
        if gained:
            pos = pos + v
        else:
            neg = neg + v
    return pos, neg


@styled
def mrr_movements(
    bridge: pd.DataFrame,
    currency: str | None = None,
    title: str = "MRR movements per month",
    as_of: pd.Period | None = None,
    ax: Axes | None = None,
    size: tuple[float, float] = S.FULL,
) -> Axes:
    """Diverging bars per month: new, reactivation, expansion up; contraction, churn down.

    Parameters
    ----------
    bridge : DataFrame
        The ``mrr_bridge`` table: month, new, reactivation, expansion, contraction, churn.
    currency : str, optional
        ISO code of the amounts.
    as_of : Period, optional
        The reported month: a later month is labelled "(to date)".
    ax : Axes, optional
        Where to draw; a new figure of ``size`` inches when None.

    Returns
    -------
    Axes
    """
    if bridge.empty:
        return empty(ax, "No MRR movements", size)
    df = bridge.sort_values("month")
    ax = axes_for(ax, size)
    pos, neg = _stacked_movements(ax, df, width=0.72)
    ax.axhline(0, color=S.INK, lw=0.8)
    ax.yaxis.set_major_formatter(S.money_formatter(currency))
    ax.set_ylabel(money_label(currency, "MRR movement"))
    period_ticks(ax, period_labels(df["month"], as_of))
    ax.set_ylim(-(neg.max() or 1) * 1.2, (pos.max() or 1) * 1.15)
    legend_below(ax, ncols=6)
    ax.set_title(title)
    return ax


#: The quick-ratio axis ends at this multiple of its top benchmark band.
QR_AXIS_CAP = 2.5


def _quick_ratio_bands() -> list[tuple[float, str]]:
    """Thresholds of the quick-ratio band (registry), highest first: drawn as lines."""
    b = reg.BANDS["quick_ratio"].bands  # the same for every stage and go-to-market
    return [(b.green, "green")] + ([(b.amber, "amber")] if b.amber is not None else [])


def _quick_ratio_panel(axq: Axes, drivers: pd.DataFrame) -> None:
    """The quick ratio per period in its status colour, the bands as dashed lines."""
    bands = _quick_ratio_bands()
    x = np.arange(len(drivers))
    qr = drivers["quick_ratio"].astype(float).to_numpy()
    # the axis stops at QR_AXIS_CAP x the top band: one quarter of 20x would otherwise
    # flatten every other bar; a capped bar is hatched and keeps its true value as a label
    cap = QR_AXIS_CAP * max(t for t, _ in bands)
    shown = np.where(np.isnan(qr), 0, np.minimum(qr, cap))
    bars = axq.bar(x, shown, color=[S.status_color(s) for s in drivers["status"]], width=0.66)
    for i, v in enumerate(qr):
        over = not np.isnan(v) and v > cap
        if over:
            bars[i].set_hatch("//")
            bars[i].set_edgecolor("white")
        axq.text(
            x[i],
            shown[i],
            " –" if np.isnan(v) else f"{v:.1f}" + ("▲" if over else ""),
            ha="center",
            va="bottom",
            fontsize=11.5,
            fontweight="bold",
            color=S.INK,
        )
    for t, b in bands:
        axq.axhline(t, color=S.status_color(b), lw=1.2, ls="--")
        axq.text(
            1.0, t, f" {t:g}", transform=axq.get_yaxis_transform(), va="center", fontsize=10.5, color=S.status_color(b)
        )
    axq.set_ylim(0, max(float(shown.max()) if shown.size else 1, bands[0][0]) * 1.3)
    if (qr > cap).any():
        axq.text(
            0.0,
            1.02,
            f"axis capped at {cap:g}x; ▲ marks a quarter above it (its value printed)",
            transform=axq.transAxes,
            fontsize=10.5,
            color=S.MUTED,
            va="bottom",
        )
    axq.yaxis.set_major_formatter(S.value_formatter("multiple"))
    axq.set_ylabel("Quick ratio")


@styled
def quick_ratio_bars(
    drivers: pd.DataFrame,
    currency: str | None = None,
    title: str = "MRR drivers and quick ratio by quarter",
    as_of: pd.Period | None = None,
    size: tuple[float, float] = S.FULL,
) -> Figure:
    """MRR gained (new, reactivation, expansion) and lost (contraction, churn) per period,
    with the quick ratio of each period coloured by its status.

    Parameters
    ----------
    drivers : DataFrame
        The ``mrr_drivers`` table (or ``mrr_drivers_monthly``): period, new, reactivation,
        expansion, contraction, churn, quick_ratio, status (judged by the kpis layer).
    currency : str, optional
        ISO code of the amounts.
    as_of : Period, optional
        The reported month: a period ending later is labelled "(to date)".

    Returns
    -------
    Figure
        Two Axes sharing x: the movements, then the quick ratio.
    """
    if drivers.empty:
        return empty(None, "No MRR movements", size).figure
    data = drivers.sort_values("period")
    fig, (ax, axq) = plt.subplots(2, 1, figsize=size, sharex=True, gridspec_kw={"height_ratios": [1.6, 1]})
    pos, neg = _stacked_movements(ax, data, width=0.66)
    ax.axhline(0, color=S.INK, lw=0.8)
    ax.yaxis.set_major_formatter(S.money_formatter(currency))
    ax.set_ylabel(money_label(currency, "MRR moved"))
    ax.legend(loc="upper left", ncols=5, fontsize=11.5)
    ax.set_ylim(-(neg.max() or 1) * 1.15, (pos.max() or 1) * 1.45)
    _quick_ratio_panel(axq, data)
    period_ticks(axq, period_labels(data["period"], as_of))
    ax.set_title(title)
    return fig


# --- ARPA drivers -------------------------------------------------------------------------------
ARPA_SERIES = {
    "asp": "ASP (new customers)",
    "arpa_churned": "Churned customers",
    "arpa_expanded": "Expanded customers",
    "arpa_contracted": "Contracted customers",
    "arpa": "ARPA (all customers)",
}


@styled
def arpa_drivers(
    drivers: pd.DataFrame,
    currency: str | None = None,
    title: str = "ARPA drivers: who pays how much (monthly)",
    as_of: pd.Period | None = None,
    ax: Axes | None = None,
    size: tuple[float, float] = S.FULL,
) -> Axes:
    """ASP of new customers against the ARPA of churned, expanded and contracted customers
    and the overall ARPA, per period.

    Parameters
    ----------
    drivers : DataFrame
        The ``arpa_drivers`` table (or ``arpa_drivers_monthly``): period, asp,
        arpa_churned, arpa_expanded, arpa_contracted, arpa.
    currency : str, optional
        ISO code of the amounts.
    as_of : Period, optional
        The reported month: a period ending later is labelled "(to date)".
    ax : Axes, optional
        Where to draw; a new figure of ``size`` inches when None.

    Returns
    -------
    Axes
    """
    if drivers.empty:
        return empty(ax, "No ARPA driver data", size)
    data = drivers.sort_values("period")
    colors = {
        "asp": S.POSITIVE,
        "arpa": S.PRIMARY,
        "arpa_churned": S.NEGATIVE,
        "arpa_expanded": S.MOVEMENT_COLORS["expansion"],
        "arpa_contracted": S.MOVEMENT_COLORS["contraction"],
    }
    ax = axes_for(ax, size)
    x = np.arange(len(data))
    for c, label in ARPA_SERIES.items():
        ax.plot(x, data[c].astype(float), label=label, color=colors[c], lw=3 if c == "arpa" else 2, marker="o", ms=4)
    ax.yaxis.set_major_formatter(S.money_formatter(currency))
    ax.set_ylabel(money_label(currency, "MRR per customer"))
    period_ticks(ax, period_labels(data["period"], as_of))
    ax.set_ylim(bottom=0)
    legend_below(ax, ncols=5)
    ax.set_title(title)
    return ax
