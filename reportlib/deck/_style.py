"""The board-deck look: colours, sizes, rc parameters, status colours and tick formatters.

One place decides how every chart and table looks, so that the status colours of a KPI
tile, a benchmark bar, a tree node and a table cell are the same green / amber / red.
Nothing here computes a metric; numbers become text in :mod:`reportlib.format`.
"""
from __future__ import annotations

from typing import Any

from reportlib import format as F
from reportlib.values import is_blank

# --- colours -----------------------------------------------------------------------------
INK = "#1B2733"          # text, axes labels
MUTED = "#6B7785"        # secondary text, tick labels
GRID = "#E3E7EC"         # light horizontal grid lines
PAPER = "#FFFFFF"
PRIMARY = "#1F4E79"      # the company's main series (ARR, revenue)
SECONDARY = "#5B9BD5"    # a second series
TERTIARY = "#A5C8E4"     # a third series / light fill
NEUTRAL = "#B8C2CC"      # opening / closing bars, inactive things
POSITIVE = "#2E8B57"     # money coming in (new, expansion, reactivation)
NEGATIVE = "#C0392B"     # money going out (contraction, churn)

# Status colours: the same three everywhere (KPI bands of METRICS.md). "" = not judged.
GREEN = "#2E8B57"
AMBER = "#E8A317"
RED = "#C0392B"
BLANK = "#9AA5B1"
STATUS_COLORS = {"green": GREEN, "amber": AMBER, "red": RED, "": BLANK}
STATUS_TINTS = {"green": "#E3F2E9", "amber": "#FCF1DC", "red": "#F7E1DE", "": "#EEF1F4"}
STATUS_LABELS = {"green": "on benchmark", "amber": "watch", "red": "below benchmark", "": "not judged"}

# Series colours in a fixed order (bookings, billings, revenue, ARR, CARR, ...)
SERIES = [PRIMARY, "#E07B39", "#4FA3A5", "#7F6BB0", "#D1495B", "#8C9A3B", "#C9A227", SECONDARY]
# Revenue-quality tiers: contracted recurring (best) darkest
TIER_COLORS = {
    "contracted_recurring": PRIMARY,
    "uncontracted_recurring": SECONDARY,
    "one_off": "#D9B26F",
}
TIER_LABELS = {
    "contracted_recurring": "Contracted recurring",
    "uncontracted_recurring": "Uncontracted recurring",
    "one_off": "One-off",
}
MOVEMENT_COLORS = {
    "new": POSITIVE, "reactivation": "#66B28A", "expansion": "#8FCBA8",
    "contraction": "#E38B7F", "churn": NEGATIVE,
}

# --- sizes (inches). A landscape 16:9 page is 13.33 x 7.5 in; a slide title and a line of
# text take the top ~1.6 in, so a full-page chart is ~12.6 x 5.0 in. ---------------------
FULL = (12.6, 5.0)
TALL = (12.6, 5.6)
HALF = (6.2, 5.0)
WIDE_SHORT = (12.6, 3.6)
TILE_ROW_HEIGHT = 2.4

FONT_SIZE = 14
RC = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica"],
    "font.size": FONT_SIZE,
    "axes.titlesize": 16,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.titlepad": 12,
    "axes.labelsize": 14,
    "axes.labelcolor": INK,
    "axes.edgecolor": "#AAB4BE",
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "axes.axisbelow": True,
    "axes.prop_cycle": None,  # filled below (cycler import kept lazy)
    "grid.color": GRID,
    "grid.linewidth": 0.8,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "xtick.labelsize": 12.5,
    "ytick.labelsize": 12.5,
    "xtick.major.size": 0,
    "ytick.major.size": 0,
    "legend.frameon": False,
    "legend.fontsize": 12.5,
    "figure.facecolor": PAPER,
    "axes.facecolor": PAPER,
    "savefig.facecolor": PAPER,
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "figure.constrained_layout.use": True,
    "text.color": INK,
    "lines.linewidth": 2.6,
    "lines.solid_capstyle": "round",
    "patch.edgecolor": PAPER,
    "svg.fonttype": "none",
}

def rc_params() -> dict[str, Any]:
    from cycler import cycler

    rc = dict(RC)
    rc["axes.prop_cycle"] = cycler(color=SERIES)
    return rc


# --- statuses ------------------------------------------------------------------------------
def status_key(status: Any) -> str:
    s = "" if is_blank(status) else str(status).strip().lower()
    return s if s in STATUS_COLORS else ""


def status_color(status: Any) -> str:
    return STATUS_COLORS[status_key(status)]


# --- matplotlib tick formatters ----------------------------------------------------------
def money_formatter(currency: str | None = None):
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda x, _pos=None: F.money(x, currency))


def pct_formatter(decimals: int = 0):
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda x, _pos=None: F.percent(x, decimals=decimals))


def number_formatter():
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda x, _pos=None: F.number(x))


def value_formatter(unit: Any, currency: str | None = None):
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda x, _pos=None: F.value(x, unit, currency))
