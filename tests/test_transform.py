"""The DuckDB transform layer: where, compute, amount_unit, sql, joins with left_on/right_on
and aggregate = "sum", known sources (a fake one registered here), safety and messages."""

from __future__ import annotations

import pandas as pd
import pytest
from inputs_helpers import make, validate_cli

from reportlib.inputs import load_company, validate_company
from reportlib.inputs.sources import SOURCES, Source

M = lambda s: pd.Period(s, "M")  # noqa: E731

# Stripe-like export: amounts in cents, a quantity, a status.
EXPORT = (
    "id,Customer,Month,Amount,Quantity,Status\n"
    "s1,a,2024-01,1000,2,active\n"  # 1000 x 2 / 100 = 20
    "s2,b,2024-01,5000,1,trialing\n"  # left out by where
    "s3,a,2024-02,1000,3,active\n"  # 30
    "s4,c,2024-02,250,4,past_due\n"
)  # 10


def mrr_by_month(folder) -> dict:
    return load_company(folder).frames["mrr"].groupby("month")["mrr"].sum().to_dict()


def test_where_and_compute_over_the_files_own_columns(tmp_path):
    folder = make(
        tmp_path,
        """
[inputs.mrr]
path = "subs.csv"
columns = { customer_id = "Customer", month = "Month" }
where = "\\"Status\\" IN ('active', 'past_due')"
[inputs.mrr.compute]
mrr = '"Amount"::DOUBLE * "Quantity"::INTEGER / 100'
""",
        {"subs.csv": EXPORT},
    )
    company = load_company(folder)
    # Jan: a 20; Feb: a 30 + c 10 = 40. The trial (row 3) is left out and counted.
    assert mrr_by_month(folder) == {M("2024-01"): 20.0, M("2024-02"): 40.0}
    (w,) = [w for w in company.warnings if w.column == "inputs.mrr.where"]
    assert "1 of 4 rows left out by where" in w.message


def test_amount_unit_cents_scales_every_money_column(tmp_path):
    folder = make(
        tmp_path,
        '[inputs.mrr]\npath = "m.csv"\namount_unit = "cents"\n',
        {"m.csv": "customer_id,month,mrr\na,2024-01,1999\nb,2024-01,1\n"},
    )
    # 1999 + 1 cents = 20.00
    assert mrr_by_month(folder) == {M("2024-01"): 20.0}


def test_amount_unit_thousands_scales_a_pnl_exported_in_thousands(tmp_path):
    folder = make(
        tmp_path,
        '[inputs.mrr]\npath = "m.csv"\n[inputs.financials]\npath = "pnl.csv"\namount_unit = "thousands"\n',
        {
            "m.csv": "customer_id,month,mrr\na,2024-01,1500\na,2024-02,1500\n",
            "pnl.csv": "month,revenue,cogs,sales_marketing\n2024-01,1.5,0.25,2.1\n2024-02,1.5,0.3,1.9\n",
        },
    )
    fin = load_company(folder).frames["financials"]
    # every P&L line x 1,000: revenue 1,500 (the billing's 1,500), cogs 250 and 300, S&M 2,100 and 1,900
    assert fin["revenue"].tolist() == [1500.0, 1500.0]
    assert fin["cogs"].tolist() == [250.0, 300.0]
    assert fin["sales_marketing"].tolist() == pytest.approx([2100.0, 1900.0])


def test_sql_sees_each_file_as_a_table_named_after_its_stem(tmp_path):
    folder = make(
        tmp_path,
        """
[inputs.mrr]
path = ["Subs 2024.csv", "plans.csv"]
sql = '''
SELECT s."Customer" AS customer_id, s."Month" AS month,
       sum(p."Price"::DOUBLE * s."Seats"::INTEGER) AS mrr, min(s.__row__) AS __row__
FROM subs_2024 s JOIN plans p ON s."Plan" = p."Plan"
GROUP BY ALL ORDER BY 1, 2'''
""",
        {
            "Subs 2024.csv": "Customer,Month,Plan,Seats\na,2024-01,pro,2\na,2024-01,base,1\nb,2024-01,base,3\n",
            "plans.csv": "Plan,Price\npro,50\nbase,10\n",
        },
    )
    # a: 50 x 2 + 10 x 1 = 110; b: 10 x 3 = 30 -> 140
    frame = load_company(folder).frames["mrr"]
    assert frame.set_index("customer_id")["mrr"].to_dict() == {"a": 110.0, "b": 30.0}


def test_join_with_left_on_right_on_and_summed_side(tmp_path):
    folder = make(
        tmp_path,
        """
[inputs.contracts]
path = "subs.csv"
columns = { contract_id = "sub", customer_id = "cust", start_date = "start" }
defaults = { revenue_type = "contracted_recurring", billing = "monthly" }
[[inputs.contracts.join]]
path = "addons.csv"
left_on = "sub"
right_on = "subscription_id"
aggregate = "sum"
columns = { mrr = "amount" }
""",
        {
            "subs.csv": "sub,cust,start\nS1,a,2024-01-01\nS2,b,2024-01-01\n",
            "addons.csv": "subscription_id,amount,name\nS1,10,x\nS1,15.5,y\nS2,7,z\n",
        },
    )
    c = load_company(folder).frames["contracts"]
    # S1: 10 + 15.5 = 25.5; S2: 7
    assert c.set_index("contract_id")["mrr"].to_dict() == {"S1": 25.5, "S2": 7.0}


def test_a_joined_side_with_repeated_keys_needs_aggregate(tmp_path):
    folder = make(
        tmp_path,
        """
[inputs.mrr]
path = "m.csv"
[[inputs.mrr.join]]
path = "seg.csv"
left_on = "customer_id"
right_on = "cust"
columns = { segment = "segment" }
""",
        {"m.csv": "customer_id,month,mrr\na,2024-01,1\n", "seg.csv": "cust,segment\na,SMB\na,ENT\n"},
    )
    (p,) = validate_company(folder).errors
    assert (p.file, p.row, p.column) == ("seg.csv", 2, "cust") and "rows 2, 3" in p.message


# A plan lookup: the MRR file's customers are on 3 plans, the company's plan list has 20
# (the 17 others are old or unsold plans). Every row of the file finds its plan.
_PLANS = "plan_id,segment\n" + "".join(f"P{i},{'SMB' if i < 10 else 'ENT'}\n" for i in range(1, 21))
_MRR_ON_PLANS = "customer_id,month,mrr,plan\na,2024-01,10,P1\nb,2024-01,20,P2\nc,2024-01,30,P15\n"


def _mrr_with_lookup(tmp_path, keys: str, mrr: str, plans: str, how: str = "left"):
    return make(
        tmp_path,
        f"""
[inputs.mrr]
path = "m.csv"
[[inputs.mrr.join]]
path = "plans.csv"
{keys}
how = "{how}"
columns = {{ segment = "segment" }}
""",
        {"m.csv": mrr, "plans.csv": plans},
    )


_LOOKUP_KEYS = [
    pytest.param('left_on = "plan"\nright_on = "plan_id"', id="duckdb-join"),
    pytest.param('on = "plan"', id="plain-join"),
]


@pytest.mark.parametrize("keys", _LOOKUP_KEYS)
def test_a_lookup_listing_more_keys_than_the_file_uses_is_no_problem(tmp_path, keys):
    # 3 of the 20 plans are used (15%): before, that was "only 3 of the 20 rows of plans.csv
    # (15%) find their plan_id", although every one of the file's 3 rows is labelled.
    plans = _PLANS if "plan_id" in keys else _PLANS.replace("plan_id", "plan")
    folder = _mrr_with_lookup(tmp_path, keys, _MRR_ON_PLANS, plans)
    result = validate_company(folder)
    assert not [p for p in result.errors + result.warnings if "join" in p.message]
    mrr = load_company(folder).frames["mrr"]
    # P1, P2 are SMB (plans 1-9), P15 is ENT
    assert mrr.set_index("customer_id")["segment"].to_dict() == {"a": "SMB", "b": "SMB", "c": "ENT"}


@pytest.mark.parametrize("keys", _LOOKUP_KEYS)
def test_a_lookup_missing_most_of_the_files_keys_is_a_warning_naming_the_files_rows(tmp_path, keys):
    # The lookup lists Basic and Enterprise. The file's rows: a Basic, b Pro, c Pro, d Team, and e
    # with no plan (nothing to look up, not counted). 1 of its 4 keyed rows is labelled (25%):
    # b, c, d would get a blank segment. Before, the check counted the lookup's rows instead:
    # Basic matched, Enterprise did not, 1 of 2 = 50%, not under half: no warning.
    mrr = "customer_id,month,mrr,plan\na,2024-01,10,Basic\nb,2024-01,20,Pro\nc,2024-01,30,Pro\nd,2024-01,40,Team\n"
    mrr += "e,2024-01,50,\n"
    plans = "plan_id,segment\nBasic,SMB\nEnterprise,ENT\n"
    plans = plans if "plan_id" in keys else plans.replace("plan_id", "plan")
    result = validate_company(_mrr_with_lookup(tmp_path, keys, mrr, plans))
    assert not result.errors
    (w,) = [p for p in result.warnings if "join" in p.message]
    assert (w.file, w.row, w.column) == ("m.csv", 3, "plan")  # b, the first row left unlabelled
    assert "only 1 of the 4 rows of m.csv with a plan (25%)" in w.message
    assert "'Pro', 'Team'" in w.message and "get blank segment" in w.message


def test_an_inner_lookup_says_the_unmatched_rows_are_left_out(tmp_path):
    # Same story with how = "inner": b, c, d are dropped, not unlabelled.
    mrr = "customer_id,month,mrr,plan\na,2024-01,10,Basic\nb,2024-01,20,Pro\nc,2024-01,30,Pro\nd,2024-01,40,Team\n"
    folder = _mrr_with_lookup(tmp_path, 'on = "plan"', mrr, "plan,segment\nBasic,SMB\nEnterprise,ENT\n", how="inner")
    (w,) = [p for p in validate_company(folder).warnings if "join" in p.message]
    assert "the other 3 (e.g. 'Pro', 'Team') are left out (how = \"inner\")" in w.message


class _Fake:
    """A tiny known source for the hook: cents and quantity, trials left out."""

    source = Source(
        name="fake_billing",
        feeds="mrr",
        documentation="a test double",
        required=("customer", "period", "amount_cents"),
        sql="""SELECT customer AS customer_id, period AS month,
                           amount_cents::DOUBLE / 100 AS mrr, __row__
                           FROM export WHERE status <> 'trial'""",
    )


@pytest.fixture
def fake_source(monkeypatch):
    monkeypatch.setitem(SOURCES, "fake_billing", _Fake.source)
    monkeypatch.setitem(
        SOURCES, "fake_crm", Source(name="fake_crm", feeds="leads", documentation="x", required=("id",), sql="SELECT 1")
    )


def test_a_known_source_runs_after_the_users_where(tmp_path, fake_source):
    folder = make(
        tmp_path,
        '[inputs.mrr]\nsource = "fake_billing"\npath = "e.csv"\nwhere = "customer <> \'zz\'"\nmin_rows_kept = 0.2\n',
        {
            "e.csv": "Customer,Period,Amount_Cents,Status\na,2024-01,1050,active\nb,2024-01,900,trial\n"
            "zz,2024-01,100,active\n"
        },
    )
    # a: 1050 cents = 10.50; b is a trial (the source leaves it out); zz by the user's where.
    assert mrr_by_month(folder) == {M("2024-01"): 10.5}


def test_source_problems_are_sentences(tmp_path, fake_source):
    base = '[inputs.mrr]\npath = "e.csv"\nsource = "{name}"\n'
    cases = {
        "fake_biling": "is not a known source. Did you mean 'fake_billing'?",
        "fake_crm": "reads a leads export; put it under [inputs.leads]",
    }
    for i, (name, words) in enumerate(cases.items()):
        (p,) = validate_company(make(tmp_path, base.format(name=name), {"e.csv": "a\n1\n"}, name=f"c{i}")).errors
        assert words in p.message and p.column == "inputs.mrr.source"
    (p,) = validate_company(
        make(tmp_path, base.format(name="fake_billing"), {"e.csv": "customer,period\na,2024-01\n"}, name="missing")
    ).errors
    assert "is not a fake_billing export" in p.message and "amount_cents" in p.message


def test_a_typo_in_where_is_one_clear_line(tmp_path, capsys):
    folder = make(
        tmp_path,
        '[inputs.mrr]\npath = "m.csv"\nwhere = "Statu = \'active\'"\n',
        {"m.csv": "customer_id,month,mrr,Status\na,2024-01,1,active\n"},
    )
    code, text = validate_cli(folder, capsys)
    assert code == 1 and "Traceback" not in text
    (line,) = [ln for ln in text.splitlines() if "error" in ln and "inputs.mrr.where" in ln]
    assert 'referenced column "Statu" not found. Did you mean "Status"?' in line
    folder = make(
        tmp_path,
        '[inputs.mrr]\npath = "m.csv"\nwhere = "Status = = 1"\n',
        {"m.csv": "customer_id,month,mrr,Status\na,2024-01,1,active\n"},
        name="syntax",
    )
    (p,) = validate_company(folder).errors
    assert 'syntax error at or near "="' in p.message and p.file == "m.csv"


def test_expressions_cannot_read_other_files_or_change_settings(tmp_path):
    (tmp_path / "secret.csv").write_text("x\n1\n")
    for i, where in enumerate(
        [
            f"(SELECT count(*) FROM read_csv('{tmp_path / 'secret.csv'}')) > 0",
            "current_setting('enable_external_access') AND 1 = (SELECT 1 FROM glob('/etc/*'))",
        ]
    ):
        folder = make(
            tmp_path,
            f'[inputs.mrr]\npath = "m.csv"\nwhere = "{where}"\n',
            {"m.csv": "customer_id,month,mrr\na,2024-01,1\n"},
            name=f"s{i}",
        )
        (p,) = validate_company(folder).errors
        assert "could not be run" in p.message and p.column == "inputs.mrr.where"
    folder = make(
        tmp_path,
        '[inputs.mrr]\npath = "m.csv"\nsql = "COPY (SELECT 1) TO \'/tmp/ingest-pwned.csv\'"\n',
        {"m.csv": "customer_id,month,mrr\na,2024-01,1\n"},
        name="copy",
    )
    assert validate_company(folder).errors
    assert not __import__("os").path.exists("/tmp/ingest-pwned.csv")


# A join on the wrong keys matches nothing: Olist's closed deals joined by seller_id onto
# leads' mql_id. Four leads L1-L4; the deals file's keys are seller ids S1, S2, so none of
# its 2 rows finds its key among the leads: customer_at would be blank for every lead and
# lead conversion 0 % (the right answer is 2 of 4 = 50 %).
_LEADS = "mql_id,first_contact\nL1,2024-01-02\nL2,2024-01-03\nL3,2024-01-04\nL4,2024-01-05\n"
_DEALS = "mql_id,seller_id,won_date\nL1,S1,2024-02-01\nL2,S2,2024-02-02\n"


def _leads_joined(tmp_path, keys: str, deals: str = _DEALS):
    return make(
        tmp_path,
        f"""
[inputs.leads]
path = "leads.csv"
columns = {{ lead_id = "mql_id", created_at = "first_contact" }}
[[inputs.leads.join]]
path = "deals.csv"
{keys}
columns = {{ customer_at = "won_date" }}
""",
        {"leads.csv": _LEADS, "deals.csv": deals},
    )


@pytest.mark.parametrize(
    "keys, column",
    [
        ('left_on = "mql_id"\nright_on = "seller_id"', "seller_id"),  # the DuckDB join
        ('on = "mql_id"', "mql_id"),  # the plain join, keys renamed to make it miss
    ],
)
def test_a_join_matching_no_row_of_the_joined_file_is_an_error(tmp_path, keys, column):
    deals = _DEALS if column == "seller_id" else "mql_id,won_date\nS1,2024-02-01\nS2,2024-02-02\n"
    (p,) = validate_company(_leads_joined(tmp_path, keys, deals)).errors
    assert (p.file, p.row, p.column) == ("deals.csv", 2, column)
    assert "none of the 2 rows of deals.csv" in p.message and "'S1', 'S2'" in p.message
    assert "customer_at" in p.message


def test_a_join_matching_under_half_of_the_joined_rows_is_a_warning(tmp_path):
    # 4 deals; only L1 is a lead: 1 of 4 = 25 % matched, under half. Rows 3-5 (X2, X3, X4)
    # are not joined; L1 still gets its won date.
    deals = "mql_id,won_date\nL1,2024-02-01\nX2,2024-02-02\nX3,2024-02-03\nX4,2024-02-04\n"
    folder = _leads_joined(tmp_path, 'on = "mql_id"', deals)
    result = validate_company(folder)
    assert not result.errors
    (w,) = [p for p in result.warnings if p.file == "deals.csv"]
    assert (w.row, w.column) == (3, "mql_id")
    assert "only 1 of the 4 rows of deals.csv (25%)" in w.message and "'X2', 'X3', 'X4'" in w.message
    leads = load_company(folder).frames["leads"]
    assert leads["customer_at"].notna().tolist() == [True, False, False, False]

    # Exactly half (L1 and L2 of 4 deals; X3, X4 are deals of leads outside the export,
    # which happens) is not under it: quiet.
    (folder / "deals.csv").write_text(deals.replace("X2", "L2"))
    again = validate_company(folder)
    assert not [p for p in again.errors + again.warnings if p.file == "deals.csv"]
