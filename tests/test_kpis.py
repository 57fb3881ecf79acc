"""The KPI builder: kpis.csv complete for every company, window and segment, blanks with
notes, hand-computed values on a tiny company, segment sums, compare tables."""

from __future__ import annotations

import math
import time
from pathlib import Path

import pandas as pd
import pytest
from inputs_helpers import make
from test_registry import ALL_IDS

from conftest import PRODUCT_LED, SALES_LED
from reportlib import registry as reg
from reportlib.kpis.builder import KPI_COLUMNS, KPI_TREE_COLUMNS, KpiResult, compute_kpis
from reportlib.metrics import Blank
from reportlib.metrics.contracts import open_ended_through

DESIGN_TABLES = {
    "mrr_bridge": [
        "month",
        "opening_mrr",
        "new",
        "reactivation",
        "expansion",
        "contraction",
        "churn",
        "closing_mrr",
        "customers",
        "new_customers",
        "reactivated_customers",
        "churned_customers",
    ],
    "cohorts_logo": ["cohort", "age_months", "value"],
    "cohorts_nrr": ["cohort", "age_months", "value"],
    "cohorts_grr": ["cohort", "age_months", "value"],
    "revenue_bridge": ["month", "bookings", "billings", "revenue", "deferred_revenue", "arr", "carr"],
    "funnel_cohorts": ["cohort", "dimension", "value", "stage_from", "stage_to", "entered", "converted"],
    "pipeline_pacing": [
        "period",
        "metric",
        "dimension",
        "target",
        "actual",
        "elapsed_fraction",
        "expected_to_date",
        "pace",
        "status",
        "required_run_rate_per_day",
    ],
}
ALWAYS_TABLES = {"revenue_tiers", "unit_economics", "funnel", "kpi_tree", "arpa_drivers", "mrr_drivers", "breakdowns"}


# --- a tiny hand-computed company ---------------------------------------------------------
def tiny_company(folder: Path) -> Path:
    """A: 100 every month (SMB); B: 200 until 2026-01 (Enterprise); C: new 2026-02 at 50,
    80 in 2026-03 (SMB). 15 months, 2025-01 .. 2026-03."""
    months = [str(p) for p in pd.period_range("2025-01", "2026-03", freq="M")]
    rows = [("A", m, 100.0, "SMB") for m in months]
    rows += [("B", m, 200.0, "Enterprise") for m in months if m <= "2026-01"]
    rows += [("C", "2026-02", 50.0, "SMB"), ("C", "2026-03", 80.0, "SMB")]
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows, columns=["customer_id", "month", "mrr", "segment"]).to_csv(folder / "mrr.csv", index=False)
    (folder / "company.toml").write_text(
        '[company]\nname = "Tiny"\ncurrency = "EUR"\nstage = "early"\ngtm = "sales-led"\n\n'
        '[inputs.mrr]\npath = "mrr.csv"\n'
        'columns = { customer_id = "customer_id", month = "month", mrr = "mrr", segment = "segment" }\n',
        encoding="utf-8",
    )
    return folder


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> KpiResult:
    return compute_kpis(tiny_company(tmp_path_factory.mktemp("tiny") / "tiny"), as_of="2026-03")


def row(result: KpiResult, kpi: str) -> pd.Series:
    return result.kpis.set_index("kpi").loc[kpi]


@pytest.mark.parametrize(
    "kpi, expected",
    [
        ("mrr", 180.0),
        ("arr", 2160.0),
        ("customers", 2),
        ("new_arr", 600.0),
        ("expansion_arr", 360.0),
        ("churned_arr", 2400.0),
        ("net_new_arr", -1440.0),
        ("new_customers", 1),
        ("logo_churn_rate", 0.5),
        ("nrr", 100 / 300),
        ("grr", 100 / 300),
        ("quick_ratio", 0.4),
        ("asp", 50.0),
        ("arpa", 90.0),
    ],
)
def test_tiny_values(tiny, kpi, expected):
    assert row(tiny, kpi)["value"] == pytest.approx(expected)


def test_tiny_statuses_and_tiers(tiny):
    assert row(tiny, "quick_ratio")["status"] == "red"
    assert row(tiny, "nrr")["status"] == "red"
    assert row(tiny, "arr")["tier"] == "north_star"
    assert row(tiny, "arr")["prior_value"] == pytest.approx(3600.0)
    assert row(tiny, "arr")["change"] == pytest.approx(2160 / 3600 - 1)  # relative
    assert row(tiny, "logo_churn_rate")["prior_value"] == 0.0
    assert row(tiny, "logo_churn_rate")["change"] == pytest.approx(0.5)  # absolute
    assert math.isnan(row(tiny, "nrr")["prior_value"])  # no year before 2025-12
    assert "12 months" in row(tiny, "nrr").pipe(lambda r: tiny.prior["nrr"].note)


def test_tiny_absent_inputs_are_noted(tiny):
    r = row(tiny, "burn_multiple")
    assert math.isnan(r["value"]) and r["note"] == "needs a financials input (company.toml [inputs.financials])"
    assert row(tiny, "signups")["note"] == "needs a leads input (company.toml [inputs.leads])"
    assert "[inputs.opportunities]" in row(tiny, "win_rate")["note"]
    assert "generated" not in tiny.narrative["summary"][2]
    assert "financials" in tiny.narrative["summary"][2]


def test_tiny_arr_sentence(tiny):
    ex = tiny.explanations[0]
    assert ex.kpi == "arr" and ex.sentence.startswith("ARR fell 40% in the quarter to €2.2k")
    assert tiny.year_ago["arr"] == pytest.approx(3600.0)


def test_tiny_segments_sum_to_company(tiny, tmp_path):
    folder = tiny.company.path
    parts = [compute_kpis(folder, as_of="2026-03", segment=("segment", v)) for v in ("SMB", "Enterprise")]
    for kpi in ("arr", "new_arr", "expansion_arr", "churned_arr", "net_new_arr", "customers"):
        assert sum(row(p, kpi)["value"] for p in parts) == pytest.approx(row(tiny, kpi)["value"])


def test_segment_string_and_bad_segment(tiny):
    r = compute_kpis(tiny.company.path, as_of="2026-03", segment="segment=SMB")
    assert r.segment == ("segment", "SMB") and row(r, "customers")["value"] == 2
    from reportlib.exceptions import ParameterError

    with pytest.raises(ParameterError):
        compute_kpis(tiny.company.path, as_of="2026-03", segment="segment=Nope")


# --- the demo companies ------------------------------------------------------------------
DEMOS = {"meridian": SALES_LED, "loopwise": PRODUCT_LED}


@pytest.fixture(scope="module")
def demo_dirs(tmp_path_factory) -> dict[str, Path]:
    """data/<demo> when committed, else freshly generated (same seed)."""
    if all((p / "company.toml").is_file() for p in DEMOS.values()):
        return dict(DEMOS)
    from reportlib.demo import generate_demo_companies

    out = tmp_path_factory.mktemp("demo")
    generate_demo_companies(out)
    return {name: out / name for name in DEMOS}


_CACHE: dict[tuple, KpiResult] = {}


def run(demo_dirs, name: str, window: str = "quarter", segment=None, compare=None) -> KpiResult:
    key = (name, window, segment, compare)
    if key not in _CACHE:
        as_of = "2026-09" if name == "meridian" else None
        _CACHE[key] = compute_kpis(demo_dirs[name], as_of=as_of, window=window, segment=segment, compare=compare)
    return _CACHE[key]


def assert_complete(result: KpiResult) -> None:
    k = result.kpis
    assert list(k.columns) == KPI_COLUMNS
    assert list(k["kpi"]) == reg.ids()
    assert set(ALL_IDS) <= set(k["kpi"])
    for r in k.itertuples(index=False):
        value = r.value
        assert not (isinstance(value, float) and math.isinf(value)), r.kpi
        if pd.isna(value):
            assert isinstance(r.note, str) and r.note.strip(), f"{r.kpi} is blank without a note"
        for v in (r.prior_value, r.change):
            assert pd.isna(v) or math.isfinite(v)
        assert r.status in ("green", "amber", "red", "")
        assert r.tier in ("north_star", "diagnostic", "granular")
    # a blank that the metric could not compute is never written as 0
    blanks = [kpi for kpi, v in result.values.items() if isinstance(v, Blank)]
    assert k.set_index("kpi").loc[blanks, "value"].isna().all()


@pytest.mark.parametrize("name", list(DEMOS))
@pytest.mark.parametrize("window", ["month", "quarter", "year"])
def test_kpis_complete_every_window(demo_dirs, name, window):
    assert_complete(run(demo_dirs, name, window))


@pytest.mark.parametrize("name, segment", [("meridian", ("segment", "SMB")), ("meridian", ("segment", "Enterprise"))])
def test_kpis_complete_for_a_segment(demo_dirs, name, segment):
    result = run(demo_dirs, name, segment=segment)
    assert_complete(result)
    cac = row(result, "cac")
    assert math.isnan(cac["value"]) and "segment" in cac["note"]  # S&M not allocated by default


def test_loopwise_segment_complete(demo_dirs):
    company_dims = [c for c in run(demo_dirs, "loopwise").tables["breakdowns"]["dimension"].unique()]
    if not company_dims:
        pytest.skip("loopwise has no revenue dimension")
    dim = company_dims[0]
    value = run(demo_dirs, "loopwise").tables["breakdowns"].query("dimension == @dim")["segment"].iloc[0]
    assert_complete(run(demo_dirs, "loopwise", segment=(dim, value)))


def test_meridian_segments_sum_to_company(demo_dirs):
    whole = run(demo_dirs, "meridian")
    parts = [
        run(demo_dirs, "meridian", segment=("segment", v))
        for v in whole.tables["breakdowns"].query("dimension == 'segment'")["segment"].unique()
    ]
    for kpi in ("arr", "new_arr", "expansion_arr", "churned_arr", "contraction_arr", "reactivation_arr"):
        assert sum(row(p, kpi)["value"] for p in parts) == pytest.approx(row(whole, kpi)["value"], rel=1e-9)


def test_breakdowns_match_segment_runs(demo_dirs):
    whole = run(demo_dirs, "meridian")
    b = whole.tables["breakdowns"].query("dimension == 'segment' and segment == 'SMB' and kpi == 'new_arr'")
    assert b["value"].iloc[0] == pytest.approx(
        row(run(demo_dirs, "meridian", segment=("segment", "SMB")), "new_arr")["value"]
    )


@pytest.mark.parametrize("name", list(DEMOS))
def test_tables_have_design_columns(demo_dirs, name):
    tables = run(demo_dirs, name).tables
    for table, columns in DESIGN_TABLES.items():
        assert list(tables[table].columns)[: len(columns)] == columns, table
    assert ALWAYS_TABLES <= set(tables)
    assert list(tables["kpi_tree"].columns) == KPI_TREE_COLUMNS
    assert set(tables["unit_economics"]["freq"]) == {"month", "quarter"}
    assert (tables["mrr_bridge"]["month"] <= run(demo_dirs, name).window.as_of).all()


def test_opening_cohort_is_marked(demo_dirs):
    cohorts = run(demo_dirs, "meridian").tables["cohorts_logo"]
    assert cohorts["cohort"].astype(str).str.startswith("<=").any()


@pytest.mark.parametrize("name", list(DEMOS))
def test_north_stars_explained(demo_dirs, name):
    result = run(demo_dirs, name)
    stars = result.company.config.north_star
    assert [e.kpi for e in result.explanations] == stars
    assert result.narrative["summary"] == [e.sentence for e in result.explanations]
    assert set(result.year_ago) == set(stars)
    assert (result.kpis.set_index("kpi").loc[stars, "tier"] == "north_star").all()
    for section in ("summary", "revenue_quality", "unit_economics", "cohort_economics", "kpi_hierarchy"):
        assert section in result.narrative


def test_product_led_magic_number_not_judged(demo_dirs):
    r = row(run(demo_dirs, "loopwise"), "magic_number")
    assert r["status"] == "" and "product-led" in r["benchmark"]


def test_compare_tables(demo_dirs):
    result = run(demo_dirs, "meridian", compare=("segment", ("SMB", "Enterprise")))
    for kind in ("logo", "nrr", "grr"):
        t = result.tables[f"compare_cohorts_{kind}"]
        assert list(t.columns) == ["cohort", "age_months", "value", "segment"]
        assert set(t["segment"]) == {"SMB", "Enterprise"}
    kpis = result.tables["compare_kpis"]
    assert {"kpi", "label", "unit", "SMB", "Enterprise", "difference"} <= set(kpis.columns)
    assert len(kpis) == len(reg.ids())


@pytest.mark.parametrize("name", list(DEMOS))
def test_runs_in_seconds(demo_dirs, name):
    start = time.perf_counter()
    compute_kpis(demo_dirs[name])
    assert time.perf_counter() - start < 20


def test_shared_grids_let_a_restated_periods_figures_reuse_the_kpis_contract_history(monkeypatch):
    """Inside :func:`shared_grids` (the pack's KPI step) the earlier period's figures that the
    restatements recompute read the contracts' history the KPIs made, instead of making it
    again; the figures are those computed alone."""
    import importlib

    from reportlib.inputs import load_company
    from reportlib.kpis.builder import period_figures, shared_grids

    builder = importlib.import_module("reportlib.kpis.builder")
    company = load_company(SALES_LED)
    alone = period_figures(company, "2026-06", "quarter")
    made = []
    real = builder.contract_history
    monkeypatch.setattr(builder, "contract_history", lambda *a, **k: made.append(1) or real(*a, **k))
    with shared_grids():
        compute_kpis(company, window="quarter")
        shared = period_figures(company, "2026-06", "quarter")
    assert len(made) == 1
    pd.testing.assert_frame_equal(shared[0], alone[0], check_exact=True)
    for name, table in alone[1].items():
        pd.testing.assert_frame_equal(shared[1][name], table, check_exact=True)
    compute_kpis(company, window="quarter")  # outside: a run of its own again
    assert len(made) == 2


def test_kpis_csv_gives_no_change_between_two_bases_and_says_why():
    # Loopwise: Aug-Oct 2026 has 24 months of revenue (Rule of 40 on revenue growth); the
    # prior quarter has 21 (on ARR growth): 2.9% against -31% would show +34 points, of
    # which about 28 come from switching definitions
    kpis = compute_kpis(PRODUCT_LED, as_of="2026-10").kpis.set_index("kpi")
    row = kpis.loc["rule_of_40"]
    assert not math.isnan(row["value"]) and not math.isnan(row["prior_value"])
    assert math.isnan(row["change"])
    assert row["note"] == "No change shown: the prior period used ARR growth."


def test_a_report_month_after_the_latest_signature_runs_open_ended_contracts_to_it(tmp_path):
    # Two open-ended monthly contracts signed and started in January 2026: A (EU) 1,000 a
    # month, B (US) 500. The export is as of January; the board asks for Q2 (as-of 2026-06,
    # allowed with a warning). The contracts still serve in June: MRR 1,500, ARR 12 x 1,500 =
    # 18,000, 2 customers, revenue Q2 3 x 1,500 = 4,500, and the tables run to June. (The
    # engine stopped the revenue grid at January: ARR 0 and 0 customers beside a CARR of 18,000.)
    body = (
        "contract_id,customer_id,start_date,end_date,signed_date,mrr,region\n"
        "K1,A,2026-01-01,,2026-01-05,1000,EU\nK2,B,2026-01-01,,2026-01-10,500,US\n"
    )
    toml = (
        '[inputs.contracts]\npath = "c.csv"\ndimensions = ["region"]\n'
        'defaults = { revenue_type = "contracted_recurring", billing = "monthly" }\n'
    )
    folder = make(tmp_path, toml, {"c.csv": body})
    result = compute_kpis(folder, as_of="2026-06")
    k = result.kpis.set_index("kpi")["value"]
    assert (k["arr"], k["carr"], k["customers"], k["revenue"]) == (18000.0, 18000.0, 2.0, 4500.0)
    bridge = result.tables["revenue_bridge"].set_index("month")
    assert str(bridge.index[-1]) == "2026-06" and bridge["arr"].iloc[-1] == 18000.0
    assert result.tables["mrr_bridge"]["closing_mrr"].iloc[-1] == 1500.0
    # the segments still sum to the company: EU 12,000 + US 6,000
    by_region = [compute_kpis(folder, as_of="2026-06", segment=f"region={r}").kpis for r in ("EU", "US")]
    assert [s.set_index("kpi")["value"]["arr"] for s in by_region] == [12000.0, 6000.0]
    # inside the export's dates nothing changes (None: the export's own horizon)
    contracts = result.company.frames["contracts"]
    assert open_ended_through(contracts, pd.Period("2026-01", "M")) is None
    assert open_ended_through(contracts, pd.Period("2026-06", "M")) == pd.Period("2026-06", "M")
    closed = contracts.assign(end_date=pd.Timestamp("2026-12-31"))
    assert open_ended_through(closed, pd.Period("2026-06", "M")) is None


def test_a_compare_packs_kpis_csv_says_its_figures_are_company_wide(tmp_path: Path) -> None:
    """Tiny compared SMB vs Enterprise: kpis.csv holds the whole company's ARR, 2,160
    ((A 100 + C 80) x 12), while the segments' are in compare_kpis (SMB 2,160, Enterprise 0,
    B having left). Each row's note says it is company-wide; a blank's reason is kept after
    it. The plain pack's notes stay as they were."""
    from reportlib.kpis.builder import kpis_csv

    company = tiny_company(tmp_path / "tiny")
    compared = compute_kpis(company, as_of="2026-03", compare=("segment", ("SMB", "Enterprise")))
    csv = kpis_csv(compared).set_index("kpi")
    scope = "Company-wide figure (SMB and Enterprise side by side in tables/compare_kpis.csv)"
    assert csv.loc["arr", "value"] == 2160 and csv.loc["arr", "note"] == scope + "."
    assert compared.tables["compare_kpis"].set_index("kpi").loc["arr", ["SMB", "Enterprise"]].tolist() == [2160, 0]
    assert csv.loc["cac", "note"] == scope + ": needs a financials input (company.toml [inputs.financials])"
    assert csv["note"].str.startswith(scope).all()
    plain = kpis_csv(compute_kpis(company, as_of="2026-03")).set_index("kpi")
    assert plain.loc["arr", "note"] in ("", None) or pd.isna(plain.loc["arr", "note"])


def test_a_blank_prior_value_says_why_in_the_note():
    # Meridian's usage export starts in 2026-08: the Aug-Oct quarter has its DAU/MAU and
    # accounts, the prior quarter (May-Jul) reaches before the data, so its values are blank
    # and kpis.csv says why (METRICS.md "Time"), as it does for a blank value
    kpis = compute_kpis(SALES_LED, as_of="2026-10").kpis.set_index("kpi")
    assert not math.isnan(kpis.loc["dau_mau", "value"]) and math.isnan(kpis.loc["dau_mau", "prior_value"])
    assert kpis.loc["dau_mau", "note"] == "No prior value: 2026-07 is before the usage data (it starts 2026-08)."
    assert kpis.loc["active_accounts", "note"] == (
        "No prior value: the period starts 2026-05, before the usage data (it starts 2026-08)."
    )
