"""Onboarding verbs: reportlib inspect, init and template (issue 12 item 4)."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from reportlib.cli import main
from reportlib.inputs import load_company, validate_company
from reportlib.inputs.onboard import init_folder, inspect_file, template_toml
from reportlib.inputs.onboard._inspect import date_formats

FIX = Path(__file__).resolve().parent / "fixtures"
HARBOR = FIX / "onboarding" / "harbor_analytics"


@pytest.mark.parametrize(
    "folder, file, source, header",
    [
        ("ga4_traffic", "ga4_traffic_acquisition_2026Q1.csv", "ga4_traffic", 10),  # 9 '#' lines above
        ("typeform_responses", "typeform_responses.csv", "typeform_responses", 1),  # a column named '#'
        ("quickbooks_pnl", "ProfitAndLoss_by_Month.xlsx", "quickbooks_pnl", 5),  # 4 title lines
        ("xero_pnl", "Brightwave_Software_Ltd_-_Profit_and_Loss.csv", "xero_pnl", 5),
        ("salesforce_opportunities", "report_opportunities_2026-07-08.csv", "salesforce_opportunities", 1),
        ("amplitude_events", "amplitude_export_20260101T00_20260228T23.zip", "amplitude_events", None),
        ("delighted_responses", "delighted_survey_responses.json", "delighted_responses", None),
    ],
)
def test_inspect_recognises_the_known_export_and_its_header(folder, file, source, header):
    report = inspect_file(FIX / "sources" / folder / file)
    assert report.recognised.source == source and report.header_row == header
    text = report.render()
    assert f'source = "{source}"' in text and f'path = "{file}"' in text
    if header:
        assert f"header on row {header}" in text


def test_inspect_profiles_columns_and_date_formats():
    report = inspect_file(FIX / "sources" / "ga4_traffic" / "ga4_traffic_acquisition_2026Q1.csv")
    by = {c.name: c for c in report.columns}
    assert by["Date"].type == "date" and by["Date"].formats == ("%Y%m%d",)
    assert by["Users"].type == "number" and by["Users"].samples[0] == "50"
    assert "date formats found: %Y%m%d" in report.render()
    delighted = {
        c.name: c.type
        for c in inspect_file(FIX / "sources" / "delighted_responses" / "delighted_survey_responses.json").columns
    }
    assert delighted["created_at"] == "epoch seconds"


def test_date_formats_found_together():
    assert date_formats(pd.Series(["2026-01-05", "2026-01-05 10:12:00"])) == ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S")
    assert date_formats(pd.Series(["31/01/2026", "01/02/2026"])) == ("%d/%m/%Y",)
    assert date_formats(pd.Series(["2026-01-05", "Acme"])) == ()


def test_inspect_a_canonical_file_suggests_its_mapping_with_todo_defaults(capsys):
    assert main(["inspect", str(HARBOR / "contracts.csv")]) == 0
    out = capsys.readouterr().out
    assert "columns named like the canonical [inputs.contracts]" in out
    assert 'defaults = { revenue_type = "contracted_recurring", billing = "monthly" }' in out
    assert "# TODO: check these defaults" in out


def test_init_on_the_onboarding_folder_writes_a_company_toml_that_validates(tmp_path, capsys):
    folder = Path(shutil.copytree(HARBOR, tmp_path / "harbor_analytics", ignore=shutil.ignore_patterns("company.toml")))
    assert main(["init", str(folder)]) == 0
    out = capsys.readouterr().out
    written = (folder / "company.toml").read_text()
    todos = [line[line.index("# TODO:") :] for line in written.splitlines() if "# TODO:" in line]
    # at most the TODOs it names: the currency, the contracts' defaults, the guessed accounts
    assert len(todos) == 3 and all(t in out for t in todos)
    report = validate_company(folder)
    assert report.ok, report.render()
    for source in ("quickbooks_pnl", "hubspot_deals", "hubspot_contacts", "ga4_traffic", "typeform_responses"):
        assert f'source = "{source}"' in written
    # the accounts guessed from their names (and parents) are the ones mapped by hand
    assert load_company(folder).frames["financials"].equals(load_company(HARBOR).frames["financials"])


def test_init_never_overwrites_and_joins_side_files(tmp_path, capsys):
    assert main(["init", str(HARBOR)]) == 1
    assert "exists already" in capsys.readouterr().err
    folder = Path(
        shutil.copytree(
            FIX / "sources" / "stripe_subscriptions", tmp_path / "stripe", ignore=shutil.ignore_patterns("company.toml")
        )
    )
    started = init_folder(folder)
    text = started.path.read_text()
    assert "[[inputs.contracts.join]]" in text and 'path = "coupons.csv"' in text
    assert validate_company(folder).ok


def test_init_names_what_it_cannot_tell(tmp_path):
    (tmp_path / "notes.csv").write_text("what,when\nkick-off,soon\nreview,later\n")
    shutil.copy(HARBOR / "typeform_responses.csv", tmp_path)
    started = init_folder(tmp_path, name="Mystery Co")
    assert any("notes.csv was not recognised" in t for t in started.todos)
    assert validate_company(tmp_path).ok and started.unfinished == ()


def test_template_workbook_reads_back_with_its_company_toml(tmp_path, capsys):
    out = tmp_path / "reportlib-template.xlsx"
    assert main(["template", str(out)]) == 0
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[0] == "README" and "contracts" in book.sheetnames and "nps" in book.sheetnames
    sheet = book["contracts"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["contract_id", "customer_id", "start_date"]
    assert "one of: contracted_recurring" in sheet["H1"].comment.text  # revenue_type's note
    assert sheet["A2"].value == "K-001"  # the example row
    (tmp_path / "company.toml").write_text(template_toml(out.name))
    report = validate_company(tmp_path)
    assert report.ok and not report.warnings, report.render()
    assert set(report.company.frames) == set(book.sheetnames) - {"README"}


def _exports_in(tmp_path: Path, fixture: str, old: str, new: str) -> Path:
    """The fixture's exports (no company.toml) with every ``old`` cell written ``new``."""
    folder = Path(shutil.copytree(FIX / "sources" / fixture, tmp_path / fixture))
    (folder / "company.toml").unlink()
    for csv in folder.glob("*.csv"):
        csv.write_text(csv.read_text().replace(f",{old},", f",{new},"))
    return folder


@pytest.mark.parametrize(
    "fixture, old, new, said",
    [
        # A Stripe account billing in euros: Stripe writes the ISO code lower case, 12 rows 'eur'.
        ("stripe_subscriptions", "usd", "eur", "the Currency column of subscriptions.csv says EUR"),
        # A ChartMogul account invoicing in pounds: CURRENCY_CODE 'GBP' on every activity.
        ("chartmogul_activities", "USD", "GBP", "the CURRENCY_CODE column of mrr_movements.csv says GBP"),
    ],
)
def test_init_proposes_the_currency_the_exports_name(tmp_path, capsys, fixture, old, new, said):
    folder = _exports_in(tmp_path, fixture, old, new)
    assert main(["init", str(folder)]) == 0
    assert said in capsys.readouterr().out
    assert load_company(folder).config.currency == new.upper()  # not the USD default


def test_init_with_a_currency_the_exports_contradict_says_so(tmp_path, capsys):
    folder = _exports_in(tmp_path, "stripe_subscriptions", "usd", "eur")
    assert main(["init", str(folder), "--currency", "USD"]) == 0
    line = next(x for x in (folder / "company.toml").read_text().splitlines() if x.startswith("currency"))
    assert line.startswith('currency = "USD"')  # what the analyst said stays ...
    assert "but the Currency column of subscriptions.csv says EUR" in line  # ... with the file's word


# The dbt MRR playbook's subscription periods re-saved day first: every date is the 1st of a
# month (01/02/2020), so none shows its order; 01/02/2020 is 1 February day first, 2 January
# month first. Two contracts, 100 and 75 a month.
_DMY_CONTRACTS = "contract_id,customer_id,start_date,mrr\nC1,a,01/02/2020,100\nC2,b,01/03/2020,75\n"


def test_inspect_says_a_date_order_no_date_shows_and_suggests_the_keys(tmp_path, capsys):
    (tmp_path / "contracts.csv").write_text(_DMY_CONTRACTS)
    assert main(["inspect", str(tmp_path / "contracts.csv")]) == 0
    out = capsys.readouterr().out
    assert "start_date   date (%d/%m/%Y or %m/%d/%Y (order ambiguous))" in out  # not day first
    assert "# dayfirst = true   # 01/02/2020 is 1 February" in out
    assert '# date_format = "%m/%d/%Y"   # 01/02/2020 is 2 January' in out
    # init writes the same lines; the analyst uncomments dayfirst: C1 starts 1 February 2020.
    init_folder(tmp_path)
    toml = tmp_path / "company.toml"
    toml.write_text(toml.read_text().replace("# dayfirst = true", "dayfirst = true"))
    starts = load_company(tmp_path).frames["contracts"]["start_date"].tolist()
    assert starts == [pd.Timestamp("2020-02-01"), pd.Timestamp("2020-03-01")]


def test_inspect_takes_the_order_a_later_date_shows(tmp_path, capsys):
    # 03/25/2020: 25 is a day, so the column is month first, though 01/02 came first (and
    # reads day first); 25/03/2020 makes it day first. Either way nothing is ambiguous.
    for later, shown in (("03/25/2020", "date (%m/%d/%Y)"), ("25/03/2020", "date (%d/%m/%Y)")):
        (tmp_path / "contracts.csv").write_text(_DMY_CONTRACTS + f"C3,c,{later},50\n")
        assert main(["inspect", str(tmp_path / "contracts.csv")]) == 0
        out = capsys.readouterr().out
        assert f"start_date   {shown}  e.g." in out and "dayfirst" not in out


def test_init_says_when_what_it_wrote_does_not_validate(tmp_path, capsys):
    # dbt's MRR playbook subscription_periods.csv: its columns match no input, so the
    # company.toml has no [inputs.X]; validate then stops on it. init used to say "Then run:
    # reportlib validate" as if the file were ready.
    (tmp_path / "subscription_periods.csv").write_text(
        "subscription_id,customer_id,start_date,end_date,monthly_amount\n1,1,2019-01-01,2019-02-01,50\n"
    )
    assert main(["init", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "It does not validate as written: no file was recognised as an input" in out
    assert not validate_company(tmp_path).ok
    # An MRR file without its month: recognised as [inputs.mrr], but month has no column.
    (tmp_path / "company.toml").unlink()
    (tmp_path / "subscription_periods.csv").unlink()
    (tmp_path / "mrr.csv").write_text("customer_id,mrr\na,100\n")
    started = init_folder(tmp_path)
    assert started.unfinished == ("mrr.csv has no column for month",)
    assert not validate_company(tmp_path).ok
