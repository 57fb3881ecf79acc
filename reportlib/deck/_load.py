"""The KPI result of a pack: :func:`load_report` (the pack's cache, else computed) and the
notebooks' drawing set-up.

Behind :mod:`reportlib.deck.report`, which the notebooks import.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from reportlib._store import Mode
from reportlib.deck import _style as S
from reportlib.deck import charts
from reportlib.deck._charts._drawing import settled_ticks
from reportlib.deck._html import escaped_styler
from reportlib.deck._result_cache import (
    CompareParam,
    Param,
    SegmentParam,
    cache_key,
    cached_result,
)
from reportlib.kpis import KpiResult, compute_kpis

try:  # crisp figures in Jupyter; outside IPython there is nothing to configure
    from IPython import get_ipython
    from matplotlib_inline.backend_inline import set_matplotlib_formats
except ImportError:  # pragma: no cover - an optional extra of the notebook kernel
    get_ipython = set_matplotlib_formats = None


def load_report(
    company_dir: str | Path,
    as_of: Param = None,
    window: str = "quarter",
    segment: SegmentParam = "",
    compare: CompareParam = "",
    output_dir: str | Path | None = "",
) -> KpiResult:
    """The :class:`~reportlib.kpis.KpiResult` of a company for the given parameters.

    When ``output_dir`` holds ``_cache/kpi_result.pkl`` written for the same parameters
    (:func:`write_cache`), that result is returned; otherwise it is computed with
    :func:`reportlib.kpis.compute_kpis`, through the store (``Mode.USE``): a notebook opened
    in Jupyter after a pack, or the next notebook of a run of them, reads the result the
    pack or the first one stored for the same inputs, parameters and code instead of
    computing it again (seconds each). Parameters are the notebooks' papermill parameters:
    strings, ``""`` meaning "default"."""
    key = cache_key(company_dir, as_of, window, segment, compare)
    result = cached_result(output_dir, key)
    if result is None:
        result = compute_kpis(
            key["company_dir"],
            as_of=key["as_of"],
            window=key["window"],
            segment=key["segment"],
            compare=key["compare"],
            cache=Mode.USE,
        )
    S.Theme.from_fund(result.company.config.fund).apply()  # the fund's colours and font
    _SHOWN_SECTIONS.clear()  # a new notebook run: its sections have shown no page yet
    return result


#: The sections that showed a page in this notebook's run. A kept kernel runs many
#: notebooks, of many packs (a pack's pool, a portfolio worker, ``--watch``), and keeps
#: this module between them: :func:`load_report`, every notebook's first call, empties it.
_SHOWN_SECTIONS: set[str] = set()


def first_page_of(section: str) -> bool:
    """Whether this is the first page ``section`` shows in this notebook's run (the page
    that gets the small line naming the section); the section is marked as shown."""
    first = section not in _SHOWN_SECTIONS
    _SHOWN_SECTIONS.add(section)
    return first


def setup() -> None:
    """Board-deck style for charts and crisp figures in the exported pages."""
    charts.apply_board_style()
    if set_matplotlib_formats is not None:
        try:
            set_matplotlib_formats("svg")
            _print_settled()
        except Exception:  # noqa: BLE001  - outside IPython there is nothing to configure
            pass
    pd.set_option("display.max_columns", 30)


def _print_settled() -> None:
    """Have IPython print each figure it displays as SVG within :func:`settled_ticks` (the
    same picture, printed with less repeated work). ``set_matplotlib_formats`` has just
    registered the plain printer, so a second :func:`setup` in the same kernel wraps it
    once again, not twice."""
    svg = get_ipython().display_formatter.formatters["image/svg+xml"]
    printer = svg.lookup_by_type(Figure)

    def print_settled(fig: Figure) -> str | bytes | None:
        with settled_ticks(fig):
            return printer(fig)

    svg.for_type(Figure, print_settled)


def warm_drawing() -> None:
    """Pay this process's first-use costs of drawing and tables: fonts (regular and bold),
    the SVG writer, tick formatters, pandas' Styler templates. The pack calls it in each
    warm kernel while it computes the KPIs, so that the first section of every kernel
    draws as fast as the next ones (about 0.5 s per kernel); nothing is displayed and no
    setting changes."""
    with S.board_style():
        fig, ax = plt.subplots(figsize=(3, 2))
        ax.plot([0, 1], [0, 1], label="line")
        ax.bar([0, 1], [1, 2], label="bar")
        ax.text(0, 1, "1", fontsize=20, fontweight="bold")
        ax.yaxis.set_major_formatter(S.money_formatter("EUR"))
        ax.set(title="warm", xlabel="x", ylabel="y")
        ax.legend()
        fig.savefig(io.BytesIO(), format="svg", bbox_inches="tight")
        plt.close(fig)
    escaped_styler(pd.DataFrame({"value": [1.0], "name": ["a"]}), {"value": str}, na_rep="-").to_html()
