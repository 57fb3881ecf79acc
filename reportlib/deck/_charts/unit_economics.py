"""Unit economics against their benchmark bands: one row per KPI, its value as a bar in
its status colour over the bands of the registry."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from reportlib import format as F
from reportlib import registry as reg
from reportlib.deck import _style as S
from reportlib.deck._charts._drawing import empty, styled, wrap
from reportlib.values import finite, is_blank

__all__ = ["benchmark_bars"]

#: A band: (low, high, status); None = open-ended.
Band = tuple[float | None, float | None, str]


def registry_bands(kpi: str, stage: str | None = None, gtm: str | None = None) -> list[Band]:
    """The (low, high, status) segments of a KPI's registry bands for this company, for
    drawing behind its bar; [] when it has none or is not judged here."""
    rule = reg.BANDS.get(kpi)
    b = None if rule is None else rule.for_company(stage, gtm)
    if b is None or isinstance(b, str):
        return []
    if b.direction == "higher":
        segs: list[Band] = [(b.green, None, "green")]
        if b.amber is not None:
            return segs + [(b.amber, b.green, "amber"), (None, b.amber, "red")]
        return segs + [(None, b.green, "red")]
    segs = [(None, b.green, "green")]
    if b.amber is not None:
        return segs + [(b.green, b.amber, "amber"), (b.amber, None, "red")]
    return segs + [(b.green, None, "red")]


def _finite_bands(bands: Sequence[Band]) -> list[tuple[float, float, str]]:
    """Open ends as -inf / +inf."""
    return [
        (-np.inf if lo is None else float(lo), np.inf if hi is None else float(hi), S.status_key(st))
        for lo, hi, st in bands
    ]


def _bar_row(ax: Axes, row: Mapping[str, object], bands: Sequence[Band], currency: str | None) -> None:
    """One KPI: the bands as tints, the value as a bar in its status colour and printed,
    or the note that says why it is blank."""
    ax.set_axis_off()
    v = finite(row["value"])
    segs = _finite_bands(bands)
    edges = [x for s in segs for x in s[:2] if np.isfinite(x)]
    ref = abs(v) if v is not None else 0
    hi = max(edges + [ref]) * 1.25 if (edges or ref) else 1.0
    lo = min(0.0, min(edges + [v if v is not None else 0.0]) * 1.1)
    ax.set_xlim(lo, hi)
    ax.set_ylim(0, 1)
    for a, b, st in segs:
        a, b = max(a, lo), min(b, hi)
        if b > a:
            ax.add_patch(Rectangle((a, 0), b - a, 1, facecolor=S.STATUS_TINTS[st], edgecolor="none"))
    if v is not None:
        color = S.status_color(row["status"])
        ax.add_patch(Rectangle((min(0, v), 0.22), abs(v), 0.56, facecolor=color, edgecolor="none"))
        text = F.value(v, str(row["unit"]), currency)
        ax.text(max(v, 0) + (hi - lo) * 0.012, 0.5, text, va="center", fontsize=13.5, fontweight="bold", color=S.INK)
    else:
        why = str(row["note"]) if not is_blank(row["note"]) else "not available"
        ax.text(0, 0.5, "– " + why, va="center", fontsize=12, color=S.MUTED, style="italic")
    ax.axvline(0, color=S.MUTED, lw=0.8)


@styled
def benchmark_bars(
    kpis: pd.DataFrame,
    currency: str | None = None,
    bands: Mapping[str, Sequence[Band]] | None = None,
    title: str | None = None,
    stage: str | None = None,
    gtm: str | None = None,
    size: tuple[float, float] | None = None,
) -> Figure:
    """One row per unit-economics KPI: its value as a bar in its status colour, the value
    printed, and its benchmark band written beside it and drawn behind the bar.

    Parameters
    ----------
    kpis : DataFrame
        Rows of kpis.csv: kpi, label, value, unit, status, benchmark, note (a blank value
        shows its note).
    currency : str, optional
        ISO code of money values.
    bands : mapping of str to list of (low, high, status), optional
        KPI id -> the bands drawn behind its bar; by default the registry's bands for
        ``stage`` / ``gtm``.
    title : str, optional
        A title over the rows.
    size : (float, float), optional
        Figure size; by default 12.6 inches wide and tall enough for the rows.

    Returns
    -------
    Figure
        One Axes per KPI row (the labels and bands are figure text).
    """
    if kpis.empty:
        return empty(None, "No unit-economics KPIs").figure
    items = kpis.to_dict("records")
    n = len(items)
    height = size[1] if size else max(2.2, min(5.6, 0.62 * n + 0.6))
    fig = plt.figure(figsize=(size[0] if size else 12.6, height))
    fig.set_layout_engine("none")
    top, bottom = 0.93, 0.04
    row_h = (top - bottom) / n
    for i, r in enumerate(items):
        y0 = top - (i + 1) * row_h
        status = S.status_key(r["status"])
        kpi = str(r["kpi"])
        fig.text(0.005, y0 + row_h * 0.5, r["label"], fontsize=13.5, va="center", color=S.INK, fontweight="bold")
        ax = fig.add_axes((0.25, y0 + row_h * 0.18, 0.40, row_h * 0.64))
        _bar_row(ax, r, (bands or {}).get(kpi, []) if bands is not None else registry_bands(kpi, stage, gtm), currency)
        bench = r["benchmark"]
        right = S.STATUS_LABELS[status] + (f"  ({bench})" if not is_blank(bench) else "")
        fig.text(
            0.67,
            y0 + row_h * 0.5,
            wrap(right, 48),
            fontsize=12,
            va="center",
            color=S.STATUS_COLORS[status] if status else S.MUTED,
        )
        if i < n - 1:
            fig.add_artist(Line2D([0.005, 0.995], [y0, y0], color=S.GRID, lw=0.8))
    fig.text(0.25, top + 0.01, "value (bar colour = benchmark status)", fontsize=10.5, color=S.MUTED, va="bottom")
    fig.text(0.67, top + 0.01, "benchmark band", fontsize=10.5, color=S.MUTED, va="bottom")
    if title:
        fig.suptitle(title, x=0.005, ha="left", fontweight="bold")
    return fig
