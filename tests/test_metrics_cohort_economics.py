"""Cohort cumulative gross profit against cohort CAC (METRICS.md "Cohorts")."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from reportlib.inputs.config import Policies
from reportlib.metrics import (
    cohort_gross_profit,
    cohort_payback,
    monthly_cac,
    monthly_gross_margin,
)


def financials() -> pd.DataFrame:
    """Revenue 1000 a month; gross margin Jan 0.5, Feb 0.5, Mar 0.6, Apr 0.75, May 0.8, Jun 0.8;
    S&M Jan 300, Feb 200, then 100."""
    return pd.DataFrame(
        {
            "month": pd.period_range("2026-01", "2026-06", freq="M"),
            "revenue": 1000.0,
            "cogs": [500.0, 500.0, 400.0, 250.0, 200.0, 200.0],
            "sales_marketing": [300.0, 200.0, 100.0, 100.0, 100.0, 100.0],
        }
    )


def bridge() -> pd.DataFrame:
    return pd.DataFrame({"month": pd.period_range("2026-01", "2026-06", freq="M"), "new_customers": [0, 2, 1, 0, 0, 0]})


def cohorts() -> pd.DataFrame:
    rows = [
        ("<=2026-01", 0, 5, 500.0),
        ("2026-02", 0, 2, 100.0),
        ("2026-02", 1, 2, 100.0),
        ("2026-02", 2, 2, 120.0),
        ("2026-02", 3, 1, 60.0),
        ("2026-03", 0, 1, 50.0),
        ("2026-03", 1, 1, 50.0),
        ("2026-03", 2, 1, 50.0),
    ]
    return pd.DataFrame(rows, columns=["cohort", "age_months", "customers", "mrr"])


def test_monthly_cac_with_lag():
    assert monthly_cac(financials(), bridge())[pd.Period("2026-02", "M")] == 100.0  # 200 / 2
    lagged = monthly_cac(financials(), bridge(), Policies(cac_lag_months=1))
    assert lagged[pd.Period("2026-02", "M")] == 150.0  # Jan 300 / 2
    assert math.isnan(lagged[pd.Period("2026-04", "M")])  # no new customers


def test_cumulative_gross_profit_and_payback():
    gp = cohort_gross_profit(cohorts(), financials(), monthly_cac(financials(), bridge()))
    assert "<=2026-01" not in set(gp.cohort)  # the opening cohort has no CAC
    feb = gp[gp.cohort == "2026-02"].set_index("age_months")
    # 100 x 0.5 = 50; + 100 x 0.6 = 110; + 120 x 0.75 = 200; + 60 x 0.8 = 248
    assert feb["cumulative_gross_profit"].tolist() == pytest.approx([50.0, 110.0, 200.0, 248.0])
    assert feb["cohort_cac"].iloc[0] == 200.0  # CAC 100 x 2 customers
    assert feb["month"].tolist() == ["2026-02", "2026-03", "2026-04", "2026-05"]
    pb = cohort_payback(gp).set_index("cohort")
    assert pb.loc["2026-02", "payback_age_months"] == 2.0  # 200 >= 200 at age 2
    # March: CAC 100 x 1; 50 x 0.6 = 30, + 37.5 = 67.5, + 40 = 107.5 -> age 2
    assert pb.loc["2026-03", "payback_age_months"] == 2.0
    assert pb.loc["2026-03", "cumulative_gross_profit"] == pytest.approx(107.5)


def test_not_yet_paid_back_and_missing_margin():
    cac = monthly_cac(financials(), bridge(), Policies(cac_lag_months=1))  # Feb cohort CAC 150 x 2 = 300
    pb = cohort_payback(cohort_gross_profit(cohorts(), financials(), cac)).set_index("cohort")
    assert math.isnan(pb.loc["2026-02", "payback_age_months"]) and pb.loc["2026-02", "cohort_cac"] == 300.0
    short = financials().iloc[:4]  # no May margin: the running total stops there
    gp = cohort_gross_profit(cohorts(), short, monthly_cac(financials(), bridge()))
    assert math.isnan(gp[(gp.cohort == "2026-02") & (gp.age_months == 3)]["cumulative_gross_profit"].iloc[0])


def test_monthly_gross_margin():
    assert monthly_gross_margin(financials()).tolist() == [0.5, 0.5, 0.6, 0.75, 0.8, 0.8]


def test_size_column_of_the_revenue_engine_is_used():
    t = cohorts().assign(size=lambda d: d.groupby("cohort")["customers"].transform("first") + 1)
    gp = cohort_gross_profit(t, financials(), monthly_cac(financials(), bridge()))
    assert gp.loc[gp.cohort == "2026-02", "cohort_cac"].iloc[0] == 300.0  # CAC 100 x size 3


# ---------------------------------------------------------------------------- against the plain statement

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from test_metrics_properties import SETTINGS, mrr_frames  # noqa: E402

from reportlib.metrics import cohorts as cohort_tables  # noqa: E402
from reportlib.metrics import movements, mrr_bridge  # noqa: E402


def reference_gross_profit(table: pd.DataFrame, fin: pd.DataFrame, cac: pd.Series) -> pd.DataFrame:
    """cohort_gross_profit as first written: a Period per row and a pandas transform per cohort."""

    def month_of(label):
        text = str(label)
        return None if text.startswith("<=") else pd.Period(text, freq="Q" if "Q" in text else "M").asfreq("M", "start")

    start = table["cohort"].map(month_of)
    t = table[start.notna()].copy()
    t["start"] = start[start.notna()]
    t["month"] = [s + int(k) for s, k in zip(t["start"], t["age_months"], strict=False)]
    t["gross_margin"] = t["month"].map(monthly_gross_margin(fin)).astype(float)
    t["gross_profit"] = t["mrr"].astype(float) * t["gross_margin"]
    t = t.sort_values(["start", "age_months"])
    t["cumulative_gross_profit"] = t.groupby("cohort")["gross_profit"].transform(
        lambda s: s.cumsum().where(s.notna().cummin())
    )
    t["cohort_size"] = t["size"].astype(float)
    t["cohort_cac"] = t["start"].map(cac).astype(float) * t["cohort_size"]
    t["paid_back"] = t["cumulative_gross_profit"] >= t["cohort_cac"]
    t["month"] = t["month"].astype(str)
    return t[list(t.columns)].reset_index(drop=True)


@SETTINGS
@given(mrr_frames(max_months=14), st.sampled_from(["M", "Q"]), st.data())
def test_gross_profit_is_the_plain_statement(mrr, freq, data):
    # Months with no revenue have no gross margin: the running total stops there.
    months = pd.period_range(mrr["month"].min(), mrr["month"].max(), freq="M")
    revenue = data.draw(
        st.lists(st.sampled_from([0.0, 800.0, 1000.0, 1234.56]), min_size=len(months), max_size=len(months))
    )
    fin = pd.DataFrame({"month": months, "revenue": revenue, "cogs": 300.0, "sales_marketing": 150.0})
    mov = movements(mrr)
    table = cohort_tables(mov, freq)["mrr"]
    cac = monthly_cac(fin, mrr_bridge(mov))
    got = cohort_gross_profit(table, fin, cac)
    ref = reference_gross_profit(table, fin, cac)
    if ref.empty:
        assert got.empty
        return
    pd.testing.assert_frame_equal(got, ref[got.columns.tolist()])
