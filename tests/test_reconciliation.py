"""Reconciliation between sources, by hand: billing vs P&L, CRM vs bookings, reported."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from reportlib.cli import main
from reportlib.inputs import load_company
from reportlib.kpis import compute_kpis, write_kpis
from reportlib.kpis.builder import reconciliation_warnings
from reportlib.kpis.reconciliation import (
    RECONCILIATION_COLUMNS,
    gaps,
    report_window,
    scale_hint,
    stack_reconciliation,
    warned_gaps,
)
from reportlib.params import period_label


def company(folder: Path) -> Path:
    """K1: X, 2026-01-01..2026-12-31, TCV 12,000 (1,000 a month), signed 2025-12-15.
    K2: Y, open-ended from 2026-04-01 at 500 a month, signed 2026-03-20 (books 12 x 500).
    K3: Z, open-ended from 2026-07-01 at 200 a month, signed 2026-06-10 (books 12 x 200).
    P&L revenue 2026-01..06: 1,000 x 3, 1,500, 1,800 (a 300 gap), 1,500.
    CRM: won 12,000 closed 2025-12-10, won 5,000 closed 2026-03-18, lost 9,999 in 2026-02,
    won 1,000 closed 2026-05-02."""
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        [
            ("K1", "X", "2026-01-01", "2026-12-31", "2025-12-15", 12000.0, None, "contracted_recurring", "monthly"),
            ("K2", "Y", "2026-04-01", None, "2026-03-20", None, 500.0, "contracted_recurring", "monthly"),
            ("K3", "Z", "2026-07-01", None, "2026-06-10", None, 200.0, "contracted_recurring", "monthly"),
        ],
        columns=[
            "contract_id",
            "customer_id",
            "start_date",
            "end_date",
            "signed_date",
            "tcv",
            "mrr",
            "revenue_type",
            "billing",
        ],
    ).to_csv(folder / "contracts.csv", index=False)
    pd.DataFrame(
        {
            "month": [str(p) for p in pd.period_range("2026-01", "2026-06", freq="M")],
            "revenue": [1000.0, 1000.0, 1000.0, 1500.0, 1800.0, 1500.0],
            "cogs": 100.0,
            "sales_marketing": 50.0,
        }
    ).to_csv(folder / "pnl.csv", index=False)
    pd.DataFrame(
        [
            ("O1", "2025-10-01", 12000.0, "Closed Won", "2025-12-10", "won"),
            ("O2", "2026-01-05", 5000.0, "Closed Won", "2026-03-18", "won"),
            ("O3", "2026-01-05", 9999.0, "Closed Lost", "2026-02-11", "lost"),
            ("O4", "2026-02-01", 1000.0, "Closed Won", "2026-05-02", "won"),
        ],
        columns=["opportunity_id", "created_at", "amount", "stage", "closed_at", "outcome"],
    ).to_csv(folder / "opps.csv", index=False)
    reported = [
        ("arr", "2026-06", 19000.0),
        ("mrr", "2026Q2", 1500.0),
        ("nrr", "H1 2026", 1.0),
        ("bogus", "2026-06", 1.0),
    ]
    return _with_reported(
        folder,
        reported,
        '[company]\nname = "Recon"\ncurrency = "EUR"\n'
        '[inputs.contracts]\npath = "contracts.csv"\n[inputs.financials]\npath = "pnl.csv"\n'
        '[inputs.opportunities]\npath = "opps.csv"\n',
    )


def _with_reported(folder: Path, reported: list[tuple[str, str, float]], config: str) -> Path:
    """``folder`` with reported.csv of ``reported`` (kpi, period, value) and company.toml of
    ``config`` and the reported input."""
    pd.DataFrame(reported, columns=["kpi", "period", "value"]).to_csv(folder / "reported.csv", index=False)
    (folder / "company.toml").write_text(config + '[inputs.reported]\npath = "reported.csv"\n', encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return company(tmp_path_factory.mktemp("recon") / "recon")


def test_reconciliation_by_hand(folder, tmp_path):
    result = compute_kpis(folder, as_of="2026-06")
    table = result.tables["reconciliation"]
    assert list(table.columns) == RECONCILIATION_COLUMNS
    rows = {
        (r.source_a, r.source_b, r.period, r.kpi): (r.value_a, r.value_b, r.difference, r.relative)
        for r in table.itertuples()
    }
    # Billing: 1,000 a month from K1; + 500 from K2 from April. P&L only from 2026-01.
    for month, pnl in [
        ("2026-01", 1000.0),
        ("2026-02", 1000.0),
        ("2026-03", 1000.0),
        ("2026-04", 1500.0),
        ("2026-06", 1500.0),
    ]:
        billing = 1000.0 if month < "2026-04" else 1500.0
        assert rows[("contracts", "financials", month, "revenue")] == (billing, pnl, 0.0, 0.0)
    assert rows[("contracts", "financials", "2026-05", "revenue")] == pytest.approx(
        (1500.0, 1800.0, -300.0, -300.0 / 1800.0)
    )
    # CRM won by quarter closed vs bookings by quarter signed (K1 12,000 in 2025-12; K2 12 x 500
    # = 6,000 in 2026-03; K3 2,400 in 2026-06): Q4 12,000 vs 12,000; Q1 5,000 vs 6,000;
    # Q2 1,000 vs 2,400.
    assert rows[("opportunities", "contracts", "2025Q4", "bookings")] == (12000.0, 12000.0, 0.0, 0.0)
    assert rows[("opportunities", "contracts", "2026Q1", "bookings")] == pytest.approx(
        (5000.0, 6000.0, -1000.0, -1000.0 / 6000.0)
    )
    assert rows[("opportunities", "contracts", "2026Q2", "bookings")] == pytest.approx(
        (1000.0, 2400.0, -1400.0, -1400.0 / 2400.0)
    )
    # Reported: ARR at 2026-06 = 12 x (1,000 + 500) = 18,000 (K3 starts after M); MRR at the end of 2026Q2 = 1,500.
    assert rows[("reported", "recomputed", "2026-06", "arr")] == pytest.approx((19000.0, 18000.0, 1000.0, 1 / 18))
    assert rows[("reported", "recomputed", "2026Q2", "mrr")] == (1500.0, 1500.0, 0.0, 0.0)
    for key in (("reported", "recomputed", "H1 2026", "nrr"), ("reported", "recomputed", "2026-06", "bogus")):
        assert math.isnan(rows[key][1])
    assert len(table) == 6 + 3 + 4
    # written at the top of the pack folder too
    out = write_kpis(result, tmp_path / "pack")
    assert pd.read_csv(out / "reconciliation.csv").shape == (13, 8)
    assert (out / "sensitivity.csv").is_file()


def test_validate_warns_on_gaps_above_ten_percent(folder, capsys):
    messages = [p.message for p in reconciliation_warnings(load_company(folder), "2026-06")]
    # ARR 5.6% off is under 10%; CRM vs bookings gaps are shown on the page, not warned
    assert len(messages) == 3
    assert messages[0].startswith("contracts and financials disagree on revenue by more than 10% in 1 period")
    assert "2026-05 (1,500.00 vs 1,800.00, -16.7%)" in messages[0]
    assert sorted(messages[1:]) == sorted(
        [
            "reported period 'H1 2026' of nrr is not a month (2026-09), a quarter (2026Q3) or a year (FY2026).",
            "reported KPI 'bogus' is not a KPI id of METRICS.md, so it is not reconciled.",
        ]
    )
    assert main(["validate", str(folder)]) == 0
    assert "disagree on revenue" in capsys.readouterr().out


def test_sources_that_agree_have_no_gap():
    # billing 1,000 / 1,200 / 900 against P&L 1,000 / 1,200 / 880: relative 0%, 0%, +2.3%,
    # all under 5% (the page's first rows) and 10% (validate's warning): no gap at all, where
    # three blank rows came back before (a Series assigned to an empty pick keeps its index)
    agree = pd.DataFrame(
        dict(
            source_a="contracts",
            source_b="financials",
            period=["2026-01", "2026-02", "2026-03"],
            kpi="revenue",
            value_a=[1000.0, 1200.0, 900.0],
            value_b=[1000.0, 1200.0, 880.0],
            difference=[0.0, 0.0, 20.0],
            relative=[0.0, 0.0, 20.0 / 880.0],
        )
    )
    assert gaps(agree).empty
    assert warned_gaps(agree).empty
    # March billed 1,056 against 880 (+176, +20%): that month alone, with its figures
    off = agree.assign(value_a=[1000.0, 1200.0, 1056.0], difference=[0.0, 0.0, 176.0], relative=[0.0, 0.0, 0.2])
    assert warned_gaps(off)[["period", "value_a", "relative"]].values.tolist() == [["2026-03", 1056.0, 0.2]]


@pytest.mark.parametrize(
    "period, as_of, months",
    [("2026-09", "2026-09", 1), ("2026Q3", "2026-09", 3), ("2026-q1", "2026-03", 3), ("FY2026", "2026-12", 12)],
)
def test_report_window(period, as_of, months):
    window = report_window(period)
    assert (str(window.as_of), window.months) == (as_of, months)
    assert report_window("H1 2026") is None


@pytest.mark.parametrize(
    "period, as_of, months",
    [
        ("FY2026", "2026-03", 12),  # April 2025 - March 2026, not the calendar year 2026
        ("fy 2026", "2026-03", 12),
        ("FY2027Q1", "2026-06", 3),  # April - June 2026
        ("FY2027 Q1", "2026-06", 3),  # as period_label writes it
        ("FY2026Q4", "2026-03", 3),
        ("2026Q1", "2026-03", 3),  # a calendar quarter, as --as-of 2026Q1 reads it
        ("2026-05", "2026-05", 1),
    ],
)
def test_report_window_of_a_fiscal_year_starting_in_april(period, as_of, months):
    window = report_window(period, fiscal_start=4)
    assert (str(window.as_of), window.months) == (as_of, months)
    assert window.label == period_label(as_of, months, 4)  # the product's own name of the period


def fiscal_company(folder: Path) -> Path:
    """A fiscal year from April. One customer, MRR 1,000 from 2024-07 to 2026-03 and 1,500
    from 2026-04 to 2026-12; P&L revenue 1,000 a month 2024-07..2025-12, 2,000 from 2026-01.
    The company reports FY2026 (April 2025 - March 2026) revenue 9 x 1,000 + 3 x 2,000 =
    15,000 and ARR at 2026-03 12 x 1,000 = 12,000; FY2026 Q4 and calendar 2026Q1 (both
    January - March 2026) revenue 3 x 2,000 = 6,000; FY2025 (April 2024 - March 2025)
    revenue 9,000, a year the P&L covers from July only."""
    folder.mkdir(parents=True, exist_ok=True)
    months = pd.period_range("2024-07", "2026-12", freq="M")
    mrr = [1000.0 if m <= pd.Period("2026-03", "M") else 1500.0 for m in months]
    pd.DataFrame({"customer_id": "A", "month": [str(m) for m in months], "mrr": mrr}).to_csv(
        folder / "mrr.csv", index=False
    )
    revenue = [1000.0 if m.year < 2026 else 2000.0 for m in months]
    pd.DataFrame(
        {"month": [str(m) for m in months], "revenue": revenue, "cogs": 100.0, "sales_marketing": 50.0}
    ).to_csv(folder / "pnl.csv", index=False)
    reported = [
        ("revenue", "FY2026", 15000.0),
        ("arr", "FY2026", 12000.0),
        ("revenue", "FY2026Q4", 6000.0),
        ("revenue", "2026Q1", 6000.0),
        ("revenue", "FY2025", 9000.0),
    ]
    return _with_reported(
        folder,
        reported,
        '[company]\nname = "Fiscal"\ncurrency = "EUR"\n[policies]\nfiscal_year_start_month = 4\n'
        '[inputs.mrr]\npath = "mrr.csv"\n[inputs.financials]\npath = "pnl.csv"\n',
    )


def test_reported_fiscal_years_are_recomputed_over_the_fiscal_year(tmp_path):
    # Read as the calendar year 2026, FY2026 revenue was 12 x 2,000 = 24,000 (a false -37.5%)
    # and ARR at 2026-12 12 x 1,500 = 18,000 (a false -33%): the fiscal year agrees exactly
    table = compute_kpis(fiscal_company(tmp_path / "fiscal"), as_of="2026-12").tables["reconciliation"]
    reported = table[table["source_a"] == "reported"].set_index(["period", "kpi"])
    for period, kpi, value in [
        ("FY2026", "revenue", 15000.0),
        ("FY2026", "arr", 12000.0),
        ("FY2026Q4", "revenue", 6000.0),
        ("2026Q1", "revenue", 6000.0),
    ]:
        assert tuple(reported.loc[(period, kpi), ["value_b", "difference"]]) == (value, 0.0)
    # FY2025 starts in April 2024, before the P&L (July): no recomputed value, and no
    # difference either (a 0 would read as "the sources agree")
    assert reported.loc[("FY2025", "revenue"), ["value_b", "difference", "relative"]].isna().all()


def test_a_missing_value_is_no_agreement():
    # reported 9,000 against nothing recomputed: the difference is unknown, not 0
    rows = pd.DataFrame(
        [("reported", "recomputed", "FY2025", "revenue", 9000.0, float("nan"))], columns=RECONCILIATION_COLUMNS[:6]
    )
    out = stack_reconciliation(rows)
    assert math.isnan(out.loc[0, "difference"]) and math.isnan(out.loc[0, "relative"])


def test_segment_pack_never_reconciles_segment_revenue_with_the_company_pnl(tmp_path):
    """Contracts and opportunities carry a segment (K1, K2, O1-O4 in A; K3 in B); the P&L and
    the reported figures are company-wide, so the A pack compares only its own CRM with its
    own bookings: Q4 12,000 vs 12,000 (K1); Q1 won 5,000 vs 6,000 (K2, 12 x 500); Q2 won
    1,000 (O4) vs 0 (K3 is B)."""
    folder = company(tmp_path / "recon")
    for name, segments in (("contracts.csv", ["A", "A", "B"]), ("opps.csv", ["A"] * 4)):
        frame = pd.read_csv(folder / name)
        frame.assign(segment=segments).to_csv(folder / name, index=False)
    toml = folder / "company.toml"
    text = toml.read_text().replace('path = "contracts.csv"\n', 'path = "contracts.csv"\ndimensions = ["segment"]\n')
    toml.write_text(text.replace('path = "opps.csv"\n', 'path = "opps.csv"\ndimensions = ["segment"]\n'))
    result = compute_kpis(folder, as_of="2026-06", segment=("segment", "A"))
    table = result.tables["reconciliation"]
    assert set(zip(table["source_a"], table["source_b"], strict=True)) == {("opportunities", "contracts")}
    rows = {r.period: (r.value_a, r.value_b) for r in table.itertuples()}
    assert rows == {"2025Q4": (12000.0, 12000.0), "2026Q1": (5000.0, 6000.0), "2026Q2": (1000.0, 0.0)}
    # the pack says so in plain words (the appendix prints the run's notes)
    assert (
        "Revenue is not reconciled with the P&L for A: the P&L covers the whole company, "
        "so the segment's revenue is only a part of it." in result.notes
    )


@pytest.mark.parametrize(
    "billing, pnl, said",
    [
        # 12,000 / 1,000 = 12, 12,600 / 1,000 = 12.6, 11,400 / 1,000 = 11.4: median 12
        ([12000.0, 12600.0, 11400.0], [1000.0] * 3, "Billing is 12x the P&L in 3 of 3 months"),
        # 4,900 / 49 = 100 twice, 5,000 / 50 = 100: cents
        ([4900.0, 4900.0, 5000.0], [49.0, 49.0, 50.0], "billing amounts in cents read as units"),
        # 46,200 / 46.2 = 1,000: a P&L exported in thousands
        ([46200.0, 46850.0, 47000.0], [46.2, 46.85, 47.0], 'set amount_unit = "thousands" in [inputs.financials]'),
        # 462 / 46,200 = 1/100: a P&L in cents
        ([462.0, 468.5, 470.0], [46200.0, 46850.0, 47000.0], "Billing is 1/100 of the P&L in 3 of 3 months"),
    ],
)
def test_a_regular_gap_names_the_unit_mistake_behind_it(billing, pnl, said):
    hint = scale_hint(pd.Series(billing), pd.Series(pnl), "contracts")
    assert hint is not None and said in hint


@pytest.mark.parametrize(
    "billing, pnl",
    [
        ([1500.0, 1500.0, 1500.0], [1000.0, 1000.0, 1000.0]),  # 1.5x: a business gap, no unit
        ([12000.0, 1000.0, 1000.0], [1000.0, 1000.0, 1000.0]),  # 12x in 1 month of 3 only (median 1)
        ([12000.0, 12000.0, 1000.0, 1000.0, 1000.0], [1000.0] * 5),  # 12x in 2 of 5: under two thirds
        ([0.0, 0.0, 0.0], [1000.0, 1000.0, 1000.0]),  # no billing yet: nothing to compare
        ([12000.0, 12000.0], [1000.0, 1000.0]),  # two months: too few to call it a unit
    ],
)
def test_an_irregular_or_business_gap_gets_no_unit_hint(billing, pnl):
    assert scale_hint(pd.Series(billing), pd.Series(pnl), "contracts") is None


def test_yearly_payments_are_no_yearly_price_mistake():
    # transactions of annual up-front payments against a P&L that spreads the revenue: a 12x
    # gap in the months paid is cash timing, and transactions have no price to divide
    assert scale_hint(pd.Series([42000.0] * 3), pd.Series([3500.0] * 3), "transactions") is None
    assert "cents" in scale_hint(pd.Series([350000.0] * 3), pd.Series([3500.0] * 3), "transactions")


def test_yearly_prices_typed_as_mrr_are_named_against_the_pnl(tmp_path):
    # Every contract billed annually, each with its yearly price typed in mrr: A 12,000 a
    # year (1,000 a month), B 6,000 (500 a month), both open-ended from 2026-01. No monthly
    # contract to compare with, so only the P&L can tell: it books 1,500 a month, billing
    # says 18,000 a month, 12x in each of the 6 months.
    folder = tmp_path / "annual"
    folder.mkdir()
    (folder / "contracts.csv").write_text(
        "contract_id,customer_id,start_date,mrr,revenue_type,billing\n"
        "K1,A,2026-01-01,12000,contracted_recurring,annual\n"
        "K2,B,2026-01-01,6000,contracted_recurring,annual\n",
        encoding="utf-8",
    )
    pd.DataFrame(
        {"month": [f"2026-0{m}" for m in range(1, 7)], "revenue": 1500.0, "cogs": 300.0, "sales_marketing": 400.0}
    ).to_csv(folder / "pnl.csv", index=False)
    (folder / "company.toml").write_text(
        '[company]\nname = "Annual"\ncurrency = "EUR"\n'
        '[inputs.contracts]\npath = "contracts.csv"\n[inputs.financials]\npath = "pnl.csv"\n',
        encoding="utf-8",
    )
    (message,) = [p.message for p in reconciliation_warnings(load_company(folder), "2026-06")]
    assert "2026-01 (18,000.00 vs 1,500.00, +1100.0%)" in message
    assert message.endswith(
        "Billing is 12x the P&L in 6 of 6 months: that looks like yearly prices counted as monthly; in "
        "[inputs.contracts], divide a yearly price by 12 (compute) or map a contract's whole value to tcv."
    )


def test_sources_that_agree_have_no_warned_gaps():
    # billing and P&L revenue agree to the cent in three months (relative 0.0), and CRM
    # amounts are 60% under bookings in one quarter, which differs by definition (never
    # warned): no period is warned of, so the appendix title may say "all agree"
    table = pd.DataFrame(
        {
            "source_a": ["contracts"] * 3 + ["opportunities"],
            "source_b": ["financials"] * 3 + ["contracts"],
            "period": ["2026-08", "2026-09", "2026-10", "2026Q3"],
            "kpi": ["revenue"] * 3 + ["bookings"],
            "value_a": [100.0, 120.0, 130.0, 40.0],
            "value_b": [100.0, 120.0, 130.0, 100.0],
            "difference": [0.0, 0.0, 0.0, -60.0],
            "relative": [0.0, 0.0, 0.0, -0.6],
        }
    )
    assert warned_gaps(table).empty
    # one month 20% off (120 vs 100) is the one warned row, with its figures intact
    table.loc[1, ["value_a", "difference", "relative"]] = [144.0, 24.0, 0.2]
    warned = warned_gaps(table)
    assert warned[["period", "value_a", "relative"]].values.tolist() == [["2026-09", 144.0, 0.2]]


def test_crm_amounts_in_cents_are_warned_against_the_bookings(tmp_path):
    # The company() story with the CRM exported in cents: won 1,200,000 (2025Q4), 500,000
    # (2026Q1) and 100,000 (2026Q2) against bookings of 12,000, 6,000 and 2,400: 100x, 83x and
    # 42x, median 83x, in 3 of 3 quarters. Won deals are bookings, so this is a unit, not ACV vs
    # TCV; before, validate said nothing and pipeline and deal size came out 100x too large.
    folder = company(tmp_path / "cents")
    opps = pd.read_csv(folder / "opps.csv")
    opps["amount"] = opps["amount"] * 100
    opps.to_csv(folder / "opps.csv", index=False)
    messages = [p.message for p in reconciliation_warnings(load_company(folder), "2026-06")]
    assert (
        "Won opportunities add up to 83x the contract bookings (median) in 3 of 3 quarters: 2025Q4 "
        "(1,200,000.00 vs 12,000.00), 2026Q1 (500,000.00 vs 6,000.00), 2026Q2 (100,000.00 vs 2,400.00). "
        "Won deals are bookings, so the CRM amounts look like cents read as units: set amount_unit = "
        '"cents" in [inputs.opportunities] if they are (pipeline and deal size would be 100 times too large).'
    ) in messages
