"""Charts: every function draws what its table says (bar heights, line points, cell values,
colours from the ``status`` columns) and returns its Axes (a page of several panels: its
Figure), with labelled axes and formatted ticks, from small hand-made tables shaped like
the DESIGN.md tables. Sections follow the chart modules in ``reportlib/deck/_charts/``."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.backends.backend_svg import RendererSVG  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402
from matplotlib.ticker import FixedLocator  # noqa: E402

from reportlib import format as F  # noqa: E402
from reportlib.deck import _style as S  # noqa: E402
from reportlib.deck import charts, portfolio_charts  # noqa: E402
from reportlib.deck._charts import (
    _drawing,  # noqa: E402
    revenue,  # noqa: E402
)
from reportlib.deck._charts._drawing import settled_ticks  # noqa: E402
from reportlib.deck._charts.product import nps_period_label  # noqa: E402


# ---------------------------------------------------------------------------------------
# hand-made tables (the shapes of KpiResult.tables)
# ---------------------------------------------------------------------------------------
def months(n=12, end="2026-09"):
    return [str(p) for p in pd.period_range(end=end, periods=n, freq="M")]


def mrr_bridge(n=12):
    rng = np.random.default_rng(1)
    rows, mrr = [], 100_000.0
    for m in months(n):
        new, rea, exp = rng.uniform(4000, 9000), rng.uniform(0, 800), rng.uniform(1000, 3000)
        con, churn = rng.uniform(200, 1200), rng.uniform(1000, 3000)
        close = mrr + new + rea + exp - con - churn
        rows.append(
            dict(
                month=m,
                opening_mrr=mrr,
                new=new,
                reactivation=rea,
                expansion=exp,
                contraction=con,
                churn=churn,
                closing_mrr=close,
                customers=100,
                new_customers=5,
                reactivated_customers=1,
                churned_customers=2,
            )
        )
        mrr = close
    return pd.DataFrame(rows)


def cohorts(kind="logo", n=8):
    rows = []
    labels = ["<=2025-10"] + months(n - 1, "2026-08")
    for i, c in enumerate(labels):
        for age in range(0, n - i + 1):
            v = (1.0 + 0.02 * age) if kind == "nrr" else max(0.0, 1 - 0.04 * age)
            rows.append(dict(cohort=c, age_months=age, value=v))
    return pd.DataFrame(rows)


def revenue_bridge(n=12):
    m = months(n)
    return pd.DataFrame(
        dict(
            month=m,
            bookings=np.linspace(50e3, 90e3, n),
            billings=np.linspace(60e3, 80e3, n),
            revenue=np.linspace(55e3, 75e3, n),
            deferred_revenue=np.linspace(10e3, 20e3, n),
            arr=np.linspace(0.8e6, 1.2e6, n),
            carr=np.linspace(0.9e6, 1.35e6, n),
        )
    )


def revenue_tiers(n=12):
    m = months(n)
    return pd.DataFrame(
        dict(
            month=m,
            contracted_recurring=np.linspace(50e3, 70e3, n),
            uncontracted_recurring=np.full(n, 8e3),
            one_off=np.full(n, 4e3),
            recurring_share=np.linspace(0.92, 0.95, n),
        )
    )


def kpi_rows():
    return pd.DataFrame(
        [
            dict(
                kpi="arr",
                label="ARR",
                tier="north_star",
                value=1_234_567.0,
                unit="currency",
                prior_value=1_100_000.0,
                change=0.122,
                benchmark="",
                status="",
                note="",
            ),
            dict(
                kpi="nrr",
                label="Net revenue retention",
                tier="north_star",
                value=1.04,
                unit="ratio",
                prior_value=1.01,
                change=0.03,
                benchmark="> 100% green",
                status="green",
                note="",
            ),
            dict(
                kpi="burn_multiple",
                label="Burn multiple",
                tier="north_star",
                value=1.6,
                unit="multiple",
                prior_value=1.9,
                change=-0.3,
                benchmark="≤ 1 green · 1–2 amber · > 2 red",
                status="amber",
                note="",
            ),
            dict(
                kpi="cac_payback_months",
                label="CAC payback",
                tier="north_star",
                value=np.nan,
                unit="months",
                prior_value=np.nan,
                change=np.nan,
                benchmark="< 12 green",
                status="",
                note="no new customers in the period",
            ),
        ]
    )


def unit_rows():
    return pd.DataFrame(
        [
            dict(kpi="ltv_cac", label="LTV:CAC", value=3.4, unit="multiple", status="green", benchmark="≥ 3 green"),
            dict(kpi="magic_number", label="Magic number", value=0.8, unit="multiple", status="amber", benchmark=""),
            dict(kpi="cac_payback_months", label="CAC payback", value=27.0, unit="months", status="red", benchmark=""),
            dict(kpi="gross_margin", label="Gross margin", value=0.78, unit="ratio", status="", benchmark=""),
            dict(
                kpi="cac", label="CAC", value=np.nan, unit="currency", status="", benchmark="", note="no new customers"
            ),
        ]
    )


def hierarchy():
    return pd.DataFrame(
        [
            dict(kpi="arr", label="ARR", tier="north_star", parent="", value=1.2e6, unit="currency", status=""),
            dict(
                kpi="new_arr", label="New ARR", tier="diagnostic", parent="arr", value=2e5, unit="currency", status=""
            ),
            dict(
                kpi="churned_arr",
                label="Churned ARR",
                tier="diagnostic",
                parent="arr",
                value=5e4,
                unit="currency",
                status="",
            ),
            dict(kpi="nrr", label="NRR", tier="north_star", parent="", value=1.04, unit="ratio", status="green"),
            dict(kpi="grr", label="GRR", tier="diagnostic", parent="nrr", value=0.9, unit="ratio", status=""),
            dict(
                kpi="new_arr:segment=SMB",
                label="New ARR · SMB",
                tier="granular",
                parent="new_arr",
                value=8e4,
                unit="currency",
                status="",
            ),
        ]
    )


def pacing_table():
    return pd.DataFrame(
        [
            dict(
                period="2026Q3",
                metric="pipeline_created",
                dimension="all",
                target=900e3,
                actual=500e3,
                elapsed_fraction=0.6,
                expected_to_date=540e3,
                pace=0.93,
                status="on track",
                required_run_rate_per_day=11e3,
            ),
            dict(
                period="2026Q3",
                metric="pipeline_created",
                dimension="source=partner",
                target=300e3,
                actual=100e3,
                elapsed_fraction=0.6,
                expected_to_date=180e3,
                pace=0.56,
                status="behind",
                required_run_rate_per_day=5e3,
            ),
        ]
    )


def compare_row(kpi, label, unit, smb, enterprise, status_smb="", status_enterprise=""):
    """A row of ``compare_kpis`` for the segments SMB and Enterprise."""
    return dict(
        kpi=kpi,
        label=label,
        unit=unit,
        SMB=smb,
        Enterprise=enterprise,
        difference=enterprise - smb,
        status_SMB=status_smb,
        status_Enterprise=status_enterprise,
        note_SMB="",
        note_Enterprise="",
    )


def usage_rows():
    return pd.DataFrame(
        [
            dict(kpi="dau_mau", label="DAU/MAU", value=0.26, unit="ratio", change=np.nan),
            dict(kpi="mau", label="Monthly active users", value=1569.0, unit="count", change=np.nan),
            dict(kpi="usage_depth", label="Usage depth", value=363.4, unit="multiple", change=np.nan),
            dict(kpi="nps", label="NPS", value=29.2, unit="score", change=39.2),
        ]
    )


def adoption_table():
    return pd.DataFrame(
        dict(
            feature=["dashboards", "api", "data_connectors"],
            accounts_using=[150, 80, 20],
            active_accounts=[160, 160, 160],
            adoption=[150 / 160, 0.5, 0.125],
        )
    )


def nps_table():
    return pd.DataFrame(
        dict(
            period=["May 2026 - Jul 2026", "Aug 2026 - Oct 2026"],
            as_of=["2026-07", "2026-10"],
            nps=[-10.0, 29.2],
            nps_responses=[130.0, 130.0],
            nps_promoters=[0.24, 0.42],
            nps_passives=[0.42, 0.45],
            nps_detractors=[0.34, 0.13],
        )
    )


CHARTS = {
    "kpi_tiles": lambda: charts.kpi_tiles(
        kpi_rows(), "EUR", sparklines={"arr": pd.Series([1.0, 2.0, 3.0, 4.0])}, year_ago={"arr": 900_000.0}
    ),
    "arr_waterfall": lambda: charts.arr_waterfall(
        {"opening": 1e5, "new": 6e3, "expansion": 2e3, "contraction": 1e3, "churn": 2e3, "closing": 1.05e5},
        "EUR",
        measure="MRR",
    ),
    "arr_waterfall_dict": lambda: charts.arr_waterfall(
        {
            "opening": 1e6,
            "new": 2e5,
            "reactivation": 1e4,
            "expansion": 5e4,
            "contraction": 2e4,
            "churn": 6e4,
            "closing": 1.18e6,
        },
        "USD",
    ),
    "revenue_tiers": lambda: charts.revenue_tiers(revenue_tiers(), "EUR"),
    "revenue_lines": lambda: charts.revenue_lines(revenue_bridge(), "EUR"),
    "cohort_logo": lambda: charts.cohort_heatmap(cohorts("logo"), "logo"),
    "cohort_nrr": lambda: charts.cohort_heatmap(cohorts("nrr"), "nrr"),
    "benchmark_bars": lambda: charts.benchmark_bars(unit_rows(), "EUR"),
    "kpi_tree": lambda: charts.kpi_tree(hierarchy(), "EUR"),
    "funnel": lambda: charts.funnel(
        pd.DataFrame(
            dict(
                stage=["visitors", "signup", "pql", "customer"],
                count=[20000, 1500, 300, 60],
                conversion_from_previous=[np.nan, 0.075, 0.2, 0.2],
            )
        )
    ),
    "pacing": lambda: charts.pacing(pacing_table(), "EUR"),
    "quick_ratio_bars": lambda: charts.quick_ratio_bars(
        pd.DataFrame(
            dict(
                period=pd.PeriodIndex(["2026Q1", "2026Q2", "2026Q3"], freq="Q"),
                new=[3e4, 4e4, 5e4],
                reactivation=[0, 1e3, 0],
                expansion=[5e3, 6e3, 7e3],
                contraction=[1e3, 2e3, 1e3],
                churn=[8e3, 9e3, 5e3],
                quick_ratio=[3.9, 4.5, 9.5],
                status=["amber", "amber", "green"],
            )
        ),
        "EUR",
    ),
    "mrr_movements": lambda: charts.mrr_movements(mrr_bridge(), "EUR"),
    "cohort_payback": lambda: charts.cohort_payback(
        pd.DataFrame(
            dict(
                cohort=["2026-01", "2026-02", "2026-03"],
                cohort_size=[4.0, 3.0, 5.0],
                cohort_cac=[2e4, 2.2e4, 2.5e4],
                payback_age_months=[5.0, np.nan, np.nan],
                cumulative_gross_profit=[2.4e4, 1.5e4, 8e3],
                latest_age_months=[8, 7, 6],
            )
        ),
        "EUR",
    ),
    "segment_compare": lambda: charts.segment_compare(
        pd.DataFrame(
            [
                compare_row("arr", "ARR", "currency", 4e5, 9e5),
                compare_row("nrr", "NRR", "ratio", 0.95, 1.1, "amber", "green"),
            ]
        ),
        ["SMB", "Enterprise"],
        "EUR",
    ),
    "breakdown_bars": lambda: charts.breakdown_bars(
        pd.DataFrame(dict(channel=["paid", "organic", "partner"], leads=[300, 200, 50])), "leads", label="channel"
    ),
    "trend": lambda: charts.trend(revenue_bridge(), ["arr", "carr"], unit="currency", currency="EUR"),
    "usage_nps": lambda: charts.usage_nps(usage_rows(), adoption_table(), nps_table(), "prior quarter"),
    "cohort_compare": lambda: charts.cohort_compare(
        {
            "nrr": pd.concat([cohorts("nrr").assign(segment="SMB"), cohorts("nrr").assign(segment="Enterprise")]),
            "logo": pd.concat([cohorts("logo").assign(segment="SMB"), cohorts("logo").assign(segment="Enterprise")]),
        },
        ["SMB", "Enterprise"],
    ),
    "sparkline": lambda: charts.sparkline(pd.Series([1.0, 3.0, 2.0, 5.0]), "green"),
}
#: Pages of several panels return their Figure; every other chart is axes-level.
FIGURE_LEVEL = {
    "kpi_tiles",
    "revenue_lines",
    "quick_ratio_bars",
    "benchmark_bars",
    "kpi_tree",
    "usage_nps",
    "cohort_compare",
}


def _figure(drawn):
    return drawn if isinstance(drawn, Figure) else drawn.figure


def _axes(drawn):
    """The chart's (first) Axes."""
    return drawn.axes[0] if isinstance(drawn, Figure) else drawn


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_every_chart_returns_its_axes_or_its_page_figure(name):
    drawn = CHARTS[name]()
    assert isinstance(drawn, Figure if name in FIGURE_LEVEL else Axes)
    _figure(drawn).canvas.draw()  # lays out without error
    matplotlib.pyplot.close(_figure(drawn))


@pytest.mark.parametrize("name", ["funnel", "arr_waterfall", "runway", "pacing", "cohort_heatmap"])
def test_axes_level_charts_draw_on_the_axes_they_are_given(name):
    fig, (left, right) = matplotlib.pyplot.subplots(1, 2)
    tables = {
        "funnel": lambda ax: charts.funnel(_funnel_table(), ax=ax),
        "arr_waterfall": lambda ax: charts.arr_waterfall({"opening": 1e5, "new": 2e4, "closing": 1.2e5}, ax=ax),
        "runway": lambda ax: charts.runway(_runway_table(), "EUR", ax=ax),
        "pacing": lambda ax: charts.pacing(pacing_table(), "EUR", ax=ax),
        "cohort_heatmap": lambda ax: charts.cohort_heatmap(cohorts("logo", n=4), ax=ax),
    }
    before = matplotlib.pyplot.get_fignums()
    assert tables[name](right) is right
    assert matplotlib.pyplot.get_fignums() == before  # no new figure
    assert right.patches or right.images and not left.patches
    matplotlib.pyplot.close(fig)


def _tick_texts(ax, axis="y"):
    ax.figure.canvas.draw()
    ticks = ax.get_yticklabels() if axis == "y" else ax.get_xticklabels()
    return [t.get_text() for t in ticks if t.get_text()]


@pytest.mark.parametrize(
    "name", ["arr_waterfall", "revenue_tiers", "revenue_lines", "mrr_movements", "quick_ratio_bars", "trend"]
)
def test_money_axes_are_labelled_and_formatted_in_the_currency(name):
    fig = _figure(CHARTS[name]())
    ax = fig.axes[0]
    assert ax.get_ylabel(), f"{name}: y axis has no label"
    texts = _tick_texts(ax)
    assert texts and all(t.lstrip("−-").startswith(("€", "$")) for t in texts), texts
    matplotlib.pyplot.close(fig)


def _svg(fig) -> str:
    """The figure as IPython prints it in a notebook (tight box), ids and date made stable."""
    out = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "test"}):
        fig.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None})
    return out.getvalue()


@pytest.mark.parametrize("name", ["revenue_lines", "trend", "cohort_nrr", "quick_ratio_bars"])
def test_settled_ticks_print_the_same_figure_and_leave_it_as_it_was(name):
    plain, settled = _figure(CHARTS[name]()), _figure(CHARTS[name]())
    before = [(a.get_major_locator(), a.get_major_formatter()) for ax in settled.axes for a in (ax.xaxis, ax.yaxis)]
    with settled_ticks(settled):
        # the month ticks (and the heatmap's colour-bar steps) are fixed once; an unlabelled
        # axis is no longer measured for its label
        assert FixedLocator in [type(a.get_major_locator()) for ax in settled.axes for a in (ax.xaxis, ax.yaxis)]
        assert not any(a._autolabelpos for ax in settled.axes for a in (ax.xaxis, ax.yaxis) if not a.get_label_text())
        svg = _svg(settled)
    assert svg == _svg(plain)
    assert [
        (a.get_major_locator(), a.get_major_formatter()) for ax in settled.axes for a in (ax.xaxis, ax.yaxis)
    ] == before
    assert all(a._autolabelpos for ax in settled.axes for a in (ax.xaxis, ax.yaxis))
    matplotlib.pyplot.close(plain)
    matplotlib.pyplot.close(settled)


@pytest.mark.parametrize("name", ["kpi_tiles", "revenue_lines", "benchmark_bars"])
def test_each_text_is_measured_once_per_process_and_prints_the_same_figure(name, monkeypatch):
    measured, measure = [], _drawing._measure_svg_text

    def counted(self, s, prop, ismath):
        measured.append(s)
        return measure(self, s, prop, ismath)

    monkeypatch.setattr(_drawing, "_SVG_TEXT_SIZES", {})
    plain = _svg(_figure(CHARTS[name]()))
    monkeypatch.setattr(_drawing, "_measure_svg_text", counted)
    first, again = _figure(CHARTS[name]()), _figure(CHARTS[name]())
    with settled_ticks(first):
        assert _svg(first) == plain
    texts = set(measured)
    # the layout pass and the SVG pass share the sizes: each text measured once
    assert texts and len(measured) == len(texts)
    with settled_ticks(again):
        assert _svg(again) == plain
    assert len(measured) == len(texts)  # the second figure: every size from the memo
    # outside a print the renderer measures as matplotlib does
    assert RendererSVG.get_text_width_height_descent is measure
    matplotlib.pyplot.close("all")


def test_a_text_is_measured_again_in_another_font_or_font_list(monkeypatch):
    monkeypatch.setattr(_drawing, "_SVG_TEXT_SIZES", {})
    renderer = RendererSVG(100, 100, io.StringIO())
    prop = FontProperties(family="sans-serif", size=10)
    _drawing._svg_text_size(renderer, "ARR €1.2M", prop, False)
    _drawing._svg_text_size(renderer, "ARR €1.2M", FontProperties(family="sans-serif", size=12), False)
    _drawing._svg_text_size(renderer, "ARR €1.2M", FontProperties(family="sans-serif", size=10, weight="bold"), False)
    with matplotlib.rc_context({"font.sans-serif": ["DejaVu Sans Mono"]}):  # a theme's font
        mono = _drawing._svg_text_size(renderer, "ARR €1.2M", prop, False)
    assert len(_drawing._SVG_TEXT_SIZES) == 4
    assert mono == _drawing._measure_svg_text(
        renderer, "ARR €1.2M", FontProperties(family="DejaVu Sans Mono", size=10), False
    )
    assert mono != _drawing._svg_text_size(renderer, "ARR €1.2M", prop, False)
    # math text is measured each time, as matplotlib does
    _drawing._svg_text_size(renderer, r"$x^2$", prop, True)
    assert len(_drawing._SVG_TEXT_SIZES) == 4


@pytest.mark.parametrize("name", ["kpi_tiles", "cohort_nrr", "funnel"])
def test_each_font_s_line_heights_are_read_once_per_process_and_print_the_same_figure(name, monkeypatch):
    read, heights = [], _drawing._font_heights

    def counted(prop, dpi):
        read.append((prop.copy(), dpi))
        return heights(prop, dpi)

    monkeypatch.setattr(_drawing, "_FONT_HEIGHTS", {})
    monkeypatch.setattr(_drawing, "_font_heights", counted)
    plain = _svg(_figure(CHARTS[name]()))  # matplotlib reads the fonts itself
    assert read == [] and "_get_font_height_metrics" not in vars(RendererSVG)
    first, again = _figure(CHARTS[name]()), _figure(CHARTS[name]())
    with settled_ticks(first):
        assert _svg(first) == plain
    # one read per font (size, weight, family) in both passes of the print, at the SVG's 72 dpi
    assert read and len(read) == len(set(read)) and {dpi for _, dpi in read} == {72}
    with settled_ticks(again):
        assert _svg(again) == plain
    assert len(read) == len(set(read))  # the second figure: every font from the memo
    assert "_get_font_height_metrics" not in vars(RendererSVG)
    matplotlib.pyplot.close("all")


def test_font_heights_are_matplotlib_s_own_and_asked_outside_a_print_are_left_to_it(monkeypatch):
    monkeypatch.setattr(_drawing, "_FONT_HEIGHTS", {})
    renderer = RendererSVG(100, 100, io.StringIO())
    prop = FontProperties(family="sans-serif", size=11)
    assert _drawing._svg_font_heights(renderer, prop) == (None, None, None)  # not printing
    fig = Figure(dpi=72)  # the dpi a figure has while it prints as SVG
    text = fig.text(0.1, 0.5, "Net new ARR\n€1.2M (+8%)", fontproperties=prop)

    def layout() -> tuple:
        bbox, lines, descent = text._get_layout(renderer)
        return bbox.bounds, lines, descent

    read_by_matplotlib = layout()
    done = _drawing._svg_font_heights_read_once(fig)
    try:
        assert layout() == read_by_matplotlib  # two lines: ascent, descent and line gap all used
        assert len(_drawing._FONT_HEIGHTS) == 1
        # another matplotlib that asks with more than the font reads the font itself
        assert renderer._get_font_height_metrics(prop, 72) == (None, None, None)
    finally:
        done()
    assert "_get_font_height_metrics" not in vars(RendererSVG)
    with matplotlib.rc_context({"font.sans-serif": ["DejaVu Sans Mono"]}):  # a theme's font
        done = _drawing._svg_font_heights_read_once(fig)
        try:
            mono = renderer._get_font_height_metrics(prop)
        finally:
            done()
    assert len(_drawing._FONT_HEIGHTS) == 2 and mono == _drawing._font_heights(
        FontProperties(family="DejaVu Sans Mono", size=11), 72
    )


def test_time_axes_read_as_months():
    fig = _figure(CHARTS["revenue_lines"]())
    texts = _tick_texts(fig.axes[0], "x")
    assert texts and all(len(t.split()) == 2 for t in texts), texts  # e.g. "Jan 26"
    matplotlib.pyplot.close(fig)


def test_formatters():
    assert F.money(1_234_567, "EUR") == "€1.2M"
    assert F.money(850_000, "USD") == "$850k"
    assert F.money(-2_500, "GBP") == "−£2.5k"
    assert F.money(12, "EUR") == "€12"
    assert F.money(None, "EUR") == "–"
    assert F.money(float("nan"), "EUR") == "–"
    assert F.money(5_000, "EUR", sign=True) == "+€5k"
    assert F.percent(0.853) == "85%"
    assert F.percent(0.05, sign=True) == "+5%"
    assert F.percent(-0.021, decimals=1) == "−2.1%"
    assert F.points(0.021) == "+2 pts"
    assert F.value(1.04, "ratio") == "104%"
    assert F.value(0.042, "ratio") == "4.2%"
    assert F.value(1.63, "multiple") == "1.6x"
    assert F.value(14.25, "months") == "14 mo"
    assert F.value(1_200, "count") == "1,200"
    assert F.change(0.12, "currency") == "+12%"
    assert F.change(-0.3, "multiple") == "−0.3x"
    assert F.change(0.03, "ratio") == "+3 pts"
    assert charts.money_formatter("EUR")(1_200_000, 0) == "€1.2M"
    assert charts.pct_formatter()(0.85, 0) == "85%"


@pytest.mark.parametrize(
    ("unit", "ticks", "expected"),
    [
        # a portfolio GRR axis: ticks every 2.5 points, never rounded to '73%' or '82%'
        ("ratio", [0.725, 0.75, 0.775, 0.8, 0.825], ["72.5%", "75.0%", "77.5%", "80.0%", "82.5%"]),
        ("ratio", [0.9, 0.95, 1.0, 1.05], ["90%", "95%", "100%", "105%"]),
        ("months", [7.5, 10.0, 12.5, 22.5], ["7.5 mo", "10.0 mo", "12.5 mo", "22.5 mo"]),
        ("months", [0.0, 6.0, 12.0, 18.0], ["0 mo", "6 mo", "12 mo", "18 mo"]),
        ("multiple", [0.0, 0.5, 1.0, 1.5], ["0.0x", "0.5x", "1.0x", "1.5x"]),
        ("multiple", [0.0, 5.0, 10.0], ["0x", "5x", "10x"]),
        ("count", [0.0, 5_000.0, 12_500.0], ["0", "5,000", "12.5k"]),
    ],
)
def test_axis_ticks_print_their_positions_exactly(unit, ticks, expected):
    assert S.value_formatter(unit).format_ticks(ticks) == expected


def test_tick_decimals_are_the_fewest_that_print_every_tick_exactly():
    assert F.tick_decimals([0.725, 0.75], "ratio") == 1  # 72.5%
    assert F.tick_decimals([0.7, 0.75], "ratio") == 0  # 70%, 75%
    assert F.tick_decimals([1.25, 1.5], "multiple") == 2
    assert F.tick_decimals([1 / 3], "multiple") == 3  # at most three


def test_status_colours_are_one_palette():
    assert charts.STATUS_COLORS["green"] == charts.GREEN == S.status_color("green")
    assert S.status_color("AMBER") == charts.AMBER
    assert S.status_color(np.nan) == charts.BLANK
    assert len({charts.GREEN, charts.AMBER, charts.RED, charts.BLANK}) == 4


def test_cohort_heatmap_annotates_percentages_and_puts_the_opening_cohort_first():
    fig = _figure(charts.cohort_heatmap(cohorts("logo"), "logo"))
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert "100" in texts and "96" in texts  # age 0 and age 1 of the logo triangle
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "<=2025-10"
    assert ax.get_xlabel() == "Months since acquisition" and ax.get_ylabel()
    cbar_ticks = [t.get_text() for t in fig.axes[1].get_yticklabels() if t.get_text()]
    assert cbar_ticks and all(t.endswith("%") for t in cbar_ticks)
    matplotlib.pyplot.close(fig)


def test_waterfall_labels_every_step():
    fig = _figure(CHARTS["arr_waterfall_dict"]())
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "Opening",
        "New",
        "Reactivation",
        "Expansion",
        "Contraction",
        "Churn",
        "Closing",
    ]
    texts = {t.get_text() for t in ax.texts}
    assert {"$1M", "+$200k", "−$60k", "$1.18M"} <= texts
    matplotlib.pyplot.close(fig)


def test_tiles_show_value_change_status_and_note():
    fig = _figure(CHARTS["kpi_tiles"]())
    texts = " | ".join(t.get_text() for ax in fig.axes for t in ax.texts)
    assert "€1.2M" in texts and "+12% vs prior period" in texts and "€900k a year ago" in texts
    assert "104%" in texts and "+3 pts" in texts
    assert "no new customers in the period" in texts
    matplotlib.pyplot.close(fig)


def test_benchmark_bars_colour_by_status():
    fig = _figure(CHARTS["benchmark_bars"]())
    colors = {matplotlib.colors.to_hex(p.get_facecolor()) for ax in fig.axes for p in ax.patches}
    assert {charts.GREEN.lower(), charts.AMBER.lower(), charts.RED.lower()} <= colors
    matplotlib.pyplot.close(fig)


def test_empty_tables_give_a_note_not_an_error():
    for fn in (charts.revenue_tiers, charts.revenue_lines, charts.funnel, charts.cohort_payback, charts.pacing):
        fig = _figure(fn(pd.DataFrame()))
        assert fig.axes[0].texts[0].get_text().startswith(("No ", "Cohort payback needs"))
        matplotlib.pyplot.close(fig)


# --- the lead's review: nothing clipped, nothing covered, scales that show differences ------
def _inside(artist, box, renderer):
    bb = artist.get_window_extent(renderer)
    return bb.x0 >= box.x0 - 1 and bb.x1 <= box.x1 + 1 and bb.y0 >= box.y0 - 1 and bb.y1 <= box.y1 + 1


@pytest.mark.parametrize("n", [3, 4, 5])
def test_tile_texts_stay_inside_their_tile_at_any_tile_count(n):
    long_bench = "> 100% green · 90–100% amber · < 90% red"
    rows = pd.concat([kpi_rows()] * 2, ignore_index=True).head(n).assign(benchmark=long_bench, status="green")
    fig = charts.kpi_tiles(
        rows, "EUR", sparklines={"arr": pd.Series([1.0, 2.0, 3.0, 4.0])}, period_label="prior quarter"
    )
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    tiles = [ax for ax in fig.axes if ax.patches]  # the tile axes (sparklines have none)
    assert len(tiles) == n
    for ax in tiles:
        box = ax.get_window_extent(renderer)
        for t in ax.texts:
            assert _inside(t, box, renderer), (n, t.get_text())
        shown = " ".join(t.get_text().replace("\n", " ") for t in ax.texts)
        assert "> 100% green" in shown and "< 90% red" in shown  # wrapped, not cut
    matplotlib.pyplot.close(fig)


def test_waterfall_axis_starts_near_the_smaller_of_opening_and_closing():
    fig = _figure(
        charts.arr_waterfall(
            {
                "opening": 17.9e6,
                "new": 1.38e6,
                "reactivation": 2.9e4,
                "expansion": 6.3e5,
                "contraction": 2.4e4,
                "churn": 3.4e5,
                "closing": 19.5e6,
            },
            "EUR",
        )
    )
    ax = fig.axes[0]
    low = ax.get_ylim()[0]
    assert 0.8 * 17.9e6 <= low <= 0.86 * 17.9e6 and low % 1e5 == 0
    assert any("not zero" in t.get_text() for t in ax.texts)
    matplotlib.pyplot.close(fig)
    # movements as large as the levels (an early company): the axis keeps its zero
    fig = _figure(charts.arr_waterfall({"opening": 1e5, "new": 2e5, "churn": 5e4, "closing": 2.5e5}, "EUR"))
    assert fig.axes[0].get_ylim()[0] == 0
    assert not any("not zero" in t.get_text() for t in fig.axes[0].texts)
    matplotlib.pyplot.close(fig)


def test_retention_heatmap_scale_follows_the_values_and_labels_stay_readable():
    t = cohorts("logo")
    t["value"] = 1 - 0.025 * t["age_months"]  # 80-100%: a 0-100% scale would be uniformly dark
    fig = _figure(charts.cohort_heatmap(t, "grr"))
    ax = fig.axes[0]
    vmin, vmax = ax.images[0].get_clim()
    assert 0.8 - 1e-9 <= vmin <= 0.85 and vmax == 1.0
    colors = {t.get_text(): t.get_color() for t in ax.texts}
    assert colors["100"] == "white"  # dark cell
    light = [c for txt, c in colors.items() if txt.isdigit() and int(txt) <= 84]
    assert light and all(c != "white" for c in light)
    matplotlib.pyplot.close(fig)


def test_a_quarter_still_running_is_labelled_to_date():
    df = pd.DataFrame(
        dict(
            period=pd.PeriodIndex(["2026Q2", "2026Q3", "2026Q4"], freq="Q"),
            new=[3e4, 4e4, 1e4],
            reactivation=[0.0, 0.0, 0.0],
            expansion=[5e3, 6e3, 2e3],
            contraction=[1e3, 2e3, 5e2],
            churn=[8e3, 9e3, 2e3],
            quick_ratio=[3.9, 4.5, 4.8],
            status=["amber", "amber", "amber"],
        )
    )
    fig = _figure(charts.quick_ratio_bars(df, "EUR", as_of=pd.Period("2026-10", "M")))
    labels = [t.get_text() for t in fig.axes[1].get_xticklabels()]
    assert labels == ["Q2 26", "Q3 26", "Q4 26\n(to date)"]
    matplotlib.pyplot.close(fig)
    fig = _figure(charts.quick_ratio_bars(df, "EUR", as_of=pd.Period("2026-12", "M")))
    assert [t.get_text() for t in fig.axes[1].get_xticklabels()][-1] == "Q4 26"
    matplotlib.pyplot.close(fig)


@pytest.mark.parametrize("name", ["revenue_tiers", "trend", "mrr_movements"])
def test_line_chart_legends_sit_below_the_plot(name):
    fig = _figure(CHARTS[name]())
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    leg = ax.get_legend()
    assert leg is not None
    assert leg.get_window_extent(renderer).y1 <= ax.get_window_extent(renderer).y0
    matplotlib.pyplot.close(fig)


def test_funnel_cohort_legend_does_not_cover_the_lines():
    rows = [
        dict(dimension="all", cohort=m, stage_from="signup", stage_to="pql", entered=100, converted=95, rate=0.95)
        for m in months(12)
    ]
    fig = _figure(charts.funnel_cohorts(pd.DataFrame(rows)))
    fig.canvas.draw()
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    assert ax.get_legend().get_window_extent(renderer).y1 <= ax.get_window_extent(renderer).y0
    matplotlib.pyplot.close(fig)


def test_usage_nps_shows_headline_figures_adoption_and_nps_split():
    fig = _figure(CHARTS["usage_nps"]())
    texts = " | ".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))
    assert "26%" in texts and "1,569" in texts and "363" in texts and "+39 vs prior quarter" in texts
    assert "API" in texts and "Data connectors" in texts and "94%" in texts
    assert "Promoters (9–10)" in texts and "−10" in texts
    matplotlib.pyplot.close(fig)


def test_score_changes_are_absolute():
    assert F.change(39.2, "score") == "+39"
    assert F.value(29.23, "score") == "29"


# ---------------------------------------------------------------------------------------
# what is drawn matches the table it was given (a wrong drawing fails here)
# ---------------------------------------------------------------------------------------
def _funnel_table():
    # conversion_from_previous as the metrics layer writes it: 1500/20000 = 0.075,
    # 300/1500 = 0.2, 45/300 = 0.15
    return pd.DataFrame(
        dict(
            stage=["visitors", "signup", "pql", "customer"],
            count=[20000.0, 1500.0, 300.0, 45.0],
            conversion_from_previous=[np.nan, 0.075, 0.2, 0.15],
        )
    )


def test_funnel_writes_the_tables_conversions_and_counts():
    fig = _figure(charts.funnel(_funnel_table()))
    texts = [t.get_text() for t in fig.axes[0].texts]
    # one "↓ x%" per stage after the first, from conversion_from_previous (1 decimal): a share
    # of the stage above in the same months, not called a conversion (the title says so)
    assert [t for t in texts if t.startswith("↓")] == ["↓ 7.5%", "↓ 20.0%", "↓ 15.0%"]
    for count in ("20k", "1,500", "300", "45"):
        assert count in texts
    matplotlib.pyplot.close(fig)


@pytest.mark.parametrize("counts", [[400.0, 100.0, 20.0], [60_700.0, 1_015.0, 54.0]])
def test_funnel_bar_widths_follow_the_counts(counts):
    # always linear, also when stages differ 1,000-fold (60.7k visitors must not look 1.4x
    # the 1,015 leads, as a log scale drew them): width ratios are count ratios
    table = pd.DataFrame(
        dict(
            stage=["visitors", "created", "customer"],
            count=counts,
            conversion_from_previous=[np.nan, counts[1] / counts[0], counts[2] / counts[1]],
        )
    )
    fig = _figure(charts.funnel(table))
    widths = [p.get_width() for p in fig.axes[0].patches]
    assert widths == pytest.approx(counts)
    assert not any("log" in t.get_text() for t in fig.axes[0].texts)
    matplotlib.pyplot.close(fig)


def test_funnel_cohort_lines_are_the_tables_rates():
    # two transitions, three cohorts; rate = converted / entered from the metrics layer
    rows = []
    for cohort, (a, b) in zip(["2026-01", "2026-02", "2026-03"], [(0.5, 0.2), (0.4, 0.25), (0.3, 0.1)], strict=False):
        rows.append(
            dict(
                cohort=cohort,
                dimension="all",
                value="all",
                stage_from="created",
                stage_to="signup",
                entered=100,
                converted=int(a * 100),
                age_months=3,
                mature=True,
                rate=a,
            )
        )
        rows.append(
            dict(
                cohort=cohort,
                dimension="all",
                value="all",
                stage_from="signup",
                stage_to="customer",
                entered=20,
                converted=int(b * 20),
                age_months=3,
                mature=True,
                rate=b,
            )
        )
    fig = _figure(charts.funnel_cohorts(pd.DataFrame(rows)))
    lines = {ln.get_label(): list(ln.get_ydata()) for ln in fig.axes[0].lines}
    assert lines["Leads → Sign-ups"] == pytest.approx([0.5, 0.4, 0.3])
    assert lines["Sign-ups → Customers"] == pytest.approx([0.2, 0.25, 0.1])
    matplotlib.pyplot.close(fig)


def _quick_ratio_table(status):
    return pd.DataFrame(
        dict(
            period=pd.PeriodIndex(["2026Q1", "2026Q2", "2026Q3"], freq="Q"),
            new=[3e4, 4e4, 5e4],
            reactivation=[0.0, 1e3, 0.0],
            expansion=[5e3, 6e3, 7e3],
            contraction=[1e3, 2e3, 1e3],
            churn=[8e3, 9e3, 5e3],
            quick_ratio=[3.9, 4.5, 9.5],
            status=status,
        )
    )


@pytest.mark.parametrize("status", [["amber", "amber", "green"], ["red", "green", "amber"]])
def test_quick_ratio_bars_are_coloured_by_the_tables_status(status):
    # the colour comes from the status column (the kpis layer judged it), never re-judged
    fig = _figure(charts.quick_ratio_bars(_quick_ratio_table(status), "EUR"))
    axq = fig.axes[1]
    bars = [p for p in axq.patches if p.get_height() > 0]
    assert [matplotlib.colors.to_hex(p.get_facecolor()) for p in bars] == [S.status_color(s).lower() for s in status]
    assert [p.get_height() for p in bars] == pytest.approx([3.9, 4.5, 9.5])
    matplotlib.pyplot.close(fig)


def test_quick_ratio_movement_bars_stack_the_tables_amounts():
    fig = _figure(charts.quick_ratio_bars(_quick_ratio_table(["amber", "amber", "green"]), "EUR"))
    heights = sorted(round(p.get_height()) for p in fig.axes[0].patches if p.get_width() > 0)
    # new, reactivation, expansion up; contraction, churn down (negative heights)
    want = sorted([3e4, 4e4, 5e4, 0, 1e3, 0, 5e3, 6e3, 7e3, -1e3, -2e3, -1e3, -8e3, -9e3, -5e3])
    assert heights == want
    matplotlib.pyplot.close(fig)


def test_benchmark_bars_and_tiles_take_their_colours_from_the_status_column():
    rows = unit_rows()
    fig = _figure(charts.benchmark_bars(rows, "EUR"))
    colours = {matplotlib.colors.to_hex(p.get_facecolor()) for ax in fig.axes for p in ax.patches}
    for st in ("green", "amber", "red"):
        assert S.status_color(st).lower() in colours
    matplotlib.pyplot.close(fig)


def test_cohort_heatmap_cells_are_the_tables_values():
    table = cohorts("logo", n=4)
    fig = _figure(charts.cohort_heatmap(table, "logo"))
    ax = fig.axes[0]
    image = ax.images[0].get_array()
    # row i = cohort i, column = age: logo value 1 - 0.04 * age
    for i, cohort in enumerate(["<=2025-10"] + months(3, "2026-08")):
        sub = table[table["cohort"] == cohort].sort_values("age_months")
        assert list(np.ma.filled(image[i, : len(sub)], np.nan)) == pytest.approx(list(sub["value"]))
    matplotlib.pyplot.close(fig)


def test_waterfall_steps_are_the_bridges_amounts():
    bridge = {
        "opening": 1e6,
        "new": 2e5,
        "reactivation": 1e4,
        "expansion": 5e4,
        "contraction": 2e4,
        "churn": 6e4,
        "closing": 1.18e6,
    }
    fig = _figure(charts.arr_waterfall(bridge, "USD"))
    heights = [abs(p.get_height()) for p in fig.axes[0].patches if p.get_width() > 0]
    # each step's bar is as tall as its amount (the floating bars of a waterfall)
    for amount in (2e5, 1e4, 5e4, 2e4, 6e4):
        assert any(h == pytest.approx(amount) for h in heights), (amount, heights)
    matplotlib.pyplot.close(fig)


def test_pacing_bars_are_actual_over_target_in_the_status_colour():
    fig = _figure(charts.pacing(pacing_table(), "EUR"))
    ax = fig.axes[0]
    filled = [p for p in ax.patches if p.get_facecolor()[3] > 0]
    # actual / target: 500k / 900k and 100k / 300k; on track = amber, behind = red
    assert [p.get_width() for p in filled] == pytest.approx([500 / 900, 100 / 300])
    assert [matplotlib.colors.to_hex(p.get_facecolor()) for p in filled] == [
        S.status_color("amber").lower(),
        S.status_color("red").lower(),
    ]
    assert any("€500k of €900k" in t.get_text() for t in ax.texts)
    matplotlib.pyplot.close(fig)


def test_pacing_rows_name_a_targets_filter_by_its_values():
    table = pacing_table().assign(dimension=["all", "source=inbound,segment=SMB"])
    fig = _figure(charts.pacing(table, "EUR"))
    names = [t.get_text() for t in fig.axes[0].texts if t.get_ha() == "right"]
    assert names == ["Pipeline created", "Pipeline created · inbound, SMB"]
    matplotlib.pyplot.close(fig)


def test_quick_ratio_axis_is_capped_and_outliers_keep_their_value():
    # bands 3 (amber) and 5 (green) -> cap = 2.5 x 5 = 12.5x; a 20.2x quarter is drawn at the
    # cap, hatched, and labelled with its own value
    table = _quick_ratio_table(["green", "green", "green"]).assign(quick_ratio=[5.2, 20.2, 9.9])
    fig = _figure(charts.quick_ratio_bars(table, "EUR"))
    axq = fig.axes[1]
    bars = [p for p in axq.patches if p.get_height() > 0]
    assert [p.get_height() for p in bars] == pytest.approx([5.2, 12.5, 9.9])
    assert [bool(p.get_hatch()) for p in bars] == [False, True, False]
    texts = [t.get_text() for t in axq.texts]
    assert "20.2▲" in texts and "5.2" in texts
    assert axq.get_ylim()[1] < 20
    matplotlib.pyplot.close(fig)


def test_revenue_lines_treat_the_first_month_of_data_as_the_opening_book():
    # month 0 precedes the data (ARR 0), month 1 is the opening book (bookings 5M: every
    # contract signed before the data); the lines start at month 2
    t = revenue_bridge(6)
    t.loc[0, ["arr", "carr", "bookings", "billings", "revenue"]] = [0.0, 3e4, 3e4, 0.0, 0.0]
    t.loc[1, "bookings"] = 5e6
    fig = _figure(charts.revenue_lines(t, "EUR"))
    flows, stocks = fig.axes[0], fig.axes[1]
    bookings = next(ln for ln in flows.lines if ln.get_label() == revenue.LINE_LABELS["bookings"])
    assert list(bookings.get_ydata()) == pytest.approx(list(t["bookings"].iloc[2:]))
    arr = next(ln for ln in stocks.lines if ln.get_label() == revenue.LINE_LABELS["arr"])
    assert list(arr.get_ydata()) == pytest.approx(list(t["arr"].iloc[2:]))
    assert min(arr.get_ydata()) > 0
    matplotlib.pyplot.close(fig)


def _runway_table():
    return pd.DataFrame(
        dict(
            month=months(4),
            cash_balance=[10e6, 9.5e6, 9e6, 8.4e6],
            net_burn_monthly=[np.nan, np.nan, 0.5e6, 0.55e6],
            runway_months=[np.nan, np.nan, 18.0, 8.4e6 / 0.55e6],
        )
    )


def test_runway_bars_are_the_cash_balance_and_the_line_the_burn():
    t = _runway_table()
    fig = _figure(charts.runway(t, "EUR"))
    ax = fig.axes[0]
    assert [p.get_height() for p in ax.patches] == pytest.approx([10e6, 9.5e6, 9e6, 8.4e6])
    burn = fig.axes[1].lines[0].get_ydata()
    assert np.isnan(burn[:2]).all() and list(burn[2:]) == pytest.approx([0.5e6, 0.55e6])
    # 8.4M / 0.55M = 15.27 -> "15.3 months"
    assert any(t.get_text().startswith("15.3 months of runway") for t in ax.texts)
    matplotlib.pyplot.close(fig)


def test_sensitivity_rows_put_the_reported_value_at_one_on_a_shared_scale():
    t = pd.DataFrame(
        dict(
            kpi=["ltv_cac"] * 2 + ["cac_payback_months"] * 3,
            policy=["ltv_churn_basis"] * 2 + ["cac_lag_months"] * 3,
            policy_value=["period", "monthly", "0", "1", "3"],
            kpi_value=[5.6, 3.1, 17.0, 16.6, 21.4],
            in_force=[True, False, False, True, False],
        )
    )
    fig = _figure(charts.sensitivity_ranges(t, "EUR"))
    first, second = fig.axes
    dots = lambda ax: [ln.get_xdata()[0] for ln in ax.lines if ln.get_marker() == "o"]  # noqa: E731
    # LTV:CAC 3.1 / 5.6 = 0.5536; CAC payback 17.0 / 16.6 = 1.0241, 21.4 / 16.6 = 1.2892
    assert dots(first) == pytest.approx([1.0, 3.1 / 5.6])
    assert dots(second) == pytest.approx([17.0 / 16.6, 1.0, 21.4 / 16.6])
    assert first.get_xlim() == second.get_xlim()
    assert any("5.6x as reported" in tx.get_text() for tx in first.texts)
    matplotlib.pyplot.close(fig)


def test_owner_bars_are_the_tables_pipeline_and_wins():
    t = pd.DataFrame(
        dict(
            owner=["A", "B"],
            pipeline_created=[2e6, 1e6],
            won_amount=[3e5, 6e5],
            win_rate=[0.2, 0.4],
            avg_deal_size=[5e4, 2e4],
            sales_cycle_days=[80.0, 30.0],
        )
    )
    fig = _figure(charts.owner_bars(t, "EUR"))
    widths = [p.get_width() for p in fig.axes[0].patches]
    # sorted by won ascending (A then B bottom-up): pipeline bars then won bars
    assert widths == pytest.approx([2e6, 1e6, 3e5, 6e5])
    assert any("40% win rate" in tx.get_text() for tx in fig.axes[0].texts)
    matplotlib.pyplot.close(fig)


# ---------------------------------------------------------------------------------------
# per chart module: what is drawn is the table's numbers and statuses
# ---------------------------------------------------------------------------------------
def _hex(patch):
    return matplotlib.colors.to_hex(patch.get_facecolor())


# --- tiles --------------------------------------------------------------------------------
def test_tiles_take_their_stripe_colour_from_the_status_column():
    fig = CHARTS["kpi_tiles"]()
    tiles = [ax for ax in fig.axes if ax.patches]
    # patch 0 is the tinted tile, patch 1 its status stripe; statuses "", green, amber, ""
    assert [_hex(ax.patches[1]) for ax in tiles] == [S.status_color(s).lower() for s in ["", "green", "amber", ""]]
    assert [_hex(ax.patches[0]) for ax in tiles][1] == S.STATUS_TINTS["green"].lower()
    matplotlib.pyplot.close(fig)


def test_sparkline_points_are_the_series():
    ax = charts.sparkline(pd.Series([1.0, 3.0, np.nan, 5.0]), "red")
    line = ax.lines[0]
    assert list(line.get_ydata()[[0, 1, 3]]) == [1.0, 3.0, 5.0] and np.isnan(line.get_ydata()[2])
    assert line.get_color() == S.status_color("red")
    assert list(ax.lines[1].get_ydata()) == [5.0]  # the last point marked
    matplotlib.pyplot.close(ax.figure)


# --- revenue -------------------------------------------------------------------------------
def test_revenue_tiers_stack_the_tables_tiers_and_draw_its_recurring_share():
    t = revenue_tiers(3)
    ax = charts.revenue_tiers(t, "EUR")
    bars = ax.patches
    # 3 months x 3 tiers in tier order; each stacked on the ones below
    assert [p.get_height() for p in bars[:3]] == pytest.approx(list(t["contracted_recurring"]))
    assert [p.get_height() for p in bars[3:6]] == pytest.approx([8e3] * 3)
    assert [p.get_y() for p in bars[6:9]] == pytest.approx(list(t["contracted_recurring"] + 8e3))
    share = ax.figure.axes[1].lines[0]
    assert list(share.get_ydata()) == pytest.approx(list(t["recurring_share"]))
    matplotlib.pyplot.close(ax.figure)


def test_mrr_movements_stack_gains_up_and_losses_down():
    bridge = mrr_bridge(3)
    ax = charts.mrr_movements(bridge, "EUR")
    heights = [p.get_height() for p in ax.patches]
    # new, reactivation, expansion, contraction, churn: three months each, losses negative
    assert heights[:3] == pytest.approx(list(bridge["new"]))
    assert heights[9:12] == pytest.approx(list(-bridge["contraction"]))
    assert heights[12:15] == pytest.approx(list(-bridge["churn"]))
    assert [p.get_y() for p in ax.patches[12:15]] == pytest.approx(list(-bridge["contraction"]))
    matplotlib.pyplot.close(ax.figure)


def test_arpa_driver_lines_are_the_tables_columns():
    t = pd.DataFrame(
        dict(
            period=pd.PeriodIndex(["2026Q2", "2026Q3"], freq="Q"),
            asp=[900.0, 1000.0],
            arpa_churned=[400.0, 350.0],
            arpa_expanded=[1500.0, 1600.0],
            arpa_contracted=[800.0, 700.0],
            arpa=[1000.0, 1050.0],
        )
    )
    ax = charts.arpa_drivers(t, "EUR")
    lines = {ln.get_label(): list(ln.get_ydata()) for ln in ax.lines}
    assert lines["ASP (new customers)"] == [900.0, 1000.0] and lines["ARPA (all customers)"] == [1000.0, 1050.0]
    assert lines["Churned customers"] == [400.0, 350.0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Q2 26", "Q3 26"]
    matplotlib.pyplot.close(ax.figure)


# --- cohorts ------------------------------------------------------------------------------
def test_cohort_payback_bars_are_cac_and_gross_profit_coloured_by_payback():
    ax = CHARTS["cohort_payback"]()
    cac, gp = ax.patches[:3], ax.patches[3:6]
    assert [p.get_height() for p in cac] == pytest.approx([2e4, 2.2e4, 2.5e4])
    assert [p.get_height() for p in gp] == pytest.approx([2.4e4, 1.5e4, 8e3])
    # payback_age_months 5 (paid back: green), blank, blank (not yet: amber)
    assert [_hex(p) for p in gp] == [S.GREEN.lower(), S.AMBER.lower(), S.AMBER.lower()]
    assert {"month 5", "not yet"} <= {t.get_text() for t in ax.texts}
    matplotlib.pyplot.close(ax.figure)


def test_cohort_compare_draws_each_segments_cohort_values():
    smb = cohorts("nrr", n=3).assign(segment="SMB")
    ent = cohorts("nrr", n=3).assign(segment="Enterprise", value=lambda d: d["value"] + 0.1)
    fig = charts.cohort_compare({"nrr": pd.concat([smb, ent])}, ["SMB", "Enterprise"])
    left, right = fig.axes[:2]
    # line 0 is the 100% reference; then one line per cohort, the opening cohort first
    first = smb[smb["cohort"] == "<=2025-10"].sort_values("age_months")["value"]
    assert list(left.lines[1].get_ydata()) == pytest.approx(list(first))
    assert list(right.lines[1].get_ydata()) == pytest.approx(list(first + 0.1))
    matplotlib.pyplot.close(fig)


# --- segments -----------------------------------------------------------------------------
def test_segment_compare_scales_each_row_to_its_larger_value_in_status_colours():
    ax = CHARTS["segment_compare"]()
    bars = ax.patches
    # ARR 400k vs 900k -> 0.444, 1.0; NRR 95% vs 110% -> 0.864, 1.0
    assert [p.get_width() for p in bars] == pytest.approx([4 / 9, 1.0, 0.95 / 1.1, 1.0])
    # no status on the ARR row: the segments' colours; NRR amber and green from status_<segment>
    assert [_hex(p) for p in bars] == [
        S.PRIMARY.lower(),
        S.SECONDARY.lower(),
        S.AMBER.lower(),
        S.GREEN.lower(),
    ]
    matplotlib.pyplot.close(ax.figure)


def test_breakdown_bars_are_the_tables_values_largest_first():
    ax = CHARTS["breakdown_bars"]()
    assert [p.get_width() for p in ax.patches] == [300, 200, 50]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["paid", "organic", "partner"]
    matplotlib.pyplot.close(ax.figure)


# --- hierarchy ----------------------------------------------------------------------------
def test_kpi_tree_boxes_carry_the_tables_statuses_and_values():
    fig = CHARTS["kpi_tree"]()
    ax = fig.axes[0]
    stripes = [p for p in ax.patches if isinstance(p, matplotlib.patches.Rectangle)]
    # NRR (green) is a north star: its stripe is green; the rest are not judged
    assert sorted(_hex(p) for p in stripes).count(S.GREEN.lower()) == 1
    texts = [t.get_text() for t in ax.texts]
    assert "€1.2M" in texts and "104%" in texts and "€80k" in texts
    matplotlib.pyplot.close(fig)


# --- product ------------------------------------------------------------------------------
def test_nps_bars_stack_the_tables_shares():
    fig = CHARTS["usage_nps"]()
    panels = fig.subfigs[1].axes  # under the headline figures
    nps_ax = next(ax for ax in panels if ax.get_title(loc="left").startswith("NPS"))
    heights = [p.get_height() for p in nps_ax.patches]
    # detractors, passives, promoters for two periods
    assert heights == pytest.approx([0.34, 0.13, 0.42, 0.45, 0.24, 0.42])
    adoption = next(ax for ax in panels if ax.get_title(loc="left") == "Core-feature adoption")
    assert [p.get_width() for p in adoption.patches] == pytest.approx([150 / 160, 0.5, 0.125])
    matplotlib.pyplot.close(fig)


# --- trends -------------------------------------------------------------------------------
def test_trend_lines_are_the_tables_columns():
    t = revenue_bridge(4)
    ax = charts.trend(t, ["arr", "carr"], unit="currency", currency="EUR")
    assert [list(ln.get_ydata()) for ln in ax.lines] == [list(t["arr"]), list(t["carr"])]
    matplotlib.pyplot.close(ax.figure)


def test_money_axis_ticks_never_print_alike():
    money_formatter = S.money_formatter

    # an ARR bridge axis from €1.0M to €1.4M by €50k: one significant digit more than the default
    ticks = [1.0e6 + 50e3 * i for i in range(9)]
    labels = money_formatter("EUR").format_ticks(ticks)
    assert labels[:3] == ["€1M", "€1.05M", "€1.1M"] and len(set(labels)) == 9
    assert money_formatter("EUR").format_ticks([0, 5e5, 1e6]) == ["€0", "€500k", "€1M"]  # unchanged when distinct


def test_portfolio_scatter_puts_each_company_at_its_values_in_its_worse_status():
    companies = pd.DataFrame(
        dict(
            name=["Acme", "Beta", "Gamma"],
            arr_growth_yoy=[0.5, 1.2, None],  # Gamma has no growth: left off the plot
            arr_growth_yoy_status=["green", "amber", ""],
            burn_multiple=[2.6, 1.1, 1.0],
            burn_multiple_status=["red", "green", "green"],
            behind=[True, False, False],
        )
    )
    kpis = pd.DataFrame(
        dict(kpi=["arr_growth_yoy", "burn_multiple"], unit=["pct", "multiple"], label=["ARR growth", "Burn"])
    )
    fig = portfolio_charts.scatter(companies, kpis, "arr_growth_yoy", "burn_multiple", {})
    ax = fig.axes[0]
    dots = [c for c in ax.collections if len(c.get_offsets())]
    assert [tuple(d.get_offsets()[0]) for d in dots] == [(0.5, 2.6), (1.2, 1.1)]
    # the worse of the two statuses: Acme green/red -> red, Beta amber/green -> amber
    assert [matplotlib.colors.to_hex(d.get_facecolor()[0]) for d in dots] == [
        S.status_color("red").lower(),
        S.status_color("amber").lower(),
    ]
    labels = {t.get_text(): t for t in ax.texts if t.get_text() in ("Acme", "Beta")}
    assert matplotlib.colors.to_hex(labels["Acme"].get_color()) == matplotlib.colors.to_hex(S.RED)  # behind
    assert matplotlib.colors.to_hex(labels["Beta"].get_color()) == matplotlib.colors.to_hex(S.INK)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("ARR growth", "Burn")
    matplotlib.pyplot.close(fig)


def test_an_nps_bar_is_labelled_by_its_window():
    # the nps table writes its windows with an en dash; each bar is the three months it counts,
    # not its last month alone ("Oct 26" read as October's NPS)
    assert nps_period_label({"period": "Aug 2026 – Oct 2026", "as_of": "2026-10"}) == "Aug–Oct\n2026"
    assert nps_period_label({"period": "Nov 2024 - Jan 2025", "as_of": "2025-01"}) == "Nov–Jan\n2025"
    assert nps_period_label({"period": "2026-09", "as_of": "2026-09"}) == "Sep 26"
