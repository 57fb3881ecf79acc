"""Guards against a silently wrong pack: rows kept, empty inputs, minor units, annual prices
counted as monthly, tenfold jumps, ids differing by case, and the contracts as-of."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from inputs_helpers import make, validate_cli

from reportlib.exceptions import ParameterError
from reportlib.inputs import load_company, resolve_as_of, validate_company


def test_an_input_losing_more_than_half_its_rows_is_an_error(tmp_path):
    # Epoch dates read without date_format: 3 of 4 rows unreadable (on_bad_rows = warn for leads).
    files = {
        "m.csv": "customer_id,month,mrr\na,2024-01,1\n",
        "l.csv": "lead_id,created_at\nL1,2024-01-01\nL2,1704067200\nL3,1704153600\nL4,1704240000\n",
    }
    toml = '[inputs.mrr]\npath = "m.csv"\n[inputs.leads]\npath = "l.csv"\n'
    (p,) = validate_company(make(tmp_path, toml, files)).errors
    assert p.file == "l.csv" and "Only 1 of 4 rows (25%)" in p.message and "min_rows_kept = 0.5" in p.message
    # Read right, every row is kept: 1704067200 s = 2024-01-01.
    fixed = toml + 'date_format = "epoch"\n'
    files["l.csv"] = files["l.csv"].replace("2024-01-01", "1703980800")
    leads = load_company(make(tmp_path, fixed, files, name="fixed")).frames["leads"]
    assert leads["created_at"].tolist()[1] == pd.Timestamp("2024-01-01")
    # Said on purpose: min_rows_kept lowers the bar.
    assert validate_company(
        make(
            tmp_path,
            toml + "min_rows_kept = 0.2\n",
            {**files, "l.csv": files["l.csv"].replace("1703980800", "2024-01-01")},
            name="lowered",
        )
    ).ok


def test_where_dropping_most_rows_is_an_error(tmp_path):
    folder = make(
        tmp_path,
        '[inputs.mrr]\npath = "m.csv"\nwhere = "mrr::DOUBLE > 5"\n',
        {"m.csv": "customer_id,month,mrr\na,2024-01,1\nb,2024-01,2\nc,2024-01,9\n"},
    )
    (p,) = validate_company(folder).errors
    assert "Only 1 of 3 rows (33%)" in p.message


def test_a_header_only_revenue_file_is_one_clear_error(tmp_path, capsys):
    folder = make(
        tmp_path,
        '[inputs.contracts]\npath = "c.csv"\n',
        {"c.csv": "contract_id,customer_id,start_date,mrr,revenue_type,billing\n"},
    )
    code, text = validate_cli(folder, capsys)
    assert code == 1 and "Traceback" not in text and "c.csv has no data rows" in text


def test_cents_without_amount_unit_is_refused_until_said(tmp_path, capsys):
    # Median 14,900 with no decimals: 149.00 a month written in cents.
    body = "customer_id,month,mrr\na,2024-01,14900\nb,2024-01,29900\nc,2024-01,9900\n"
    folder = make(tmp_path, '[inputs.mrr]\npath = "m.csv"\n', {"m.csv": body})
    code, text = validate_cli(folder, capsys)
    assert code == 1 and "Traceback" not in text
    (line,) = [ln for ln in text.splitlines() if ln.strip().startswith("error")]
    assert "look like cents" in line and 'amount_unit = "cents"' in line and "Largest rows: 3, 2, 4" in line
    cents = load_company(
        make(tmp_path, '[inputs.mrr]\npath = "m.csv"\namount_unit = "cents"\n', {"m.csv": body}, name="cents")
    ).frames["mrr"]
    assert cents["mrr"].sum() == pytest.approx(547.0)  # (14900 + 29900 + 9900) / 100
    units = make(tmp_path, '[inputs.mrr]\npath = "m.csv"\namount_unit = "units"\n', {"m.csv": body}, name="units")
    assert load_company(units).frames["mrr"]["mrr"].sum() == 54700.0


def test_annual_prices_counted_as_monthly_are_a_warning(tmp_path):
    # Monthly plans at 100 (median 100); annual plans typed at their yearly 1,080 and 1,200: 10.8x and 12x.
    body = (
        "contract_id,customer_id,start_date,mrr,billing\n"
        "k1,a,2024-01-01,100,monthly\nk2,b,2024-01-01,100,monthly\nk3,c,2024-01-01,1080,annual\n"
        "k4,d,2024-01-01,1200,annual\n"
    )
    folder = make(
        tmp_path,
        '[inputs.contracts]\npath = "c.csv"\ndefaults = { revenue_type = "contracted_recurring" }\n',
        {"c.csv": body},
    )
    company = load_company(folder)
    (w,) = [w for w in company.warnings if "counted as monthly" in w.message]
    assert "11.4x" in w.message and "Rows 4, 5" in w.message  # median 1,140 / 100


def test_tenfold_mrr_jump_names_the_rows(tmp_path):
    # b goes 50 -> 600 (12x) in February: row 5 (unsorted export: a's February comes last).
    body = "customer_id,month,mrr\na,2024-01,100\nb,2024-01,50\na,2024-03,100\nb,2024-02,600\na,2024-02,110\n"
    company = load_company(make(tmp_path, '[inputs.mrr]\npath = "m.csv"\n', {"m.csv": body}))
    (w,) = [w for w in company.warnings if "10x or more" in w.message]
    assert "customer b in 2024-02" in w.message and w.row == 5


def test_tenfold_jumps_are_listed_by_customer_then_month(tmp_path):
    # b (first seen, row 2) jumps 50 -> 600 (12x) in 2024-02 on row 2; a 10 -> 100 (10x) on row 4:
    # listed in order of first appearance of the customer, then month, not in row order of the file.
    body = "customer_id,month,mrr\nb,2024-02,600\na,2024-01,10\na,2024-02,100\nb,2024-01,50\n"
    company = load_company(make(tmp_path, '[inputs.mrr]\npath = "m.csv"\n', {"m.csv": body}))
    (w,) = [w for w in company.warnings if "10x or more" in w.message]
    assert w.message.startswith("2 customer-month(s)") and "customer b in 2024-02" in w.message
    assert "Rows 2, 4." in w.message and w.row == 2


def test_ids_differing_only_by_case_are_a_warning(tmp_path):
    body = "customer_id,month,mrr\nAcme,2024-01,10\nACME,2024-01,20\nbeta,2024-01,5\n"
    company = load_company(make(tmp_path, '[inputs.mrr]\npath = "m.csv"\n', {"m.csv": body}))
    (w,) = [w for w in company.warnings if "letter case" in w.message]
    assert "'Acme' and 'ACME'" in w.message and w.column == "customer_id"


def test_contracts_as_of_runs_to_the_last_month_served(tmp_path):
    # Latest signature 2024-03 (k2); k1 runs to 2024-12-31. Default as-of stays 2024-03;
    # an explicit as-of up to 2024-12 is accepted with a warning, 2025-01 is refused.
    body = (
        "contract_id,customer_id,start_date,end_date,mrr,signed_date\n"
        "k1,a,2024-01-01,2024-12-31,100,2023-12-15\nk2,b,2024-03-01,2024-08-31,50,2024-03-01\n"
    )
    toml = (
        '[inputs.contracts]\npath = "c.csv"\n'
        'defaults = { revenue_type = "contracted_recurring", billing = "monthly" }\n'
    )
    company = load_company(make(tmp_path, toml, {"c.csv": body}))
    assert resolve_as_of(company, None)[0] == pd.Period("2024-03", "M")
    assert resolve_as_of(company, "2024-12")[0] == pd.Period("2024-12", "M")
    assert any("contracts signed after the export" in w.message for w in company.warnings)
    with pytest.raises(ParameterError, match="runs from 2024-01 to 2024-12"):
        resolve_as_of(company, "2025-01")
    report = validate_company(company.path, as_of="2024-06")
    assert report.ok and any("after the latest contract signature" in w.message for w in report.warnings)
    # An open-ended contract serves up to the month of the run.
    open_ended = make(tmp_path, toml, {"c.csv": body.replace("2024-12-31", "")}, name="open")
    now = pd.Timestamp.now().to_period("M")
    assert resolve_as_of(load_company(open_ended), str(now))[0] == now


def test_identical_transaction_rows_are_a_warning_naming_them(tmp_path):
    # Two payment exports given together (path a glob) overlap on 2024-02-03: Beta's 300
    # charge is in both. Identical in every column: said, and kept (two equal charges can be real).
    jan_feb = "customer_id,date,amount\nacme,2024-01-10,100\nbeta,2024-02-03,300\n"
    feb_mar = "customer_id,date,amount\nbeta,2024-02-03,300\nacme,2024-03-10,120\n"
    files = {"pay_1.csv": jan_feb, "pay_2.csv": feb_mar}
    company = load_company(make(tmp_path, '[inputs.transactions]\npath = "pay_*.csv"\n', files))
    (w,) = [w for w in company.warnings if "identical in every column" in w.message]
    assert "Row 3 of pay_1.csv and row 2 of pay_2.csv" in w.message and w.input == "transactions"
    # kept as given: Beta's February is 300 + 300 = 600
    tx = company.frames["transactions"]
    assert tx.loc[tx["customer_id"] == "beta", "amount"].sum() == 600
    # a real second charge on another day is not a repeat
    files["pay_2.csv"] = feb_mar.replace("2024-02-03", "2024-02-04")
    again = load_company(make(tmp_path, '[inputs.transactions]\npath = "pay_*.csv"\n', files, name="b"))
    assert not [w for w in again.warnings if "identical in every column" in w.message]


# ======================================================================================
# currency symbols

QBO = Path(__file__).parent / "fixtures" / "sources" / "quickbooks_pnl"


def test_amounts_written_with_another_currencys_symbol_are_a_warning(tmp_path):
    # The QuickBooks Online P&L fixture prints its total lines with '$' ("Total for Income",
    # "$46,200.00" at row 10, first month column): 9 total lines x 7 columns (6 months and
    # Total) = 63 cells. Onboarded with currency EUR, the pack would print those dollars as
    # euros.
    folder = tmp_path / "qbo_eur"
    shutil.copytree(QBO, folder)
    toml = folder / "company.toml"
    toml.write_text(toml.read_text().replace('currency = "USD"', 'currency = "EUR"'))
    (w,) = [p for p in validate_company(folder).warnings if "'$'" in p.message]
    assert (w.file, w.row, w.column) == ("ProfitAndLoss_by_Month.csv", 10, "January 2026")
    assert w.message.startswith("63 amount(s)") and "'$46,200.00'" in w.message and "EUR" in w.message
    # In its own currency (USD, as exported) nothing is said; nor for CAD, also written '$'.
    for currency in ("USD", "CAD"):
        toml.write_text(toml.read_text().replace('currency = "EUR"', f'currency = "{currency}"'))
        toml.write_text(toml.read_text().replace('currency = "USD"', f'currency = "{currency}"'))
        assert not [p for p in validate_company(folder).warnings if "'$'" in p.message]


def test_a_mapped_money_column_with_a_pound_sign_in_a_euro_company_is_named(tmp_path):
    # Two months of MRR typed as '£1,200.00' and '£1,250.00' (rows 2 and 3 of column MRR);
    # the company reports in EUR (inputs_helpers.make): 2 cells with a foreign symbol.
    folder = make(
        tmp_path,
        '[inputs.mrr]\npath = "m.csv"\ncolumns = { customer_id = "Customer", month = "Month", mrr = "MRR" }\n',
        {"m.csv": 'Customer,Month,MRR\na,2024-01,"£1,200.00"\na,2024-02,"£1,250.00"\n'},
    )
    (w,) = [p for p in validate_company(folder).warnings if "'£'" in p.message]
    assert (w.file, w.row, w.column) == ("m.csv", 2, "MRR") and w.message.startswith("2 amount(s)")
    # The amounts themselves are read: 1,200 and 1,250.
    assert load_company(folder).frames["mrr"]["mrr"].tolist() == [1200.0, 1250.0]


def test_opportunities_without_an_amount_are_counted_in_a_warning(tmp_path):
    # Four deals created in 2024-01: O1 10,000 and O2 20,000 priced, O3 and O4 still without
    # a close_value (Maven's Engaging deals). Their amounts add up to 30,000, not the four
    # deals' worth: 2 of 4 (50%) have no amount, rows 4 and 5.
    deals = (
        "opportunity_id,engage_date,close_value,deal_stage\n"
        "O1,2024-01-03,10000,Won\nO2,2024-01-05,20000,Won\nO3,2024-01-09,,Engaging\nO4,2024-01-12,,Engaging\n"
    )
    mapped = (
        'columns = { created_at = "engage_date", amount = "close_value", stage = "deal_stage", outcome = "deal_stage" }'
    )
    outcomes = '[inputs.opportunities.values.outcome]\n"Won" = "won"\n"*" = "open"\n'
    folder = make(tmp_path, f'[inputs.opportunities]\npath = "o.csv"\n{mapped}\n{outcomes}', {"o.csv": deals})
    (w,) = [p for p in validate_company(folder).warnings if p.column == "close_value"]
    assert (w.file, w.row) == ("o.csv", 4)
    assert w.message.startswith(
        "2 opportunities (50%) have no amount: pipeline created and deal size count the priced deals only (rows 4, 5)."
    )
    assert load_company(folder).frames["opportunities"]["amount"].sum() == 30_000
