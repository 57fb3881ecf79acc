"""The board-deck look: colours, sizes, rc parameters and number formatters.

One place decides how every chart and table looks, so that the status colours of a KPI
tile, a benchmark bar, a tree node and a table cell are the same green / amber / red.
Nothing here computes a metric; the formatters only turn a number into text.
"""
from __future__ import annotations

import math
from numbers import Number
from typing import Any

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

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CHF": "CHF ", "SEK": "SEK ",
                    "NOK": "NOK ", "DKK": "DKK ", "CAD": "C$", "AUD": "A$", "INR": "₹"}


def rc_params() -> dict[str, Any]:
    from cycler import cycler

    rc = dict(RC)
    rc["axes.prop_cycle"] = cycler(color=SERIES)
    return rc


# --- values ------------------------------------------------------------------------------
def is_blank(value: Any) -> bool:
    """True for None, NaN, '' and reportlib's ``Blank`` values (anything with a ``note``
    that is not a number)."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    if isinstance(value, Number):
        try:
            return math.isnan(float(value))
        except (TypeError, ValueError):
            return True
    if hasattr(value, "note"):
        return True
    try:
        import pandas as pd

        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def as_float(value: Any) -> float | None:
    if is_blank(value):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def status_key(status: Any) -> str:
    s = "" if is_blank(status) else str(status).strip().lower()
    return s if s in STATUS_COLORS else ""


def status_color(status: Any) -> str:
    return STATUS_COLORS[status_key(status)]


# --- formatters --------------------------------------------------------------------------
def currency_symbol(currency: str | None) -> str:
    if not currency:
        return ""
    return CURRENCY_SYMBOLS.get(str(currency).upper(), f"{str(currency).upper()} ")


def _compact(x: float, decimals: int | None = None, sig: int | None = None) -> tuple[str, str]:
    ax = abs(x)
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if ax >= div * 0.9995:
            v = ax / div
            if sig is not None and decimals is None:
                digits = len(str(int(v))) if v >= 1 else 1
                decimals_ = max(0, sig - digits)
                text = f"{v:.{decimals_}f}"
                if "." in text:
                    text = text.rstrip("0").rstrip(".")
                return text, suffix
            d = decimals if decimals is not None else (1 if v < 100 else 0)
            text = f"{v:.{d}f}"
            if "." in text and decimals is None:
                text = text.rstrip("0").rstrip(".")
            return text, suffix
    d = decimals if decimals is not None else 0
    return f"{ax:,.{d}f}", ""


def fmt_money(value: Any, currency: str | None = None, decimals: int | None = None,
              sign: bool = False, sig: int | None = None) -> str:
    """EUR 1234567 -> '€1.2M'; USD 850000 -> '$850k'; blank -> '–'. ``sig`` asks for that
    many significant digits (1184000 with sig=3 -> '€1.18M')."""
    v = as_float(value)
    if v is None:
        return "–"
    text, suffix = _compact(v, decimals, sig)
    if text in ("0", "0.0") and not suffix:
        v = 0.0
    neg = v < 0 and text.strip("0.,") != ""
    prefix = "−" if neg else ("+" if sign and v > 0 else "")
    return f"{prefix}{currency_symbol(currency)}{text}{suffix}"


def _sign_prefix(v: float, rounds_to_zero: bool, sign: bool, unchanged: str = "") -> str:
    """A typographic minus for negatives, '+' for positives when asked, and ``unchanged``
    for a value that rounds to zero (never '−0%')."""
    if rounds_to_zero:
        return unchanged
    if v < 0:
        return "−"
    return "+" if sign and v > 0 else ""


def fmt_pct(value: Any, decimals: int = 0, sign: bool = False) -> str:
    """0.853 -> '85%'; with sign: 0.05 -> '+5%'. Value is a fraction."""
    v = as_float(value)
    if v is None:
        return "–"
    text = f"{abs(v) * 100:.{decimals}f}"
    return f"{_sign_prefix(v, float(text) == 0, sign)}{text}%"


def fmt_pts(value: Any, decimals: int = 0) -> str:
    """A change of a ratio in percentage points: 0.021 -> '+2 pts'."""
    v = as_float(value)
    if v is None:
        return "–"
    text = f"{abs(v) * 100:.{decimals}f}"
    return f"{_sign_prefix(v, float(text) == 0, True, unchanged='±')}{text} pts"


def fmt_number(value: Any, decimals: int | None = None, sign: bool = False) -> str:
    v = as_float(value)
    if v is None:
        return "–"
    if abs(v) >= 10_000:
        text, suffix = _compact(v, decimals)
    else:
        d = decimals if decimals is not None else (0 if abs(v) >= 100 or float(v).is_integer() else 1)
        text, suffix = f"{abs(v):,.{d}f}", ""
    zero = float(text.replace(",", "")) == 0 if not suffix else False
    return f"{_sign_prefix(v, zero, sign)}{text}{suffix}"


def fmt_multiple(value: Any, decimals: int = 1) -> str:
    v = as_float(value)
    if v is None:
        return "–"
    return f"{'−' if v < 0 else ''}{abs(v):.{decimals}f}x"


def fmt_months(value: Any) -> str:
    v = as_float(value)
    if v is None:
        return "–"
    return f"{v:.1f} mo" if abs(v) < 10 else f"{v:.0f} mo"


def fmt_days(value: Any) -> str:
    v = as_float(value)
    if v is None:
        return "–"
    return f"{v:.0f} d"


# unit (as written in kpis.csv) -> kind of formatting
_UNIT_KINDS = {
    "currency": "money", "money": "money", "eur": "money", "usd": "money", "gbp": "money",
    "ratio": "pct", "fraction": "pct", "percent": "pct", "pct": "pct", "%": "pct", "share": "pct",
    "rate": "pct",
    "multiple": "multiple", "x": "multiple", "times": "multiple",
    "months": "months", "month": "months",
    "days": "days", "day": "days",
    "count": "number", "number": "number", "customers": "number", "score": "number",
    "people": "number", "users": "number", "leads": "number", "visitors": "number",
}


def unit_kind(unit: Any) -> str:
    u = "" if is_blank(unit) else str(unit).strip().lower()
    return _UNIT_KINDS.get(u, "number")


def fmt_value(value: Any, unit: Any = None, currency: str | None = None) -> str:
    """Format a KPI value according to its ``unit`` column in kpis.csv."""
    kind = unit_kind(unit)
    if kind == "money":
        return fmt_money(value, currency)
    if kind == "pct":
        v = as_float(value)
        return fmt_pct(value, 1 if v is not None and abs(v) < 0.1 else 0)
    if kind == "multiple":
        return fmt_multiple(value)
    if kind == "months":
        return fmt_months(value)
    if kind == "days":
        return fmt_days(value)
    if _is_score(unit):
        return fmt_number(value, 0)  # NPS 29, not 29.2
    return fmt_number(value)


def _is_score(unit: Any) -> bool:
    return not is_blank(unit) and str(unit).strip().lower() == "score"


def fmt_change(change: Any, unit: Any = None, currency: str | None = None) -> str:
    """A change column value: relative change for money / counts, points for ratios."""
    v = as_float(change)
    if v is None:
        return "–"
    kind = unit_kind(unit)
    if kind == "pct":
        return fmt_pts(v)
    if kind in ("multiple", "months", "days") or _is_score(unit):
        # absolute differences (kpis.csv: relative only for currency and count)
        body = fmt_value(abs(v), unit, currency)
        return ("+" if v > 0 else "−" if v < 0 else "±") + body
    return fmt_pct(v, 0, sign=True)


# --- matplotlib tick formatters ----------------------------------------------------------
def money_formatter(currency: str | None = None):
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda x, _pos=None: fmt_money(x, currency))


def pct_formatter(decimals: int = 0):
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda x, _pos=None: fmt_pct(x, decimals))


def number_formatter():
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda x, _pos=None: fmt_number(x))


def value_formatter(unit: Any, currency: str | None = None):
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda x, _pos=None: fmt_value(x, unit, currency))
