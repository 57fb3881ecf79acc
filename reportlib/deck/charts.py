"""Board-deck charts: one matplotlib / seaborn style and one function per chart of the pack.

Every function takes the library's own tables (the DataFrames of ``KpiResult.tables`` or
rows of ``KpiResult.kpis``) and returns a :class:`matplotlib.figure.Figure`. Nothing here
computes a metric: the only arithmetic is what drawing needs (stacking bars, placing
labels, scaling a bar inside its row).

Colours carry meaning and are the same everywhere: green / amber / red are the KPI status
bands (``STATUS_COLORS``), money in is green, money out is red, and the company's main
series is dark blue.
"""

from __future__ import annotations

import contextlib
import math
import textwrap
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Rectangle

from reportlib import format as F
from reportlib import registry as reg
from reportlib.deck import _style as S
from reportlib.deck._style import (  # noqa: F401  (re-exported: the public face of the style)
    AMBER,
    BLANK,
    FULL,
    GREEN,
    HALF,
    RED,
    STATUS_COLORS,
    TALL,
    money_formatter,
    pct_formatter,
    status_color,
)
from reportlib.values import finite, is_blank

__all__ = [
    "STATUS_COLORS",
    "GREEN",
    "AMBER",
    "RED",
    "BLANK",
    "board_style",
    "apply_board_style",
    "money_formatter",
    "pct_formatter",
    "kpi_tiles",
    "sparkline",
    "arr_waterfall",
    "revenue_tiers",
    "revenue_lines",
    "cohort_heatmap",
    "benchmark_bars",
    "kpi_tree",
    "funnel",
    "funnel_cohorts",
    "pacing",
    "quick_ratio_bars",
    "mrr_movements",
    "arpa_drivers",
    "cohort_payback",
    "segment_compare",
    "cohort_compare",
    "usage_nps",
    "breakdown_bars",
    "trend",
    "message_figure",
    "runway",
    "sensitivity_ranges",
    "owner_bars",
]


# ---------------------------------------------------------------------------------------
# style
# ---------------------------------------------------------------------------------------
@contextlib.contextmanager
def board_style() -> Iterator[None]:
    """Context in which matplotlib draws in the board-deck style."""
    with plt.rc_context(S.rc_params()):
        yield


def apply_board_style() -> None:
    """Set the board-deck style for the rest of the session (notebooks call this once)."""
    plt.rcParams.update(S.rc_params())


def _styled(fn):
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with board_style():
            return fn(*args, **kwargs)

    return wrapper


def _new_figure(size=FULL, **kwargs) -> tuple[Figure, Any]:
    fig, ax = plt.subplots(figsize=size, **kwargs)
    return fig, ax


def _close(fig: Figure) -> Figure:
    """Detach from pyplot's state so figures don't pile up; ``plt.show()`` in a notebook
    shows figures still managed by pyplot, so we keep them managed but non-interactive."""
    return fig


# ---------------------------------------------------------------------------------------
# small helpers (drawing only)
# ---------------------------------------------------------------------------------------
def _to_timestamps(values: Iterable[Any]) -> pd.DatetimeIndex:
    out = []
    for v in values:
        if isinstance(v, pd.Period):
            out.append(v.to_timestamp())
        elif isinstance(v, str) and "Q" in v.upper() and len(v) <= 7:
            out.append(pd.Period(v.upper(), freq="Q").to_timestamp())
        else:
            out.append(pd.Timestamp(str(v)) if not isinstance(v, pd.Timestamp) else v)
    return pd.DatetimeIndex(out)


def _period_labels(values: Iterable[Any], freq: str = "M", as_of: Any = None) -> list[str]:
    """'Q3 26' / 'Sep 26' per period; with ``as_of`` (the report's month) a period that
    ends after it is still running and is labelled '(to date)' on a second line."""
    labels = []
    cutoff = None
    if as_of is not None and str(as_of).strip():
        try:
            cutoff = pd.Period(str(as_of)[:7], freq="M")
        except Exception:  # noqa: BLE001
            cutoff = None
    for v in values:
        try:
            p = v if isinstance(v, pd.Period) else pd.Period(str(v), freq=freq)
        except Exception:  # noqa: BLE001
            labels.append(str(v))
            continue
        if p.freqstr.startswith("Q"):
            text = f"Q{p.quarter} {p.year % 100:02d}"
        else:
            text = p.strftime("%b %y")
        if cutoff is not None and p.asfreq("M", how="end") > cutoff:
            text += "\n(to date)"
        labels.append(text)
    return labels


def _legend_below(
    ax, handles: Sequence[Any] | None = None, labels: Sequence[str] | None = None, ncols: int | None = None, **kwargs
) -> Any:
    """The legend under the plot area (below the tick labels and the x-axis label), left
    aligned with the axes, so that it never covers data; constrained layout makes room."""
    from matplotlib.transforms import offset_copy

    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return None
    fs = kwargs.pop("fontsize", plt.rcParams["legend.fontsize"])
    tick_fs = plt.rcParams["xtick.labelsize"]
    tick_fs = tick_fs if isinstance(tick_fs, (int, float)) else 12.5
    lines = max((str(t.get_text()).count("\n") + 1 for t in ax.get_xticklabels()), default=1)
    drop = 8 + tick_fs * 1.25 * lines + (plt.rcParams["axes.labelsize"] * 1.4 if ax.get_xlabel() else 0)
    root = ax.get_figure(root=True)  # (a subfigure's axes: its figure is the subfigure)
    trans = offset_copy(ax.transAxes, fig=root, x=0, y=-drop, units="points")
    # no wider than the axes (a wider legend would make the layout shrink the plot)
    fs_pt = fs if isinstance(fs, (int, float)) else 12.5
    avail_in = root.get_figwidth() * ax.get_position().width
    texts = [str(t) for t in labels]

    def width_in(c: int) -> float:  # matplotlib fills a legend column by column
        rows = math.ceil(len(texts) / c)
        cols = [texts[j * rows : (j + 1) * rows] for j in range(c)]
        return sum(max(len(t) for t in col) * fs_pt * 0.48 / 72 + 0.7 for col in cols if col)

    ncols = min(ncols or 6, len(handles))
    while ncols > 1 and width_in(ncols) > avail_in:
        ncols -= 1
    return ax.legend(
        handles,
        labels,
        loc="upper left",
        bbox_to_anchor=(0, 0),
        bbox_transform=trans,
        ncols=ncols,
        fontsize=fs,
        borderaxespad=0,
        **kwargs,
    )


def _month_col(df: pd.DataFrame) -> str:
    for c in ("month", "period", "quarter", "date", "cohort"):
        if c in df.columns:
            return c
    return df.columns[0]


def _format_time_axis(ax, dates: pd.DatetimeIndex, narrow: bool = False) -> None:
    span = len(dates)
    if span > (14 if narrow else 30):
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 7) if span <= 48 else (1,)))
    elif span > 18:
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 4, 7, 10)))
    elif span > 8:
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 3, 5, 7, 9, 11)))
    else:
        ax.xaxis.set_major_locator(mdates.MonthLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %y"))
    ax.margins(x=0.01)


def _value_axis(ax, unit: str, currency: str | None, axis: str = "y") -> None:
    fmt = S.value_formatter(unit, currency)
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def _money_label(currency: str | None, what: str) -> str:
    return f"{what} ({currency})" if currency else what


def _note(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=15, color=S.MUTED, wrap=True)
    ax.set_axis_off()


def message_figure(text: str, size=(12.6, 1.2)) -> Figure:
    """A figure holding one line of text (used when a chart has nothing to draw)."""
    with board_style():
        fig, ax = plt.subplots(figsize=size)
        _note(ax, text)
        return fig


def _empty(text: str, size=FULL) -> Figure:
    fig, ax = plt.subplots(figsize=(size[0], 1.2))
    _note(ax, text)
    return fig


def _is_empty(df: Any) -> bool:
    return (
        df is None
        or (isinstance(df, pd.DataFrame) and df.empty)
        or (isinstance(df, (Mapping, Sequence)) and len(df) == 0)
    )


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(str(text), width)) if text else ""


def _rows(rows: Any) -> list[dict[str, Any]]:
    if rows is None:
        return []
    if isinstance(rows, pd.DataFrame):
        return rows.to_dict("records")
    if isinstance(rows, pd.Series):
        return [rows.to_dict()]
    if isinstance(rows, Mapping):
        return [dict(rows)]
    return [dict(r) if not isinstance(r, pd.Series) else r.to_dict() for r in rows]


# ---------------------------------------------------------------------------------------
# sparklines and KPI tiles
# ---------------------------------------------------------------------------------------
def _draw_sparkline(ax, series: Any, color: str) -> None:
    s = _as_series(series)
    ax.set_axis_off()
    if s is None or s.dropna().empty:
        return
    y = s.astype(float).to_numpy()
    x = np.arange(len(y))
    ax.plot(x, y, color=color, lw=2.2)
    ax.fill_between(x, y, np.nanmin(y), color=color, alpha=0.10, lw=0)
    last = len(y) - 1 - np.argmax(~np.isnan(y[::-1]))
    ax.plot([x[last]], [y[last]], "o", color=color, ms=5)
    ax.margins(x=0.02, y=0.15)


def _as_series(series: Any) -> pd.Series | None:
    if series is None:
        return None
    if isinstance(series, pd.Series):
        return series
    if isinstance(series, pd.DataFrame):
        if "value" in series.columns:
            idx = series[_month_col(series)] if _month_col(series) != "value" else None
            return pd.Series(series["value"].to_numpy(), index=idx)
        return series.iloc[:, -1]
    return pd.Series(list(series), dtype="float64")


@_styled
def sparkline(series: Any, status: str = "", size=(3.0, 0.8)) -> Figure:
    """A small trend line with its last point marked, coloured by status."""
    fig, ax = plt.subplots(figsize=size)
    _draw_sparkline(ax, series, S.status_color(status) if status else S.PRIMARY)
    return fig


def _spark_for(kpi: str, sparklines: Any) -> Any:
    if sparklines is None:
        return None
    if isinstance(sparklines, Mapping):
        return sparklines.get(kpi)
    if isinstance(sparklines, pd.DataFrame):
        if "kpi" in sparklines.columns:
            sub = sparklines[sparklines["kpi"] == kpi]
            return sub if not sub.empty else None
        if kpi in sparklines.columns:
            return sparklines[kpi]
    return None


@_styled
def kpi_tiles(
    rows: Any,
    currency: str | None = None,
    sparklines: Any = None,
    year_ago: Mapping[str, Any] | None = None,
    period_label: str = "prior period",
    ncols: int | None = None,
) -> Figure:
    """North-star tiles: label, value, change vs the prior period and vs a year ago,
    benchmark status (coloured band and words) and a sparkline.

    ``rows``: rows of ``kpis`` (kpi, label, value, unit, prior_value, change, benchmark,
    status, note; optional ``change_yoy`` / ``year_ago`` columns). ``sparklines``: mapping
    kpi -> series, or a long table (kpi, month, value). ``year_ago``: kpi -> value a year
    earlier (``KpiResult.year_ago``), shown when the rows carry no ``change_yoy``.
    """
    items = _rows(rows)
    if not items:
        return _empty("No north-star KPIs configured")
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
        _pack_parts(str(r.get("benchmark")), text_w, renderer, fontsize=10) if not is_blank(r.get("benchmark")) else []
        for r in items
    ]
    bench_rows = max((len(b) for b in benches), default=0)
    for i, r in enumerate(items):
        col, row = i % ncols, i // ncols
        x0 = col * (w + gap)
        y0 = 1 - (row + 1) * h - row * 0.04
        status = S.status_key(r.get("status"))
        color = S.STATUS_COLORS[status]
        unit = r.get("unit")
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
        label = str(r.get("label") or r.get("kpi", ""))
        t = ax.text(0.06, 0.86, label, fontsize=13.5, color=S.MUTED, va="top", fontweight="bold")
        _fit_text(t, text_w, renderer, min_size=10.5)
        value_text = F.value(r.get("value"), unit, currency)
        spark = _spark_for(r.get("kpi"), sparklines)
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
        _fit_text(t, text_w * (0.62 if spark is not None else 1.0), renderer, min_size=16)
        lines = []
        if not is_blank(r.get("change")):
            lines.append(f"{F.change(r.get('change'), unit, currency)} vs {period_label}")
        elif not is_blank(r.get("prior_value")):
            lines.append(f"{F.value(r.get('prior_value'), unit, currency)} {period_label}")
        yoy = r.get("change_yoy")
        if not is_blank(yoy):
            lines.append(f"{F.change(yoy, unit, currency)} vs a year ago")
        else:
            ya = r.get("year_ago")
            if is_blank(ya) and year_ago is not None:
                ya = year_ago.get(r.get("kpi"))
            if not is_blank(ya):
                lines.append(f"{F.value(ya, unit, currency)} a year ago")
        if is_blank(r.get("value")) and not is_blank(r.get("note")):
            # at most three lines: a longer note would run into the status words below it
            lines = textwrap.wrap(str(r.get("note")), 34, max_lines=3, placeholder=" …")
        t = ax.text(0.06, 0.53, "\n".join(lines), fontsize=12, color=S.INK, va="top", linespacing=1.4)
        _fit_text(t, text_w, renderer, min_size=9.5)
        # benchmark band at the bottom, wrapped at its " · " parts to the tile's width, and
        # the status words just above it
        bench_lines = benches[i]
        if bench_lines:
            ax.text(0.06, 0.04, "\n".join(bench_lines), fontsize=10, color=S.MUTED, va="bottom", linespacing=1.25)
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


def _text_width(text: Any, renderer: Any) -> float:
    return text.get_window_extent(renderer=renderer).width


def _fit_text(text: Any, max_px: float, renderer: Any, min_size: float = 9.0) -> None:
    """Shrink a text's font until it is at most ``max_px`` wide (down to ``min_size``; a
    label still too wide is then wrapped onto two lines)."""
    size = text.get_fontsize()
    while _text_width(text, renderer) > max_px and size > min_size:
        size = max(min_size, size - 1)
        text.set_fontsize(size)
    if _text_width(text, renderer) > max_px and "\n" not in text.get_text():
        words = text.get_text().split()
        for k in range(len(words) - 1, 0, -1):
            text.set_text(" ".join(words[:k]) + "\n" + " ".join(words[k:]))
            if _text_width(text, renderer) <= max_px:
                return


def _pack_parts(text: str, max_px: float, renderer: Any, fontsize: float = 10, sep: str = " · ") -> list[str]:
    """``text`` split at ``sep`` (else at spaces) into lines no wider than ``max_px``."""
    from matplotlib.font_manager import FontProperties

    prop = FontProperties(size=fontsize)

    def width(s: str) -> float:
        return renderer.get_text_width_height_descent(s, prop, ismath=False)[0]

    parts = text.split(sep) if sep in text else text.split(" ")
    joiner = sep if sep in text else " "
    lines: list[str] = []
    for part in parts:
        if lines and width(lines[-1] + joiner + part) <= max_px:
            lines[-1] = lines[-1] + joiner + part
        else:
            lines.append(part)
    return lines[:3]


# ---------------------------------------------------------------------------------------
# revenue quality
# ---------------------------------------------------------------------------------------
_BRIDGE_STEPS = ["new", "reactivation", "expansion", "contraction", "churn"]
_BRIDGE_LABELS = {
    "opening": "Opening",
    "new": "New",
    "reactivation": "Reactivation",
    "expansion": "Expansion",
    "contraction": "Contraction",
    "churn": "Churn",
    "closing": "Closing",
}


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


def _bridge_steps(bridge: Any) -> tuple[list[str], list[float]]:
    """Normalise a bridge to (step names, amounts): opening, movements (contraction and
    churn as positive amounts that are drawn downward), closing."""
    if isinstance(bridge, pd.DataFrame) and {"step", "value"} <= set(bridge.columns):
        d = dict(zip(bridge["step"].astype(str), bridge["value"].astype(float), strict=False))
    elif isinstance(bridge, pd.DataFrame) and "opening_mrr" in bridge.columns:
        b = bridge.sort_values(_month_col(bridge))
        d = {"opening": float(b["opening_mrr"].iloc[0]), "closing": float(b["closing_mrr"].iloc[-1])}
        for s in _BRIDGE_STEPS:
            d[s] = float(b[s].sum())
    elif isinstance(bridge, (Mapping, pd.Series)):
        d = {str(k): float(v) for k, v in dict(bridge).items() if not is_blank(v)}
    else:
        raise TypeError("arr_waterfall takes a mapping of steps, a (step, value) table or an mrr_bridge table")
    alias = {
        "opening_arr": "opening",
        "closing_arr": "closing",
        "opening_mrr": "opening",
        "closing_mrr": "closing",
        "new_arr": "new",
        "reactivation_arr": "reactivation",
        "expansion_arr": "expansion",
        "contraction_arr": "contraction",
        "churned_arr": "churn",
        "churned": "churn",
    }
    d = {alias.get(k, k): v for k, v in d.items()}
    steps = ["opening"] + [s for s in _BRIDGE_STEPS if s in d and d[s] != 0] + ["closing"]
    return steps, [abs(d.get(s, 0.0)) if s in ("contraction", "churn") else d.get(s, 0.0) for s in steps]


@_styled
def arr_waterfall(
    bridge: Any, currency: str | None = None, title: str = "ARR bridge", measure: str = "ARR", size=FULL
) -> Figure:
    """Waterfall: opening -> new, reactivation, expansion, contraction, churn -> closing.

    ``bridge``: a mapping / Series of step -> amount (keys opening, new, reactivation,
    expansion, contraction, churn, closing, or the kpi ids new_arr ... churned_arr), a
    (step, value) table, or an ``mrr_bridge`` table (opening of its first row, closing of
    its last, movements summed over its rows).
    """
    steps, amounts = _bridge_steps(bridge)
    fig, ax = _new_figure(size)
    running = amounts[0]
    bottoms, heights, colors = [], [], []
    for s, a in zip(steps, amounts, strict=False):
        if s == "opening":
            bottoms.append(0.0)
            heights.append(a)
            colors.append(S.PRIMARY)
        elif s == "closing":
            bottoms.append(0.0)
            heights.append(a)
            colors.append(S.PRIMARY)
        elif s in ("contraction", "churn"):
            running -= a
            bottoms.append(running)
            heights.append(a)
            colors.append(S.MOVEMENT_COLORS[s])
        else:
            bottoms.append(running)
            heights.append(a)
            running += a
            colors.append(S.MOVEMENT_COLORS.get(s, S.POSITIVE))
    x = np.arange(len(steps))
    ax.bar(x, heights, bottom=bottoms, color=colors, width=0.62)
    top = max(b + h for b, h in zip(bottoms, heights, strict=False)) or 1.0
    # a bridge is about the movements: when opening and closing dwarf them, the axis starts
    # near the smaller of the two (85% of it, down to a round tick) so that they read
    levels = [amounts[0], amounts[-1]] + [
        b for s, b in zip(steps, bottoms, strict=False) if s not in ("opening", "closing")
    ]
    base = _nice_floor(min(amounts[0], amounts[-1]) * 0.85)
    smaller = min(amounts[0], amounts[-1])
    cut = (
        smaller > 0 and base > 0 and min(levels) > base and top - min(levels) < 0.5 * smaller
    )  # the movements are small against the levels
    lo = base if cut else min(0.0, min(bottoms))
    span = top - lo
    for i, (s, a, b, h) in enumerate(zip(steps, amounts, bottoms, heights, strict=False)):
        sign = s not in ("opening", "closing")
        neg = s in ("contraction", "churn")
        text = F.money(-a if neg else a, currency, sign=sign, sig=3)
        ax.text(i, b + h + span * 0.015, text, ha="center", va="bottom", fontsize=13, fontweight="bold", color=S.INK)
        if i < len(steps) - 1:
            level = b + h if not neg else b
            if s == "closing":
                continue
            ax.plot([i + 0.31, i + 0.69], [level, level], color=S.MUTED, lw=0.8, ls=":")
    ax.set_xticks(x, [_BRIDGE_LABELS.get(s, s.title()) for s in steps])
    ax.yaxis.set_major_formatter(money_formatter(currency))
    ax.set_ylabel(_money_label(currency, measure))
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
    return fig


def _tier_frame(df: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    """Wide tier frame indexed by month with tier columns, plus the recurring-share column."""
    mcol = _month_col(df)
    if {"tier", "revenue"} <= set(df.columns):
        wide = df.pivot_table(index=mcol, columns="tier", values="revenue", aggfunc="first", sort=False)
    else:
        wide = df.set_index(mcol)
    share_col = next((c for c in wide.columns if "share" in str(c)), None)
    return wide, share_col


@_styled
def revenue_tiers(
    df: pd.DataFrame, currency: str | None = None, size=FULL, title: str = "Revenue by quality tier"
) -> Figure:
    """Stacked monthly revenue by tier (contracted recurring, uncontracted recurring,
    one-off) with the recurring share on a second axis when the table carries it."""
    if _is_empty(df):
        return _empty("No revenue-tier data")
    wide, share_col = _tier_frame(df)
    tiers = [t for t in S.TIER_COLORS if t in wide.columns]
    if not tiers:
        tiers = [
            c
            for c in wide.columns
            if c != share_col
            and pd.api.types.is_numeric_dtype(wide[c])
            and "total" not in str(c)
            and "share" not in str(c)
        ]
    if not tiers or wide[tiers].isna().all().all():
        return _empty("Revenue is not split by tier in the inputs")
    dates = _to_timestamps(wide.index)
    fig, ax = _new_figure(size)
    bottom = np.zeros(len(wide))
    for t in tiers:
        vals = wide[t].fillna(0).astype(float).to_numpy()
        ax.bar(
            dates,
            vals,
            bottom=bottom,
            width=24,
            color=S.TIER_COLORS.get(t, S.NEUTRAL),
            label=S.TIER_LABELS.get(t, str(t).replace("_", " ").capitalize()),
        )
        bottom = bottom + vals
    ax.yaxis.set_major_formatter(money_formatter(currency))
    ax.set_ylabel(_money_label(currency, "Revenue per month"))
    _format_time_axis(ax, dates)
    handles, labels = ax.get_legend_handles_labels()
    if share_col is not None:
        ax2 = ax.twinx()
        ax2.plot(
            dates,
            wide[share_col].astype(float),
            color=S.INK,
            lw=2.2,
            marker="o",
            ms=3.5,
            label="Recurring share (right)",
        )
        ax2.set_ylim(0, 1.05)
        ax2.yaxis.set_major_formatter(pct_formatter())
        ax2.set_ylabel("Recurring share of revenue")
        ax2.grid(False)
        ax2.spines["right"].set_visible(True)
        h2, l2 = ax2.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    ax.set_ylim(0, (bottom.max() or 1) * 1.08)
    _legend_below(ax, handles, labels, ncols=4)
    ax.set_title(title)
    return fig


_LINE_LABELS = {
    "bookings": "Bookings",
    "billings": "Billings",
    "revenue": "Recognized revenue",
    "deferred_revenue": "Deferred revenue",
    "arr": "ARR",
    "carr": "CARR",
}


def _after_opening(bridge: pd.DataFrame) -> pd.DataFrame:
    """The months of a revenue bridge after its first month of data. The first month with
    ARR is the opening balance: its bookings and billings are the whole book signed before
    the data begins, not that month's sales; months before it (ARR 0) precede the data."""
    arr = bridge["arr"].astype(float) if "arr" in bridge.columns else pd.Series(1.0, index=bridge.index)
    live = np.flatnonzero(arr.fillna(0).to_numpy() > 0)
    if not live.size:
        return bridge.iloc[0:0]
    return bridge.iloc[live[0] + 1 :].reset_index(drop=True)


@_styled
def revenue_lines(
    revenue_bridge: pd.DataFrame, currency: str | None = None, size=FULL, title: str | None = None
) -> Figure:
    """Bookings, billings and recognized revenue per month (left) beside ARR and CARR
    (right), from the ``revenue_bridge`` table, from the month after the opening book
    (:func:`_after_opening`)."""
    if _is_empty(revenue_bridge):
        return _empty("No contract data: revenue_bridge is empty")
    df = _after_opening(revenue_bridge)
    if df.empty:
        return _empty("Too little contract history: one month is the opening book")
    mcol = _month_col(df)
    dates = _to_timestamps(df[mcol])
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=size, gridspec_kw={"width_ratios": [1.15, 1]})
    flows = [c for c in ("bookings", "billings", "revenue") if c in df.columns]
    colors = {
        "bookings": S.SERIES[1],
        "billings": S.SERIES[2],
        "revenue": S.PRIMARY,
        "arr": S.PRIMARY,
        "carr": S.SERIES[3],
        "deferred_revenue": S.NEUTRAL,
    }
    for c in flows:
        ax1.plot(
            dates,
            df[c].astype(float),
            label=_LINE_LABELS[c],
            color=colors[c],
            lw=2.8 if c == "revenue" else 2.0,
            ls="-" if c == "revenue" else "-",
        )
    ax1.yaxis.set_major_formatter(money_formatter(currency))
    ax1.set_ylabel(_money_label(currency, "per month"))
    ax1.set_title("Bookings, billings, revenue")
    _format_time_axis(ax1, dates, narrow=True)
    _legend_below(ax1, ncols=3)
    ax1.set_ylim(bottom=0)
    for c in ("arr", "carr"):
        if c in df.columns:
            ax2.plot(
                dates,
                df[c].astype(float),
                label=_LINE_LABELS[c],
                color=colors[c],
                lw=2.8,
                ls="-" if c == "arr" else "--",
            )
    if "arr" in df.columns:
        ax2.text(
            dates[-1],
            float(df["arr"].iloc[-1]),
            " " + F.money(df["arr"].iloc[-1], currency),
            va="center",
            ha="left",
            fontsize=12,
            color=colors["arr"],
            fontweight="bold",
        )
    if "carr" in df.columns:
        ax2.text(
            dates[-1],
            float(df["carr"].iloc[-1]),
            " " + F.money(df["carr"].iloc[-1], currency),
            va="bottom",
            ha="left",
            fontsize=12,
            color=colors["carr"],
            fontweight="bold",
        )
    ax2.yaxis.set_major_formatter(money_formatter(currency))
    ax2.set_ylabel(_money_label(currency, "annualised"))
    ax2.set_title("ARR and contracted ARR (CARR)")
    _format_time_axis(ax2, dates, narrow=True)
    ax2.margins(x=0.12)
    _legend_below(ax2, ncols=2)
    ax2.set_ylim(bottom=0)
    if title:
        fig.suptitle(title, x=0.01, ha="left", fontweight="bold")
    for ax in (ax1, ax2):
        ax.tick_params(axis="x", labelrotation=0)
    return fig


# ---------------------------------------------------------------------------------------
# movements and quick ratio
# ---------------------------------------------------------------------------------------
def _registry_bands(kpi: str, stage: str | None = None, gtm: str | None = None):
    """The KPI's benchmark bands from the registry (``None`` when it has none or it is not
    judged for this company)."""
    rule = reg.BANDS.get(kpi)
    if rule is None:
        return None
    bands = rule.for_company(stage, gtm)
    return None if isinstance(bands, str) else bands


def _band_list(
    kpi: str, stage: str | None = None, gtm: str | None = None
) -> list[tuple[float | None, float | None, str]]:
    """(low, high, status) segments of a KPI's bands, for drawing behind its bar."""
    b = _registry_bands(kpi, stage, gtm)
    if b is None:
        return []
    if b.direction == "higher":
        segs = [(b.green, None, "green")]
        if b.amber is not None:
            segs += [(b.amber, b.green, "amber"), (None, b.amber, "red")]
        else:
            segs += [(None, b.green, "red")]
    else:
        segs = [(None, b.green, "green")]
        if b.amber is not None:
            segs += [(b.green, b.amber, "amber"), (b.amber, None, "red")]
        else:
            segs += [(b.green, None, "red")]
    return segs


def _quick_ratio_bands() -> list[tuple[float, str]]:
    """Thresholds of the quick-ratio band (registry), highest first."""
    b = _registry_bands("quick_ratio")
    return [(b.green, "green")] + ([(b.amber, "amber")] if b.amber is not None else [])


@_styled
def mrr_movements(
    bridge: pd.DataFrame,
    currency: str | None = None,
    size=FULL,
    title: str = "MRR movements per month",
    as_of: Any = None,
) -> Figure:
    """Diverging bars per month: new, reactivation, expansion up; contraction, churn down;
    net new as a line."""
    if _is_empty(bridge):
        return _empty("No MRR movements")
    mcol = _month_col(bridge)
    df = bridge.sort_values(mcol)
    freq = "Q" if mcol == "quarter" else "M"
    labels = _period_labels(df[mcol], freq, as_of)
    x = np.arange(len(df))
    fig, ax = _new_figure(size)
    pos, neg = _stacked_movements(ax, df, x, width=0.72)
    if "net_new" in df.columns:
        ax.plot(x, df["net_new"].astype(float), color=S.INK, marker="o", ms=4, lw=2, label="Net new")
    ax.axhline(0, color=S.INK, lw=0.8)
    ax.yaxis.set_major_formatter(money_formatter(currency))
    ax.set_ylabel(_money_label(currency, "MRR movement"))
    step = max(1, math.ceil(len(x) / 14))
    ax.set_xticks(x[::step], labels[::step])
    ax.set_ylim(-(neg.max() or 1) * 1.2, (pos.max() or 1) * 1.15)
    _legend_below(ax, ncols=6)
    ax.set_title(title)
    return fig


def _stacked_movements(ax, data: pd.DataFrame, x: np.ndarray, width: float) -> tuple[np.ndarray, np.ndarray]:
    """MRR gained stacked above zero and MRR lost below it; returns both stack heights."""
    pos, neg = np.zeros(len(data)), np.zeros(len(data))
    for s in ("new", "reactivation", "expansion", "contraction", "churn"):
        if s not in data.columns:
            continue
        v = data[s].fillna(0).abs().astype(float).to_numpy()
        gained = s in ("new", "reactivation", "expansion")
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


#: The quick-ratio axis ends at this multiple of its top benchmark band.
QR_AXIS_CAP = 2.5


@_styled
def quick_ratio_bars(
    df: pd.DataFrame,
    currency: str | None = None,
    size=FULL,
    title: str = "MRR drivers and quick ratio by quarter",
    as_of: Any = None,
) -> Figure:
    """MRR gained (new, reactivation, expansion) and lost (contraction, churn) per period,
    with the quick ratio of each period coloured by its benchmark band.

    ``df``: one row per period (quarter or month) with the movement columns,
    ``quick_ratio`` and its ``status`` (the ``mrr_drivers`` table)."""
    if _is_empty(df):
        return _empty("No MRR movements")
    pcol = _month_col(df)
    data = df.sort_values(pcol)
    freq = "Q" if ("quarter" in pcol or str(data[pcol].iloc[0]).upper().find("Q") > 0) else "M"
    labels = _period_labels(data[pcol], freq, as_of)
    x = np.arange(len(data))
    fig, (ax, axq) = plt.subplots(2, 1, figsize=size, sharex=True, gridspec_kw={"height_ratios": [1.6, 1]})
    pos, neg = _stacked_movements(ax, data, x, width=0.66)
    ax.axhline(0, color=S.INK, lw=0.8)
    ax.yaxis.set_major_formatter(money_formatter(currency))
    ax.set_ylabel(_money_label(currency, "MRR moved"))
    ax.legend(loc="upper left", ncols=5, fontsize=11.5)
    ax.set_ylim(-(neg.max() or 1) * 1.15, (pos.max() or 1) * 1.45)
    qr_col = "quick_ratio" if "quick_ratio" in data.columns else None
    if qr_col:
        bands = _quick_ratio_bands()
        qr = data[qr_col].astype(float).to_numpy()
        cols = [S.status_color(s) for s in data["status"]]
        # the axis stops at QR_AXIS_CAP x the top band: one quarter of 20x would otherwise
        # flatten every other bar; a capped bar is hatched and keeps its true value as a label
        cap = QR_AXIS_CAP * max(t for t, _ in bands)
        shown = np.where(np.isnan(qr), 0, np.minimum(qr, cap))
        bars = axq.bar(x, shown, color=cols, width=0.66)
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
                1.0,
                t,
                f" {t:g}",
                transform=axq.get_yaxis_transform(),
                va="center",
                fontsize=10.5,
                color=S.status_color(b),
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
    else:
        axq.set_axis_off()
    step = max(1, math.ceil(len(x) / 14))
    axq.set_xticks(x[::step], labels[::step])
    ax.set_title(title)
    return fig


@_styled
def arpa_drivers(
    df: pd.DataFrame,
    currency: str | None = None,
    size=FULL,
    title: str = "ARPA drivers: who pays how much (monthly)",
    as_of: Any = None,
) -> Figure:
    """ASP of new customers against the ARPA of churned, expanded and contracted customers
    and the overall ARPA, per period (the ARPA drivers table)."""
    if _is_empty(df):
        return _empty("No ARPA driver data")
    pcol = _month_col(df)
    data = df.sort_values(pcol)
    freq = "Q" if "quarter" in pcol else "M"
    labels = _period_labels(data[pcol], freq, as_of)
    x = np.arange(len(data))
    names = {
        "asp": "ASP (new customers)",
        "arpa": "ARPA (all customers)",
        "arpa_churned": "Churned customers",
        "arpa_expanded": "Expanded customers",
        "arpa_contracted": "Contracted customers",
    }
    colors = {
        "asp": S.POSITIVE,
        "arpa": S.PRIMARY,
        "arpa_churned": S.NEGATIVE,
        "arpa_expanded": "#8FCBA8",
        "arpa_contracted": "#E38B7F",
    }
    fig, ax = _new_figure(size)
    cols = [c for c in data.columns if c != pcol and pd.api.types.is_numeric_dtype(data[c])]
    for c in cols:
        ax.plot(
            x,
            data[c].astype(float),
            label=names.get(c, c.replace("_", " ")),
            color=colors.get(c),
            lw=3 if c == "arpa" else 2,
            marker="o",
            ms=4,
        )
    ax.yaxis.set_major_formatter(money_formatter(currency))
    ax.set_ylabel(_money_label(currency, "MRR per customer"))
    step = max(1, math.ceil(len(x) / 14))
    ax.set_xticks(x[::step], labels[::step])
    ax.set_ylim(bottom=0)
    _legend_below(ax, ncols=5)
    ax.set_title(title)
    return fig


# ---------------------------------------------------------------------------------------
# cohorts
# ---------------------------------------------------------------------------------------
_COHORT_TITLES = {
    "logo": "Logo retention: share of each cohort's customers still active",
    "nrr": "Net revenue retention: cohort MRR against its first month",
    "grr": "Gross revenue retention: cohort MRR kept, expansion excluded",
    "revenue": "Revenue retention by cohort",
}


def _cohort_sort_key(label: str) -> tuple[int, str]:
    s = str(label)
    return (0, s) if s.startswith("<=") else (1, s)


def _cohort_grid(table: pd.DataFrame, max_cohorts: int = 16, max_age: int = 24) -> pd.DataFrame:
    """Wide cohort x age grid of a long (cohort, age_months, value) table: the opening
    cohort first, then the ``max_cohorts`` most recent, ages up to ``max_age`` that some
    shown cohort has reached."""
    t = table.copy()
    t["cohort"] = t["cohort"].astype(str)
    grid = t.pivot_table(index="cohort", columns="age_months", values="value", aggfunc="first")
    order = sorted(grid.index, key=_cohort_sort_key)
    opening = [c for c in order if c.startswith("<=")]
    rest = [c for c in order if not c.startswith("<=")]
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


def _draw_heatmap(
    ax,
    grid: pd.DataFrame,
    kind: str,
    fontsize: float | None = None,
    annotate: bool = True,
    scale: tuple[float, float, str] | None = None,
):
    """The cohort grid as an image with one % label per cell (white on dark cells, ink on
    light ones) and white gaps between cells; returns the image (for a colour bar)."""
    import matplotlib as mpl

    vals = grid.to_numpy(dtype=float)
    nrows, ncols = vals.shape
    vmin, vmax, cmap_name = scale or _heat_scale(vals, kind)
    cmap = mpl.colormaps[cmap_name].with_extremes(bad=S.PAPER)
    norm = mpl.colors.Normalize(vmin=vmin, vmax=vmax)
    im = ax.imshow(np.ma.masked_invalid(vals), cmap=cmap, norm=norm, aspect="auto", interpolation="nearest")
    ax.hlines(np.arange(nrows + 1) - 0.5, -0.5, ncols - 0.5, color=S.PAPER, lw=0.8)
    ax.vlines(np.arange(ncols + 1) - 0.5, -0.5, nrows - 0.5, color=S.PAPER, lw=0.8)
    ages = list(grid.columns)
    step = 1 if ncols <= 13 else 3
    if annotate:
        # a wide grid is labelled at the ticked ages (every 3rd month) and at each cohort's
        # latest month; the colour carries the cells between. Fewer, larger numbers read
        # better than a wall of small ones (and draw much faster).
        fs = fontsize or (11 if ncols <= 13 else 10)
        if nrows > 20:
            fs = min(fs, 8.5)
        rgba = cmap(norm(np.nan_to_num(vals, nan=vmax)))
        lum = 0.2126 * rgba[..., 0] + 0.7152 * rgba[..., 1] + 0.0722 * rgba[..., 2]
        ticked = {j for j, a in enumerate(ages) if int(a) % step == 0}
        for i in range(nrows):
            known = np.flatnonzero(~np.isnan(vals[i]))
            last = known[-1] if known.size else -1
            for j in known:
                if j not in ticked and j != last:
                    continue
                v = vals[i, j]
                t = ax.text(
                    j,
                    i,
                    f"{v * 100:.0f}",
                    ha="center",
                    va="center",
                    fontsize=fs,
                    color="white" if lum[i, j] < 0.55 else S.INK,
                )
                t.set_in_layout(False)  # inside the axes: nothing for the layout to measure
    ax.set_xlim(-0.5, ncols - 0.5)
    ax.set_ylim(nrows - 0.5, -0.5)
    ax.grid(False)
    for side in ("left", "bottom", "top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="both", length=0)
    ticks = [i for i, a in enumerate(ages) if int(a) % step == 0]
    ax.set_xticks(ticks, [str(ages[i]) for i in ticks])
    ax.set_yticks(np.arange(nrows), list(grid.index), fontsize=11)
    return im


@_styled
def cohort_heatmap(
    table: pd.DataFrame,
    kind: str = "logo",
    max_cohorts: int = 16,
    max_age: int = 24,
    size=TALL,
    title: str | None = None,
) -> Figure:
    """Cohort triangle: rows are cohorts (the opening cohort labelled ``<=YYYY-MM`` first),
    columns the age in months, cells the retention as a percentage.

    ``table``: long (cohort, age_months, value) as in ``cohorts_logo.csv``; ``kind`` one of
    logo, nrr, grr. The opening cohort and the ``max_cohorts`` most recent cohorts are
    shown, ages up to ``max_age``. The colour scale follows the values (see
    :func:`_heat_scale`); cells beyond it take its end colour and keep their label."""
    if _is_empty(table):
        return _empty("No cohort data")
    grid = _cohort_grid(table, max_cohorts, max_age)
    kind = kind.lower()
    fig, ax = _new_figure(size)
    vmin, vmax, cmap_name = _heat_scale(grid.to_numpy(dtype=float), kind)
    im = _draw_heatmap(ax, grid, kind, scale=(vmin, vmax, cmap_name))
    ax.set_xlabel("Months since acquisition")
    ax.set_ylabel("Acquisition cohort")
    vals = grid.to_numpy(dtype=float)
    below = bool(np.nanmin(vals) < vmin) if np.isfinite(vals).any() else False
    above = bool(np.nanmax(vals) > vmax) if np.isfinite(vals).any() else False
    extend = "both" if below and above else "min" if below else "max" if above else "neither"
    from matplotlib.ticker import MultipleLocator

    cbar = fig.colorbar(
        im,
        ax=ax,
        format=pct_formatter(),
        shrink=0.8,
        pad=0.01,
        extend=extend,
        ticks=MultipleLocator(0.05 if vmax - vmin <= 0.41 else 0.1),
    )
    cbar.ax.tick_params(labelsize=11, length=0)
    cbar.outline.set_visible(False)
    cbar.set_label("cell values in %", fontsize=11)
    ax.set_title(title or _COHORT_TITLES.get(kind, f"{kind.upper()} by cohort"))
    return fig


_COMPARE_KINDS = {"nrr": "Net revenue retention", "logo": "Logo retention", "grr": "Gross revenue retention"}


@_styled
def cohort_compare(
    tables: Mapping[str, pd.DataFrame], segments: Sequence[str], size=TALL, max_age: int = 24, title: str | None = None
) -> Figure:
    """Two segments' cohort retention side by side: one row per kind (``tables``: kind ->
    long table with cohort, age_months, value, segment, e.g. ``{"nrr": compare_cohorts_nrr,
    "logo": compare_cohorts_logo}``), one column per segment, each panel every
    acquisition cohort's curve over its months since acquisition (darker = more recent
    cohort; the opening cohort dashed grey), rows sharing their y axis so that the two
    segments read against each other."""
    import matplotlib as mpl

    kinds = [k for k, t in tables.items() if not _is_empty(t)]
    if not kinds or len(segments) < 2:
        return _empty("No cohorts to compare")
    segs = [str(x) for x in segments[:2]]
    fig, axes = plt.subplots(len(kinds), 2, figsize=size, sharey="row", sharex=True, squeeze=False)
    cmap = mpl.colormaps["Blues"]
    for r, kind in enumerate(kinds):
        t = tables[kind]
        t = t[t["age_months"].astype(int) <= max_age]
        for c, seg in enumerate(segs):
            ax = axes[r][c]
            sub = t[t["segment"].astype(str) == seg] if "segment" in t.columns else t.iloc[0:0]
            cohorts = sorted(sub["cohort"].astype(str).unique(), key=_cohort_sort_key)
            dated = [k for k in cohorts if not k.startswith("<=")]
            ax.axhline(1.0, color=S.MUTED, lw=1.0, ls=":")
            for k in cohorts:
                g = sub[sub["cohort"].astype(str) == k].sort_values("age_months")
                if k.startswith("<="):
                    ax.plot(g["age_months"], g["value"], color=S.NEUTRAL, lw=1.4, ls="--")
                    continue
                shade = 0.35 + 0.6 * (dated.index(k) / max(len(dated) - 1, 1))
                ax.plot(g["age_months"], g["value"], color=cmap(shade), lw=1.3, alpha=0.9)
            if sub.empty:
                ax.text(0.5, 0.5, f"No {seg} cohorts", transform=ax.transAxes, ha="center", va="center", color=S.MUTED)
            ax.yaxis.set_major_formatter(pct_formatter())
            ax.set_title(f"{seg}: {_COMPARE_KINDS.get(kind, kind.upper()).lower()}", fontsize=14)
            if c == 0:
                ax.set_ylabel(_COMPARE_KINDS.get(kind, kind.upper()), fontsize=12.5)
            if r == len(kinds) - 1:
                ax.set_xlabel("Months since acquisition", fontsize=12.5)
    handles = [
        plt.Line2D([], [], color=cmap(0.4), lw=2),
        plt.Line2D([], [], color=cmap(0.95), lw=2),
        plt.Line2D([], [], color=S.NEUTRAL, lw=1.6, ls="--"),
        plt.Line2D([], [], color=S.MUTED, lw=1.0, ls=":"),
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


@_styled
def cohort_payback(
    df: pd.DataFrame,
    currency: str | None = None,
    max_cohorts: int = 18,
    size=FULL,
    title: str = "Cohort gross profit to date against the cohort's CAC",
) -> Figure:
    """Realised payback per acquisition cohort (the ``cohort_payback`` table): the cohort's
    CAC (grey) beside its cumulative gross profit to date (green once paid back, amber
    while not), with the age at which it paid back written above."""
    if _is_empty(df):
        return _empty("Cohort payback needs financials (CAC and gross margin)")
    data = df.copy()
    data["cohort"] = data["cohort"].astype(str)
    data = data[~data["cohort"].str.startswith("<=")]
    if "cohort_cac" in data.columns:
        data = data[data["cohort_cac"].notna()]
    data = data.sort_values("cohort").tail(max_cohorts)
    if data.empty:
        return _empty("No cohort has a known CAC yet")
    x = np.arange(len(data))
    fig, ax = _new_figure(size)
    cac = data["cohort_cac"].astype(float).to_numpy()
    gp = data["cumulative_gross_profit"].astype(float).to_numpy()
    paid = (
        data["payback_age_months"].astype(float).to_numpy()
        if "payback_age_months" in data.columns
        else np.full(len(data), np.nan)
    )
    ax.bar(x - 0.2, cac, width=0.38, color=S.NEUTRAL, label="Cohort CAC")
    colors = [S.GREEN if not np.isnan(p) else S.AMBER for p in paid]
    ax.bar(x + 0.2, np.nan_to_num(gp), width=0.38, color=colors, label="Cumulative gross profit to date")
    top = np.nanmax(np.concatenate([cac, gp])) if len(x) else 1.0
    ages = data["latest_age_months"].to_numpy() if "latest_age_months" in data.columns else [None] * len(x)
    for i, (p, _age) in enumerate(zip(paid, ages, strict=False)):
        label = f"month {p:.0f}" if not np.isnan(p) else "not yet"
        ax.text(
            x[i],
            max(np.nan_to_num(gp[i]), cac[i]) + top * 0.02,
            label,
            ha="center",
            va="bottom",
            fontsize=11 if len(x) <= 8 else 9.5,
            color=S.GREEN if not np.isnan(p) else S.AMBER,
            fontweight="bold",
        )
    ax.set_xticks(
        x, data["cohort"].tolist(), rotation=0 if len(x) <= 8 else 45, ha="center" if len(x) <= 8 else "right"
    )
    ax.yaxis.set_major_formatter(money_formatter(currency))
    ax.set_ylabel(_money_label(currency, "per cohort"))
    ax.set_xlabel("Acquisition cohort")
    ax.set_ylim(0, top * 1.3)
    from matplotlib.patches import Patch

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
    return fig


# ---------------------------------------------------------------------------------------
# unit economics against benchmark bands
# ---------------------------------------------------------------------------------------
def _band_segments(bands: Any) -> list[tuple[float, float, str]]:
    """Normalise band specs to (low, high, status) segments."""
    out = []
    for b in bands or []:
        if isinstance(b, Mapping):
            out.append((float(b.get("low", -np.inf)), float(b.get("high", np.inf)), S.status_key(b.get("status"))))
        else:
            lo, hi, st = b
            out.append((-np.inf if lo is None else float(lo), np.inf if hi is None else float(hi), S.status_key(st)))
    return out


@_styled
def benchmark_bars(
    kpis: pd.DataFrame,
    currency: str | None = None,
    bands: Mapping[str, Any] | None = None,
    size=None,
    title: str | None = None,
    stage: str | None = None,
    gtm: str | None = None,
) -> Figure:
    """One row per unit-economics KPI: its value as a bar in its status colour, the value
    printed, and its benchmark band written beside it (and drawn behind the bar when
    ``bands`` gives the thresholds: kpi -> [(low, high, status), ...]; by default the
    registry's bands for ``stage`` / ``gtm``).

    Rows with a blank value show the note that says why."""
    items = _rows(kpis)
    if not items:
        return _empty("No unit-economics KPIs")
    n = len(items)
    height = size[1] if size else max(2.2, min(5.6, 0.62 * n + 0.6))
    fig = plt.figure(figsize=(size[0] if size else 12.6, height))
    fig.set_layout_engine("none")
    top, bottom = 0.93, 0.04
    row_h = (top - bottom) / n
    for i, r in enumerate(items):
        y0 = top - (i + 1) * row_h
        status = S.status_key(r.get("status"))
        color = S.STATUS_COLORS[status]
        unit = r.get("unit")
        label = r.get("label") or r.get("kpi")
        fig.text(0.005, y0 + row_h * 0.5, label, fontsize=13.5, va="center", color=S.INK, fontweight="bold")
        ax = fig.add_axes((0.25, y0 + row_h * 0.18, 0.40, row_h * 0.64))
        ax.set_axis_off()
        v = finite(r.get("value"))
        spec = (bands or {}).get(r.get("kpi")) if bands is not None else _band_list(str(r.get("kpi")), stage, gtm)
        segs = _band_segments(spec)
        edges = [x for s in segs for x in s[:2] if np.isfinite(x)]
        ref = max([abs(v)] if v is not None else [] + [0]) if v is not None else 0
        hi = max(edges + [ref]) * 1.25 if (edges or ref) else 1.0
        lo = min(0.0, min(edges + [v if v is not None else 0.0]) * 1.1)
        ax.set_xlim(lo, hi)
        ax.set_ylim(0, 1)
        for a, b, st in segs:
            a, b = max(a, lo), min(b, hi)
            if b > a:
                ax.add_patch(Rectangle((a, 0), b - a, 1, facecolor=S.STATUS_TINTS[st], edgecolor="none"))
        if v is not None:
            ax.add_patch(Rectangle((min(0, v), 0.22), abs(v), 0.56, facecolor=color, edgecolor="none"))
            ax.text(
                max(v, 0) + (hi - lo) * 0.012,
                0.5,
                F.value(v, unit, currency),
                va="center",
                fontsize=13.5,
                fontweight="bold",
                color=S.INK,
            )
        else:
            ax.text(
                0,
                0.5,
                "– " + (str(r.get("note")) if not is_blank(r.get("note")) else "not available"),
                va="center",
                fontsize=12,
                color=S.MUTED,
                style="italic",
            )
        ax.axvline(0, color=S.MUTED, lw=0.8)
        bench = r.get("benchmark")
        words = S.STATUS_LABELS[status] if status else "not judged"
        right = words + (f"  ({bench})" if not is_blank(bench) else "")
        fig.text(0.67, y0 + row_h * 0.5, _wrap(right, 48), fontsize=12, va="center", color=color if status else S.MUTED)
        if i < n - 1:
            fig.add_artist(plt.Line2D([0.005, 0.995], [y0, y0], color=S.GRID, lw=0.8))
    fig.text(0.25, top + 0.01, "value (bar colour = benchmark status)", fontsize=10.5, color=S.MUTED, va="bottom")
    fig.text(0.67, top + 0.01, "benchmark band", fontsize=10.5, color=S.MUTED, va="bottom")
    if title:
        fig.suptitle(title, x=0.005, ha="left", fontweight="bold")
    return fig


# ---------------------------------------------------------------------------------------
# KPI hierarchy
# ---------------------------------------------------------------------------------------
@_styled
def kpi_tree(
    hierarchy: pd.DataFrame, currency: str | None = None, size=TALL, max_children: int = 4, title: str | None = None
) -> Figure:
    """North star -> diagnostic -> granular, left to right, each node a box in its status
    colour with label and value.

    ``hierarchy``: one row per node with kpi, label, tier (north_star / diagnostic /
    granular), parent (the kpi it explains; blank for north stars), value, unit, status;
    optionally ``display`` (the value already formatted)."""
    items = _rows(hierarchy)
    if not items:
        return _empty("No KPI hierarchy")
    by_parent: dict[str, list[dict]] = {}
    roots = []
    for r in items:
        parent = r.get("parent")
        if is_blank(parent) or r.get("tier") == "north_star":
            roots.append(r)
        else:
            by_parent.setdefault(str(parent), []).append(r)
    # leaves per root, to allot vertical space
    layout: list[tuple[int, dict, float]] = []  # (depth, node, y)
    edges: list[tuple[tuple[int, float], tuple[int, float]]] = []
    y = [0.0]

    def place(node, depth, key_path):
        kids = [k for k in by_parent.get(str(node.get("kpi")), []) if str(k.get("kpi")) not in key_path]
        kids = kids[:max_children] if depth < 2 else []
        if not kids:
            my = y[0]
            y[0] += 1
        else:
            ys = [place(k, depth + 1, key_path | {str(node.get("kpi"))}) for k in kids]
            my = (ys[0] + ys[-1]) / 2
            for cy in ys:
                edges.append(((depth, my), (depth + 1, cy)))
        layout.append((depth, node, my))
        return my

    for r in roots:
        place(r, 0, set())
        y[0] += 0.35
    total = max(y[0] - 0.35, 1)
    fig = plt.figure(figsize=size)
    fig.set_layout_engine("none")
    ax = fig.add_axes((0.0, 0.0, 1.0, 0.94 if title else 1.0))
    ax.set_axis_off()
    ax.set_xlim(-0.02, 3.0)
    ax.set_ylim(total, -1.1)
    col_x = [0.0, 1.02, 2.04]
    box_w = [0.86, 0.86, 0.9]
    box_h = 0.78 if total < 14 else 0.86
    fs = 12 if total < 14 else (10.5 if total < 20 else 9)
    for (d0, y0), (d1, y1) in edges:
        x0 = col_x[d0] + box_w[d0]
        x1 = col_x[d1]
        xm = (x0 + x1) / 2
        ax.plot([x0, xm, xm, x1], [y0, y0, y1, y1], color="#B8C2CC", lw=1.2, zorder=1)
    for depth, node, yy in layout:
        status = S.status_key(node.get("status"))
        color = S.STATUS_COLORS[status]
        x = col_x[depth]
        w = box_w[depth]
        ax.add_patch(
            FancyBboxPatch(
                (x, yy - box_h / 2),
                w,
                box_h,
                boxstyle="round,pad=0,rounding_size=0.05",
                facecolor=S.STATUS_TINTS[status],
                edgecolor=color,
                lw=1.6 if depth == 0 else 1.0,
                zorder=2,
                mutation_aspect=1 / 4,
            )
        )
        ax.add_patch(Rectangle((x, yy - box_h / 2), 0.028, box_h, facecolor=color, edgecolor="none", zorder=3))
        label = node.get("label") or node.get("kpi")
        disp = node.get("display")
        if is_blank(disp):
            disp = F.value(node.get("value"), node.get("unit"), currency)
        ax.text(
            x + 0.05,
            yy,
            _shorten(label, 30),
            va="center",
            ha="left",
            fontsize=fs + (1 if depth == 0 else 0),
            fontweight="bold" if depth == 0 else "normal",
            color=S.INK,
            zorder=4,
        )
        ax.text(
            x + w - 0.03,
            yy,
            disp,
            va="center",
            ha="right",
            fontsize=fs + (1 if depth == 0 else 0),
            fontweight="bold",
            color=S.INK,
            zorder=4,
        )
    for i, name in enumerate(("North star", "Diagnostic", "Granular")):
        ax.text(col_x[i], -0.6, name.upper(), fontsize=11, color=S.MUTED, fontweight="bold", va="bottom")
    if title:
        fig.suptitle(title, x=0.005, ha="left", fontweight="bold")
    return fig


def _shorten(text: Any, n: int) -> str:
    s = str(text)
    return s if len(s) <= n else s[: n - 1] + "…"


# ---------------------------------------------------------------------------------------
# journey, pipeline, breakdowns
# ---------------------------------------------------------------------------------------
_STAGE_LABELS = {
    "visitors": "Visitors",
    "created": "Leads",
    "lead": "Leads",
    "leads": "Leads",
    "signup": "Sign-ups",
    "signups": "Sign-ups",
    "pql": "PQLs",
    "pqls": "PQLs",
    "customer": "Customers",
    "customers": "Customers",
}


@_styled
def funnel(df: pd.DataFrame, size=FULL, title: str = "Customer journey this period") -> Figure:
    """Horizontal funnel: one bar per stage (its count), the conversion from the stage
    above written between bars when the table has it.

    ``df``: the ``funnel`` table (stage, count, conversion_from_previous as a fraction)."""
    if _is_empty(df):
        return _empty("No customer-journey data")
    data = df.reset_index(drop=True)
    n = len(data)
    fig, ax = _new_figure(size)
    counts = data["count"].astype(float).to_numpy()
    # widths on a linear scale, so that a bar looks as many times longer as its count is
    # larger; a stage too small to see still shows its count beside the bar
    shown = np.nan_to_num(counts)
    widest = float(np.nanmax(shown)) if n and np.nanmax(shown) > 0 else 1.0
    for i, (stage, c, w) in enumerate(zip(data["stage"], counts, shown, strict=False)):
        shade = plt.get_cmap("Blues")(0.9 - 0.55 * i / max(n - 1, 1))
        ax.barh(i, w, left=(widest - w) / 2, color=shade, height=0.7)
        inside = w > widest * 0.25
        ax.text(
            widest / 2 if inside else (widest + w) / 2 + widest * 0.01,
            i,
            F.number(c),
            ha="center" if inside else "left",
            va="center",
            fontsize=14,
            fontweight="bold",
            color="white" if inside else S.INK,
        )
        label = _STAGE_LABELS.get(str(stage).lower(), str(stage).replace("_", " ").capitalize())
        ax.text(-widest * 0.01, i, label, ha="right", va="center", fontsize=14, color=S.INK)
        conversion = data["conversion_from_previous"].iloc[i]
        if i > 0 and not is_blank(conversion):
            ax.text(
                widest * 1.01,
                i - 0.5,
                f"↓ {F.percent(conversion, decimals=1)} convert",
                ha="left",
                va="center",
                fontsize=12.5,
                color=S.MUTED,
            )
    ax.set_ylim(n - 0.5, -0.6)
    ax.set_xlim(-widest * 0.16, widest * 1.2)
    ax.set_axis_off()
    ax.set_title(title)
    return fig


@_styled
def funnel_cohorts(
    df: pd.DataFrame, size=FULL, dimension: str = "all", title: str = "Stage-to-stage conversion by entry cohort"
) -> Figure:
    """Conversion from each stage to the next by the month leads entered (the
    ``funnel_cohorts`` table, rows of ``dimension == 'all'``): recent cohorts still
    maturing show as lower bars."""
    if _is_empty(df):
        return _empty("No funnel cohorts")
    data = df
    if "dimension" in data.columns:
        data = data[data["dimension"].astype(str) == dimension]
    if data.empty:
        return _empty("No funnel cohorts")
    fig, ax = _new_figure(size)
    transitions = list(dict.fromkeys(zip(data["stage_from"], data["stage_to"], strict=False)))
    for i, (a, b) in enumerate(transitions):
        sub = data[(data["stage_from"] == a) & (data["stage_to"] == b)].sort_values("cohort")
        dates = _to_timestamps(sub["cohort"])
        y = sub["rate"].astype(float)
        label = f"{_STAGE_LABELS.get(str(a), a)} → {_STAGE_LABELS.get(str(b), b)}"
        ax.plot(dates, y, marker="o", ms=4, label=label, color=S.SERIES[i % len(S.SERIES)])
    ax.yaxis.set_major_formatter(pct_formatter())
    ax.set_ylabel("Converted to next stage")
    ax.set_xlabel("Month the cohort entered the stage")
    top = max((ln.get_ydata().max() for ln in ax.lines if len(ln.get_ydata())), default=1.0)
    ax.set_ylim(0, min(1.05, top * 1.12) if np.isfinite(top) and top > 0 else None)
    _format_time_axis(ax, _to_timestamps(sorted(data["cohort"].unique())))
    _legend_below(ax, ncols=4)
    ax.set_title(title)
    return fig


_PACE_STATUS = {
    "ahead": "green",
    "on track": "amber",
    "on_track": "amber",
    "behind": "red",
    "green": "green",
    "amber": "amber",
    "red": "red",
}


@_styled
def pacing(
    df: pd.DataFrame,
    currency: str | None = None,
    size=None,
    title: str = "Leading indicators: actual to date against target",
) -> Figure:
    """One bar per target (metric, dimension): actual to date in its pace colour (ahead
    green, on track amber, behind red) against the full target (outline) and a marker at
    the expected-to-date level (target x elapsed share of the period)."""
    items = _rows(df)
    if not items:
        return _empty("No targets: add a targets file to track leading indicators")
    n = len(items)
    fig_h = size[1] if size else max(2.2, min(5.4, 0.75 * n + 1.0))
    fig, ax = plt.subplots(figsize=(size[0] if size else 12.6, fig_h))
    for i, r in enumerate(items):
        target = finite(r.get("target")) or 0.0
        actual = finite(r.get("actual")) or 0.0
        expected = finite(r.get("expected_to_date"))
        st = _PACE_STATUS.get(str(r.get("status", "")).lower(), "")
        color = S.STATUS_COLORS[st]
        unit = reg.unit(str(r.get("metric", "")))
        # normalise each row to its own target so that rows of different units share an axis
        scale = target if target else max(actual, 1.0)
        ax.barh(i, 1.0, color="none", edgecolor=S.NEUTRAL, height=0.56, lw=1.2)
        ax.barh(i, actual / scale, color=color, height=0.56)
        if expected is not None:
            ax.plot([expected / scale] * 2, [i - 0.38, i + 0.38], color=S.INK, lw=2.4)
        pace = finite(r.get("pace"))
        txt = f"{F.value(actual, unit, currency)} of {F.value(target, unit, currency)}"
        if pace is not None:
            txt += f"  ·  pace {F.percent(pace)}"
        st_word = str(r.get("status", "") or "").replace("_", " ")
        if st_word:
            txt += f"  ·  {st_word}"
        ax.text(max(1.0, actual / scale) + 0.02, i, txt, va="center", fontsize=12.5, color=S.INK)
        metric = str(r.get("label") or r.get("metric", "")).replace("_", " ")
        dim = str(r.get("dimension", "") or "")
        name = metric.capitalize() + ("" if dim in ("", "all") else f" · {dim}")
        ax.text(-0.02, i, name, va="center", ha="right", fontsize=13, color=S.INK)
    ax.set_ylim(n - 0.4, -0.8)
    ax.set_xlim(-0.75, 2.0)
    ax.set_axis_off()
    ax.text(
        0.0,
        -0.6,
        "bar: actual to date as share of the period target  ·  black tick: expected by today",
        fontsize=10.5,
        color=S.MUTED,
        va="bottom",
    )
    ax.set_title(title)
    return fig


@_styled
def breakdown_bars(
    df: pd.DataFrame,
    value: str,
    label: str | None = None,
    unit: str = "count",
    currency: str | None = None,
    size=HALF,
    title: str | None = None,
    color: str | None = None,
    max_rows: int = 10,
) -> Figure:
    """Horizontal bars of one value by category (segment, channel, owner), largest first."""
    if _is_empty(df):
        return _empty("No breakdown")
    label = label or next(c for c in df.columns if c != value)
    data = df[[label, value]].dropna().sort_values(value, ascending=False).head(max_rows)
    fig, ax = _new_figure(size)
    y = np.arange(len(data))
    vals = data[value].astype(float).to_numpy()
    ax.barh(y, vals, color=color or S.PRIMARY, height=0.62)
    span = np.nanmax(np.abs(vals)) if len(vals) else 1
    for i, v in enumerate(vals):
        ax.text(v + span * 0.015, i, F.value(v, unit, currency), va="center", fontsize=12.5)
    ax.set_yticks(y, [_shorten(s, 22) for s in data[label].astype(str)])
    ax.set_ylim(len(data) - 0.5, -0.5)
    ax.xaxis.set_major_formatter(S.value_formatter(unit, currency))
    ax.set_xlim(min(0, np.nanmin(vals) * 1.1) if len(vals) else 0, span * 1.25)
    ax.grid(axis="x", visible=True)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(str(value).replace("_", " ").capitalize())
    ax.set_title(title or f"{str(value).replace('_', ' ').capitalize()} by {label}")
    return fig


@_styled
def trend(
    df: pd.DataFrame,
    columns: Sequence[str] | None = None,
    unit: str = "count",
    currency: str | None = None,
    labels: Mapping[str, str] | None = None,
    size=FULL,
    title: str | None = None,
    ylabel: str | None = None,
) -> Figure:
    """Lines over months of one or more columns of a table with a month column."""
    if _is_empty(df):
        return _empty("No data")
    mcol = _month_col(df)
    cols = list(columns or [c for c in df.columns if c != mcol and pd.api.types.is_numeric_dtype(df[c])])
    dates = _to_timestamps(df[mcol])
    fig, ax = _new_figure(size)
    for i, c in enumerate(cols):
        ax.plot(
            dates,
            df[c].astype(float),
            label=(labels or {}).get(c, c.replace("_", " ").capitalize()),
            color=S.SERIES[i % len(S.SERIES)],
        )
    _value_axis(ax, unit, currency)
    _format_time_axis(ax, dates)
    ax.set_ylabel(ylabel or (_money_label(currency, "").strip() if F.unit_kind(unit) == "money" else unit))
    if len(cols) > 1:
        _legend_below(ax, ncols=min(len(cols), 4))
    if title:
        ax.set_title(title)
    return fig


_FEATURE_WORDS = {"api": "API", "sso": "SSO", "csv": "CSV", "ai": "AI", "crm": "CRM", "bi": "BI"}


def _feature_label(name: Any) -> str:
    words = str(name).replace("_", " ").replace("-", " ").split()
    out = [_FEATURE_WORDS.get(w.lower(), w) for w in words]
    if out and out[0] == words[0]:
        out[0] = out[0][:1].upper() + out[0][1:]
    return " ".join(out)


def _nps_period_label(row: Mapping[str, Any]) -> str:
    """'Aug 2026 - Oct 2026' -> 'Aug–Oct 26'; else the as-of month as 'Oct 26'."""
    text = str(row.get("period", "") or "")
    parts = [p.strip().split() for p in text.split(" - ")] if " - " in text else []
    if len(parts) == 2 and all(len(p) == 2 for p in parts):
        (m0, _y0), (m1, y1) = parts
        return f"{m0}–{m1}\n{y1}"
    if not is_blank(row.get("as_of")):
        return _period_labels([row.get("as_of")])[0]
    return text


@_styled
def usage_nps(
    kpis: Any,
    adoption: pd.DataFrame | None = None,
    nps: pd.DataFrame | None = None,
    period_label: str = "prior period",
    size=TALL,
    max_features: int = 8,
) -> Figure:
    """Product usage and NPS on one page: the headline figures (DAU/MAU, monthly active
    users, active accounts, usage depth, NPS) with their change, core-feature adoption
    (share of active accounts using each feature) and NPS by period split into promoters,
    passives and detractors.

    ``kpis``: kpis.csv rows of those KPIs; ``adoption``: the ``feature_adoption`` table
    (feature, adoption); ``nps``: the ``nps`` table (period, as_of, nps, nps_promoters,
    nps_passives, nps_detractors)."""
    items = _rows(kpis)
    has_adoption = not _is_empty(adoption) and "adoption" in adoption.columns
    has_nps = not _is_empty(nps) and {"nps_promoters", "nps_detractors"} <= set(nps.columns)
    if not items and not has_adoption and not has_nps:
        return _empty("No product-usage or NPS data")
    fig = plt.figure(figsize=size)
    panels = [p for p, ok in (("adoption", has_adoption), ("nps", has_nps)) if ok]
    head, body = fig.subfigures(2, 1, height_ratios=[0.85, 3.25] if panels else [1, 0.01])
    # headline figures, spread over the full width
    n = max(len(items), 1)
    renderer = fig.canvas.get_renderer()
    slot_px = size[0] / n * 0.9 * fig.dpi
    for i, r in enumerate(items):
        x = 0.01 + i / n
        kpi, unit = str(r.get("kpi")), r.get("unit")
        if kpi == "usage_depth":
            value, label = F.number(r.get("value"), decimals=0), "Events per active account"
        else:
            value, label = F.value(r.get("value"), unit), str(r.get("label") or kpi)
        t = head.text(x, 0.95, label, fontsize=12, color=S.MUTED, fontweight="bold", va="top")
        _fit_text(t, slot_px, renderer, min_size=10)
        head.text(x, 0.50, value, fontsize=24, color=S.INK, fontweight="bold", va="center")
        change = r.get("change")
        if not is_blank(change):
            head.text(x, 0.08, f"{F.change(change, unit)} vs {period_label}", fontsize=11.5, color=S.INK, va="bottom")
    widths = {"adoption": 1.0, "nps": 1.4}
    gs = body.add_gridspec(1, max(len(panels), 1), width_ratios=[widths[p] for p in panels] or [1])
    col = 0
    if has_adoption:
        ax = body.add_subplot(gs[0, col])
        col += 1
        d = adoption.sort_values("adoption", ascending=False).head(max_features)
        y = np.arange(len(d))
        vals = d["adoption"].astype(float).to_numpy()
        ax.barh(y, vals, color=S.PRIMARY, height=0.62)
        for i, v in enumerate(vals):
            inside = v > 0.2
            ax.text(
                v - 0.01 if inside else v + 0.01,
                i,
                F.percent(v),
                va="center",
                ha="right" if inside else "left",
                fontsize=12,
                fontweight="bold",
                color="white" if inside else S.INK,
            )
        ax.set_yticks(y, [_shorten(_feature_label(f), 22) for f in d["feature"]])
        ax.set_ylim(len(d) - 0.5, -0.5)
        ax.set_xlim(0, 1.0)
        ax.xaxis.set_major_formatter(pct_formatter())
        ax.grid(axis="x", visible=True)
        ax.grid(axis="y", visible=False)
        ax.set_xlabel("Share of active accounts using the feature")
        ax.set_title("Core-feature adoption", fontsize=14)
    if has_nps:
        ax = body.add_subplot(gs[0, col])
        d = nps.reset_index(drop=True)
        x = np.arange(len(d))
        bottom = np.zeros(len(d))
        for c, name, color in (
            ("nps_detractors", "Detractors (0–6)", S.RED),
            ("nps_passives", "Passives (7–8)", S.NEUTRAL),
            ("nps_promoters", "Promoters (9–10)", S.GREEN),
        ):
            if c not in d.columns:
                continue
            v = d[c].fillna(0).astype(float).to_numpy()
            ax.bar(x, v, bottom=bottom, color=color, width=0.66, label=name)
            bottom = bottom + v
        if "nps" in d.columns:
            for i, v in enumerate(d["nps"]):
                ax.text(
                    x[i],
                    1.02,
                    "–" if is_blank(v) else F.number(v, decimals=0),
                    ha="center",
                    va="bottom",
                    fontsize=12,
                    fontweight="bold",
                    color=S.INK,
                )
            ax.text(-0.5, 1.12, "NPS", fontsize=11, color=S.MUTED, va="bottom", fontweight="bold")
        ax.set_xticks(x, [_nps_period_label(r) for r in d.to_dict("records")], fontsize=10 if len(d) > 6 else 12)
        ax.set_ylim(0, 1.2)
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
        ax.yaxis.set_major_formatter(pct_formatter())
        ax.set_ylabel("Share of responses")
        ax.set_title("NPS over time: promoters, passives, detractors", fontsize=14)
        _legend_below(ax, ncols=3, fontsize=11)
    return fig


@_styled
def segment_compare(
    kpis: pd.DataFrame,
    segments: Sequence[str] | None = None,
    currency: str | None = None,
    size=None,
    title: str | None = None,
) -> Figure:
    """Two segments side by side, one row per KPI: each row's two bars are scaled to the
    larger of the two (units differ between rows), values printed, bars in status colour.

    ``kpis``: one row per KPI with kpi, label, unit and one value column per segment
    (``segments`` names them; default: the two columns after the first four) and
    optionally ``status_<segment>`` columns."""
    items = _rows(kpis)
    if not items:
        return _empty("No comparison")
    df = pd.DataFrame(items)
    if segments is None:
        meta = {"kpi", "label", "unit", "tier", "benchmark", "note", "difference", "dimension"}
        segments = [c for c in df.columns if c not in meta and not str(c).startswith(("status", "note_"))][:2]
    a, b = segments[0], segments[1]
    n = len(df)
    h = size[1] if size else max(2.5, min(5.6, 0.55 * n + 0.9))
    fig, ax = plt.subplots(figsize=(size[0] if size else 12.6, h))
    for i, r in enumerate(df.to_dict("records")):
        va, vb = finite(r.get(a)), finite(r.get(b))
        m = max([abs(v) for v in (va, vb) if v is not None] or [1.0]) or 1.0
        for j, (seg, v) in enumerate(((a, va), (b, vb))):
            st = S.status_key(r.get(f"status_{seg}"))
            color = S.STATUS_COLORS[st] if st else (S.PRIMARY if j == 0 else S.SECONDARY)
            x0 = 0.0 if j == 0 else 1.25
            if v is not None:
                ax.barh(i, abs(v) / m, left=x0, color=color, height=0.56)
            note = r.get(f"note_{seg}")
            if v is None and not is_blank(note):
                ax.text(
                    x0 + 0.02, i, "– " + _shorten(note, 44), va="center", fontsize=11, color=S.MUTED, style="italic"
                )
                continue
            ax.text(
                x0 + (abs(v) / m if v is not None else 0) + 0.02,
                i,
                F.value(v, r.get("unit"), currency),
                va="center",
                fontsize=12.5,
                color=S.INK,
                fontweight="bold",
            )
        ax.text(
            -0.03, i, _shorten(r.get("label") or r.get("kpi"), 30), ha="right", va="center", fontsize=13, color=S.INK
        )
    ax.text(0.0, -0.8, str(a), fontsize=14, fontweight="bold", color=S.PRIMARY)
    ax.text(1.25, -0.8, str(b), fontsize=14, fontweight="bold", color=S.SECONDARY)
    ax.set_xlim(-0.95, 2.55)
    ax.set_ylim(n - 0.4, -1.2)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return fig


@_styled
def runway(df: pd.DataFrame, currency: str | None = None, size=FULL, months: int = 24) -> Figure:
    """Cash balance (bars) and monthly net burn (line, right axis) over the last ``months``
    months, the latest months of runway written on the last bar.

    ``df``: the ``cash_runway`` table (month, cash_balance, net_burn_monthly, runway_months)."""
    if _is_empty(df):
        return _empty("No cash balance in the financials")
    data = df.tail(months).reset_index(drop=True)
    dates = _to_timestamps(data["month"])
    fig, ax = _new_figure(size)
    cash = data["cash_balance"].astype(float).to_numpy()
    ax.bar(dates, cash, width=20, color=S.PRIMARY, alpha=0.85, label="Cash balance (left)")
    ax.yaxis.set_major_formatter(money_formatter(currency))
    ax.set_ylabel(_money_label(currency, "cash at month end"))
    ax.set_ylim(0, np.nanmax(cash) * 1.25 if np.isfinite(np.nanmax(cash)) else 1)
    axb = ax.twinx()
    burn = data["net_burn_monthly"].astype(float).to_numpy()
    axb.plot(dates, burn, color=RED, lw=2.6, marker="o", ms=4, label="Net burn per month (right)")
    axb.yaxis.set_major_formatter(money_formatter(currency))
    axb.set_ylabel(_money_label(currency, "net burn per month, 3-month average"))
    top = np.nanmax(burn) if np.isfinite(burn).any() else 1.0
    axb.set_ylim(0, top * 1.6)
    axb.grid(False)
    last = data.iloc[-1]
    if not is_blank(last.get("runway_months")):
        ax.text(
            0.99,
            0.97,
            f"{F.months(last['runway_months'], context='text')} of runway at {dates[-1]:%b %Y}",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=13,
            fontweight="bold",
            color=S.INK,
        )
    _format_time_axis(ax, dates)
    handles = ax.get_legend_handles_labels()[0] + axb.get_legend_handles_labels()[0]
    _legend_below(ax, handles, [h.get_label() for h in handles], ncols=2)
    return fig


@_styled
def sensitivity_ranges(
    df: pd.DataFrame, currency: str | None = None, policy_words: Mapping[str, str] | None = None, size=None
) -> Figure:
    """One row per (KPI, policy): the range of the KPI over the policy's alternative values
    (a grey bar), each alternative a dot labelled with its value, the value in force dark
    and bold. Each row has its own scale (the KPIs differ in unit).

    ``df``: the ``sensitivity`` table (kpi, policy, policy_value, kpi_value, in_force)."""
    if _is_empty(df):
        return _empty("No north star moves with the alternative definitions")
    data = df[df["kpi_value"].notna()]
    groups = [(key, g) for key, g in data.groupby(["kpi", "policy"], sort=False) if len(g) > 1]
    if not groups:
        return _empty("No north star moves with the alternative definitions")

    # one relative scale for every row (value / value in force), so that a 1% spread looks
    # 1% wide and not as wide as a 30% one
    def reported(g: pd.DataFrame) -> float:
        now = g.loc[g["in_force"].astype(bool), "kpi_value"].astype(float)
        if len(now) and now.iloc[0]:
            return float(now.iloc[0])
        return float(g["kpi_value"].astype(float).abs().max() or 1.0)

    spread = max(float(np.nanmax(np.abs(g["kpi_value"].astype(float) / reported(g) - 1))) for _, g in groups)
    half = max(spread * 1.25, 0.02)
    fig, axes = plt.subplots(
        len(groups), 1, figsize=size or (12.6, 0.95 * len(groups) + 0.6), squeeze=False, layout="none"
    )
    for ax, ((kpi, policy), g) in zip(axes[:, 0], groups, strict=False):
        unit, base = reg.get(kpi).unit, reported(g)
        rel = g["kpi_value"].astype(float).to_numpy() / base
        ax.set_xlim(1 - half, 1 + half)
        ax.set_ylim(-1, 1)
        ax.plot([np.nanmin(rel), np.nanmax(rel)], [0, 0], color=S.NEUTRAL, lw=8, solid_capstyle="round", alpha=0.6)
        ax.axvline(1.0, color=S.NEUTRAL, lw=0.8, ls=":")
        shown: dict[str, list[str]] = {}  # alternatives that print the same value share one label
        now_text = ""
        for v, r, label, now in zip(
            g["kpi_value"], rel, g["policy_value"].astype(str), g["in_force"].astype(bool), strict=False
        ):
            text = F.value(v, unit, currency)
            ax.plot([r], [0], "o", ms=11 if now else 8, color=S.PRIMARY if now else S.MUTED, zorder=3)
            if now:
                now_text = text
                ax.text(
                    r,
                    0.42,
                    f"{text} as reported ({label})",
                    ha="center",
                    va="bottom",
                    fontsize=10.5,
                    color=S.INK,
                    fontweight="bold",
                )
            else:
                shown.setdefault(text, []).append(label)
        placed: list[float] = []  # a label close to the one before it goes a line lower
        for text, labels in shown.items():
            if text == now_text:
                continue
            r = float(rel[[F.value(v, unit, currency) == text for v in g["kpi_value"]]][0])
            y = -0.42 if all(abs(r - q) > 0.3 * half for q in placed) else -0.85
            placed.append(r)
            ax.text(r, y, f"{text} ({', '.join(labels)})", ha="center", va="top", fontsize=10.5, color=S.MUTED)
        words = (policy_words or {}).get(policy, policy.replace("_", " "))
        ax.text(1 - half, 0, f"{reg.get(kpi).label}\nby {words}  ", ha="right", va="center", fontsize=11.5, color=S.INK)
        ax.set_axis_off()
    axes[-1, 0].text(
        1 + half,
        -1.0,
        f"every row on one scale: ±{half:.0%} of the value as reported",
        ha="right",
        va="top",
        fontsize=10,
        color=S.MUTED,
    )
    fig.subplots_adjust(left=0.24, right=0.97, top=0.95, bottom=0.12, hspace=0.35)
    return fig


@_styled
def owner_bars(df: pd.DataFrame, currency: str | None = None, size=FULL) -> Figure:
    """Pipeline created (light) and won (dark) per deal owner, largest won first, each row
    followed by its win rate, average deal size and sales cycle.

    ``df``: the ``pipeline_by_owner`` table (owner, pipeline_created, won_amount, win_rate,
    avg_deal_size, sales_cycle_days)."""
    if _is_empty(df):
        return _empty("No opportunities by owner")
    data = df.sort_values("won_amount", ascending=True).reset_index(drop=True)
    fig, ax = _new_figure(size)
    y = np.arange(len(data))
    ax.barh(y, data["pipeline_created"].astype(float), color=S.NEUTRAL, height=0.7, label="Pipeline created")
    ax.barh(y, data["won_amount"].astype(float), color=S.PRIMARY, height=0.42, label="Won")
    top = float(data["pipeline_created"].astype(float).max() or 1)
    for i, r in data.iterrows():
        facts = " · ".join(
            p
            for p in (
                f"won {F.money(r['won_amount'], currency)}",
                f"{F.percent(r['win_rate'])} win rate" if not is_blank(r.get("win_rate")) else "",
                f"{F.money(r['avg_deal_size'], currency)} average deal" if not is_blank(r.get("avg_deal_size")) else "",
                f"{F.days(r['sales_cycle_days'])} cycle" if not is_blank(r.get("sales_cycle_days")) else "",
            )
            if p
        )
        ax.text(
            max(float(r["pipeline_created"]), float(r["won_amount"])) + top * 0.01,
            i,
            facts,
            va="center",
            ha="left",
            fontsize=11.5,
            color=S.INK,
        )
    ax.set_yticks(y, [str(o) for o in data["owner"]])
    ax.xaxis.set_major_formatter(money_formatter(currency))
    ax.set_xlabel(_money_label(currency, "in the period"))
    ax.set_xlim(0, top * 1.75)
    _legend_below(ax, ncols=2)
    return fig
