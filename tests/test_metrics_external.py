"""The dbt MRR playbook's subscription periods (a public worked example) through the engine:
the bridge's closing MRR must equal the sum of active subscriptions every month."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import EXTERNAL, needs_external
from reportlib.metrics import Window, contracts_to_mrr, movements, mrr_bridge, revenue_kpis

PLAYBOOK = EXTERNAL / "dbt-mrr-playbook" / "subscription_periods.csv"


def subscriptions() -> pd.DataFrame:
    subs = pd.read_csv(PLAYBOOK, parse_dates=["start_date", "end_date"])
    assert list(subs.columns) == ["subscription_id", "customer_id", "start_date", "end_date", "monthly_amount"]
    return subs


def expected_mrr(subs: pd.DataFrame, months: pd.PeriodIndex) -> pd.Series:
    """Oracle: subscriptions active in month m (start <= first day of m < exclusive end)."""
    firsts = months.to_timestamp()
    return pd.Series(
        [subs.loc[(subs.start_date <= d) & (subs.end_date > d), "monthly_amount"].sum() for d in firsts],
        index=months,
        dtype=float,
    )


def as_contracts(subs: pd.DataFrame) -> pd.DataFrame:
    """The playbook's exclusive end dates made inclusive, as the inputs layer does."""
    return pd.DataFrame(
        {
            "contract_id": subs.subscription_id.astype(str).astype("string"),
            "customer_id": subs.customer_id.astype(str).astype("string"),
            "start_date": subs.start_date,
            "end_date": subs.end_date - pd.Timedelta(days=1),
            "signed_date": subs.start_date,
            "tcv": np.nan,
            "mrr": subs.monthly_amount.astype(float),
            "revenue_type": pd.array(["contracted_recurring"] * len(subs), dtype="string"),
            "billing": pd.array(["monthly"] * len(subs), dtype="string"),
        }
    )


@needs_external
def test_playbook_bridge_closes_to_active_subscriptions():
    subs = subscriptions()
    last = (subs.end_date.max() - pd.Timedelta(days=1)).to_period("M")
    months = pd.period_range(subs.start_date.min().to_period("M"), last, freq="M")
    mrr = contracts_to_mrr(as_contracts(subs), months=(months[0], months[-1]))
    bridge = mrr_bridge(movements(mrr, months=(months[0], months[-1])))
    closing = bridge.set_index("month")["closing_mrr"]
    expected = expected_mrr(subs, months)
    np.testing.assert_allclose(closing.reindex(months).to_numpy(), expected.to_numpy(), atol=0.005)
    change = bridge.new + bridge.reactivation + bridge.expansion - bridge.contraction - bridge.churn
    np.testing.assert_allclose(bridge.opening_mrr + change, bridge.closing_mrr, atol=0.005)
    # the playbook has churn, reactivation (customer 1 returns in 2019-04) and upgrades
    assert bridge.churn.sum() > 0 and bridge.reactivation.sum() > 0 and bridge.expansion.sum() > 0
    k = revenue_kpis(movements(mrr), Window(months[-1], 12))
    assert k["mrr"] == pytest.approx(expected.iloc[-1])
