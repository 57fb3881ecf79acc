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
