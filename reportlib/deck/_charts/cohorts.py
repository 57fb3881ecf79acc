"""Cohort charts: the retention triangle, two segments' cohorts side by side and each
cohort's gross profit against its CAC (payback)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MultipleLocator

from reportlib.deck import _style as S
from reportlib.deck._charts._drawing import axes_for, empty, money_label, styled

__all__ = ["cohort_compare", "cohort_heatmap", "cohort_payback"]

COHORT_TITLES = {
    "logo": "Logo retention: share of each cohort's customers still active",
    "nrr": "Net revenue retention: cohort MRR against its first month",
    "grr": "Gross revenue retention: cohort MRR kept, expansion excluded",
}
KIND_NAMES = {"nrr": "Net revenue retention", "logo": "Logo retention", "grr": "Gross revenue retention"}


def _is_opening(cohort: str) -> bool:
    """The opening cohort (``<=YYYY-MM``): every customer before the data's first month."""
    return cohort.startswith("<=")


def _cohort_order(cohorts: Sequence[str]) -> list[str]:
    """The opening cohort first, then the dated ones in time order."""
    return sorted(cohorts, key=lambda c: (0, c) if _is_opening(c) else (1, c))


def _cohort_grid(table: pd.DataFrame, max_cohorts: int, max_age: int) -> pd.DataFrame:
    """Wide cohort x age grid of a long (cohort, age_months, value) table: the opening
    cohort first, then the ``max_cohorts`` most recent, ages up to ``max_age`` that some
    shown cohort has reached."""
    t = table.assign(cohort=table["cohort"].astype(str))
    grid = t.pivot_table(index="cohort", columns="age_months", values="value", aggfunc="first")
    order = _cohort_order(list(grid.index))
    opening = [c for c in order if _is_opening(c)]
    rest = [c for c in order if not _is_opening(c)]
    grid = grid.loc[opening + rest[-max_cohorts:]]
    grid = grid[[c for c in grid.columns if int(c) <= max_age]]
    return grid.loc[:, grid.notna().any(axis=0)].astype(float)


def _heat_scale(values: np.ndarray, kind: str) -> tuple[float, float, str]:
    """(vmin, vmax, colormap) that show the differences between cells. NRR diverges around
    100% over the spread of its values (5th to 95th percentile, at least +/-10 pts, at most
    +/-50 pts); logo retention and GRR run from about their 5th percentile (rounded down to
    5 pts, never below 50%) to 100%, so that a triangle of 80-100% is not uniformly dark."""
    v = values[np.isfinite(values)]
    if kind == "nrr":
        if v.size:
            spread = max(abs(np.percentile(v, 5) - 1.0), abs(np.percentile(v, 95) - 1.0))
        else:
            spread = 0.5
        spread = min(0.5, max(0.10, math.ceil(spread * 20 - 1e-9) / 20))
        return 1.0 - spread, 1.0 + spread, "RdBu"
    low = math.floor(np.percentile(v, 5) * 20 + 1e-9) / 20 if v.size else 0.5
    return min(max(0.5, low), 0.9), 1.0, "Blues"


def _annotate_cells(ax: Axes, vals: np.ndarray, ages: list[int], rgba: np.ndarray, fontsize: float) -> None:
    """One % label per labelled cell, white on dark cells and ink on light ones. A wide
    grid is labelled at the ticked ages (every 3rd month) and at each cohort's latest
    month; the colour carries the cells between. Fewer, larger numbers read better than a
    wall of small ones (and draw much faster)."""
    lum = 0.2126 * rgba[..., 0] + 0.7152 * rgba[..., 1] + 0.0722 * rgba[..., 2]
    step = 1 if len(ages) <= 13 else 3
    ticked = {j for j, a in enumerate(ages) if int(a) % step == 0}
    for i in range(vals.shape[0]):
        known = np.flatnonzero(~np.isnan(vals[i]))
        last = known[-1] if known.size else -1
        for j in known:
            if j not in ticked and j != last:
                continue
            t = ax.text(
                j,
                i,
                f"{vals[i, j] * 100:.0f}",
                ha="center",
                va="center",
                fontsize=fontsize,
                color="white" if lum[i, j] < 0.55 else S.INK,
            )
            t.set_in_layout(False)  # inside the axes: nothing for the layout to measure


def _draw_heatmap(ax: Axes, grid: pd.DataFrame, scale: tuple[float, float, str]) -> AxesImage:
    """The cohort grid as an image with % labels and white gaps between cells; returns the
    image (for a colour bar)."""
    vals = grid.to_numpy(dtype=float)
    nrows, ncols = vals.shape
    vmin, vmax, cmap_name = scale
    cmap = mpl.colormaps[cmap_name].with_extremes(bad=S.PAPER)
    norm = mpl.colors.Normalize(vmin=vmin, vmax=vmax)
    im = ax.imshow(np.ma.masked_invalid(vals), cmap=cmap, norm=norm, aspect="auto", interpolation="nearest")
    ax.hlines(np.arange(nrows + 1) - 0.5, -0.5, ncols - 0.5, color=S.PAPER, lw=0.8)
    ax.vlines(np.arange(ncols + 1) - 0.5, -0.5, nrows - 0.5, color=S.PAPER, lw=0.8)
    ages = [int(a) for a in grid.columns]
    fontsize = 11 if ncols <= 13 else 10
    if nrows > 20:
        fontsize = min(fontsize, 8.5)
    _annotate_cells(ax, vals, ages, cmap(norm(np.nan_to_num(vals, nan=vmax))), fontsize)
    ax.set_xlim(-0.5, ncols - 0.5)
    ax.set_ylim(nrows - 0.5, -0.5)
    ax.grid(False)
    for side in ("left", "bottom", "top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="both", length=0)
    step = 1 if ncols <= 13 else 3
    ticks = [i for i, a in enumerate(ages) if a % step == 0]
    ax.set_xticks(ticks, [str(ages[i]) for i in ticks])
    ax.set_yticks(np.arange(nrows), list(grid.index), fontsize=11)
    return im


def _extend(vals: np.ndarray, vmin: float, vmax: float) -> str:
    """Which ends of the colour bar have cells beyond them."""
    if not np.isfinite(vals).any():
        return "neither"
    below, above = bool(np.nanmin(vals) < vmin), bool(np.nanmax(vals) > vmax)
    return "both" if below and above else "min" if below else "max" if above else "neither"


@styled
def cohort_heatmap(
    table: pd.DataFrame,
    kind: str = "logo",
    max_cohorts: int = 16,
    max_age: int = 24,
    title: str | None = None,
    ax: Axes | None = None,
    size: tuple[float, float] = S.TALL,
) -> Axes:
    """Cohort triangle: rows are cohorts (the opening cohort labelled ``<=YYYY-MM`` first),
    columns the age in months, cells the retention as a percentage.

    Parameters
    ----------
    table : DataFrame
        A cohort table, long: cohort, age_months, value (``cohorts_logo``, ...).
    kind : {"logo", "nrr", "grr"}
        What the values are: NRR gets a scale diverging around 100%.
    max_cohorts, max_age : int
        The opening cohort and the ``max_cohorts`` most recent cohorts are shown, ages up
        to ``max_age``.
    ax : Axes, optional
        Where to draw (its figure gets the colour bar); a new figure of ``size`` when None.

    Returns
    -------
    Axes
        The grid (the colour bar is an Axes of the same figure). The colour scale follows
        the values (:func:`_heat_scale`); cells beyond it take its end colour and keep
        their label.
    """
    if table.empty:
        return empty(ax, "No cohort data", size)
    grid = _cohort_grid(table, max_cohorts, max_age)
    kind = kind.lower()
    ax = axes_for(ax, size)
    vals = grid.to_numpy(dtype=float)
    vmin, vmax, cmap_name = _heat_scale(vals, kind)
    im = _draw_heatmap(ax, grid, (vmin, vmax, cmap_name))
    ax.set_xlabel("Months since acquisition")
    ax.set_ylabel("Acquisition cohort")
    cbar = ax.figure.colorbar(
        im,
        ax=ax,
        format=S.pct_formatter(),
        shrink=0.8,
        pad=0.01,
        extend=_extend(vals, vmin, vmax),
        ticks=MultipleLocator(0.05 if vmax - vmin <= 0.41 else 0.1),
    )
    cbar.ax.tick_params(labelsize=11, length=0)
    cbar.outline.set_visible(False)
    cbar.set_label("cell values in %", fontsize=11)
    ax.set_title(title or COHORT_TITLES.get(kind, f"{kind.upper()} by cohort"))
    return ax


def _cohort_curves(ax: Axes, cohorts: pd.DataFrame, segment: str) -> None:
    """Every cohort of one segment as a line over its age (darker = more recent; the
    opening cohort dashed grey) and a dotted 100% line."""
    cmap = mpl.colormaps["Blues"]
    sub = cohorts[cohorts["segment"].astype(str) == segment]
    names = _cohort_order(list(sub["cohort"].astype(str).unique()))
    dated = [k for k in names if not _is_opening(k)]
    ax.axhline(1.0, color=S.MUTED, lw=1.0, ls=":")
    for k in names:
        g = sub[sub["cohort"].astype(str) == k].sort_values("age_months")
        if _is_opening(k):
            ax.plot(g["age_months"], g["value"], color=S.NEUTRAL, lw=1.4, ls="--")
            continue
        shade = 0.35 + 0.6 * (dated.index(k) / max(len(dated) - 1, 1))
        ax.plot(g["age_months"], g["value"], color=cmap(shade), lw=1.3, alpha=0.9)
    if sub.empty:
        ax.text(0.5, 0.5, f"No {segment} cohorts", transform=ax.transAxes, ha="center", va="center", color=S.MUTED)


@styled
def cohort_compare(
    tables: Mapping[str, pd.DataFrame],
    segments: Sequence[str],
    max_age: int = 24,
    title: str | None = None,
    size: tuple[float, float] = S.TALL,
) -> Figure:
    """Two segments' cohort retention side by side: one row per kind, one column per
    segment, each panel every acquisition cohort's curve over its months since acquisition
    (darker = more recent cohort; the opening cohort dashed grey), rows sharing their y
    axis so that the two segments read against each other.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Kind (nrr, logo, grr) -> ``compare_cohorts_<kind>`` table: cohort, age_months,
        value, segment (``report.compare_cohorts``).
    segments : sequence of str
        The two segment values, left then right.

    Returns
    -------
    Figure
        A grid of Axes, kinds down, segments across.
    """
    kinds = [k for k, t in tables.items() if not t.empty]
    if not kinds or len(segments) < 2:
        return empty(None, "No cohorts to compare", size).figure
    segs = [str(x) for x in segments[:2]]
    fig, axes = plt.subplots(len(kinds), 2, figsize=size, sharey="row", sharex=True, squeeze=False)
    for r, kind in enumerate(kinds):
        t = tables[kind]
        t = t[t["age_months"].astype(int) <= max_age]
        for c, seg in enumerate(segs):
            ax = axes[r][c]
            _cohort_curves(ax, t, seg)
            ax.yaxis.set_major_formatter(S.pct_formatter())
            ax.set_title(f"{seg}: {KIND_NAMES.get(kind, kind.upper()).lower()}", fontsize=14)
            if c == 0:
                ax.set_ylabel(KIND_NAMES.get(kind, kind.upper()), fontsize=12.5)
            if r == len(kinds) - 1:
                ax.set_xlabel("Months since acquisition", fontsize=12.5)
    cmap = mpl.colormaps["Blues"]
    handles = [
        Line2D([], [], color=cmap(0.4), lw=2),
        Line2D([], [], color=cmap(0.95), lw=2),
        Line2D([], [], color=S.NEUTRAL, lw=1.6, ls="--"),
        Line2D([], [], color=S.MUTED, lw=1.0, ls=":"),
    ]
    fig.legend(
        handles,
        ["older cohorts", "recent cohorts", "customers before the data's first month", "100%"],
        loc="outside lower center",
        ncols=4,
        fontsize=11.5,
    )
    if title:
        fig.suptitle(title, x=0.01, ha="left", fontweight="bold")
    return fig


@styled
def cohort_payback(
    payback: pd.DataFrame,
    currency: str | None = None,
    max_cohorts: int = 18,
    title: str = "Cohort gross profit to date against the cohort's CAC",
    ax: Axes | None = None,
    size: tuple[float, float] = S.FULL,
) -> Axes:
    """Realised payback per acquisition cohort: the cohort's CAC (grey) beside its
    cumulative gross profit to date (green once paid back, amber while not), with the age
    at which it paid back written above.

    Parameters
    ----------
    payback : DataFrame
        The ``cohort_payback`` table: cohort, cohort_cac, payback_age_months (blank = not
        yet paid back), cumulative_gross_profit.
    currency : str, optional
        ISO code of the amounts.
    max_cohorts : int
        The most recent cohorts shown (the opening cohort and cohorts without a CAC are not).
    ax : Axes, optional
        Where to draw; a new figure of ``size`` inches when None.

    Returns
    -------
    Axes
    """
    if payback.empty:
        return empty(ax, "Cohort payback needs financials (CAC and gross margin)", size)
    data = payback.assign(cohort=payback["cohort"].astype(str))
    data = data[~data["cohort"].map(_is_opening) & data["cohort_cac"].notna()]
    data = data.sort_values("cohort").tail(max_cohorts)
    if data.empty:
        return empty(ax, "No cohort has a known CAC yet", size)
    x = np.arange(len(data))
    ax = axes_for(ax, size)
    cac = data["cohort_cac"].astype(float).to_numpy()
    gp = data["cumulative_gross_profit"].astype(float).to_numpy()
    paid = data["payback_age_months"].astype(float).to_numpy()
    ax.bar(x - 0.2, cac, width=0.38, color=S.NEUTRAL, label="Cohort CAC")
    colors = [S.GREEN if not np.isnan(p) else S.AMBER for p in paid]
    ax.bar(x + 0.2, np.nan_to_num(gp), width=0.38, color=colors, label="Cumulative gross profit to date")
    top = np.nanmax(np.concatenate([cac, gp]))
    for i, p in enumerate(paid):
        ax.text(
            x[i],
            max(np.nan_to_num(gp[i]), cac[i]) + top * 0.02,
            f"month {p:.0f}" if not np.isnan(p) else "not yet",
            ha="center",
            va="bottom",
            fontsize=11 if len(x) <= 8 else 9.5,
            color=S.GREEN if not np.isnan(p) else S.AMBER,
            fontweight="bold",
        )
    ax.set_xticks(
        x, data["cohort"].tolist(), rotation=0 if len(x) <= 8 else 45, ha="center" if len(x) <= 8 else "right"
    )
    ax.yaxis.set_major_formatter(S.money_formatter(currency))
    ax.set_ylabel(money_label(currency, "per cohort"))
    ax.set_xlabel("Acquisition cohort")
    ax.set_ylim(0, top * 1.3)
    ax.legend(
        handles=[
            Patch(color=S.NEUTRAL, label="Cohort CAC"),
            Patch(color=S.GREEN, label="Gross profit to date: paid back (at month n)"),
            Patch(color=S.AMBER, label="Gross profit to date: not yet"),
        ],
        loc="upper left",
        ncols=3,
    )
    ax.set_title(title)
    return ax
