"""MRR movements, bridge, revenue KPIs and driver tables on hand-computed fixtures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reportlib.metrics import (
    BRIDGE_COLUMNS,
    REVENUE_KPIS,
    Blank,
    Window,
    arpa_drivers,
    movements,
    mrr_bridge,
    mrr_drivers,
    revenue_kpis,
)


def mrr_frame(spec: dict[str, dict[str, float]]) -> pd.DataFrame:
    """{customer: {"YYYY-MM": mrr}} -> canonical mrr frame."""
    rows = [(c, m, v) for c, months in spec.items() for m, v in months.items()]
    frame = pd.DataFrame(rows, columns=["customer_id", "month", "mrr"])
    frame["customer_id"] = frame["customer_id"].astype("string")
    frame["month"] = pd.PeriodIndex(frame["month"], freq="M")
    frame["mrr"] = frame["mrr"].astype(float)
    return frame


def months(first: str, last: str, value: float) -> dict[str, float]:
    return {str(p): value for p in pd.period_range(first, last, freq="M")}


# Five months, every kind of movement once.
SMALL = mrr_frame(
    {
        "a": {"2026-01": 100, "2026-02": 150, "2026-03": 120, "2026-05": 30},
        "b": {"2026-01": 50, "2026-02": 50},
        "c": {"2026-02": 10, "2026-04": 20},
    }
)


def test_movements_rows_by_hand():
    mv = movements(SMALL)
    assert list(mv.columns) == ["customer_id", "month", "mrr", "prev_mrr", "movement", "amount"]
    got = [(r.customer_id, str(r.month), r.movement, r.amount) for r in mv.itertuples()]
    assert got == [
        ("a", "2026-01", "opening", 0.0),
        ("b", "2026-01", "opening", 0.0),
        ("a", "2026-02", "expansion", 50.0),  # 150 - 100
        ("b", "2026-02", "flat", 0.0),
        ("c", "2026-02", "new", 10.0),
        ("a", "2026-03", "contraction", 30.0),  # 150 - 120
        ("b", "2026-03", "churn", 50.0),  # churn row is the month after the last active
        ("c", "2026-03", "churn", 10.0),
        ("a", "2026-04", "churn", 120.0),
        ("c", "2026-04", "reactivation", 20.0),  # active in 2026-02, gap of one month
        ("a", "2026-05", "reactivation", 30.0),
        ("c", "2026-05", "churn", 20.0),
    ]


def test_bridge_by_hand():
    b = mrr_bridge(movements(SMALL))
    assert list(b.columns) == BRIDGE_COLUMNS
    # month: opening, new, react, exp, con, churn, closing, customers, new, react, churned
    expected = [
        ("2026-01", 150, 0, 0, 0, 0, 0, 150, 2, 0, 0, 0),  # opening balance: no movements
        ("2026-02", 150, 10, 0, 50, 0, 0, 210, 3, 1, 0, 0),  # 150 + 10 + 50
        ("2026-03", 210, 0, 0, 0, 30, 60, 120, 1, 0, 0, 2),  # 210 - 30 - (50 + 10)
        ("2026-04", 120, 0, 20, 0, 0, 120, 20, 1, 0, 1, 1),  # 120 + 20 - 120
        ("2026-05", 20, 0, 30, 0, 0, 20, 30, 1, 0, 1, 1),  # 20 + 30 - 20
    ]
    got = [tuple([str(r[0])] + [float(x) for x in r[1:]]) for r in b.itertuples(index=False)]
    assert got == [tuple([e[0]] + [float(x) for x in e[1:]]) for e in expected]


def test_bridge_accepts_mrr_frame_directly():
    pd.testing.assert_frame_equal(mrr_bridge(SMALL), mrr_bridge(movements(SMALL)))


def test_reactivation_window_policy():
    # c is inactive for one month (2026-03) before returning in 2026-04
    default = movements(SMALL)
    strict = movements(SMALL, reactivation_window_months=0)  # any gap > 0 months is new
    lenient = movements(SMALL, reactivation_window_months=1)  # a 1-month gap still reactivates

    def pick(mv):
        return mv.loc[(mv.customer_id == "c") & (mv.month == pd.Period("2026-04", "M")), "movement"].item()

    assert pick(default) == "reactivation"
    assert pick(strict) == "new"
    assert pick(lenient) == "reactivation"


def test_months_parameter_moves_the_opening_month():
    # as a segment of a company whose data starts in 2025-12, c's first month is new
    mv = movements(SMALL, months=("2025-12", "2026-05"))
    first = mv.loc[mv.month == pd.Period("2026-01", "M")]
    assert set(first.movement) == {"new"}
    assert mrr_bridge(mv)["month"].iloc[0] == pd.Period("2025-12", "M")


def test_empty_input():
    empty = SMALL.iloc[:0]
    assert len(movements(empty)) == 0
    assert len(mrr_bridge(empty)) == 0
    kpis = revenue_kpis(empty, Window.of("2026-05", "quarter"))
    assert all(isinstance(v, Blank) for v in kpis.values())


# Fourteen months for the KPI definitions (window = quarter ending 2026-02).
KPI = mrr_frame(
    {
        "A": {**months("2025-01", "2025-12", 100), "2026-01": 150, "2026-02": 150},
        "B": months("2025-01", "2025-12", 200),
        "C": {**months("2025-02", "2025-11", 50), **months("2025-12", "2026-02", 30)},
        "D": {"2026-02": 80},
        "E": {**months("2025-01", "2025-06", 40), "2026-01": 60, "2026-02": 60},
        "F": {"2025-01": 10, "2025-02": 10},
    }
)


def test_revenue_kpis_by_hand():
    k = revenue_kpis(movements(KPI), Window.of("2026-02", "quarter"))
    assert list(k) == REVENUE_KPIS
    # at M = 2026-02: A 150 + C 30 + D 80 + E 60 = 320, 4 customers
    # at M-3 = 2025-11: A 100 + B 200 + C 50 = 350, 3 customers
    # in P (2025-12..2026-02): new D 80, reactivation E 60, expansion A 50,
    # contraction C 20, churn B 200; 350 + 80 + 60 + 50 - 20 - 200 = 320
    # a year ago (2025-02): A 100, B 200, C 50, E 40, F 10 = 400
    expected = {
        "mrr": 320,
        "arr": 3840,
        "customers": 4,
        "new_arr": 960,
        "expansion_arr": 600,
        "reactivation_arr": 720,
        "contraction_arr": 240,
        "churned_arr": 2400,
        "net_new_arr": 12 * (320 - 350),
        "arr_growth_yoy": 320 / 400 - 1,
        "new_customers": 1,
        "logo_churn_rate": 1 / 3,  # B of {A, B, C}
        "logo_churn_rate_annual": 2 / 5,  # B, F of {A, B, C, E, F}
        "gross_mrr_churn_rate": (200 + 20) / 350,
        "net_mrr_churn_rate": (200 + 20 - 50 - 60) / 350,
        "mrr_expansion_rate": 50 / 350,
        "nrr": (150 + 0 + 30 + 60 + 0) / 400,
        "grr": (100 + 0 + 30 + 40 + 0) / 400,  # min(now, year ago) per customer
        "quick_ratio": (80 + 60 + 50) / (20 + 200),
        "arpa": 320 / 4,
        "asp": 80 / 1,
    }
    for key, value in expected.items():
        assert k[key] == pytest.approx(value), key


def test_revenue_kpis_with_reactivation_window():
    # E's gap (2025-07..2025-12) is 6 months: longer than 3 -> new, not reactivation
    k = revenue_kpis(KPI, Window.of("2026-02", "quarter"), reactivation_window_months=3)
    assert k["new_customers"] == 2
    assert k["new_arr"] == pytest.approx(12 * 140)
    assert k["reactivation_arr"] == 0
    assert k["asp"] == pytest.approx(140 / 2)


def test_revenue_kpis_windows():
    month = revenue_kpis(KPI, Window.of("2026-02", "month"))
    # P = 2026-02 only: new D 80; start 2026-01 = A 150 + C 30 + E 60 = 240
    assert month["new_arr"] == 960 and month["churned_arr"] == 0
    assert month["net_new_arr"] == 12 * (320 - 240)
    year = revenue_kpis(KPI, Window.of("2026-02", "year"))
    assert year["logo_churn_rate"] == pytest.approx(2 / 5)
    assert year["net_new_arr"] == 12 * (320 - 400)


def test_blank_reasons():
    short = revenue_kpis(SMALL, Window.of("2026-05", "quarter"))
    for key in ("nrr", "grr", "arr_growth_yoy", "logo_churn_rate_annual"):
        assert short[key] == Blank("less than 12 months of history")
    # P = 2026-03..05 has no new customer (asp blank) but has churn (quick ratio defined)
    assert short["asp"] == Blank("no new customers in the period")
    assert isinstance(short["quick_ratio"], float)
    too_short = revenue_kpis(SMALL, Window.of("2026-02", "quarter"))
    assert isinstance(too_short["new_arr"], Blank)
    assert "history" in too_short["new_arr"].note
    no_loss = revenue_kpis(mrr_frame({"x": {"2026-01": 10, "2026-02": 10}}), Window.of("2026-02", "month"))
    assert no_loss["quick_ratio"] == Blank("no churn or contraction in the period")
    outside = revenue_kpis(SMALL, Window.of("2027-01", "quarter"))
    assert isinstance(outside["mrr"], Blank)
    for value in list(short.values()) + list(no_loss.values()):
        assert isinstance(value, Blank) or np.isfinite(value)


def test_arpa_drivers_by_hand():
    d = arpa_drivers(movements(SMALL), freq="M")
    assert list(d.columns) == ["period", "asp", "arpa_churned", "arpa_expanded", "arpa_contracted", "arpa"]
    feb = d.loc[d.period == pd.Period("2026-02", "M")].iloc[0]
    assert feb.asp == 10 and feb.arpa_expanded == 150 and np.isnan(feb.arpa_churned)
    assert feb.arpa == pytest.approx(210 / 3)
    mar = d.loc[d.period == pd.Period("2026-03", "M")].iloc[0]
    assert mar.arpa_churned == 30  # (b 50 + c 10) / 2, MRR before churn
    assert mar.arpa_contracted == 120  # after the change
    jan = d.iloc[0]  # the opening month: its start state is before the data (METRICS.md "Time")
    assert np.isnan([jan.asp, jan.arpa_churned, jan.arpa_expanded, jan.arpa_contracted]).all()
    assert jan.arpa == pytest.approx(150 / 2)  # a state at its end: a 100 + b 50
    q = arpa_drivers(movements(SMALL), freq="Q")
    assert list(q.period.astype(str)) == ["2026Q1", "2026Q2"]
    # Q1 holds the opening month January: its movements would be February's and March's
    # alone, a partial sum, so they are blank; arpa at 2026-03 = 120 / 1 stays
    assert np.isnan(q.arpa_churned.iloc[0]) and q.arpa.iloc[0] == 120
    # Q2: churned a 120 (April) and c 20 (May) -> 70; reactivated c 20 (April), a 30 (May)
    assert q.arpa_churned.iloc[1] == 70 and q.arpa.iloc[1] == 30


def test_mrr_drivers_by_quarter():
    d = mrr_drivers(movements(SMALL), freq="Q")
    q1, q2 = d.iloc[0], d.iloc[1]
    # Q1 starts before the data (January is the opening month, December unknown): its
    # movements (+10 new +50 expansion -30 contraction -60 churn in Feb-Mar) would be a
    # partial quarter, so they are blank; its closing MRR, a state, stays
    flows = [q1.opening_mrr, q1.new, q1.expansion, q1.contraction, q1.churn, q1.net_new_mrr, q1.quick_ratio]
    assert np.isnan(flows).all() and q1.closing_mrr == 120
    months = mrr_drivers(movements(SMALL), freq="M")
    assert np.isnan(months.iloc[0][["new", "churn", "quick_ratio"]].astype(float)).all()
    assert months.iloc[1].new == 10 and months.iloc[1].expansion == 50  # February, a whole month
    # Q2: 120 + 20 + 30 reactivations - 140 churn = 30
    assert (q2.opening_mrr, q2.reactivation, q2.churn, q2.closing_mrr) == (120, 50, 140, 30)


# ------------------------------------------- the sweep's totals are its months' own sums
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_CELL = st.tuples(
    st.integers(0, 5),  # customer code
    st.integers(0, 7),  # month column
    st.sampled_from([0.0, -5.0, 10.0, 10.0, 25.5, 0.1, 1e9, 1 / 3]),  # repeats, zeros and refunds too
)


def _swept(cells: list[tuple[int, int, float]]):
    """The movements module and the sweep of (customer code, month column, MRR) cells of six
    customers over eight months."""
    import importlib

    from reportlib.metrics.grid import CustomerMonths

    mv = importlib.import_module("reportlib.metrics.movements")
    rows = CustomerMonths(
        pd.Index([f"c{k}" for k in range(6)]),
        600,
        8,
        np.array([c for c, _, _ in cells], dtype=np.int64),
        np.array([m for _, m, _ in cells], dtype=np.int64),
        np.array([v for *_, v in cells], dtype=np.float64),
    )
    return mv, mv._sweep(rows)


@settings(max_examples=150, deadline=None)
@given(st.lists(_CELL, max_size=40))
def test_sweep_totals_are_each_months_rows_summed_in_order(cells):
    """Property: the totals the sweep keeps are, month by month, its rows' counts and sums
    per code added in row order and the closing MRR accumulated in row order, bit for bit
    (rows with duplicates, zero and negative months, in any order; no rows at all)."""
    mv, m = _swept(cells)
    totals = m.cache["totals"]
    for k in range(8):
        at = m.col == k
        code, mrr = m.code[at].astype(np.intp), m.mrr[at]
        assert np.array_equal(totals["count"][k], np.bincount(code, minlength=8))
        for name, values in (("amount", m.amount[at]), ("mrr", mrr), ("prev", m.prev[at])):
            assert np.array_equal(totals[name][k], np.bincount(code, weights=values, minlength=8).astype(float))
        assert totals["closing"][k] == (np.add.accumulate(mrr)[-1] if len(mrr) else 0.0)
        assert totals["customers"][k] == np.count_nonzero(mrr > 0)
    assert totals["amount"].dtype == np.float64 and totals["count"].dtype == np.intp


@settings(max_examples=150, deadline=None)
@given(st.lists(_CELL, max_size=40))
def test_sweep_rows_follow_the_movement_definitions_row_by_row(cells):
    """Property: each row's code, amount and start gap are those of the definitions applied
    one customer-month at a time in plain Python (the sweep looks codes up from state bits
    and writes amounts where they apply): active both months -> expansion, contraction or
    flat (amount |change|, 0 when flat); active now only -> new on a first start, else
    reactivation after a gap (amount the MRR); active before only -> churn (amount last
    month's MRR)."""
    mv, m = _swept(cells)
    state = np.zeros((6, 8))
    for c, k, v in cells:
        state[c, k] += v
    last = {}  # customer -> its last active month so far
    expected = []
    for k in range(8):
        for c in range(6):
            now, before = state[c, k], state[c, k - 1] if k else 0.0
            if k and not (now > 0 or before > 0):
                continue
            if k == 0:
                if now > 0:
                    expected.append((c, k, mv.OPENING, 0.0, -2))
            elif now > 0 and before > 0:
                code = mv.EXPANSION if now > before else mv.CONTRACTION if now < before else mv.FLAT
                expected.append((c, k, code, abs(now - before) if now != before else 0.0, -2))
            elif now > 0:
                gap = k - 1 - last[c] if c in last else -1
                expected.append((c, k, mv.REACTIVATION if c in last else mv.NEW, now, gap))
            else:
                expected.append((c, k, mv.CHURN, before, -2))
            if now > 0:
                last[c] = k
    got = list(
        zip(
            m.cust.tolist(),
            m.col.tolist(),
            m.code.tolist(),
            m.amount.tolist(),
            m.cache["start_gaps"].tolist(),
            strict=True,
        )
    )
    assert got == expected


def test_a_sweep_whose_rows_outgrow_its_first_buffers_gives_the_same_movements(monkeypatch):
    """Every customer churns the month after it starts: twice as many rows as input rows, more
    than the sweep's first buffers hold (the rows plus an eighth plus 1,024), so they grow
    while the months are swept; the movements are those of buffers sized for the worst case."""
    import importlib

    from reportlib.metrics.grid import CustomerMonths

    mv = importlib.import_module("reportlib.metrics.movements")
    n = 4_000  # customers, one month each, a thousand starting in each of four months
    rows = CustomerMonths(
        pd.Index([f"c{k:05d}" for k in range(n)]),
        600,
        6,
        np.arange(n, dtype=np.int64),
        np.repeat(np.arange(4, dtype=np.int64), n // 4),
        np.full(n, 10.0),
    )
    grown = mv._sweep(rows)
    assert len(grown.cust) == 2 * n  # a row when active (opening or new), one when churned
    assert np.count_nonzero(grown.code == mv.CHURN) == n and len(grown.cust) > n + n // 8 + 1_024

    roomy = mv._Rows.__init__
    monkeypatch.setattr(mv._Rows, "__init__", lambda self, capacity: roomy(self, 2 * n))
    worst_case = mv._sweep(rows)
    for name in ("cust", "col", "code", "mrr", "prev", "amount"):
        assert np.array_equal(getattr(grown, name), getattr(worst_case, name)), name
    for key in ("start_gaps", "bounds"):
        assert np.array_equal(grown.cache[key], worst_case.cache[key]), key
    assert all(np.array_equal(grown.totals()[k], worst_case.totals()[k]) for k in grown.totals())
