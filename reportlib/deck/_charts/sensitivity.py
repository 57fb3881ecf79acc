"""Sensitivity of the north stars to the definitions in force: one row per (KPI, policy),
each alternative's value on one relative scale."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from reportlib import format as F
from reportlib import registry as reg
from reportlib.deck import _style as S
from reportlib.deck._charts._drawing import empty, in_board_style

__all__ = ["sensitivity_ranges"]

NOTHING_MOVES = "No north star moves with the alternative definitions"


def _reported(g: pd.DataFrame) -> float:
    """The value in force of one (KPI, policy) group: every row is drawn relative to it
    (its largest value when the one in force is blank or zero)."""
    now = g.loc[g["in_force"].astype(bool), "kpi_value"].astype(float)
    if len(now) and now.iloc[0]:
        return float(now.iloc[0])
    return float(g["kpi_value"].astype(float).abs().max() or 1.0)


def _range_row(ax: Axes, kpi: str, g: pd.DataFrame, half: float, currency: str | None, words: str) -> None:
    """One (KPI, policy): the range as a grey bar, a dot per alternative labelled with its
    value (alternatives printing the same value share a label), the value in force dark."""
    unit, base = reg.get(kpi).unit, _reported(g)
    rel = g["kpi_value"].astype(float).to_numpy() / base
    ax.set_xlim(1 - half, 1 + half)
    ax.set_ylim(-1, 1)
    ax.plot([np.nanmin(rel), np.nanmax(rel)], [0, 0], color=S.NEUTRAL, lw=8, solid_capstyle="round", alpha=0.6)
    ax.axvline(1.0, color=S.NEUTRAL, lw=0.8, ls=":")
    shown: dict[str, list[str]] = {}
    now_text = ""
    texts = [F.value(v, unit, currency) for v in g["kpi_value"]]
    labels = g["choice"] if "choice" in g else g["policy_value"]  # the value in words, when given
    for text, r, label, now in zip(texts, rel, labels.astype(str), g["in_force"].astype(bool), strict=True):
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
        r = float(rel[[t == text for t in texts]][0])
        y = -0.42 if all(abs(r - q) > 0.3 * half for q in placed) else -0.85
        placed.append(r)
        ax.text(r, y, f"{text} ({', '.join(labels)})", ha="center", va="top", fontsize=10.5, color=S.MUTED)
    ax.text(1 - half, 0, f"{reg.get(kpi).label}\nby {words}  ", ha="right", va="center", fontsize=11.5, color=S.INK)
    ax.set_axis_off()


@in_board_style
def sensitivity_ranges(
    sensitivity: pd.DataFrame,
    currency: str | None = None,
    policy_words: Mapping[str, str] | None = None,
    size: tuple[float, float] | None = None,
) -> Figure:
    """One row per (KPI, policy): the range of the KPI over the policy's alternative values
    (a grey bar), each alternative a dot labelled with its value, the value in force dark
    and bold. Every row is on one relative scale (value / value in force), so that a 1%
    spread looks 1% wide and not as wide as a 30% one.

    Parameters
    ----------
    sensitivity : DataFrame
        The ``sensitivity`` table: kpi, policy, policy_value, kpi_value, in_force.
    currency : str, optional
        ISO code of money values.
    policy_words : mapping of str to str, optional
        Policy -> how it is named on the page (default: the policy in words).
    size : (float, float), optional
        Figure size; by default 12.6 inches wide and tall enough for the rows.

    Returns
    -------
    Figure
        One Axes per row.
    """
    if sensitivity.empty:
        return empty(None, NOTHING_MOVES).figure
    data = sensitivity[sensitivity["kpi_value"].notna()]
    groups = [(key, g) for key, g in data.groupby(["kpi", "policy"], sort=False) if len(g) > 1]
    if not groups:
        return empty(None, NOTHING_MOVES).figure
    spread = max(float(np.nanmax(np.abs(g["kpi_value"].astype(float) / _reported(g) - 1))) for _, g in groups)
    half = max(spread * 1.25, 0.02)
    fig, axes = plt.subplots(
        len(groups), 1, figsize=size or (12.6, 0.95 * len(groups) + 0.6), squeeze=False, layout="none"
    )
    for ax, ((kpi, policy), g) in zip(axes[:, 0], groups, strict=True):
        words = (policy_words or {}).get(policy, policy.replace("_", " "))
        _range_row(ax, kpi, g, half, currency, words)
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
