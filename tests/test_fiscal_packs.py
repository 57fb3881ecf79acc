"""A fiscal-year company's pack names, and stops at, the period its KPIs report.

The story: febco's fiscal year starts in February (FY2026 = Feb 2025 - Jan 2026; its
quarters end Apr, Jul, Oct and Jan). The board asks for the quarter ``--as-of 2026-03``:
the last fiscal quarter end on or before March is January, so the pack reports
Nov 2025 - Jan 2026, FY2026 Q4, as of 31 January 2026. Everything after 31 January
(February's and March's customers, leads and targets) belongs to a later pack.

Customers (mrr.csv, 2025-01 .. 2026-03):

- A: 100 every month;
- B: new in 2026-01 at 50 (inside the reported quarter);
- C: new in 2026-03 at 40 (after the quarter's end).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from inputs_helpers import make

import reportlib.pack as pack
from reportlib.deck import report
from reportlib.deck._charts._drawing import period_labels
from reportlib.kpis import KpiResult, compute_kpis, write_kpis

MONTHS = [str(p) for p in pd.period_range("2025-01", "2026-03", freq="M")]


def febco(tmp_path: Path, name: str = "febco", fiscal_start: int = 2) -> Path:
    """The company of the module's story, its fiscal year starting in ``fiscal_start``."""
    rows = [("A", m, 100.0) for m in MONTHS]
    rows += [("B", m, 50.0) for m in MONTHS if m >= "2026-01"]
    rows += [("C", "2026-03", 40.0)]
    mrr = pd.DataFrame(rows, columns=["customer_id", "month", "mrr"]).to_csv(index=False)
    # one lead a month from Nov 2025 to Mar 2026, each a signup in its own month
    leads = "lead_id,created_at,signup_at\n" + "".join(f"L{i},{m}-10,{m}-20\n" for i, m in enumerate(MONTHS[-5:]))
    # targets: January's new ARR (inside the quarter) and calendar Q1 2026's (Jan-Mar)
    targets = "period,metric,target\n2026-01,new_arr,500\n2026Q1,new_arr,1800\n"
    # a P&L of 100 revenue, 20 COGS and 30 S&M every month
    financials = "month,revenue,cogs,sales_marketing\n" + "".join(f"{m},100,20,30\n" for m in MONTHS)
    toml = (
        f"\n[policies]\nfiscal_year_start_month = {fiscal_start}\n\n"
        '[inputs.mrr]\npath = "mrr.csv"\n\n[inputs.targets]\npath = "targets.csv"\n\n'
        '[inputs.leads]\npath = "leads.csv"\n\n[inputs.financials]\npath = "financials.csv"\n'
    )
    files = {"mrr.csv": mrr, "leads.csv": leads, "targets.csv": targets, "financials.csv": financials}
    return make(tmp_path, toml, files, name)


@pytest.fixture(scope="module")
def fiscal(tmp_path_factory) -> KpiResult:
    return compute_kpis(febco(tmp_path_factory.mktemp("fiscal")), as_of="2026-03")


def test_the_deck_names_the_fiscal_quarter_it_reports(fiscal):
    # Nov 2025 - Jan 2026 is the fourth quarter of FY2026 (Feb 2025 - Jan 2026); before, the
    # deck read the bare months, 'Nov 2025 – Jan 2026', beside the appendix's 'FY2026 Q4'
    assert str(fiscal.window.first) == "2025-11" and str(fiscal.window.as_of) == "2026-01"
    assert report.period_label(fiscal) == "FY2026 Q4"
    # the ARR bridge: 12 x 100 = 1,200 in October -> 12 x (100 + 50) = 1,800 in January
    assert report.arr_bridge_title(fiscal) == "ARR €1.2k → €1.8k in FY2026 Q4: +€600 new"


def test_a_year_pack_names_the_fiscal_year(tmp_path):
    # as of 2026-03, the last fiscal year end is Jan 2026: FY2026 (Feb 2025 - Jan 2026),
    # not 'Feb 2025 – Jan 2026'
    result = compute_kpis(febco(tmp_path), as_of="2026-03", window="year")
    assert report.period_label(result) == "FY2026"


def test_a_snapped_pack_is_as_of_the_last_day_of_its_period(fiscal, tmp_path):
    # before: 31 March, two months after the reported quarter's end
    assert fiscal.as_of_date == pd.Timestamp("2026-01-31")
    # a calendar company (policy 1) rolls: Jan-Mar 2026 = Q1 2026, as of 31 March, as before
    calendar = compute_kpis(febco(tmp_path, "calco", fiscal_start=1), as_of="2026-03")
    assert report.period_label(calendar) == "Q1 2026"
    assert calendar.as_of_date == pd.Timestamp("2026-03-31")


def test_pacing_paces_the_targets_of_the_reported_period_at_its_end(fiscal):
    # at 31 Jan: January's target has ended (attainment: B's 12 x 50 = 600 of 500); calendar
    # Q1's has run 31 of 90 days with the same 600. Before, pacing ran at 31 March: January
    # was left out and Q1 counted March's C too (600 + 12 x 40 = 1,080)
    pacing = fiscal.tables["pipeline_pacing"].set_index("period")
    assert sorted(pacing.index) == ["2026-01", "2026Q1"]
    assert pacing.loc["2026-01", "actual"] == pytest.approx(600.0)
    assert pacing.loc["2026Q1", "actual"] == pytest.approx(600.0)
    assert report.pacing_title(fiscal).startswith("Jan 2026 and Q1 2026 targets at 31 Jan")


def test_funnel_cohorts_stop_at_the_periods_end(fiscal):
    # leads of Nov, Dec and Jan only: February's and March's were created after 31 January
    cohorts = fiscal.tables["funnel_cohorts"]
    assert sorted(cohorts["cohort"].astype(str).unique()) == ["2025-11", "2025-12", "2026-01"]


def test_the_page_footer_names_the_window_the_kpis_report(fiscal, tmp_path, monkeypatch):
    # the footer read period_label('2026-03', 'quarter') = 'Q1 2026' (calendar Jan-Mar)
    # while every page reported Nov-Jan, FY2026 Q4
    footers: list[str] = []
    printing = SimpleNamespace(assemble_pdf=lambda pdfs, path, **kw: footers.append(kw["period"]) or 9)
    monkeypatch.setattr(pack, "_printing", lambda: printing)
    run = SimpleNamespace(
        request=SimpleNamespace(segment=None, theme=SimpleNamespace(logo_data_uri=lambda: None), sections=[]),
        parameters={"as_of": "2026-03", "window": "quarter"},
        company=fiscal.company,
        staging=tmp_path,
        pdfs=[],
        browser=None,
        result=fiscal,
    )
    assert pack._assemble(run) == 9
    assert footers == ["FY2026 Q4"]


def test_quarterly_tables_group_by_fiscal_quarters_and_calendar_ones_stay(fiscal, tmp_path):
    # the grid runs Jan 2025 - Jan 2026. Fiscal quarters (Feb start): Jan 2025 closes FY2025 Q4
    # (the opening quarter: closing MRR only), then FY2026 Q1 Feb-Apr .. Q4 Nov-Jan. FY2026 Q4
    # opens at October's 100, adds B's 50, closes at 150; ASP 50 / 1 new = 50, ARPA 150 / 2 = 75.
    # Before: calendar quarters 2025Q1 .. 2026Q1, the reported Nov-Jan split across two bars
    write_kpis(fiscal, tmp_path)
    drivers = pd.read_csv(tmp_path / "tables" / "mrr_drivers.csv").set_index("period")
    assert list(drivers.index) == ["FY2025 Q4", "FY2026 Q1", "FY2026 Q2", "FY2026 Q3", "FY2026 Q4"]
    assert drivers.loc["FY2026 Q4", ["opening_mrr", "new", "closing_mrr"]].tolist() == [100.0, 50.0, 150.0]
    arpa = pd.read_csv(tmp_path / "tables" / "arpa_drivers.csv").set_index("period")
    assert arpa.loc["FY2026 Q4", ["asp", "arpa"]].tolist() == [50.0, 75.0]
    # B, new in Jan 2026, is the FY2026 Q4 cohort (before: '2026Q1'); A is the opening cohort
    cohorts = pd.read_csv(tmp_path / "tables" / "cohorts_logo_quarterly.csv")
    assert sorted(cohorts["cohort"].unique()) == ["<=2025-01", "FY2026 Q4"]
    # unit economics' quarter rows: the whole fiscal quarters (FY2025 Q4 has only January
    # 2025: left out); FY2026 Q4 = 3 x 100 revenue, 3 x 30 S&M over 1 new customer: CAC 90
    economics = pd.read_csv(tmp_path / "tables" / "unit_economics.csv")
    quarters = economics[economics["freq"] == "quarter"].set_index("period")
    assert list(quarters.index) == ["FY2026 Q1", "FY2026 Q2", "FY2026 Q3", "FY2026 Q4"]
    assert quarters.loc["FY2026 Q4", ["revenue", "sm_spend", "cac", "new_arr"]].tolist() == [300.0, 90.0, 90.0, 600.0]
    # the chart 'MRR drivers and quick ratio by quarter' ticks its bars the same way, short
    ticks = period_labels(fiscal.tables["mrr_drivers"]["period"], fiscal.window.as_of)
    assert ticks == ["FY25 Q4", "FY26 Q1", "FY26 Q2", "FY26 Q3", "FY26 Q4"]
    # a calendar company (policy 1) as of 2026-03 keeps calendar quarters 2025Q1 .. 2026Q1;
    # its Q1 2026 holds B's 50 (Jan) and C's 40 (Mar): 100 -> 190
    calendar = compute_kpis(febco(tmp_path, "calco", fiscal_start=1), as_of="2026-03")
    write_kpis(calendar, tmp_path / "calco-out")
    drivers = pd.read_csv(tmp_path / "calco-out" / "tables" / "mrr_drivers.csv").set_index("period")
    assert list(drivers.index) == ["2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1"]
    assert drivers.loc["2026Q1", ["opening_mrr", "new", "closing_mrr"]].tolist() == [100.0, 90.0, 190.0]
    assert period_labels(calendar.tables["mrr_drivers"]["period"])[-1] == "Q1 26"
