"""Segments: two segments' KPIs side by side, and one value broken down by category."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from reportlib import format as F
from reportlib.deck import _style as S
from reportlib.deck._charts._drawing import axes_for, empty, shorten, styled
from reportlib.values import finite, is_blank

__all__ = ["breakdown_bars", "segment_compare"]


def _compare_row(ax: Axes, i: int, r: dict[str, object], segments: Sequence[str], currency: str | None) -> None:
    """One KPI: each segment's bar scaled to the larger of the two, in its status colour
    (else the segment's colour), its value printed (or the note of a blank)."""
    values = [finite(r[seg]) for seg in segments]
    m = max([abs(v) for v in values if v is not None] or [1.0]) or 1.0
    for j, (seg, v) in enumerate(zip(segments, values, strict=True)):
        st = S.status_key(r[f"status_{seg}"])
        color = S.STATUS_COLORS[st] if st else (S.PRIMARY if j == 0 else S.SECONDARY)
        x0 = 0.0 if j == 0 else 1.25
        if v is not None:
            ax.barh(i, abs(v) / m, left=x0, color=color, height=0.56)
        note = r[f"note_{seg}"]
        if v is None and not is_blank(note):
            ax.text(x0 + 0.02, i, "– " + shorten(note, 44), va="center", fontsize=11, color=S.MUTED, style="italic")
            continue
        ax.text(
            x0 + (abs(v) / m if v is not None else 0) + 0.02,
            i,
            F.value(v, str(r["unit"]), currency),
            va="center",
            fontsize=12.5,
            color=S.INK,
            fontweight="bold",
        )
    ax.text(-0.03, i, shorten(r["label"], 30), ha="right", va="center", fontsize=13, color=S.INK)


@styled
def segment_compare(
    kpis: pd.DataFrame,
    segments: Sequence[str],
    currency: str | None = None,
    title: str | None = None,
    ax: Axes | None = None,
    size: tuple[float, float] | None = None,
) -> Axes:
    """Two segments side by side, one row per KPI: each row's two bars are scaled to the
    larger of the two (units differ between rows), values printed, bars in status colour.

    Parameters
    ----------
    kpis : DataFrame
        The ``compare_kpis`` table (``report.compare_table``): kpi, label, unit, one value
        column per segment, ``status_<segment>`` and ``note_<segment>``.
    segments : sequence of str
        The two segments' value columns, left then right.
    currency : str, optional
        ISO code of money values.
    ax : Axes, optional
        Where to draw; by default a new figure 12.6 inches wide and tall enough for the
        rows (or of ``size``).

    Returns
    -------
    Axes
    """
    if kpis.empty:
        return empty(ax, "No comparison", size or S.FULL)
    a, b = segments[0], segments[1]
    n = len(kpis)
    ax = axes_for(ax, size or (12.6, max(2.5, min(5.6, 0.55 * n + 0.9))))
    for i, r in enumerate(kpis.to_dict("records")):
        _compare_row(ax, i, r, (a, b), currency)
    ax.text(0.0, -0.8, str(a), fontsize=14, fontweight="bold", color=S.PRIMARY)
    ax.text(1.25, -0.8, str(b), fontsize=14, fontweight="bold", color=S.SECONDARY)
    ax.set_xlim(-0.95, 2.55)
    ax.set_ylim(n - 0.4, -1.2)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


@styled
def breakdown_bars(
    table: pd.DataFrame,
    value: str,
    label: str,
    unit: str = "count",
    currency: str | None = None,
    title: str | None = None,
    color: str | None = None,
    max_rows: int = 10,
    ax: Axes | None = None,
    size: tuple[float, float] = S.HALF,
) -> Axes:
    """Horizontal bars of one value by category (segment, channel, owner), largest first.

    Parameters
    ----------
    table : DataFrame
        One row per category.
    value, label : str
        The column drawn and the column naming each bar.
    unit : str
        The registry unit of ``value`` (currency, ratio, count, ...).
    currency : str, optional
        ISO code of money values.
    max_rows : int
        The largest rows drawn.
    ax : Axes, optional
        Where to draw; a new figure of ``size`` inches when None.

    Returns
    -------
    Axes
    """
    if table.empty:
        return empty(ax, "No breakdown", size)
    data = table[[label, value]].dropna().sort_values(value, ascending=False).head(max_rows)
    ax = axes_for(ax, size)
    y = np.arange(len(data))
    vals = data[value].astype(float).to_numpy()
    ax.barh(y, vals, color=color or S.PRIMARY, height=0.62)
    span = np.nanmax(np.abs(vals)) if len(vals) else 1
    for i, v in enumerate(vals):
        ax.text(v + span * 0.015, i, F.value(v, unit, currency), va="center", fontsize=12.5)
    ax.set_yticks(y, [shorten(s, 22) for s in data[label].astype(str)])
    ax.set_ylim(len(data) - 0.5, -0.5)
    ax.xaxis.set_major_formatter(S.value_formatter(unit, currency))
    ax.set_xlim(min(0, np.nanmin(vals) * 1.1) if len(vals) else 0, span * 1.25)
    ax.grid(axis="x", visible=True)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(value.replace("_", " ").capitalize())
    ax.set_title(title or f"{value.replace('_', ' ').capitalize()} by {label}")
    return ax
