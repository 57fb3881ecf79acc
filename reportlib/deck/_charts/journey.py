"""The customer journey: the funnel of the period and stage-to-stage conversion by entry
cohort. Counts, conversions and rates are the metrics layer's; nothing is recomputed."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from reportlib import format as F
from reportlib.deck import _style as S
from reportlib.deck._charts._drawing import (
    axes_for,
    empty,
    format_time_axis,
    in_board_style,
    legend_below,
    to_timestamps,
)
from reportlib.values import is_blank

__all__ = ["funnel", "funnel_cohorts"]

#: The funnel's stage names (``funnel.stage``, ``funnel_cohorts.stage_from`` / ``stage_to``).
STAGE_LABELS = {
    "visitors": "Visitors",
    "created": "Leads",
    "signup": "Sign-ups",
    "pql": "PQLs",
    "customer": "Customers",
}


def stage_label(stage: str) -> str:
    """'signup' -> 'Sign-ups'; an unknown stage in words."""
    return STAGE_LABELS.get(str(stage).lower(), str(stage).replace("_", " ").capitalize())


@in_board_style
def funnel(
    stages: pd.DataFrame,
    title: str = "Stage counts this period; ↓ each as a share of the stage above (same months, not a cohort)",
    ax: Axes | None = None,
    size: tuple[float, float] = S.FULL,
) -> Axes:
    """Horizontal funnel: one bar per stage (its count, on a linear scale), its count as a
    share of the stage above written between bars. The stages are counted in the same months
    (a PQL of this quarter may have signed up last quarter), so the share is a period ratio,
    not a cohort's conversion (:func:`funnel_cohorts` draws that).

    Parameters
    ----------
    stages : DataFrame
        The ``funnel`` table: stage, count, conversion_from_previous (a fraction, blank for
        the first stage).
    ax : Axes, optional
        Where to draw; a new figure of ``size`` inches when None.

    Returns
    -------
    Axes
    """
    if stages.empty:
        return empty(ax, "No customer-journey data", size)
    data = stages.reset_index(drop=True)
    n = len(data)
    ax = axes_for(ax, size)
    counts = data["count"].astype(float).to_numpy()
    # widths on a linear scale, so that a bar looks as many times longer as its count is
    # larger; a stage too small to see still shows its count beside the bar
    shown = np.nan_to_num(counts)
    widest = float(np.nanmax(shown)) if np.nanmax(shown) > 0 else 1.0
    blues = plt.get_cmap("Blues")
    for i, (stage, c, w, conversion) in enumerate(
        zip(data["stage"], counts, shown, data["conversion_from_previous"], strict=True)
    ):
        ax.barh(i, w, left=(widest - w) / 2, color=blues(0.9 - 0.55 * i / max(n - 1, 1)), height=0.7)
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
        ax.text(-widest * 0.01, i, stage_label(stage), ha="right", va="center", fontsize=14, color=S.INK)
        if i > 0 and not is_blank(conversion):
            ax.text(
                widest * 1.01,
                i - 0.5,
                f"↓ {F.percent(conversion, decimals=1)}",
                ha="left",
                va="center",
                fontsize=12.5,
                color=S.MUTED,
            )
    ax.set_ylim(n - 0.5, -0.6)
    ax.set_xlim(-widest * 0.16, widest * 1.2)
    ax.set_axis_off()
    ax.set_title(title)
    return ax


@in_board_style
def funnel_cohorts(
    cohorts: pd.DataFrame,
    dimension: str = "all",
    title: str = "Stage-to-stage conversion by entry cohort",
    ax: Axes | None = None,
    size: tuple[float, float] = S.FULL,
) -> Axes:
    """Conversion from each stage to the next by the month leads entered: recent cohorts
    still maturing show as lower points.

    Parameters
    ----------
    cohorts : DataFrame
        The ``funnel_cohorts`` table: cohort, dimension, stage_from, stage_to, rate.
    dimension : str
        The rows drawn (``"all"``: every lead).
    ax : Axes, optional
        Where to draw; a new figure of ``size`` inches when None.

    Returns
    -------
    Axes
        One line per transition, its points the table's ``rate``.
    """
    data = cohorts[cohorts["dimension"].astype(str) == dimension] if not cohorts.empty else cohorts
    if data.empty:
        return empty(ax, "No funnel cohorts", size)
    ax = axes_for(ax, size)
    transitions = list(dict.fromkeys(zip(data["stage_from"], data["stage_to"], strict=True)))
    for i, (a, b) in enumerate(transitions):
        sub = data[(data["stage_from"] == a) & (data["stage_to"] == b)].sort_values("cohort")
        label = f"{stage_label(a)} → {stage_label(b)}"
        ax.plot(
            to_timestamps(sub["cohort"]),
            sub["rate"].astype(float),
            marker="o",
            ms=4,
            label=label,
            color=S.SERIES[i % len(S.SERIES)],
        )
    ax.yaxis.set_major_formatter(S.pct_formatter())
    ax.set_ylabel("Converted to next stage")
    ax.set_xlabel("Month the cohort entered the stage")
    top = float(data["rate"].astype(float).max())
    ax.set_ylim(0, min(1.05, top * 1.12) if np.isfinite(top) and top > 0 else None)
    format_time_axis(ax, to_timestamps(sorted(data["cohort"].unique())))
    legend_below(ax, ncols=4)
    ax.set_title(title)
    return ax
