"""Unit economics on hand-computed fixtures (METRICS.md "Unit economics")."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from reportlib.inputs.config import Policies
from reportlib.metrics import (
    Blank,
    Noted,
    Window,
    is_blank,
    movements,
    mrr_bridge,
    note_of,
    unit_economics_kpis,
    unit_economics_series,
)
from reportlib.metrics import unit_economics as mue
from reportlib.metrics.unit_economics import ltv, monthly_financials

Q4 = Window(pd.Period("2026-12", "M"), 3)
SM_2026 = {7: 700.0, 8: 800.0, 9: 900.0, 10: 1000.0, 11: 1100.0, 12: 1200.0}


def financials(months: int = 24, cash: float = -400.0, sm_zero: bool = False) -> pd.DataFrame:
    """2025-01..2026-12: revenue 1000/month in 2025, 1500 in 2026; cogs 300 / 375;
    S&M 500 except Jul-Dec 2026 (700..1200); R&D 200, G&A 100; net cash -100 in 2025,
    ``cash`` in 2026."""
    idx = pd.period_range("2025-01", "2026-12", freq="M")[-months:]
    y26 = idx.year == 2026
    sm = [0.0 if sm_zero else SM_2026.get(p.month, 500.0) if p.year == 2026 else 500.0 for p in idx]
    return pd.DataFrame(
        {
            "month": idx,
            "revenue": [1500.0 if y else 1000.0 for y in y26],
            "cogs": [375.0 if y else 300.0 for y in y26],
            "sales_marketing": sm,
            "research_development": 200.0,
            "general_admin": 100.0,
            "net_cash_flow": [cash if y else -100.0 for y in y26],
            "cash_balance": 12_000.0,
        }
    )


REVENUE = {
    "new_customers": 10.0,
    "arpa": 100.0,
    "asp": 110.0,
    "net_new_arr": 6000.0,
    "new_arr": 5000.0,
    "reactivation_arr": 500.0,
    "expansion_arr": 1500.0,
    "logo_churn_rate_annual": 0.2,
    "arr_growth_yoy": 0.5,
}


def kpis(fin=None, revenue=None, policies=None, **kw):
    return unit_economics_kpis(
        financials() if fin is None else fin, {**REVENUE, **(revenue or {})}, Q4, policies or Policies(), **kw
    )


def test_every_definition_by_hand():
    k = kpis(revenue_history_months=24)
    assert k["gross_margin"] == pytest.approx(0.75)  # (4500 - 1125) / 4500
    assert k["gross_margin_ttm"] == pytest.approx(0.75)  # (18000 - 4500) / 18000
    assert k["sm_spend"] == 3300.0  # 1000 + 1100 + 1200
    assert k["cac"] == 330.0  # 3300 / 10
    assert k["ltv"] == pytest.approx(4500.0)  # 12 x 100 x 0.75 / 0.2
    assert k["ltv_cac"] == pytest.approx(4500 / 330)
    assert k["magic_number"] == pytest.approx(6000 / 3300)  # net new ARR / S&M
    assert k["cac_payback_months"] == pytest.approx(4.0)  # 330 / (110 x 0.75)
    assert k["burn"] == 1200.0  # 3 x 400
    assert k["burn_multiple"] == pytest.approx(0.2)  # 1200 / 6000
    assert k["revenue_growth_yoy"] == pytest.approx(0.5)  # 18000 / 12000 - 1
    # EBITDA TTM = 18000 - 4500 - S&M 8700 (6 x 500 + 700..1200) - R&D 2400 - G&A 1200 = 1200
    assert k["ebitda_margin"] == pytest.approx(1200 / 18000)
    assert k["rule_of_40"] == pytest.approx(0.5 + 1200 / 18000)
    assert note_of(k["rule_of_40"]) == ""
    assert all(not is_blank(v) for v in k.values())


def test_ebitda_column_wins_over_derivation():
    fin = financials().assign(ebitda=300.0)
    assert kpis(fin)["ebitda_margin"] == pytest.approx(3600 / 18000)  # 12 x 300 / 18000


def test_metrics_worked_example_ltv_300k():
    # ARPA $40k a year (monthly 40000/12), gross margin 75%, annual logo churn 10%
    assert round(ltv(40000 / 12, 0.75, 0.10), 2) == 300000.00


@pytest.mark.parametrize("lag, spend", [(0, 3300.0), (1, 3000.0), (3, 2400.0)])
def test_cac_lag_months(lag, spend):
    # lag 1: Sep-Nov = 900 + 1000 + 1100; lag 3: Jul-Sep = 700 + 800 + 900
    k = kpis(policies=Policies(cac_lag_months=lag))
    assert k["sm_spend"] == spend
    assert k["cac"] == spend / 10


@pytest.mark.parametrize("basis, added", [("net_new", 6000.0), ("new", 5500.0), ("gross", 7000.0)])
def test_magic_number_basis(basis, added):
    # new = new 5000 + reactivation 500; gross = that + expansion 1500
    assert kpis(policies=Policies(magic_number_basis=basis))["magic_number"] == pytest.approx(added / 3300)


def test_ltv_cap_and_no_churn():
    capped = kpis(policies=Policies(ltv_max_lifetime_years=3.0))["ltv"]  # 1/0.2 = 5 years > 3
    assert capped == pytest.approx(12 * 100 * 0.75 * 3) and isinstance(capped, Noted)
    none = kpis(revenue={"logo_churn_rate_annual": 0.0})
    assert none["ltv"] == Blank("no churn in the trailing 12 months: lifetime unbounded; set ltv_max_lifetime_years")
    assert is_blank(none["ltv_cac"])
    cap = kpis(revenue={"logo_churn_rate_annual": 0.0}, policies=Policies(ltv_max_lifetime_years=3.0))["ltv"]
    assert cap == pytest.approx(2700.0) and "capped" in note_of(cap)
    assert kpis(policies=Policies(ltv_max_lifetime_years=10.0))["ltv"] == pytest.approx(4500.0)  # cap not binding


def test_no_sm_spend_blanks_cac_based_kpis():
    k = kpis(financials(sm_zero=True))
    assert k["sm_spend"] == 0.0
    for kpi in ("cac", "ltv_cac", "magic_number", "cac_payback_months"):
        assert isinstance(k[kpi], Blank) and k[kpi].note


def test_cash_generative_company_has_no_burn():
    k = kpis(financials(cash=250.0))
    assert isinstance(k["burn"], Blank) and "generated cash" in k["burn"].note
    assert isinstance(k["burn_multiple"], Blank)


@pytest.mark.parametrize("nna", [0.0, -1000.0])
def test_burn_multiple_blank_when_arr_did_not_grow(nna):
    k = kpis(revenue={"net_new_arr": nna})
    assert isinstance(k["burn_multiple"], Blank) and "not positive" in k["burn_multiple"].note
    assert k["burn"] == 1200.0


def test_no_new_customers_and_no_financials():
    assert isinstance(kpis(revenue={"new_customers": 0.0})["cac"], Blank)
    empty = unit_economics_kpis(None, REVENUE, Q4)
    assert all(isinstance(v, Blank) and "financials" in v.note for v in empty.values())


def test_rule_of_40_falls_back_to_arr_growth_with_short_history():
    k = kpis(financials(months=12), revenue_history_months=12)
    assert isinstance(k["revenue_growth_yoy"], Blank)
    assert k["rule_of_40"] == pytest.approx(0.5 + 1200 / 18000)  # arr growth + EBITDA margin
    assert isinstance(k["rule_of_40"], Noted) and "ARR growth" in k["rule_of_40"].note
    # 24 months of financials but a revenue history under 24 months still falls back
    assert isinstance(kpis(revenue_history_months=20)["rule_of_40"], Noted)


def test_a_rule_of_40_on_arr_growth_is_not_compared_with_one_on_revenue_growth():
    from reportlib.kpis.narrative import kpi_change

    on_arr = kpis(revenue_history_months=20)["rule_of_40"]  # 21 months before: ARR growth
    on_revenue = kpis()["rule_of_40"]  # 24 months: revenue growth
    assert on_arr.basis == "ARR growth" and getattr(on_revenue, "basis", "") == ""
    # the change would mostly be the switch of definition: none is given
    assert kpi_change("rule_of_40", on_revenue, on_arr) is None
    assert kpi_change("rule_of_40", on_arr, on_arr) == 0.0  # the same basis both times
    assert kpi_change("rule_of_40", 0.30, 0.25) == pytest.approx(0.05)


def test_missing_months_are_blank_not_partial_sums():
    fin = financials().query("month != @pd.Period('2026-11', 'M')")
    k = kpis(fin)
    assert isinstance(k["sm_spend"], Blank) and "2026-11" in k["sm_spend"].note
    assert isinstance(k["gross_margin"], Blank)


def test_months_outside_the_financials_are_blank_on_both_sides():
    # financials 2025-01..2026-10 only: Q4 2026 lacks Nov and Dec
    late = kpis(financials().iloc[:22])
    assert late["sm_spend"].note == "financials do not cover sales_marketing for 2026-11 to 2026-12 (2 months)"
    # financials 2025-12..2026-12 only: the TTM a year earlier (2025-01..2025-12) lacks Jan-Nov 2025
    early = kpis(financials(months=13))
    assert early["revenue_growth_yoy"].note.endswith("revenue for 2025-01 to 2025-11 (11 months)")
    # the quarter itself is fully there: S&M Oct-Dec 2026 = 1000 + 1100 + 1200 = 3300
    assert early["sm_spend"] == 3300.0


def test_monthly_financials_given_by_the_caller_give_the_same_kpis():
    fin = financials()
    given = kpis(fin, monthly=monthly_financials(fin))
    assert {k: note_of(v) or v for k, v in given.items()} == {k: note_of(v) or v for k, v in kpis(fin).items()}


def test_segment_pack_blanks_sm_kpis_without_allocation():
    k = kpis(segment=("segment", "SMB"))
    for kpi in ("sm_spend", "cac", "ltv_cac", "magic_number", "cac_payback_months"):
        assert isinstance(k[kpi], Blank) and "policies allocate none of it to segments" in k[kpi].note
    # stricter segment rules: COGS and burn are company-wide too, so everything built on them
    # is blank, and company-only figures (growth, margin, cash, runway) are never shown
    for kpi in ("gross_margin", "gross_margin_ttm", "ltv", "burn", "burn_multiple"):
        assert isinstance(k[kpi], Blank) and "cost of revenue and cash burn are company-wide" in k[kpi].note
    for kpi in ("revenue_growth_yoy", "ebitda_margin", "rule_of_40", "cash_balance", "runway_months"):
        assert isinstance(k[kpi], Blank) and "P&L and cash figures are company-wide" in k[kpi].note


@pytest.mark.parametrize("basis, share", [("new_customers", 0.4), ("new_arr", 0.25)])
def test_segment_pack_allocates_sm_pro_rata(basis, share):
    k = kpis(
        policies=Policies(sm_allocation=basis),
        segment=("segment", "SMB"),
        segment_share={"new_customers": 0.4, "new_arr": 0.25},
    )
    assert k["sm_spend"] == pytest.approx(3300 * share)
    assert k["cac"] == pytest.approx(3300 * share / 10)  # segment's own new customers
    assert "allocated" in note_of(k["sm_spend"])
    # burn Oct-Dec 2026 = 1,200, allocated by the same share; the multiple over the segment's
    # own net new ARR (6,000): 1,200 x share / 6,000
    assert k["burn"] == pytest.approx(1200 * share)
    assert k["burn_multiple"] == pytest.approx(1200 * share / 6000)
    assert k["gross_margin"] == pytest.approx(0.75) and "allocated" in note_of(k["gross_margin"])
    assert isinstance(k["runway_months"], Blank) and isinstance(k["rule_of_40"], Blank)


def test_segment_pack_allocates_by_arr_share():
    k = kpis(
        policies=Policies(sm_allocation="arr"),
        segment=("segment", "SMB"),
        segment_share={"new_customers": 0.4, "new_arr": 0.25, "arr": 0.5},
    )
    assert k["sm_spend"] == pytest.approx(3300 * 0.5)  # 1,650
    assert k["magic_number"] == pytest.approx(6000 / 1650)  # segment NNA / allocated S&M


def test_segment_pack_with_segmented_financials_uses_the_segment_rows():
    smb, ent = financials().assign(segment="SMB"), financials().assign(segment="Enterprise")
    ent[["revenue", "cogs", "sales_marketing"]] *= 10
    fin = pd.concat([smb, ent], ignore_index=True)
    k = kpis(fin, segment=("segment", "SMB"))
    assert k["sm_spend"] == 3300.0 and note_of(k["sm_spend"]) == ""
    whole = kpis(fin)  # whole company: both segments summed
    assert whole["sm_spend"] == 3300.0 * 11


def bridge():
    """Jan-Jun 2026: opening MRR 1000, +100 new and +50 expansion a month, 2 new customers."""
    months = pd.period_range("2026-01", "2026-06", freq="M")
    opening = [1000.0 + 150 * i for i in range(6)]
    return pd.DataFrame(
        {
            "month": months,
            "opening_mrr": opening,
            "new": 100.0,
            "reactivation": 0.0,
            "expansion": 50.0,
            "contraction": 0.0,
            "churn": 0.0,
            "closing_mrr": [o + 150 for o in opening],
            "customers": 10,
            "new_customers": 2,
        }
    )


def series_financials():
    months = pd.period_range("2026-01", "2026-06", freq="M")
    return pd.DataFrame(
        {"month": months, "revenue": 1000.0, "cogs": 250.0, "sales_marketing": 600.0, "net_cash_flow": -300.0}
    )


def test_series_quarterly():
    s = unit_economics_series(series_financials(), bridge(), "Q")
    assert list(s["period"]) == ["2026Q1", "2026Q2"]
    q1 = s.iloc[0]
    assert q1["sm_spend"] == 1800.0 and q1["new_customers"] == 6
    assert q1["cac"] == 300.0  # 1800 / 6
    assert q1["net_new_arr"] == 5400.0  # 12 x (1450 - 1000)
    assert q1["magic_number"] == pytest.approx(3.0)  # 5400 / 1800
    assert q1["asp"] == 50.0  # 300 new MRR / 6
    assert q1["burn"] == 900.0 and q1["burn_multiple"] == pytest.approx(900 / 5400)
    assert q1["gross_margin"] == 0.75
    assert math.isnan(q1["cac_payback_months"])  # no 12 months for the TTM margin yet


def test_series_monthly_with_lag_and_no_inf():
    s = unit_economics_series(series_financials(), bridge(), "M", Policies(cac_lag_months=1))
    assert len(s) == 6 and math.isnan(s.loc[0, "sm_spend"])  # January's lagged S&M is December's
    assert s.loc[1, "cac"] == 300.0 and s.loc[1, "magic_number"] == pytest.approx(1800 / 600)
    fin = series_financials().assign(sales_marketing=0.0)
    s0 = unit_economics_series(fin, bridge(), "M")
    assert s0["cac"].isna().all() and s0["magic_number"].isna().all()


def test_cash_balance_burn_and_runway_by_hand():
    # cash balance 12,000 at the end of 2026-12; burn Oct-Dec 2026: 3 x 400 = 1,200
    k = kpis(financials())
    assert k["cash_balance"] == 12_000.0
    assert k["net_burn_monthly"] == pytest.approx(1_200.0 / 3)  # 400 a month
    assert k["runway_months"] == pytest.approx(12_000.0 / 400.0)  # 30 months


def test_runway_blank_when_cash_generative_or_no_cash_column():
    fin = financials(cash=250.0)
    fin["cash_balance"] = 5_000.0
    k = kpis(fin)
    assert k["cash_balance"] == 5_000.0
    assert isinstance(k["net_burn_monthly"], Blank) and "generated cash" in k["net_burn_monthly"].note
    assert isinstance(k["runway_months"], Blank)
    k = kpis(financials().drop(columns="cash_balance"))
    assert isinstance(k["cash_balance"], Blank) and "cash_balance" in k["cash_balance"].note


def test_series_opening_month_is_not_a_flow():
    # with January 2026 as the opening balance, its 2 "new customers" and 100 "new MRR" are the
    # opening book: January and Q1 are blank (never 0, never a 2-month sum), February on is computed
    s = unit_economics_series(series_financials(), bridge(), "M", opening_month="2026-01")
    jan, feb = s.iloc[0], s.iloc[1]
    assert all(math.isnan(jan[c]) for c in ("new_customers", "new_arr", "net_new_arr", "magic_number", "cac"))
    assert feb["new_customers"] == 2 and feb["new_arr"] == 1200.0  # 12 x 100
    q = unit_economics_series(series_financials(), bridge(), "Q", opening_month="2026-01")
    assert math.isnan(q.iloc[0]["new_customers"]) and math.isnan(q.iloc[0]["magic_number"])
    assert q.iloc[1]["new_customers"] == 6  # Q2: 3 x 2


def test_cash_runway_series_is_cash_over_the_three_month_average_burn():
    from reportlib.metrics.unit_economics import cash_runway_series

    fin = pd.DataFrame(
        {
            "month": ["2026-01", "2026-02", "2026-03", "2026-04"],
            "revenue": [1.0] * 4,
            "net_cash_flow": [-90.0, -120.0, -150.0, 60.0],
            "cash_balance": [1000.0, 880.0, 730.0, 790.0],
        }
    )
    t = cash_runway_series(fin)
    assert list(t.columns) == ["month", "cash_balance", "net_burn_monthly", "runway_months"]
    # March: (90 + 120 + 150) / 3 = 120 a month; 730 / 120 = 6.083 months.
    # April: (120 + 150 - 60) / 3 = 70; 790 / 70 = 11.286. Jan and Feb: fewer than 3 months.
    assert t["net_burn_monthly"].tolist()[2:] == pytest.approx([120.0, 70.0])
    assert t["runway_months"].tolist()[2:] == pytest.approx([730 / 120, 790 / 70])
    assert t["net_burn_monthly"].iloc[:2].isna().all()
    # a segment of company-wide financials has no cash of its own
    assert cash_runway_series(fin, ("segment", "SMB")).empty


# --- the series of a segment pack on company-wide financials ---------------------------------

SEGMENT_BRIDGE = pd.DataFrame(
    {
        "month": ["2026-01", "2026-02", "2026-03"],
        "new": [100.0, 0.0, 50.0],
        "new_customers": [1.0, 0.0, 1.0],
        "closing_mrr": [1000.0, 1000.0, 1050.0],
    }
)
COMPANY_BRIDGE = pd.DataFrame(
    {
        "month": ["2026-01", "2026-02", "2026-03"],
        "new": [400.0, 200.0, 50.0],
        "new_customers": [4.0, 2.0, 1.0],
        "closing_mrr": [4000.0, 4200.0, 4250.0],
    }
)


@pytest.mark.parametrize(
    ("allocation", "freq", "expected"),
    [
        # 2026-01 is the data's opening month: its new customers and new MRR are not flows
        ("new_customers", "M", {"2026-01": math.nan, "2026-02": 0 / 2, "2026-03": 1 / 1}),
        ("new_arr", "M", {"2026-01": math.nan, "2026-02": 0 / 200, "2026-03": 50 / 50}),
        ("arr", "M", {"2026-01": 1000 / 4000, "2026-02": 1000 / 4200, "2026-03": 1050 / 4250}),
        ("new_customers", "Q", {"2026Q1": math.nan}),  # a quarter's flows need all three months
        ("arr", "Q", {"2026Q1": 1050 / 4250}),  # ARR at the quarter's end
    ],
)
def test_allocation_shares_by_hand(allocation, freq, expected):
    shares = mue.allocation_shares(SEGMENT_BRIDGE, COMPANY_BRIDGE, freq, allocation, opening_month="2026-01")
    assert list(shares.index) == list(expected)
    for period, share in expected.items():
        assert shares[period] == pytest.approx(share, nan_ok=True), period


def test_allocation_shares_none_without_a_basis_and_blank_where_the_company_had_none():
    assert mue.allocation_shares(SEGMENT_BRIDGE, COMPANY_BRIDGE, "M", "none") is None
    empty = COMPANY_BRIDGE.assign(new_customers=[4.0, 0.0, 1.0])
    shares = mue.allocation_shares(SEGMENT_BRIDGE, empty, "M", "new_customers")
    assert math.isnan(shares["2026-02"])  # 0 of 0 new customers: no share, never 0 or inf


def _mrr(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["customer_id", "month", "mrr"])
    return frame.assign(
        customer_id=frame["customer_id"].astype("string"), month=pd.PeriodIndex(frame["month"], freq="M")
    )


def test_a_customer_moving_into_a_segment_is_not_one_of_its_acquisitions():
    # A pays 100 a month from January, in SMB until March and in Enterprise from April; B is
    # new in Enterprise in May at 50. The company acquired B alone; the Enterprise rows'
    # own bridge has A new in April (100, 1 customer) and B new in May (50, 1 customer).
    rows = [("A", m, 100.0) for m in ("2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06")]
    rows += [("B", "2025-05", 50.0), ("B", "2025-06", 50.0)]
    company = movements(_mrr(rows))
    enterprise = _mrr([r for r in rows if r[0] == "B" or r[1] >= "2025-04"])
    acquired = mue.acquisitions_on_rows(company, enterprise)
    assert list(zip(acquired["customer_id"], acquired["month"].astype(str), acquired["amount"], strict=True)) == [
        ("B", "2025-05", 50.0)
    ]
    own = mrr_bridge(movements(enterprise, months=(pd.Period("2025-01", "M"), pd.Period("2025-06", "M"))))
    assert list(own["new"]) == [0.0, 0.0, 0.0, 100.0, 50.0, 0.0]  # A counted new in April
    basis = mue.acquired_bridge(own, acquired)
    assert list(basis["new"]) == [0.0, 0.0, 0.0, 0.0, 50.0, 0.0]
    assert list(basis["new_customers"]) == [0, 0, 0, 0, 1, 0]
    assert list(basis["closing_mrr"]) == list(own["closing_mrr"])  # ARR stays its own
    # a quarter Apr-Jun: 1 new customer, new ARR 12 x 50 = 600; ARR its own 12 x 150 = 1,800
    q2 = mue.acquired_values(acquired, Window(pd.Period("2025-06", "M"), 3), {"arr": 1800.0, "new_arr": 1800.0})
    assert q2 == {"new_customers": 1.0, "new_arr": 600.0, "arr": 1800.0}
    # a period before the data stays blank, never 0
    early = mue.acquired_values(acquired, Window(pd.Period("2025-02", "M"), 3), {"new_arr": Blank("before the data")})
    assert isinstance(early["new_arr"], Blank)


#: One month of a segment's series on the company's financials: company revenue 1,000, COGS 250,
#: S&M 300, burn 500; the segment's own 1 new customer, 600 new and net new ARR, ASP 50.
SERIES_ROW = {
    "period": "2026-03",
    "revenue": 1000.0,
    "cogs": 250.0,
    "gross_margin": 0.75,
    "gross_margin_ttm": 0.7,
    "sm_spend": 300.0,
    "new_customers": 1.0,
    "cac": 300.0,
    "new_arr": 600.0,
    "net_new_arr": 600.0,
    "magic_number": 600 / 300,
    "asp": 50.0,
    "cac_payback_months": 300 / (50 * 0.7),
    "burn": 500.0,
    "burn_multiple": 500 / 600,
    "ebitda_margin": -0.2,
}


def test_segment_series_allocates_company_money_and_recomputes_its_ratios():
    out = mue.segment_unit_economics_series(pd.DataFrame([SERIES_ROW]), pd.Series({"2026-03": 0.25})).iloc[0]
    # a quarter of the company's money is the segment's
    assert (out["revenue"], out["cogs"], out["sm_spend"], out["burn"]) == pytest.approx((250, 62.5, 75, 125))
    # the ratios as if computed from the allocated money
    assert out["cac"] == pytest.approx(75 / 1)
    assert out["magic_number"] == pytest.approx(600 / 75)
    assert out["cac_payback_months"] == pytest.approx(75 / (50 * 0.7))
    assert out["burn_multiple"] == pytest.approx(125 / 600)
    # revenue and COGS allocated alike: the margins stay; the EBITDA margin is the company's alone
    assert (out["gross_margin"], out["gross_margin_ttm"]) == pytest.approx((0.75, 0.7))
    assert math.isnan(out["ebitda_margin"])
    # the segment's own figures are untouched
    assert (out["new_customers"], out["new_arr"], out["net_new_arr"], out["asp"]) == (1.0, 600.0, 600.0, 50.0)


@pytest.mark.parametrize("shares", [None, pd.Series({"2026-03": math.nan}), pd.Series({"2026-02": 0.5})])
def test_segment_series_without_an_allocation_shows_no_company_money(shares):
    out = mue.segment_unit_economics_series(pd.DataFrame([SERIES_ROW]), shares).iloc[0]
    company = ["revenue", "cogs", "gross_margin", "gross_margin_ttm", "sm_spend", "cac", "magic_number"]
    company += ["cac_payback_months", "burn", "burn_multiple", "ebitda_margin"]
    assert all(math.isnan(out[c]) for c in company), out
    assert (out["new_customers"], out["new_arr"], out["net_new_arr"], out["asp"]) == (1.0, 600.0, 600.0, 50.0)
