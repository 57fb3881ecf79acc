"""Formats and values: globs, JSON, JSON lines, gz, zip, Parquet, XLSX layouts; dates, months
and numbers as exports write them; reading that cannot be silently wrong (issue 10 item 3)."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest
from inputs_helpers import MRR_TOML, make, validate_cli

from reportlib.inputs import load_company, validate_company
from reportlib.inputs._values import parse_dates, parse_months, parse_numbers

M = lambda s: pd.Period(s, "M")  # noqa: E731

# The same story in every format: a pays 10.5 then 12, b starts in February at 7.
# Expected MRR per month: 2024-01 = 10.5; 2024-02 = 12 + 7 = 19.
ROWS = [
    {"Customer": "a", "Month": "2024-01", "MRR": "10.5"},
    {"Customer": "a", "Month": "2024-02", "MRR": "12"},
    {"Customer": "b", "Month": "2024-02", "MRR": "7"},
]
CSV = "Customer,Month,MRR\n" + "".join(f"{r['Customer']},{r['Month']},{r['MRR']}\n" for r in ROWS)


def totals(folder) -> dict:
    mrr = load_company(folder).frames["mrr"]
    return mrr.groupby("month")["mrr"].sum().to_dict()


EXPECTED = {M("2024-01"): 10.5, M("2024-02"): 19.0}


def _zip(members: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, content in members.items():
            z.writestr(name, content)
    return buf.getvalue()


def _parquet() -> bytes:
    buf = io.BytesIO()
    pd.DataFrame(ROWS).assign(MRR=lambda d: d["MRR"].astype(float)).to_parquet(buf, index=False)
    return buf.getvalue()


@pytest.mark.parametrize(
    "path, content",
    [
        ("m.json", json.dumps(ROWS)),
        ("m.json", json.dumps({"data": ROWS, "has_more": False})),
        ("m.jsonl", "\n".join(json.dumps(r) for r in ROWS) + "\n"),
        ("m.csv.gz", gzip.compress(CSV.encode(), mtime=0)),
        ("m.jsonl.gz", gzip.compress("\n".join(json.dumps(r) for r in ROWS).encode(), mtime=0)),
        ("m.zip", _zip({"m.csv": CSV})),
        ("m.parquet", _parquet()),
    ],
    ids=["json", "json-object", "jsonl", "csv-gz", "jsonl-gz", "zip", "parquet"],
)  # stable ids: xdist
def test_every_format_gives_the_same_mrr(tmp_path, path, content):
    folder = make(tmp_path, MRR_TOML.format(path=path), {path: content})
    assert totals(folder) == EXPECTED


def test_glob_and_list_stack_files_and_rows_name_their_file(tmp_path):
    jan, feb = CSV.splitlines()[:2], [CSV.splitlines()[0]] + CSV.splitlines()[2:]
    files = {"exports/jan.csv": "\n".join(jan) + "\n", "exports/feb.csv": "\n".join(feb) + "\n"}
    assert totals(make(tmp_path, MRR_TOML.format(path="exports/*.csv"), files)) == EXPECTED
    listed = MRR_TOML.format(path="x").replace('path = "x"', 'path = ["exports/jan.csv", "exports/feb.csv"]')
    assert totals(make(tmp_path, listed, files, name="listed")) == EXPECTED
    # A bad cell in the second file is reported in that file, at its own row (3).
    files["exports/feb.csv"] = files["exports/feb.csv"].replace("b,2024-02,7", "b,2024-02,seven")
    (p,) = validate_company(make(tmp_path, MRR_TOML.format(path="exports/*.csv"), files, name="bad")).errors
    assert (p.file, p.row, p.column) == ("exports/feb.csv", 3, "MRR")
    (p,) = validate_company(make(tmp_path, MRR_TOML.format(path="none/*.csv"), {}, name="none")).errors
    assert "No file in the company folder matches 'none/*.csv'" in p.message


def test_zip_stacks_its_files_or_the_one_matching(tmp_path):
    members = {
        "jan.csv": "\n".join(CSV.splitlines()[:2]) + "\n",
        "feb.csv": "\n".join([CSV.splitlines()[0]] + CSV.splitlines()[2:]) + "\n",
        "README.txt": "x",
    }
    toml = MRR_TOML.format(path="e.zip") + 'member = "*.csv"\n'
    assert totals(make(tmp_path, toml, {"e.zip": _zip(members)})) == EXPECTED
    only = MRR_TOML.format(path="e.zip") + 'member = "jan.csv"\n'
    assert totals(make(tmp_path, only, {"e.zip": _zip(members)}, name="one")) == {M("2024-01"): 10.5}


# ---------------------------------------------------------------------------- dates and months


def test_month_forms_are_read_as_their_first_day():
    s = pd.Series(["Jan-24", "Nov-24", "11/24", "202401", "03/2024", "2024-3", "March 2024", "Sept 2024"])
    months, bad = parse_months(s)
    assert not bad.any()
    assert [str(m) for m in months] == [
        "2024-01",
        "2024-11",
        "2024-11",
        "2024-01",
        "2024-03",
        "2024-03",
        "2024-03",
        "2024-09",
    ]


def test_epoch_excel_serial_and_percent_s():
    # 1704067200 s = 2024-01-01T00:00Z; 1706745600000 ms = 2024-02-01; Excel serial 45292 = 2024-01-01.
    assert parse_dates(pd.Series(["1704067200"]), "epoch")[0].iloc[0] == pd.Timestamp("2024-01-01")
    assert parse_dates(pd.Series(["1704067200"]), "%s")[0].iloc[0] == pd.Timestamp("2024-01-01")
    assert parse_dates(pd.Series([1706745600000]), "epoch_ms")[0].iloc[0] == pd.Timestamp("2024-02-01")
    assert parse_dates(pd.Series(["45292"]))[0].iloc[0] == pd.Timestamp("2024-01-01")
    assert parse_dates(pd.Series([45292.0]))[0].iloc[0] == pd.Timestamp("2024-01-01")
    values, bad = parse_dates(pd.Series(["1704067200", "soon"]), "epoch")
    assert bad.tolist() == [False, True]


def test_object_dates_and_text_are_read_once_per_distinct_value_with_blanks_kept():
    # Parquet dates arrive as datetime.date objects; Excel text as str objects with spaces.
    # Rows: 2024-01-02, blank (None), 2024-01-01, blank (NaN), 2024-01-02 again.
    days = pd.Series([dt.date(2024, 1, 2), None, dt.date(2024, 1, 1), np.nan, dt.date(2024, 1, 2)], dtype=object)
    values, bad = parse_dates(days)
    assert values.tolist()[::2] == [pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-02")]
    assert values.isna().tolist() == [False, True, False, True, False] and not bad.any()
    # " 2024-03-01" and "2024-03-01 " are one date; "  " is blank, not bad; "soon" is bad.
    texts = pd.Series([" 2024-03-01", "soon", "2024-03-01 ", "  "], dtype=object)
    values, bad = parse_dates(texts)
    assert values.tolist()[0] == values.tolist()[2] == pd.Timestamp("2024-03-01")
    assert bad.tolist() == [False, True, False, False]


def test_day_month_order_is_one_per_column():
    # 13/02/2024 can only be day-first, so 03/04/2024 in the same column is 3 April, not March 4.
    values, bad = parse_dates(pd.Series(["13/02/2024", "03/04/2024"]))
    assert values.tolist() == [pd.Timestamp("2024-02-13"), pd.Timestamp("2024-04-03")] and not bad.any()
    # Both orders shown (13/02 and 02/13): every ambiguous or minority value is refused.
    values, bad = parse_dates(pd.Series(["13/02/2024", "02/13/2024", "03/04/2024", "14/02/2024"]))
    assert bad.tolist() == [False, True, True, False]


def test_timezone_offsets_keep_the_date_written(tmp_path):
    # 23:30 at -05:00 is 04:30 UTC the next day; the export means 31 January (local).
    folder = make(
        tmp_path,
        '[inputs.transactions]\npath = "t.csv"\n',
        {"t.csv": "customer_id,date,amount\na,2024-01-31T23:30:00-05:00,5\nb,2024-02-01T10:00:00Z,7\n"},
    )
    company = load_company(folder)
    assert company.frames["transactions"]["date"].tolist() == [
        pd.Timestamp("2024-01-31 23:30"),
        pd.Timestamp("2024-02-01 10:00"),
    ]
    assert any("time-zone offsets" in w.message and w.column == "date" for w in company.warnings)


def test_mixed_date_orders_in_a_file_name_the_rows(tmp_path):
    folder = make(
        tmp_path,
        '[inputs.transactions]\npath = "t.csv"\n',
        {"t.csv": "customer_id,date,amount\na,13/02/2024,5\nb,02/14/2024,7\nc,15/02/2024,1\n"},
    )
    (p,) = validate_company(folder).errors
    assert (p.row, p.column) == (3, "date") and "mixes day-first dates" in p.message


def test_wide_months_written_nov_24_and_11_24(tmp_path, capsys):
    # Customer a: 100 in Nov-24 and 120 in Dec-24; b 50 in Dec-24 -> Dec total 170.
    for i, header in enumerate(("Customer,Nov-24,Dec-24", "Customer,11/24,12/24")):
        folder = make(
            tmp_path,
            '[inputs.mrr]\npath = "m.csv"\nlayout = "wide"\ncolumns = { customer_id = "Customer" }\n',
            {"m.csv": f"{header}\na,100,120\nb,,50\n"},
            name=f"w{i}",
        )
        code, text = validate_cli(folder, capsys)
        assert code == 0 and "Traceback" not in text
        assert totals(folder) == {M("2024-11"): 100.0, M("2024-12"): 170.0}


# ---------------------------------------------------------------------------- numbers


def test_accounting_numbers():
    values, bad = parse_numbers(pd.Series(["$1,234.00", "(1,234.00)", "-", "12%", "€ 99", "1 234,5", "USD 5"]))
    # "1 234,5" with decimal "." is refused (the comma is not a thousands group of three).
    assert values.tolist()[:5] == [1234.0, -1234.0, pytest.approx(np.nan, nan_ok=True), 0.12, 99.0]
    assert bad.tolist() == [False, False, False, False, False, True, False] and values.iloc[6] == 5.0


def test_decimal_comma_without_thousands_reads_12_000_as_twelve_thousand():
    values, bad = parse_numbers(pd.Series(["12.000", "1.250,50", "12,5", "12.5"]), decimal=",")
    # 12.000 -> 12000; 1.250,50 -> 1250.5; 12,5 -> 12.5; 12.5 contradicts decimal "," -> error.
    assert values.tolist()[:3] == [12000.0, 1250.5, 12.5] and bad.tolist() == [False, False, False, True]


def test_non_finite_and_absurd_numbers_are_errors(tmp_path):
    folder = make(
        tmp_path,
        MRR_TOML.format(path="m.csv"),
        {"m.csv": "Customer,Month,MRR\na,2024-01,inf\nb,2024-01,1e300\nc,2024-01,5\n"},
    )
    errors = validate_company(folder).errors
    assert [(p.row, p.column) for p in errors] == [(2, "MRR"), (3, "MRR")]
    assert "not a finite number" in errors[0].message and "implausibly large" in errors[1].message


def test_values_are_case_insensitive_with_a_default(tmp_path):
    folder = make(
        tmp_path,
        """
[inputs.mrr]
path = "m.csv"
[inputs.contracts]
path = "c.csv"
defaults = { revenue_type = "contracted_recurring" }
[inputs.contracts.values.billing]
Monthly = "monthly"
"*" = "annual"
""",
        {
            "m.csv": "customer_id,month,mrr\na,2024-01,1\n",
            "c.csv": "contract_id,customer_id,start_date,end_date,mrr,billing\nk1,a,2024-01-01,,5,MONTHLY\n"
            "k2,a,2024-01-01,,5,Yearly\nk3,a,2024-01-01,,5,monthly\n",
        },
    )
    assert load_company(folder).frames["contracts"]["billing"].tolist() == ["monthly", "annual", "monthly"]


# ---------------------------------------------------------------------------- report layouts


def test_title_lines_comment_lines_and_header_row(tmp_path):
    body = "# exported 2024-03-01\nCustomer,Month,MRR\n# note\na,2024-01,10.5\na,2024-02,12\nb,2024-02,7\n"
    folder = make(tmp_path, MRR_TOML.format(path="m.csv") + 'comment = "#"\n', {"m.csv": body})
    assert totals(folder) == EXPECTED
    # Title lines above the header are found; header_row names it (1-based) when they look like data.
    titled = "Acme Inc\nMRR report\n\n" + CSV
    assert totals(make(tmp_path, MRR_TOML.format(path="m.csv"), {"m.csv": titled}, name="auto")) == EXPECTED
    toml = MRR_TOML.format(path="m.csv") + "header_row = 4\n"
    assert totals(make(tmp_path, toml, {"m.csv": titled}, name="row4")) == EXPECTED
    bad = titled.replace("b,2024-02,7", "b,2024-02,x")
    (p,) = validate_company(make(tmp_path, toml, {"m.csv": bad}, name="rows")).errors
    assert p.row == 7  # 3 title lines + header (4) + three data rows: the last is line 7


def test_xlsx_title_rows_footer_and_header_row(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    for row in (
        ["MRR by customer"],
        [],
        ["Customer", "Month", "MRR"],
        ["a", "2024-01", 10.5],
        ["a", "2024-02", 12],
        ["b", "2024-02", 7],
        ["Copyright Acme"],
    ):
        sheet.append(row)
    book.save(tmp_path / "m.xlsx")
    folder = make(
        tmp_path,
        MRR_TOML.format(path="m.xlsx") + 'footer = ["Copyright*"]\n',
        {"m.xlsx": (tmp_path / "m.xlsx").read_bytes()},
    )
    assert totals(folder) == EXPECTED


def test_xlsx_formula_without_saved_value_is_an_error_naming_cells(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    for row in (["Customer", "Month", "MRR"], ["a", "2024-01", 10], ["b", "2024-01", "=C2*2"]):
        sheet.append(row)
    book.save(tmp_path / "m.xlsx")  # openpyxl saves formulas without computing them
    folder = make(tmp_path, MRR_TOML.format(path="m.xlsx"), {"m.xlsx": (tmp_path / "m.xlsx").read_bytes()})
    (p,) = validate_company(folder).errors
    assert p.file == "m.xlsx" and "formula cells without a saved value (C3)" in p.message


@pytest.mark.parametrize(
    "label", ["Subtotal SMB", "Grand total EMEA", "Self-serve total", "TOTAL (2 customers)", "Summe"]
)
def test_subtotal_rows_however_labelled_are_left_out(tmp_path, label):
    # a subtotal line in the middle of an MRR export: counted as a customer it doubled MRR
    body = f"Customer,Month,MRR\na,2024-01,100\nb,2024-01,200\n{label},2024-01,300\nc,2024-01,50\n"
    folder = make(tmp_path, MRR_TOML.format(path="m.csv"), {"m.csv": body})
    assert totals(folder) == {M("2024-01"): 350.0}
    assert any("labelled as a total" in w.message for w in load_company(folder).warnings)


def test_a_customer_called_total_something_is_kept(tmp_path):
    body = "Customer,Month,MRR\na,2024-01,100\nTotal Wine & More,2024-01,200\n"
    folder = make(tmp_path, MRR_TOML.format(path="m.csv"), {"m.csv": body})
    assert totals(folder) == {M("2024-01"): 300.0}


SEGMENT_TOML = MRR_TOML.format(path="m.csv") + 'dimensions = ["Segment"]\n'


def test_a_total_name_row_summing_its_block_is_a_subtotal_and_a_customer_so_named_is_kept(tmp_path):
    # An MRR export grouped by segment. Enterprise: Acme 1,000 + Globex 2,500 = 3,500, printed
    # as "Total Enterprise". SMB: Initech 100 and a customer called "Total Wine & More" paying
    # 250, which is no sum of the rows above (its block since the subtotal is Initech alone).
    # MRR = 1,000 + 2,500 + 100 + 250 = 3,850 (it was 7,350 with the subtotal counted).
    body = (
        "Customer,Segment,Month,MRR\n"
        "Acme,Enterprise,2024-01,1000\n"
        "Globex,Enterprise,2024-01,2500\n"
        "Total Enterprise,,2024-01,3500\n"
        "Initech,SMB,2024-01,100\n"
        "Total Wine & More,SMB,2024-01,250\n"
    )
    folder = make(tmp_path, SEGMENT_TOML, {"m.csv": body})
    assert totals(folder) == {M("2024-01"): 3850.0}
    company = load_company(folder)
    (w,) = [w for w in company.warnings if "subtotal" in w.message]
    assert (w.file, w.row) == ("m.csv", 4) and "'Total Enterprise'" in w.message and "rows 2, 3" in w.message
    assert "Total Wine & More" in set(company.frames["mrr"]["customer_id"])


def test_a_total_name_row_equal_to_its_segment_in_its_month_is_a_subtotal(tmp_path):
    # Sorted by customer, with the Enterprise subtotal of each month printed at the end (its
    # label in the segment column, then in the customer column):
    # Jan = Acme 1,000 + Globex 2,500 = 3,500; Feb = 1,000 + 3,000 = 4,000. Initech (SMB) pays
    # 100 a month, the customer "Total Wine & More" (Retail) 300 then 320: no sum of any rows.
    # MRR: Jan 1,000 + 2,500 + 100 + 300 = 3,900; Feb 1,000 + 3,000 + 100 + 320 = 4,420
    # (it was 7,400 and 8,420 with the subtotals counted as a customer).
    body = (
        "Customer,Segment,Month,MRR\n"
        "Acme,Enterprise,2024-01,1000\n"
        "Acme,Enterprise,2024-02,1000\n"
        "Globex,Enterprise,2024-01,2500\n"
        "Globex,Enterprise,2024-02,3000\n"
        "Initech,SMB,2024-01,100\n"
        "Initech,SMB,2024-02,100\n"
        "Total Wine & More,Retail,2024-01,300\n"
        "Total Wine & More,Retail,2024-02,320\n"
        ",Total Enterprise,2024-01,3500\n"
        "Total Enterprise,,2024-02,4000\n"
    )
    folder = make(tmp_path, SEGMENT_TOML, {"m.csv": body})
    assert totals(folder) == {M("2024-01"): 3900.0, M("2024-02"): 4420.0}
    notes = sorted((w.row, w.message) for w in load_company(folder).warnings if "subtotal" in w.message)
    assert [r for r, _ in notes] == [10, 11]
    assert "rows 2, 4" in notes[0][1] and "rows 3, 5" in notes[1][1]


def test_a_customer_equal_to_one_other_row_on_its_plan_is_kept(tmp_path):
    # Flat prices: the customer "Total Pro" pays 99 on Pro, as Alpen Bau does; no subtotal
    # sums one row. By hand: Jan Alpen 99 + Bergblick 49 + Total Pro 99 = 247; Feb + Casa
    # Verde 49 = 296; Mar + Delta Dental 99 = 395. (Total Pro was dropped in Jan and Feb as
    # "the sum of rows 2": 148 / 197, and it came back in March as a new customer.)
    body = (
        "Customer,Plan,Month,MRR\n"
        "Alpen Bau GmbH,Pro,2026-01,99\nBergblick AG,Basic,2026-01,49\nTotal Pro,Pro,2026-01,99\n"
        "Alpen Bau GmbH,Pro,2026-02,99\nBergblick AG,Basic,2026-02,49\nTotal Pro,Pro,2026-02,99\n"
        "Casa Verde SL,Basic,2026-02,49\n"
        "Alpen Bau GmbH,Pro,2026-03,99\nBergblick AG,Basic,2026-03,49\nTotal Pro,Pro,2026-03,99\n"
        "Casa Verde SL,Basic,2026-03,49\nDelta Dental,Pro,2026-03,99\n"
    )
    folder = make(tmp_path, MRR_TOML.format(path="m.csv") + 'dimensions = ["Plan"]\n', {"m.csv": body})
    assert totals(folder) == {M("2026-01"): 247.0, M("2026-02"): 296.0, M("2026-03"): 395.0}
    assert not [w for w in load_company(folder).warnings if "Total Pro" in w.message]


def test_a_customer_equal_to_its_block_in_one_month_only_is_kept_with_a_warning(tmp_path):
    # "Total Expert GmbH" pays 148, which is Alpen 99 + Bergblick 49 above it in January by
    # chance. In February the rows above it are the whole file (its own January row closes no
    # block): 99 + 49 + 148 + 99 + 49 = 444, not 148, so it is a customer in both months.
    # MRR: Jan 99 + 49 + 148 = 296; Feb 99 + 49 + 148 + Casa 49 = 345 (it was 148 / 197).
    body = (
        "Customer,Plan,Month,MRR\n"
        "Alpen Bau GmbH,Pro,2026-01,99\nBergblick AG,Basic,2026-01,49\nTotal Expert GmbH,Pro,2026-01,148\n"
        "Alpen Bau GmbH,Pro,2026-02,99\nBergblick AG,Basic,2026-02,49\nTotal Expert GmbH,Pro,2026-02,148\n"
        "Casa Verde SL,Basic,2026-02,49\n"
    )
    folder = make(tmp_path, MRR_TOML.format(path="m.csv") + 'dimensions = ["Plan"]\n', {"m.csv": body})
    assert totals(folder) == {M("2026-01"): 296.0, M("2026-02"): 345.0}
    (w,) = [w for w in load_company(folder).warnings if "Total Expert" in w.message]
    assert (w.file, w.row, w.severity) == ("m.csv", 4, "warning")
    assert "kept as a customer" in w.message and "row 4 equals the sum of rows 2, 3, but row 7" in w.message


WIDE_SEGMENT_TOML = (
    '[inputs.mrr]\npath = "m.csv"\nlayout = "wide"\ncolumns = { customer_id = "Customer" }\ndimensions = ["Segment"]\n'
)


def segment_blocks(total: str) -> str:
    """A wide MRR sheet: Enterprise (Acme 1,000 / 1,000 / 1,200, Beta 2,000 each month) and SMB
    (Gamma 100 each month, Delta 50 / 50 / 0) blocks, each closed by ``total`` + its segment."""
    return (
        "Customer,Segment,2026-01,2026-02,2026-03\n"
        "Acme Corp,Enterprise,1000,1000,1200\nBeta Inc,Enterprise,2000,2000,2000\n"
        f"{total}Enterprise,,3000,3000,3200\n"
        f"Gamma LLC,SMB,100,100,100\nDelta Ltd,SMB,50,50,0\n{total}SMB,,150,150,100\n"
    )


def test_total_colon_name_subtotals_are_left_out(tmp_path):
    # Enterprise: Acme 1,000 / 1,000 / 1,200 + Beta 2,000 each month = "Total: Enterprise" 3,000 /
    # 3,000 / 3,200; SMB: Gamma 100 + Delta 50 / 50 / 0 = "Total: SMB" 150 / 150 / 100.
    # MRR: Jan 3,000 + 150 = 3,150; Feb 3,150; Mar 3,200 + 100 = 3,300 (it was 6,600 in March:
    # "Total:" with no space was read as two customers).
    body = segment_blocks("Total: ") + "Grand Total,,3150,3150,3300\n"
    folder = make(tmp_path, WIDE_SEGMENT_TOML, {"m.csv": body})
    assert totals(folder) == {M("2026-01"): 3150.0, M("2026-02"): 3150.0, M("2026-03"): 3300.0}
    notes = [w for w in load_company(folder).warnings if "subtotal" in w.message]
    assert [(w.row, "rows 2, 3" in w.message or "rows 5, 6" in w.message) for w in notes] == [(4, True), (7, True)]


def test_an_outer_total_over_subtotals_is_a_subtotal_and_the_next_block_is_read(tmp_path):
    # EMEA = Total Enterprise 3,000 + Total SMB 150 = 3,150 (Jan), i.e. Acme + Beta + Gamma +
    # Delta; Americas = Epsilon 500 + Zeta 80 = 580. MRR: Jan 3,150 + 580 = 3,730; Mar 1,200 +
    # 2,000 + 100 + 0 + 500 + 80 = 3,880; 6 customers (Delta at 0 in March). It was 7,760 in
    # March: "Total EMEA" counted, and its 3,150 then made "Total Americas" no sum of its block.
    body = segment_blocks("Total ") + (
        "Total EMEA,,3150,3150,3300\n"
        "Epsilon Inc,Enterprise,500,500,500\nZeta Co,SMB,80,80,80\nTotal Americas,,580,580,580\n"
    )
    folder = make(tmp_path, WIDE_SEGMENT_TOML, {"m.csv": body})
    assert totals(folder) == {M("2026-01"): 3730.0, M("2026-02"): 3730.0, M("2026-03"): 3880.0}
    company = load_company(folder)
    assert sorted(set(company.frames["mrr"]["customer_id"])) == [
        "Acme Corp",
        "Beta Inc",
        "Delta Ltd",
        "Epsilon Inc",
        "Gamma LLC",
        "Zeta Co",
    ]
    notes = {w.row: w.message for w in company.warnings if "subtotal" in w.message}
    assert sorted(notes) == [4, 7, 8, 11]
    assert "rows 2, 3, 5, 6" in notes[8] and "rows 9, 10" in notes[11]


def test_total_row_under_a_wide_sheet_is_left_out(tmp_path):
    # Customers a (100, 110) and b (200, 190); the Total row (300, 300) is not a customer.
    # ARR in Feb = (110 + 190) x 12 = 3,600, not 7,200.
    body = "Customer,2024-01,2024-02\na,100,110\nb,200,190\nTotal,300,300\n"
    folder = make(
        tmp_path,
        '[inputs.mrr]\npath = "m.csv"\nlayout = "wide"\ncolumns = { customer_id = "Customer" }\n',
        {"m.csv": body},
    )
    company = load_company(folder)
    assert totals(folder) == {M("2024-01"): 300.0, M("2024-02"): 300.0}
    (w,) = [w for w in company.warnings if "left out" in w.message]
    assert w.row == 4 and "labelled as a total" in w.message
    # Unlabelled: a last row equal to the column sums is a total too.
    unlabelled = body.replace("Total,", "zz,")
    company = load_company(
        make(
            tmp_path,
            company.config.inputs["mrr"].__class__
            and '[inputs.mrr]\npath = "m.csv"\nlayout = "wide"\ncolumns = { customer_id = "Customer" }\n',
            {"m.csv": unlabelled},
            name="sums",
        )
    )
    assert set(company.frames["mrr"]["customer_id"]) == {"a", "b"}


def test_long_segment_values_and_header_only_files_do_not_crash(tmp_path, capsys):
    long = "S" * 310
    folder = make(
        tmp_path,
        MRR_TOML.format(path="m.csv") + 'dimensions = ["segment"]\n',
        {"m.csv": f"Customer,Month,MRR,segment\na,2024-01,1,{long}\n"},
    )
    assert load_company(folder).frames["mrr"]["segment"].iloc[0] == long
    empty = make(tmp_path, MRR_TOML.format(path="m.csv"), {"m.csv": "Customer,Month,MRR\n"}, name="empty")
    code, text = validate_cli(empty, capsys)
    assert code == 1 and "Traceback" not in text and "has no data rows" in text


def test_whole_hundreds_that_may_be_cents_are_warned_about(tmp_path):
    # a 29 / 49 / 99 plan exported in cents: MRR 17,700 read as units is 100x the real 177.00
    body = "Customer,Month,MRR\na,2024-01,2900\nb,2024-01,4900\nc,2024-01,9900\n"
    folder = make(tmp_path, MRR_TOML.format(path="m.csv"), {"m.csv": body})
    (w,) = [w for w in load_company(folder).warnings if "multiple of 100" in w.message]
    assert "100 times too large" in w.message and w.severity == "warning"
    # said once amount_unit says what they are
    units = make(tmp_path, MRR_TOML.format(path="m.csv") + 'amount_unit = "units"\n', {"m.csv": body}, name="units")
    assert not [w for w in load_company(units).warnings if "multiple of 100" in w.message]


def test_dates_that_could_be_either_order_are_read_month_first_with_a_warning(tmp_path):
    # no day above 12: 02/03/2024 is 3 February (US) or 2 March (most of Europe); nothing says which
    body = "Customer,Month,MRR\na,01/03/2024,100\nb,02/03/2024,200\n"
    folder = make(tmp_path, MRR_TOML.format(path="m.csv"), {"m.csv": body})
    (w,) = [w for w in load_company(folder).warnings if "day first or month first" in w.message]
    assert "01/03/2024" in w.message and "dayfirst = true" in w.message
    assert totals(folder) == {M("2024-01"): 100.0, M("2024-02"): 200.0}  # read month first
    # a day above 12 shows the order: no warning; dayfirst = true said it: none either
    shown = make(tmp_path, MRR_TOML.format(path="m.csv"), {"m.csv": body + "c,25/03/2024,50\n"}, name="shown")
    assert not [w for w in load_company(shown).warnings if "day first or month first" in w.message]
    said = make(tmp_path, MRR_TOML.format(path="m.csv") + "dayfirst = true\n", {"m.csv": body}, name="said")
    assert not [w for w in load_company(said).warnings if "day first or month first" in w.message]
