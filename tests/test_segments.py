"""Segment packs (METRICS.md "Segment packs"): every number is the segment's own, allocated
by a stated policy, or blank with a note; additive KPIs of the segments sum to the company."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportlib import registry as reg
from reportlib.kpis import compute_kpis

ROOT = Path(__file__).resolve().parents[1]
ADDITIVE = [
    "mrr",
    "arr",
    "customers",
    "new_arr",
    "expansion_arr",
    "reactivation_arr",
    "contraction_arr",
    "churned_arr",
    "net_new_arr",
    "new_customers",
]
MONTHS = [str(p) for p in pd.period_range("2025-01", "2026-02", freq="M")]


def _write(folder: Path, rows: list[tuple[str, str, float, str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows, columns=["customer_id", "month", "mrr", "segment"]).to_csv(folder / "mrr.csv", index=False)
    (folder / "company.toml").write_text(
        '[company]\nname = "Prop"\ncurrency = "EUR"\nstage = "early"\ngtm = "sales-led"\n\n'
        '[inputs.mrr]\npath = "mrr.csv"\ndimensions = ["segment"]\n',
        encoding="utf-8",
    )
    return folder


customer = st.tuples(
    st.sampled_from(["A", "B"]), st.lists(st.sampled_from([0.0, 0.0, 50.0, 100.0, 150.0]), min_size=14, max_size=14)
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(customer, min_size=2, max_size=7))
def test_additive_kpis_of_the_segments_sum_to_the_company(tmp_path_factory, customers) -> None:
    rows = [
        (f"c{i}", m, v, seg) for i, (seg, path) in enumerate(customers) for m, v in zip(MONTHS, path, strict=False) if v
    ]
    # the opening month and the as-of month must exist for both segments and the company
    rows += [
        ("anchorA", MONTHS[0], 10.0, "A"),
        ("anchorA", MONTHS[-1], 10.0, "A"),
        ("anchorB", MONTHS[0], 10.0, "B"),
        ("anchorB", MONTHS[-1], 10.0, "B"),
    ]
    rows += [(f"anchor{s}", m, 10.0, s) for s in "AB" for m in MONTHS[1:-1]]
    folder = _write(tmp_path_factory.mktemp("prop"), rows)
    whole = compute_kpis(folder, as_of="2026-02").kpis.set_index("kpi")["value"]
    parts = [compute_kpis(folder, as_of="2026-02", segment=("segment", s)).kpis.set_index("kpi")["value"] for s in "AB"]
    for kpi in ADDITIVE:
        total = sum(0.0 if math.isnan(p[kpi]) else p[kpi] for p in parts)
        assert total == pytest.approx(0.0 if math.isnan(whole[kpi]) else whole[kpi]), kpi


@pytest.fixture(scope="module")
def meridian() -> dict[str, pd.DataFrame]:
    """Meridian: company, Enterprise without allocation, Enterprise with S&M by new ARR."""
    folder = ROOT / "data" / "meridian"
    out = {
        "company": compute_kpis(folder, as_of="2026-03"),
        "segment": compute_kpis(folder, as_of="2026-03", segment=("segment", "Enterprise")),
    }
    return out


def test_no_segment_ratio_uses_a_company_wide_input(meridian) -> None:
    seg = meridian["segment"]
    wide = [n for n in seg.company.unfiltered_inputs if n not in ("financials", "targets")]
    assert wide, "meridian's traffic, usage and NPS are company-wide"
    values = seg.kpis.set_index("kpi")
    for kpi in reg.REGISTRY.values():
        if set(kpi.needs) & set(wide):
            assert math.isnan(values.at[kpi.id, "value"]) and "company-wide" in values.at[kpi.id, "note"], kpi.id
    # financials are company-wide and sm_allocation = none: nothing built on S&M, COGS or burn
    for kpi in (
        "sm_spend",
        "cac",
        "ltv",
        "ltv_cac",
        "magic_number",
        "cac_payback_months",
        "gross_margin",
        "burn",
        "burn_multiple",
        "runway_months",
        "cash_balance",
        "rule_of_40",
    ):
        assert math.isnan(values.at[kpi, "value"]), kpi
    assert "cohort_payback" not in seg.tables  # company S&M is never charged to a segment's cohorts
    assert seg.tables["pipeline_pacing"].empty  # meridian's targets name channels, not segments


def test_allocated_burn_multiple_is_the_segments_share_over_its_own_arr(meridian, tmp_path) -> None:
    folder = tmp_path / "meridian"
    shutil.copytree(ROOT / "data" / "meridian", folder)
    toml = folder / "company.toml"
    toml.write_text(toml.read_text().replace("[policies]", '[policies]\nsm_allocation = "new_arr"', 1))
    seg = compute_kpis(folder, as_of="2026-03", segment=("segment", "Enterprise")).kpis.set_index("kpi")["value"]
    company = meridian["company"].kpis.set_index("kpi")["value"]
    share = seg["new_arr"] / company["new_arr"]
    # burn multiple = company burn x the segment's share of new ARR / the segment's own net new ARR
    assert seg["burn_multiple"] == pytest.approx(company["burn"] * share / seg["net_new_arr"])
    assert seg["sm_spend"] == pytest.approx(company["sm_spend"] * share)
    assert seg["cac"] == pytest.approx(company["sm_spend"] * share / seg["new_customers"])


def test_segment_blank_notes_are_plain_sentences(meridian) -> None:
    notes = meridian["segment"].kpis.set_index("kpi")["note"]
    # Meridian's financials have no segment column and sm_allocation is left at none
    assert notes["burn_multiple"] == (
        "Not shown for Enterprise: the cost of revenue and cash burn are company-wide and the company's "
        "policies allocate none of them to segments."
    )
    assert notes["cac"] == (
        "Not shown for Enterprise: sales & marketing spend is company-wide and the company's policies "
        "allocate none of it to segments."
    )
    assert notes["visitors"] == "Not shown for Enterprise: website traffic is company-wide (not split by segment)."
    # no config syntax in what a board reads
    for note in notes.dropna():
        assert "segment pack" not in note and "sm_allocation" not in note and "=" not in note, note


#: tables/unit_economics.csv columns of company money and of ratios built on it.
COMPANY_MONEY = ["revenue", "cogs", "gross_margin", "gross_margin_ttm", "sm_spend", "cac", "magic_number"]
COMPANY_MONEY += ["cac_payback_months", "burn", "burn_multiple", "ebitda_margin"]


def test_the_unit_economics_table_of_a_segment_shows_no_company_money(meridian) -> None:
    # Meridian's financials are company-wide and sm_allocation = none, as for the KPIs above
    table = meridian["segment"].tables["unit_economics"]
    assert table[COMPANY_MONEY].isna().all().all()
    # the segment's own columns are its own: the reported quarter's row is the quarter's KPIs
    row = table[table["period"] == "2026Q1"].iloc[0]
    kpis = meridian["segment"].kpis.set_index("kpi")["value"]
    for column in ("new_customers", "new_arr", "net_new_arr"):
        assert row[column] == pytest.approx(kpis[column]), column
    company = meridian["company"].tables["unit_economics"]
    assert row["new_customers"] < company.loc[company["period"] == "2026Q1", "new_customers"].iloc[0]


def _allocated(folder: Path, allocation: str, segment: str):
    toml = folder / "company.toml"
    text = toml.read_text()
    if "sm_allocation" not in text:
        toml.write_text(text.replace("[policies]", f'[policies]\nsm_allocation = "{allocation}"', 1))
    return compute_kpis(folder, as_of="2026-03", segment=("segment", segment))


@pytest.mark.parametrize("allocation", ["new_customers", "new_arr", "arr"])
def test_an_allocated_unit_economics_table_agrees_with_the_kpis(tmp_path, allocation) -> None:
    folder = tmp_path / "meridian"
    shutil.copytree(ROOT / "data" / "meridian", folder)
    seg = _allocated(folder, allocation, "Enterprise")
    table = seg.tables["unit_economics"]
    row = table[table["period"] == "2026Q1"].iloc[0]  # the reported window, 2026Q1
    kpis = seg.kpis.set_index("kpi")["value"]
    for column in ("sm_spend", "cac", "magic_number", "cac_payback_months", "burn", "burn_multiple"):
        assert row[column] == pytest.approx(kpis[column]), column
    assert math.isnan(row["ebitda_margin"])  # the company's alone, allocated or not


def test_the_segments_allocated_money_sums_to_the_company(tmp_path, meridian) -> None:
    folder = tmp_path / "meridian"
    shutil.copytree(ROOT / "data" / "meridian", folder)
    tables = [
        _allocated(folder, "new_customers", s).tables["unit_economics"] for s in ("Enterprise", "SMB", "Mid-market")
    ]
    company = meridian["company"].tables["unit_economics"].set_index(["freq", "period"])
    parts = [t.set_index(["freq", "period"]) for t in tables]
    for column in ("revenue", "cogs", "sm_spend", "burn"):
        total = sum(p[column] for p in parts)
        both = total.notna() & company[column].notna()
        assert both.sum() >= 20, column  # months and quarters with new customers in the company
        assert total[both].to_numpy() == pytest.approx(company.loc[both[both].index, column].to_numpy()), column


def _mrr_and_company_pnl(folder: Path) -> Path:
    """Customer a (segment A) pays 100 a month and b (segment B) 300, Jan-Mar 2026; the P&L
    has no segment column: revenue 400 a month, of which 380 subscriptions and 20 one-off."""
    folder.mkdir(parents=True, exist_ok=True)
    months = ["2026-01", "2026-02", "2026-03"]
    rows = [("a", m, 100.0, "A") for m in months] + [("b", m, 300.0, "B") for m in months]
    pd.DataFrame(rows, columns=["customer_id", "month", "mrr", "segment"]).to_csv(folder / "mrr.csv", index=False)
    pnl = dict(month=months, revenue=400.0, revenue_contracted_recurring=380.0, revenue_one_off=20.0)
    pd.DataFrame({**pnl, "cogs": 100.0, "sales_marketing": 50.0}).to_csv(folder / "pnl.csv", index=False)
    (folder / "company.toml").write_text(
        '[company]\nname = "Pnl"\ncurrency = "EUR"\nstage = "early"\ngtm = "sales-led"\n\n'
        '[inputs.mrr]\npath = "mrr.csv"\ndimensions = ["segment"]\n\n[inputs.financials]\npath = "pnl.csv"\n',
        encoding="utf-8",
    )
    return folder


def test_a_segment_without_revenue_of_its_own_never_shows_the_company_pnl(tmp_path) -> None:
    folder = _mrr_and_company_pnl(tmp_path / "pnl")
    # the company's quarter: revenue 3 x 400 = 1,200; contracted recurring 3 x 380 / 1,200 = 95%,
    # one-off 3 x 20 / 1,200 = 5%
    company = compute_kpis(folder, as_of="2026-03").kpis.set_index("kpi")
    assert company.loc["revenue", "value"] == pytest.approx(1200.0)
    assert company.loc["revenue_share_contracted_recurring", "value"] == pytest.approx(0.95)
    assert company.loc["revenue_share_one_off", "value"] == pytest.approx(0.05)
    # segment A's own revenue is 3 x 100 = 300 of MRR, but METRICS.md takes revenue from
    # contracts, else the P&L, and this P&L is the company's: the pack showed revenue 1,200 and
    # a 95% contracted share as A's; now blank, saying why
    seg = compute_kpis(folder, as_of="2026-03", segment=("segment", "A"))
    kpis = seg.kpis.set_index("kpi")
    assert kpis.loc["mrr", "value"] == pytest.approx(100.0)  # A's own figures stay
    for kpi in ("revenue", "revenue_share_contracted_recurring", "revenue_share_uncontracted_recurring"):
        assert math.isnan(kpis.loc[kpi, "value"]), kpi
        assert (
            kpis.loc[kpi, "note"]
            == "Not shown for A: the P&L and cash figures are company-wide (not split by segment)."
        )
    # and the tier table holds none of the company's revenue (it held 400 a month)
    assert seg.tables["revenue_tiers"][["contracted_recurring", "one_off", "total"]].isna().all().all()


# Movements on the segment, compare and bridge pages add up (METRICS.md: net new = new +
# reactivation + expansion - contraction - churn). Quarter Q1 2026 (as of 2026-03), opening
# MRR at 2025-12. Segment A: a1 100 -> 200 in March (expansion 100); a2 200, gone in
# February, back at 200 in March (churn 200, reactivation 200); a3 300 -> 250 in January
# (contraction 50); a4 new at 80 in February. A's MRR 600 -> 730: +130 = 80 + 200 + 100 -
# 50 - 200. Segment B: b1 100 throughout; b2 50 gone in January (churn 50): 150 -> 100.
# In ARR (x 12): A new 960, reactivation 2,400, expansion 1,200, contraction 600, churned
# 2,400, net new 1,560; B churned 600, net new -600. The segment table showed new, expansion
# and churned only: 960 + 1,200 - 2,400 = -240, not A's 1,560.
_MOVES_STORY = {
    ("a1", "A"): [100, 100, 100, 200],
    ("a2", "A"): [200, 200, 0, 200],
    ("a3", "A"): [300, 250, 250, 250],
    ("a4", "A"): [0, 0, 80, 80],
    ("b1", "B"): [100, 100, 100, 100],
    ("b2", "B"): [50, 0, 0, 0],
}
_STORY_ARR = {
    "A": {
        "new_arr": 960.0,
        "reactivation_arr": 2400.0,
        "expansion_arr": 1200.0,
        "contraction_arr": 600.0,
        "churned_arr": 2400.0,
        "net_new_arr": 1560.0,
    },
    "B": {
        "new_arr": 0.0,
        "reactivation_arr": 0.0,
        "expansion_arr": 0.0,
        "contraction_arr": 0.0,
        "churned_arr": 600.0,
        "net_new_arr": -600.0,
    },
}


@pytest.fixture(scope="module")
def moves_story(tmp_path_factory) -> Path:
    months = ["2025-12", "2026-01", "2026-02", "2026-03"]
    rows = [
        (c, m, float(v), seg) for (c, seg), path in _MOVES_STORY.items() for m, v in zip(months, path, strict=True) if v
    ]
    return _write(tmp_path_factory.mktemp("moves"), rows)


def test_the_segment_table_shows_every_movement_of_each_segments_net_new_arr(moves_story) -> None:
    from reportlib.deck import report

    result = compute_kpis(moves_story, as_of="2026-03")
    t = result.tables["breakdowns"].query("dimension == 'segment'")
    shown = {seg: dict(zip(g["kpi"], g["value"], strict=False)) for seg, g in t.groupby("segment")}
    for seg, expected in _STORY_ARR.items():
        assert {k: shown[seg][k] for k in expected} == pytest.approx(expected), seg
    html = report.breakdown_table(result, "segment").to_html()
    assert "Reactivation ARR" in html and "Contraction ARR" in html


def test_the_compare_page_shows_every_movement_of_each_segments_net_new_arr(moves_story) -> None:
    from reportlib.deck import report

    result = compute_kpis(moves_story, as_of="2026-03", compare="segment=A,B")
    t = report.compare_table(result).set_index("kpi")
    for seg, expected in _STORY_ARR.items():
        assert {k: t.loc[k, seg] for k in expected} == pytest.approx(expected), seg


def test_the_bridge_title_adds_up_to_the_change_in_arr(moves_story) -> None:
    from reportlib.deck import report

    # The company: ARR 12 x 750 = 9,000 -> 12 x 830 = 9,960 (+960). Five movements: new 960,
    # reactivation 2,400, expansion 1,200, contraction 600, churn 3,000 (A 2,400 + B 600).
    # The three largest are named, the rest is 'other': 960 - 600 = +360; and 2,400 + 1,200
    # - 3,000 + 360 = 960. Before, "+€960 new, +€1.2k expansion, −€3k churn" summed to -840.
    title = report.arr_bridge_title(compute_kpis(moves_story, as_of="2026-03"))
    assert title == ("ARR €9k → €10k in Q1 2026: +€2.4k reactivation, +€1.2k expansion, −€3k churn, +€360 other")
    # Segment A alone: all five are non-zero as well: 2,400 + 1,200 - 2,400 and other
    # 960 - 600 = +360: 1,560 (ARR 7,200 -> 8,760).
    title = report.arr_bridge_title(compute_kpis(moves_story, as_of="2026-03", segment=("segment", "A")))
    assert title.endswith("+€2.4k reactivation, +€1.2k expansion, −€2.4k churn, +€360 other")


def _moving_customer(folder: Path, allocation: str) -> Path:
    """A moves from SMB to Enterprise in April at the same 100 a month; B is a new
    Enterprise customer in May at 50; C an SMB customer all along. S&M 300 a month."""
    folder.mkdir(parents=True, exist_ok=True)
    months = [str(p) for p in pd.period_range("2025-01", "2025-06", freq="M")]
    rows = [("A", m, 100.0, "SMB" if m < "2025-04" else "Enterprise") for m in months]
    rows += [("B", m, 50.0, "Enterprise") for m in months[4:]]
    rows += [("C", m, 20.0, "SMB") for m in months]
    pd.DataFrame(rows, columns=["customer_id", "month", "mrr", "segment"]).to_csv(folder / "mrr.csv", index=False)
    money = {"month": months, "revenue": [120.0] * 4 + [170.0] * 2, "cogs": 10.0, "sales_marketing": 300.0}
    pd.DataFrame(money).to_csv(folder / "financials.csv", index=False)
    (folder / "company.toml").write_text(
        '[company]\nname = "Moving"\ncurrency = "EUR"\nstage = "early"\ngtm = "sales-led"\n\n'
        f'[policies]\nsm_allocation = "{allocation}"\n\n'
        '[inputs.mrr]\npath = "mrr.csv"\ndimensions = ["segment"]\n\n[inputs.financials]\npath = "financials.csv"\n',
        encoding="utf-8",
    )
    return folder


@pytest.mark.parametrize("allocation", ["new_customers", "new_arr"])
def test_a_customer_moving_segment_takes_no_share_of_acquisition_spend(tmp_path, allocation) -> None:
    # Q2 2025 (Apr-Jun): the company acquired B alone (1 new customer, new ARR 12 x 50 = 600)
    # and spent 3 x 300 = 900 on S&M. The Enterprise pack's own rows make A new there too
    # (2 new customers, new ARR 12 x 150 = 1,800), but A cost no acquisition spend: the
    # Enterprise share of the company's acquisitions is B's, 1/1 (600/600), so its S&M is
    # 900 and SMB's 0, summing to the company's 900. It was 2/1 (1,800/600 = 3) x 900.
    folder = _moving_customer(tmp_path / "moving", allocation)
    company = compute_kpis(folder, as_of="2025-06").kpis.set_index("kpi")["value"]
    ent = compute_kpis(folder, as_of="2025-06", segment=("segment", "Enterprise"))
    smb = compute_kpis(folder, as_of="2025-06", segment=("segment", "SMB")).kpis.set_index("kpi")["value"]
    values = ent.kpis.set_index("kpi")["value"]
    assert company["sm_spend"] == 900.0 and company["new_customers"] == 1.0 and company["new_arr"] == 600.0
    assert values["new_customers"] == 2.0 and values["new_arr"] == 1800.0  # the segment's own rows
    assert values["sm_spend"] == pytest.approx(900.0)
    assert values["cac"] == pytest.approx(900.0 / 2)
    assert smb["sm_spend"] == pytest.approx(0.0)
    # the unit-economics table's quarter and months allocate the same way
    table = ent.tables["unit_economics"].set_index("period")
    assert table.at["2025Q2", "sm_spend"] == pytest.approx(900.0)
    assert math.isnan(table.at["2025-04", "sm_spend"])  # the company acquired no one in April
    assert table.at["2025-05", "sm_spend"] == pytest.approx(300.0)  # B: the company's one acquisition
