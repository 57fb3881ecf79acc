"""Property tests (hypothesis) of the revenue engine's invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from reportlib.metrics import Blank, Window, cohorts, movements, mrr_bridge, revenue_kpis

FIRST = pd.Period("2025-01", freq="M")
MOVES = ["new", "reactivation", "expansion", "contraction", "churn"]


@st.composite
def mrr_frames(draw, max_customers: int = 7, max_months: int = 16) -> pd.DataFrame:
    """Random mrr frames: cents amounts, many inactive months, rows in random order."""
    n = draw(st.integers(1, max_customers))
    t = draw(st.integers(1, max_months))
    cents = st.one_of(st.just(0), st.just(0), st.integers(1, 5_000_000))
    cells = draw(st.lists(cents, min_size=n * t, max_size=n * t))
    grid = np.array(cells, dtype=np.int64).reshape(n, t) / 100
    rows = [(f"c{i}", (FIRST + j).strftime("%Y-%m"), grid[i, j]) for i in range(n) for j in range(t) if grid[i, j] > 0]
    seed = draw(st.integers(0, 2**16))
    assume(rows)  # empty input is covered by test_metrics_movements.test_empty_input
    frame = pd.DataFrame(rows, columns=["customer_id", "month", "mrr"])
    frame = frame.sample(frac=1, random_state=seed).reset_index(drop=True)
    frame["customer_id"] = frame["customer_id"].astype("string")
    frame["month"] = pd.PeriodIndex(frame["month"], freq="M")
    return frame


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
windows = st.integers(0, 2).map(lambda i: (1, 3, 12)[i])
policies = st.one_of(st.none(), st.integers(0, 4))


@SETTINGS
@given(mrr_frames(), policies)
def test_bridge_identity_to_the_cent(mrr, policy):
    b = mrr_bridge(movements(mrr, reactivation_window_months=policy))
    change = b.new + b.reactivation + b.expansion - b.contraction - b.churn
    assert (np.abs(b.opening_mrr + change - b.closing_mrr) < 0.005).all()
    assert (np.abs(b.opening_mrr.iloc[1:].to_numpy() - b.closing_mrr.iloc[:-1].to_numpy()) < 0.005).all()
    # closing MRR is the plain sum of the input per month
    per_month = mrr.groupby("month")["mrr"].sum()
    closing = b.set_index("month")["closing_mrr"]
    assert np.allclose(closing.reindex(per_month.index), per_month, atol=0.005)


@SETTINGS
@given(mrr_frames(), windows)
def test_grr_at_most_one_and_at_most_nrr(mrr, w):
    last = mrr["month"].max()
    k = revenue_kpis(mrr, Window(last, w))
    if not isinstance(k["grr"], Blank):
        assert 0 <= k["grr"] <= 1 + 1e-12
        assert k["grr"] <= k["nrr"] + 1e-12
    for value in k.values():
        assert isinstance(value, Blank) or np.isfinite(value)
    c = cohorts(movements(mrr), "M")
    assert (c["grr"]["value"].dropna() <= 1 + 1e-12).all()
    assert (c["grr"]["value"].to_numpy() <= c["nrr"]["value"].to_numpy() + 1e-12).all()


@SETTINGS
@given(mrr_frames(), st.sampled_from(["M", "Q"]), policies)
def test_cohort_retention_at_age_zero_is_one(mrr, freq, policy):
    c = cohorts(movements(mrr, reactivation_window_months=policy), freq)
    for name in ("logo", "nrr", "grr"):
        t = c[name]
        assert (t.loc[t.age_months == 0, "value"] == 1.0).all()
        assert (t["value"].dropna() >= 0).all()


@SETTINGS
@given(mrr_frames(), st.integers(0, 2**16), windows)
def test_independent_of_row_order(mrr, seed, w):
    shuffled = mrr.sample(frac=1, random_state=seed).reset_index(drop=True)
    a, b = movements(mrr), movements(shuffled)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(mrr_bridge(a), mrr_bridge(b))
    last = mrr["month"].max()
    assert revenue_kpis(a, Window(last, w)) == revenue_kpis(b, Window(last, w))
    for freq in ("M", "Q"):
        ca, cb = cohorts(a, freq), cohorts(b, freq)
        for name in ca:
            pd.testing.assert_frame_equal(ca[name], cb[name])


@SETTINGS
@given(mrr_frames(), st.data(), policies)
def test_segment_movements_add_up_to_the_company(mrr, data, policy):
    customers = sorted(mrr["customer_id"].unique())
    segment = {c: data.draw(st.sampled_from(["SMB", "Mid", "Ent"])) for c in customers}
    span = (mrr["month"].min(), mrr["month"].max())
    company = mrr_bridge(movements(mrr, reactivation_window_months=policy, months=span))
    parts = []
    for name in ("SMB", "Mid", "Ent"):
        seg = mrr[mrr["customer_id"].map(segment) == name]
        parts.append(mrr_bridge(movements(seg, reactivation_window_months=policy, months=span)))
    total = pd.concat(parts).groupby("month").sum(numeric_only=True)
    mine = company.set_index("month")
    for col in mine.columns:
        assert np.allclose(total[col].reindex(mine.index, fill_value=0), mine[col], atol=0.005), col
