"""KPI tiles and sparklines: the executive summary's north stars at a glance."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Rectangle

from reportlib import format as F
from reportlib.deck import _style as S
from reportlib.deck._charts._drawing import axes_for, empty, fit_text, pack_parts, styled
from reportlib.values import Value, is_blank

__all__ = ["kpi_tiles", "sparkline"]


def _draw_sparkline(ax: Axes, series: pd.Series, color: str) -> None:
    ax.set_axis_off()
    if series.dropna().empty:
        return
    y = series.astype(float).to_numpy()
    x = np.arange(len(y))
    ax.plot(x, y, color=color, lw=2.2)
    ax.fill_between(x, y, np.nanmin(y), color=color, alpha=0.10, lw=0)
    last = len(y) - 1 - np.argmax(~np.isnan(y[::-1]))
    ax.plot([x[last]], [y[last]], "o", color=color, ms=5)
    ax.margins(x=0.02, y=0.15)


@styled
def sparkline(
    series: pd.Series, status: str = "", ax: Axes | None = None, size: tuple[float, float] = (3.0, 0.8)
) -> Axes:
    """A small trend line with its last point marked, coloured by status.

    Parameters
    ----------
    series : Series
        The values in time order (NaN = no value that month).
    status : str
        green, amber, red or "" (the theme's main colour).
    ax : Axes, optional
        Where to draw; a new figure of ``size`` inches when None.

    Returns
    -------
    Axes
    """
    ax = axes_for(ax, size)
    _draw_sparkline(ax, series, S.status_color(status) if status else S.PRIMARY)
    return ax


def _change_lines(
    r: Mapping[str, object], currency: str | None, period_label: str, year_ago: Value | None
) -> list[str]:
    """The tile's lines under its value: change vs the prior period and vs a year ago, or
    the note that says why the value is blank."""
    unit = str(r["unit"])
    if is_blank(r["value"]) and not is_blank(r["note"]):
        # at most three lines: a longer note would run into the status words below it
        return textwrap.wrap(str(r["note"]), 34, max_lines=3, placeholder=" …")
    lines = []
    if not is_blank(r["change"]):
        lines.append(f"{F.change(r['change'], unit, currency)} vs {period_label}")
    elif not is_blank(r["prior_value"]):
        lines.append(f"{F.value(r['prior_value'], unit, currency)} {period_label}")
    yoy = r.get("change_yoy")
    if not is_blank(yoy):
        lines.append(f"{F.change(yoy, unit, currency)} vs a year ago")
    elif not is_blank(year_ago):
        lines.append(f"{F.value(year_ago, unit, currency)} a year ago")
    return lines


@styled
def kpi_tiles(
    rows: pd.DataFrame,
    currency: str | None = None,
    sparklines: Mapping[str, pd.Series] | None = None,
    year_ago: Mapping[str, Value] | None = None,
    period_label: str = "prior period",
    ncols: int | None = None,
) -> Figure:
    """North-star tiles: label, value, change vs the prior period and vs a year ago,
    benchmark status (coloured band and words) and a sparkline.

    Parameters
    ----------
    rows : DataFrame
        Rows of kpis.csv: kpi, label, value, unit, prior_value, change, benchmark, status,
        note; optionally ``change_yoy`` and ``year_ago`` (``report.kpi_rows`` adds them).
    currency : str, optional
        ISO code of the money values.
    sparklines : mapping of str to Series, optional
        KPI id -> its history, drawn in the tile in the tile's status colour.
    year_ago : mapping of str to value, optional
        KPI id -> value a year earlier (``KpiResult.year_ago``), shown when a row carries
        neither ``change_yoy`` nor ``year_ago``.
    period_label : str
        How the prior period is named ("prior quarter").
    ncols : int, optional
        Tiles per row (default: all in one row).

    Returns
    -------
    Figure
        One Axes per tile (and one per sparkline): a page, not an axes-level chart.
    """
    if rows.empty:
        return empty(None, "No north-star KPIs configured").figure
    items = rows.to_dict("records")
    n = len(items)
    ncols = ncols or n
    nrows = math.ceil(n / ncols)
    fig_w = 12.6
    fig = plt.figure(figsize=(fig_w, S.TILE_ROW_HEIGHT * nrows))
    fig.set_layout_engine("none")
    renderer = fig.canvas.get_renderer()
    gap = 0.018
    w = (1 - gap * (ncols - 1)) / ncols
    h = (1 - 0.04 * (nrows - 1)) / nrows
    text_w = w * fig_w * 0.88 * fig.dpi  # pixels a line of the tile may take
    # benchmark bands wrapped to the tile width; the status words sit above the tallest,
    # so that they line up across the row
    benches = [
        pack_parts(str(r["benchmark"]), text_w, renderer, fontsize=10) if not is_blank(r["benchmark"]) else []
        for r in items
    ]
    bench_rows = max((len(b) for b in benches), default=0)
    for i, r in enumerate(items):
        col, row = i % ncols, i // ncols
        x0 = col * (w + gap)
        y0 = 1 - (row + 1) * h - row * 0.04
        status = S.status_key(r["status"])
        color = S.STATUS_COLORS[status]
        ax = fig.add_axes((x0, y0, w, h))
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_axis_off()
        ax.add_patch(
            FancyBboxPatch(
                (0.0, 0.0),
                1,
                1,
                boxstyle="round,pad=0,rounding_size=0.03",
                facecolor=S.STATUS_TINTS[status],
                edgecolor="none",
                transform=ax.transAxes,
                mutation_aspect=0.5,
            )
        )
        ax.add_patch(Rectangle((0, 0.955), 1, 0.045, facecolor=color, edgecolor="none", transform=ax.transAxes))
        t = ax.text(0.06, 0.86, str(r["label"]), fontsize=13.5, color=S.MUTED, va="top", fontweight="bold")
        fit_text(t, text_w, renderer, min_size=10.5)
        value_text = F.value(r["value"], r["unit"], currency)
        spark = (sparklines or {}).get(str(r["kpi"]))
        t = ax.text(
            0.06,
            0.67,
            value_text,
            fontsize=(30 if ncols <= 4 else 26) if len(value_text) <= 7 else 22,
            fontweight="bold",
            color=S.INK,
            va="center",
        )
        # the value keeps clear of the sparkline on its right
        fit_text(t, text_w * (0.62 if spark is not None else 1.0), renderer, min_size=16)
        ya = r.get("year_ago")
        if is_blank(ya) and year_ago is not None:
            ya = year_ago.get(str(r["kpi"]))
        lines = _change_lines(r, currency, period_label, ya)
        t = ax.text(0.06, 0.53, "\n".join(lines), fontsize=12, color=S.INK, va="top", linespacing=1.4)
        fit_text(t, text_w, renderer, min_size=9.5)
        # benchmark band at the bottom, wrapped at its " · " parts to the tile's width, and
        # the status words just above it
        if benches[i]:
            ax.text(0.06, 0.04, "\n".join(benches[i]), fontsize=10, color=S.MUTED, va="bottom", linespacing=1.25)
        line_h = 10 * 1.25 / 72 / (S.TILE_ROW_HEIGHT * h * nrows)  # one benchmark line, axes units
        ax.text(
            0.06,
            0.05 + line_h * bench_rows,
            S.STATUS_LABELS[status].capitalize(),
            fontsize=12,
            color=color if status else S.MUTED,
            va="bottom",
            fontweight="bold",
        )
        if spark is not None:
            sax = fig.add_axes((x0 + w * 0.62, y0 + h * 0.60, w * 0.33, h * 0.15))
            _draw_sparkline(sax, spark, color if status else S.PRIMARY)
    return fig
