"""Definition sensitivity: the north stars under every alternative policy value, by hand."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from reportlib.kpis import compute_kpis
from reportlib.kpis.sensitivity import SENSITIVITY_COLUMNS

MONTHS = [str(p) for p in pd.period_range("2025-01", "2026-03", freq="M")]
#: S&M 1,000 a month until 2025-09, then 100, 200, ... 600 from 2025-10 to 2026-03.
SM = {m: 1000.0 for m in MONTHS[:9]} | {m: 100.0 * k for k, m in enumerate(MONTHS[9:], start=1)}


def company(folder: Path, policies: str = "") -> Path:
    """A 100 throughout; B 200 until 2026-01 (churns 2026-02); C new 2026-02 at 50, 80 in
    2026-03; D new 2025-06 to 2025-08 (churns 2025-09, won and lost inside the year);
    E 2025-01..02, back 2026-02 at 40 after an 11-month gap. P&L: revenue 1,000 and cogs 250
    a month (gross margin 0.75), S&M as :data:`SM`."""
    rows = [("A", m, 100.0) for m in MONTHS] + [("B", m, 200.0) for m in MONTHS if m <= "2026-01"]
    rows += [("C", "2026-02", 50.0), ("C", "2026-03", 80.0)]
    rows += [("D", m, 60.0) for m in ("2025-06", "2025-07", "2025-08")]
    rows += [("E", m, 40.0) for m in ("2025-01", "2025-02", "2026-02", "2026-03")]
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows, columns=["customer_id", "month", "mrr"]).to_csv(folder / "mrr.csv", index=False)
    pd.DataFrame(
        {"month": MONTHS, "revenue": 1000.0, "cogs": 250.0, "sales_marketing": [SM[m] for m in MONTHS]}
    ).to_csv(folder / "pnl.csv", index=False)
    (folder / "company.toml").write_text(
        '[company]\nname = "Sense"\ncurrency = "EUR"\n[kpis]\nnorth_star = ["arr", "ltv_cac", '
        f'"cac_payback_months"]\n[policies]\n{policies}\n[inputs.mrr]\npath = "mrr.csv"\n'
        '[inputs.financials]\npath = "pnl.csv"\n',
        encoding="utf-8",
    )
    return folder


def test_sensitivity_by_hand(tmp_path):
    result = compute_kpis(company(tmp_path / "sense"), as_of="2026-03")
    table = result.tables["sensitivity"]
    assert list(table.columns) == SENSITIVITY_COLUMNS
    got = {(r.kpi, r.policy, r.policy_value): (round(r.kpi_value, 4), r.in_force) for r in table.itertuples()}
    # Q1 2026. ARPA at 2026-03 = (100 + 80 + 40) / 3 = 73.33; gross margin TTM 0.75.
    # Annual logo churn, point to point: of A, B active in 2025-03, B is gone: 1/2.
    # LTV = 12 x 73.33 x 0.75 / 0.5 = 1,320.
    # Monthly basis: churn 1/3 in 2025-09 (D of A, B, D), 1/2 in 2026-02 (B of A, B), else 0:
    # 12 x mean = 12 x (5/6) / 12 = 5/6; LTV = 660 / (5/6) = 792.
    # cac_lag 0: S&M 2026-01..03 = 400 + 500 + 600 = 1,500; lag 1: 300 + 400 + 500 = 1,200;
    # lag 3: 100 + 200 + 300 = 600. One new customer (C, ASP 50; E reactivates).
    # Payback = CAC / (50 x 0.75): 40, 32, 16. LTV:CAC = 1,320 / CAC: 0.88, 1.1, 2.2.
    # Reactivation window 3 or 6: E's 11-month gap makes it new: 2 new customers, new MRR 90,
    # ASP 45, CAC 750, payback 750 / 33.75 = 22.2222, LTV:CAC 1.76; window 12: as none.
    expected = {
        ("ltv_cac", "reactivation_window_months", "none"): (0.88, True),
        ("ltv_cac", "reactivation_window_months", "3"): (1.76, False),
        ("ltv_cac", "reactivation_window_months", "6"): (1.76, False),
        ("ltv_cac", "reactivation_window_months", "12"): (0.88, False),
        ("cac_payback_months", "reactivation_window_months", "none"): (40.0, True),
        ("cac_payback_months", "reactivation_window_months", "3"): (22.2222, False),
        ("cac_payback_months", "reactivation_window_months", "6"): (22.2222, False),
        ("cac_payback_months", "reactivation_window_months", "12"): (40.0, False),
        ("ltv_cac", "cac_lag_months", "0"): (0.88, True),
        ("ltv_cac", "cac_lag_months", "1"): (1.1, False),
        ("ltv_cac", "cac_lag_months", "3"): (2.2, False),
        ("cac_payback_months", "cac_lag_months", "0"): (40.0, True),
        ("cac_payback_months", "cac_lag_months", "1"): (32.0, False),
        ("cac_payback_months", "cac_lag_months", "3"): (16.0, False),
        # lifetime 1 / 0.5 = 2 years: neither cap binds
        ("ltv_cac", "ltv_max_lifetime_years", "none"): (0.88, True),
        ("ltv_cac", "ltv_max_lifetime_years", "3"): (0.88, False),
        ("ltv_cac", "ltv_max_lifetime_years", "5"): (0.88, False),
        ("ltv_cac", "ltv_churn_basis", "period"): (0.88, True),
        ("ltv_cac", "ltv_churn_basis", "monthly"): (0.528, False),  # 792 / 1,500
    }
    assert got == expected  # arr: no policy here changes it (mrr input, whole-company pack)
    assert (
        "LTV:CAC 0.5x to 0.9x depending on ltv_churn_basis; 0.9x as reported (ltv_churn_basis = period)."
    ) in result.narrative["sensitivity"]


def test_value_in_force_outside_the_alternatives_is_listed(tmp_path):
    result = compute_kpis(
        company(tmp_path / "sense", 'cac_lag_months = 2\nltv_churn_basis = "monthly"'), as_of="2026-03"
    )
    table = result.tables["sensitivity"].set_index(["kpi", "policy", "policy_value"])
    # lag 2: S&M 2025-11..2026-01 = 200 + 300 + 400 = 900; payback 900 / 37.5 = 24.
    assert table.loc[("cac_payback_months", "cac_lag_months", "2")].tolist() == [pytest.approx(24.0), True]
    # monthly churn basis in force: LTV 792 / CAC 900 = 0.88
    assert table.loc[("ltv_cac", "ltv_churn_basis", "monthly")].tolist() == [pytest.approx(0.88), True]
    assert result.kpis.set_index("kpi").loc["ltv", "value"] == pytest.approx(792.0)
