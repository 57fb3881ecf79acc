"""Drawing helpers shared by the chart modules: the board style around a drawing, an Axes
to draw on, the note that replaces an empty chart, period labels, time axes, legends
under the plot and text that fits its box. Nothing here reads a table's meaning."""

from __future__ import annotations

import contextlib
import functools
import math
import textwrap
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import ParamSpec, TypeVar

import matplotlib as mpl
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_svg import RendererSVG
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, fontManager, get_font
from matplotlib.legend import Legend
from matplotlib.text import Text
from matplotlib.ticker import FixedFormatter, FixedLocator, MultipleLocator
from matplotlib.transforms import offset_copy

from reportlib.deck import _style as S
from reportlib.metrics.periods import fiscal_start_of

P = ParamSpec("P")
R = TypeVar("R")

#: At most this many period labels under a bar chart (every n-th period beyond it).
MAX_PERIOD_TICKS = 14


def in_board_style(fn: Callable[P, R]) -> Callable[P, R]:
    """Draw ``fn`` in the board-deck style (rc parameters of the theme in use)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with S.board_style():
            return fn(*args, **kwargs)

    return wrapper


def axes_for(ax: Axes | None, size: tuple[float, float]) -> Axes:
    """``ax``, or the Axes of a new figure of ``size`` inches when it is None."""
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


def axes_note(ax: Axes, text: str) -> None:
    """``text`` in the middle of ``ax``, axes hidden (a chart with nothing to draw)."""
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=15, color=S.MUTED, wrap=True)
    ax.set_axis_off()


def empty(ax: Axes | None, text: str, size: tuple[float, float] = S.FULL) -> Axes:
    """The note that replaces an empty chart, on ``ax`` or on a one-line figure."""
    if ax is None:
        _, ax = plt.subplots(figsize=(size[0], 1.2))
    axes_note(ax, text)
    return ax


@in_board_style
def message_figure(text: str, size: tuple[float, float] = (12.6, 1.2)) -> Figure:
    """A figure holding one line of text (used when a chart has nothing to draw)."""
    fig, ax = plt.subplots(figsize=size)
    axes_note(ax, text)
    return fig


# --- periods and time axes ------------------------------------------------------------------
def to_timestamps(values: Iterable[pd.Period | pd.Timestamp | str]) -> pd.DatetimeIndex:
    """Month or quarter periods (or their text, "2026-09", "2026Q3") as the timestamps of
    their first day, for a date axis."""
    out = []
    for v in values:
        if isinstance(v, pd.Period):
            out.append(v.to_timestamp())
        elif isinstance(v, str) and "Q" in v.upper() and len(v) <= 7:
            out.append(pd.Period(v.upper(), freq="Q").to_timestamp())
        else:
            out.append(pd.Timestamp(str(v)) if not isinstance(v, pd.Timestamp) else v)
    return pd.DatetimeIndex(out)


def period_labels(values: Iterable[pd.Period | str], as_of: pd.Period | None = None) -> list[str]:
    """'Q3 26' / 'Sep 26' per period (text is read as a month); with ``as_of`` (the
    report's month) a period that ends after it is still running and is labelled
    '(to date)' on a second line."""
    cutoff = None if as_of is None else pd.Period(str(as_of)[:7], freq="M")
    labels = []
    for v in values:
        p = v if isinstance(v, pd.Period) else pd.Period(str(v), freq="M")
        text = _quarter_tick(p) if p.freqstr.startswith("Q") else p.strftime("%b %y")
        if cutoff is not None and p.asfreq("M", how="end") > cutoff:
            text += "\n(to date)"
        labels.append(text)
    return labels


def _quarter_tick(p: pd.Period) -> str:
    """'Q3 26' for a calendar quarter; 'FY27 Q3' for a fiscal one (``qyear``: pandas names
    a fiscal quarter's year after the year's end, as the labels do)."""
    if fiscal_start_of(p.freq) == 1:
        return f"Q{p.quarter} {p.year % 100:02d}"
    return f"FY{p.qyear % 100:02d} Q{p.quarter}"


def period_ticks(ax: Axes, labels: Sequence[str]) -> None:
    """One period label per bar position 0..n-1, every n-th one when there are many."""
    x = np.arange(len(labels))
    step = max(1, math.ceil(len(x) / MAX_PERIOD_TICKS))
    ax.set_xticks(x[::step], list(labels)[::step])


def format_time_axis(ax: Axes, dates: pd.DatetimeIndex, narrow: bool = False) -> None:
    """Month ticks ('Jan 26') spaced for the span shown."""
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


def money_label(currency: str | None, what: str) -> str:
    """An axis label with its currency: 'ARR (EUR)'."""
    return f"{what} ({currency})" if currency else what


# --- a finished figure, before it is printed ----------------------------------------------------
#: Tick locators whose ticks follow from the view limits alone (not from the axes' size,
#: which the layout changes while the figure is printed).
_LIMITS_ONLY = (mdates.RRuleLocator, MultipleLocator)


@contextlib.contextmanager
def settled_ticks(fig: Figure) -> Iterator[Figure]:
    """``fig`` with the work matplotlib repeats at every pass of printing it done once,
    for as long as the block lasts (then the figure is as it was).

    Printing a figure with constrained layout and a tight bounding box measures each axis
    five to eight times, and each time asks the tick locator for its ticks, formats them
    and places the axis label beside them. Within one print the outcome is the same every
    time, so: ticks that depend on the view limits only (month ticks, a fixed step) are
    computed once and fixed, month labels with them, and an axis without a label stops
    being measured to place that empty label. Each text is measured once per process
    (:func:`_svg_text_measured_once`), and each font's line heights too
    (:func:`_svg_font_heights_read_once`). The printed figure is the same."""
    undo: list[Callable[[], None]] = [_svg_text_measured_once(), _svg_font_heights_read_once(fig)]
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            locator, formatter = axis.get_major_locator(), axis.get_major_formatter()
            if isinstance(locator, _LIMITS_ONLY):
                ticks = locator()
                axis.set_major_locator(FixedLocator(ticks))
                if isinstance(formatter, mdates.DateFormatter):
                    axis.set_major_formatter(FixedFormatter(formatter.format_ticks(ticks)))
                undo += [functools.partial(axis.set_major_locator, locator)]
                undo += [functools.partial(axis.set_major_formatter, formatter)]
            # matplotlib's switch for placing the label beside the tick labels (private;
            # should it go, nothing is skipped and nothing breaks)
            if getattr(axis, "_autolabelpos", False) and not axis.label.get_text():
                axis._autolabelpos = False
                undo += [functools.partial(setattr, axis, "_autolabelpos", True)]
    try:
        yield fig
    finally:
        for step in reversed(undo):
            step()


#: The rc parameters that decide which font file a family name stands for (matplotlib's
#: ``findfont`` keys its own cache on them too): a theme may change them between prints.
_FONT_LISTS = ("font.serif", "font.sans-serif", "font.cursive", "font.fantasy", "font.monospace")


def _font_lists() -> tuple[tuple[str, ...], ...]:
    """The rc font lists now, as part of a memo's key (:data:`_FONT_LISTS`)."""
    return tuple(tuple(mpl.rcParams[name]) for name in _FONT_LISTS)


#: Width, height and descent of each plain text in the SVG renderer, by text, font and font lists.
_SVG_TEXT_SIZES: dict[tuple[object, ...], tuple[float, float, float]] = {}
_MEASURED_AT_MOST = 50_000  # entries, then a memo starts again (see _memo)
_measure_svg_text = RendererSVG.get_text_width_height_descent


def _svg_text_size(self: RendererSVG, s: str, prop: FontProperties, ismath: bool | str) -> tuple[float, float, float]:
    """:meth:`RendererSVG.get_text_width_height_descent`, each plain text measured once.

    matplotlib keeps the sizes it measured per renderer, and a print makes two (a layout
    pass, then the SVG), each new: every tick label and title was laid out by FreeType
    again, in every figure (about a tenth of a section's drawing). The SVG renderer's sizes
    depend on the text, the font properties and the font files only (fixed size and dpi,
    no hinting), so one process-wide memo gives the same numbers. Math text is measured
    as before."""
    if ismath:
        return _measure_svg_text(self, s, prop, ismath)
    return _memo(_SVG_TEXT_SIZES, (s, prop.copy(), _font_lists()), lambda: _measure_svg_text(self, s, prop, ismath))


def _memo(memo: dict[tuple[object, ...], R], key: tuple[object, ...], compute: Callable[[], R]) -> R:
    """``memo[key]``, computed on first use; a memo that reached :data:`_MEASURED_AT_MOST`
    entries starts again (a kernel lives for many packs)."""
    value = memo.get(key)
    if value is None:
        if len(memo) >= _MEASURED_AT_MOST:
            memo.clear()
        value = memo[key] = compute()
    return value


def _svg_text_measured_once() -> Callable[[], None]:
    """Have the SVG renderer measure through :func:`_svg_text_size`; the call that undoes it."""
    before = RendererSVG.get_text_width_height_descent
    RendererSVG.get_text_width_height_descent = _svg_text_size  # type: ignore[method-assign]
    return functools.partial(setattr, RendererSVG, "get_text_width_height_descent", before)


#: The figures :func:`settled_ticks` is printing, innermost last (their dpi scales a font's heights).
_PRINTING: list[Figure] = []
#: Ascent, descent and line gap of each font, by font properties, font lists and dpi.
_FONT_HEIGHTS: dict[tuple[object, ...], tuple[float | None, float | None, float | None]] = {}
_NO_HEIGHTS = (None, None, None)  # matplotlib's signal to read the font itself
#: The font tables matplotlib reads a line's height from, in its order of preference.
_HEIGHT_TABLES = (
    ("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
    ("hhea", "lineGap", "ascent", "descent"),
)


def _font_heights(prop: FontProperties, dpi: float) -> tuple[float | None, float | None, float | None]:
    """A font's ascent, descent and line gap in pixels at ``dpi``, read from its tables as
    matplotlib's ``Text._get_layout`` reads them (the same arithmetic, so the same floats)."""
    font = get_font(fontManager._find_fonts_by_props(prop))
    for table_name, linegap_key, ascent_key, descent_key in _HEIGHT_TABLES:
        table = font.get_sfnt_table(table_name)
        if table is None:
            continue
        fontsize = prop.get_size_in_points()
        units_per_em = font.get_sfnt_table("head")["unitsPerEm"]
        scale = 1 / units_per_em * fontsize * dpi / 72
        return table[ascent_key] * scale, -table[descent_key] * scale, table[linegap_key] * scale
    return _NO_HEIGHTS


def _svg_font_heights(
    self: RendererSVG, prop: FontProperties, *more: object
) -> tuple[float | None, float | None, float | None]:
    """The hook matplotlib asks a renderer for a font's line heights before it reads them
    itself (``_get_font_height_metrics``; the PDF and PS renderers have one), each font read
    once per process.

    Laying out a text, matplotlib looks its font up and reads two of the font's tables
    again: for every tick label and title, in both passes of every print (about a tenth of
    a section's drawing). The heights depend on the font properties, the font files and
    the figure's dpi only. Outside a print of :func:`settled_ticks`, or asked with more
    than the font (another matplotlib), it answers "read them yourself"."""
    if more or not _PRINTING:
        return _NO_HEIGHTS
    dpi = _PRINTING[-1].dpi  # 72 while the SVG prints, as matplotlib's own layout reads it
    return _memo(_FONT_HEIGHTS, (prop.copy(), _font_lists(), dpi), lambda: _font_heights(prop, dpi))


def _svg_font_heights_read_once(fig: Figure) -> Callable[[], None]:
    """Have the SVG renderer answer :func:`_svg_font_heights` while ``fig`` prints; the call
    that undoes it."""
    before = vars(RendererSVG).get("_get_font_height_metrics")  # matplotlib's own, if it has one
    _PRINTING.append(fig)
    RendererSVG._get_font_height_metrics = _svg_font_heights  # type: ignore[attr-defined]

    def undo() -> None:
        _PRINTING.remove(fig)
        if _PRINTING:
            return  # an outer print still prints
        if before is not None:
            RendererSVG._get_font_height_metrics = before  # type: ignore[attr-defined]
        else:
            del RendererSVG._get_font_height_metrics  # type: ignore[attr-defined]

    return undo


# --- legends -----------------------------------------------------------------------------------
def legend_below(
    ax: Axes,
    handles: Sequence[object] | None = None,
    labels: Sequence[str] | None = None,
    ncols: int | None = None,
    fontsize: float | None = None,
) -> Legend | None:
    """The legend under the plot area (below the tick labels and the x-axis label), left
    aligned with the axes, so that it never covers data; constrained layout makes room."""
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return None
    fs = fontsize if fontsize is not None else plt.rcParams["legend.fontsize"]
    tick_fs = plt.rcParams["xtick.labelsize"]
    tick_fs = tick_fs if isinstance(tick_fs, (int, float)) else 12.5
    lines = max((str(t.get_text()).count("\n") + 1 for t in ax.get_xticklabels()), default=1)
    drop = 8 + tick_fs * 1.25 * lines + (plt.rcParams["axes.labelsize"] * 1.4 if ax.get_xlabel() else 0)
    root = ax.get_figure(root=True)  # (a subfigure's axes: its figure is the subfigure)
    trans = offset_copy(ax.transAxes, fig=root, x=0, y=-drop, units="points")
    # no wider than the axes (a wider legend would make the layout shrink the plot)
    fs_pt = fs if isinstance(fs, (int, float)) else 12.5
    avail_in = root.get_figwidth() * ax.get_position().width
    texts = [str(t) for t in labels or []]

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
    )


# --- text that fits ----------------------------------------------------------------------------
def wrap(text: str, width: int) -> str:
    """``text`` wrapped at ``width`` characters ("" stays "")."""
    return "\n".join(textwrap.wrap(str(text), width)) if text else ""


def shorten(text: object, n: int) -> str:
    """``text`` cut to ``n`` characters with an ellipsis."""
    s = str(text)
    return s if len(s) <= n else s[: n - 1] + "…"


def _text_width(text: Text, renderer: RendererBase) -> float:
    return text.get_window_extent(renderer=renderer).width


def fit_text(text: Text, max_px: float, renderer: RendererBase, min_size: float = 9.0) -> None:
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


def pack_parts(text: str, max_px: float, renderer: RendererBase, fontsize: float = 10, sep: str = " · ") -> list[str]:
    """``text`` split at ``sep`` (else at spaces) into lines no wider than ``max_px``
    (at most three)."""
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
