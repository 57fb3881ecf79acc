"""load_company: readers, mapping, canonical dtypes, warnings, as-of, segments, safety."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from inputs_helpers import MRR_TOML

from conftest import FIXTURES
from reportlib.exceptions import InputError, ParameterError
from reportlib.inputs import Company, company_slug, load_company, resolve_as_of, validate_company
from reportlib.inputs._mapping import parse_numbers

INPUTS = FIXTURES / "inputs"
STRING = pd.StringDtype()
NS = np.dtype("datetime64[ns]")


def make(tmp_path: Path, toml: str, files: dict[str, str], name: str = "acme") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "company.toml").write_text('[company]\nname = "Acme"\ncurrency = "EUR"\n' + toml)
    for fname, text in files.items():
        (folder / fname).parent.mkdir(parents=True, exist_ok=True)
        (folder / fname).write_text(text)
    return folder


# ---------------------------------------------------------------------------- readers


def test_european_csv_semicolon_latin1_decimal_comma():
    company = load_company(INPUTS / "csv-mrr")
    mrr = company.frames["mrr"]
    assert list(mrr.columns) == ["customer_id", "month", "mrr", "segment", "Region"]
    assert mrr["mrr"].tolist()[:2] == [1000.5, 5000.0]
    assert mrr["Region"].iloc[0] == "Süd"  # latin-1 decoded
    assert mrr.dtypes.to_dict() == {
        "customer_id": STRING,
        "month": pd.PeriodDtype("M"),
        "mrr": np.dtype("float64"),
        "segment": STRING,
        "Region": STRING,
    }
    assert company.revenue_source() == "mrr"
    assert company.config.segments == [("segment", "SMB"), ("segment", "Enterprise")]
    assert company.sources["mrr"] == [INPUTS / "csv-mrr" / "mrr_export.csv"]


def test_wide_mrr_in_a_named_excel_sheet():
    mrr = load_company(INPUTS / "xlsx-wide").frames["mrr"]
    assert list(mrr.columns) == ["customer_id", "month", "mrr", "Plan"]
    assert len(mrr) == 7  # blank cells mean no MRR
    got = mrr.set_index(["customer_id", "month"])["mrr"]
    assert got[("C", pd.Period("2024-02", "M"))] == 50.5
    assert ("A", pd.Period("2024-03", "M")) not in got.index
    assert mrr["month"].dtype == pd.PeriodDtype("M") and mrr["Plan"].dtype == STRING


def test_parquet_transactions_keep_refunds_and_financials():
    company = load_company(INPUTS / "parquet-transactions")
    tx = company.frames["transactions"]
    assert tx.dtypes.to_dict() == {"customer_id": STRING, "date": NS, "amount": np.dtype("float64")}
    assert tx["amount"].min() == -20.0  # refunds are allowed in transactions
    fin = company.frames["financials"]
    assert list(fin.columns) == ["month", "revenue", "cogs", "sales_marketing", "net_cash_flow"]
    assert company.revenue_source() == "transactions"


def test_contracts_dayfirst_value_translation_and_signed_fill():
    c = load_company(INPUTS / "contracts-dayfirst").frames["contracts"]
    assert list(c.columns) == [
        "contract_id",
        "customer_id",
        "start_date",
        "end_date",
        "signed_date",
        "tcv",
        "mrr",
        "revenue_type",
        "billing",
        "segment",
    ]
    assert c["start_date"].tolist()[0] == pd.Timestamp("2024-02-01")
    assert c["end_date"].tolist()[0] == pd.Timestamp("2025-01-31")
    assert c["start_date"].iloc[2] == pd.Timestamp("2024-03-13")
    assert c["signed_date"].tolist() == [
        pd.Timestamp("2024-01-15"),
        pd.Timestamp("2024-02-01"),
        pd.Timestamp("2024-03-13"),
    ]
    assert c["billing"].tolist() == ["annual", "annual", "monthly"]
    assert c["revenue_type"].tolist() == ["contracted_recurring", "one_off", "contracted_recurring"]
    assert pd.isna(c["tcv"].iloc[2]) and c["mrr"].iloc[2] == 99.0 and pd.isna(c["mrr"].iloc[0])
    for col in ("start_date", "end_date", "signed_date"):
        assert c[col].dtype == NS


def test_every_other_input():
    company = load_company(INPUTS / "full")
    f = company.frames
    leads = f["leads"]
    assert leads.dtypes.to_dict() == {
        "lead_id": STRING,
        "created_at": NS,
        "signup_at": NS,
        "pql_at": NS,
        "channel": STRING,
        "owner": STRING,
    }
    assert leads["created_at"].tolist()[0] == pd.Timestamp("2024-01-03")  # date_format
    assert leads["signup_at"].tolist()[0] == pd.Timestamp("2024-01-04")  # joined file, ISO dates
    assert pd.isna(leads["signup_at"].iloc[2])  # left join, no match
    assert (leads["channel"] == leads["owner"]).all()  # one column, two names
    traffic = f["traffic"]  # days summed to months
    assert traffic.to_dict("list") == {
        "month": list(pd.period_range("2024-01", "2024-03", freq="M")),
        "visitors": [22.0, 20.0, 25.0],
        "channel": ["organic", "paid", "paid"],
    }
    opp = f["opportunities"]
    assert opp["outcome"].tolist() == ["won", "lost", "open"]
    assert opp["stage"].tolist() == ["Closed Won", "Closed Lost", "Demo"]
    assert pd.isna(opp["amount"].iloc[2]) and pd.isna(opp["closed_at"].iloc[2])
    assert f["targets"].to_dict("list") == {
        "period": ["2024Q1", "2024-03"],
        "metric": ["pipeline_created", "new_arr"],
        "target": [10000.0, 2000.0],
        "filter": ["all", "source=partner"],
    }
    assert f["usage"]["date"].dtype == NS
    assert f["nps"]["score"].dtype == pd.Int64Dtype() and f["nps"]["score"].tolist() == [9, 6, 10]
    assert company.config.north_star == ["arr", "nrr", "win_rate"]


def test_delimiter_is_sniffed_and_can_be_set(tmp_path):
    folder = make(tmp_path, '[inputs.mrr]\npath = "m.csv"\n', {"m.csv": "customer_id|month|mrr\na|2024-01|1\n"})
    assert load_company(folder).frames["mrr"]["mrr"].tolist() == [1.0]
    folder = make(
        tmp_path,
        '[inputs.mrr]\npath = "m.tsv"\ndelimiter = "\\t"\n',
        {"m.tsv": "customer_id\tmonth\tmrr\na\t2024-01\t1,5\n"},
        name="tabs",
    )
    with pytest.raises(InputError, match="set decimal"):
        load_company(folder)


def test_wrong_encoding_is_explained(tmp_path):
    folder = make(tmp_path, '[inputs.mrr]\npath = "m.csv"\n', {})
    (folder / "m.csv").write_bytes("customer_id,month,mrr\nMünchen,2024-01,1\n".encode("latin-1"))
    report = validate_company(folder)
    assert "m.csv is not encoded as utf-8-sig; set encoding in company.toml" in report.errors[0].message


def test_own_column_names_need_no_mapping_and_blank_lines_keep_row_numbers(tmp_path):
    folder = make(
        tmp_path, '[inputs.mrr]\npath = "m.csv"\n', {"m.csv": "customer_id,month,mrr\na,2024-01,1\n\nb,2024-01,x\n"}
    )
    (p,) = validate_company(folder).errors
    assert (p.row, p.column) == (4, "mrr")


def test_defaults_fill_columns_and_blank_cells(tmp_path):
    folder = make(
        tmp_path,
        """
[inputs.contracts]
path = "c.csv"
columns = { contract_id = "id", customer_id = "cust", start_date = "start", mrr = "mrr", billing = "billing" }
defaults = { revenue_type = "contracted_recurring", billing = "monthly", segment = "All" }
""",
        {"c.csv": "id,cust,start,mrr,billing\n1,a,2024-01-01,10,\n2,b,2024-01-01,10,annual\n"},
    )
    c = load_company(folder).frames["contracts"]
    assert c["billing"].tolist() == ["monthly", "annual"]
    assert c["revenue_type"].tolist() == ["contracted_recurring"] * 2
    assert c["segment"].tolist() == ["All", "All"] and c["segment"].dtype == STRING
    assert c["end_date"].isna().all() and c["end_date"].dtype == NS


def test_end_date_exclusive_is_shifted_to_inclusive(tmp_path):
    folder = make(
        tmp_path,
        """
[inputs.contracts]
path = "c.csv"
end_date_exclusive = true
columns = { contract_id = "id", customer_id = "cust", start_date = "start", end_date = "end", mrr = "amount" }
defaults = { revenue_type = "contracted_recurring", billing = "monthly" }
""",
        {"c.csv": "id,cust,start,end,amount\n1,a,2024-01-01,2024-04-01,10\n2,a,2024-05-01,,10\n"},
    )
    c = load_company(folder).frames["contracts"]
    assert c["end_date"].iloc[0] == pd.Timestamp("2024-03-31")
    assert pd.isna(c["end_date"].iloc[1])


def test_category_values_are_case_insensitive(tmp_path):
    folder = make(
        tmp_path,
        """
[inputs.contracts]
path = "c.csv"
columns = { contract_id = "id", customer_id = "cust", start_date = "start", end_date = "end", tcv = "tcv", revenue_type = "t", billing = "b" }
""",
        {"c.csv": "id,cust,start,end,tcv,t,b\n1,a,2024-01-01,2024-12-31,10, Contracted_Recurring ,ANNUAL\n"},
    )
    c = load_company(folder).frames["contracts"]
    assert (c["revenue_type"].iloc[0], c["billing"].iloc[0]) == ("contracted_recurring", "annual")


def test_contract_without_any_value(tmp_path):
    folder = make(
        tmp_path,
        """
[inputs.contracts]
path = "c.csv"
columns = { contract_id = "id", customer_id = "cust", start_date = "start", tcv = "tcv" }
defaults = { revenue_type = "one_off", billing = "upfront" }
""",
        {"c.csv": "id,cust,start,tcv\n1,a,2024-01-01,\n"},
    )
    (p,) = validate_company(folder).errors
    assert (p.row, p.column) == (2, "tcv") and "neither a tcv nor an mrr" in p.message


def test_warn_rows_are_left_out_and_counted(tmp_path):
    # 3 of 4 rows are bad: only min_rows_kept below 1/4 lets the input through (guard).
    folder = make(
        tmp_path,
        '[inputs.mrr]\npath = "m.csv"\n[inputs.leads]\npath = "l.csv"\nmin_rows_kept = 0.25\n',
        {
            "m.csv": "customer_id,month,mrr\na,2024-01,1\na,2024-02,1\n",
            "l.csv": "lead_id,created_at,signup_at\nL1,2024-01-01,\nL2,,\nL3,2024-13-01,\nL4,2024-01-05,soon\n",
        },
    )
    company = load_company(folder)
    assert company.frames["leads"]["lead_id"].tolist() == ["L1"]
    said = [str(w) for w in company.warnings]
    assert any("1 row(s) left out because 'created_at' is blank and created_at is required: rows 3." in w for w in said)
    assert any(
        "row(s) left out because the value could not be read: rows 4." in w and "column 'created_at'" in w for w in said
    )
    assert any("rows 5." in w and "signup_at" in w for w in said)


def test_on_bad_rows_error_for_crm_inputs(tmp_path):
    folder = make(
        tmp_path,
        '[inputs.mrr]\npath = "m.csv"\n[inputs.leads]\npath = "l.csv"\non_bad_rows = "error"\n',
        {"m.csv": "customer_id,month,mrr\na,2024-01,1\n", "l.csv": "lead_id,created_at\nL1,\n"},
    )
    (p,) = validate_company(folder).errors
    assert (p.file, p.row, p.column) == ("l.csv", 2, "created_at") and "created_at is blank" in p.message


def test_wide_layout_with_month_format(tmp_path):
    folder = make(
        tmp_path,
        '[inputs.mrr]\npath = "m.csv"\nlayout = "wide"\nmonth_format = "%m/%Y"\n'
        'columns = { customer_id = "Account" }\ndimensions = ["Segment"]\n',
        {"m.csv": "Account,Segment,01/2024,02/2024\na,SMB,1,2\nb,ENT,,3\n"},
    )
    mrr = load_company(folder).frames["mrr"]
    assert mrr[["customer_id", "mrr"]].values.tolist() == [["a", 1.0], ["a", 2.0], ["b", 3.0]]
    assert mrr["Segment"].tolist() == ["SMB", "SMB", "ENT"]


def test_join_with_missing_key_and_inner_how(tmp_path):
    folder = make(
        tmp_path,
        """
[inputs.mrr]
path = "m.csv"
[inputs.leads]
path = "l.csv"
[[inputs.leads.join]]
path = "won.csv"
on = "lead_id"
how = "inner"
columns = { customer_at = "won_at", deal_size = "size" }
""",
        {
            "m.csv": "customer_id,month,mrr\na,2024-01,1\n",
            "l.csv": "lead_id,created_at\nL1,2024-01-01\nL2,2024-01-02\n",
            "won.csv": "lead_id,won_at,size\nL2,2024-02-01,big\n",
        },
    )
    leads = load_company(folder).frames["leads"]
    assert leads["lead_id"].tolist() == ["L2"] and leads["deal_size"].tolist() == ["big"]
    (folder / "won.csv").write_text("lead,won_at,size\nL2,2024-02-01,big\n")
    (p,) = validate_company(folder).errors
    assert (p.file, p.column) == ("won.csv", "lead_id") and "Did you mean 'lead'?" in p.message


def test_currency_column_equal_to_company_currency_is_fine(tmp_path):
    folder = make(
        tmp_path, '[inputs.mrr]\npath = "m.csv"\n', {"m.csv": "customer_id,month,mrr,currency\na,2024-01,1,eur\n"}
    )
    assert load_company(folder).frames["mrr"]["currency"].tolist() == ["eur"]


def test_input_text_is_never_executed(tmp_path):
    payload = "__import__('os').system('touch PWNED')"
    folder = make(
        tmp_path,
        '[inputs.mrr]\npath = "m.csv"\ndimensions = ["note"]\n',
        {"m.csv": f'customer_id,month,mrr,note\n"{payload}",2024-01,1,"=1+1"\n'},
    )
    mrr = load_company(folder).frames["mrr"]
    assert mrr["customer_id"].iloc[0] == payload and mrr["note"].iloc[0] == "=1+1"
    assert not (folder / "PWNED").exists() and not Path("PWNED").exists()


def test_symlinks_inside_the_folder_are_followed(tmp_path):
    folder = make(tmp_path, '[inputs.mrr]\npath = "exports/m.csv"\n', {})
    (folder / "raw").mkdir()
    (folder / "raw" / "m.csv").write_text("customer_id,month,mrr\na,2024-01,1\n")
    (folder / "exports").mkdir()
    (folder / "exports" / "m.csv").symlink_to(folder / "raw" / "m.csv")
    assert len(load_company(folder).frames["mrr"]) == 1


@pytest.mark.parametrize(
    "folder, slug",
    [("Acme Analytics", "acme-analytics"), ("..", "company"), ("ACME/../x", "x"), ("büro & co.", "b-ro-co")],
)
def test_slug_is_safe(folder, slug):
    assert company_slug(folder) == slug


# ---------------------------------------------------------------------------- warnings


def test_one_month_customers_and_outlier_months(tmp_path):
    rows = ["customer_id,month,mrr"]
    for m in range(1, 7):
        rows.append(f"a,2024-{m:02d},{1000 if m != 4 else 9000}")
    rows += ["once,2024-02,5", "late,2024-06,5"]
    folder = make(tmp_path, '[inputs.mrr]\npath = "m.csv"\n', {"m.csv": "\n".join(rows) + "\n"})
    report = validate_company(folder)
    assert report.ok and report.company is not None
    said = [str(w) for w in report.warnings]
    assert any("1 customer(s) have MRR in only one month (once)" in w for w in said)
    assert any("total MRR of 2024-04 (9,000) is far from the months around it" in w for w in said)
    assert "2 warnings" in report.render().splitlines()[-1]


def test_no_revenue_input_is_a_warning(tmp_path):
    folder = make(tmp_path, '[inputs.leads]\npath = "l.csv"\n', {"l.csv": "lead_id,created_at\nL1,2024-01-01\n"})
    company = load_company(folder)
    assert company.revenue_source() is None
    assert any("No revenue input" in w.message for w in company.warnings)


# ---------------------------------------------------------------------------- as-of


def test_resolve_as_of():
    company = load_company(INPUTS / "csv-mrr")
    assert resolve_as_of(company, None) == (pd.Period("2024-03", "M"), pd.Timestamp("2024-03-31"))
    assert resolve_as_of(company, "2024-02") == (pd.Period("2024-02", "M"), pd.Timestamp("2024-02-29"))
    assert resolve_as_of(company, "2024-02-10") == (pd.Period("2024-02", "M"), pd.Timestamp("2024-02-10"))
    with pytest.raises(ParameterError, match="outside the data of Csv Mrr GmbH, which runs from 2024-01 to 2024-03"):
        resolve_as_of(company, "2023-12")
    for bad in ("March", "2024-13", "2024-02-31"):
        with pytest.raises(ParameterError, match="is not a month"):
            resolve_as_of(company, bad)


def test_resolve_as_of_from_contracts_and_transactions():
    assert resolve_as_of(load_company(INPUTS / "parquet-transactions"), None)[0] == pd.Period("2024-03", "M")
    # A contract export is as of its latest signature (2024-03-13: K-3, signed = start), not its end dates.
    assert resolve_as_of(load_company(INPUTS / "contracts-dayfirst"), None)[0] == pd.Period("2024-03", "M")


def test_resolve_as_of_takes_the_quarters_and_fiscal_years_of_the_command_line(tmp_path):
    # An analyst opens a section notebook and writes as_of = "2026Q3", as README's commands do.
    # The company's fiscal year starts in April: FY2027 runs April 2026 - March 2027.
    # One customer pays 100 a month from 2025-01 to 2026-12 (24 months of data).
    months = pd.period_range("2025-01", "2026-12", freq="M")
    csv = "Customer,Month,MRR\n" + "".join(f"c1,{m},100\n" for m in months)
    toml = "[policies]\nfiscal_year_start_month = 4\n" + MRR_TOML.format(path="mrr.csv")
    company = load_company(make(tmp_path, toml, {"mrr.csv": csv}))
    # by hand: 2026Q3 = Jul-Sep 2026 -> September; FY2027Q1 = Apr-Jun 2026 -> June;
    # FY2026 = Apr 2025 - Mar 2026 -> March 2026; each as of its month's last day
    assert resolve_as_of(company, "2026Q3") == (pd.Period("2026-09", "M"), pd.Timestamp("2026-09-30"))
    assert resolve_as_of(company, "FY2027Q1") == (pd.Period("2026-06", "M"), pd.Timestamp("2026-06-30"))
    assert resolve_as_of(company, "FY2026") == (pd.Period("2026-03", "M"), pd.Timestamp("2026-03-31"))
    # FY2027 ends in March 2027, after the data (to 2026-12): refused, naming the range
    with pytest.raises(ParameterError, match="outside the data of Acme, which runs from 2025-01 to 2026-12"):
        resolve_as_of(company, "FY2027")
    with pytest.raises(ParameterError, match="is not a month"):
        resolve_as_of(company, "2026Q5")


# ---------------------------------------------------------------------------- segments


def test_segment_filters_frames_that_carry_the_key():
    company = load_company(INPUTS / "csv-mrr")
    smb = company.segment("segment", "SMB")
    assert isinstance(smb, Company) and smb is not company
    assert set(smb.frames["mrr"]["segment"]) == {"SMB"} and len(smb.frames["mrr"]) == 6
    assert smb.segment_filter == ("segment", "SMB") and smb.unfiltered_inputs == []
    assert company.segment_filter is None and len(company.frames["mrr"]) == 9  # original untouched


def test_segment_keeps_inputs_without_the_key_whole():
    company = load_company(INPUTS / "full")
    paid = company.segment("channel", "paid")
    assert set(paid.unfiltered_inputs) == {"mrr", "opportunities", "targets", "usage", "nps"}
    assert len(paid.frames["leads"]) == 2 and len(paid.frames["mrr"]) == len(company.frames["mrr"])


def test_segment_errors_suggest_the_closest():
    company = load_company(INPUTS / "csv-mrr")
    with pytest.raises(ParameterError, match="has a column 'segmnt' to segment by. Did you mean 'segment'?"):
        company.segment("segmnt", "SMB")
    with pytest.raises(
        ParameterError, match="No row of Csv Mrr GmbH has segment = 'Enterprize'. Did you mean 'Enterprise'?"
    ):
        company.segment("segment", "Enterprize")


# ---------------------------------------------------------------------------- numbers, scale


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False))
@settings(max_examples=60, deadline=None)
def test_european_numbers_round_trip(value):
    text = f"{value:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    parsed, bad = parse_numbers(pd.Series([text]), decimal=",", thousands=".")
    assert not bad.any() and parsed.iloc[0] == pytest.approx(float(value))


def test_large_inputs_load_quickly(tmp_path):
    n_customers, months = 10_000, pd.period_range("2020-01", periods=30, freq="M")
    frame = pd.DataFrame(
        {
            "customer_id": np.repeat([f"c{i}" for i in range(n_customers)], len(months)),
            "month": np.tile(months.astype(str), n_customers),
            "mrr": np.tile(np.arange(len(months), dtype=float) + 1, n_customers),
            "segment": "SMB",
        }
    )
    folder = make(tmp_path, '[inputs.mrr]\npath = "m.csv"\ndimensions = ["segment"]\n', {})
    frame.to_csv(folder / "m.csv", index=False)
    start = time.perf_counter()
    company = load_company(folder)
    assert len(company.frames["mrr"]) == 300_000
    assert time.perf_counter() - start < 15


def test_excel_date_cells_numbers_and_blank_rows(tmp_path):
    import datetime as dt

    import openpyxl

    folder = make(
        tmp_path,
        '[inputs.transactions]\npath = "pay.xlsx"\nsheet = "Payments"\n'
        'columns = { customer_id = "Customer", date = "Paid", amount = "Amount" }\n',
        {},
    )
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Payments"
    sheet.append(["Customer", "Paid", "Amount"])
    sheet.append([1001, dt.datetime(2024, 1, 5), 10.5])
    sheet.append([])
    sheet.append(["1002", "2024-02-07", "12"])
    sheet.append([1003, "07.02.2024x", 3])
    book.create_sheet("Other")
    book.save(folder / "pay.xlsx")
    (p,) = validate_company(folder).errors
    assert (p.file, p.row, p.column) == ("pay.xlsx", 5, "Paid") and "'07.02.2024x' is not a date" in p.message
    sheet.delete_rows(5)
    book.save(folder / "pay.xlsx")
    tx = load_company(folder).frames["transactions"]
    assert tx["customer_id"].tolist() == ["1001", "1002"]  # whole numbers stay ids, not '1001.0'
    assert tx["date"].tolist() == [pd.Timestamp("2024-01-05"), pd.Timestamp("2024-02-07")]
    assert tx["amount"].tolist() == [10.5, 12.0]


def test_excel_with_several_sheets_needs_a_sheet_name(tmp_path):
    folder = make(tmp_path, '[inputs.mrr]\npath = "billing.xlsx"\n', {})
    shutil.copy(INPUTS / "xlsx-wide" / "billing.xlsx", folder / "billing.xlsx")
    (p,) = validate_company(folder).errors
    assert p.message == (
        'billing.xlsx has several sheets (MRR, Notes); say which one with sheet = "..." in company.toml.'
    )


def test_a_column_parsed_last_while_its_ids_are_factorised_keeps_the_inputs_order(tmp_path, monkeypatch):
    """A large file's id column is factorised on a second thread and parsed after the other
    columns; its problems, left-out rows and place in the frame stay in the columns' order."""
    import reportlib.inputs._mapping as mapping

    folder = make(
        tmp_path,
        '[inputs.mrr]\npath = "m.csv"\n[inputs.leads]\npath = "l.csv"\nmin_rows_kept = 0.25\n',
        {
            "m.csv": "customer_id,month,mrr\n,2024-01,1\na,2024-13,1\nb,2024-02,-5\n",
            "l.csv": "lead_id,created_at,signup_at\n,2024-01-01,\nL2,,\nL3,2024-13-01,\nL4,2024-01-05,soon\n",
        },
    )
    valid = make(tmp_path, '[inputs.mrr]\npath = "m.csv"\n', {"m.csv": "customer_id,month,mrr\na,2024-01,1\n"}, "ok")

    def seen() -> tuple[list, list, list]:
        report = validate_company(folder)
        return (
            [(p.message, p.file, p.row, p.column) for p in report.errors],
            [str(w) for w in report.warnings],
            list(load_company(valid).frames["mrr"].columns),
        )

    in_order = seen()
    parsed = []
    monkeypatch.setattr(
        mapping, "codes_pending", lambda column: parsed.append(column.name) or column.name == "customer_id"
    )
    assert seen() == in_order  # problems, warnings and columns as when parsed in order
    assert "customer_id" in parsed and len(in_order[0]) >= 3 and in_order[2][0] == "customer_id"
