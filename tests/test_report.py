"""reportlib.deck.report: the KPI-result cache, parameters, commentary and formatting helpers.

Every result here is a real :class:`~reportlib.kpis.KpiResult` of the tiny hand-computed
company of test_kpis (A: 100 a month, SMB; B: 200 until 2026-01, Enterprise; C: new in
2026-02 at 50, 80 in 2026-03, SMB), so that the contract between kpis and the deck is the
one under test. Where a page needs a figure the tiny company has not got (usage, a
sensitivity range), the real result is copied with that one table or row changed.
"""

from __future__ import annotations

import pickle
from dataclasses import replace
from pathlib import Path

import matplotlib
import pandas as pd
import pytest
from test_kpis import tiny_company

from reportlib import format as F
from reportlib import registry as reg
from reportlib.deck import _html, _load, _summary, _words, charts, report
from reportlib.exceptions import ParameterError
from reportlib.kpis import KpiResult, compute_kpis
from reportlib.kpis.sensitivity import SENSITIVITY_COLUMNS
from reportlib.metrics import Window

matplotlib.use("Agg")

AS_OF = "2026-03"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tiny_company(tmp_path_factory.mktemp("report") / "tiny")


@pytest.fixture(scope="module")
def tiny(folder) -> KpiResult:
    return compute_kpis(folder, as_of=AS_OF)


@pytest.fixture(scope="module")
def compared(folder) -> KpiResult:
    return compute_kpis(folder, as_of=AS_OF, compare="segment=SMB,Enterprise")


def with_kpis(result: KpiResult, **values: dict) -> KpiResult:
    """The result with some kpis.csv cells changed: ``kpi={"column": value, ...}``."""
    kpis = result.kpis.copy()
    for kpi, cells in values.items():
        for column, value in cells.items():
            kpis.loc[kpis["kpi"] == kpi, column] = value
    return replace(result, kpis=kpis)


def _fail(*args, **kwargs):
    pytest.fail("computed despite the cache")


# --- cache and parameters ----------------------------------------------------------------------
def test_cache_hit_returns_the_pickled_result_without_computing(tiny, folder, tmp_path, monkeypatch):
    out = tmp_path / "pack"
    report.write_cache(tiny, out, folder, AS_OF, "quarter", "", "")
    monkeypatch.setattr(_load, "compute_kpis", _fail)
    got = report.load_report(str(folder), AS_OF, "quarter", "", "", str(out))
    assert isinstance(got, KpiResult) and got.kpis.equals(tiny.kpis)
    # the default as-of ("") matches a cache written for a resolved month
    assert report.load_report(str(folder), "", "quarter", "", "", str(out)).kpis.equals(tiny.kpis)


def test_bare_pickle_from_the_pack_runner_is_used_when_it_matches(tiny, folder, tmp_path, monkeypatch):
    out = tmp_path / "pack"
    (out / "_cache").mkdir(parents=True)
    with open(out / "_cache" / "kpi_result.pkl", "wb") as f:
        pickle.dump(tiny, f)
    monkeypatch.setattr(_load, "compute_kpis", _fail)
    assert report.load_report(str(folder), AS_OF, "quarter", "", "", str(out)).company.path == folder


@pytest.mark.parametrize(
    "change",
    [dict(as_of="2025-12"), dict(window="year"), dict(segment="segment=SMB"), dict(compare="segment=SMB,Enterprise")],
)
@pytest.mark.parametrize("bare", [False, True])
def test_cache_miss_on_other_parameters_computes(tiny, folder, tmp_path, monkeypatch, change, bare):
    out = tmp_path / "pack"
    if bare:
        (out / "_cache").mkdir(parents=True)
        (out / "_cache" / "kpi_result.pkl").write_bytes(pickle.dumps(tiny))
    else:
        report.write_cache(tiny, out, folder, AS_OF, "quarter", "", "")
    calls = []
    monkeypatch.setattr(_load, "compute_kpis", lambda *a, **k: calls.append((a, k)) or tiny)
    params = dict(as_of=AS_OF, window="quarter", segment="", compare="") | change
    assert report.load_report(str(folder), output_dir=str(out), **params) is tiny
    ((args, kwargs),) = calls
    assert args[0] == str(folder.resolve())
    assert kwargs["segment"] == report.parse_segment(params["segment"])
    assert kwargs["compare"] == report.parse_compare(params["compare"])


def test_no_output_dir_or_corrupt_cache_computes(tiny, folder, tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(_load, "compute_kpis", lambda *a, **k: calls.append(a) or tiny)
    assert report.load_report(str(folder)) is tiny
    out = tmp_path / "pack"
    (out / "_cache").mkdir(parents=True)
    (out / "_cache" / "kpi_result.pkl").write_bytes(b"not a pickle")
    assert report.load_report(str(folder), output_dir=str(out)) is tiny
    assert len(calls) == 2


def test_without_a_pack_cache_the_result_comes_through_the_store(tmp_path, monkeypatch):
    """A notebook opened in Jupyter (no ``output_dir``): the first load computes and stores
    the result, the next one (another notebook, a re-run) reads it back; an input changed
    on disk computes it again."""
    from reportlib.kpis import builder

    folder = tiny_company(tmp_path / "tiny")
    first = report.load_report(str(folder), AS_OF)
    monkeypatch.setattr(builder, "_computed", _fail)
    again = report.load_report(str(folder), AS_OF)
    assert again is not first and again.kpis.equals(first.kpis)
    monkeypatch.undo()
    computed = []
    monkeypatch.setattr(builder, "_computed", lambda *a: computed.append(a) or first)
    mrr = next(folder.glob("*.csv"))
    mrr.write_text(mrr.read_text() + "\n")
    report.load_report(str(folder), AS_OF)
    assert len(computed) == 1


def test_parameters_parse():
    assert report.parse_segment("segment=Enterprise") == ("segment", "Enterprise")
    assert report.parse_segment("") is None
    assert report.parse_compare("segment=SMB,Enterprise") == ("segment", ("SMB", "Enterprise"))
    with pytest.raises(ParameterError):
        report.parse_compare("segment=SMB")


def test_relative_company_dir_resolves_from_the_notebooks_folder(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert report.resolve_company_dir("../data/meridian") == (
        Path(report.__file__).resolve().parents[2] / "data" / "meridian"
    )


# --- words ---------------------------------------------------------------------------------------
def test_commentary_is_split_by_section_heading(tiny, tmp_path):
    (tmp_path / "commentary.md").write_text(
        "# Executive summary\nA strong quarter.\n\n## Revenue quality\nSMB churn.\n\n## Unknown\nignored\n"
        "## KPI hierarchy and leading indicators\nPartner pipeline behind.\n"
    )
    res = replace(tiny, company=replace(tiny.company, path=tmp_path))
    assert report.commentary(res, "summary") == "A strong quarter."
    assert report.commentary(res, "revenue_quality") == "SMB churn."
    assert report.commentary(res, "kpi_hierarchy") == "Partner pipeline behind."
    assert report.commentary(res, "appendix") == ""
    assert report.commentary(tiny, "summary") == ""  # the tiny folder has none


def test_commentary_once_shows_the_block_on_the_first_page_only(tiny, tmp_path, monkeypatch):
    # the appendix's pages are each optional: its notes go on the first one there is
    (tmp_path / "commentary.md").write_text("## Appendix\nContracts come from billing.\n")
    res = replace(tiny, company=replace(tiny.company, path=tmp_path))
    shown: list[str] = []
    monkeypatch.setattr(_words, "show_html", shown.append)
    notes = report.commentary_once(res, "appendix")
    notes()  # first page
    notes()  # second page: nothing
    assert len(shown) == 1 and "Contracts come from billing." in shown[0] and "Analyst commentary" in shown[0]
    report.commentary_once(tiny, "appendix")()  # no notes: nothing at all
    assert len(shown) == 1


def test_kpi_row_and_formatting(tiny):
    # ARR = 12 x (A 100 + C 80) = 2,160; a quarter earlier 12 x (A 100 + B 200) = 3,600
    assert report.kpi_row(tiny, "arr")["value"] == pytest.approx(2160.0)
    assert report.kpi_row(tiny, "nope")["note"] == "not computed"
    assert report.fmt_kpi(tiny, "arr") == "€2.2k"
    assert F.money(850_000, "USD") == "$850k"
    assert F.percent(0.85) == "85%"
    assert report.period_label(tiny) == "Q1 2026"
    assert report.period_word(tiny) == "quarter"
    assert report.headline(tiny, "summary", "x") == "ARR fell 40% in the quarter to €2.2k (-40% vs a year ago)"
    # 3,600 + new 12 x 50 + expansion 12 x 30 - churn 12 x 200 = 2,160
    assert report.arr_bridge(tiny) == {
        "opening": 3600.0,
        "new": 600.0,
        "reactivation": 0.0,
        "expansion": 360.0,
        "contraction": 0.0,
        "churn": 2400.0,
        "closing": 2160.0,
    }
    assert report.arr_bridge_title(tiny) == "ARR €3.6k → €2.2k in Q1 2026: +€600 new, +€360 expansion, −€2.4k churn"
    html = report.kpi_table(tiny, ["arr"]).to_html()
    assert ">€2.2k<" in html and ">€3.6k<" in html and ">−40%<" in html  # 2160 / 3600 - 1


def _kpi_table_cells(result: KpiResult, kpi: str) -> list[str]:
    """The value, prior and change cells of one KPI's row of the KPI table."""
    frame = report.kpi_table(result, [kpi]).data
    return frame.iloc[0, 1:4].tolist()


def test_the_kpi_tables_change_is_the_difference_of_the_values_it_shows(tiny):
    # GRR 76.4% now, 75.6% a quarter before: a true change of +0.8 pts. At whole percent the
    # row read "76% / 76% / +1 pts": 76 - 76 is 0, not 1. One decimal more: 76.4 - 75.6 = 0.8.
    grr = {"value": 0.764, "prior_value": 0.756, "change": 0.764 - 0.756}
    assert _kpi_table_cells(with_kpis(tiny, grr=grr), "grr") == ["76.4%", "75.6%", "+0.8 pts"]
    # 76.6% and 75.4% (+1.2 pts) read "77% / 75% / +1 pts" (77 - 75 is 2): "76.6% / 75.4% / +1.2 pts".
    grr = {"value": 0.766, "prior_value": 0.754, "change": 0.766 - 0.754}
    assert _kpi_table_cells(with_kpis(tiny, grr=grr), "grr") == ["76.6%", "75.4%", "+1.2 pts"]
    # 76.2% and 76.1% (+0.1 pts): whole percent already agrees, 76 - 76 = 0 = +0.1 rounded.
    grr = {"value": 0.762, "prior_value": 0.761, "change": 0.762 - 0.761}
    assert _kpi_table_cells(with_kpis(tiny, grr=grr), "grr") == ["76%", "76%", "±0 pts"]
    # A multiple: magic number 1.66x vs 1.54x (+0.12x) read "1.7x / 1.5x / +0.1x" (1.7 - 1.5
    # is 0.2): two decimals, 1.66 - 1.54 = 0.12.
    magic = {"value": 1.66, "prior_value": 1.54, "change": 1.66 - 1.54}
    assert _kpi_table_cells(with_kpis(tiny, magic_number=magic), "magic_number") == ["1.66x", "1.54x", "+0.12x"]
    # One decimal more at most (5.868x would be false precision): LTV:CAC 5.868x vs 4.124x reads
    # 5.87x / 4.12x and the change is what those show, 5.87 - 4.12 = +1.75x (not 1.744's +1.74x).
    ltv_cac = {"value": 5.868, "prior_value": 4.124, "change": 5.868 - 4.124}
    assert _kpi_table_cells(with_kpis(tiny, ltv_cac=ltv_cac), "ltv_cac") == ["5.87x", "4.12x", "+1.75x"]


def test_kpi_rows_carry_the_north_stars_year_ago(tiny):
    rows = report.kpi_rows(tiny, ["arr", "mrr"]).set_index("kpi")
    assert rows.loc["arr", "year_ago"] == pytest.approx(3600.0)  # 2025-03: 12 x (100 + 200)
    assert rows.loc["arr", "change_yoy"] == pytest.approx(-0.4)  # 2160 / 3600 - 1
    assert pd.isna(rows.loc["mrr", "year_ago"])  # not a north star


def test_kpi_rows_come_in_the_order_asked_and_skip_unknown_ids(tiny):
    rows = report.kpi_rows(tiny, ["mrr", "no_such_kpi", "arr", "mrr"])
    assert list(rows["kpi"]) == ["mrr", "arr", "mrr"] and list(rows.index) == [0, 1, 2]
    assert rows.loc[1, "value"] == pytest.approx(2160.0)  # March: 12 x (100 + 80)
    assert report.kpi_rows(tiny, []).empty and list(report.kpi_rows(tiny, [])) == list(rows)
    # kpis.csv lists the north stars in registry order; the pages show the company's order
    stars = report.kpi_rows(tiny, tier="north_star")
    assert list(stars["kpi"]) == ["arr", "nrr", "cac_payback_months", "burn_multiple"]
    assert list(report.north_star(tiny)["kpi"]) == ["arr", "nrr", "burn_multiple", "cac_payback_months"]


def test_sparklines_follow_the_closing_mrr(tiny):
    arr = report.sparklines(tiny)["arr"]
    assert len(arr) == 15 and list(arr.tail(3)) == [300.0, 150.0, 180.0]  # Jan A+B, Feb A+C 50, Mar A+C 80


def test_short_titles_cut_long_sentences_at_a_clause():
    long = "ARR grew 13% in the quarter to €1.5M (+77% vs a year ago); new business was 72% of the ARR added."
    assert report.short(long) == "ARR grew 13% in the quarter to €1.5M (+77% vs a year ago)"
    assert report.short("Short sentence.") == "Short sentence"


def test_appendix_facts_are_the_results_own(tiny):
    facts = dict(zip(*report.cover_facts(tiny).T.to_numpy(), strict=True))
    assert facts["Company"] == "Tiny" and facts["Period"] == "Q1 2026 (quarter to 2026-03)"
    assert facts["Stage · go-to-market"] == "early · sales-led"
    # 15 months of A + 13 of B + 2 of C = 30 rows
    assert report.inputs_table(tiny).to_dict("records") == [{"input": "mrr", "files": "mrr.csv", "rows": 30}]
    assert list(report.policies_table(tiny).columns) == ["policy", "value", "meaning"]
    assert report.warnings_table(tiny).empty


def test_restatements_title_is_the_narratives_sentence(tiny):
    assert report.restatements_title(tiny) == "Restated since the last pack"
    res = replace(tiny, narrative={**tiny.narrative, "restatements_title": ["Restated since the 2026-02 pack"]})
    assert report.restatements_title(res) == "Restated since the 2026-02 pack"


def _restated(tiny: KpiResult, rows: list[tuple]) -> KpiResult:
    table = pd.DataFrame(rows, columns=["period", "kpi", "reported_before", "now", "change", "cause"])
    return replace(
        tiny,
        tables={**tiny.tables, "restatements": table},
        narrative={**tiny.narrative, "restatements_title": ["Restated since the 2026-02 pack"]},
    )


def test_restated_figures_read_as_a_board_reads_them(tiny):
    """Labels instead of ids, each value in its unit and the company's currency, the change
    signed; the title counts the figures and names the causes."""
    policy, churn = "policy changed: cac_lag_months 0 -> 1", "input changed: mrr customer B 2026-03: 200.00 -> none"
    res = _restated(
        tiny,
        [
            ("Q1 2026", "sm_spend", 1500.0, 1200.0, -300.0, policy),
            ("Q1 2026", "cac_payback_months", 18.3, 16.9, -1.4, policy),
            ("Q1 2026", "nrr", 1.04, 1.07, 0.03, f"{policy}; {churn}"),
            ("2026-03", "mrr_bridge.churn", 0.0, 200.0, 200.0, churn),
            ("2026-03", "revenue_bridge.bookings", 5_037_625.08, 5_042_625.08, 5000.0, churn),
        ],
    )
    title = report.restatements_title(res)
    # the causes in plain words, most figures first (3 figures each: the policy named first)
    assert title.endswith(
        "5 figures restated since the 2026-02 pack: policy cac_lag_months changed and the mrr input changed"
    ), title
    html = report.restatements_table(res).to_html()
    # a cause cell names the changed row without the CSV's label and signed change
    assert "policy changed: cac_lag_months 0 -&gt; 1; mrr customer B 2026-03: 200.00 -&gt; none" in html
    assert "input changed:" not in html
    for cell in ("S&amp;M spend", "€1.5k", "€1.2k", "−€300", "CAC payback", "−1.4 mo", "+3 pts"):
        assert cell in html, cell
    assert "MRR bridge: churn" in html and "+€200" in html and "Revenue bridge: bookings" in html
    assert "sm_spend" not in html and "revenue_bridge." not in html


def test_restated_figures_beyond_a_page_are_counted(tiny):
    rows = [(f"Q{q} 2025", "arr", 100.0, 90.0, -10.0, "input changed") for q in range(1, 5)] * 3
    html = report.restatements_table(_restated(tiny, rows)).to_html()
    assert html.count("ARR") == 8 and "… and 4 more in tables/restatements.csv" in html


# --- the two-segment comparison --------------------------------------------------------------------
def test_compare_pack_wires_compare_kpis_and_compare_cohorts(compared):
    assert report.has_compare(compared)
    assert report.compare_segments(compared, "segment=SMB,Enterprise") == ["SMB", "Enterprise"]
    assert report.compare_segments(compared) == ["SMB", "Enterprise"]  # from the result itself
    t = report.compare_table(compared)
    # the page's KPIs in their order; Enterprise has no customer left in March
    assert list(t["kpi"]) == list(report.COMPARE_KPIS[:-1])  # LTV is blank for both (no financials)
    # NRR: SMB keeps A's 100 of 100 a year ago; Enterprise keeps 0 of B's 200
    assert report.compare_title(compared) == "SMB vs Enterprise: NRR 100% vs 0.0%, ARR €2.2k vs €0"
    # the cohort page's title is about its cohorts: SMB's one acquired cohort is C (2026-02,
    # 50 then 80: NRR 160%, kept 1 of 1); Enterprise's only customer, B, was there from the
    # first month (the opening cohort), so it has no acquired cohort to compare
    assert (
        report.compare_cohorts_title(compared) == "SMB vs Enterprise cohorts: Enterprise has no cohort a month old yet"
    )

    ax = charts.segment_compare(t, report.compare_segments(compared), "EUR")  # axes-level: its Axes
    texts = " | ".join(x.get_text() for x in ax.texts)
    assert "No comparison" not in texts
    assert "€2.2k" in texts and "€0" in texts and "100%" in texts
    matplotlib.pyplot.close(ax.figure)

    cohorts = report.compare_cohorts(compared)
    assert list(cohorts) == ["nrr", "logo"]
    fig = charts.cohort_compare(cohorts, ["SMB", "Enterprise"])
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert titles == [
        "SMB: net revenue retention",
        "Enterprise: net revenue retention",
        "SMB: logo retention",
        "Enterprise: logo retention",
    ]
    matplotlib.pyplot.close(fig)


def test_no_comparison_tables_means_no_compare_page(tiny):
    assert not report.has_compare(tiny)
    assert report.compare_cohorts(tiny) == {}
    assert report.compare_segments(tiny) == []


# --- the pack's generated page titles ------------------------------------------------------------
def test_kpi_tree_title_is_generated_from_the_north_star_statuses(tiny):
    # tiny: NRR 100 / 300 is red; ARR has no band; burn multiple and CAC payback are blank
    assert report.kpi_tree_title(tiny) == "KPI tree: NRR is red"
    res = with_kpis(
        tiny,
        nrr={"status": "green"},
        burn_multiple={"value": 1.6, "status": "amber"},
        cac_payback_months={"value": 17.0, "status": "amber"},
    )
    assert report.kpi_tree_title(res) == "KPI tree: Burn multiple and CAC payback are amber; NRR green"
    res = with_kpis(res, burn_multiple={"status": "red"})
    assert report.kpi_tree_title(res) == "KPI tree: Burn multiple is red; CAC payback amber; NRR green"


def test_engagement_page_title_and_presence(tiny):
    assert not report.has_engagement(tiny)  # no usage or NPS input
    res = with_kpis(tiny, dau_mau={"value": 0.2647}, nps={"value": 29.23, "prior_value": -10.0, "change": 39.23})
    assert report.has_engagement(res)
    assert report.engagement_title(res) == "Product usage and NPS: DAU/MAU 26%, NPS 29 (+39 vs prior quarter)"
    assert list(report.engagement_kpis(res)["kpi"]) == ["dau_mau", "nps"]


def test_table_headers_keep_acronyms():
    assert report.header("kpi") == "KPI"
    assert report.header("new_arr") == "New ARR"
    assert report.header("cohort_cac") == "Cohort CAC"
    assert report.header("definition") == "Definition"
    html = report.styled(pd.DataFrame({"kpi": ["ARR"], "definition": ["12 x MRR"], "benchmark": [""]})).to_html()
    assert ">KPI<" in html and ">Kpi<" not in html


def test_segment_pack_titles_name_the_segment(folder, tiny):
    smb = compute_kpis(folder, as_of=AS_OF, segment="segment=SMB")
    # SMB ARR: 12 x A 100 = 1,200 in December, 12 x (100 + 80) = 2,160 in March: +80%
    assert report.summary_title(smb) == "SMB: ARR grew 80% in the quarter to €2.2k (+80% vs a year ago)"
    assert report.segment_label(smb) == "Segment: SMB"
    assert report.page_title(tiny, "ARR grew") == "ARR grew"
    # a segment named in lower case still starts the title with a capital
    selfserve = replace(smb, segment=("segment", "self-serve"))
    assert report.page_title(selfserve, "ARR grew") == "Self-serve: ARR grew"
    assert report.page_title(tiny, "self-serve vs assisted: NRR") == "Self-serve vs assisted: NRR"


def test_quick_ratio_title_counts_the_quarters_below_green(tiny):
    # 2025 quarters: nothing added or lost (no ratio, no status); 2026Q1: (50 new + 30
    # expansion) / 200 churned = 0.4, red. The first quarter holds the opening month: its
    # movements are blank (a partial quarter, METRICS.md "Time") and it is not counted, so
    # 1 of the 4 quarters is below green
    assert report.quick_ratio_title(tiny) == (
        "Quick ratio 0.4x: MRR added per MRR lost; 1 of the last 4 complete quarters below green"
    )
    assert tiny.tables["mrr_drivers"]["new"].isna().tolist()[:2] == [True, False]
    # reported as of February, 2026Q1 is a quarter under way (drawn "to date"): not counted
    # among the quarters, whose count was 1 of 4 with a one- or two-month quarter in it
    february = replace(tiny, window=Window(pd.Period("2026-02", "M"), 3))
    assert report.quick_ratio_title(february).endswith("0 of the last 3 complete quarters below green")


def test_net_negative_churn_is_named_and_blank_kpis_are_grouped_by_reason(tiny, monkeypatch):
    res = with_kpis(tiny, net_mrr_churn_rate={"value": -0.017})
    html = report.pack_kpi_table(res).to_html()
    assert "(net negative churn)" in html
    assert "Burn multiple" not in html  # blank rows leave the table ...
    shown = []
    monkeypatch.setattr(_summary, "note", shown.append)
    report.blank_kpi_notes(res)
    # ... and appear once per reason, with the note that says why, in the table's order
    assert shown == [
        "Burn multiple, CAC payback, Gross margin (TTM), CAC, LTV:CAC, Magic number, Rule of 40, "
        "Cash balance and Runway are not shown: the company sent no P&L and cash figures.",
        "Win rate, Average deal size and Sales cycle are not shown: the company sent no CRM pipeline.",
    ]


def test_sensitivity_title_states_the_widest_range(tiny):
    assert report.sensitivity_table(tiny).empty  # no financials: no policy moves a north star
    table = pd.DataFrame(
        dict(
            kpi=["ltv_cac"] * 2 + ["arr"] * 2,
            policy=["ltv_churn_basis"] * 2 + ["mrr_includes_uncontracted"] * 2,
            policy_value=["period", "monthly", "false", "true"],
            kpi_value=[5.6, 3.1, 1.0e6, 1.01e6],
            in_force=[True, False, True, False],
        ),
        columns=SENSITIVITY_COLUMNS,
    )
    res = replace(tiny, tables={**tiny.tables, "sensitivity": table})
    # LTV:CAC spreads (5.6 - 3.1) / 5.6 = 45%, ARR 1%: the LTV:CAC range is the title
    assert report.sensitivity_title(res) == "LTV:CAC 3.1x to 5.6x depending on the churn basis; 5.6x as reported"


def test_a_blank_kpi_note_reads_as_a_plain_sentence():
    # a segment's note keeps its facts (the segment, what is company-wide, the policy's choice)
    seg = ("segment", "Enterprise")
    sm = reg.unallocated_note(seg, "sales & marketing spend", "none")
    assert sm == (
        "Not shown for Enterprise: sales & marketing spend is company-wide and the company's policies "
        "allocate none of it to segments."
    )
    assert reg.company_wide_note(seg, ["traffic", "nps"]) == (
        "Not shown for Enterprise: website traffic and the NPS survey are company-wide (not split by segment)."
    )
    assert reg.unallocated_note(seg, "sales & marketing spend", "new_arr") == (
        "Not shown for Enterprise: sales & marketing spend is company-wide and Enterprise's share of new ARR, "
        "which would allocate it, is not known for the period."
    )
    assert reg.not_shown("Magic number", sm) == (
        "Magic number is not shown for Enterprise: sales & marketing spend is company-wide and the company's "
        "policies allocate none of it to segments."
    )
    # a missing input names what the company did not send, not the config file
    assert (
        reg.not_shown("Win rate", reg.needs_note("win_rate"))
        == "Win rate is not shown: the company sent no CRM pipeline."
    )


def test_sensitivity_values_list_each_alternative_under_a_short_chart(tiny):
    table = pd.DataFrame(
        dict(
            kpi=["burn_multiple"] * 3,
            policy=["sm_allocation"] * 3,
            policy_value=["none", "new_arr", "arr"],
            kpi_value=[float("nan"), 2.37, 2.03],
            in_force=[True, False, False],
        ),
        columns=SENSITIVITY_COLUMNS,
    )
    rows = report.sensitivity_values(replace(tiny, tables={**tiny.tables, "sensitivity": table})).data
    assert list(rows["choice"]) == [
        "The S&M allocation: none (in force)",
        "The S&M allocation: new_arr",
        "The S&M allocation: arr",
    ]
    assert list(rows["meaning"]) == [
        "S&M-based KPIs are left blank in segment packs",
        "S&M is allocated to segments pro rata to new ARR",
        "S&M is allocated to segments pro rata to ARR",
    ]
    assert list(rows["value"]) == ["not shown", "2.4x", "2.0x"]
    # three (KPI, policy) rows make a chart tall enough to say it alone: no list
    three = pd.concat([table.assign(kpi=k) for k in ("burn_multiple", "cac", "ltv_cac")], ignore_index=True).assign(
        kpi_value=lambda t: t["kpi_value"].fillna(1.0)
    )
    assert report.sensitivity_values(replace(tiny, tables={**tiny.tables, "sensitivity": three})) is None


def test_funnel_title_names_a_funnel_that_starts_at_leads(tiny):
    # no traffic input (a segment pack): the funnel starts at the leads created
    funnel = pd.DataFrame(dict(stage=["created", "signup", "pql", "customer"], count=[483, 304, 92, 37]))
    res = replace(tiny, tables={**tiny.tables, "funnel": funnel})
    # each stage counted in the period's months: the title never says the 37 came from the 483
    assert report.funnel_title(res).startswith(
        f"483 leads created and 37 leads who became customers this {report.period_word(res)}"
    )
    # traffic alone (no leads input): one stage, said once ("6,781 visitors and 6,781 leads who
    # became visitorss" before); a funnel that ends at PQLs names PQLs
    only = replace(tiny, tables={**tiny.tables, "funnel": pd.DataFrame(dict(stage=["visitors"], count=[6781]))})
    assert report.funnel_title(only).startswith(f"6,781 visitors this {report.period_word(res)}")
    to_pql = pd.DataFrame(dict(stage=["visitors", "signup", "pql"], count=[900, 40, 12]))
    assert report.funnel_title(replace(tiny, tables={**tiny.tables, "funnel": to_pql})).startswith(
        f"900 visitors and 12 PQLs this {report.period_word(res)}"
    )


def test_pacing_title_names_the_targets_period_and_the_date(tiny):
    # the pack covers Jan-Mar 2026, as of 31 March; the targets are Q1 2026's, paced to 31 Mar:
    # pipeline 90 of an expected 100 (behind), partner 60 of 50 (ahead)
    pacing = pd.DataFrame(
        dict(
            period=["2026Q1", "2026Q1"],
            metric="pipeline_created",
            dimension=["all", "source=partner"],
            status=["behind", "ahead"],
        )
    )
    res = replace(tiny, tables={**tiny.tables, "pipeline_pacing": pacing})
    assert report.pacing_title(res) == "Q1 2026 targets at 31 Mar: 1 of 2 behind pace (overall)"


# --- one notebook's run in a kept kernel ---------------------------------------------------------
def test_each_notebook_run_names_its_section_on_its_first_page_even_in_a_kept_kernel(
    tiny, folder, tmp_path, monkeypatch
):
    """A kept kernel runs one notebook after another (the pack's pool, a portfolio worker,
    --watch): the second run of a section must still get its small kicker line, which
    only the first page of a section shows."""
    shown: list[str] = []
    monkeypatch.setattr(_html, "display", lambda obj: shown.append(obj.data))
    out = tmp_path / "pack"
    report.write_cache(tiny, out, folder, AS_OF, "quarter", "", "")
    for _run in range(2):  # the same notebook, twice in this process
        result = report.load_report(str(folder), AS_OF, "quarter", "", "", str(out))
        report.page(result, "ARR grew", "revenue_quality")
        report.page(result, "NRR held", "revenue_quality")
    kickers = ["Growth and revenue quality ·" in html for html in shown]
    assert kickers == [True, False, True, False]


def test_the_reconciliation_page_accounts_for_every_row_its_title_counts(tiny):
    from reportlib.deck import _appendix

    rows = pd.DataFrame(
        {
            "source_a": "opportunities",
            "source_b": "contracts",
            "period": [f"20{y}Q{q}" for y in (24, 25, 26) for q in (1, 2, 3, 4)] + ["2027Q1"],
            "kpi": "bookings",
            "value_a": 100.0,
            "value_b": 200.0,
            "difference": -100.0,
            "relative": -0.5,
        }
    )
    result = replace(tiny, tables={**tiny.tables, "reconciliation": rows})
    assert "13 of 13 periods" in _appendix.reconciliation_title(result)
    html = _appendix.reconciliation_table(result).to_html()
    # 12 rows fit the page; the 13th is counted, not dropped silently
    assert "… and 1 more in reconciliation.csv" in html


def test_the_reconciliation_page_counts_the_gaps_validate_warns_of(tiny):
    """Billing says 107 and 112 where the P&L says 100 and 100: gaps of 7% and 12%.
    validate warns above 10%, so only the 12% month is a gap; the page said "over 5% in
    2 of 2" (a threshold of its own), which named a 7% month that validate calls fine."""
    from reportlib.deck import _appendix
    from reportlib.kpis.reconciliation import reconciliation_problems

    rows = pd.DataFrame(
        {
            "source_a": "contracts",
            "source_b": "financials",
            "period": ["2026-05", "2026-06"],
            "kpi": "revenue",
            "value_a": [107.0, 112.0],
            "value_b": [100.0, 100.0],
            "difference": [7.0, 12.0],
            "relative": [0.07, 0.12],
        }
    )
    result = replace(tiny, tables={**tiny.tables, "reconciliation": rows})
    assert "differs by over 10% in 1 of 2 periods" in _appendix.reconciliation_title(result)
    (problem,) = reconciliation_problems(rows)
    assert "by more than 10% in 1 period(s): 2026-06" in problem.message


def test_the_data_quality_title_counts_no_gap_where_the_sources_agree(tiny):
    """Billing and the P&L agree to the cent in 3 months (gaps of 0); CRM vs bookings differs
    by 50% in one quarter, which validate never warns of. The data-quality title said "sources
    disagree by over 10% in 3 periods": no row was over 10%, but the empty selection was
    given the 3 gap sizes and grew a blank row for each."""
    from reportlib.deck import _appendix

    rows = pd.DataFrame(
        {
            "source_a": ["contracts"] * 3 + ["opportunities"],
            "source_b": ["financials"] * 3 + ["contracts"],
            "period": ["2026-04", "2026-05", "2026-06", "2026Q2"],
            "kpi": ["revenue"] * 3 + ["bookings"],
            "value_a": [100.0, 100.0, 100.0, 100.0],
            "value_b": [100.0, 100.0, 100.0, 200.0],
            "difference": [0.0, 0.0, 0.0, -100.0],
            "relative": [0.0, 0.0, 0.0, -0.5],
        }
    )
    result = replace(tiny, tables={**tiny.tables, "reconciliation": rows})
    assert "disagree" not in _appendix.data_quality_title(result)


def _cohort_rows(segment: str, cohort: str, values: dict[int, float]) -> list[tuple]:
    return [(cohort, age, value, segment) for age, value in values.items()]


def test_the_compare_cohort_title_is_the_median_cohort_at_a_common_age() -> None:
    """SMB: three cohorts acquired in 2025 at month 12 keep NRR 90%, 110%, 130% (median
    110%) and 80%, 60%, 70% of their customers (median 70%); its opening cohort (50%)
    is customers from before the data, left out. Enterprise: two cohorts at 120% and 140%
    (median 130%), keeping 90% and 100% (median 95%). Both reached month 12; SMB's month 13
    is past the 12 the title quotes."""
    nrr = {"SMB": ([0.9, 1.1, 1.3], 0.5), "Enterprise": ([1.2, 1.4], None)}
    logo = {"SMB": ([0.8, 0.6, 0.7], 0.5), "Enterprise": ([0.9, 1.0], None)}

    def table(kind: dict) -> pd.DataFrame:
        rows = []
        for segment, (at_12, opening) in kind.items():
            for i, v in enumerate(at_12):
                rows += _cohort_rows(segment, f"2025-0{i + 1}", {0: 1.0, 12: v, 13: v})
            if opening is not None:
                rows += _cohort_rows(segment, "<=2024-12", {0: 1.0, 12: opening})
        return pd.DataFrame(rows, columns=["cohort", "age_months", "value", "segment"])

    tables = {"nrr": table(nrr), "logo": table(logo)}
    title = report.cohort_compare_message(tables, ["SMB", "Enterprise"])
    assert title == "SMB vs Enterprise at month 12: NRR 110% vs 130%, logos kept 70% vs 95%"
    # Enterprise's cohorts only 5 months old: both are compared at month 5 (SMB at 90%)
    young = pd.DataFrame(
        _cohort_rows("SMB", "2025-01", {0: 1.0, 5: 0.9, 12: 0.8})
        + _cohort_rows("Enterprise", "2026-01", {0: 1.0, 5: 1.05}),
        columns=["cohort", "age_months", "value", "segment"],
    )
    assert report.cohort_compare_message({"nrr": young}, ["SMB", "Enterprise"]) == (
        "SMB vs Enterprise at month 5: NRR 90% vs 105%"
    )


def test_the_inputs_not_given_are_one_note_on_the_data_quality_page(tiny):
    # Tiny sends mrr alone: nine inputs are missing; one line each took nine lines of the
    # data-quality page (a billing-only company's page spilled onto a second). One sentence
    # names them all, in the order of the run's notes; the other notes stay as they are.
    missing = [n for n in tiny.notes if n.startswith("No ") and " input: add [inputs." in n]
    assert len(missing) >= 2
    names = [n.split(" ")[1] for n in missing]
    notes = report.notes_list(tiny)
    assert [n for n in notes if n in missing] == []
    assert notes[:-1] == [n for n in tiny.notes if n not in missing]
    assert notes[-1].startswith(f"No {', '.join(names[:-1])} or {names[-1]} input: their pages are left out")
    # a single missing input keeps its own sentence
    one = replace(tiny, notes=[n for n in tiny.notes if n not in missing[1:]])
    assert report.notes_list(one) == one.notes


def test_data_quality_title_never_says_all_passed_above_a_warned_gap(tiny):
    assert report.data_quality_title(tiny).endswith("data quality: all input checks passed")
    # billing vs P&L -99% in 2026-01 (warned by validate), +3% in 2026-02 (not); CRM vs bookings
    # +50% differs by definition (not warned): one period
    recon = pd.DataFrame(
        dict(
            source_a=["mrr", "mrr", "opportunities"],
            source_b=["financials", "financials", "contracts"],
            relative=[-0.99, 0.03, 0.5],
        )
    )
    res = replace(tiny, tables={**tiny.tables, "reconciliation": recon})
    assert report.data_quality_title(res).endswith(
        "data quality: all input checks passed; sources disagree by over 10% in 1 period (reconciliation)"
    )


def test_the_revenue_tier_page_states_the_quarters_tier_shares(tiny):
    # Meridian's quarter Aug-Oct 2026: revenue 4,934,011 of which contracted recurring
    # 4,762,000 (96.5%), usage 49,111 (1.0%), one-off 122,900 (2.5%): the page drawing the
    # tiers and the recurring share month by month says so in its title (the pack had no
    # page for them at all); a tier with no revenue is not named
    tiers = pd.DataFrame(
        dict(
            month=pd.period_range("2026-08", "2026-10", freq="M"),
            contracted_recurring=[1539730.0, 1594270.0, 1628000.0],
            uncontracted_recurring=[16684.56, 15587.39, 16839.29],
            one_off=[32000.0, 55500.0, 35400.0],
        )
    )
    res = with_kpis(
        replace(tiny, tables={**tiny.tables, "revenue_tiers": tiers}),
        revenue={"value": 4934011.24},
        revenue_share_contracted_recurring={"value": 0.9651},
        revenue_share_uncontracted_recurring={"value": 0.00995},
        revenue_share_one_off={"value": 0.0249},
    )
    assert report.has_revenue_tiers(res)
    assert report.revenue_tiers_title(res) == (
        "Revenue €4.9M in the quarter: 97% contracted recurring, 1% uncontracted recurring, 2.5% one-off"
    )
    # Meridian's SMB quarter, subscriptions only (304,060 of 304,060): only that tier is named
    smb = with_kpis(
        res,
        revenue={"value": 304060.0},
        revenue_share_contracted_recurring={"value": 1.0},
        revenue_share_uncontracted_recurring={"value": 0.0},
        revenue_share_one_off={"value": 0.0},
    )
    assert report.revenue_tiers_title(smb) == "Revenue €304k in the quarter: 100% contracted recurring"
    # a P&L without tier columns: no tier page
    blank = replace(
        tiny,
        tables={
            **tiny.tables,
            "revenue_tiers": tiers.assign(
                contracted_recurring=float("nan"), uncontracted_recurring=float("nan"), one_off=float("nan")
            ),
        },
    )
    assert not report.has_revenue_tiers(blank)


def test_data_quality_title_claims_no_gap_when_every_source_agrees(tiny):
    # billing vs P&L in three months: 0.0%, 0.0% and +4% (under validate's 10%): no period
    # disagrees, so the title says only that the input checks passed (it said 'sources
    # disagree by over 10% in 3 periods': every agreeing row came back as a blank gap)
    recon = pd.DataFrame(
        dict(source_a=["mrr"] * 3, source_b=["financials"] * 3, relative=[0.0, 0.0, 0.04]),
    )
    res = replace(tiny, tables={**tiny.tables, "reconciliation": recon})
    assert report.data_quality_title(res).endswith("data quality: all input checks passed")


def test_the_cohort_page_title_says_what_its_heatmap_shows(tiny):
    # acquisition cohorts at month 12: 2025Q1 93%, 2025Q2 105%, 2025Q3 86% -> median 93%; the
    # opening cohort (120%) is left out (its ages are not tenure); 2025Q4 has not reached 12
    rows = [("<= 2024-12", 12, 1.20), ("2025Q1", 12, 0.93), ("2025Q2", 12, 1.05), ("2025Q3", 12, 0.86)]
    rows += [(c, 0, 1.0) for c in ("2025Q1", "2025Q2", "2025Q3", "2025Q4")] + [("2025Q4", 6, 0.9)]
    cohorts = pd.DataFrame(rows, columns=["cohort", "age_months", "value"])
    res = replace(tiny, tables={**tiny.tables, "cohorts_nrr_quarterly": cohorts})
    title = report.cohort_title(res)
    assert title.endswith("; median cohort at 93% of its starting MRR after 12 months"), title
    assert title.startswith("NRR ")


def test_the_sensitivity_chart_labels_each_choice_in_words(tiny):
    # the chart printed the policy values as company.toml spells them: "17 mo as reported
    # (1)", "€19.5M as reported (false)"; a board reads the choice in words
    table = pd.DataFrame(
        dict(
            kpi=["cac_payback_months"] * 3 + ["arr"] * 2 + ["cac_payback_months"] * 2,
            policy=["cac_lag_months"] * 3 + ["mrr_includes_uncontracted"] * 2 + ["reactivation_window_months"] * 2,
            policy_value=["0", "1", "3", "false", "true", "none", "3"],
            kpi_value=[16.3, 16.6, 21.4, 1.95e7, 1.97e7, 16.6, 15.9],
            in_force=[False, True, False, True, False, True, False],
        ),
        columns=SENSITIVITY_COLUMNS,
    )
    res = replace(tiny, tables={**tiny.tables, "sensitivity": table})
    shown = report.sensitivity_table(res)
    assert list(shown["choice"]) == [
        "no lag",
        "1-month lag",
        "3-month lag",
        "not counted",
        "counted",
        "any gap",
        "3-month window",
    ]
    fig = charts.sensitivity_ranges(shown, "EUR", report.POLICY_WORDS)
    texts = {t.get_text() for ax in fig.axes for t in ax.texts}
    assert {"17 mo as reported (1-month lag)", "21 mo (3-month lag)", "€19.7M (counted)"} <= texts, texts
    assert not any(t.endswith(("(1)", "(false)", "(true)")) for t in texts)
