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
