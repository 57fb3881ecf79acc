"""Billing sources (issue 11): each tool's export gives the MRR that tool's own rules give.

Fixtures (tests/fixtures/sources/<source>/) are built from each tool's documented export
columns; the story and the arithmetic of every figure are in the comments below. Each
source runs on a DuckDB connection holding the file exactly as the transform layer
promises it (``export``: VARCHAR columns as written + ``__row__``), with blank cells as
NULL and as ``''``. Contract MRR of a month = contracts serving its last day (METRICS.md).
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from sources_helpers import FIXTURES, contract_mrr, export_connection

from reportlib.exceptions import InputError
from reportlib.inputs import InputSpec, load_company
from reportlib.inputs.sources import SOURCES, Source, get_source, stripe
from reportlib.kpis import compute_kpis

MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04"]
R = "contracted_recurring"

# The transform layer (issue 11 item 1) wires `source = "..."` into load_company.
transform_available = "source" in {f.name for f in dataclasses.fields(InputSpec)}
needs_transform = pytest.mark.skipif(
    not transform_available, reason="the transform layer (source = ...) is not on this branch yet"
)


def run_source(name: str, files: dict[str, str], blank: str = "null") -> pd.DataFrame:
    con = export_connection({t: FIXTURES / name / f for t, f in files.items()}, blank)
    return get_source(name).run(con)


def contract_rows(frame: pd.DataFrame) -> list[tuple]:
    def day(v):
        return None if pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d")

    return sorted(
        (
            r.contract_id,
            r.customer_id,
            day(r.start_date),
            day(r.end_date),
            day(r.signed_date),
            round(r.mrr, 2),
            r.revenue_type,
            r.billing,
        )
        for r in frame.itertuples()
    )


BLANKS = pytest.mark.parametrize("blank", ["null", "empty"])

# ---------------------------------------------------------------- stripe_subscriptions
STRIPE_FILES = {"export": "subscriptions.csv", "coupons": "coupons.csv"}
STRIPE_ROWS = [  # contract, customer, start, end (inclusive), signed, mrr, type, billing
    ("sub_A", "cus_A", "2026-01-05", None, "2026-01-05", 49.00, R, "monthly"),  # 49.00 x 1 / 1
    ("sub_B", "cus_B", "2026-01-20", None, "2026-01-20", 200.00, R, "annual"),  # 1,200.00 x 2 seats / 12
    ("sub_C", "cus_C", "2026-02-03", None, "2026-02-03", 75.00, R, "monthly"),  # 15.00 x 5 seats / 1
    ("sub_D", "cus_D", "2026-01-12", None, "2026-01-12", 79.20, R, "monthly"),  # 99.00 x (1 - 20% forever)
    # sub_E trialing, sub_G incomplete_expired, sub_L unpaid: not MRR
    ("sub_F", "cus_F", "2026-03-08", None, "2026-03-08", 99.00, R, "monthly"),  # past_due counts
    ("sub_H", "cus_H", "2026-01-03", "2026-04-02", "2026-01-03", 99.00, R, "monthly"),  # canceled, ended 3 Apr
    ("sub_I", "cus_I", "2026-02-15", None, "2026-02-01", 49.00, R, "monthly"),  # pays from trial end 15 Feb
    ("sub_J", "cus_J", "2026-03-02", None, "2026-03-02", 49.00, R, "monthly"),  # once coupon: no effect
    ("sub_K", "cus_K", "2026-03-15", None, "2026-03-15", 45.00, R, "annual"),  # (600.00 - 60.00 forever) / 12
    # sub_M canceled during its trial: never paid, no row
]
STRIPE_MRR = {
    "2026-01": 427.20,  # A 49.00 + B 200.00 + D 79.20 + H 99.00
    "2026-02": 551.20,  # 427.20 + C 75.00 + I 49.00
    "2026-03": 744.20,  # 551.20 + F 99.00 + J 49.00 + K 45.00 (H serves 31 Mar)
    "2026-04": 645.20,  # 744.20 - H 99.00 (last day served 2 Apr)
}


@BLANKS
def test_stripe_subscriptions_rows_and_mrr(blank):
    out = run_source("stripe_subscriptions", STRIPE_FILES, blank)
    assert contract_rows(out) == sorted(STRIPE_ROWS)
    assert {m: contract_mrr(out, m) for m in MONTHS} == STRIPE_MRR
    # rows named as the spreadsheet shows them: header = 1, sub_A = 2, sub_H = 9
    assert dict(zip(out.contract_id, out["__row__"], strict=False))["sub_H"] == 9
    assert set(out.currency) == {"USD"} and "plan" in out


def stripe_variant(tmp_path: Path, edit) -> dict[str, Path]:
    frame = pd.read_csv(FIXTURES / "stripe_subscriptions" / "subscriptions.csv", dtype=str, keep_default_na=False)
    edit(frame)
    frame.to_csv(tmp_path / "subscriptions.csv", index=False)
    return {"export": tmp_path / "subscriptions.csv", "coupons": FIXTURES / "stripe_subscriptions" / "coupons.csv"}


def test_stripe_interval_count_and_older_start_column(tmp_path):
    def edit(f):
        f["Interval Count"] = ["1"] * len(f)
        f.loc[f.id == "sub_A", ["Amount", "Interval Count"]] = ["147.00", "3"]  # 147.00 every 3 months
        f.columns = [{"Start Date (UTC)": "Start (UTC)", "Status": "status"}.get(c, c) for c in f.columns]

    out = get_source("stripe_subscriptions").run(export_connection(stripe_variant(tmp_path, edit)))
    sub_a = out.set_index("contract_id").loc["sub_A"]
    assert (sub_a.mrr, sub_a.billing) == (49.00, "quarterly")  # 147.00 x 1 / 3
    assert sub_a.start_date == pd.Timestamp("2026-01-05")
    assert {m: contract_mrr(out, m) for m in MONTHS} == STRIPE_MRR


def test_stripe_weekly_price_has_no_mrr_so_validation_names_the_row(tmp_path):
    def edit(f):
        f.loc[f.id == "sub_A", "Interval"] = "week"

    out = get_source("stripe_subscriptions").run(export_connection(stripe_variant(tmp_path, edit)))
    sub_a = out.set_index("contract_id").loc["sub_A"]
    assert pd.isna(sub_a.mrr) and pd.isna(sub_a.billing) and sub_a["__row__"] == 2


def test_stripe_coupon_missing_from_coupons_file_stops_the_run(tmp_path):
    files = stripe_variant(tmp_path, lambda f: None)
    del files["coupons"]  # no coupons file: FOREVER20 (row 5), ONCE50 (11), AMT60Y (12) are unknown
    with pytest.raises(duckdb.Error, match=r"AMT60Y, FOREVER20, ONCE50 \(rows 5, 11, 12\)"):
        get_source("stripe_subscriptions").run(export_connection(files))


def test_stripe_without_coupons_needs_no_coupons_file(tmp_path):
    def edit(f):
        f["Coupon"] = ""

    files = stripe_variant(tmp_path, edit)
    del files["coupons"]
    out = get_source("stripe_subscriptions").run(export_connection(files))
    # no discounts: D 99.00 instead of 79.20, K 600.00 / 12 = 50.00 instead of 45.00
    assert contract_mrr(out, "2026-03") == round(744.20 + (99.00 - 79.20) + (50.00 - 45.00), 2)


# ---------------------------------------------------------------- stripe_invoice_lines
LINE_ROWS = [  # one contract per billed period; amount is cents
    ("il_A1", "cus_A", "2026-01-01", "2026-01-31", "2026-01-01", 49.00, R, "monthly"),  # 4900 / 100 / 1
    ("il_A2", "cus_A", "2026-02-01", "2026-02-28", "2026-02-01", 49.00, R, "monthly"),
    ("il_A3", "cus_A", "2026-03-01", "2026-03-31", "2026-03-01", 49.00, R, "monthly"),
    ("il_A4", "cus_A", "2026-04-01", "2026-04-30", "2026-04-01", 49.00, R, "monthly"),  # open invoice counts
    ("il_B1", "cus_B", "2026-01-20", "2027-01-19", "2026-01-20", 200.00, R, "annual"),  # 240000 / 100 / 12
    ("il_C1", "cus_C", "2026-02-03", "2026-03-02", "2026-02-03", 75.00, R, "monthly"),  # 7500 / 100
    ("il_C2", "cus_C", "2026-03-03", "2026-04-02", "2026-03-03", 75.00, R, "monthly"),
    ("il_C4", "cus_C", "2026-04-03", "2026-05-02", "2026-04-03", 105.00, R, "monthly"),  # 7 seats: 10500 / 100
    ("il_D1", "cus_D", "2026-01-15", "2026-04-14", "2026-01-15", 90.00, R, "quarterly"),  # 27000 / 100 / 3
    ("il_D2", "cus_D", "2026-04-15", "2026-07-14", "2026-04-15", 90.00, R, "quarterly"),
    ("il_E1", "cus_E", "2026-01-10", "2026-02-09", "2026-01-10", 99.00, R, "monthly"),
    ("il_E2", "cus_E", "2026-02-10", "2026-03-09", "2026-02-10", 99.00, R, "monthly"),
    # left out: il_A0 invoice item (one-off), il_C3 proration, il_E9 void invoice
]
LINE_MRR = {
    "2026-01": 438.00,  # A1 49 + B1 200 + D1 90 + E1 99
    "2026-02": 513.00,  # A2 49 + B1 200 + C1 75 + D1 90 + E2 99
    "2026-03": 414.00,  # A3 49 + B1 200 + C2 75 + D1 90 (E: void, nothing serves 31 Mar)
    "2026-04": 444.00,  # A4 49 + B1 200 + C4 105 + D2 90
}


@BLANKS
def test_stripe_invoice_lines_rows_and_mrr(blank):
    out = run_source("stripe_invoice_lines", {"export": "invoice_line_items.csv"}, blank)
    assert contract_rows(out) == sorted(LINE_ROWS)
    assert {m: contract_mrr(out, m) for m in MONTHS} == LINE_MRR


# ---------------------------------------------------------------- chargebee_subscriptions
CHARGEBEE_FILES = {"export": "Subscriptions.csv", "addons": "SubscriptionAddons.csv"}
CHARGEBEE_ROWS = [
    ("sub_cb_1", "cust_1", "2026-01-07", None, "2026-01-07", 50.00, R, "monthly"),  # 1 x 50.00 / 1
    ("sub_cb_2", "cust_2", "2026-01-15", None, "2026-01-15", 130.00, R, "annual"),  # (3 x 480 + 1 x 120) / 12
    ("sub_cb_3", "cust_3", "2026-02-02", None, "2026-02-02", 140.00, R, "monthly"),  # 100.00 + 4 x 10.00
    # sub_cb_4 In Trial, sub_cb_7 Future: not MRR
    ("sub_cb_5", "cust_5", "2026-03-01", "2026-05-31", "2026-02-26", 100.00, R, "quarterly"),  # 300 / 3, Non Renewing
    ("sub_cb_6", "cust_6", "2026-01-10", "2026-03-09", "2026-01-10", 50.00, R, "monthly"),  # Cancelled 10 Mar
]
CHARGEBEE_MRR = {
    "2026-01": 230.00,  # cb_1 50 + cb_2 130 + cb_6 50
    "2026-02": 370.00,  # 230 + cb_3 140
    "2026-03": 420.00,  # 370 + cb_5 100 - cb_6 50
    "2026-04": 420.00,  # unchanged (cb_4 still in trial)
}


@BLANKS
def test_chargebee_rows_and_mrr(blank):
    out = run_source("chargebee_subscriptions", CHARGEBEE_FILES, blank)
    assert contract_rows(out) == sorted(CHARGEBEE_ROWS)
    assert {m: contract_mrr(out, m) for m in MONTHS} == CHARGEBEE_MRR


def test_chargebee_without_addons_file_counts_the_plan_alone():
    out = run_source("chargebee_subscriptions", {"export": "Subscriptions.csv"})
    mrr = out.set_index("contract_id").mrr
    assert (mrr["sub_cb_2"], mrr["sub_cb_3"]) == (120.00, 100.00)  # 3 x 480 / 12; 1 x 100


# ---------------------------------------------------------------- chartmogul_activities
CHARTMOGUL_ROWS = {  # month-end balance per customer = running sum of MRR_MOVEMENT cents / 100
    "2026-01": {"cus_A": 99.00, "cus_B": 200.00, "cus_D": 49.00},
    # cus_D: 4900 - 4900 = 0 on 25 Feb: no row
    "2026-02": {"cus_A": 99.00, "cus_B": 200.00, "cus_C": 75.00, "cus_F": 120.00},
    # cus_A 9900 + 10000; cus_E 3333 + 1667 in the same month
    "2026-03": {"cus_A": 199.00, "cus_B": 200.00, "cus_C": 75.00, "cus_E": 50.00, "cus_F": 120.00},
    # cus_C 7500 - 2500; cus_D reactivated 4900; cus_F churned 30 Apr
    "2026-04": {"cus_A": 199.00, "cus_B": 200.00, "cus_C": 50.00, "cus_D": 49.00, "cus_E": 50.00},
}
CHARTMOGUL_MRR = {"2026-01": 348.00, "2026-02": 494.00, "2026-03": 644.00, "2026-04": 548.00}


@BLANKS
def test_chartmogul_month_end_balances(blank):
    out = run_source("chartmogul_activities", {"export": "mrr_movements.csv"}, blank)
    got = {}
    for r in out.itertuples():
        got.setdefault(pd.Timestamp(r.month).strftime("%Y-%m"), {})[r.customer_id] = round(r.mrr, 2)
    assert got == CHARTMOGUL_ROWS
    totals = out.groupby(pd.to_datetime(out.month).dt.strftime("%Y-%m")).mrr.sum().round(2).to_dict()
    assert totals == CHARTMOGUL_MRR
    # a carried balance names the movement that set it: cus_B's only row is row 4
    assert set(out.loc[out.customer_id == "cus_B", "__row__"]) == {4}


def test_chartmogul_unreadable_amount_is_passed_on_with_its_row(tmp_path):
    frame = pd.read_csv(FIXTURES / "chartmogul_activities" / "mrr_movements.csv", dtype=str)
    frame.loc[1, "MRR_MOVEMENT"] = "forty-nine"  # file row 3 (cus_D's new_biz)
    frame.to_csv(tmp_path / "m.csv", index=False)
    out = get_source("chartmogul_activities").run(export_connection({"export": tmp_path / "m.csv"}))
    bad = out[out["__row__"] == 3]
    assert len(bad) == 1 and pd.isna(bad.mrr.iloc[0])
    # the rest still balances: Jan 348.00 - cus_D 49.00; Feb's -49.00 churn now leaves cus_D at -49.00
    jan = out[(pd.to_datetime(out.month) == "2026-01-01") & out.mrr.notna()]
    assert round(jan.mrr.sum(), 2) == 299.00


# ---------------------------------------------------------------- baremetrics_subscriptions
BAREMETRICS_ROWS = [  # plan_amount is cents per period per unit
    (
        "subscription_1",
        "cust_1",
        "2026-01-05",
        "2026-02-28",
        "2026-01-05",
        49.00,
        R,
        "monthly",
    ),  # 4900/100, canceled 1 Mar
    ("subscription_2", "cust_2", "2026-01-20", None, "2026-01-20", 200.00, R, "annual"),  # 120000/100 x 2 / 12
    ("subscription_3", "cust_3", "2026-01-15", None, "2026-01-15", 90.00, R, "quarterly"),  # 27000/100 / (3 x 1)
    ("subscription_4", "cust_4", "2026-02-03", None, "2026-02-03", 75.00, R, "monthly"),  # 1500/100 x 5
    ("subscription_5", "cust_5", "2026-01-10", "2026-03-09", "2026-01-10", 49.00, R, "monthly"),  # canceled 10 Mar
    ("subscription_6", "cust_1", "2026-03-01", None, "2026-03-01", 99.00, R, "monthly"),  # the upgrade
    ("subscription_7", "cust_6", "2026-04-15", None, "2026-04-15", 49.00, R, "monthly"),
]
BAREMETRICS_MRR = {
    "2026-01": 388.00,  # s1 49 + s2 200 + s3 90 + s5 49
    "2026-02": 463.00,  # 388 + s4 75
    "2026-03": 464.00,  # s6 99 + s2 200 + s3 90 + s4 75 (s1 ended 28 Feb, s5 9 Mar)
    "2026-04": 513.00,  # 464 + s7 49
}


@BLANKS
def test_baremetrics_rows_and_mrr(blank):
    out = run_source("baremetrics_subscriptions", {"export": "subscriptions.csv"}, blank)
    assert contract_rows(out) == sorted(BAREMETRICS_ROWS)
    assert {m: contract_mrr(out, m) for m in MONTHS} == BAREMETRICS_MRR


def test_baremetrics_cancel_date_not_iso_stops_with_its_row(tmp_path):
    frame = pd.read_csv(FIXTURES / "baremetrics_subscriptions" / "subscriptions.csv", dtype=str)
    frame.loc[4, "subscription_canceled_at"] = "03/10/2026"  # file row 6
    frame.to_csv(tmp_path / "s.csv", index=False)
    with pytest.raises(duckdb.Error, match=r'Row 6: subscription_canceled_at "03/10/2026" is not a date'):
        get_source("baremetrics_subscriptions").run(export_connection({"export": tmp_path / "s.csv"}))


# ---------------------------------------------------------------- every billing source
BILLING = {  # source -> (fixture files, canonical input, MRR per month)
    "stripe_subscriptions": (STRIPE_FILES, "contracts", STRIPE_MRR),
    "stripe_invoice_lines": ({"export": "invoice_line_items.csv"}, "contracts", LINE_MRR),
    "chargebee_subscriptions": (CHARGEBEE_FILES, "contracts", CHARGEBEE_MRR),
    "chartmogul_activities": ({"export": "mrr_movements.csv"}, "mrr", CHARTMOGUL_MRR),
    "baremetrics_subscriptions": ({"export": "subscriptions.csv"}, "contracts", BAREMETRICS_MRR),
}


def test_registry_holds_the_billing_sources():
    for name, (_, feeds, _) in BILLING.items():
        assert SOURCES[name] is get_source(name) and get_source(name).feeds == feeds
    assert stripe.SUBSCRIPTIONS.name == "stripe_subscriptions"
    with pytest.raises(KeyError):
        get_source("stripe_subscription")


@pytest.mark.parametrize("name", BILLING)
def test_module_docstring_names_docs_rules_and_assumptions(name):
    module = __import__(f"reportlib.inputs.sources.{name.split('_')[0]}", fromlist=["_"])
    doc = module.__doc__
    assert "Documentation followed" in doc and "Assumptions where the docs are silent" in doc
    assert "http" in doc and ("cents" in doc or "major units" in doc)


@pytest.mark.parametrize("name", BILLING)
def test_required_columns_identify_the_fixture_case_insensitively(name):
    files, _, _ = BILLING[name]
    header = pd.read_csv(FIXTURES / name / files["export"], nrows=0).columns
    source = get_source(name)
    assert source.missing_columns(header) == []
    assert source.missing_columns([c.upper() for c in header]) == []
    assert source.column_problem(header) is None


@pytest.mark.parametrize("name", BILLING)
def test_wrong_export_gives_one_problem_naming_missing_columns(name):
    source = get_source(name)
    # a canonical contracts/mrr file, not the tool's export
    problem = source.column_problem(
        ["Customer", "Month", "Amount USD", source.required[0]], file="export.csv", input=source.feeds
    )
    missing = source.required[1:]
    assert source.missing_columns(["Customer", source.required[0]]) == list(missing)
    text = str(problem)
    assert text.startswith("export.csv: ") and problem.severity == "error"
    assert all(f"'{c}'" in text for c in missing) and f"'{source.required[0]}'" not in text
    assert f'source = "{name}"' in text and source.documentation in text


@pytest.mark.parametrize("name", BILLING)
def test_money_units_are_declared_for_the_guards(name):
    # the query converts the tool's unit itself; the guards and `amount_unit` must know it
    units = get_source(name).units
    assert units and set(units.values()) <= {"cents", "major"}
    header = pd.read_csv(FIXTURES / name / BILLING[name][0]["export"], nrows=0).columns
    assert any(c in header for c in units)


def test_join_files_are_matched_to_side_tables_by_stem():
    assert get_source("chargebee_subscriptions").side_table_for("SubscriptionAddons") == "addons"
    assert get_source("stripe_subscriptions").side_table_for("coupons_2026-04") == "coupons"
    assert get_source("stripe_subscriptions").side_table_for("customers") is None


def test_a_required_side_table_that_is_missing_is_an_input_error():
    source = Source(
        name="x",
        feeds="contracts",
        documentation="x",
        required=("id",),
        sql="SELECT * FROM export JOIN extra USING (id)",
        side_tables={"extra": "*extra*"},
    )
    con = duckdb.connect()
    con.execute("CREATE VIEW export AS SELECT '1' AS id, 2::BIGINT AS __row__")
    with pytest.raises(InputError, match=r"needs the extra file as a \[\[join\]\]"):
        source.run(con)


# ---------------------------------------------------------------- end to end (company.toml)
BRIDGE = {  # closing MRR and the movements between months, by hand from the stories above
    "stripe_subscriptions": {
        "2026-02": {"new": 124.00},  # C 75 + I 49
        "2026-03": {"new": 193.00},  # F 99 + J 49 + K 45
        "2026-04": {"churn": 99.00},
    },  # H
    "stripe_invoice_lines": {
        "2026-02": {"new": 75.00},  # C
        "2026-03": {"churn": 99.00},  # E
        "2026-04": {"expansion": 30.00},
    },  # C 75 -> 105
    "chargebee_subscriptions": {
        "2026-02": {"new": 140.00},  # cb_3
        "2026-03": {"new": 100.00, "churn": 50.00},  # cb_5; cb_6
        "2026-04": {"new": 0.00},
    },
    "chartmogul_activities": {
        "2026-02": {"new": 195.00, "churn": 49.00},  # C 75 + F 120; D
        "2026-03": {"new": 50.00, "expansion": 100.00},  # E; A
        "2026-04": {"reactivation": 49.00, "contraction": 25.00, "churn": 120.00},
    },
    "baremetrics_subscriptions": {
        "2026-03": {"expansion": 50.00, "churn": 49.00},  # cust_1 49 -> 99; cust_5
        "2026-04": {"new": 49.00},
    },  # cust_6
}


def copy_fixture(name: str, tmp_path: Path) -> Path:
    folder = tmp_path / name
    shutil.copytree(FIXTURES / name, folder)
    return folder


@needs_transform
@pytest.mark.parametrize("name", BILLING)
def test_company_folder_with_source_gives_the_mrr_bridge(name, tmp_path):
    company = load_company(copy_fixture(name, tmp_path))
    bridge = compute_kpis(company, as_of="2026-04").tables["mrr_bridge"]
    bridge = bridge.set_index(bridge["month"].astype(str))
    assert bridge["closing_mrr"].round(2).to_dict() == BILLING[name][2]
    for month, moves in BRIDGE[name].items():
        for movement, amount in moves.items():
            assert round(bridge.loc[month, movement], 2) == amount, (month, movement)


@needs_transform
@pytest.mark.parametrize("name", BILLING)
def test_company_folder_with_the_wrong_export_is_one_problem(name, tmp_path):
    folder = copy_fixture(name, tmp_path)
    source = get_source(name)
    export = folder / BILLING[name][0]["export"]
    frame = pd.read_csv(export, dtype=str, keep_default_na=False)
    frame.drop(columns=list(source.required[1:])).to_csv(export, index=False)
    with pytest.raises(InputError) as caught:
        load_company(folder)
    (problem,) = caught.value.problems  # one problem, naming what was expected
    assert problem.file == BILLING[name][0]["export"]
    assert all(c in problem.message for c in source.required[1:])
    assert name in problem.message and source.documentation in problem.message


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("1,200.00", 1200.0),
        ("1.200,00", 1200.0),  # a decimal comma: it was read as 1.20, 1,000x off
        ("12,50", 12.5),
        ("$1,234.50", 1234.5),
        ("1.234.567,89", 1_234_567.89),
        ("49.00", 49.0),
        ("0.125", 0.125),
        ("1.200", None),  # one point two, or twelve hundred? the validation names the row
    ],
)
def test_a_known_source_reads_a_decimal_comma_and_never_guesses_a_point(cell, value):
    import duckdb

    from reportlib.inputs.sources._sql import number

    got = duckdb.connect().execute(f"SELECT {number('x')} FROM (SELECT ? AS x)", [cell]).fetchone()[0]
    assert got == (pytest.approx(value) if value is not None else None)


# ChartMogul activities exported twice: a January-February export and a February-March one
# given together (path a glob), both holding Acme's February expansion act-2.
CM_HEADER = "DATE,CUSTOMER_NAME,MRR_MOVEMENT,MRR,MOVEMENT_TYPE,CUSTOMER_EXTERNAL_ID,CUSTOMER_UUID,UUID\n"
CM_JAN_FEB = (
    CM_HEADER + "2026-01-05 09:00:00,Acme,10000,10000,new_biz,cus_A,cus_1,act-1\n"
    "2026-02-10 09:00:00,Acme,5000,15000,expansion,cus_A,cus_1,act-2\n"
)
CM_FEB_MAR = (
    CM_HEADER + "2026-02-10 09:00:00,Acme,5000,15000,expansion,cus_A,cus_1,act-2\n"
    "2026-03-03 09:00:00,Beta,20000,20000,new_biz,cus_B,cus_2,act-3\n"
)


def _chartmogul_company(tmp_path, files: dict[str, str], extra: str = ""):
    from inputs_helpers import make

    toml = '[inputs.mrr]\nsource = "chartmogul_activities"\npath = "cm_*.csv"\n' + extra
    return make(tmp_path, toml, files)


def test_chartmogul_activity_exported_twice_is_counted_once_with_a_warning(tmp_path):
    from reportlib.inputs import load_company

    company = load_company(_chartmogul_company(tmp_path, {"cm_1.csv": CM_JAN_FEB, "cm_2.csv": CM_FEB_MAR}))
    mrr = company.frames["mrr"].groupby(company.frames["mrr"]["month"].astype(str))["mrr"].sum()
    # Jan: Acme 100.00; Feb: 100 + 50 = 150 (200 when act-2 counted twice); Mar: 150 + Beta 200 = 350 (not 400)
    assert mrr.to_dict() == {"2026-01": 100, "2026-02": 150, "2026-03": 350}
    (w,) = [w for w in company.warnings if "exported twice" in w.message]
    assert "Row 3 of cm_1.csv and row 2 of cm_2.csv" in w.message and "UUID act-2" in w.message
    assert (w.column, w.input) == ("UUID", "mrr")


def test_chartmogul_activity_repeated_with_another_amount_is_an_error(tmp_path):
    from reportlib.exceptions import InputError
    from reportlib.inputs import load_company

    changed = CM_FEB_MAR.replace(",5000,15000,", ",7000,17000,")  # act-2 re-exported with 70.00
    with pytest.raises(InputError) as caught:
        load_company(_chartmogul_company(tmp_path, {"cm_1.csv": CM_JAN_FEB, "cm_2.csv": changed}))
    (problem,) = caught.value.problems
    assert "UUID act-2" in problem.message and "MRR_MOVEMENT, MRR" in problem.message
    assert (problem.row, problem.column) == (3, "UUID")


def test_chartmogul_export_without_uuid_warns_of_identical_rows(tmp_path):
    from reportlib.inputs import load_company

    def without_uuid(text: str) -> str:
        return "\n".join(line.rsplit(",", 1)[0] for line in text.strip().split("\n")) + "\n"

    files = {"cm_1.csv": without_uuid(CM_JAN_FEB), "cm_2.csv": without_uuid(CM_FEB_MAR)}
    company = load_company(_chartmogul_company(tmp_path, files))
    (w,) = [w for w in company.warnings if "identical in every column" in w.message]
    assert "Row 3 of cm_1.csv and row 2 of cm_2.csv" in w.message


def _monthly_mrr(company) -> dict[str, float]:
    frame = company.frames["mrr"]
    return frame.groupby(frame["month"].astype(str))["mrr"].sum().to_dict()


# The Feb-Mar export re-saved by a spreadsheet, day first without seconds: act-2 is the same
# instant as in cm_1.csv (10 February 09:00), written another way; 13/03 shows the order.
CM_FEB_MAR_RESAVED = (
    CM_HEADER + "10/02/2026 09:00,Acme,5000,15000,expansion,cus_A,cus_1,act-2\n"
    "13/03/2026 09:00,Beta,20000,20000,new_biz,cus_B,cus_2,act-3\n"
)


def test_chartmogul_activity_exported_twice_and_resaved_with_other_dates_is_one_record(tmp_path):
    from reportlib.inputs import load_company

    company = load_company(_chartmogul_company(tmp_path, {"cm_1.csv": CM_JAN_FEB, "cm_2.csv": CM_FEB_MAR_RESAVED}))
    # act-2 is one record (it was an error: "different DATE: it was exported twice and changed")
    # Jan: Acme 100; Feb: 100 + 50 = 150; Mar: 150 + Beta 200 (13 March) = 350
    assert _monthly_mrr(company) == {"2026-01": 100, "2026-02": 150, "2026-03": 350}
    (w,) = [w for w in company.warnings if "exported twice" in w.message]
    assert "Row 3 of cm_1.csv and row 2 of cm_2.csv" in w.message


def test_chartmogul_resaved_export_is_read_with_dayfirst(tmp_path):
    from reportlib.inputs import load_company

    # A January export as ChartMogul writes it, and a later one re-saved day first whose dates
    # could be either order (10/02, 03/04): dayfirst = true says they are 10 February and 3 April.
    cm_later = (
        CM_HEADER + "10/02/2026 09:00,Acme,5000,15000,expansion,cus_A,cus_1,act-2\n"
        "03/04/2026 09:00,Beta,20000,20000,new_biz,cus_B,cus_2,act-3\n"
    )
    files = {"cm_1.csv": CM_HEADER + CM_JAN_FEB.splitlines()[1] + "\n", "cm_2.csv": cm_later}
    company = load_company(_chartmogul_company(tmp_path, files, extra="dayfirst = true\n"))
    # Jan 100; Feb 100 + 50 = 150; Mar 150; Apr 150 + Beta 200 = 350 (it was "month is blank"
    # for both rows and "mrr is negative" for nothing: dayfirst was not read for ChartMogul)
    assert _monthly_mrr(company) == {"2026-01": 100, "2026-02": 150, "2026-03": 150, "2026-04": 350}
    assert not [w for w in company.warnings if w.input == "mrr"]


def test_chartmogul_unreadable_date_names_its_file_row_and_value(tmp_path):
    from reportlib.exceptions import InputError
    from reportlib.inputs import load_company

    typo = CM_FEB_MAR_RESAVED.replace("13/03/2026", "31/02/2026")  # no 31 February: row 3 of cm_2.csv
    with pytest.raises(InputError) as caught:
        load_company(_chartmogul_company(tmp_path, {"cm_1.csv": CM_JAN_FEB, "cm_2.csv": typo}))
    # it was "Rows 2, 3: month is blank" at file "cm_*.csv", with no file or value named
    (problem,) = caught.value.problems
    assert (problem.file, problem.row, problem.column) == ("cm_2.csv", 3, "DATE")
    assert "'31/02/2026 09:00' could not be read as a date" in problem.message


def _stripe_company(tmp_path, change) -> Path:
    """The stripe_subscriptions fixture folder with ``change`` applied to its export's frame."""
    import shutil

    folder = Path(shutil.copytree(FIXTURES / "stripe_subscriptions", tmp_path / "stripe"))
    frame = pd.read_csv(folder / "subscriptions.csv", dtype=str, keep_default_na=False)
    change(frame)
    frame.to_csv(folder / "subscriptions.csv", index=False)
    return folder


def test_stripe_day_first_dates_with_a_time_are_read(tmp_path):
    from reportlib.inputs import load_company

    def resaved(f):  # sub_A (row 2) as a spreadsheet re-saves it, day first with a time
        f.loc[f.id == "sub_A", ["Created (UTC)", "Start Date (UTC)"]] = ["13/01/2026 10:12", "13/01/2026 10:12"]

    contracts = load_company(_stripe_company(tmp_path, resaved)).frames["contracts"].set_index("contract_id")
    # 13/01/2026 can only be 13 January (no 13th month): read, not "start_date is blank"
    assert contracts.loc["sub_A", "start_date"] == pd.Timestamp("2026-01-13")


def test_stripe_unreadable_date_names_the_value_and_the_fix(tmp_path):
    from reportlib.exceptions import InputError
    from reportlib.inputs import load_company

    def typed(f):
        f.loc[f.id == "sub_A", "Start Date (UTC)"] = "32/01/2026 10:12"  # no 32nd day: a typo

    with pytest.raises(InputError) as caught:
        load_company(_stripe_company(tmp_path, typed))
    (problem,) = caught.value.problems
    assert (problem.row, problem.column) == (2, "Start Date (UTC)")
    assert "'32/01/2026 10:12' could not be read as a date" in problem.message
    assert "date_format" in problem.message and "dayfirst = true" in problem.message


def test_stripe_unknown_interval_names_the_value_and_the_ones_stripe_writes(tmp_path):
    from reportlib.exceptions import InputError
    from reportlib.inputs import load_company

    def yearly(f):
        f.loc[f.id == "sub_B", "Interval"] = "yearly"  # row 3

    with pytest.raises(InputError) as caught:
        load_company(_stripe_company(tmp_path, yearly))
    (problem,) = caught.value.problems
    assert (problem.row, problem.column) == (3, "Interval")
    assert "'yearly'" in problem.message and "'day', 'week', 'month', 'year'" in problem.message


# A Stripe export re-saved day first (the audit's stripe_uk): Created shows the order
# (20/01/2026 can only be 20 January), while Canceled At / Ended At hold only dates that read
# both ways. sub_H (monthly 99) ended 3 April; sub_M (monthly 49) was canceled on 10 February
# during its trial (ends 15 February) and never paid.
STRIPE_RESAVED = """id,Customer ID,Status,Quantity,Interval,Amount,Created (UTC),Start Date (UTC),Current Period End (UTC),Trial End (UTC),Canceled At (UTC),Ended At (UTC)
sub_B,cus_B,active,2,year,1200.00,20/01/2026 14:30,20/01/2026 14:30,20/01/2027 14:30,,,
sub_H,cus_H,canceled,1,month,99.00,03/01/2026 09:30,03/01/2026 09:30,03/04/2026 09:30,,10/03/2026 17:02,03/04/2026 09:30
sub_M,cus_M,canceled,1,month,49.00,01/02/2026 09:00,01/02/2026 09:00,15/02/2026 09:00,15/02/2026 09:00,10/02/2026 18:00,10/02/2026 18:00
"""


def test_stripe_file_resaved_day_first_is_day_first_in_every_date_column(tmp_path):
    from inputs_helpers import make

    from reportlib.inputs import load_company

    folder = make(
        tmp_path, '[inputs.contracts]\nsource = "stripe_subscriptions"\npath = "s.csv"\n', {"s.csv": STRIPE_RESAVED}
    )
    company = load_company(folder)
    contracts = company.frames["contracts"].set_index("contract_id")
    # sub_H served 3 January to 2 April (the day before Ended At 03/04 = 3 April; month first it
    # ended 3 March); sub_M gives no row (read month first, it ran 15 February to 1 October)
    assert contracts.loc["sub_H", "end_date"] == pd.Timestamp("2026-04-02")
    assert "sub_M" not in contracts.index
    # March MRR: sub_B 1,200 x 2 / 12 = 200 + sub_H 99 = 299 (it was 200 + sub_M 49 = 249)
    assert contract_mrr(contracts, "2026-03") == 299
    warned = {w.column: w for w in company.warnings if w.input == "contracts"}
    assert set(warned) == {"Canceled At (UTC)", "Ended At (UTC)"}
    for w in warned.values():
        assert "read day first, as Created (UTC) shows in this file (20/01/2026 14:30)" in w.message
        assert (w.file, w.row) == ("s.csv", 3)  # sub_H, the first of the two
