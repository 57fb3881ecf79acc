"""The sales pipeline: leading indicators paced against their targets, and pipeline and
wins per deal owner."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from reportlib import format as F
from reportlib import registry as reg
from reportlib.deck import _style as S
from reportlib.deck._charts._drawing import axes_for, empty, in_board_style, legend_below, money_label
from reportlib.values import finite, is_blank

__all__ = ["owner_bars", "pacing"]

#: The pace words of ``pipeline_pacing.status`` (the metrics layer judged them) as status colours.
PACE_STATUS = {"ahead": "green", "on track": "amber", "behind": "red"}


def _pacing_row(ax: Axes, i: int, r: dict[str, object], currency: str | None) -> None:
    """One target: the full target as an outline, actual to date in its pace colour, a
    tick at the level expected by the as-of date, all as shares of the row's own target (so that
    rows of different units share the axis)."""
    target = finite(r["target"]) or 0.0
    actual = finite(r["actual"]) or 0.0
    expected = finite(r["expected_to_date"])
    status = str(r["status"]) if not is_blank(r["status"]) else ""
    unit = reg.unit(str(r["metric"]))
    scale = target if target else max(actual, 1.0)
    ax.barh(i, 1.0, color="none", edgecolor=S.NEUTRAL, height=0.56, lw=1.2)
    ax.barh(i, actual / scale, color=S.STATUS_COLORS[PACE_STATUS.get(status, "")], height=0.56)
    if expected is not None:
        ax.plot([expected / scale] * 2, [i - 0.38, i + 0.38], color=S.INK, lw=2.4)
    pace = finite(r["pace"])
    txt = f"{F.value(actual, unit, currency)} of {F.value(target, unit, currency)}"
    if pace is not None:
        txt += f"  ·  pace {F.percent(pace)}"
    if status:
        txt += f"  ·  {status}"
    ax.text(max(1.0, actual / scale) + 0.02, i, txt, va="center", fontsize=12.5, color=S.INK)
    dim = "" if is_blank(r["dimension"]) else str(r["dimension"])
    name = str(r["metric"]).replace("_", " ").capitalize() + ("" if dim in ("", "all") else f" · {filter_words(dim)}")
    ax.text(-0.02, i, name, va="center", ha="right", fontsize=13, color=S.INK)


def filter_words(dimension: str) -> str:
    """A target's filter as a board reads it: 'source=inbound' -> 'inbound',
    'source=partner,segment=SMB' -> 'partner, SMB' (the values say it; the column names are
    the export's)."""
    parts = [p.split("=", 1)[-1].strip() for p in dimension.split(",") if p.strip()]
    return ", ".join(parts) or dimension


@in_board_style
def pacing(
    targets: pd.DataFrame,
    currency: str | None = None,
    title: str = "Leading indicators: actual to date against target",
    ax: Axes | None = None,
    size: tuple[float, float] | None = None,
) -> Axes:
    """One bar per target (metric, dimension): actual to date in its pace colour (ahead
    green, on track amber, behind red) against the full target (outline) and a marker at
    the expected-to-date level.

    Parameters
    ----------
    targets : DataFrame
        The ``pipeline_pacing`` table: metric, dimension, target, actual,
        expected_to_date, pace, status (ahead / on track / behind).
    currency : str, optional
        ISO code of money targets.
    ax : Axes, optional
        Where to draw; by default a new figure 12.6 inches wide and tall enough for the
        rows (or of ``size``).

    Returns
    -------
    Axes
    """
    if targets.empty:
        return empty(ax, "No targets: add a targets file to track leading indicators", size or S.FULL)
    items = targets.to_dict("records")
    n = len(items)
    ax = axes_for(ax, size or (12.6, max(2.2, min(5.4, 0.75 * n + 1.0))))
    for i, r in enumerate(items):
        _pacing_row(ax, i, r, currency)
    ax.set_ylim(n - 0.4, -0.8)
    ax.set_xlim(-0.75, 2.0)
    ax.set_axis_off()
    ax.text(
        0.0,
        -0.6,
        "bar: actual to date as share of the period target  ·  black tick: expected by the as-of date",
        fontsize=10.5,
        color=S.MUTED,
        va="bottom",
    )
    ax.set_title(title)
    return ax


def _owner_facts(r: dict[str, object], currency: str | None) -> str:
    """'won €300k · 20% win rate · €50k average deal · 80 days cycle' (blank facts left out)."""
    parts = [f"won {F.money(r['won_amount'], currency)}"]
    if not is_blank(r["win_rate"]):
        parts.append(f"{F.percent(r['win_rate'])} win rate")
    if not is_blank(r["avg_deal_size"]):
        parts.append(f"{F.money(r['avg_deal_size'], currency)} average deal")
    if not is_blank(r["sales_cycle_days"]):
        parts.append(f"{F.days(r['sales_cycle_days'])} cycle")
    return " · ".join(parts)


@in_board_style
def owner_bars(
    owners: pd.DataFrame, currency: str | None = None, ax: Axes | None = None, size: tuple[float, float] = S.FULL
) -> Axes:
    """Pipeline created (light) and won (dark) per deal owner, largest won first, each row
    followed by its win rate, average deal size and sales cycle.

    Parameters
    ----------
    owners : DataFrame
        The ``pipeline_by_owner`` table: owner, pipeline_created, won_amount, win_rate,
        avg_deal_size, sales_cycle_days.
    currency : str, optional
        ISO code of the amounts.
    ax : Axes, optional
        Where to draw; a new figure of ``size`` inches when None.

    Returns
    -------
    Axes
    """
    if owners.empty:
        return empty(ax, "No opportunities by owner", size)
    data = owners.sort_values("won_amount", ascending=True).reset_index(drop=True)
    ax = axes_for(ax, size)
    y = np.arange(len(data))
    ax.barh(y, data["pipeline_created"].astype(float), color=S.NEUTRAL, height=0.7, label="Pipeline created")
    ax.barh(y, data["won_amount"].astype(float), color=S.PRIMARY, height=0.42, label="Won")
    top = float(data["pipeline_created"].astype(float).max() or 1)
    for i, r in enumerate(data.to_dict("records")):
        ax.text(
            max(float(r["pipeline_created"]), float(r["won_amount"])) + top * 0.01,
            i,
            _owner_facts(r, currency),
            va="center",
            ha="left",
            fontsize=11.5,
            color=S.INK,
        )
    ax.set_yticks(y, [str(o) for o in data["owner"]])
    ax.xaxis.set_major_formatter(S.money_formatter(currency))
    ax.set_xlabel(money_label(currency, "in the period"))
    ax.set_xlim(0, top * 1.75)
    legend_below(ax, ncols=2)
    return ax
