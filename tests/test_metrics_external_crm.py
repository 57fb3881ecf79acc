"""The pipeline and journey metrics on real CRM exports (../shared/data/external).

The files are read here with plain pandas and mapped to the canonical columns, so these
tests exercise the metric definitions, not the loader; counts asserted were cross-checked
against the publishers' figures (SOURCE.txt) and an independent pandas computation.
"""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import EXTERNAL, needs_external
from reportlib.metrics import Window, conversion_by, funnel_cohorts, journey_kpis, pipeline_by, pipeline_kpis

pytestmark = needs_external

YEAR_2017 = Window(pd.Period("2017-12", "M"), 12)


@pytest.fixture(scope="module")
def maven() -> pd.DataFrame:
    raw = pd.read_csv(
        EXTERNAL / "maven-crm-sales-opportunities" / "sales_pipeline.csv", parse_dates=["engage_date", "close_date"]
    )
    outcome = raw["deal_stage"].map({"Won": "won", "Lost": "lost", "Engaging": "open", "Prospecting": "open"})
    return pd.DataFrame(
        {
            "opportunity_id": raw["opportunity_id"].astype("string"),
            "created_at": raw["engage_date"],  # Prospecting deals have no engage date
            "amount": raw["close_value"].astype(float),
            "stage": raw["deal_stage"].astype("string"),
            "closed_at": raw["close_date"],
            "outcome": outcome.astype("string"),
            "owner": raw["sales_agent"].astype("string"),
            "product": raw["product"].astype("string"),
        }
    )


@pytest.fixture(scope="module")
def olist() -> pd.DataFrame:
    folder = EXTERNAL / "olist-marketing-funnel"
    mql = pd.read_csv(folder / "olist_marketing_qualified_leads_dataset.csv", parse_dates=["first_contact_date"])
    won = pd.read_csv(folder / "olist_closed_deals_dataset.csv", parse_dates=["won_date"])
    joined = mql.merge(won[["mql_id", "won_date", "business_segment"]], on="mql_id", how="left")
    return pd.DataFrame(
        {
            "lead_id": joined["mql_id"].astype("string"),
            "created_at": joined["first_contact_date"],
            "customer_at": joined["won_date"],
            "channel": joined["origin"].astype("string"),
            "segment": joined["business_segment"].astype("string"),
        }
    )


def test_maven_2017_win_rate_deal_size_cycle(maven):
    k = pipeline_kpis(maven, YEAR_2017)
    # every close date is in 2017 (Mar-Dec), so 2017 = all closed deals: 4,238 won / 2,473 lost
    assert k["win_rate"] == pytest.approx(4238 / (4238 + 2473)) and round(k["win_rate"], 4) == 0.6315
    assert k["avg_deal_size"] * 4238 == pytest.approx(10_005_534)  # won value $10,005,534
    assert round(k["avg_deal_size"], 2) == 2360.91
    won = maven[maven.outcome == "won"]
    assert k["sales_cycle_days"] == pytest.approx((won.closed_at - won.created_at).dt.days.mean())
    assert round(k["sales_cycle_days"], 2) == 51.78
    created_2017 = maven[maven.created_at.dt.year == 2017]
    assert k["pipeline_created"] == pytest.approx(created_2017["amount"].sum())  # open deals carry no value


def test_maven_by_owner_adds_up(maven):
    t = pipeline_by(maven, YEAR_2017, "owner")
    assert len(t) == 30 and t["won"].sum() == 4238 and t["lost"].sum() == 2473
    assert t["won_amount"].sum() == pytest.approx(10_005_534)
    assert t["win_rate"].between(0, 1).all()


def test_olist_lead_to_customer_by_origin(olist):
    c = conversion_by(olist, "channel").set_index("channel")
    assert c["entered"].sum() == 8000 and c["converted"].sum() == 842  # 842 / 8000 = 10.5%
    # published: paid_search 12.3%, organic_search 11.8%, social 5.5%
    assert tuple(c.loc["paid_search", ["converted", "entered"]]) == (195, 1586)  # 12.30%
    assert tuple(c.loc["organic_search", ["converted", "entered"]]) == (271, 2296)  # 11.80%
    assert tuple(c.loc["social", ["converted", "entered"]]) == (75, 1350)  # 5.56%
    assert round(c.loc["paid_search", "conversion"], 3) == 0.123
    assert round(c.loc["organic_search", "conversion"], 3) == 0.118
    assert round(c.loc["social", "conversion"], 3) == 0.056
    # the literal origin "unknown" (1,099 leads) stays apart from the 60 leads with no origin
    assert c.loc["unknown", "entered"] == 1099 and c.loc["(missing)", "entered"] == 60


def test_olist_funnel_cohorts_created_to_customer(olist):
    c = funnel_cohorts(olist, as_of_date="2018-11-30")
    assert set(zip(c.stage_from, c.stage_to, strict=False)) == {("created", "customer")}
    total = c[c.dimension == "all"]
    assert total["entered"].sum() == 8000 and total["converted"].sum() == 842
    assert total["cohort"].min() == "2017-06" and total["cohort"].max() == "2018-05"
    assert set(c.dimension) == {"all", "channel", "segment"}
    assert c.loc[c.dimension == "channel", "converted"].sum() == 842


def test_olist_period_lead_conversion(olist):
    window = Window(pd.Period("2018-05", "M"), 12)  # June 2017 - May 2018: every MQL's first contact
    k = journey_kpis(olist, None, window)
    won_in_p = olist["customer_at"].between("2017-06-01", "2018-05-31 23:59:59").sum()
    assert k["lead_conversion_rate"] == pytest.approx(won_in_p / 8000)
    assert k["signups"].note == "the leads export has no signup stage (signup_at)"
