"""The broken-company battery: each folder has one defect and must yield its precise message
(file, row as the user sees it, column, sentence) and exit code 1, writing nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES
from reportlib.cli import main
from reportlib.exceptions import ConfigError, InputError
from reportlib.inputs import load_company, validate_company

BROKEN = FIXTURES / "broken"

# defect folder -> (file, row, column, words of the sentence)
EXPECTED = {
    "missing-file": (
        "billing.csv",
        None,
        None,
        "The file billing.csv named in company.toml [inputs.mrr] does not exist",
    ),
    "misspelled-column": (
        "mrr.csv",
        None,
        "Custmer",
        "Column 'Custmer' (mapped to customer_id in company.toml [inputs.mrr]) is not in mrr.csv. Did you mean 'Customer'?",
    ),
    "missing-required-column": ("mrr.csv", None, "mrr", "No column of mrr.csv is mapped to mrr"),
    "unparseable-date": ("contracts.csv", 3, "start", "'2024-02-30' is not a date"),
    "unparseable-number": ("mrr.csv", 3, "mrr", "'1OO' is not a number."),
    "unparseable-month": ("mrr.csv", 3, "month", "'Febuary' is not a month"),
    "european-decimals-unset": ("mrr.csv", 2, "mrr", "'1.250,50' is not a number; set decimal = \",\""),
    "negative-mrr": ("mrr.csv", 3, "mrr", "mrr is negative (-40); MRR must be 0 or more"),
    "negative-contract-value": ("contracts.csv", 2, "tcv", "tcv is negative (-1,200)"),
    "negative-revenue": ("pnl.csv", 3, "revenue", "revenue is negative (-110)"),
    "duplicate-customer-month": (
        "mrr.csv",
        2,
        "customer",
        "Rows 2, 4 repeat customer_id a and month 2024-01; each must appear once",
    ),
    "duplicate-contract-id": ("contracts.csv", 2, "id", "Rows 2, 3 repeat contract_id k1"),
    "duplicate-lead-id": ("leads.csv", 2, "id", "Rows 2, 4 repeat lead_id L1"),
    "mixed-currencies": ("mrr.csv", 3, "Currency", "This row is in USD but the company reports in EUR"),
    "gap-in-financials": ("pnl.csv", None, "month", "Month(s) 2024-03 missing inside the history (2024-01 to 2024-04)"),
    "gap-in-mrr": (
        "mrr.csv",
        None,
        "month",
        "Month(s) 2024-02 missing inside the history (2024-01 to 2024-03): no customer has MRR in it",
    ),
    "recurring-contract-without-end": (
        "contracts.csv",
        3,
        "end",
        "The recurring contract has a total contract value but no end date",
    ),
    "contract-ends-before-start": (
        "contracts.csv",
        2,
        "end",
        "The contract ends on 2024-05-31 before it starts on 2024-06-01.",
    ),
    "unknown-revenue-type": (
        "contracts.csv",
        2,
        "type",
        "'subscription' is not a known revenue_type. Allowed: contracted_recurring, uncontracted_recurring, one_off.",
    ),
    "unknown-billing": (
        "contracts.csv",
        2,
        "billing",
        "'yearly' is not a known billing. Allowed: monthly, quarterly, annual, upfront.",
    ),
    "unknown-outcome": ("deals.csv", 3, "stage", "'Closed Won' is not a known outcome. Allowed: won, lost, open."),
    "nps-score-out-of-range": ("nps.csv", 3, "score", "NPS score 11 is outside 0-10"),
    "invalid-toml": ("company.toml", 2, None, "company.toml is not valid TOML: at line 2, column 18"),
    "unknown-key": (
        "company.toml",
        None,
        "company.curency",
        "Unknown key 'company.curency' in company.toml. Did you mean 'currency'?",
    ),
    "unknown-input-key": ("company.toml", None, "inputs.mrr.colums", "Did you mean 'columns'?"),
    "unknown-input-name": (
        "company.toml",
        None,
        "inputs.mmr",
        "Unknown key 'inputs.mmr' in company.toml. Did you mean 'mrr'?",
    ),
    "bad-stage": (
        "company.toml",
        None,
        "company.stage",
        "company.stage must be one of 'early', 'growth', 'scale', not 'seed'.",
    ),
    "negative-cac-lag": (
        "company.toml",
        None,
        "policies.cac_lag_months",
        "must be 0 or a positive whole number of months.",
    ),
    "path-escape": ("company.toml", None, "inputs.mrr.path", "'../mrr.csv' goes up out of the company folder"),
    "absolute-path": ("company.toml", None, "inputs.mrr.path", "'/etc/passwd' is an absolute path"),
    "wrong-sheet": (
        "billing.xlsx",
        None,
        None,
        "billing.xlsx has no sheet named 'MMR'. Its sheets are: MRR, Summary. Did you mean 'MRR'?",
    ),
    "wide-bad-month-column": ("mrr.csv", None, "Total", "Column 'Total' is not a month."),
    "wide-bad-value": ("mrr.csv", 3, "2024-02", "'n/a' is not a number."),
    "join-duplicate-key": ("deals.csv", 2, "id", "deals.csv has more than one row for id 'L1'"),
    "no-inputs": ("company.toml", None, "inputs", "company.toml names no input files"),
}


def test_battery_is_complete():
    folders = {p.name for p in BROKEN.iterdir() if p.is_dir()}
    assert folders == set(EXPECTED)
    assert len(folders) >= 15


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


@pytest.mark.parametrize("defect", sorted(EXPECTED))
def test_broken_company(defect, tmp_path, monkeypatch, capsys):
    company = tmp_path / defect
    shutil.copytree(BROKEN / defect, company)
    before = _snapshot(tmp_path)
    monkeypatch.chdir(tmp_path)

    code = main(["validate", str(company)])

    out = capsys.readouterr().out
    file, row, column, sentence = EXPECTED[defect]
    assert code == 1
    report = validate_company(company)
    match = [p for p in report.errors if sentence in p.message]
    assert match, f"expected {sentence!r} among {[str(p) for p in report.errors]}"
    p = match[0]
    assert (p.file, p.row, p.column) == (file, row, column), str(p)
    # The printed report carries the same facts, and no traceback.
    assert sentence in out and "Traceback" not in out
    assert file in out and (f"row {row}" in out if row else True)
    assert out.rstrip().splitlines()[-1].startswith(f"{len(report.errors)} error")
    # Nothing written anywhere.
    assert _snapshot(tmp_path) == before
    # The API raises with the same problems.
    with pytest.raises(InputError) as exc:
        load_company(company)
    assert any(sentence in q.message for q in exc.value.problems)
    if file == "company.toml":
        assert isinstance(exc.value, ConfigError)


def test_many_problems_in_one_folder_are_all_reported(tmp_path, capsys):
    company = tmp_path / "acme"
    company.mkdir()
    (company / "company.toml").write_text("""
[company]
name = "Acme"
currency = "EUR"

[inputs.mrr]
path = "mrr.csv"
columns = { customer_id = "customer", month = "month", mrr = "mrr" }

[inputs.contracts]
path = "contracts.csv"
columns = { contract_id = "id", customer_id = "customer", start_date = "start", end_date = "end", tcv = "tcv", revenue_type = "type", billing = "billing" }

[inputs.leads]
path = "leads.csv"
""")
    (company / "mrr.csv").write_text(
        "customer,month,mrr\na,2024-01,100\na,2024-01,100\nb,2024-01,-5\nc,2024-03,x\nd,2024-04,10\n"
    )
    (company / "contracts.csv").write_text(
        "id,customer,start,end,tcv,type,billing\n"
        "k1,a,2024-06-01,2024-01-01,100,contracted_recurring,annual\n"
        "k2,a,someday,,100,recurring,annual\n"
    )
    code = main(["validate", str(company)])
    out = capsys.readouterr().out
    assert code == 1
    report = validate_company(company)
    said = "\n".join(str(p) for p in report.errors)
    for expected in (
        "mrr.csv, row 2, column 'customer': Rows 2, 3 repeat customer_id a",
        "mrr.csv, row 4, column 'mrr': mrr is negative (-5)",
        "mrr.csv, row 5, column 'mrr': 'x' is not a number.",
        "Month(s) 2024-02 missing inside the history",
        "contracts.csv, row 2, column 'end': The contract ends on 2024-01-01 before it starts",
        "contracts.csv, row 3, column 'start': 'someday' is not a date",
        "contracts.csv, row 3, column 'type': 'recurring' is not a known revenue_type",
        "The file leads.csv named in company.toml [inputs.leads] does not exist",
    ):
        assert expected in said
    # grouped by file, each file named once as a heading
    assert out.count("\nmrr.csv\n") == 1 and out.count("\ncontracts.csv\n") == 1


def test_many_bad_rows_are_capped_and_counted(tmp_path):
    company = tmp_path / "big"
    company.mkdir()
    (company / "company.toml").write_text('[company]\nname = "Big"\ncurrency = "EUR"\n[inputs.mrr]\npath = "mrr.csv"\n')
    # 50 different negative amounts: 20 said, the other 30 counted
    rows = "".join(f"c{i},2024-01,-{i + 1}\n" for i in range(50))
    (company / "mrr.csv").write_text("customer_id,month,mrr\n" + rows)
    report = validate_company(company)
    assert len([p for p in report.errors if p.row is not None]) == 20
    assert report.errors[-1].message == (
        "... and 30 more rows with other values and the same kind of problem in this column."
    )
    # 50 identical ones: one line listing the rows (test_pointing_messages.py)
    (company / "mrr.csv").write_text("customer_id,month,mrr\n" + "".join(f"c{i},2024-01,-1\n" for i in range(50)))
    (only,) = validate_company(company).errors
    assert only.row == 2 and only.message.startswith("Rows 2, 3, 4, 5, 6 ... (50 rows): mrr is negative")


def test_validate_not_a_folder(tmp_path, capsys):
    code = main(["validate", str(tmp_path / "nope")])
    assert code == 1
    assert "is not a folder" in capsys.readouterr().out


def test_validate_clean_company_exits_zero(capsys):
    code = main(["validate", str(FIXTURES / "inputs" / "csv-mrr")])
    out = capsys.readouterr().out
    assert code == 0
    assert out.rstrip().splitlines()[-1] == "0 errors, 0 warnings: inputs are usable: mrr (9 rows)."


def test_as_of_outside_the_data_is_reported():
    report = validate_company(FIXTURES / "inputs" / "csv-mrr", as_of="2025-01")
    (p,) = report.errors
    assert "--as-of 2025-01 is outside the data of Csv Mrr GmbH, which runs from 2024-01 to 2024-03." in p.message
    assert report.company is None


@pytest.mark.parametrize("folder", __import__("conftest").DEMO_COMPANIES, ids=lambda p: p.name)
def test_demo_companies_validate_clean(folder, capsys):
    if not (folder / "company.toml").is_file():
        pytest.skip(f"{folder} has not been generated")
    assert main(["validate", str(folder)]) == 0
    report = validate_company(folder)
    assert report.errors == [] and report.company is not None
    assert report.company.revenue_source() is not None
