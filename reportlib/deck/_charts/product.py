"""Product usage and NPS on one page: the headline figures, core-feature adoption and
NPS split into promoters, passives and detractors."""

from __future__ import annotations

import re
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure

from reportlib import format as F
from reportlib.deck import _style as S
from reportlib.deck._charts._drawing import empty, fit_text, in_board_style, legend_below, period_labels, shorten
from reportlib.values import is_blank

__all__ = ["usage_nps"]

_FEATURE_WORDS = {"api": "API", "sso": "SSO", "csv": "CSV", "ai": "AI", "crm": "CRM", "bi": "BI"}
#: NPS answer groups, stacked bottom-up.
NPS_GROUPS = (
    ("nps_detractors", "Detractors (0–6)", "red"),
    ("nps_passives", "Passives (7–8)", "neutral"),
    ("nps_promoters", "Promoters (9–10)", "green"),
)


def feature_label(name: str) -> str:
    """'api_calls' -> 'API calls', 'data_connectors' -> 'Data connectors'."""
    words = str(name).replace("_", " ").replace("-", " ").split()
    out = [_FEATURE_WORDS.get(w.lower(), w) for w in words]
    if out and out[0] == words[0]:
        out[0] = out[0][:1].upper() + out[0][1:]
    return " ".join(out)


def nps_period_label(row: Mapping[str, object]) -> str:
    """'Aug 2026 – Oct 2026' (the nps table's window, en dash or hyphen) -> 'Aug–Oct\\n2026';
    else the as-of month as 'Oct 26'."""
    text = str(row["period"] or "")
    parts = [p.strip().split() for p in re.split(r" [–-] ", text)]
    parts = parts if len(parts) == 2 else []
    if len(parts) == 2 and all(len(p) == 2 for p in parts):
        (m0, _y0), (m1, y1) = parts
        return f"{m0}–{m1}\n{y1}"
    if not is_blank(row["as_of"]):
        return period_labels([str(row["as_of"])])[0]
    return text


def _headline(head: SubFigure, kpis: pd.DataFrame, period_label: str, width_in: float) -> None:
    """The headline figures spread over the full width: label, value, change."""
    items = kpis.to_dict("records")
    n = max(len(items), 1)
    renderer = head.figure.canvas.get_renderer()
    slot_px = width_in / n * 0.9 * head.figure.dpi
    for i, r in enumerate(items):
        x = 0.01 + i / n
        kpi, unit = str(r["kpi"]), str(r["unit"])
        if kpi == "usage_depth":
            value, label = F.number(r["value"], decimals=0), "Events per account a month"
        else:
            value, label = F.value(r["value"], unit), str(r["label"])
        t = head.text(x, 0.95, label, fontsize=12, color=S.MUTED, fontweight="bold", va="top")
        fit_text(t, slot_px, renderer, min_size=10)
        head.text(x, 0.50, value, fontsize=24, color=S.INK, fontweight="bold", va="center")
        if not is_blank(r["change"]):
            text = f"{F.change(r['change'], unit)} vs {period_label}"
            head.text(x, 0.08, text, fontsize=11.5, color=S.INK, va="bottom")


def _adoption_panel(ax: Axes, adoption: pd.DataFrame, max_features: int) -> None:
    """Share of active accounts using each feature, most adopted first."""
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
    ax.set_yticks(y, [shorten(feature_label(f), 22) for f in d["feature"]])
    ax.set_ylim(len(d) - 0.5, -0.5)
    ax.set_xlim(0, 1.0)
    ax.xaxis.set_major_formatter(S.pct_formatter())
    ax.grid(axis="x", visible=True)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("Share of active accounts using the feature")
    ax.set_title("Core-feature adoption", fontsize=14)


def _nps_panel(ax: Axes, nps: pd.DataFrame) -> None:
    """Promoters, passives and detractors stacked per period, the NPS written above."""
    d = nps.reset_index(drop=True)
    x = np.arange(len(d))
    bottom = np.zeros(len(d))
    colors = {"red": S.RED, "neutral": S.NEUTRAL, "green": S.GREEN}
    for column, name, color in NPS_GROUPS:
        v = d[column].fillna(0).astype(float).to_numpy()
        ax.bar(x, v, bottom=bottom, color=colors[color], width=0.66, label=name)
        bottom = bottom + v
    for i, v in enumerate(d["nps"]):
        text = "–" if is_blank(v) else F.number(v, decimals=0)
        ax.text(x[i], 1.02, text, ha="center", va="bottom", fontsize=12, fontweight="bold", color=S.INK)
    ax.text(-0.5, 1.12, "NPS", fontsize=11, color=S.MUTED, va="bottom", fontweight="bold")
    ax.set_xticks(x, [nps_period_label(r) for r in d.to_dict("records")], fontsize=10 if len(d) > 6 else 12)
    ax.set_ylim(0, 1.2)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.yaxis.set_major_formatter(S.pct_formatter())
    ax.set_ylabel("Share of responses")
    ax.set_title("NPS over time: promoters, passives, detractors", fontsize=14)
    legend_below(ax, ncols=3, fontsize=11)


@in_board_style
def usage_nps(
    kpis: pd.DataFrame,
    adoption: pd.DataFrame,
    nps: pd.DataFrame,
    period_label: str = "prior period",
    max_features: int = 8,
    size: tuple[float, float] = S.TALL,
) -> Figure:
    """Product usage and NPS on one page: the headline figures (DAU/MAU, monthly active
    users, active accounts, usage depth, NPS) with their change, core-feature adoption
    and NPS by period split into promoters, passives and detractors.

    Parameters
    ----------
    kpis : DataFrame
        Rows of kpis.csv for the headline: kpi, label, value, unit, change.
    adoption : DataFrame
        The ``feature_adoption`` table: feature, adoption (empty: no panel).
    nps : DataFrame
        The ``nps`` table: period, as_of, nps, nps_promoters, nps_passives,
        nps_detractors (empty: no panel).
    period_label : str
        How the prior period is named ("prior quarter").

    Returns
    -------
    Figure
        A headline subfigure over one Axes per panel.
    """
    if kpis.empty and adoption.empty and nps.empty:
        return empty(None, "No product-usage or NPS data").figure
    fig = plt.figure(figsize=size)
    panels = [p for p, table in (("adoption", adoption), ("nps", nps)) if not table.empty]
    head, body = fig.subfigures(2, 1, height_ratios=[0.85, 3.25] if panels else [1, 0.01])
    _headline(head, kpis, period_label, size[0])
    widths = {"adoption": 1.0, "nps": 1.4}
    gs = body.add_gridspec(1, max(len(panels), 1), width_ratios=[widths[p] for p in panels] or [1])
    for col, panel in enumerate(panels):
        ax = body.add_subplot(gs[0, col])
        if panel == "adoption":
            _adoption_panel(ax, adoption, max_features)
        else:
            _nps_panel(ax, nps)
    return fig
