"""Cohort retention tables on a hand-computed fixture."""

from __future__ import annotations

import pandas as pd
import pytest
from test_metrics_movements import mrr_frame

from reportlib.metrics import cohorts, movements

# 2026-01 is the opening month (a, b); c is new in 2026-02, d in 2026-03.
FIX = mrr_frame(
    {
        "a": {"2026-01": 100, "2026-02": 150, "2026-03": 120, "2026-05": 30},
        "b": {"2026-01": 50, "2026-02": 50},
        "c": {"2026-02": 10, "2026-04": 20},
        "d": {"2026-03": 5, "2026-05": 7},
    }
)


def table(c: dict, name: str) -> dict[tuple[str, int], float]:
    return {(r.cohort, r.age_months): r.value for r in c[name].itertuples()}


def test_monthly_cohorts_by_hand():
    c = cohorts(movements(FIX), "M")
    assert set(c) == {"logo", "nrr", "grr", "mrr"}
    assert list(c["logo"].columns) == ["cohort", "age_months", "value"]
    # opening cohort {a, b}, MRR at age 0 = 150; ages 0..4 (2026-01..05)
    assert table(c, "logo") == pytest.approx(
        {
            ("<=2026-01", 0): 1,
            ("<=2026-01", 1): 1,
            ("<=2026-01", 2): 0.5,
            ("<=2026-01", 3): 0,
            ("<=2026-01", 4): 0.5,
            ("2026-02", 0): 1,
            ("2026-02", 1): 0,
            ("2026-02", 2): 1,
            ("2026-02", 3): 0,
            ("2026-03", 0): 1,
            ("2026-03", 1): 0,
            ("2026-03", 2): 1,
        }
    )
    nrr = table(c, "nrr")
    assert nrr[("<=2026-01", 1)] == pytest.approx(200 / 150)  # a 150 + b 50
    assert nrr[("<=2026-01", 4)] == pytest.approx(30 / 150)  # reactivations included
    assert nrr[("2026-02", 2)] == pytest.approx(20 / 10)
    grr = table(c, "grr")
    assert grr[("<=2026-01", 1)] == pytest.approx((100 + 50) / 150)  # min(150, 100) + min(50, 50)
    assert grr[("<=2026-01", 2)] == pytest.approx(100 / 150)  # min(120, 100)
    assert grr[("2026-03", 2)] == pytest.approx(5 / 5)  # min(7, 5)
    sizes = c["mrr"].set_index(["cohort", "age_months"])
    assert sizes.loc[("<=2026-01", 2), "size"] == 2 and sizes.loc[("<=2026-01", 2), "customers"] == 1
    assert sizes.loc[("<=2026-01", 2), "mrr"] == 120
    assert str(sizes.loc[("2026-02", 3), "month"]) == "2026-05"


def test_quarterly_cohorts_ages_in_months_from_each_join():
    c = cohorts(movements(FIX), "Q")
    # 2026Q1 = {c (joined 2026-02), d (2026-03)}; ages reported while both are observed:
    # latest join 2026-03 -> ages 0..2
    q = {k: v for k, v in table(c, "nrr").items() if k[0] == "2026Q1"}
    # age 0: c 10 + d 5 = 15; age 1: c 0 (2026-03), d 0 (2026-04); age 2: c 20 + d 7 = 27
    assert q == pytest.approx({("2026Q1", 0): 1, ("2026Q1", 1): 0, ("2026Q1", 2): 27 / 15})
    assert table(c, "logo")[("<=2026-01", 4)] == 0.5


def test_reactivation_window_starts_a_new_spell():
    mv = movements(FIX, reactivation_window_months=0)  # any gap makes a new customer
    c = cohorts(mv, "M")
    logo = table(c, "logo")
    # a's return in 2026-05 is new: it leaves the opening cohort (0 active at age 4) ...
    assert logo[("<=2026-01", 4)] == 0
    # ... and starts the 2026-05 cohort; c's return in 2026-04 starts the 2026-04 cohort
    assert logo[("2026-04", 0)] == 1 and logo[("2026-05", 0)] == 1


def test_age_zero_is_exactly_one():
    for freq in ("M", "Q"):
        c = cohorts(movements(FIX), freq)
        for name in ("logo", "nrr", "grr"):
            t = c[name]
            assert (t.loc[t.age_months == 0, "value"] == 1.0).all()


def test_common_age_and_median_at_age_leave_the_opening_cohort_out() -> None:
    """Cohort 2025-01 reached month 7 at 80%, 2025-02 month 6 at 90% and month 7 at 70%;
    the opening cohort (customers from before the data) reached month 20 but is no
    acquisition cohort. Oldest common age with a table whose cohorts reached 6: 6; the
    median at month 7 is (80% + 70%) / 2 = 75%; a table of the opening cohort alone has
    no age to compare (None), as has no table at all."""
    from reportlib.metrics.cohorts import common_age, median_at_age

    table = pd.DataFrame(
        [("<=2024-12", 20, 0.5), ("2025-01", 0, 1.0), ("2025-01", 7, 0.8), ("2025-02", 6, 0.9), ("2025-02", 7, 0.7)],
        columns=["cohort", "age_months", "value"],
    )
    six = table[table["age_months"] <= 6]
    assert common_age([table]) == 7 and common_age([table, six]) == 6 and common_age([table], most=3) == 3
    assert median_at_age(table, 7) == pytest.approx(0.75) and median_at_age(table, 20) is None
    assert common_age([table[table["cohort"] == "<=2024-12"]]) is None and common_age([]) is None
