"""Analytics and survey adapters on their fixtures (tests/fixtures/sources/*/README.md):
GA4 visitors per month, Mixpanel/Amplitude MAU and DAU/MAU, Delighted/Typeform NPS per month."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from _export import run_source

from reportlib.metrics.engagement import dau_mau, nps_kpis
from reportlib.metrics.periods import Window

FIX = Path(__file__).resolve().parent / "fixtures" / "sources"


def test_ga4_visitors_per_month_and_channel():
    traffic = run_source("ga4_traffic", FIX / "ga4_traffic" / "ga4_traffic_acquisition_2026Q1.csv")
    by = traffic.pivot_table(index=traffic["month"].dt.strftime("%Y-%m"), columns="channel", values="visitors")
    # Jan: Organic 22x40 + 9x20 = 1,060; Direct 22x25 + 9x10 = 640; Paid 22x15 + 9x5 = 375
    assert by.loc["2026-01"].to_dict() == {"Direct": 640, "Organic Search": 1060, "Paid Search": 375}
    # Feb: Organic 20x44 + 8x22 = 1,056; Direct 20x26 + 8x12 = 616; Paid 20x20 + 8x8 = 464
    assert by.loc["2026-02"].to_dict() == {"Direct": 616, "Organic Search": 1056, "Paid Search": 464}
    # Mar: Organic 22x50 + 9x25 = 1,325; Direct 22x30 + 9x15 = 795; Paid 22x18 + 9x6 = 450
    assert by.loc["2026-03"].to_dict() == {"Direct": 795, "Organic Search": 1325, "Paid Search": 450}
    # totals 2,075 / 2,136 / 2,570; quarter 6,781
    assert by.sum(axis=1).tolist() == [2075, 2136, 2570] and traffic["visitors"].sum() == 6781


def test_mixpanel_dedupes_retries_and_gives_mau_and_dau_mau():
    usage = run_source("mixpanel_events", FIX / "mixpanel_events" / "mixpanel_export_2026-01-01_2026-02-28.jsonl.gz")
    # 35 lines - 1 SDK retry (same $insert_id) = 34 rows: Jan 16, Feb 18
    assert usage["date"].dt.strftime("%Y-%m").value_counts().to_dict() == {"2026-02": 18, "2026-01": 16}
    assert (usage["feature"] == "Export CSV").sum() == 6  # 7 without de-duplication
    mau = usage.groupby(usage["date"].dt.to_period("M"))["user_id"].nunique()
    assert mau.tolist() == [4, 5]  # Jan {u1,u2,u3,u5}; Feb {u1,u2,u4,u5,u6}
    day = usage.groupby("date")["user_id"].nunique()
    # DAU 2026-01-15 {u1,u2,u5} = 3; 2026-02-10 {u1,u2,u5,u6} = 4; u5's 23:30 UTC event stays on 2026-01-31
    assert (day["2026-01-15"], day["2026-02-10"], day["2026-01-31"]) == (3, 4, 1)
    # Jan user-days 3+3+2+3 = 11 -> (11/31)/4 = 11/124; Feb 3+2+2+2+2 = 11 -> (11/28)/5 = 11/140
    assert dau_mau(usage, pd.Period("2026-01", "M")) == pytest.approx(11 / 124)
    assert dau_mau(usage, pd.Period("2026-02", "M")) == pytest.approx(11 / 140)
    assert set(usage["account_id"]) == {"acme", "globex"}


def test_amplitude_dates_events_by_event_time_and_flags_anonymous_rows():
    usage = run_source("amplitude_events", FIX / "amplitude_events" / "amplitude_export_20260101T00_20260228T23.zip")
    assert len(usage) == 30 and usage["user_id"].isna().sum() == 1  # the anonymous page view: left out by validation
    usage = usage.dropna(subset=["user_id"])
    # 29 rows: Jan 13, Feb 16; u5's 2026-01-31 23:30 event (uploaded 02-01 00:10) is in January
    assert usage["date"].dt.strftime("%Y-%m").value_counts().to_dict() == {"2026-02": 16, "2026-01": 13}
    mau = usage.groupby(usage["date"].dt.to_period("M"))["user_id"].nunique()
    assert mau.tolist() == [4, 6]  # Feb {u1,u2,u4,u5,u6,u7}
    # Jan 11 user-days -> 11/124; Feb 3+2+2+2+2+1 = 12 -> (12/28)/6 = 1/14
    assert dau_mau(usage, pd.Period("2026-01", "M")) == pytest.approx(11 / 124)
    assert dau_mau(usage, pd.Period("2026-02", "M")) == pytest.approx(1 / 14)
    assert usage.groupby("account_id")["user_id"].nunique().to_dict() == {"acme": 4, "globex": 3}


def nps_of(nps: pd.DataFrame, as_of: str, window: str = "month") -> float:
    return nps_kpis(nps, Window.of(as_of, window))["nps"]


def test_delighted_epoch_seconds_and_nps_per_month():
    nps = run_source("delighted_responses", FIX / "delighted_responses" / "delighted_survey_responses.json")
    assert len(nps) == 13
    # #7 = epoch 1769903400 = 2026-01-31 23:50 UTC: January
    assert nps.loc[nps["customer_id"] == "cus_007", "responded_at"].tolist() == [pd.Timestamp("2026-01-31 23:50")]
    # Jan n=7: promoters 10, 9, 9; detractors 6, 0 -> (3 - 2) / 7 x 100 = 14.29
    assert nps_of(nps, "2026-01") == pytest.approx(100 / 7)
    # Feb n=6: promoters 10, 10, 9; detractor 5 -> (3 - 1) / 6 x 100 = 33.33
    assert nps_of(nps, "2026-02") == pytest.approx(100 / 3)
    # Jan-Feb: (6 - 3) / 13 x 100 = 23.08
    assert nps_kpis(nps, Window(pd.Period("2026-02", "M"), 2))["nps"] == pytest.approx(300 / 13)


def test_typeform_dated_by_submit_and_partials_left_out():
    nps = run_source("typeform_responses", FIX / "typeform_responses" / "typeform_responses.csv")
    assert len(nps) == 12 and "cus_109" not in set(nps["customer_id"])  # the partial response
    # Jan n=6: promoters 9, 10; detractors 4, 6 -> 0
    assert nps_of(nps, "2026-01") == 0
    # Feb n=6 (cus_107 submitted 02-01 00:05): promoters 10, 9, 9, 10; detractor 3 -> (4 - 1) / 6 x 100 = 50
    assert nps_of(nps, "2026-02") == pytest.approx(50)
    # both months: (6 - 3) / 12 x 100 = 25
    assert nps_kpis(nps, Window(pd.Period("2026-02", "M"), 2))["nps"] == pytest.approx(25)
