"""Contracts / transactions -> monthly customer values, and the dense grid."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_metrics_contracts import NA, contracts

from reportlib.metrics import contracts_to_mrr, to_grid, transactions_to_mrr


def as_dict(mrr: pd.DataFrame) -> dict[tuple[str, str], float]:
    return {(r.customer_id, str(r.month)): r.mrr for r in mrr.itertuples()}


def test_contract_counts_when_it_serves_the_last_day():
    frame = contracts(
        # serves 31 Jan .. 30 Apr, not 31 May: L = 17/31 + 3 + 14/31 = 4, value 4,000 / 4
        ("a1", "a", "2026-01-15", "2026-05-14", None, 4_000, NA, "contracted_recurring", "monthly"),
        # same customer, mrr-given, from 2026-03, open-ended: until the horizon
        ("a2", "a", "2026-03-01", None, None, NA, 50, "contracted_recurring", "monthly"),
        # uncontracted and one-off lines are not MRR by default
        ("u", "b", "2026-01-01", "2026-12-31", None, 1_200, NA, "uncontracted_recurring", "monthly"),
        ("o", "b", "2026-01-01", None, None, 999, NA, "one_off", "upfront"),
    )
    got = as_dict(contracts_to_mrr(frame, months=("2026-01", "2026-06")))
    assert got == pytest.approx(
        {
            ("a", "2026-01"): 1_000,
            ("a", "2026-02"): 1_000,
            ("a", "2026-03"): 1_050,
            ("a", "2026-04"): 1_050,
            ("a", "2026-05"): 50,
            ("a", "2026-06"): 50,
        }
    )


def test_worked_example_monthly_value():
    frame = contracts(("k1", "acme", "2026-01-01", "2026-12-31", None, 100_000, NA, "contracted_recurring", "annual"))
    mrr = contracts_to_mrr(frame)
    assert len(mrr) == 12 and (mrr["mrr"].round(2) == 8_333.33).all()


def test_policy_includes_uncontracted_and_transactions():
    frame = contracts(("u", "b", "2026-01-01", "2026-12-31", None, 1_200, NA, "uncontracted_recurring", "monthly"))
    tx = pd.DataFrame(
        {
            "customer_id": pd.array(["b", "c"], dtype="string"),
            "date": pd.to_datetime(["2026-02-10", "2026-02-11"]),
            "amount": [5.0, 7.0],
        }
    )
    got = as_dict(contracts_to_mrr(frame, include_uncontracted=True, transactions=tx, months=("2026-01", "2026-02")))
    assert got == pytest.approx({("b", "2026-01"): 100, ("b", "2026-02"): 105, ("c", "2026-02"): 7})


def test_transactions_summed_per_customer_month():
    tx = pd.DataFrame(
        {
            "customer_id": pd.array(["x", "x", "x", "y", "y"], dtype="string"),
            "date": pd.to_datetime(["2026-01-03", "2026-01-20", "2026-03-01", "2026-01-05", "2026-01-09"]),
            "amount": [10.0, 15.0, 7.0, 20.0, -20.0],
        }
    )
    got = as_dict(transactions_to_mrr(tx))
    # x: 10 + 15 in Jan, 7 in Mar; y nets to 0 in Jan -> inactive, no row
    assert got == {("x", "2026-01"): 25.0, ("x", "2026-03"): 7.0}


def test_dense_grid_sorted_and_summed():
    frame = pd.DataFrame(
        {
            "customer_id": pd.array(["z", "a", "z", "a"], dtype="string"),
            "month": pd.PeriodIndex(["2026-03", "2026-01", "2026-03", "2026-02"], freq="M"),
            "mrr": [1.0, 2.0, 3.0, 4.0],
        }
    )
    g = to_grid(frame)
    assert list(g.customers) == ["a", "z"]
    assert [str(m) for m in g.months] == ["2026-01", "2026-02", "2026-03"]
    np.testing.assert_array_equal(g.values, [[2, 4, 0], [0, 0, 4]])  # z: 1 + 3 summed
    # rows outside the months are ignored (z has none left)
    wider = to_grid(frame, months=("2025-12", "2026-02"))
    assert list(wider.customers) == ["a"]
    np.testing.assert_array_equal(wider.values, [[0, 2, 4]])


# ------------------------------------- the grid on customer codes is the grid on id text
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_LINE = st.tuples(
    st.sampled_from(["acme", "bolt", "Core", "acme "]),  # ids differing by case and space stay apart
    st.integers(0, 30),  # start: months after 2024-01
    st.one_of(st.none(), st.integers(1, 30)),  # months served; None: open-ended (mrr given)
    st.floats(0, 50_000),  # zero lines too
    st.sampled_from(["contracted_recurring", "uncontracted_recurring", "one_off"]),
)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(_LINE, min_size=1, max_size=10), st.one_of(st.none(), st.tuples(st.integers(-3, 20), st.integers(0, 40)))
)
def test_contracts_to_mrr_on_codes_is_the_text_path(lines, months):
    """Property: the customer-months summed on the contracts' customer codes are, row for
    row and bit for bit, those of the expanded id text (duplicate lines of one customer
    summed in line order, zero months dropped), with the company's span or a given one."""
    from reportlib.metrics.grid import _contract_month_values, _default_contract_span, _sum_customer_months

    rows = []
    for k, (customer, start, length, value, kind) in enumerate(lines):
        first = pd.Period("2024-01", "M") + start
        end = None if length is None else str((first + length - 1).end_time.date())
        tcv, mrr = (NA, value / 12) if length is None else (value, NA)
        rows.append((f"k{k}", customer, str(first.start_time.date()), end, None, tcv, mrr, kind, "monthly"))
    frame = contracts(*rows)
    span = None
    if months is not None:
        lo = pd.Period("2024-01", "M") + months[0]
        span = (lo, lo + months[1])
    for include in (False, True):
        got = contracts_to_mrr(frame, include_uncontracted=include, months=span)
        types = ["contracted_recurring"] + (["uncontracted_recurring"] if include else [])
        lines_in = frame.loc[frame["revenue_type"].isin(types)]
        ords = (span[0].ordinal, span[1].ordinal) if span else _default_contract_span(frame)
        expected = _sum_customer_months(_contract_month_values(lines_in, ords))
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
