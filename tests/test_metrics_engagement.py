"""Usage (DAU/MAU, depth, adoption) and NPS on hand-computed fixtures."""

from __future__ import annotations

import pandas as pd
import pytest

from reportlib.metrics import Blank, Window, dau_mau, feature_adoption, nps_kpis, usage_kpis, usage_series
from reportlib.metrics.engagement import NPS_IDS

SEP = Window(pd.Period("2026-09", "M"), 1)
Q3 = Window(pd.Period("2026-09", "M"), 3)


def usage() -> pd.DataFrame:
    rows = [  # user, day, account, feature
        ("u1", "2026-09-01", "A", "reports"),
        ("u1", "2026-09-01", "A", "reports"),
        ("u1", "2026-09-02", "A", "dashboards"),
        ("u1", "2026-09-03", "A", "reports"),
        ("u2", "2026-09-01", "A", "reports"),
        ("u3", "2026-09-15", "B", "export"),
        ("u4", "2026-08-10", "C", "reports"),
    ]
    df = pd.DataFrame(rows, columns=["user_id", "date", "account_id", "feature"])
    df["date"] = pd.to_datetime(df["date"])
    return df


def test_dau_mau_by_hand():
    # active users per day: Sep 1: u1, u2; Sep 2: u1; Sep 3: u1; Sep 15: u3 -> 5 user-days
    # mean DAU over the 30 days of September = 5 / 30; MAU = 3 -> 5 / 90
    assert dau_mau(usage(), pd.Period("2026-09", "M")) == pytest.approx(5 / 90)
    assert isinstance(dau_mau(usage(), pd.Period("2026-07", "M")), Blank)


def test_usage_kpis():
    k = usage_kpis(usage(), SEP)
    assert k["mau"] == 3.0 and k["active_accounts"] == 2.0
    assert k["usage_depth"] == 3.0  # 6 September events / accounts A, B
    # Q3 starts in July, before the usage data (August): never from the months that exist
    q3 = usage_kpis(usage(), Q3)
    assert q3["usage_depth"].note == "the period starts 2026-07, before the usage data (it starts 2026-08)"
    assert isinstance(q3["active_accounts"], Blank) and q3["mau"] == 3.0  # September's MAU is whole
    # Aug-Sep: 7 events over the account-months C (Aug), A and B (Sep) = 7 / 3
    assert usage_kpis(usage(), Window(pd.Period("2026-09", "M"), 2))["usage_depth"] == pytest.approx(7 / 3)
    assert usage_kpis(usage(), Window(pd.Period("2026-07", "M"), 1))["mau"].note == (
        "2026-07 is before the usage data (it starts 2026-08)"
    )


def test_usage_depth_is_per_account_and_month_whatever_the_window():
    # A is active in July (2 events), August (2) and September (2), B in September (1): a
    # month's depth is about 2. The quarter's 7 events over its 2 distinct accounts would be
    # 3.5, reading as if the accounts used the product more in a quarter; over its 4
    # account-months (A x 3, B x 1) it is 7 / 4 = 1.75, as the monthly table reads.
    rows = [("u1", f"2026-0{m}-0{d}", "A") for m in (7, 8, 9) for d in (1, 2)] + [("u2", "2026-09-05", "B")]
    usage = pd.DataFrame(rows, columns=["user_id", "date", "account_id"]).assign(date=lambda f: pd.to_datetime(f.date))
    assert usage_kpis(usage, Q3)["usage_depth"] == pytest.approx(7 / 4)
    assert usage_kpis(usage, Q3)["active_accounts"] == 2.0
    assert usage_kpis(usage, SEP)["usage_depth"] == pytest.approx(3 / 2)  # September: 3 events, A and B
    assert all(isinstance(v, Blank) for v in usage_kpis(None, SEP).values())


def test_usage_without_accounts_counts_users():
    k = usage_kpis(usage().drop(columns="account_id"), SEP)
    assert k["usage_depth"] == 2.0  # 6 events / 3 users


def test_usage_series():
    s = usage_series(usage()).set_index("month")
    assert s.loc["2026-09", "dau_mau"] == pytest.approx(5 / 90)
    assert s.loc["2026-08", "dau"] == pytest.approx(1 / 31) and s.loc["2026-08", "usage_depth"] == 1.0


def test_feature_adoption():
    t = feature_adoption(usage(), SEP).set_index("feature")
    assert t["adoption"].to_dict() == {"reports": 0.5, "dashboards": 0.5, "export": 0.5}  # of A, B
    core = feature_adoption(usage(), SEP, ["reports", "billing"]).set_index("feature")
    assert core.loc["billing", "adoption"] == 0.0 and core.loc["reports", "accounts_using"] == 1
    q = feature_adoption(usage(), Q3).set_index("feature")
    assert q.loc["reports", "adoption"] == pytest.approx(2 / 3)  # A and C of A, B, C


def test_nps_by_hand():
    scores = [10, 10, 9, 8, 7, 6, 2, 9, 10, 10]  # 6 promoters, 2 passives, 2 detractors
    dates = ["2026-07-15"] * 10
    nps = pd.DataFrame(
        {"responded_at": pd.to_datetime(dates + ["2026-05-01"]), "score": pd.array(scores + [0], dtype="Int64")}
    )
    k = nps_kpis(nps, Q3)
    assert k["nps"] == pytest.approx(40.0)  # 60% - 20%
    assert (k["nps_promoters"], k["nps_passives"], k["nps_detractors"]) == (0.6, 0.2, 0.2)
    assert k["nps_responses"] == 10.0  # the May response is outside Q3
    assert nps_kpis(nps.assign(score=pd.array([0] * 11, dtype="Int64")), Q3)["nps"] == -100.0
    assert isinstance(nps_kpis(nps, SEP)["nps"], Blank)


def test_nps_of_a_period_starting_before_the_first_response_is_blank():
    # Responses start in 2026-08: 2 promoters (10, 9) and 1 detractor (3) in August, 1
    # promoter (10) in September. Jul-Sep reaches back to July, before the data: its NPS from
    # August and September alone (3 promoters, 1 detractor of 4: 75% - 25% = +50) would read as
    # a quarter's, so it is blank and says why (METRICS.md "Time"); Aug-Sep is whole: +50.
    nps = pd.DataFrame(
        {
            "responded_at": pd.to_datetime(["2026-08-03", "2026-08-10", "2026-08-20", "2026-09-05"]),
            "score": pd.array([10, 9, 3, 10], dtype="Int64"),
        }
    )
    q3 = nps_kpis(nps, Q3)
    assert {k: v.note for k, v in q3.items()} == {
        k: "the period starts 2026-07, before the NPS data (it starts 2026-08)" for k in NPS_IDS
    }
    two_months = nps_kpis(nps, Window(pd.Period("2026-09", "M"), 2))
    assert two_months["nps"] == pytest.approx(50.0) and two_months["nps_responses"] == 4.0


# -------------------------------------------------- integer codes agree with the text counts
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_EVENT = st.tuples(
    st.sampled_from(["u1", "u2", "u3", "a1", None]),  # a user may share an id with an account
    st.one_of(st.none(), st.integers(0, 120)),  # days after 2026-06-01; None: no date
    st.sampled_from(["a1", "a2", "u3", None]),
)


def _events(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["user_id", "day", "account_id"])
    day = pd.to_timedelta(frame["day"].astype("Float64").astype(float), unit="D")
    frame["date"] = pd.Timestamp("2026-06-01") + day
    frame["feature"] = "reports"
    return frame.drop(columns="day").astype({"user_id": "string", "account_id": "string"})


def _text_usage_kpis(usage: pd.DataFrame, window: Window) -> tuple:
    """The text-based reference: nunique on ids (missing account: the user, as text)."""
    months = usage["date"].dt.to_period("M")
    in_m, in_p = months == window.as_of, window.contains(months)
    who = usage["account_id"].fillna(usage["user_id"])
    accounts = who[in_p].nunique()
    account_months = pd.DataFrame({"m": months[in_p], "a": who[in_p]}).dropna().drop_duplicates().shape[0]
    events = usage[in_m]
    daily = events.groupby(events["date"].dt.normalize())["user_id"].nunique().sum()
    return accounts, account_months, usage.loc[in_m, "user_id"].nunique(), int(daily), int(in_p.sum())


@settings(max_examples=60, deadline=None)
@given(st.lists(_EVENT, min_size=1, max_size=40))
def test_usage_kpis_count_as_text_ids_do(rows):
    """Property: accounts, MAU, the summed daily users and the events of every window
    equal nunique counts on the id text, with missing users, dates and accounts."""
    usage = _events(rows)
    dated = usage["date"].dropna()
    first = dated.min().to_period("M") if len(dated) else None
    for window in (SEP, Q3, Window(pd.Period("2026-07", "M"), 3)):
        accounts, account_months, mau, daily, events = _text_usage_kpis(usage, window)
        out = usage_kpis(usage, window)
        month_ok, period_ok = first is None or window.as_of >= first, first is None or window.first >= first
        assert out["mau"] == float(mau) if mau and month_ok else isinstance(out["mau"], Blank)
        assert (
            out["active_accounts"] == float(accounts)
            if accounts and period_ok
            else isinstance(out["active_accounts"], Blank)
        )
        if mau and month_ok:
            assert out["dau_mau"] == daily / window.as_of.days_in_month / mau
        if accounts and period_ok:
            assert out["usage_depth"] == events / account_months


@settings(max_examples=60, deadline=None)
@given(st.lists(_EVENT, min_size=1, max_size=40))
def test_usage_series_counts_as_text_ids_do(rows):
    """Property: each month's MAU, accounts, events and daily users equal the pandas
    groupby of the id text; an event without a date is in no month."""
    usage = _events(rows)
    month = usage["date"].dt.to_period("M").rename("month")
    mau = usage.groupby(month)["user_id"].nunique()
    accounts = usage["account_id"].fillna(usage["user_id"]).groupby(month).nunique()
    daily = usage.groupby([month, usage["date"].dt.normalize()])["user_id"].nunique().groupby(level=0).sum()
    out = usage_series(usage).set_index("month")
    assert list(out.index) == [str(m) for m in mau.index]
    assert out["mau"].tolist() == mau.tolist()
    assert out["active_accounts"].tolist() == accounts.tolist()
    assert out["events"].tolist() == usage.groupby(month).size().tolist()
    days = [m.days_in_month for m in mau.index]
    assert out["dau"].tolist() == (daily / days).tolist()


_RESPONSE = st.tuples(st.one_of(st.none(), st.integers(0, 200)), st.one_of(st.none(), st.integers(0, 10)))


@settings(max_examples=60, deadline=None)
@given(st.lists(_RESPONSE, max_size=30))
def test_nps_of_every_window_is_the_pandas_shares(rows):
    """Property: :func:`nps_kpis_each` gives each window the response count and the shares
    that pandas' mean of the boolean scores gives, bit for bit, with unanswered and undated
    responses left out, and a blank window says so."""
    from reportlib.metrics import nps_kpis_each

    frame = pd.DataFrame(
        {
            "responded_at": pd.Series(
                [pd.NaT if d is None else pd.Timestamp("2026-01-01") + pd.Timedelta(days=d) for d, _ in rows],
                dtype="datetime64[ns]",
            ),
            "score": pd.array([s for _, s in rows], dtype="Int64"),
        }
    )
    windows = [Window(pd.Period("2026-01", "M") + k, m) for k in range(0, 7, 2) for m in (1, 3)]
    answered = frame.dropna()
    first = answered["responded_at"].min().to_period("M") if len(answered) else None
    for window, got in zip(windows, nps_kpis_each(frame, windows), strict=True):
        dated = frame["responded_at"].notna() & window.contains(frame["responded_at"].dt.to_period("M"))
        scores = frame.loc[dated, "score"].dropna().astype(int)
        if first is not None and window.first < first:  # a partial period is never scored
            assert all("before the NPS data" in v.note for v in got.values())
            continue
        if scores.empty:
            assert all(isinstance(v, Blank) for v in got.values())
            continue
        assert got["nps_responses"] == len(scores)
        assert got["nps_promoters"] == float((scores >= 9).mean())
        assert got["nps_detractors"] == float((scores <= 6).mean())
        assert got["nps_passives"] == float(scores.between(7, 8).mean())
        assert got["nps"] == float(100.0 * ((scores >= 9).mean() - (scores <= 6).mean()))


def test_usage_reads_aware_dates_on_their_own_clock():
    """An event at 23:30 New York time on 31 March is March's, as its month Period says,
    though it is 1 April in UTC: a counts in March on two days, b in April."""
    usage = pd.DataFrame(
        {
            "user_id": pd.array(["a", "b", "a"], dtype="string"),
            "date": pd.to_datetime(["2026-03-31 23:30", "2026-04-01 01:00", "2026-03-02 10:00"]).tz_localize(
                "America/New_York"
            ),
            "account_id": pd.array(["x", "y", "x"], dtype="string"),
        }
    )
    march = usage_kpis(usage, Window(pd.Period("2026-03", "M"), 1))
    assert march["mau"] == 1.0 and march["usage_depth"] == 2.0
    assert march["dau_mau"] == 2 / 31 / 1
    series = usage_series(usage)
    assert series["month"].tolist() == ["2026-03", "2026-04"] and series["events"].tolist() == [2, 1]
