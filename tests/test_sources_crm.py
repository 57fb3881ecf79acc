"""CRM adapters on their fixtures (tests/fixtures/sources/*/README.md): the same eleven deals
exported by HubSpot, Salesforce (report and Data Loader) and Pipedrive, and HubSpot contacts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from _export import run_source

from reportlib.inputs._fx import convert, read_fx
from reportlib.metrics.periods import Window
from reportlib.metrics.pipeline import pipeline_kpis

FIX = Path(__file__).resolve().parent / "fixtures" / "sources"

# deal # -> (created_at, amount, closed_at, outcome), by hand from the READMEs' story tables
DEALS = {
    1: ("2026-01-12", 24000, "2026-04-20", "won"),
    2: ("2026-02-03", 12000, "2026-05-08", "won"),
    3: ("2026-02-20", 8000, "2026-04-30", "lost"),
    4: ("2026-03-05", 60000, "2026-06-15", "won"),
    5: ("2026-03-18", 18000, "2026-05-22", "lost"),
    6: ("2026-04-02", 9000, "2026-06-10", "won"),
    7: ("2026-04-15", 6000, "2026-06-25", "lost"),
    8: ("2026-05-04", 30000, None, "open"),
    9: ("2026-05-20", 4500, None, "open"),
    10: ("2026-01-08", 15000, "2026-03-20", "won"),
    11: ("2026-01-25", 10000, "2026-03-27", "lost"),
}
HUBSPOT = (
    "hubspot_deals",
    FIX / "hubspot_deals" / "hubspot-crm-exports-all-deals-2026-07-08.csv",
    lambda n: str(31000000000 + 7 * n),
)
SF_REPORT = (
    "salesforce_opportunities",
    FIX / "salesforce_opportunities" / "report_opportunities_2026-07-08.csv",
    lambda n: f"0065g00000Xy{n:03d}AAA",
)
SF_LOADER = (
    "salesforce_opportunities",
    FIX / "salesforce_opportunities" / "extract_opportunity_dataloader.csv",
    lambda n: f"0065g00000Xy{n:03d}AAA",
)
PIPEDRIVE = ("pipedrive_deals", FIX / "pipedrive_deals" / "deals-2026-07-08.csv", lambda n: str(100 + n))


def as_date(text):
    return pd.Timestamp(text) if text else pd.NaT


@pytest.mark.parametrize(
    "source, path, deal_id", [HUBSPOT, SF_REPORT, SF_LOADER], ids=["hubspot", "sf-report", "sf-loader"]
)
def test_every_deal_outcome_amount_and_dates(source, path, deal_id):
    opps = run_source(source, path).set_index("opportunity_id")
    assert len(opps) == 11  # the Salesforce footer lines (Grand Totals, Confidential, Copyright) are gone
    for n, (created, amount, closed, outcome) in DEALS.items():
        row = opps.loc[deal_id(n)]
        assert (row["created_at"], row["amount"], row["outcome"]) == (pd.Timestamp(created), amount, outcome), n
        # an open deal's Close Date is its expected date, not closed_at
        assert (pd.isna(row["closed_at"]) and closed is None) or row["closed_at"] == as_date(closed), n


@pytest.mark.parametrize(
    "source, path, deal_id", [HUBSPOT, SF_REPORT, SF_LOADER], ids=["hubspot", "sf-report", "sf-loader"]
)
def test_win_rate_deal_size_and_cycle_by_quarter(source, path, deal_id):
    opps = run_source(source, path)
    q2 = pipeline_kpis(opps, Window.of("2026-06", "quarter"))
    # Q2 closed: won #1, #2, #4, #6; lost #3, #5, #7 -> 4 / 7
    assert q2["win_rate"] == pytest.approx(4 / 7)
    # (24,000 + 12,000 + 60,000 + 9,000) / 4 = 105,000 / 4 = 26,250
    assert q2["avg_deal_size"] == 26250
    # created in Q2: #6 9,000 + #7 6,000 + #8 30,000 + #9 4,500 = 49,500
    assert q2["pipeline_created"] == 49500
    # (98 + 94 + 102 + 69) / 4 = 90.75 days
    assert q2["sales_cycle_days"] == pytest.approx(90.75)
    q1 = pipeline_kpis(opps, Window.of("2026-03", "quarter"))
    # Q1: won #10 15,000, lost #11 -> 0.5; deal size 15,000; created 24,000+12,000+8,000+60,000+18,000+15,000+10,000
    assert (q1["win_rate"], q1["avg_deal_size"], q1["pipeline_created"]) == (0.5, 15000, 147000)
    assert q1["sales_cycle_days"] == 71  # Jan 8 -> Mar 20


def test_pipeline_and_owner_are_kept_as_dimensions():
    opps = run_source(*HUBSPOT[:2])
    q2 = opps[opps["closed_at"].between("2026-04-01", "2026-06-30")]
    by_pipeline = q2.groupby("pipeline")["outcome"].apply(lambda s: (s == "won").sum() / len(s))
    # Q2 Sales Pipeline 3 won / 2 lost = 0.6; Expansion Pipeline 1 won / 1 lost = 0.5
    assert by_pipeline.to_dict() == {"Expansion Pipeline": 0.5, "Sales Pipeline": 0.6}
    won = opps[opps["outcome"] == "won"].groupby("owner")["amount"].sum()
    assert won.to_dict() == {"Alice Moreau": 24000, "Ben Okafor": 96000}  # Ben 12,000+60,000+9,000+15,000


def test_salesforce_lead_source_and_owner_ids():
    report = run_source(*SF_REPORT[:2])
    loader = run_source(*SF_LOADER[:2])
    won_q2 = report[(report["outcome"] == "won") & report["closed_at"].between("2026-04-01", "2026-06-30")]
    # Q2 won by source: Web #1 + #2 = 36,000; Partner Referral #4 = 60,000; Other #6 = 9,000
    assert won_q2.groupby("source")["amount"].sum().to_dict() == {
        "Other": 9000,
        "Partner Referral": 60000,
        "Web": 36000,
    }
    assert set(loader["owner"]) == {"0055g00000AbCdEAAV", "0055g00000FgHiJAAV"}
    # Existing Customer - Upgrade = #6, #7, #9; New Customer the other 8
    assert report["pipeline"].value_counts().to_dict() == {"New Customer": 8, "Existing Customer - Upgrade": 3}


def test_pipedrive_status_and_eur_deal_converted_through_fx():
    raw = run_source(*PIPEDRIVE[:2])
    assert raw.set_index("opportunity_id")["outcome"].to_dict() == {PIPEDRIVE[2](n): d[3] for n, d in DEALS.items()}
    fx = read_fx(FIX / "pipedrive_deals" / "fx.csv")
    opps, problems = convert(raw, "opportunities", "GBP", fx)
    assert problems == []
    # deal #6: EUR 10,000 x 0.85 (rate of 2026-04, its created month) = GBP 8,500
    assert opps.set_index("opportunity_id").loc["106", ["amount", "currency"]].tolist() == [8500, "GBP"]
    q2 = pipeline_kpis(opps, Window.of("2026-06", "quarter"))
    # won 24,000 + 12,000 + 60,000 + 8,500 = 104,500 / 4 = 26,125; created 8,500 + 6,000 + 30,000 + 4,500 = 49,000
    assert (q2["avg_deal_size"], q2["pipeline_created"]) == (26125, 49000)
    assert q2["win_rate"] == pytest.approx(4 / 7)


CONTACTS = FIX / "hubspot_contacts" / "hubspot-crm-exports-all-contacts-2026-07-08.csv"


def test_hubspot_contacts_stage_counts():
    leads = run_source("hubspot_contacts", CONTACTS)
    assert len(leads) == 10
    # reaching each stage ever: Lead 9 (all but the subscriber #6), MQL 7, SQL 5, Opportunity 4, Customer 3
    reached = {
        c: int(leads[c].notna().sum()) for c in ("signup_at", "pql_at", "sql_at", "opportunity_at", "customer_at")
    }
    assert reached == {"signup_at": 9, "pql_at": 7, "sql_at": 5, "opportunity_at": 4, "customer_at": 3}

    def in_q(column, q):
        return int((leads[column].dt.to_period("Q") == pd.Period(q)).sum())

    # by quarter of the stage date (README table): Q1 created 8, lead 7, MQL 5, SQL 4, opp 2, customer 1
    assert [
        in_q(c, "2026Q1") for c in ("created_at", "signup_at", "pql_at", "sql_at", "opportunity_at", "customer_at")
    ] == [8, 7, 5, 4, 2, 1]
    # Q2: created 2, lead 2, MQL 2, SQL 1, opp 2, customer 2 -> lead_conversion_rate Q2 = 2 / 2 = 1.0, Q1 = 1 / 8
    assert [
        in_q(c, "2026Q2") for c in ("created_at", "signup_at", "pql_at", "sql_at", "opportunity_at", "customer_at")
    ] == [2, 2, 2, 1, 2, 2]
    assert leads.set_index("lead_id").loc["52000011", ["channel", "owner"]].tolist() == [
        "Organic Search",
        "Alice Moreau",
    ]


# ---------------------------------------------------------------- currencies and custom stages


def _company(tmp_path: Path, source: str, deals: str, extra: str = "", fx: str | None = None) -> Path:
    """A company folder with one deals export (``deals``, CSV text) read by ``source``."""
    (tmp_path / "deals.csv").write_text(deals)
    toml = '[company]\nname = "Deals Co"\ncurrency = "USD"\n\n'
    if fx is not None:
        (tmp_path / "fx.csv").write_text(fx)
        toml += '[fx]\npath = "fx.csv"\n\n'
    toml += f'[inputs.opportunities]\nsource = "{source}"\npath = "deals.csv"\n{extra}'
    (tmp_path / "company.toml").write_text(toml)
    return tmp_path


# A multi-currency HubSpot portal (company currency USD): deal 1 in USD, deal 2 in EUR, both won.
HUBSPOT_TWO_CURRENCIES = """Record ID,Deal Name,Deal Stage,Amount,Currency,Create Date,Close Date,Is Closed Won
1,Northwind,Closed Won,24000,USD,2026-04-01 09:00,2026-05-01 10:00,true
2,Bluestone,Closed Won,10000,EUR,2026-04-15 09:00,2026-05-20 10:00,true
"""


def test_hubspot_deal_in_another_currency_is_converted_through_fx(tmp_path):
    from reportlib.inputs import load_company

    folder = _company(tmp_path, "hubspot_deals", HUBSPOT_TWO_CURRENCIES, fx="currency,month,rate\nEUR,2026-04,1.10\n")
    opps = load_company(folder).frames["opportunities"].set_index("opportunity_id")
    # deal 2: EUR 10,000 x 1.10 (rate of 2026-04, its created month) = USD 11,000 (it was summed as 10,000 USD)
    assert opps["amount"].to_dict() == {"1": 24000, "2": pytest.approx(11000)}
    q2 = pipeline_kpis(opps.reset_index(), Window.of("2026-06", "quarter"))
    assert q2["avg_deal_size"] == pytest.approx((24000 + 11000) / 2)  # 17,500


def test_hubspot_deals_in_two_currencies_without_fx_are_an_error_naming_the_row(tmp_path):
    from reportlib.exceptions import InputError
    from reportlib.inputs import load_company

    folder = _company(tmp_path, "hubspot_deals", HUBSPOT_TWO_CURRENCIES)
    with pytest.raises(InputError) as caught:
        load_company(folder)
    (problem,) = caught.value.problems
    assert (problem.file, problem.row) == ("deals.csv", 3)  # deal 2, the EUR one, on row 3
    assert "EUR" in problem.message and "[fx]" in problem.message


# The audit's multi-currency portal: deal 4 (row 5) is in EUR with no Amount yet, created in
# July 2026; the [fx] table ends in June. Deals 1 and 5 hold EUR amounts of January and May.
HUBSPOT_BLANK_AMOUNT = """Record ID,Deal Name,Pipeline,Deal Stage,Amount,Currency,Create Date,Close Date,Is Closed Won
1,Alpha - Platform,Sales Pipeline,Closed Won,10000,EUR,2026-01-10 10:00,2026-02-10 10:00,true
2,Beta - Team,Sales Pipeline,Closed Won,5000,USD,2026-02-10 10:00,2026-03-01 10:00,true
3,Gamma - Pilot,Sales Pipeline,Closed Lost,,EUR,2026-03-01 10:00,2026-04-01 10:00,false
4,Delta - Platform,Sales Pipeline,Appointment Scheduled,,EUR,2026-07-02 10:00,2026-09-30 00:00,false
5,Epsilon - Seats,Sales Pipeline,Contract Sent,2000,eur,2026-05-01 09:00,2026-08-31 00:00,false
"""
FX_TO_JUNE = "currency,month,rate\n" + "".join(f"EUR,2026-{m:02d},0.85\n" for m in range(1, 7))


def test_hubspot_deal_with_no_amount_needs_no_rate(tmp_path):
    from reportlib.inputs import load_company

    folder = _company(tmp_path, "hubspot_deals", HUBSPOT_BLANK_AMOUNT, fx=FX_TO_JUNE)
    opps = load_company(folder).frames["opportunities"].set_index("opportunity_id")
    # deal 1: EUR 10,000 x 0.85 = 8,500; deal 5: EUR 2,000 x 0.85 = 1,700; deals 3 and 4 stay blank
    # (the run stopped on "No exchange rate for EUR in 2026-07" for deal 4, which has nothing to convert)
    assert opps["amount"].dropna().to_dict() == {"1": pytest.approx(8500), "2": 5000, "5": pytest.approx(1700)}
    assert opps.loc[["3", "4"], "amount"].isna().all()


def test_hubspot_deal_with_no_amount_in_another_currency_needs_no_fx_table(tmp_path):
    from reportlib.inputs import load_company

    deals = HUBSPOT_BLANK_AMOUNT.replace(",EUR,", ",USD,").replace(",eur,", ",USD,")
    deals = deals.replace(
        "Delta - Platform,Sales Pipeline,Appointment Scheduled,,USD",
        "Delta - Platform,Sales Pipeline,Appointment Scheduled,,EUR",
    )
    # every amount is in USD; deal 4 says EUR but has no amount: no [fx] is needed (it was an error)
    opps = load_company(_company(tmp_path, "hubspot_deals", deals)).frames["opportunities"]
    assert opps["amount"].sum() == 10000 + 5000 + 2000


def test_hubspot_amount_in_company_currency_is_used_as_is(tmp_path):
    from reportlib.inputs import load_company

    deals = HUBSPOT_TWO_CURRENCIES.replace("Is Closed Won\n", "Is Closed Won,Amount in company currency\n", 1)
    deals = deals.replace(",true\n", ",true,24000\n", 1).replace("10:00,true\n", "10:00,true,10850\n")
    folder = _company(tmp_path, "hubspot_deals", deals)  # no [fx]: HubSpot converted already
    opps = load_company(folder).frames["opportunities"].set_index("opportunity_id")
    # deal 2: EUR 10,000 that HubSpot gives as USD 10,850 in "Amount in company currency"
    assert opps["amount"].to_dict() == {"1": 24000, "2": 10850}


# A custom pipeline exported without "Is Closed Won": stages "Contract signed", "Signed" (won),
# "Lost - no budget" (lost) and a stage id 12345678 (still open).
CUSTOM_STAGES = {
    "hubspot_deals": """Record ID,Deal Name,Pipeline,Deal Stage,Amount,Create Date,Close Date
1,A,Partners,Contract signed,10000,2026-04-01 09:00,2026-05-01 10:00
2,B,Partners,Signed,20000,2026-04-02 09:00,2026-05-12 10:00
3,C,Partners,Lost - no budget,5000,2026-04-03 09:00,2026-05-03 10:00
4,D,Partners,12345678,7000,2026-04-04 09:00,2026-06-04 10:00
""",
    "salesforce_opportunities": """Opportunity ID,Opportunity Name,Stage,Amount,Created Date,Close Date
1,A,Contract signed,10000,4/1/2026,5/1/2026
2,B,Signed,20000,4/2/2026,5/12/2026
3,C,Lost - no budget,5000,4/3/2026,5/3/2026
4,D,12345678,7000,4/4/2026,6/4/2026
""",
}
OUTCOMES = """
[inputs.opportunities.values.outcome]
"Contract signed" = "won"
"signed" = "won"
"Lost - no budget" = "lost"
"""


@pytest.mark.parametrize("source, column", [("hubspot_deals", "Deal Stage"), ("salesforce_opportunities", "Stage")])
def test_custom_stages_with_no_deal_closed_warn_naming_the_stages_and_the_mapping(source, column, tmp_path):
    from reportlib.inputs import load_company

    company = load_company(_company(tmp_path, source, CUSTOM_STAGES[source]))
    (warning,) = [w for w in company.warnings if w.input == "opportunities"]
    assert (warning.file, warning.row, warning.column, warning.severity) == ("deals.csv", 2, column, "warning")
    for stage in ("'Contract signed'", "'Signed'", "'Lost - no budget'", "'12345678'"):
        assert stage in warning.message
    assert "[inputs.opportunities.values.outcome]" in warning.message


@pytest.mark.parametrize("source", ["hubspot_deals", "salesforce_opportunities"])
def test_values_outcome_maps_a_sources_custom_stages(source, tmp_path):
    from reportlib.inputs import load_company

    company = load_company(_company(tmp_path, source, CUSTOM_STAGES[source], extra=OUTCOMES))
    assert not [w for w in company.warnings if w.input == "opportunities"]
    opps = company.frames["opportunities"]
    assert opps.set_index("opportunity_id")["outcome"].to_dict() == {"1": "won", "2": "won", "3": "lost", "4": "open"}
    q2 = pipeline_kpis(opps, Window.of("2026-06", "quarter"))
    # closed in Q2: won #1, #2, lost #3 -> 2 / 3 (all open, i.e. no win rate, before)
    assert q2["win_rate"] == pytest.approx(2 / 3)
    # won (10,000 + 20,000) / 2 = 15,000; cycle (30 days Apr 1 -> May 1, 40 days Apr 2 -> May 12) / 2 = 35
    assert (q2["avg_deal_size"], q2["sales_cycle_days"]) == (15000, 35)


def test_a_flagged_won_deal_stays_won_under_a_star_mapping(tmp_path):
    from reportlib.inputs import load_company

    star = '\n[inputs.opportunities.values.outcome]\n"*" = "open"\n'
    company = load_company(_company(tmp_path, "hubspot_deals", HUBSPOT_TWO_CURRENCIES.replace("EUR", "USD"), star))
    # "*" names the stages the flags leave open, not deals HubSpot flags won (it made both open before)
    assert company.frames["opportunities"]["outcome"].tolist() == ["won", "won"]


# The audit's portal: the default Sales Pipeline (Closed Won, Closed Lost, Contract Sent) and a
# custom Renewals pipeline whose Renewed / Churned stages HubSpot's export does not flag closed.
HUBSPOT_TWO_PIPELINES = """Record ID,Deal Name,Pipeline,Deal Stage,Amount,Create Date,Close Date,Deal owner
1,Alpha - Platform,Sales Pipeline,Closed Won,10000,2026-01-10 10:00,2026-02-10 10:00,Ann
2,Beta - Team,Sales Pipeline,Closed Lost,5000,2026-02-10 10:00,2026-03-01 10:00,Ann
3,Gamma - Renewal,Renewals,Renewed,3000,2026-03-01 10:00,2026-04-01 10:00,Bob
4,Delta - Renewal,Renewals,Churned,2000,2026-03-05 10:00,2026-04-05 10:00,Bob
5,Eps - Renewal,Renewals,Renewed,4000,2026-03-07 10:00,2026-04-07 10:00,Bob
6,Zeta - Platform,Sales Pipeline,Contract Sent,2000,2026-05-01 09:00,2026-08-31 00:00,Ann
"""


def test_a_custom_pipeline_with_no_deal_closed_warns_though_another_pipeline_has_won_deals(tmp_path):
    from reportlib.inputs import load_company

    company = load_company(_company(tmp_path, "hubspot_deals", HUBSPOT_TWO_PIPELINES))
    # deal 1 is won, so the file-wide check said nothing while the 3 renewals all counted as open
    (warning,) = [w for w in company.warnings if w.input == "opportunities"]
    assert (warning.row, warning.column, warning.severity) == (4, "Deal Stage", "warning")  # deal 3, first Renewed
    assert "'Renewals'" in warning.message and "'Renewed', 'Churned'" in warning.message
    assert "Closed Won" not in warning.message and "Contract Sent" not in warning.message
    assert "[inputs.opportunities.values.outcome]" in warning.message

    mapped = '\n[inputs.opportunities.values.outcome]\n"Renewed" = "won"\n"Churned" = "lost"\n'
    company = load_company(_company(tmp_path, "hubspot_deals", HUBSPOT_TWO_PIPELINES, extra=mapped))
    assert not [w for w in company.warnings if w.input == "opportunities"]
    q2 = pipeline_kpis(company.frames["opportunities"], Window.of("2026-06", "quarter"))
    # closed in Q2 (April 1, 5 and 7): renewals 3 and 5 won, 4 lost -> 2 / 3 (no win rate: all open)
    assert q2["win_rate"] == pytest.approx(2 / 3)


def test_a_typo_in_values_outcome_names_company_toml_and_the_allowed_outcomes(tmp_path):
    from reportlib.exceptions import ConfigError
    from reportlib.inputs import load_company

    typo = '\n[inputs.opportunities.values.outcome]\n"Renewed" = "closed won"\n"Churned" = "lost"\n'
    with pytest.raises(ConfigError) as caught:
        load_company(_company(tmp_path, "hubspot_deals", HUBSPOT_TWO_PIPELINES, extra=typo))
    # the mistake is the right-hand side in company.toml, not a value of deals.csv (it was
    # reported at deals.csv rows 4, 6 as "Translate the file's own values")
    (problem,) = caught.value.problems
    assert (problem.file, problem.column) == ("company.toml", "inputs.opportunities.values.outcome")
    assert '"Renewed" = "closed won"' in problem.message and "won, lost, open" in problem.message
