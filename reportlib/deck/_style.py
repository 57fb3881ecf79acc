"""The board-deck look: one :class:`Theme` (colours, font, logo), the sizes, rc parameters,
status colours and tick formatters.

One place decides how every chart and table looks, so that the status colours of a KPI
tile, a benchmark bar, a tree node and a table cell are the same green / amber / red.
The theme is one object used three ways: matplotlib's rc parameters (:meth:`Theme.rc_params`),
seaborn's theme (:meth:`Theme.apply`) and the page CSS variables (:meth:`Theme.css`). A
fund's ``[branding]`` (fund.toml) makes a theme with :meth:`Theme.from_fund`; the module
constants below (``PRIMARY``, ``STATUS_COLORS``, ...) follow the theme in use.
Nothing here computes a metric; numbers become text in :mod:`reportlib.format`.
"""

from __future__ import annotations

import base64
import contextlib
import functools
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cycler import cycler

from reportlib import format as F
from reportlib.inputs.fund import FundConfig
from reportlib.values import is_blank

if TYPE_CHECKING:
    from matplotlib.ticker import FuncFormatter

# matplotlib is imported where a chart is drawn, not at the top: the pack's own process reads
# the theme (its CSS and logo) and draws nothing, and importing matplotlib there cost 0.2 s
# of every pack command.

_FONTS = ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica"]


@dataclass(frozen=True)
class Theme:
    """The house style of a pack: colours, font and logo.

    ``primary`` draws the main series and the headings, ``accent`` the second series and
    the heading rules; ``green``, ``amber`` and ``red`` are the status colours everywhere.
    """

    primary: str = "#1F4E79"
    accent: str = "#5B9BD5"
    green: str = "#2E8B57"
    amber: str = "#E8A317"
    red: str = "#C0392B"
    font: str = ""
    logo: str = ""  # absolute path of a PNG or SVG, "" = none

    @classmethod
    def from_fund(cls, fund: FundConfig | None) -> Theme:
        """The theme of a :class:`~reportlib.inputs.fund.FundConfig` (None: the default theme)."""
        if fund is None:
            return cls()
        return replace(cls(), **fund.colors, font=fund.font, logo=str(fund.logo or ""))

    @property
    def fonts(self) -> list[str]:
        return ([self.font] if self.font else []) + _FONTS

    def rc_params(self) -> dict[str, Any]:
        """matplotlib rc parameters in this theme (also given to seaborn)."""
        rc = dict(RC)
        rc["font.sans-serif"] = self.fonts
        rc["axes.prop_cycle"] = cycler(color=[self.primary, *SERIES[1:-1], self.accent])
        return rc

    def apply(self) -> None:
        """Make this the theme of the session: module colours and matplotlib's rc parameters
        (seaborn's white style and notebook context, then the theme's)."""
        import matplotlib as mpl

        use_theme(self)
        mpl.rcParams.update(SEABORN_WHITE)
        mpl.rcParams.update(self.rc_params())

    def css(self) -> str:
        """The page's CSS variables (templates/boardpack/static/boardpack.css reads them)."""
        font = f'"{self.font}", ' if self.font else ""
        return (
            f":root {{ --bp-primary: {self.primary}; --bp-accent: {self.accent}; --bp-green: {self.green}; "
            f"--bp-amber: {self.amber}; --bp-red: {self.red}; "
            f'--bp-font: {font}"Liberation Sans", "DejaVu Sans", Arial, sans-serif; }}'
        )

    def logo_data_uri(self) -> str:
        """The logo as a ``data:`` URI (the page may load nothing else), "" without one."""
        if not self.logo:
            return ""
        path = Path(self.logo)
        kind = "image/svg+xml" if path.suffix.lower() == ".svg" else "image/png"
        return f"data:{kind};base64," + base64.b64encode(path.read_bytes()).decode("ascii")

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


THEME = Theme()

# --- colours -----------------------------------------------------------------------------
INK = "#1B2733"  # text, axes labels
MUTED = "#6B7785"  # secondary text, tick labels
GRID = "#E3E7EC"  # light horizontal grid lines
PAPER = "#FFFFFF"
PRIMARY = THEME.primary  # the company's main series (ARR, revenue)
SECONDARY = THEME.accent  # a second series
TERTIARY = "#A5C8E4"  # a third series / light fill
NEUTRAL = "#B8C2CC"  # opening / closing bars, inactive things
POSITIVE = THEME.green  # money coming in (new, expansion, reactivation)
NEGATIVE = THEME.red  # money going out (contraction, churn)

# Status colours: the same three everywhere (KPI bands of METRICS.md). "" = not judged.
GREEN = THEME.green
AMBER = THEME.amber
RED = THEME.red
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
    "new": POSITIVE,
    "reactivation": "#66B28A",
    "expansion": "#8FCBA8",
    "contraction": "#E38B7F",
    "churn": NEGATIVE,
}


def use_theme(theme: Theme) -> None:
    """Point the module colours at ``theme`` (dicts and lists change in place, so that
    whatever holds them sees the new colours)."""
    global THEME, PRIMARY, SECONDARY, POSITIVE, NEGATIVE, GREEN, AMBER, RED
    THEME = theme
    PRIMARY, SECONDARY, POSITIVE, NEGATIVE = theme.primary, theme.accent, theme.green, theme.red
    GREEN, AMBER, RED = theme.green, theme.amber, theme.red
    STATUS_COLORS.update(green=GREEN, amber=AMBER, red=RED)
    SERIES[0], SERIES[-1] = PRIMARY, SECONDARY
    TIER_COLORS.update(contracted_recurring=PRIMARY, uncontracted_recurring=SECONDARY)
    MOVEMENT_COLORS.update(new=POSITIVE, churn=NEGATIVE)


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
    "font.sans-serif": _FONTS,
    "font.size": FONT_SIZE,
    "axes.titlesize": 16,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.titlepad": 12,
    # Titles at the top of the axes (no chart puts x ticks on top): matplotlib otherwise
    # measures every tick label of the axes again, on every layout pass, to place them.
    "axes.titley": 1.0,
    "axes.labelsize": 14,
    "axes.labelcolor": INK,
    "axes.edgecolor": "#AAB4BE",
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "axes.axisbelow": True,
    "axes.prop_cycle": None,  # the theme's series colours (Theme.rc_params)
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
    "text.parse_math": False,  # "$15k ... $15k" is money, not mathtext (and never a crash)
    "lines.linewidth": 2.6,
    "lines.solid_capstyle": "round",
    "patch.edgecolor": PAPER,
    "svg.fonttype": "none",
}


#: What ``seaborn.set_theme(style="white")`` sets (its white style and notebook context) that
#: :data:`RC` does not: the base :meth:`Theme.apply` lays under the theme, written out so
#: that importing the style does not import seaborn and pyplot (the pack process reads the
#: theme, it draws nothing). seaborn's default colormap is left out (no chart uses one).
SEABORN_WHITE: dict[str, Any] = {
    "axes.spines.bottom": True,
    "axes.spines.left": True,
    "grid.linestyle": "-",
    "legend.title_fontsize": 12,
    "lines.markersize": 6,
    "patch.force_edgecolor": True,
    "patch.linewidth": 1,
    "xtick.bottom": False,
    "xtick.direction": "out",
    "xtick.major.width": 1.25,
    "xtick.minor.size": 4,
    "xtick.minor.width": 1,
    "xtick.top": False,
    "ytick.direction": "out",
    "ytick.left": False,
    "ytick.major.width": 1.25,
    "ytick.minor.size": 4,
    "ytick.minor.width": 1,
    "ytick.right": False,
}


def rc_params() -> dict[str, Any]:
    """matplotlib rc parameters of the theme in use."""
    return THEME.rc_params()


@contextlib.contextmanager
def board_style() -> Iterator[None]:
    """Context in which matplotlib draws in the board-deck style."""
    import matplotlib as mpl

    with mpl.rc_context(rc_params()):
        yield


def apply_board_style() -> None:
    """Set the board-deck style for the rest of the session (notebooks call this once)."""
    import matplotlib as mpl

    mpl.rcParams.update(rc_params())


# --- statuses ------------------------------------------------------------------------------
def status_key(status: object) -> str:
    """The status bucket of a ``status`` cell: green, amber, red or "" (blank, unknown)."""
    s = "" if is_blank(status) else str(status).strip().lower()
    return s if s in STATUS_COLORS else ""


def status_color(status: object) -> str:
    """The colour of a ``status`` cell (:data:`STATUS_COLORS`)."""
    return STATUS_COLORS[status_key(status)]


# --- matplotlib tick formatters ----------------------------------------------------------
@functools.cache
def _distinct_money() -> type[FuncFormatter]:
    from matplotlib.ticker import FuncFormatter

    class DistinctMoney(FuncFormatter):
        """Money ticks that never print alike: more significant digits until they differ."""

        def __init__(self, currency: str | None = None) -> None:
            super().__init__(lambda x, _pos=None: F.money(x, currency))
            self.currency = currency

        def format_ticks(self, values):
            labels = [F.money(v, self.currency) for v in values]
            for sig in (2, 3, 4):
                if len(set(labels)) == len(labels):
                    break
                labels = [F.money(v, self.currency, sig=sig) for v in values]
            return labels

    return DistinctMoney


def _func_formatter(fn: Any) -> FuncFormatter:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(fn)


def money_formatter(currency: str | None = None) -> FuncFormatter:
    """Ticks as money in ``currency`` ("€1.2M"); ticks that would print alike (€1.1M three
    times on an axis from €1.0M to €1.4M) get more significant digits until they differ."""
    return _distinct_money()(currency)


def pct_formatter(decimals: int = 0) -> FuncFormatter:
    """Ticks as percentages of fractions ("85%")."""
    return _func_formatter(lambda x, _pos=None: F.percent(x, decimals=decimals))


def number_formatter() -> FuncFormatter:
    """Ticks as plain numbers ("1,200")."""
    return _func_formatter(lambda x, _pos=None: F.number(x))


@functools.cache
def _exact_ticks() -> type[FuncFormatter]:
    from matplotlib.ticker import FuncFormatter

    class ExactTicks(FuncFormatter):
        """Ticks in a KPI unit, all with the decimals their positions need (a tick at 72.5%
        reads '72.5%', not '73%', and the axis's other ticks '75.0%' beside it)."""

        def __init__(self, unit: str | None) -> None:
            super().__init__(lambda x, _pos=None: F.value(x, unit))
            self.unit = unit

        def format_ticks(self, values):
            decimals = F.tick_decimals(values, self.unit)
            return [F.value(v, self.unit, decimals=decimals) for v in values]

    return ExactTicks


def value_formatter(unit: str | None, currency: str | None = None) -> FuncFormatter:
    """Ticks in a KPI unit (registry units: currency, ratio, multiple, months, ...): money as
    :func:`money_formatter`; ratios, multiples, months and days printed exactly at each tick."""
    kind = F.unit_kind(unit)
    if kind == "money":
        return money_formatter(currency)
    if kind in ("pct", "multiple", "months", "days"):
        return _exact_ticks()(unit)
    return _func_formatter(lambda x, _pos=None: F.value(x, unit, currency))  # counts: '12.5k'
