"""kpis.xlsx and portfolio_kpis.xlsx: the same numbers as the CSVs, formatted per unit,
headers frozen, the policies in force; files readable by others; no stale tables."""

from __future__ import annotations

import math
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from test_kpis import tiny_company
from test_portfolio import fast_pack, make_portfolio

from reportlib.cli import main
from reportlib.kpis import KPI_COLUMNS
from reportlib.kpis.builder import EXTRA_COLUMNS
from reportlib.portfolio import run_portfolio


def _same(a, b) -> bool:
    """Cell and CSV value agree: both blank, equal text, or equal numbers."""
    blank = lambda v: v is None or v == "" or (isinstance(v, float) and math.isnan(v))  # noqa: E731
    if blank(a) or blank(b):
        return blank(a) and blank(b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == pytest.approx(b, rel=1e-12, abs=1e-12)
    return str(a) == str(b)


def _sheet_frame(book, name: str) -> pd.DataFrame:
    rows = list(book[name].values)
    return pd.DataFrame(rows[1:], columns=rows[0])


@pytest.fixture(scope="module")
def kpis_run(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("excel")
    company = tiny_company(root / "tiny")
    assert main(["kpis", str(company), "--out", str(root / "out")]) == 0
    return next((root / "out" / "tiny").iterdir())


def test_kpis_xlsx_holds_the_csv_numbers(kpis_run: Path) -> None:
    book = load_workbook(kpis_run / "kpis.xlsx")
    csv = pd.read_csv(kpis_run / "kpis.csv", keep_default_na=False, na_values=[""])
    assert list(csv.columns) == KPI_COLUMNS + EXTRA_COLUMNS
    assert set(csv["company"]) == {"tiny"} and set(csv["as_of"]) == {kpis_run.name}
    sheet = _sheet_frame(book, "KPIs")
    assert list(sheet.columns) == list(csv.columns)
    for column in ("value", "prior_value", "change", "kpi", "status"):
        assert all(_same(a, b) for a, b in zip(sheet[column], csv[column], strict=True)), column
    ws = book["KPIs"]
    assert ws.freeze_panes == "A2" and ws["A1"].font.bold
    formats = {
        ws.cell(row=r, column=1).value: ws.cell(row=r, column=4).number_format
        for r in range(2, ws.max_row + 1)
        if isinstance(ws.cell(row=r, column=4).value, (int, float))
    }
    assert formats["nrr"] == "0.0%" and formats["arr"].startswith("#,##0")
    # every table a sheet with the CSV's numbers
    for path in sorted((kpis_run / "tables").glob("*.csv")):
        table = pd.read_csv(path, keep_default_na=False, na_values=[""])
        name = path.stem[:31]
        got = _sheet_frame(book, name)
        assert list(got.columns) == list(table.columns), name
        for column in table.select_dtypes("number").columns:
            assert all(_same(a, b) for a, b in zip(got[column], table[column], strict=True)), (name, column)
    policies = _sheet_frame(book, "Policies")
    assert "cac_lag_months" in set(policies["name"])


def test_files_are_0644_and_a_second_company_leaves_no_stale_tables(kpis_run: Path, tmp_path: Path) -> None:
    for path in [kpis_run / "kpis.csv", kpis_run / "kpis.xlsx", *(kpis_run / "tables").glob("*.csv")]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
    folder = kpis_run
    (folder / "tables" / "from_an_old_run.csv").write_text("x\n1\n")
    company = tiny_company(tmp_path / "tiny")
    assert main(["kpis", str(company), "--as-of", folder.name, "--out", str(folder.parent.parent)]) == 0
    assert not (folder / "tables" / "from_an_old_run.csv").exists()


def test_portfolio_kpis_xlsx(tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_portfolio(data, n=2, broken=0)
    result = run_portfolio(data, out=tmp_path / "reports", jobs=1, summary=False, progress=False, pack_fn=fast_pack)
    csv = pd.read_csv(result.kpis_csv, keep_default_na=False, na_values=[""])
    sheet = _sheet_frame(load_workbook(result.kpis_csv.with_suffix(".xlsx")), "KPIs")
    assert list(sheet.columns) == list(csv.columns) and len(sheet) == len(csv) > 0
    for column in ("company", "kpi", "value", "prior_value"):
        assert all(_same(a, b) for a, b in zip(sheet[column], csv[column], strict=True)), column


def test_quarters_as_of(tmp_path: Path) -> None:
    """2026Q3 -> 2026-09; FY quarters follow the company's fiscal_year_start_month."""
    from reportlib.cli import as_of_month

    assert as_of_month("2026Q3") == "2026-09" and as_of_month("2026-q1") == "2026-03"
    assert as_of_month("FY2027Q1") == "2027-03"  # calendar fiscal year: Jan-Mar 2027
    assert as_of_month("FY2027Q1", 4) == "2026-06"  # April start: FY2027 = Apr 2026 - Mar 2027
    assert as_of_month("FY2027Q4", 4) == "2027-03" and as_of_month("2026-09-15") == "2026-09-15"
    company = tiny_company(tmp_path / "tiny")  # data 2025-01 .. 2026-03
    toml = company / "company.toml"
    toml.write_text(
        toml.read_text().replace("[company]", "[policies]\nfiscal_year_start_month = 4\n\n[company]", 1)
        if "[policies]" not in toml.read_text()
        else toml.read_text()
    )
    assert main(["kpis", str(company), "--as-of", "FY2026Q3", "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "tiny" / "2025-12" / "kpis.csv").is_file()  # Oct-Dec 2025


def test_a_fiscal_year_as_of(tmp_path: Path) -> None:
    """``--as-of FY2026`` is the fiscal year's last month, as FY2026Q4 is (it was refused as
    'not a month')."""
    from reportlib.cli import as_of_month

    assert as_of_month("FY2026", 4) == "2026-03"  # April start: FY2026 = Apr 2025 - Mar 2026
    assert as_of_month("FY2026") == "2026-12" and as_of_month("FY2026", 2) == "2026-01"  # Feb 2025 - Jan 2026
    company = tiny_company(tmp_path / "tiny")  # data 2025-01 .. 2026-03
    toml = company / "company.toml"
    toml.write_text(toml.read_text().replace("[company]", "[policies]\nfiscal_year_start_month = 4\n\n[company]", 1))
    out = tmp_path / "out"
    assert main(["kpis", str(company), "--as-of", "FY2026", "--window", "year", "--out", str(out)]) == 0
    kpis = pd.read_csv(out / "tiny" / "2026-03" / "kpis.csv")  # the year April 2025 - March 2026
    assert set(kpis["as_of"].astype(str)) == {"2026-03"}


def test_workbook_cells_round_trip_through_openpyxl(tmp_path: Path) -> None:
    """The hand-written SpreadsheetML reads back cell for cell: text escaped (a control
    character XML cannot hold is dropped), blanks empty, numbers formatted per column."""
    from reportlib.kpis.excel import write_workbook

    frame = pd.DataFrame(
        {
            "text": pd.array(["a & <b>", "tab\x01stop", None], dtype="string"),
            "flag": [True, False, True],
            "count": np.array([1, 2, 3], dtype=np.int64),
            "money": [1.5, float("nan"), 0.1 + 0.2],
            "month": pd.period_range("2026-01", periods=3, freq="M"),
        }
    )
    wide = pd.DataFrame({f"c{i}": [i] for i in range(28)})  # columns past Z: AA, AB
    path = write_workbook(tmp_path / "t.xlsx", {"T": frame, "wide": wide}, {"T": {"count": ["0", "0.0", "0.00"]}})
    book = load_workbook(path)
    rows = list(book["T"].values)
    assert rows[0] == ("text", "flag", "count", "money", "month")
    assert rows[1] == ("a & <b>", True, 1, 1.5, "2026-01")
    assert rows[2] == ("tabstop", False, 2, None, "2026-02")
    assert rows[3] == (None, True, 3, 0.30000000000000004, "2026-03")  # 0.1 + 0.2 exactly as stored
    sheet = book["T"]
    assert sheet["A1"].font.bold and sheet.freeze_panes == "A2"
    assert [sheet.cell(row=r, column=3).number_format for r in (2, 3, 4)] == ["0", "0.0", "0.00"]
    assert sheet["D2"].number_format == "#,##0.00" and sheet["B2"].number_format == "General"
    assert list(book["wide"].values)[1][26:] == (26, 27) and book["wide"]["AB1"].value == "c27"


def _cells(book, sheet: str, kpi: str) -> dict:
    """The KPI sheet's cells of one KPI, by column name."""
    ws = book[sheet]
    heads = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == kpi)
    return dict(zip(heads, row, strict=True))


def test_kpi_sheet_formats_each_unit_and_a_ratio_change_in_points(kpis_run: Path) -> None:
    """Tiny at 2026-03: ARR 2,160 (A 100 + C 80 a month, x12) against 3,600 a quarter
    before (A 100 + B 200): change 2160 / 3600 - 1 = -0.4, a relative change shown
    "-40.0%". Logo churn 0.5 (B gone, 1 of 2) against 0.0: change 0.5 - 0.0 = 0.5, a
    difference of fractions, i.e. +50 points, not a relative "+50%"."""
    book = load_workbook(kpis_run / "kpis.xlsx")
    arr, churn = _cells(book, "KPIs", "arr"), _cells(book, "KPIs", "logo_churn_rate")
    assert (arr["value"].value, arr["prior_value"].value, arr["change"].value) == (2160, 3600, pytest.approx(-0.4))
    assert arr["value"].number_format == '#,##0 "EUR"'
    assert arr["change"].number_format == "+0.0%;-0.0%;0.0%"
    assert (churn["value"].value, churn["prior_value"].value, churn["change"].value) == (0.5, 0.0, 0.5)
    assert churn["value"].number_format == "0.0%"
    assert churn["change"].number_format == '+0.0%" pts";-0.0%" pts";0.0%" pts"'  # 0.5 reads "+50.0% pts"
    customers = _cells(book, "KPIs", "customers")  # 2 against 2
    assert customers["value"].number_format == "#,##0" and customers["change"].value == 0


def test_table_sheets_are_formatted_in_their_units(kpis_run: Path) -> None:
    """Each table column in its unit: the MRR bridge's movements in euros, its customer
    counts as counts; a cohort table's value as a share, its age in months."""
    book = load_workbook(kpis_run / "kpis.xlsx")
    bridge = book["mrr_bridge"]
    heads = {c.value: c.column for c in bridge[1]}
    last = bridge.max_row  # 2026-03: opening 150 (A 100 + C 50), closing 180
    assert bridge.cell(last, heads["opening_mrr"]).value == 150
    assert bridge.cell(last, heads["closing_mrr"]).value == 180
    assert bridge.cell(last, heads["closing_mrr"]).number_format == '#,##0 "EUR"'
    assert bridge.cell(last, heads["churned_customers"]).number_format == "#,##0"
    cohorts = book["cohorts_nrr"]
    assert [c.value for c in cohorts[1]] == ["cohort", "age_months", "value"]
    assert cohorts["B2"].number_format == '0.0" mo"' and cohorts["C2"].number_format == "0.0%"


def test_rows_in_their_own_units_and_differences_signed() -> None:
    """A table whose rows differ in unit (reconciliation: one row of revenue, one of NRR)
    formats each row in its own; a difference is signed, a ratio's in points; a column the
    registry does not know keeps the plain number format."""
    from reportlib.kpis.excel import table_formats

    reconciliation = pd.DataFrame(
        {"kpi": ["revenue", "nrr"], "value_a": [1000.0, 1.05], "value_b": [900.0, 1.02], "relative": [0.1, 0.03]}
    ).assign(difference=[100.0, 0.03])
    formats = table_formats("reconciliation", reconciliation, "GBP")
    assert formats["value_a"] == ['#,##0 "GBP"', "0.0%"] and formats["value_b"] == formats["value_a"]
    assert formats["difference"] == ['+#,##0 "GBP";-#,##0 "GBP";#,##0 "GBP"', '+0.0%" pts";-0.0%" pts";0.0%" pts"']
    assert formats["relative"] == ["0.0%", "0.0%"] and "kpi" not in formats
    compare = pd.DataFrame(
        {"kpi": ["quick_ratio"], "unit": ["multiple"], "SMB": [2.5], "Enterprise": [4.0], "difference": [1.5]}
    )
    got = table_formats("compare_kpis", compare, "EUR")  # one column per compared segment
    assert got == {"SMB": ['0.0"x"'], "Enterprise": ['0.0"x"'], "difference": ['+0.0"x";-0.0"x";0.0"x"']}
    assert table_formats("a_notebook_table", pd.DataFrame({"widgets": [1.5]}), "EUR") == {}


def test_blank_text_is_an_empty_cell_and_numbers_are_numbers(kpis_run: Path) -> None:
    """kpis.csv's blank notes and statuses are empty cells, not text of no characters; the
    policies are numbers where they are numbers (fiscal_year_start_month 1, pacing_amber
    0.9) and words where they are words ("none", "false")."""
    book = load_workbook(kpis_run / "kpis.xlsx")
    assert not [c.coordinate for ws in book for row in ws.iter_rows() for c in row if c.value == ""]
    assert _cells(book, "KPIs", "arr")["note"].value is None
    policies = {r[1]: r[2] for r in book["Policies"].iter_rows(min_row=2, values_only=True)}
    assert policies["fiscal_year_start_month"] == 1 and policies["pacing_amber"] == 0.9
    assert policies["reactivation_window_months"] == "none" and policies["mrr_includes_uncontracted"] == "false"


def test_sensitivity_policy_values_are_numbers_in_the_workbook(tmp_path: Path) -> None:
    """The sensitivity table's policy values are text in the CSV ("none", "3"); the sheet
    holds 3 and 6 as numbers and keeps "none" as a word."""
    from reportlib.kpis.builder import _numbers_as_numbers

    table = pd.DataFrame(
        {
            "kpi": ["arr"] * 3,
            "policy": ["reactivation_window_months"] * 3,
            "policy_value": ["none", "3", "0.5"],
            "kpi_value": [1.0, 2.0, 3.0],
            "in_force": [True, False, False],
        }
    )
    sheet = _numbers_as_numbers("sensitivity", table)
    assert sheet["policy_value"].tolist() == ["none", 3, 0.5]
    assert table["policy_value"].tolist() == ["none", "3", "0.5"]  # the CSV's table untouched
    from reportlib.kpis.excel import write_workbook

    book = load_workbook(write_workbook(tmp_path / "s.xlsx", {"sensitivity": sheet}))
    assert [r[2] for r in book["sensitivity"].iter_rows(min_row=2, values_only=True)] == ["none", 3, 0.5]


def test_an_override_value_keeps_every_digit(tmp_path: Path) -> None:
    """An override of ARR at 1,234,567.89 is the number 1234567.89 on the Policies sheet
    (it was the text "1.23457e+06": six digits, a number a model cannot add)."""
    company = tiny_company(tmp_path / "tiny")
    override = '\n[[overrides]]\nkpi = "arr"\nperiod = "2026Q1"\nvalue = 1234567.89\nreason = "CFO restated"\n'
    (company / "company.toml").write_text((company / "company.toml").read_text() + override)
    assert main(["kpis", str(company), "--as-of", "2026Q1", "--out", str(tmp_path / "out")]) == 0
    book = load_workbook(next((tmp_path / "out" / "tiny").iterdir()) / "kpis.xlsx")
    rows = [r for r in book["Policies"].iter_rows(min_row=2, values_only=True) if r[0] == "override"]
    assert rows == [("override", "arr", 1234567.89, "CFO restated")]
