"""quickbooks_pnl and xero_pnl on their fixtures (tests/fixtures/sources/*/README.md): P&L lines per month."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from _export import run_source

from reportlib.inputs._accounts import to_financials
from reportlib.inputs.sources import get_source

FIX = Path(__file__).resolve().parent / "fixtures" / "sources"

QBO_ACCOUNTS = {
    "sales_marketing": ["6000*", "6100 Sales Salaries", "Commissions", "6300*"],
    "research_development": ["7010*", "7020*"],
    "general_admin": ["8000 Rent", "8100*", "8200*"],
}
QBO = {  # Jan..Jun 2026, by hand (README):
    # revenue = 4000 + 4100 + 4200: Jan 40,000+5,000+1,200 = 46,200 ... Jun 51,000+5,500+2,000 = 58,500
    "revenue": [46200, 46850, 52000, 51650, 54800, 58500],
    # cogs = 5000 + 5100: Jan 6,000+4,000 = 10,000 ... Jun 7,300+4,400 = 11,700
    "cogs": [10000, 10200, 10700, 10900, 11400, 11700],
    # S&M = 6000 + 6100 + Commissions + 6300: Jan 8,000+15,000+1,500 = 24,500; Feb 8,500+15,000+1,800+3,000 = 28,300;
    # Mar 26,200; Apr 25,900; May 9,500+16,500+2,400+4,500 = 32,900; Jun 29,100
    "sales_marketing": [24500, 28300, 26200, 25900, 32900, 29100],
    # R&D = 7010 + 7020 (sub-accounts of 7000): Jan 22,000+1,800 = 23,800 ... Jun 24,000+2,100 = 26,100
    "research_development": [23800, 23800, 24900, 24900, 26000, 26100],
    # G&A = 8000 + 8100 + 8200: Jan 4,000+1,500+600 = 6,100; Feb 4,000+0+550 = 4,550 ... Jun 4,000+3,000+750 = 7,750
    "general_admin": [6100, 4550, 7200, 5850, 4600, 7750],
}
XERO_ACCOUNTS = {
    "sales_marketing": ["Advertising & Marketing", "Commissions", "Sales Salaries"],
    "research_development": ["Development Contractors", "Engineering Salaries"],
    "general_admin": ["Bank Fees", "Legal Expenses", "Rent"],
}
XERO = {  # Jan..Jun 2026 (the file prints Jun first), by hand (README):
    # revenue = Implementation Fees + Subscription Revenue: Jan 2,500+30,000 = 32,500 ... Jun 2,000+37,000 = 39,000
    "revenue": [32500, 31500, 36000, 35500, 35500, 39000],
    # cogs = Hosting + Third-party Licences: Jan 3,500+1,000 = 4,500 ... Jun 4,200+1,200 = 5,400
    "cogs": [4500, 4600, 4900, 5000, 5200, 5400],
    # S&M Jan 5,000+900+9,000 = 14,900; Feb 5,500+800+9,000 = 15,300; ... Jun 7,000+1,300+9,500 = 17,800
    "sales_marketing": [14900, 15300, 16100, 15000, 17050, 17800],
    "research_development": [21000, 21000, 22000, 22000, 23000, 23000],  # 6,000+15,000 = 21,000 ...
    # G&A Jan 50+800+2,500 = 3,350; Feb 55+0+2,500 = 2,555; Mar 60+1,200+2,500 = 3,760 ...
    "general_admin": [3350, 2555, 3760, 2555, 3060, 2565],
}
MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]


def financials(source: str, path: Path, accounts: dict):
    return to_financials(run_source(source, path), accounts)


@pytest.mark.parametrize("file", ["ProfitAndLoss_by_Month.csv", "ProfitAndLoss_by_Month.xlsx"])
def test_quickbooks_pnl_lines_per_month(file):
    # the XLSX totals are formulas without cached values: only account lines are summed
    fin = financials("quickbooks_pnl", FIX / "quickbooks_pnl" / file, QBO_ACCOUNTS)
    assert [m.strftime("%Y-%m") for m in fin["month"]] == MONTHS  # the Total column is no month
    for line, expected in QBO.items():
        assert fin[line].tolist() == expected, line
    # gross margin Jun = (58,500 - 11,700) / 58,500 = 0.8; Jan 36,200 / 46,200 = 0.783550
    gm = (fin["revenue"] - fin["cogs"]) / fin["revenue"]
    assert gm.iloc[5] == pytest.approx(0.8) and gm.iloc[0] == pytest.approx(36200 / 46200)


def test_quickbooks_other_income_is_not_revenue_and_parent_total_selects_its_accounts():
    acc = run_source("quickbooks_pnl", FIX / "quickbooks_pnl" / "ProfitAndLoss_by_Month.csv")
    assert set(acc.loc[acc["section"] == "other_income", "account"]) == {
        "9000 Interest Income",
        "9100 Foreign Exchange Gain/Loss",
    }
    # 9100 Feb printed (350.00)
    feb = acc[(acc["account"] == "9100 Foreign Exchange Gain/Loss") & (acc["month"] == pd.Timestamp("2026-02-01"))]
    assert feb["amount"].tolist() == [-350]
    by_total = to_financials(acc, {**QBO_ACCOUNTS, "research_development": ["Total for 7000 Research & Development"]})
    assert by_total["research_development"].tolist() == QBO["research_development"]


@pytest.mark.parametrize(
    "file", ["Brightwave_Software_Ltd_-_Profit_and_Loss.csv", "Brightwave_Software_Ltd_-_Profit_and_Loss.xlsx"]
)
def test_xero_pnl_lines_per_month_newest_first(file):
    fin = financials("xero_pnl", FIX / "xero_pnl" / file, XERO_ACCOUNTS)
    assert [m.strftime("%Y-%m") for m in fin["month"]] == MONTHS
    for line, expected in XERO.items():
        assert fin[line].tolist() == expected, line
    # Net Profit printed = GP - OpEx: Jan 28,000 - 39,250 = -11,250
    opex = fin[["sales_marketing", "research_development", "general_admin"]].sum(axis=1)
    assert (fin["revenue"] - fin["cogs"] - opex).iloc[0] == -11250


def test_pnl_sources_are_registered_for_financials():
    for name in ("quickbooks_pnl", "xero_pnl"):
        source = get_source(name)
        assert source.feeds == "financials" and source.frame is not None and source.documentation


def test_xero_fixed_costs_equal_to_the_next_two_lines_stay_accounts(tmp_path):
    # A Xero CSV as exported (never indented): Computer Software 1,500 = Consulting &
    # Accounting 1,000 + Insurance 500 every month, fixed costs, and "Total Operating
    # Expenses" counts all three (Jan 55 + 1,500 + 1,000 + 500 + 15,500 + 2,500 = 21,055).
    # G&A = Bank Fees + 1,500 + 1,000 + 500 + Rent 2,500:
    # Jan 55 + 5,500 = 5,555, Feb 60 + 5,500 = 5,560, Mar 65 + 5,500 = 5,565 (it was
    # 4,055 / 4,060 / 4,065 with no warning: Computer Software taken for a parent's sum).
    pnl = tmp_path / "pnl.csv"
    pnl.write_text(
        "Profit and Loss,,,\nFixedcost Ltd,,,\nFor the 3 months ended 31 March 2026,,,\n,,,\n"
        "Account,Mar 2026,Feb 2026,Jan 2026\nTrading Income,,,\n"
        'Subscription Revenue,"40,000.00","38,000.00","36,000.00"\n'
        'Total Trading Income,"40,000.00","38,000.00","36,000.00"\n,,,\nOperating Expenses,,,\n'
        "Bank Fees,65.00,60.00,55.00\n"
        'Computer Software,"1,500.00","1,500.00","1,500.00"\n'
        'Consulting & Accounting,"1,000.00","1,000.00","1,000.00"\n'
        "Insurance,500.00,500.00,500.00\n"
        'Engineering Salaries,"16,000.00","16,000.00","15,500.00"\n'
        'Rent,"2,500.00","2,500.00","2,500.00"\n'
        'Total Operating Expenses,"21,565.00","21,560.00","21,055.00"\n,,,\n'
        'Net Profit,"18,435.00","16,440.00","14,945.00"\n'
    )
    accounts = {
        "cogs": [],
        "sales_marketing": [],
        "research_development": ["Engineering Salaries"],
        "general_admin": ["Bank Fees", "Computer Software", "Consulting & Accounting", "Insurance", "Rent"],
    }
    fin = financials("xero_pnl", pnl, accounts)
    assert fin["general_admin"].tolist() == [5555, 5560, 5565]
    assert fin["revenue"].tolist() == [36000, 38000, 40000]
