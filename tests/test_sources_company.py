"""The crm, P&L, analytics and NPS sources end to end: each fixture folder's company.toml
through ``load_company`` and ``compute_kpis`` gives the figures computed by hand in the
adapters' own tests (test_sources_pnl.py, test_sources_crm.py, test_sources_analytics.py)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from reportlib.exceptions import InputError
from reportlib.inputs import load_company
from reportlib.kpis.builder import compute_kpis
from reportlib.metrics import Window, nps_kpis

FIX = Path(__file__).resolve().parent / "fixtures" / "sources"
MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]


def kpis(folder: Path | str, as_of: str, window: str = "quarter") -> dict[str, float]:
    result = compute_kpis(folder, as_of=as_of, window=window)
    return result.kpis.set_index("kpi")["value"].dropna().to_dict()


def copy(name: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIX / name, tmp_path / name))


# ---------------------------------------------------------------- P&L reports


QBO = {  # by hand in tests/fixtures/sources/quickbooks_pnl/README.md (and test_sources_pnl.py)
    "revenue": [46200, 46850, 52000, 51650, 54800, 58500],
    "cogs": [10000, 10200, 10700, 10900, 11400, 11700],
    "sales_marketing": [24500, 28300, 26200, 25900, 32900, 29100],
    "research_development": [23800, 23800, 24900, 24900, 26000, 26100],
    "general_admin": [6100, 4550, 7200, 5850, 4600, 7750],
}
XERO = {
    "revenue": [32500, 31500, 36000, 35500, 35500, 39000],
    "cogs": [4500, 4600, 4900, 5000, 5200, 5400],
    "sales_marketing": [14900, 15300, 16100, 15000, 17050, 17800],
    "research_development": [21000, 21000, 22000, 22000, 23000, 23000],
    "general_admin": [3350, 2555, 3760, 2555, 3060, 2565],
}


@pytest.mark.parametrize(
    "name, file, lines",
    [
        ("quickbooks_pnl", "ProfitAndLoss_by_Month.csv", QBO),
        ("quickbooks_pnl", "ProfitAndLoss_by_Month.xlsx", QBO),  # totals are formulas without values
        ("xero_pnl", "Brightwave_Software_Ltd_-_Profit_and_Loss.csv", XERO),
        ("xero_pnl", "Brightwave_Software_Ltd_-_Profit_and_Loss.xlsx", XERO),
    ],
    ids=["qbo-csv", "qbo-xlsx", "xero-csv", "xero-xlsx"],
)
def test_pnl_source_gives_the_financials_per_month(name, file, lines, tmp_path):
    folder = copy(name, tmp_path)
    toml = folder / "company.toml"
    toml.write_text(toml.read_text().replace(toml.read_text().split('path = "')[1].split('"')[0], file))
    fin = load_company(folder).frames["financials"]
    assert fin["month"].astype(str).tolist() == MONTHS
    for line, expected in lines.items():
        assert fin[line].tolist() == expected, line


def test_xero_less_and_plus_section_headers_are_the_sections(tmp_path):
    # Xero's older formats head the sections "Less Cost of Sales" and "Less Operating
    # Expenses": the same accounts, so the same figures as the plain headers (XERO above);
    # read as accounts they made cogs empty and every expense "matched by both" revenue.
    folder = copy("xero_pnl", tmp_path)
    csv = folder / "Brightwave_Software_Ltd_-_Profit_and_Loss.csv"
    text = csv.read_text().replace("\nCost of Sales,", "\nLess Cost of Sales,")
    csv.write_text(text.replace("\nOperating Expenses,", "\nLess Operating Expenses,"))
    assert "Less Cost of Sales," in csv.read_text() and "Less Operating Expenses," in csv.read_text()
    fin = load_company(folder).frames["financials"]
    for line, expected in XERO.items():
        assert fin[line].tolist() == expected, line


def test_quickbooks_pnl_kpis_for_the_second_quarter():
    k = kpis(FIX / "quickbooks_pnl", "2026-06")
    # revenue Q2 = 51,650 + 54,800 + 58,500 = 164,950; cogs 10,900 + 11,400 + 11,700 = 34,000
    assert k["revenue"] == 164950
    assert k["gross_margin"] == pytest.approx((164950 - 34000) / 164950)  # 0.793877
    assert k["sm_spend"] == 25900 + 32900 + 29100  # 87,900


def test_xero_pnl_kpis_for_the_second_quarter():
    k = kpis(FIX / "xero_pnl", "2026-06")
    # revenue 35,500 + 35,500 + 39,000 = 110,000; cogs 5,000 + 5,200 + 5,400 = 15,600 -> 94,400 / 110,000
    assert (k["revenue"], k["sm_spend"]) == (110000, 15000 + 17050 + 17800)
    assert k["gross_margin"] == pytest.approx(94400 / 110000)


def test_plain_accounts_layout_without_a_source(tmp_path):
    folder = copy("quickbooks_pnl", tmp_path)
    toml = folder / "company.toml"
    toml.write_text(toml.read_text().replace('source = "quickbooks_pnl"', 'layout = "accounts"'))
    fin = load_company(folder).frames["financials"]
    assert fin["revenue"].tolist() == QBO["revenue"] and fin["sales_marketing"].tolist() == QBO["sales_marketing"]


def test_pnl_account_named_wrongly_is_one_problem_naming_the_accounts(tmp_path):
    folder = copy("quickbooks_pnl", tmp_path)
    toml = folder / "company.toml"
    toml.write_text(toml.read_text().replace('"Commissions"', '"Comissions"'))
    with pytest.raises(InputError) as caught:
        load_company(folder)
    (problem,) = caught.value.problems
    assert "'Comissions'" in problem.message and "'Commissions'" in problem.message
    assert problem.file == "ProfitAndLoss_by_Month.csv" and problem.input == "financials"


# ---------------------------------------------------------------- CRM


@pytest.mark.parametrize(
    "name, path",
    [
        ("hubspot_deals", None),
        ("salesforce_opportunities", None),  # report with its footer lines
        ("salesforce_opportunities", "extract_opportunity_dataloader.csv"),  # Data Loader: IsClosed / IsWon
    ],
    ids=["hubspot", "sf-report", "sf-loader"],
)
def test_crm_deals_win_rate_and_deal_size(name, path, tmp_path):
    folder = copy(name, tmp_path)
    if path:
        toml = folder / "company.toml"
        toml.write_text(toml.read_text().replace("report_opportunities_2026-07-08.csv", path))
    k = kpis(folder, "2026-06")
    # Q2 closed: won #1 24,000, #2 12,000, #4 60,000, #6 9,000; lost #3, #5, #7 -> 4 / 7
    assert k["win_rate"] == pytest.approx(4 / 7)
    assert k["avg_deal_size"] == 105000 / 4  # 26,250
    assert k["pipeline_created"] == 9000 + 6000 + 30000 + 4500
    assert k["sales_cycle_days"] == pytest.approx((98 + 94 + 102 + 69) / 4)
    q1 = kpis(folder, "2026-03")
    # Q1: won #10 15,000, lost #11 -> 0.5
    assert (q1["win_rate"], q1["avg_deal_size"]) == (0.5, 15000)


def test_hubspot_pipeline_and_owner_kept_as_dimensions():
    opps = load_company(FIX / "hubspot_deals").frames["opportunities"]
    assert {"pipeline", "owner"} <= set(opps.columns)
    won = opps[opps["outcome"] == "won"].groupby("owner")["amount"].sum().to_dict()
    assert won == {"Alice Moreau": 24000, "Ben Okafor": 96000}  # Ben 12,000 + 60,000 + 9,000 + 15,000


def test_pipedrive_eur_deal_converted_through_the_company_fx():
    k = kpis(FIX / "pipedrive_deals", "2026-06")
    # deal #6 EUR 10,000 x 0.85 = GBP 8,500: won 24,000 + 12,000 + 60,000 + 8,500 = 104,500 / 4
    assert k["avg_deal_size"] == 26125
    assert k["pipeline_created"] == 8500 + 6000 + 30000 + 4500  # 49,000
    assert k["win_rate"] == pytest.approx(4 / 7)


def test_pipedrive_missing_rate_names_currency_and_month(tmp_path):
    folder = copy("pipedrive_deals", tmp_path)
    fx = folder / "fx.csv"
    fx.write_text("".join(line for line in fx.read_text().splitlines(True) if "2026-04" not in line))
    with pytest.raises(InputError) as caught:
        load_company(folder)
    (problem,) = caught.value.problems
    assert "No exchange rate for EUR in 2026-04" in problem.message and problem.row == 7  # deal #6, line 7


def test_hubspot_contacts_lead_stage_counts():
    result = compute_kpis(FIX / "hubspot_contacts", as_of="2026-03", window="quarter")
    funnel = result.tables["funnel"].set_index("stage")["count"].to_dict()
    # Q1 by the stage dates: created 8, lead 7, MQL 5, customer 1 (README table)
    assert funnel == {"created": 8, "signup": 7, "pql": 5, "customer": 1}
    k = result.kpis.set_index("kpi")["value"]
    assert k["lead_conversion_rate"] == 1 / 8 and k["signup_to_pql"] == pytest.approx(5 / 7)
    q2 = compute_kpis(FIX / "hubspot_contacts", as_of="2026-06", window="quarter")
    # Q2: created 2, lead 2, MQL 2, customer 2 -> lead_conversion_rate 2 / 2
    assert q2.tables["funnel"].set_index("stage")["count"].tolist() == [2, 2, 2, 2]
    assert q2.kpis.set_index("kpi")["value"]["lead_conversion_rate"] == 1.0


# ---------------------------------------------------------------- traffic, usage, NPS


@pytest.mark.parametrize("month, visitors", [("2026-01", 2075), ("2026-02", 2136), ("2026-03", 2570)])
def test_ga4_visitors_per_month(month, visitors):
    # Jan: Organic 1,060 + Direct 640 + Paid 375 = 2,075; Feb 1,056 + 616 + 464; Mar 1,325 + 795 + 450
    assert kpis(FIX / "ga4_traffic", month, "month")["visitors"] == visitors


def test_ga4_visitors_for_the_quarter():
    assert kpis(FIX / "ga4_traffic", "2026-03")["visitors"] == 2075 + 2136 + 2570  # 6,781


@pytest.mark.parametrize(
    "name, mau, dau_mau",
    [
        ("mixpanel_events", (4, 5), (11 / 124, 11 / 140)),  # Feb 11 user-days / 28 / 5 users
        ("amplitude_events", (4, 6), (11 / 124, 1 / 14)),  # the zip's 21 hourly members stacked
    ],
    ids=["mixpanel", "amplitude"],
)
def test_event_exports_mau_and_dau_mau(name, mau, dau_mau):
    for month, users, ratio in zip(("2026-01", "2026-02"), mau, dau_mau, strict=False):
        k = kpis(FIX / name, month, "month")
        assert k["mau"] == users and k["dau_mau"] == pytest.approx(ratio), month


def test_amplitude_zip_members_are_all_read():
    usage = load_company(FIX / "amplitude_events").frames["usage"]
    # 30 events in 21 gzipped members, the anonymous page view left out: Jan 13 + Feb 16
    assert len(usage) == 29


@pytest.mark.parametrize(
    "name, jan, feb, both",
    [
        ("delighted_responses", 100 / 7, 100 / 3, 300 / 13),  # (3-2)/7, (3-1)/6, (6-3)/13 x 100
        ("typeform_responses", 0, 50, 25),  # (2-2)/6, (4-1)/6, (6-3)/12 x 100
    ],
    ids=["delighted", "typeform"],
)
def test_survey_exports_nps(name, jan, feb, both):
    assert kpis(FIX / name, "2026-01", "month")["nps"] == pytest.approx(jan)
    assert kpis(FIX / name, "2026-02", "month")["nps"] == pytest.approx(feb)
    # the quarter to February (Dec-Feb) starts before the first response (January): blank,
    # never the Jan-Feb score read as a quarter's (METRICS.md "Time"); Jan-Feb holds both months
    note = compute_kpis(FIX / name, as_of="2026-02").kpis.set_index("kpi").loc["nps", "note"]
    assert note == "the period starts 2025-12, before the NPS data (it starts 2026-01)"
    responses = load_company(FIX / name).frames["nps"]
    assert nps_kpis(responses, Window(pd.Period("2026-02", "M"), 2))["nps"] == pytest.approx(both)


# ---------------------------------------------------------------- company.toml under a source


def test_join_under_a_source_needs_no_on(tmp_path):
    folder = copy("chargebee_subscriptions", tmp_path)
    toml = folder / "company.toml"
    toml.write_text(
        toml.read_text().replace('left_on = "subscriptions.id"\n', "").replace('right_on = "Subscription Id"\n', "")
    )
    plain = load_company(FIX / "chargebee_subscriptions").frames["contracts"]
    assert load_company(folder).frames["contracts"]["mrr"].sum() == plain["mrr"].sum()


def test_amount_unit_on_top_of_a_source_is_refused(tmp_path):
    folder = copy("stripe_subscriptions", tmp_path)
    toml = folder / "company.toml"
    toml.write_text(
        toml.read_text().replace('path = "subscriptions.csv"', 'path = "subscriptions.csv"\namount_unit = "cents"')
    )
    with pytest.raises(InputError) as caught:
        load_company(folder)
    (problem,) = caught.value.problems
    assert problem.column == "inputs.contracts.amount_unit" and "stripe_subscriptions" in problem.message


def test_a_quickbooks_pnl_divided_by_1000_is_read_with_amount_unit_thousands(tmp_path):
    # QuickBooks' report option "Divide by 1000" prints 40,000.00 as 40.00: the same report in
    # thousands, read with amount_unit = "thousands" on top of the source, gives the lines
    # worked out by hand for the full-unit report (QBO above: revenue Jan 46,200 ...).
    folder = copy("quickbooks_pnl", tmp_path)
    report = folder / "ProfitAndLoss_by_Month.csv"
    money = re.compile(r'"?\$?(\(?)(-?[\d,]+\.\d\d)(\)?)"?')  # 40,000.00 / "$46,200.00" / (350.00)

    def thousands(m: re.Match) -> str:
        return f"{m.group(1)}{float(m.group(2).replace(',', '')) / 1000:.2f}{m.group(3)}"

    lines = [money.sub(thousands, line) for line in report.read_text().splitlines()]
    assert lines[6] == "4000 Subscription Revenue,40.00,42.00,44.50,46.00,48.50,51.00,272.00"
    report.write_text("\n".join(lines) + "\n")
    toml = folder / "company.toml"
    toml.write_text(
        toml.read_text().replace('source = "quickbooks_pnl"', 'source = "quickbooks_pnl"\namount_unit = "thousands"')
    )
    fin = load_company(folder).frames["financials"]
    assert fin["revenue"].tolist() == pytest.approx(QBO["revenue"])
    assert fin["sales_marketing"].tolist() == pytest.approx([24500, 28300, 26200, 25900, 32900, 29100])


def test_minor_units_under_a_source_name_the_units_the_source_read(tmp_path):
    folder = copy("stripe_subscriptions", tmp_path)
    export = folder / "subscriptions.csv"
    frame = pd.read_csv(export, dtype=str, keep_default_na=False)
    # 49.00 -> 49000: every amount whole and the typical monthly value over 10,000
    frame["Amount"] = (frame["Amount"].astype(float) * 1000).astype(int).astype(str)
    frame.to_csv(export, index=False)
    with pytest.raises(InputError) as caught:
        load_company(folder)
    message = " ".join(p.message for p in caught.value.problems)
    assert "look like cents" in message and "'Amount' as major" in message and "amount_unit" not in message
