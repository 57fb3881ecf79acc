"""The KPI hierarchy: north star -> diagnostic -> granular as a tree of boxes in their
status colours."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Rectangle

from reportlib import format as F
from reportlib.deck import _style as S
from reportlib.deck._charts._drawing import empty, shorten, styled
from reportlib.values import is_blank

__all__ = ["kpi_tree"]

Node = dict[str, object]
#: Where a node sits: (depth, node, y).
Placed = tuple[int, Node, float]
Edge = tuple[tuple[int, float], tuple[int, float]]


def _layout(items: list[Node], max_children: int) -> tuple[list[Placed], list[Edge], float]:
    """Place every root and its children (two levels below it, at most ``max_children``
    each): a leaf takes one row, a parent sits halfway between its first and last child.
    Returns the nodes, the edges and the rows used."""
    by_parent: dict[str, list[Node]] = {}
    roots = []
    for r in items:
        if is_blank(r["parent"]) or r["tier"] == "north_star":
            roots.append(r)
        else:
            by_parent.setdefault(str(r["parent"]), []).append(r)
    layout: list[Placed] = []
    edges: list[Edge] = []
    y = [0.0]

    def place(node: Node, depth: int, seen: frozenset[str]) -> float:
        kids = [k for k in by_parent.get(str(node["kpi"]), []) if str(k["kpi"]) not in seen]
        kids = kids[:max_children] if depth < 2 else []
        if not kids:
            my = y[0]
            y[0] += 1
        else:
            ys = [place(k, depth + 1, seen | {str(node["kpi"])}) for k in kids]
            my = (ys[0] + ys[-1]) / 2
            edges.extend(((depth, my), (depth + 1, cy)) for cy in ys)
        layout.append((depth, node, my))
        return my

    for r in roots:
        place(r, 0, frozenset())
        y[0] += 0.35
    return layout, edges, max(y[0] - 0.35, 1)


def _box(
    ax: Axes, x: float, w: float, yy: float, box_h: float, node: Node, depth: int, fs: float, cur: str | None
) -> None:
    """One node: a rounded box tinted by status with a status stripe, label left, value right."""
    status = S.status_key(node["status"])
    color = S.STATUS_COLORS[status]
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
    size = fs + (1 if depth == 0 else 0)
    label = shorten(node["label"], 30)
    weight = "bold" if depth == 0 else "normal"
    ax.text(x + 0.05, yy, label, va="center", ha="left", fontsize=size, fontweight=weight, color=S.INK, zorder=4)
    value = F.value(node["value"], str(node["unit"]), cur)
    ax.text(x + w - 0.03, yy, value, va="center", ha="right", fontsize=size, fontweight="bold", color=S.INK, zorder=4)


@styled
def kpi_tree(
    hierarchy: pd.DataFrame,
    currency: str | None = None,
    max_children: int = 4,
    title: str | None = None,
    size: tuple[float, float] = S.TALL,
) -> Figure:
    """North star -> diagnostic -> granular, left to right, each node a box in its status
    colour with label and value.

    Parameters
    ----------
    hierarchy : DataFrame
        The ``kpi_tree`` table: kpi, label, tier (north_star / diagnostic / granular),
        parent (the kpi it explains; blank for north stars), value, unit, status.
    currency : str, optional
        ISO code of money values.
    max_children : int
        Children drawn under a node.
    title : str, optional
        A title over the tree.

    Returns
    -------
    Figure
        One Axes spanning the page under the title.
    """
    if hierarchy.empty:
        return empty(None, "No KPI hierarchy").figure
    layout, edges, total = _layout(hierarchy.to_dict("records"), max_children)
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
        x0, x1 = col_x[d0] + box_w[d0], col_x[d1]
        xm = (x0 + x1) / 2
        ax.plot([x0, xm, xm, x1], [y0, y0, y1, y1], color=S.NEUTRAL, lw=1.2, zorder=1)
    for depth, node, yy in layout:
        _box(ax, col_x[depth], box_w[depth], yy, box_h, node, depth, fs, currency)
    for i, name in enumerate(("North star", "Diagnostic", "Granular")):
        ax.text(col_x[i], -0.6, name.upper(), fontsize=11, color=S.MUTED, fontweight="bold", va="bottom")
    if title:
        fig.suptitle(title, x=0.005, ha="left", fontweight="bold")
    return fig
