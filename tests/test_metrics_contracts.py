"""Contracts: service length, recognized revenue, invoices, bookings, deferred revenue, ARR,
CARR, revenue tiers and contract KPIs, on hand-computed fixtures and METRICS.md's worked
examples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reportlib.metrics import (
    CONTRACT_KPIS,
    Blank,
    Window,
    bookings,
    contract_arr,
    contract_kpis,
    invoices,
    recognized_revenue,
    revenue_bridge,
    revenue_tiers,
    service_months,
)

COLUMNS = [
    "contract_id",
    "customer_id",
    "start_date",
    "end_date",
    "signed_date",
    "tcv",
    "mrr",
    "revenue_type",
    "billing",
]


def contracts(*rows) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows), columns=COLUMNS)
    for col in ("start_date", "end_date", "signed_date"):
        frame[col] = pd.to_datetime(frame[col], format="ISO8601")
    frame["signed_date"] = frame["signed_date"].fillna(frame["start_date"])
    for col in ("contract_id", "customer_id", "revenue_type", "billing"):
        frame[col] = frame[col].astype("string")
    frame[["tcv", "mrr"]] = frame[["tcv", "mrr"]].astype(float)
    return frame


NA = np.nan
YEAR = contracts(("k1", "acme", "2026-01-01", "2026-12-31", None, 100_000, NA, "contracted_recurring", "quarterly"))


# --------------------------------------------------------------------- worked examples


def test_worked_example_twelve_month_contract():
    # METRICS.md: TCV 100,000 from 2026-01-01 to 2026-12-31 -> L = 12, 8,333.33 every month
    assert service_months(YEAR).item() == 12.0
    rev = recognized_revenue(YEAR)
    assert len(rev) == 12
    assert (rev["revenue"].round(2) == 8333.33).all()
    assert rev["revenue"].sum() == pytest.approx(100_000)


def test_worked_example_carr():
    # METRICS.md: two contracts signed in March, each 100,000 a year, live from April
    # -> March bookings 200,000, March ARR unchanged, March CARR up by 200,000
    base = (
        "k0",
        "old",
        "2025-01-01",
        "2026-12-31",
        None,
        240_000,
        NA,
        "contracted_recurring",
        "annual",
    )  # 24 months -> ARR 120,000
    new = [
        (
            f"n{i}",
            f"cust{i}",
            "2026-04-01",
            "2027-03-31",
            f"2026-03-1{i}",
            100_000,
            NA,
            "contracted_recurring",
            "annual",
        )
        for i in (1, 2)
    ]
    frame = contracts(base, *new)
    bridge = revenue_bridge(frame, ("2026-02", "2026-04")).set_index("month")
    feb, mar, apr = (bridge.loc[pd.Period(m, "M")] for m in ("2026-02", "2026-03", "2026-04"))
    assert mar.bookings == 200_000
    assert mar.arr == feb.arr == pytest.approx(120_000)
    assert mar.carr - feb.carr == pytest.approx(200_000)
    assert apr.arr == pytest.approx(320_000) and apr.carr == pytest.approx(320_000)
    k = contract_kpis(frame, Window.of("2026-03", "month"))
    assert k["bookings"] == 200_000 and k["carr"] == pytest.approx(320_000)
    assert k["contract_arr"] == pytest.approx(120_000)


# --------------------------------------------------------------------- service length, revenue


def test_partial_months():
    frame = contracts(
        # 15..31 Jan (17/31) + Feb (1) + 1..14 Mar (14/31) = 1 + 31/31 = 2.0
        ("p1", "x", "2026-01-15", "2026-03-14", None, 3_000, NA, "contracted_recurring", "monthly"),
        # 10..19 Feb 2026: 10 days of 28
        ("p2", "y", "2026-02-10", "2026-02-19", None, 500, NA, "one_off", "upfront"),
    )
    L = service_months(frame).to_numpy()
    assert L[0] == pytest.approx(2.0)
    assert L[1] == pytest.approx(10 / 28)
    rev = recognized_revenue(frame)
    p1 = rev.loc[rev.contract_id == "p1"].set_index(rev.loc[rev.contract_id == "p1", "month"].astype(str))
    # revenue = TCV x fraction served / L = 3,000 x fraction / 2
    assert p1.revenue.to_dict() == pytest.approx(
        {"2026-01": 1500 * 17 / 31, "2026-02": 1500, "2026-03": 1500 * 14 / 31}
    )
    assert rev.loc[rev.contract_id == "p2", "revenue"].item() == pytest.approx(500)


def test_mrr_given_and_one_off_without_end():
    frame = contracts(
        ("m1", "x", "2026-01-15", None, None, NA, 310, "contracted_recurring", "monthly"),
        ("o1", "x", "2026-02-20", None, None, 1_000, NA, "one_off", "upfront"),
    )
    rev = recognized_revenue(frame, until="2026-03")
    m1 = rev.loc[rev.contract_id == "m1", "revenue"].to_numpy()
    assert m1 == pytest.approx([310 * 17 / 31, 310, 310])  # mrr x fraction of month served
    o1 = rev.loc[rev.contract_id == "o1"]
    assert len(o1) == 1 and str(o1.month.item()) == "2026-02" and o1.revenue.item() == 1_000


def test_tcv_contract_without_end_is_refused():
    with pytest.raises(ValueError, match="end date"):
        recognized_revenue(
            contracts(("z", "x", "2026-01-01", None, None, 1_000, NA, "contracted_recurring", "monthly"))
        )


# --------------------------------------------------------------------- invoices and bookings


def test_invoice_schedules():
    inv = invoices(YEAR)  # quarterly: 4 x 100,000 x 3 / 12
    assert list(inv["date"].dt.strftime("%Y-%m-%d")) == ["2026-01-01", "2026-04-01", "2026-07-01", "2026-10-01"]
    assert inv["amount"].tolist() == pytest.approx([25_000] * 4)
    up = invoices(YEAR.assign(billing="upfront"))
    assert up["amount"].tolist() == [100_000] and str(up["date"].item().date()) == "2026-01-01"
    annual = invoices(YEAR.assign(billing="annual"))
    assert annual["amount"].tolist() == pytest.approx([100_000])
    monthly = invoices(YEAR.assign(billing="monthly"))
    assert len(monthly) == 12 and monthly["amount"].sum() == pytest.approx(100_000)


def test_invoice_last_one_covers_the_remainder():
    # 2026-01-31..2026-05-15: L = 1/31 + 3 (Feb-Apr) + 15/31 = 3 + 16/31. Monthly invoices
    # on the 31st (clipped to month end): ceil(L) = 4 invoices covering 1, 1, 1 month and
    # the remainder L - 3 = 16/31; each TCV x covered / L
    frame = contracts(("c", "x", "2026-01-31", "2026-05-15", None, 3_100, NA, "contracted_recurring", "monthly"))
    L = 3 + 16 / 31
    inv = invoices(frame)
    assert list(inv["date"].dt.strftime("%m-%d")) == ["01-31", "02-28", "03-31", "04-30"]
    assert inv["amount"].tolist() == pytest.approx([3_100 / L] * 3 + [3_100 * (16 / 31) / L])
    assert inv["amount"].sum() == pytest.approx(3_100)


def test_mrr_given_invoices_and_bookings():
    frame = contracts(("m", "x", "2026-01-10", None, "2025-12-20", NA, 100, "contracted_recurring", "quarterly"))
    inv = invoices(frame, until="2026-09")
    assert inv["amount"].tolist() == [300, 300, 300]  # mrr x 3 months covered
    assert list(inv["date"].dt.strftime("%Y-%m-%d")) == ["2026-01-10", "2026-04-10", "2026-07-10"]
    b = bookings(frame)
    assert b["bookings"].item() == 1_200 and str(b["month"].item()) == "2025-12"  # 12 x mrr


def test_deferred_revenue_and_bridge_columns():
    b = revenue_bridge(YEAR, ("2026-01", "2027-01"))
    assert list(b.columns) == ["month", "bookings", "billings", "revenue", "deferred_revenue", "arr", "carr"]
    # Jan: billed 25,000, recognised 8,333.33 -> deferred 16,666.67; Mar: 0; Apr: 16,666.67
    assert b.deferred_revenue.round(2).tolist()[:4] == [16_666.67, 8_333.33, 0.0, 16_666.67]
    assert b.deferred_revenue.iloc[-1] == 0
    assert b.arr.tolist() == [100_000] * 12 + [0]  # serves 31 Dec, not 31 Jan 2027


def test_arr_needs_the_last_day_of_the_month():
    frame = contracts(("c", "x", "2026-01-15", "2026-03-14", None, 3_000, NA, "contracted_recurring", "monthly"))
    a = contract_arr(frame, ("2026-01", "2026-03"))
    # L = 2 (see test_partial_months); serves 31 Jan and 28 Feb, not 31 Mar; 12 x 3,000 / 2
    assert a.arr.tolist() == [18_000, 18_000, 0]


# --------------------------------------------------------------------- tiers and KPIs

MIXED = contracts(
    ("r", "a", "2026-01-01", "2026-12-31", None, 12_000, NA, "contracted_recurring", "annual"),
    ("u", "b", "2026-01-01", "2026-06-30", None, 600, NA, "uncontracted_recurring", "monthly"),
    ("o", "a", "2026-02-05", None, None, 300, NA, "one_off", "upfront"),
)
TX = pd.DataFrame(
    {
        "customer_id": pd.array(["c", "c"], dtype="string"),
        "date": pd.to_datetime(["2026-02-01", "2026-03-03"]),
        "amount": [50.0, 50.0],
    }
)


def test_revenue_tiers_from_contracts_and_transactions():
    t = revenue_tiers(MIXED, TX, months=("2026-01", "2026-03"))
    assert list(t.columns) == [
        "month",
        "contracted_recurring",
        "uncontracted_recurring",
        "one_off",
        "total",
        "recurring_share",
    ]
    # Jan 1,000 + 100; Feb 1,000 + 100 + 50 (tx) + 300 one-off; Mar 1,000 + 100 + 50
    assert t.total.tolist() == pytest.approx([1_100, 1_450, 1_150])
    assert t.recurring_share.tolist() == pytest.approx([1, 1_150 / 1_450, 1])


def test_revenue_tiers_from_financials():
    fin = pd.DataFrame(
        {
            "month": pd.period_range("2026-01", periods=2, freq="M"),
            "revenue": [100.0, 200.0],
            "revenue_contracted_recurring": [80.0, 150.0],
            "revenue_one_off": [20.0, 50.0],
        }
    )
    t = revenue_tiers(financials=fin)
    assert t.uncontracted_recurring.tolist() == [0, 0]
    assert t.recurring_share.tolist() == pytest.approx([0.8, 0.75])
    bare = revenue_tiers(financials=fin[["month", "revenue"]])
    assert bare.total.tolist() == [100, 200] and bare.contracted_recurring.isna().all()


def test_contract_kpis_quarter():
    k = contract_kpis(MIXED, Window.of("2026-03", "quarter"), transactions=TX)
    assert list(k) == CONTRACT_KPIS
    # bookings: 12,000 + 600 + 300 signed in Q1
    assert k["bookings"] == pytest.approx(12_900)
    # billings: annual 12,000 + 3 x 100 + 300 + 100 tx
    assert k["billings"] == pytest.approx(12_700)
    # revenue: 3 x 1,000 + 3 x 100 + 300 + 100
    assert k["revenue"] == pytest.approx(3_700)
    assert k["deferred_revenue"] == pytest.approx(9_000)  # 12,000 billed - 3,000 recognised
    assert k["contract_arr"] == pytest.approx(12_000) and k["carr"] == pytest.approx(12_000)
    assert k["revenue_share_contracted_recurring"] == pytest.approx(3_000 / 3_700)
    assert k["revenue_share_uncontracted_recurring"] == pytest.approx(400 / 3_700)
    assert k["revenue_share_one_off"] == pytest.approx(300 / 3_700)


def test_contract_kpis_without_contracts():
    # TX starts 2026-02: the quarter to 2026-03 reaches before it (blank); February-March is inside
    k = contract_kpis(None, Window.of("2026-03", "month"), transactions=TX)
    assert k["bookings"] == Blank("no contracts input")
    assert k["revenue"] == 50 and k["revenue_share_uncontracted_recurring"] == 1.0
    assert contract_kpis(None, Window(pd.Period("2026-03", "M"), 2), transactions=TX)["revenue"] == 100
    assert isinstance(contract_kpis(None, Window.of("2026-03", "quarter"), transactions=TX)["revenue"], Blank)


def test_revenue_from_a_pnl_that_covers_part_of_the_period_is_blank():
    # no contracts or transactions: revenue is the P&L's. It covers Jan-Jun 2026 (1,000, 2,000,
    # ... 6,000). Q1 is whole: 1,000 + 2,000 + 3,000 = 6,000. Nov 2025-Jan 2026 holds January
    # alone: never its 1,000 as the quarter's revenue (a change of +500% against Feb-Apr)
    fin = pd.DataFrame(
        {"month": pd.period_range("2026-01", "2026-06", freq="M"), "revenue": [1000.0 * m for m in range(1, 7)]}
    )
    assert contract_kpis(None, Window.of("2026-03", "quarter"), financials=fin)["revenue"] == 6000.0
    partial = contract_kpis(None, Window.of("2026-01", "quarter"), financials=fin)
    assert partial["revenue"] == Blank("financials do not cover revenue for 2025-11 to 2025-12 (2 months)")
    assert isinstance(partial["revenue_share_one_off"], Blank)


def test_carr_counts_a_signed_renewal_once_at_its_new_value():
    # acme's 2026 contract (120k a year) gets an add-on (1,000 a month, Nov-Dec 2026, signed
    # 2026-10-20) and is renewed on 2026-10-15 for 2027 at 132k, which covers both.
    # Sep: CARR = ARR = 120,000.
    # Oct: ARR 120,000. Signed: 120,000 + 12,000 (add-on) + 132,000 (renewal); the renewal
    #      starts after both earlier contracts end, so it replaces them: 132,000 for acme.
    #      beta signs a first contract on 2026-10-30 starting in Dec (60k): it adds in full.
    #      CARR = 132,000 + 60,000 = 192,000.
    # Nov: the add-on is live: ARR 132,000; CARR still 192,000 (nothing new was signed).
    # Dec: beta is live: ARR 192,000 = CARR.
    book = contracts(
        ("k1", "acme", "2026-01-01", "2026-12-31", None, 120_000, NA, "contracted_recurring", "annual"),
        ("k2", "acme", "2027-01-01", "2027-12-31", "2026-10-15", 132_000, NA, "contracted_recurring", "annual"),
        ("k3", "acme", "2026-11-01", "2026-12-31", "2026-10-20", NA, 1_000, "contracted_recurring", "monthly"),
        ("k4", "beta", "2026-12-01", "2027-11-30", "2026-10-30", 60_000, NA, "contracted_recurring", "annual"),
    )
    d = contract_arr(book, (pd.Period("2026-09", "M"), pd.Period("2026-12", "M"))).set_index("month")
    sep, oct_, nov, dec = (d.loc[pd.Period(m, "M")] for m in ("2026-09", "2026-10", "2026-11", "2026-12"))
    assert (sep.arr, sep.carr) == pytest.approx((120_000, 120_000))
    assert (oct_.arr, oct_.carr) == pytest.approx((120_000, 192_000))
    assert (nov.arr, nov.carr) == pytest.approx((132_000, 192_000))
    assert (dec.arr, dec.carr) == pytest.approx((192_000, 192_000))


def test_a_period_before_the_data_is_blank_not_a_partial_sum():
    # YEAR starts 2026-01; a year window ending 2026-06 would reach back to 2025-07 and sum
    # 6 months as if they were 12: every contract KPI is blank with a note instead.
    k = contract_kpis(YEAR, Window.of("2026-06", "year"))
    assert all(isinstance(v, Blank) for v in k.values())
    assert "before the revenue data (it starts 2026-01)" in k["revenue"].note
    # the quarter 2026-04..06 lies inside the data: 3 x 100,000 / 12 recognised
    q = contract_kpis(YEAR, Window.of("2026-06", "quarter"))
    assert q["revenue"] == pytest.approx(25_000)
    # Q1 2026 starts exactly at the data's first month: computed
    assert contract_kpis(YEAR, Window.of("2026-03", "quarter"))["bookings"] == pytest.approx(100_000)


# ----------------------------------------------- one history read for every window, exactly
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from reportlib.metrics.contracts import contract_history  # noqa: E402

_CONTRACT = st.tuples(
    st.sampled_from(["acme", "bolt", "core"]),
    st.integers(0, 30),  # start: months after 2024-01
    st.one_of(st.none(), st.integers(1, 30)),  # months served; None: open-ended (mrr given)
    st.integers(0, 3),  # signed this many months before the start
    st.floats(100, 50_000),
    st.sampled_from(["contracted_recurring", "one_off"]),
    st.sampled_from(["monthly", "quarterly", "annual", "upfront"]),
)


def _random_contracts(rows) -> pd.DataFrame:
    out = []
    for k, (customer, start, length, early, value, kind, billing) in enumerate(rows):
        first = pd.Period("2024-01", "M") + start
        end = None if length is None else str((first + length - 1).end_time.date())
        signed = str((first - early).start_time.date())
        tcv, mrr = (NA, value / 12) if length is None else (value, NA)
        out.append((f"k{k}", customer, str(first.start_time.date()), end, signed, tcv, mrr, kind, billing))
    return contracts(*out)


_PAYMENT = st.tuples(st.integers(-6, 40), st.floats(1, 900))  # months after 2024-01 (earlier too), amount


@settings(max_examples=60, deadline=None)
@given(
    st.lists(_CONTRACT, min_size=1, max_size=8),
    st.lists(_PAYMENT, max_size=4),
    st.integers(-6, 40),
    st.sampled_from([1, 3, 12]),
)
def test_contract_kpis_read_from_the_history_are_the_windows_own(rows, payments, as_of, months):
    """Property: the KPIs of any window read from :func:`contract_history` equal those of
    the window's own bridge, to the last bit (transactions before the first contract and
    windows past the last month included: those are computed for the window), and the
    history's tables are the bridge and tiers over all months."""
    frame = _random_contracts(rows)
    tx = pd.DataFrame(
        {
            "date": [(pd.Period("2024-01", "M") + m).start_time + pd.Timedelta(days=9) for m, _ in payments],
            "amount": [a for _, a in payments],
        }
    )
    tx = tx if len(tx) else None
    history = contract_history(frame, tx)
    window = Window(pd.Period("2024-01", "M") + as_of, months)
    own = contract_kpis(frame, window, transactions=tx)
    read = contract_kpis(frame, window, transactions=tx, history=history)
    assert {k: repr(v) for k, v in read.items()} == {k: repr(v) for k, v in own.items()}
    pd.testing.assert_frame_equal(history.bridge, revenue_bridge(frame, transactions=tx), check_exact=True)
    pd.testing.assert_frame_equal(history.tiers, revenue_tiers(frame, tx), check_exact=True)
