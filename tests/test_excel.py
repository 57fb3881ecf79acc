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
