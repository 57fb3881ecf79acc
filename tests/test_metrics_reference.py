"""The vectorised revenue engine against a plain, loop-per-customer reference of METRICS.md,
on random small companies; and the shared MovementSet against the movements frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from test_metrics_properties import SETTINGS, mrr_frames, policies

from reportlib.metrics import Blank, Window, cohorts, movements, mrr_bridge, revenue_kpis
from reportlib.metrics.churn_basis import annualised_monthly_logo_churn
from reportlib.metrics.movements import arpa_drivers, movement_set, mrr_drivers


def reference_movements(mrr: pd.DataFrame, window: int | None) -> list[tuple]:
    """(customer, month, movement, mrr, prev, amount) of every customer-month active now or
    the month before, by walking each customer's months one at a time."""
    first, last = mrr["month"].min(), mrr["month"].max()
    values = mrr.groupby(["customer_id", "month"])["mrr"].sum().to_dict()
    out = []
    for c in sorted(mrr["customer_id"].unique()):
        seen, last_active, prev = False, None, 0.0
        for k in range((last - first).n + 1):
            month = first + k
            cur = values.get((c, month), 0.0)
            if cur > 0 or prev > 0:
                if k == 0:
                    kind, amount = "opening", 0.0
                elif prev <= 0:
                    gap = (month - last_active).n - 1 if seen else None
                    kind = "reactivation" if seen and (window is None or gap <= window) else "new"
                    amount = cur
                elif cur <= 0:
                    kind, amount = "churn", prev
                else:
                    kind = "expansion" if cur > prev else "contraction" if cur < prev else "flat"
                    amount = abs(cur - prev) if kind != "flat" else 0.0
                out.append((c, month, kind, cur, prev, amount))
            if cur > 0:
                seen, last_active = True, month
            prev = cur
    return sorted(out, key=lambda r: (r[1], r[0]))


@SETTINGS
@given(mrr_frames(), policies)
def test_movements_match_the_reference_customer_by_customer(mrr, policy):
    got = movements(mrr, reactivation_window_months=policy)
    ref = reference_movements(mrr, policy)
    assert len(got) == len(ref)
    assert list(got["customer_id"].astype(str)) == [r[0] for r in ref]
    assert list(got["month"]) == [r[1] for r in ref]
    assert list(got["movement"].astype(str)) == [r[2] for r in ref]
    for i, column in ((3, "mrr"), (4, "prev_mrr"), (5, "amount")):
        assert np.allclose(got[column].to_numpy(), [r[i] for r in ref], atol=1e-9)


@SETTINGS
@given(mrr_frames(), policies)
def test_bridge_matches_the_reference_sums(mrr, policy):
    bridge = mrr_bridge(movement_set(mrr, reactivation_window_months=policy)).set_index("month")
    ref = pd.DataFrame(
        reference_movements(mrr, policy), columns=["customer_id", "month", "kind", "mrr", "prev", "amount"]
    )
    for kind in ("new", "reactivation", "expansion", "contraction", "churn"):
        expected = ref[ref["kind"] == kind].groupby("month")["amount"].sum()
        assert np.allclose(bridge[kind], expected.reindex(bridge.index, fill_value=0.0), atol=1e-6), kind
    active = ref[ref["mrr"] > 0]
    assert (bridge["customers"] == active.groupby("month").size().reindex(bridge.index, fill_value=0)).all()
    # the identity: opening + movements = closing, closing = next opening
    change = bridge["new"] + bridge["reactivation"] + bridge["expansion"] - bridge["contraction"] - bridge["churn"]
    assert np.allclose(bridge["opening_mrr"] + change, bridge["closing_mrr"], atol=1e-6)


@SETTINGS
@given(mrr_frames(), policies)
def test_movement_set_and_frame_give_identical_results(mrr, policy):
    # The set keeps the dense grid (a month's state is a column); the frame is read back
    # row by row. Every table and KPI must be the same to the last bit.
    fast = movement_set(mrr, reactivation_window_months=policy)
    frame = movements(mrr, reactivation_window_months=policy)
    pd.testing.assert_frame_equal(fast.frame(), frame)
    pd.testing.assert_frame_equal(mrr_bridge(fast), mrr_bridge(frame))
    for freq in ("M", "Q"):
        pd.testing.assert_frame_equal(arpa_drivers(fast, freq), arpa_drivers(frame, freq))
        pd.testing.assert_frame_equal(mrr_drivers(fast, freq), mrr_drivers(frame, freq))
        a, b = cohorts(fast, freq), cohorts(frame, freq)
        for name in a:
            pd.testing.assert_frame_equal(a[name], b[name])
    last = mrr["month"].max()
    for w in (1, 3, 12):
        assert revenue_kpis(fast, Window(last, w)) == revenue_kpis(frame, Window(last, w))


def reference_monthly_churn(mov: pd.DataFrame, as_of: pd.Period):
    """annualised_monthly_logo_churn as first written, on the movements frame with pandas."""
    months = pd.PeriodIndex(mov["month"])
    if mov.empty or as_of - 12 < months.min():
        return None
    ttm = pd.period_range(as_of - 11, as_of, freq="M")
    churned = pd.Series((mov["movement"] == "churn").to_numpy(), index=months).groupby(level=0).sum()
    active = pd.Series((mov["mrr"] > 0).to_numpy(), index=months).groupby(level=0).sum()
    opening = active.reindex(ttm - 1, fill_value=0).to_numpy(dtype=float)
    if (opening == 0).any():
        return None
    return 12.0 * float(np.mean(churned.reindex(ttm, fill_value=0).to_numpy(dtype=float) / opening))


@SETTINGS
@given(mrr_frames(max_months=18), policies)
def test_monthly_churn_basis_matches_the_frame_statement(mrr, policy):
    fast = movement_set(mrr, reactivation_window_months=policy)
    as_of = mrr["month"].max()
    got = annualised_monthly_logo_churn(fast, Window(as_of, 3))
    expected = reference_monthly_churn(fast.frame(), as_of)
    assert (isinstance(got, Blank) and expected is None) or got == expected


@SETTINGS
@given(mrr_frames(), policies, policies)
def test_relabelled_reactivation_window_is_a_fresh_computation(mrr, first, other):
    # A set built under one window, relabelled to another, equals the set built under it.
    relabelled = movement_set(mrr, reactivation_window_months=first).with_reactivation_window(other)
    fresh = movement_set(mrr, reactivation_window_months=other)
    for name in ("cust", "col", "code", "mrr", "prev", "amount", "values", "codes"):
        assert np.array_equal(getattr(relabelled, name), getattr(fresh, name)), name
    pd.testing.assert_frame_equal(mrr_bridge(relabelled), mrr_bridge(fresh))
    for name, table in cohorts(relabelled, "M").items():
        pd.testing.assert_frame_equal(table, cohorts(fresh, "M")[name])
