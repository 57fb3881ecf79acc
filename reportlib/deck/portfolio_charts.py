"""Charts of the portfolio summary: league table, investor scatters, lists.

Drawing only, in the board-deck style of :mod:`reportlib.deck.charts`: every number comes
from :class:`reportlib.portfolio.PortfolioSummary`. Status colours are the pack's green /
amber / red; companies falling behind are written in red.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from reportlib import format as F
from reportlib.deck import _style as S
from reportlib.deck._charts._drawing import message_figure
from reportlib.deck._html import md_text
from reportlib.deck._style import board_style
from reportlib.values import is_blank

__all__ = [
    "league_table",
    "scatter",
    "behind_markdown",
    "failures_markdown",
    "headline_markdown",
    "history_markdown",
    "totals_markdown",
]

_GTM = {"sales-led": "SLG", "product-led": "PLG", "hybrid": "hybrid"}
_STATUS_RANK = {"red": 3, "amber": 2, "green": 1, "": 0}


def _units(kpis: pd.DataFrame) -> dict[str, str]:
    return kpis.groupby("kpi")["unit"].first().to_dict()


def _labels(kpis: pd.DataFrame) -> dict[str, str]:
    return kpis.groupby("kpi")["label"].first().to_dict()


def _north_stars(companies: pd.DataFrame) -> list[str]:
    """Every company's north stars, the most common first."""
    counts: dict[str, int] = {}
    for stars in companies["north_star"]:
        for k in filter(None, str(stars).split(",")):
            counts[k] = counts.get(k, 0) + 1
    return sorted(counts, key=lambda k: -counts[k])


def _league_columns(companies: pd.DataFrame, extra: Sequence[str]) -> list[str]:
    """The north stars, then ``extra`` (ARR growth, runway) unless already among them."""
    stars = _north_stars(companies)
    return stars + [k for k in extra if k not in stars] if stars else []


def _month(month: object) -> str:
    """'2026-04' -> 'Apr 2026'."""
    return pd.Period(str(month)[:7], freq="M").strftime("%b %Y") if not is_blank(month) and str(month) else ""


# --------------------------------------------------------------------------------------
# league table


def league_table(
    companies: pd.DataFrame,
    kpis: pd.DataFrame,
    max_rows: int = 18,
    offset: int = 0,
    extra: Sequence[str] = ("arr_growth_yoy", "runway_months"),
) -> Figure:
    """Each company's north stars and the ``extra`` KPIs with their statuses (cell tint),
    behind in red, a stale company's last month of data in amber, and each company's
    period under its stage when the companies report different periods.

    Parameters
    ----------
    companies, kpis
        ``PortfolioSummary.companies`` and ``.kpis``.
    max_rows, offset
        The slice of companies drawn (one page holds about 18).
    extra
        KPI columns after the north stars (``summary.LEAGUE_KPIS``).
    """
    cols = _league_columns(companies, extra)
    rows = companies.iloc[offset : offset + max_rows]
    if rows.empty or not cols:
        return message_figure("No company finished its pack: there is nothing to compare.")
    units, labels = _units(kpis), _labels(kpis)
    cells = kpis.set_index(["company", "kpi"])
    periods = "other_period" in companies and bool(companies["other_period"].astype(bool).any())
    with board_style():
        fig = plt.figure(figsize=(12.6, 0.42 * (len(rows) + 1) + 0.3))
        fig.set_layout_engine("none")
        fig.add_axes((0, 0, 1, 1)).set_axis_off()  # a figure without axes is not displayed
        xs = _column_positions(len(cols))
        _header(fig, xs, ["Company", "Stage · GTM · currency"] + [labels.get(k, k) for k in cols], len(rows))
        for i, comp in enumerate(rows.itertuples()):
            y = 1 - (i + 1.5) / (len(rows) + 1)
            _company_cells(fig, xs, y, comp, periods)
            for j, kpi in enumerate(cols):
                row = cells.loc[(comp.company, kpi)] if (comp.company, kpi) in cells.index else None
                _kpi_cell(
                    fig,
                    (xs[j + 2], xs[j + 3] - xs[j + 2] - 0.008),
                    y,
                    1 / (len(rows) + 1),
                    row,
                    units.get(kpi),
                    comp.currency,
                    star=kpi in str(comp.north_star).split(","),
                )
    return fig


def _column_positions(n: int) -> list[float]:
    width = (1 - 0.33) / max(n, 1)
    return [0.0, 0.19] + [0.33 + j * width for j in range(n)] + [1.0]


def _header(fig: Figure, xs: Sequence[float], names: Sequence[str], n: int) -> None:
    y = 1 - 0.5 / (n + 1)
    for i, (x, name) in enumerate(zip(xs, names, strict=False)):
        chars = max(8, int((xs[i + 1] - x) * 120)) if i + 1 < len(xs) else 14
        fig.text(
            x + 0.005,
            y,
            textwrap.fill(name, chars),
            fontsize=10.5,
            fontweight="bold",
            color=S.MUTED,
            va="center",
            linespacing=1.0,
        )
    fig.add_artist(plt.Line2D([0, 1], [1 - 1 / (n + 1)] * 2, color=S.INK, lw=0.8))


def _company_cells(fig: Figure, xs: Sequence[float], y: float, comp: Any, periods: bool = False) -> None:
    color = S.RED if bool(comp.behind) else S.INK
    name = str(comp.name) + ("  ▼" if bool(comp.behind) else "")
    fig.text(xs[0] + 0.005, y, name[:30], fontsize=12, fontweight="bold", color=color, va="center")
    gtm = _GTM.get(str(comp.gtm), comp.gtm)
    meta = " · ".join(str(v) for v in (comp.stage, gtm, comp.currency) if not is_blank(v))
    stale = bool(comp.stale)
    second = stale or periods
    fig.text(
        xs[1] + 0.005,
        y + (0.012 if second else 0),
        meta,
        fontsize=10,
        color=S.MUTED,
        va="bottom" if second else "center",
    )
    if second:
        other = bool(getattr(comp, "other_period", False))
        fig.text(
            xs[1] + 0.005,
            y - 0.004,
            f"data to {_month(comp.last_month)}" if stale else str(comp.period),
            fontsize=10 if stale else 9,
            color=S.STATUS_COLORS["amber"] if stale else (S.INK if other else S.MUTED),
            fontweight="bold" if stale else "normal",  # the period in bold overruns the cell
            va="top",
        )


def _kpi_cell(
    fig: Figure,
    cell: tuple[float, float],
    y: float,
    h: float,
    row: pd.Series | None,
    unit: str | None,
    currency: str,
    star: bool,
) -> None:
    x, w = cell
    if row is None:
        fig.text(x + 0.005, y, "–", fontsize=12, color=S.MUTED, va="center")
        return
    status = S.status_key(row["status"])
    fig.add_artist(
        Rectangle(
            (x, y - h * 0.42),
            w,
            h * 0.84,
            transform=fig.transFigure,
            facecolor=S.STATUS_TINTS[status],
            edgecolor="none",
        )
    )
    text = F.value(row["value"], unit, currency)
    fig.text(x + 0.008, y, text, fontsize=12.5, va="center", color=S.INK, fontweight="bold" if star else "normal")
    if status:
        fig.text(x + w - 0.007, y, "●", fontsize=11, va="center", ha="right", color=S.STATUS_COLORS[status])


# --------------------------------------------------------------------------------------
# scatter plots


def scatter(
    companies: pd.DataFrame,
    kpis: pd.DataFrame,
    x: str,
    y: str,
    bands: Mapping[str, tuple[float, float]],
    fund_currency: str | None = None,
    size=(12.6, 4.9),
) -> Figure:
    """One dot per company: ``x`` against ``y``, benchmark bands tinted behind.

    Dot colour is the worse of the two statuses; dot area is ARR in the fund currency
    (with fx, :func:`_dot_areas`; a ring where a company has none) or equal; companies falling
    behind are labelled in red.
    """
    units, labels = _units(kpis), _labels(kpis)
    data = companies.dropna(subset=[x, y])
    missing = companies.loc[~companies.index.isin(data.index), "name"].tolist()
    with board_style():
        fig, ax = plt.subplots(figsize=size)
        if data.empty:
            ax.set_axis_off()
            ax.text(
                0.5,
                0.5,
                f"No company has both {labels.get(x, x)} and {labels.get(y, y)}",
                ha="center",
                va="center",
                color=S.MUTED,
                transform=ax.transAxes,
            )
            return fig
        _limits(ax, data[x], data[y], bands.get(x), bands.get(y))
        _bands(ax, bands.get(x), "x")
        _bands(ax, bands.get(y), "y")
        areas = _dot_areas(data, fund_currency)
        _dots(ax, data, x, y, areas)
        ax.set_xlabel(labels.get(x, x))
        ax.set_ylabel(labels.get(y, y))
        ax.xaxis.set_major_formatter(S.value_formatter(units.get(x)))
        ax.yaxis.set_major_formatter(S.value_formatter(units.get(y)))
        ax.grid(True, axis="both")
        _footnote(fig, ax, x, y, bands, missing, fund_currency, bool(areas.isna().any()))
    return fig


def _limits(ax, xs: pd.Series, ys: pd.Series, xband, yband) -> None:
    for values, band, setter in ((xs, xband, ax.set_xlim), (ys, yband, ax.set_ylim)):
        pts = list(values.astype(float)) + (list(band) if band else [])
        lo, hi = min(pts), max(pts)
        pad = (hi - lo) * 0.12 or abs(hi) * 0.2 or 1.0
        setter(lo - pad, hi + pad)


def _bands(ax, band: tuple[float, float] | None, axis: str) -> None:
    """Tint the green / amber / red regions of one axis's benchmark."""
    if not band:
        return
    green, red = band
    lo, hi = ax.get_xlim() if axis == "x" else ax.get_ylim()
    if green > red:  # higher is better
        spans = [(green, hi, "green"), (red, green, "amber"), (lo, red, "red")]
    else:
        spans = [(lo, green, "green"), (green, red, "amber"), (red, hi, "red")]
    span = ax.axvspan if axis == "x" else ax.axhspan
    line = ax.axvline if axis == "x" else ax.axhline
    for a, b, status in spans:
        if b > a:
            span(a, b, color=S.STATUS_COLORS[status], alpha=0.08, lw=0, zorder=0)
    for edge in (green, red):
        line(edge, color=S.MUTED, lw=0.9, ls="--", zorder=1)


#: Dot area (points²) of the largest ARR, of a company drawn without one, and the least area.
_AREA_MAX, _AREA_EQUAL, _AREA_MIN = 960.0, 160.0, 24.0


def _dot_areas(data: pd.DataFrame, fund_currency: str | None) -> pd.Series:
    """Each company's dot area: proportional to its ARR in the fund currency (``arr_fund``,
    with fx; the least dot kept visible), NaN for a company without one (no fx rate), and
    equal for all without fx."""
    arr = data["arr_fund"].clip(lower=0) if fund_currency and "arr_fund" in data else None
    if arr is None or not (arr.max() > 0):
        return pd.Series(_AREA_EQUAL, data.index)
    return (_AREA_MAX * arr / arr.max()).clip(lower=_AREA_MIN)


def _dots(ax, data: pd.DataFrame, x: str, y: str, area: pd.Series) -> None:
    """One dot per company, of ``area`` (:func:`_dot_areas`; a ring where it is NaN), labelled."""
    offsets = _label_offsets(ax, data[x].astype(float), data[y].astype(float))
    for comp, s, offset in zip(data.to_dict("records"), area, offsets, strict=False):
        status = max(
            (comp[f"{x}_status"], comp[f"{y}_status"]),
            key=lambda v: _STATUS_RANK.get(S.status_key(v), 0),
        )
        color = S.status_color(status)
        sized = not pd.isna(s)  # a company without ARR in the fund currency: a ring, not a small dot
        ax.scatter(
            comp[x],
            comp[y],
            s=float(s) if sized else _AREA_EQUAL,
            color=color if sized else "none",
            alpha=0.85,
            edgecolor="white" if sized else color,
            linewidth=1.2 if sized else 2.0,
            zorder=3,
        )
        behind = bool(comp["behind"])
        stale = f" (data to {_month(comp['last_month'])})" if comp.get("stale") and comp.get("last_month") else ""
        ax.annotate(
            str(comp["name"])[:22] + stale,
            (comp[x], comp[y]),
            xytext=offset,
            textcoords="offset points",
            fontsize=10.5,
            zorder=4,
            color=S.RED if behind else S.INK,
            fontweight="bold" if behind else "normal",
        )


#: A label's vertical offsets (points) from its dot: above, below, higher, lower, ...
_LABEL_ROWS = (5, -14, 18, -27, 31, -40)


def _label_offsets(ax, xs: pd.Series, ys: pd.Series) -> list[tuple[int, int]]:
    """Label offsets (points) that move a label to the next free row of :data:`_LABEL_ROWS`
    when another dot's label would sit on it (dots closer than a few percent of the axes)."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    nx, ny = (xs - x0) / (x1 - x0), (ys - y0) / (y1 - y0)
    placed: list[tuple[float, float, int]] = []
    out = []
    for px, py in zip(nx, ny, strict=False):
        crowded = {dy for qx, qy, dy in placed if abs(px - qx) < 0.15 and abs(py - qy) < 0.06}
        dy = next((d for d in _LABEL_ROWS if d not in crowded), _LABEL_ROWS[0])
        placed.append((px, py, dy))
        out.append((7, dy))
    return out


def _footnote(fig, ax, x, y, bands, missing, fund_currency, unsized: bool = False) -> None:
    parts = ["dot colour: the worse benchmark status; dashed lines: benchmark band edges"]
    if fund_currency:
        parts.append(f"dot area: ARR in {fund_currency}")
        if unsized:
            parts.append(f"ring: no ARR in {fund_currency} (no fx rate)")
    if not bands.get(x) and not bands.get(y):
        parts[0] = "dot colour: the worse benchmark status (no benchmark band on these axes)"
    if missing:
        shown = ", ".join(map(str, missing[:6])) + (" …" if len(missing) > 6 else "")
        parts.append(f"not shown (value blank): {shown}")
    ax.text(0, -0.17, " · ".join(parts), transform=ax.transAxes, fontsize=10, color=S.MUTED, va="top")


# --------------------------------------------------------------------------------------
# lists (markdown, rendered as tables by the template)


def headline_markdown(companies: pd.DataFrame, runs: pd.DataFrame, as_of: str, period: str = "") -> str:
    """The summary's first lines: companies compared, failed packs, companies falling
    behind, each company reporting another period than the summary's ``period`` and each
    stale company with the last month of its data."""
    failed = runs[runs["status"] == "failed"] if len(runs) else runs
    behind = int(companies["behind"].astype(bool).sum())
    lines = [
        f"**{len(companies)} companies compared** · "
        + (f"**{len(failed)} pack(s) failed** (listed at the end)" if len(failed) else "no pack failed")
        + f" · **{behind} falling behind**"
    ]
    other = companies[companies["other_period"].astype(bool)] if "other_period" in companies else companies.iloc[:0]
    if len(other):
        names = "; ".join(f"{md_text(r.name)} reports {md_text(r.period)}" for r in other.itertuples())
        lines.append(f"**Other periods**: {names}" + (f"; the summary is of {md_text(period)}." if period else "."))
    stale = companies[companies["stale"].astype(bool)] if "stale" in companies else companies.iloc[:0]
    if len(stale):
        names = ", ".join(f"{md_text(r.name)} (data to {_month(r.last_month)})" for r in stale.itertuples())
        lines.append(f"**Stale data**: {names}; their KPIs are as of their last month, not {_month(as_of)}.")
    return "\n\n".join(lines)


def totals_markdown(totals: pd.DataFrame, fund_currency: str | None) -> str:
    """The portfolio sums: one row per KPI, one column per currency (and one for the fund
    currency with fx), each value formatted for its registry unit."""
    if totals.empty:
        return ""
    own = totals[totals["scope"] == "currency"]
    currencies = list(dict.fromkeys(own["currency"]))
    head = [f"{md_text(c)} companies" for c in currencies]
    if fund_currency:
        head.append(f"all, in {md_text(fund_currency)}")
    lines = ["| | " + " | ".join(head) + " |", "|:---|" + "---:|" * len(head)]
    for _kpi, rows in totals.groupby("kpi", sort=False):
        cells = [_total_cell(rows[(rows["scope"] == "currency") & (rows["currency"] == c)], c) for c in currencies]
        if fund_currency:
            cells.append(_total_cell(rows[rows["scope"] == "fund"], fund_currency))
        lines.append(f"| **{md_text(rows['label'].iloc[0])}** | " + " | ".join(cells) + " |")
    notes = list(dict.fromkeys(n for n in totals["note"] if n))  # one sentence once, not per KPI
    if notes:
        lines += ["", "Note: " + " · ".join(md_text(n) for n in notes)]
    if not fund_currency:
        lines += [
            "",
            # read by the fund's partners: what is missing, not the command that adds it
            "Sums are per currency: no exchange rates were given. With monthly rates to the "
            "fund currency (the fund's FX file) they add up in the fund currency.",
        ]
    return "\n".join(lines)


def _total_cell(rows: pd.DataFrame, currency: str) -> str:
    if rows.empty:
        return "–"
    r = rows.iloc[0]
    return f"{F.value(r['value'], r['unit'], currency)} ({int(r['companies'])})"


def history_markdown(history: pd.DataFrame, companies: pd.DataFrame, kpis: pd.DataFrame) -> str:
    """Each company's north stars as issued in its last packs: one row per company and
    pack (oldest first), named by the period its figures are of (a fiscal company's pack
    made at 2026-09 is 'FY2027 Q2'), one column per north star; blank where that pack had none."""
    if history.empty:
        return "No earlier pack was found under the output folder."
    units, labels = _units(kpis), _labels(kpis)
    present = set(history["kpi"])
    cols = [k for k in _north_stars(companies) if k in present]
    names = companies.set_index("company")["name"].to_dict()
    currency = companies.set_index("company")["currency"].to_dict()
    lines = [
        f"| {_nowrap('Company')} | Period | " + " | ".join(md_text(labels.get(k, k)) for k in cols) + " |",
        "|:---|:---|" + "---:|" * len(cols),
    ]
    wide = history.pivot_table(index=["company", "as_of"], columns="kpi", values="value", aggfunc="first", sort=False)
    named = history.drop_duplicates(["company", "as_of"]).set_index(["company", "as_of"])
    for (company, as_of), row in wide.iterrows():
        period = str(named.at[(company, as_of), "period"]) if "period" in named else ""
        cells = [F.value(row.get(k), units.get(k), currency.get(company)) for k in cols]
        lines.append(
            f"| {_nowrap(md_text(names.get(company, company)))} | {_nowrap(md_text(period) or _month(as_of))} | "
            + " | ".join(cells)
            + " |"
        )
    return "\n".join(lines)


def behind_markdown(companies: pd.DataFrame) -> str:
    """The companies falling behind and why (one line when none is)."""
    rows = companies[companies["behind"].astype(bool)]
    if rows.empty:
        return "No company is below its benchmark bands on the watched KPIs."
    lines = [f"| Company | {_nowrap('Stage · GTM')} | Why |", "|:---|:---|:---|"]
    for r in rows.itertuples():
        lines.append(
            f"| {_nowrap(f'<b>{md_text(r.name)}</b>')} | {md_text(r.stage)} · {md_text(r.gtm)} "
            f"| {md_text(r.behind_reasons)} |"
        )
    return "\n".join(lines)


def failures_markdown(runs: pd.DataFrame) -> str:
    """The packs that failed, with their reasons ("" when none did: the headline says so)."""
    rows = runs[runs["status"] == "failed"] if len(runs) else runs
    if rows.empty:
        return ""
    lines = [f"| {_nowrap('Company')} | {_nowrap('Segment')} | Reason |", "|:---|:---|:---|"]
    for r in rows.itertuples():
        lines.append(
            f"| {_nowrap(md_text(r.company))} | {_nowrap(md_text(r.segment or 'all'))} | {md_text(r.reason)} |"
        )
    return "\n".join(lines)


def _nowrap(text: str) -> str:
    return f'<span style="white-space: nowrap">{text}</span>'
