"""Board-deck charts: what the notebooks draw, one function per chart of the pack.

This module is the notebook-facing face of the chart modules in ``deck/_charts/``, one per
page family, seaborn-style:

=====================  ============================================================
module                 charts
=====================  ============================================================
``tiles``              :func:`kpi_tiles`, :func:`sparkline`
``revenue``            :func:`arr_waterfall`, :func:`revenue_tiers`, :func:`revenue_lines`,
                       :func:`mrr_movements`, :func:`quick_ratio_bars`, :func:`arpa_drivers`
``cohorts``            :func:`cohort_heatmap`, :func:`cohort_compare`, :func:`cohort_payback`
``unit_economics``     :func:`benchmark_bars`
``cash``               :func:`runway`
``journey``            :func:`funnel`, :func:`funnel_cohorts`
``pipeline``           :func:`pacing`, :func:`owner_bars`
``hierarchy``          :func:`kpi_tree`
``segments``           :func:`segment_compare`, :func:`breakdown_bars`
``product``            :func:`usage_nps`
``sensitivity``        :func:`sensitivity_ranges`
``trends``             :func:`trend`
=====================  ============================================================

Every function takes exactly the data it draws (a table of ``KpiResult.tables`` with its
declared columns, rows of kpis.csv, or explicit values) and computes nothing the metrics
and kpis layers computed: statuses, rates and conversions are read from their columns.
Single-panel charts are axes-level (``ax=None`` draws on a new figure; the Axes is
returned); page-sized charts of several panels return their Figure. Colours carry
meaning and are the same everywhere: green / amber / red are the KPI status bands
(``STATUS_COLORS``), money in is green, money out is red, and the company's main series
is dark blue.
"""

from __future__ import annotations

from reportlib.deck._charts._drawing import message_figure
from reportlib.deck._charts.cash import runway
from reportlib.deck._charts.cohorts import cohort_compare, cohort_heatmap, cohort_payback
from reportlib.deck._charts.hierarchy import kpi_tree
from reportlib.deck._charts.journey import funnel, funnel_cohorts
from reportlib.deck._charts.pipeline import owner_bars, pacing
from reportlib.deck._charts.product import usage_nps
from reportlib.deck._charts.revenue import (
    arpa_drivers,
    arr_waterfall,
    mrr_movements,
    quick_ratio_bars,
    revenue_lines,
    revenue_tiers,
)
from reportlib.deck._charts.segments import breakdown_bars, segment_compare
from reportlib.deck._charts.sensitivity import sensitivity_ranges
from reportlib.deck._charts.tiles import kpi_tiles, sparkline
from reportlib.deck._charts.trends import trend
from reportlib.deck._charts.unit_economics import benchmark_bars
from reportlib.deck._style import (
    AMBER,
    BLANK,
    GREEN,
    RED,
    STATUS_COLORS,
    apply_board_style,
    board_style,
    money_formatter,
    pct_formatter,
)

__all__ = [
    "STATUS_COLORS",
    "GREEN",
    "AMBER",
    "RED",
    "BLANK",
    "board_style",
    "apply_board_style",
    "money_formatter",
    "pct_formatter",
    "kpi_tiles",
    "sparkline",
    "arr_waterfall",
    "revenue_tiers",
    "revenue_lines",
    "cohort_heatmap",
    "benchmark_bars",
    "kpi_tree",
    "funnel",
    "funnel_cohorts",
    "pacing",
    "quick_ratio_bars",
    "mrr_movements",
    "arpa_drivers",
    "cohort_payback",
    "segment_compare",
    "cohort_compare",
    "usage_nps",
    "breakdown_bars",
    "trend",
    "message_figure",
    "runway",
    "sensitivity_ranges",
    "owner_bars",
]
