"""Pipeline KPIs and pacing on hand-computed fixtures."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from reportlib.inputs.config import Policies
from reportlib.metrics import Blank, Window, opportunity_cohorts, pace_row, pipeline_by, pipeline_kpis, pipeline_pacing
from reportlib.metrics.pipeline import PACING_COLUMNS, PIPELINE_IDS, period_bounds

Q3 = Window(pd.Period("2026-09", "M"), 3)
T = pd.Timestamp


def opps() -> pd.DataFrame:
    rows = [  # id, created, amount, closed, outcome, source
        ("o1", "2026-07-05", 1000.0, "2026-08-04", "won", "inbound"),  # cycle 30 days
        ("o2", "2026-07-10", 2000.0, "2026-09-19", "won", "partner"),  # cycle 71 days
        ("o3", "2026-08-01", 500.0, "2026-08-21", "lost", "inbound"),
        ("o4", "2026-09-15", 4000.0, None, "open", "partner"),
        ("o5", "2026-05-01", 3000.0, "2026-07-31", "won", "outbound"),  # created before Q3, cycle 91
        ("o6", "2026-06-01", 700.0, "2026-06-30", "lost", "outbound"),  # all before Q3
        ("o7", "2026-10-01", 900.0, None, "open", "inbound"),  # after Q3
    ]
    df = pd.DataFrame(rows, columns=["opportunity_id", "created_at", "amount", "closed_at", "outcome", "source"])
    df["created_at"], df["closed_at"] = pd.to_datetime(df["created_at"]), pd.to_datetime(df["closed_at"])
    df["stage"] = df["outcome"]
    return df.astype({"opportunity_id": "string", "outcome": "string", "source": "string"})


def test_pipeline_kpis_by_hand():
    k = pipeline_kpis(opps(), Q3)
    assert k["pipeline_created"] == 7500.0  # o1..o4: 1000 + 2000 + 500 + 4000
    assert k["win_rate"] == 0.75  # closed in Q3: won o1, o2, o5; lost o3 -> 3 / 4
    assert k["avg_deal_size"] == 2000.0  # (1000 + 2000 + 3000) / 3
    assert k["sales_cycle_days"] == pytest.approx(64.0)  # (30 + 71 + 91) / 3


def test_pipeline_blanks():
    # Q4 2026 (Oct-Dec): o7 created (900), nothing closed: no win rate, deal size or cycle
    k = pipeline_kpis(opps(), Window(pd.Period("2026-12", "M"), 3))
    assert k["pipeline_created"] == 900.0
    assert all(isinstance(k[x], Blank) for x in ("win_rate", "avg_deal_size", "sales_cycle_days"))
    assert all(isinstance(v, Blank) for v in pipeline_kpis(None, Q3).values())


def test_pipeline_of_a_period_starting_before_the_export_is_blank():
    # The export starts with o5, created 2026-05. Q2 (Apr-Jun) reaches back to April: its
    # months that exist give pipeline 3000 + 700 = 3,700 and a win rate 0 / 1 (o6 lost), a
    # quarter's figures from two months, so every pipeline KPI is blank and says why
    # (METRICS.md "Time"); so is a quarter wholly before the export (it read 0 pipeline).
    note = "the period starts 2026-04, before the opportunities data (it starts 2026-05)"
    assert {k: v.note for k, v in pipeline_kpis(opps(), Window(pd.Period("2026-06", "M"), 3)).items()} == {
        k: note for k in PIPELINE_IDS
    }
    assert all(isinstance(v, Blank) for v in pipeline_kpis(opps(), Window(pd.Period("2025-09", "M"), 3)).values())
    # May-Jun is whole: 3,700 created, o6 lost (o5 closes in July)
    k = pipeline_kpis(opps(), Window(pd.Period("2026-06", "M"), 2))
    assert k["pipeline_created"] == 3700.0 and k["win_rate"] == 0.0


def test_pipeline_by_source():
    t = pipeline_by(opps(), Q3, "source").set_index("source")
    assert t.loc["partner", "pipeline_created"] == 6000.0  # o2 + o4
    assert t.loc["inbound", "pipeline_created"] == 1500.0  # o1 + o3 (o7 is after Q3)
    assert t.loc["inbound", "win_rate"] == 0.5 and t.loc["inbound", "avg_deal_size"] == 1000.0
    assert t.loc["partner", "sales_cycle_days"] == 71.0
    assert t.loc["outbound", "won"] == 1 and t.loc["outbound", "pipeline_created"] == 0.0
    assert list(t.index[:1]) == ["partner"]  # largest pipeline first


def test_opportunity_cohorts():
    c = opportunity_cohorts(opps(), T("2026-10-15"))
    jul = c[(c.dimension == "all") & (c.cohort == "2026-07")].set_index("stage_from")
    assert jul.loc["created", ["entered", "converted"]].tolist() == [2, 2]  # o1, o2 both closed
    assert jul.loc["closed", ["entered", "converted"]].tolist() == [2, 2]  # both won
    sep = c[(c.dimension == "all") & (c.cohort == "2026-09")].set_index("stage_from")
    assert sep.loc["created", ["entered", "converted"]].tolist() == [1, 0]  # o4 still open
    assert set(c.dimension) == {"all", "source"} and sep["age_months"].iloc[0] == 1


def pacing_opps() -> pd.DataFrame:
    rows = [
        ("p0", "2026-03-31", 80000.0, "inbound"),  # before the quarter
        ("p1", "2026-04-02", 100000.0, "inbound"),
        ("p2", "2026-05-10", 200000.0, "partner"),  # on the as-of day: counts
        ("p3", "2026-05-11", 50000.0, "partner"),
    ]  # after the as-of day
    df = pd.DataFrame(rows, columns=["opportunity_id", "created_at", "amount", "source"])
    df["created_at"] = pd.to_datetime(df["created_at"])
    df["closed_at"], df["outcome"], df["stage"] = pd.NaT, "open", "open"
    return df


def targets(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["period", "metric", "target", "filter"])


def test_pacing_worked_example():
    # 2026Q2 has 91 days (30 + 31 + 30); 2026-05-10 is day 30 + 10 = 40 (as-of day counted)
    assert (period_bounds("2026Q2")[1] - period_bounds("2026Q2")[0]).days + 1 == 91
    t = pipeline_pacing(
        targets(("2026Q2", "pipeline_created", 910000.0, "all")), pacing_opps(), "2026-05-10", Policies()
    )
    assert list(t.columns) == PACING_COLUMNS
    r = t.iloc[0]
    assert r["actual"] == 300000.0  # p1 + p2
    assert r["elapsed_fraction"] == 40 / 91
    assert r["expected_to_date"] == pytest.approx(400000.0, abs=1e-6)  # 910000 x 40 / 91
    assert r["pace"] == pytest.approx(0.75)  # 300000 / 400000
    assert r["status"] == "behind"
    assert r["required_run_rate_per_day"] == pytest.approx(610000 / 51)


def test_pacing_filter_month_target_and_unknown_metric():
    t = pipeline_pacing(
        targets(
            ("2026Q2", "pipeline_created", 100000.0, "source=partner"),
            ("2026-05", "pipeline_created", 620000.0, "all"),
            ("2026Q2", "nrr", 1.1, "all"),
            ("2026Q3", "pipeline_created", 1.0, "all"),  # not started
            ("2026Q1", "pipeline_created", 1.0, "all"),
        ),  # already over
        pacing_opps(),
        T("2026-05-10"),
    )
    assert len(t) == 3
    partner = t.iloc[0]
    assert partner["dimension"] == "source=partner" and partner["actual"] == 200000.0
    assert partner["status"] == "ahead" and partner["required_run_rate_per_day"] == 0.0  # target met
    month = t.iloc[1]  # May: 31 days, 10 elapsed; actual p2 = 200000; expected 620000 x 10/31 = 200000
    assert month["elapsed_fraction"] == 10 / 31 and month["pace"] == pytest.approx(1.0)
    assert month["status"] == "ahead" and month["required_run_rate_per_day"] == pytest.approx(420000 / 21)
    assert t.iloc[2]["status"] == "no actuals" and math.isnan(t.iloc[2]["actual"])
    assert (
        len(
            pipeline_pacing(
                targets(("2026Q1", "pipeline_created", 1.0, "all")), pacing_opps(), "2026-05-10", current_only=False
            )
        )
        == 1
    )


def test_pacing_on_track_amber_policy_and_quarter_end():
    assert pace_row(100.0, 38.0, 40, 100)["status"] == "on track"  # pace 0.95 >= 0.9
    assert pace_row(100.0, 38.0, 40, 100, amber=0.96)["status"] == "behind"
    assert pace_row(100.0, 40.0, 40, 100)["status"] == "ahead"  # pace exactly 1
    end = pipeline_pacing(targets(("2026Q2", "pipeline_created", 400000.0, "all")), pacing_opps(), "2026-06-30").iloc[0]
    assert end["elapsed_fraction"] == 1.0
    assert end["pace"] == pytest.approx(350000 / 400000)  # attainment: p1 + p2 + p3 over target
    assert math.isnan(end["required_run_rate_per_day"])


def test_pacing_other_actuals():
    calls = []

    def new_arr(start, end, flt):
        calls.append((start, end, flt))
        return 50000.0

    t = pipeline_pacing(
        targets(("2026Q2", "new_arr", 91000.0, "all")), None, "2026-05-10", actuals={"new_arr": new_arr}
    )
    assert t.iloc[0]["actual"] == 50000.0 and t.iloc[0]["pace"] == pytest.approx(50000 / 40000)
    assert calls == [(T("2026-04-01"), T("2026-05-10"), {})]
    leads = pd.DataFrame(
        {
            "lead_id": ["a", "b"],
            "created_at": pd.to_datetime(["2026-04-03", "2026-07-01"]),
            "signup_at": pd.to_datetime(["2026-04-03", None]),
        }
    )
    s = pipeline_pacing(
        targets(("2026Q2", "signups", 10.0, "all"), ("2026Q2", "won_deals", 2.0, "all")),
        pacing_opps(),
        "2026-05-10",
        leads=leads,
    )
    assert s["actual"].tolist() == [1.0, 0.0]


def test_opportunity_cohorts_as_of_cut():
    c = opportunity_cohorts(opps(), T("2026-08-31"))
    assert "2026-09" not in set(c.cohort)
    jul = c[(c.dimension == "all") & (c.cohort == "2026-07")].set_index("stage_from")
    assert jul.loc["created", ["entered", "converted"]].tolist() == [2, 1]  # o2 closes 09-19


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(target=st.floats(1, 1e9), actual=st.floats(0, 1e9), total=st.integers(28, 92), data=st.data())
def test_pace_row_properties(target, actual, total, data):
    elapsed = data.draw(st.integers(1, total))
    r = pace_row(target, actual, elapsed, total)
    assert r["expected_to_date"] == pytest.approx(target * elapsed / total)
    assert r["pace"] * r["expected_to_date"] == pytest.approx(actual)
    assert r["status"] == ("ahead" if r["pace"] >= 1 else "on track" if r["pace"] >= 0.9 else "behind")
    if elapsed == total:
        assert r["pace"] == pytest.approx(actual / target) and math.isnan(r["required_run_rate_per_day"])
    else:
        assert r["required_run_rate_per_day"] == pytest.approx(max(target - actual, 0) / (total - elapsed))


def test_new_arr_targets_are_paced_from_movements_and_dimension_is_the_filter():
    from reportlib.metrics.movements import movements
    from reportlib.metrics.pipeline import movement_actuals, pipeline_pacing

    mrr = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "b"],
            "month": ["2026-06", "2026-07", "2026-08", "2026-07", "2026-08"],
            "mrr": [100.0, 150.0, 150.0, 50.0, 80.0],
        }
    )
    mrr["month"] = pd.PeriodIndex(mrr["month"], freq="M")
    targets = pd.DataFrame(
        {
            "period": ["2026Q3", "2026Q3"],
            "metric": ["new_arr", "new_arr"],
            "target": [1200.0, 500.0],
            "dimension": ["all", "segment=SMB"],
        }
    )
    out = pipeline_pacing(targets, None, "2026-08-31", actuals=movement_actuals(movements(mrr)))
    total = out[out["dimension"] == "all"].iloc[0]
    # Q3 to 2026-08-31: b new in July, 50 MRR -> new ARR 12 x 50 = 600 (a's +50 in July is expansion)
    assert total["actual"] == 600.0
    # 62 of 92 days elapsed (Jul 31 + Aug 31): expected 1200 x 62/92 = 808.70; pace 600 / 808.70
    assert total["expected_to_date"] == pytest.approx(1200 * 62 / 92)
    assert total["pace"] == pytest.approx(600 / (1200 * 62 / 92)) and total["status"] == "behind"
    # a filter cannot be applied to movements (no dimension): no actuals, never a company figure
    assert out[out["dimension"] == "segment=SMB"].iloc[0]["status"] == "no actuals"


_OPP = st.tuples(
    st.integers(0, 150),  # created: days after 2026-05-01
    st.one_of(st.none(), st.integers(0, 90)),  # closed this many days later; None: open
    st.sampled_from(["won", "lost"]),
    st.one_of(st.none(), st.floats(0, 10_000)),
    st.sampled_from(["inbound", "partner", None]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_OPP, min_size=1, max_size=25))
def test_pipeline_by_is_the_named_aggregation(rows):
    """Property: :func:`pipeline_by` (one sum and one mean per split) gives the rows,
    order and dtypes of the named aggregation it replaced, for every column of
    :func:`pipeline_by_each`."""
    from reportlib.metrics.pipeline import _flags, pipeline_by_each

    start = pd.Timestamp("2026-05-01")
    frame = pd.DataFrame(
        {
            "opportunity_id": [f"o{k}" for k in range(len(rows))],
            "created_at": [start + pd.Timedelta(days=c) for c, *_ in rows],
            "closed_at": [pd.NaT if d is None else start + pd.Timedelta(days=c + d) for c, d, *_ in rows],
            "outcome": [o if d is not None else "open" for _, d, o, *_ in rows],
            "amount": [a for *_, a, _ in rows],
            "source": [s for *_, s in rows],
        }
    ).astype({"opportunity_id": "string", "outcome": "string", "source": "string"})
    frame["stage"] = frame["outcome"]
    flags = _flags(frame, Q3)
    key = frame["source"].astype("string").fillna("(missing)").rename("source")
    g = (
        flags.assign(source=key)
        .groupby("source")
        .agg(
            pipeline_created=("created_amount", "sum"),
            opportunities_created=("opportunities_created", "sum"),
            won=("won", "sum"),
            lost=("lost", "sum"),
            won_amount=("won_amount", "sum"),
            sales_cycle_days=("won_cycle", "mean"),
        )
    )
    g["win_rate"] = g["won"] / (g["won"] + g["lost"]).replace(0, float("nan"))
    g["avg_deal_size"] = g["won_amount"] / g["won"].replace(0, float("nan"))
    cols = ["pipeline_created", "opportunities_created", "won", "lost", "win_rate", "won_amount"]
    expected = g[[*cols, "avg_deal_size", "sales_cycle_days"]].sort_values("pipeline_created", ascending=False)
    split = pipeline_by_each(frame, Q3, ["source", "partner"])
    pd.testing.assert_frame_equal(split["source"], expected.reset_index(), check_exact=True)
    pd.testing.assert_frame_equal(split["source"], pipeline_by(frame, Q3, "source"), check_exact=True)
    assert split["partner"].empty and split["partner"].columns[0] == "partner"
