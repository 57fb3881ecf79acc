"""Policy ltv_churn_basis: point-to-point annual logo churn vs 12 x mean monthly churn."""

from __future__ import annotations

import pandas as pd
import pytest

from reportlib.exceptions import ConfigError
from reportlib.inputs.config import Policies, load_config
from reportlib.metrics import Blank, Window, movements, revenue_kpis, unit_economics_kpis
from reportlib.metrics.churn_basis import MONTHLY_CHURN_KEY, annualised_monthly_logo_churn

M = pd.Period("2026-01", "M")


def mrr() -> pd.DataFrame:
    """2025-01..2026-01 (13 months). A and D active throughout (100 each); B only in 2025-01
    (churns in 2025-02); C new in 2025-03, active to 2025-05 (churns in 2025-06): won and
    lost inside the year."""
    months = pd.period_range("2025-01", "2026-01", freq="M")
    active = {"A": months, "D": months, "B": months[:1], "C": months[2:5]}
    rows = [(c, m, 100.0) for c, ms in active.items() for m in ms]
    return pd.DataFrame(rows, columns=["customer_id", "month", "mrr"])


def test_monthly_basis_counts_customers_won_and_lost_inside_the_year():
    mov = movements(mrr())
    # Active at m-1: 2025-01 3 (A, B, D); 2025-02 2; 2025-03..05 3 (A, C, D); then 2.
    # Churned: B in 2025-02 (1 of 3), C in 2025-06 (1 of 3); the other 10 TTM months 0.
    # Mean monthly = (1/3 + 1/3) / 12 = 1/18; annualised 12 x 1/18 = 2/3.
    assert annualised_monthly_logo_churn(mov, Window(M, 3)) == pytest.approx(2 / 3)
    # Point to point: of A, B, D active in 2025-01, only B is gone in 2026-01: 1/3 (C unseen).
    assert revenue_kpis(mov, Window(M, 3))["logo_churn_rate_annual"] == pytest.approx(1 / 3)


def test_monthly_basis_needs_thirteen_months():
    short = mrr()[lambda f: f["month"] >= pd.Period("2025-02", "M")]
    value = annualised_monthly_logo_churn(movements(short), Window(M, 3))
    assert isinstance(value, Blank) and "13 months" in value.note


def fin() -> pd.DataFrame:
    """2025-01..2026-01: revenue 1000, cogs 250 every month -> gross margin TTM 0.75."""
    months = pd.period_range("2025-01", "2026-01", freq="M")
    return pd.DataFrame({"month": months, "revenue": 1000.0, "cogs": 250.0, "sales_marketing": 300.0})


@pytest.mark.parametrize(
    "basis, expected",
    [
        ("period", 2700.0),  # 12 x ARPA 100 x GM 0.75 / (1/3) = 2,700
        ("monthly", 1350.0),  # 12 x 100 x 0.75 / (2/3) = 1,350
    ],
)
def test_ltv_under_each_churn_basis(basis, expected):
    revenue = {"arpa": 100.0, "logo_churn_rate_annual": 1 / 3, MONTHLY_CHURN_KEY: 2 / 3}
    out = unit_economics_kpis(fin(), revenue, Window(M, 3), Policies(ltv_churn_basis=basis))
    assert out["ltv"] == pytest.approx(expected)


def test_policy_is_read_and_checked(tmp_path):
    base = '[company]\nname = "Acme"\ncurrency = "EUR"\n[inputs.mrr]\npath = "mrr.csv"\n[policies]\nltv_churn_basis = '
    (tmp_path / "company.toml").write_text(base + '"monthly"\n', encoding="utf-8")
    assert load_config(tmp_path).policies.ltv_churn_basis == "monthly"
    assert Policies().ltv_churn_basis == "period"
    (tmp_path / "company.toml").write_text(base + '"montly"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_config(tmp_path)
    assert "Did you mean 'monthly'?" in str(exc.value.problems[0])
