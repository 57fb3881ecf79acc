"""The revenue engine against an independent reference written in DuckDB SQL from
METRICS.md alone, on random small companies, figure by figure.

test_metrics_reference.py walks each customer's months in Python and checks the movements
and the bridge; this reference is set-based SQL over the whole customer x month grid, in
integer cents, and covers what that file does not: every revenue KPI of a window ending at
any month (monthly, quarterly and yearly, calendar or fiscal), NRR/GRR over the 12 months,
logo churn, customer counts, the monthly and quarterly cohort tables, and segment packs
(row-filtered, on the company's months) adding up to the company.
"""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportlib.metrics import (
    Blank,
    Window,
    acquired_bridge,
    acquired_values,
    acquisitions_on_rows,
    cohorts,
    mrr_bridge,
    revenue_kpis,
)
from reportlib.metrics.movements import MovementSet, movement_set

FIRST = pd.Period("2025-01", freq="M")
SEGMENTS = ("SMB", "Mid", "Ent")
KINDS = ("new", "reactivation", "expansion", "contraction", "churn")

# --------------------------------------------------------------------------- random companies


@st.composite
def customer_lives(draw, t: int) -> list[tuple[int, int, str]]:
    """One customer's (month index, cents, segment) rows: a start (often the first month of
    data, sometimes the last), a run of months with flat, up and down prices, zero-MRR months
    (explicit zero rows and missing rows), an end or a return, and possibly a segment change."""
    start = draw(st.one_of(st.just(0), st.just(t - 1), st.integers(0, t - 1)))
    price = draw(st.sampled_from([1, 4_999, 10_000, 25_050, 1_000_000]))
    segment = draw(st.sampled_from(SEGMENTS))
    switch = draw(st.one_of(st.none(), st.integers(start, t - 1)))
    moved = draw(st.sampled_from(SEGMENTS))
    rows = []
    for m in range(start, t):
        step = draw(st.sampled_from(["same", "same", "same", "same", "up", "down", "zero", "gone", "stop"]))
        if step == "stop":
            break
        if step == "up":
            price += draw(st.sampled_from([1, 2_500, 100_000]))
        elif step == "down":
            price = max(price - draw(st.sampled_from([1, 2_500, 100_000])), 1)
        seg = moved if switch is not None and m >= switch else segment
        if step == "zero":
            rows.append((m, 0, seg))  # a zero-MRR row: inactive that month
        elif step != "gone":  # "gone": no row at all, also inactive
            rows.append((m, price, seg))
    return rows


@st.composite
def companies(draw, max_customers: int = 6, max_months: int = 27) -> pd.DataFrame:
    """A canonical mrr frame with a ``segment`` column (one row per customer-month), in
    random row order; sometimes a one-month company."""
    t = draw(st.one_of(st.just(1), st.integers(2, max_months), st.integers(13, max_months)))
    n = draw(st.integers(1, max_customers))
    rows = [(f"c{i}", m, cents, seg) for i in range(n) for m, cents, seg in draw(customer_lives(t))]
    frame = pd.DataFrame(rows, columns=["customer_id", "m", "cents", "segment"])
    frame = frame.sample(frac=1, random_state=draw(st.integers(0, 2**16))).reset_index(drop=True)
    frame.attrs["months"] = t
    return frame


def as_of_months(t: int) -> st.SearchStrategy[int]:
    """A report month: mostly the last month of data, which has the most history behind it."""
    return st.one_of(st.just(t - 1), st.integers(0, t - 1))


def engine_frame(company: pd.DataFrame) -> pd.DataFrame:
    """The company as the engine reads an mrr input: customer_id, month, mrr (and segment)."""
    return pd.DataFrame(
        {
            "customer_id": company["customer_id"].astype("string"),
            "month": pd.PeriodIndex([FIRST + int(m) for m in company["m"]], freq="M"),
            "mrr": company["cents"].to_numpy(dtype=float) / 100,
            "segment": company["segment"].astype("string"),
        }
    )


def span(company: pd.DataFrame) -> tuple[pd.Period, pd.Period]:
    """The company's months: a segment is computed on them (as the builder does)."""
    return FIRST, FIRST + (company.attrs["months"] - 1)


# --------------------------------------------------------------------------- the SQL reference
#
# Written from METRICS.md "MRR, movements and retention" only. Months are indices 0..t-1
# (0 = the first month of the company's data); amounts are integer cents, so every sum is
# exact and the bridge identity holds to the cent by construction of the data, not of the
# arithmetic.

CELLS = """
WITH months AS (SELECT range AS m FROM range(0, $t)),
customers AS (SELECT DISTINCT customer_id FROM company_rows),
grid AS (  -- a missing row means 0
    SELECT c.customer_id, months.m, COALESCE(SUM(r.cents), 0)::BIGINT AS v
    FROM customers c CROSS JOIN months
    LEFT JOIN company_rows r ON r.customer_id = c.customer_id AND r.m = months.m
    GROUP BY c.customer_id, months.m
),
history AS (
    SELECT *,
        COALESCE(LAG(v) OVER (PARTITION BY customer_id ORDER BY m), 0) AS prev,
        MAX(CASE WHEN v > 0 THEN m END) OVER (
            PARTITION BY customer_id ORDER BY m ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ) AS last_active
    FROM grid
)
SELECT customer_id, m, v, prev,
    CASE
        WHEN m = 0 THEN NULL  -- the opening balance: no movements
        WHEN prev > 0 AND v > 0 AND v > prev THEN 'expansion'
        WHEN prev > 0 AND v > 0 AND v < prev THEN 'contraction'
        WHEN prev > 0 AND v > 0 THEN 'flat'
        WHEN prev > 0 THEN 'churn'
        WHEN v > 0 AND last_active IS NULL THEN 'new'
        -- a gap longer than N inactive months counts as new
        WHEN v > 0 AND $window IS NOT NULL AND m - last_active - 1 > $window THEN 'new'
        WHEN v > 0 THEN 'reactivation'
    END AS kind,
    CASE
        WHEN m = 0 THEN 0
        WHEN prev > 0 AND v > 0 THEN ABS(v - prev)
        WHEN prev > 0 THEN prev
        ELSE v
    END AS amount
FROM history
"""

BRIDGE = """
SELECT months.m,
    COALESCE(CASE WHEN months.m = 0 THEN SUM(v) ELSE SUM(prev) END, 0) AS opening_mrr,
    COALESCE(SUM(amount) FILTER (kind = 'new'), 0) AS new,
    COALESCE(SUM(amount) FILTER (kind = 'reactivation'), 0) AS reactivation,
    COALESCE(SUM(amount) FILTER (kind = 'expansion'), 0) AS expansion,
    COALESCE(SUM(amount) FILTER (kind = 'contraction'), 0) AS contraction,
    COALESCE(SUM(amount) FILTER (kind = 'churn'), 0) AS churn,
    COALESCE(SUM(v), 0) AS closing_mrr,
    COUNT(*) FILTER (v > 0) AS customers,
    COUNT(*) FILTER (kind = 'new') AS new_customers,
    COUNT(*) FILTER (kind = 'reactivation') AS reactivated_customers,
    COUNT(*) FILTER (kind = 'churn') AS churned_customers
FROM range(0, $t) AS months(m) LEFT JOIN cells ON cells.m = months.m
GROUP BY months.m ORDER BY months.m
"""

# One window: M = $at, w = $w, start of P = M - w. Sums in cents; NULL where a ratio has a
# zero denominator (the caller blanks the ones that reach before the data).
WINDOW = """
WITH p AS (SELECT * FROM cells WHERE m > $at - $w AND m <= $at),
pair AS (  -- each customer at M, at the start of P and a year ago
    SELECT customer_id,
        MAX(v) FILTER (m = $at) AS now,
        MAX(v) FILTER (m = $at - $w) AS at_start,
        MAX(v) FILTER (m = $at - 12) AS year_ago
    FROM cells GROUP BY customer_id
)
SELECT
    (SELECT SUM(now) FROM pair) AS mrr,
    (SELECT COUNT(*) FILTER (now > 0) FROM pair) AS customers,
    (SELECT SUM(at_start) FROM pair) AS mrr_start,
    (SELECT SUM(year_ago) FROM pair) AS mrr_year_ago,
    (SELECT COALESCE(SUM(amount) FILTER (kind = 'new'), 0) FROM p) AS new,
    (SELECT COALESCE(SUM(amount) FILTER (kind = 'reactivation'), 0) FROM p) AS reactivation,
    (SELECT COALESCE(SUM(amount) FILTER (kind = 'expansion'), 0) FROM p) AS expansion,
    (SELECT COALESCE(SUM(amount) FILTER (kind = 'contraction'), 0) FROM p) AS contraction,
    (SELECT COALESCE(SUM(amount) FILTER (kind = 'churn'), 0) FROM p) AS churn,
    -- customers with a new movement: one acquired twice in P (a return after more than
    -- reactivation_window_months) is one customer
    (SELECT COUNT(DISTINCT customer_id) FILTER (kind = 'new') FROM p) AS new_customers,
    -- logo churn: active at M - w and not at M (a churn and return inside P is no loss)
    (SELECT COUNT(*) FILTER (at_start > 0) FROM pair) AS active_start,
    (SELECT COUNT(*) FILTER (at_start > 0 AND now = 0) FROM pair) AS lost_logos,
    (SELECT COUNT(*) FILTER (year_ago > 0) FROM pair) AS active_year_ago,
    (SELECT COUNT(*) FILTER (year_ago > 0 AND now = 0) FROM pair) AS lost_logos_year,
    -- NRR / GRR: S = customers active at M - 12, whatever happened in between (a churn and
    -- reactivation inside the year counts at its MRR at M); customers outside S never count
    (SELECT SUM(now) FILTER (year_ago > 0) FROM pair) AS retained,
    (SELECT SUM(LEAST(now, year_ago)) FILTER (year_ago > 0) FROM pair) AS kept
"""

# Cohorts: a customer's cohort is the month of its new movement; the customers of the first
# month form the opening cohort. Under reactivation_window_months a return after a longer
# gap is a new movement: a new customer, so that life joins the cohort of its return and
# the earlier life's cohort has lost it (no customer-month in two cohorts). Age k of a
# member = its start + k, up to the last month of the data.
COHORT_CELLS = """
WITH lives AS (
    SELECT *, MAX(CASE WHEN kind = 'new' OR (m = 0 AND v > 0) THEN m END) OVER (
        PARTITION BY customer_id ORDER BY m ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS start
    FROM cells
)
SELECT customer_id || '@' || start AS member, start, start = 0 AS opening, m - start AS age, v,
    FIRST_VALUE(v) OVER (PARTITION BY customer_id, start ORDER BY m) AS v0
FROM lives WHERE start IS NOT NULL
"""


DATABASE = duckdb.connect()  # opened once: a connection costs ~30 ms, a cursor almost nothing


class Reference:
    """The SQL reference on one company (or one segment's rows, on the company's months)."""

    def __init__(self, rows: pd.DataFrame, months: int, window: int | None = None) -> None:
        self.t = months
        self.con = DATABASE.cursor()  # its own connection: the tables below are its own
        self.con.register("company_rows", rows[["customer_id", "m", "cents"]])
        params = {"t": months, "window": window}
        self.con.execute(f"CREATE TEMP TABLE cells AS {CELLS}", params)

    def movements(self) -> pd.DataFrame:
        return self.con.execute("SELECT * FROM cells WHERE kind IS NOT NULL ORDER BY m, customer_id").df()

    def bridge(self) -> pd.DataFrame:
        return self.con.execute(BRIDGE, {"t": self.t}).df()

    def window(self, at: int, w: int) -> dict[str, float | None]:
        """Every revenue KPI of the w months ending at month index ``at``; None = blank."""
        r = self.con.execute(WINDOW, {"at": at, "w": w}).df().iloc[0].to_dict()
        r = {k: (None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)) for k, v in r.items()}
        return kpis_of(r, at, w)

    def cohort_cells(self) -> pd.DataFrame:
        return self.con.execute(COHORT_CELLS).df()


def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def kpis_of(r: dict, at: int, w: int) -> dict[str, float | None]:
    """METRICS.md's table of revenue KPIs from the window's sums (cents -> money)."""
    has_start, has_year = at - w >= 0, at - 12 >= 0  # P / the year reach back into the data
    cents = {k: (v / 100 if v is not None else None) for k, v in r.items()}
    mrr = cents["mrr"] or 0.0
    out: dict[str, float | None] = {"mrr": mrr, "arr": 12 * mrr, "customers": r["customers"]}
    moves = {k: cents[k] for k in KINDS}
    names = {
        "new": "new_arr",
        "expansion": "expansion_arr",
        "reactivation": "reactivation_arr",
        "contraction": "contraction_arr",
        "churn": "churned_arr",
    }
    for kind, kpi in names.items():
        out[kpi] = 12 * moves[kind] if has_start else None
    start = cents["mrr_start"] or 0.0
    lost = moves["churn"] + moves["contraction"]
    gained = moves["new"] + moves["reactivation"] + moves["expansion"]
    year_ago = cents["mrr_year_ago"] or 0.0
    out |= {
        "net_new_arr": 12 * (mrr - start) if has_start else None,
        "arr_growth_yoy": (ratio(mrr, year_ago) - 1 if year_ago else None) if has_year else None,
        "new_customers": r["new_customers"] if has_start else None,
        "logo_churn_rate": ratio(r["lost_logos"], r["active_start"]) if has_start else None,
        "logo_churn_rate_annual": ratio(r["lost_logos_year"], r["active_year_ago"]) if has_year else None,
        "gross_mrr_churn_rate": ratio(lost, start) if has_start else None,
        "net_mrr_churn_rate": ratio(lost - moves["expansion"] - moves["reactivation"], start) if has_start else None,
        "mrr_expansion_rate": ratio(moves["expansion"], start) if has_start else None,
        "nrr": ratio(cents["retained"], year_ago) if has_year else None,
        "grr": ratio(cents["kept"], year_ago) if has_year else None,
        "quick_ratio": ratio(gained, lost) if has_start else None,
        "arpa": ratio(mrr, r["customers"]),
        "asp": ratio(moves["new"], r["new_customers"]) if has_start else None,
    }
    return out


def reference_cohort_tables(cells: pd.DataFrame, t: int, quarter_freq: str | None) -> pd.DataFrame:
    """``group, age, logo, nrr, grr`` per cohort and age up to the last age every member has
    reached; groups are the opening cohort, then months (or quarters of ``quarter_freq``) of
    the new movement, oldest first."""
    if cells.empty:
        return pd.DataFrame(columns=["group", "age", "logo", "nrr", "grr"])
    cells = cells.copy()
    month = pd.PeriodIndex([FIRST + int(s) for s in cells["start"]], freq="M")
    group = month.asfreq(quarter_freq) if quarter_freq else month
    cells["group"] = [
        "opening" if o else period_label(g, quarter_freq) for o, g in zip(cells["opening"], group, strict=True)
    ]
    cells["order"] = [(-1, 0) if o else (1, g.ordinal) for o, g in zip(cells["opening"], group, strict=True)]
    rows = []
    for (_order, label), members in cells.groupby(["order", "group"], sort=True):
        last_age = t - 1 - members["start"].max()  # the latest joiner's last month
        size = members["member"].nunique()
        base = members.loc[members["age"] == 0, "v"].sum()
        for age in range(last_age + 1):
            at = members[members["age"] == age]
            kept = np.minimum(at["v"], at["v0"]).sum()
            rows.append((label, age, (at["v"] > 0).sum() / size, at["v"].sum() / base, kept / base))
    return pd.DataFrame(rows, columns=["group", "age", "logo", "nrr", "grr"])


def period_label(period: pd.Period, quarter_freq: str | None) -> str:
    """YYYY-MM, YYYYQn, or FYyyyy Qn for a fiscal quarter (the year named after the calendar
    year in which it ends: pandas' Q-<year-end month> convention)."""
    if quarter_freq in (None, "Q", "Q-DEC"):
        return str(period)
    return f"FY{period.qyear} Q{period.quarter}"


# --------------------------------------------------------------------------- comparison helpers


def assert_same(got: object, expected: float | None, what: str) -> None:
    if expected is None:
        assert isinstance(got, Blank), f"{what}: engine {got!r}, reference blank"
        return
    assert not isinstance(got, Blank), f"{what}: engine blank ({got.note}), reference {expected!r}"
    assert math.isclose(float(got), expected, rel_tol=1e-9, abs_tol=1e-9), (
        f"{what}: engine {got!r}, reference {expected!r}"
    )


def fiscal_end(month_index: int, w: int, fiscal_start: int) -> int:
    """The last fiscal quarter/year end on or before month ``month_index`` (a month window
    ends at the month itself): month-of-year counting from the fiscal start."""
    if w == 1:
        return month_index
    month_of_year = (FIRST + month_index).month
    into = (month_of_year - fiscal_start) % 12  # 0 = the first month of the fiscal year
    return month_index - (into % w + 1) % w if (into + 1) % w else month_index


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
policies = st.one_of(st.none(), st.integers(0, 3))


# --------------------------------------------------------------------------- the tests


@SETTINGS
@given(companies(), policies)
def test_bridge_and_movements_match_the_sql_reference(company, policy):
    mrr = engine_frame(company)
    mov = movement_set(mrr, reactivation_window_months=policy, months=span(company))
    ref = Reference(company, company.attrs["months"], policy)
    got = mrr_bridge(mov)
    expected = ref.bridge()
    assert len(got) == len(expected) == company.attrs["months"]
    for column in ("opening_mrr", "closing_mrr", *KINDS):
        assert np.allclose(got[column].to_numpy(), expected[column].to_numpy() / 100, atol=1e-9), column
    for column in ("customers", "new_customers", "reactivated_customers", "churned_customers"):
        assert (got[column].to_numpy() == expected[column].to_numpy()).all(), column
    # a customer is counted in exactly one movement a month
    frame = mov.frame()
    assert not frame.duplicated(["customer_id", "month"]).any()
    moved = frame[frame["movement"].isin(KINDS)]
    ref_moved = ref.movements().query("kind in @KINDS")
    assert sorted(
        zip(
            moved["customer_id"].astype(str),
            (moved["month"] - FIRST).map(lambda d: d.n),
            moved["movement"].astype(str),
            strict=True,
        )
    ) == sorted(zip(ref_moved["customer_id"], ref_moved["m"], ref_moved["kind"], strict=True))
    # the identity, to the cent, and closing = next opening
    change = got[list(KINDS[:3])].sum(axis=1) - got["contraction"] - got["churn"]
    assert np.allclose(got["opening_mrr"] + change, got["closing_mrr"], atol=0.005)
    assert np.allclose(got["opening_mrr"].iloc[1:].to_numpy(), got["closing_mrr"].iloc[:-1].to_numpy(), atol=0.005)


@SETTINGS
@given(companies(), policies, st.sampled_from([1, 3, 12]), st.integers(1, 12), st.data())
def test_window_kpis_match_the_sql_reference(company, policy, w, fiscal_start, data):
    t = company.attrs["months"]
    as_of = data.draw(as_of_months(t), label="as_of month index")
    window = Window.reported(FIRST + as_of, w, fiscal_start)
    at = fiscal_end(as_of, w, fiscal_start) if fiscal_start != 1 else as_of
    assert window.as_of == FIRST + at and window.months == w
    mov = movement_set(engine_frame(company), reactivation_window_months=policy, months=span(company))
    got = revenue_kpis(mov, window)
    if at < 0:  # the fiscal period ended before the data: every figure blank, none 0
        assert all(isinstance(v, Blank) for v in got.values())
        return
    expected = Reference(company, t, policy).window(at, w)
    for kpi, value in expected.items():
        assert_same(got[kpi], value, kpi)
    # the invariants, whatever the reference says
    if not isinstance(got["grr"], Blank):
        assert got["grr"] <= 1 + 1e-12 and got["grr"] <= got["nrr"] + 1e-12


QUARTERS = {1: "Q-DEC", 2: "Q-JAN", 4: "Q-MAR", 7: "Q-JUN", 10: "Q-SEP"}  # fiscal start -> freq


@SETTINGS
@given(companies(), st.sampled_from([None, *QUARTERS]), policies)
def test_cohort_tables_match_the_sql_reference(company, fiscal_start, policy):
    freq = "M" if fiscal_start is None else QUARTERS[fiscal_start]
    t = company.attrs["months"]
    tables = cohorts(movement_set(engine_frame(company), reactivation_window_months=policy, months=span(company)), freq)
    expected = reference_cohort_tables(Reference(company, t, policy).cohort_cells(), t, None if freq == "M" else freq)
    labels = tables["logo"]["cohort"].astype(str).to_numpy()
    opening = np.char.startswith(labels.astype(str), "<=")
    got_groups = np.where(opening, "opening", labels)
    assert list(got_groups) == list(expected["group"])
    assert list(tables["logo"]["age_months"]) == list(expected["age"])
    for name in ("logo", "nrr", "grr"):
        assert list(tables[name]["cohort"].astype(str)) == list(labels), name
        assert np.allclose(tables[name]["value"].to_numpy(dtype=float), expected[name].to_numpy(dtype=float)), name
    # age 0 keeps every logo and all its MRR; GRR never above NRR nor above 100%
    assert (expected.loc[expected["age"] == 0, ["logo", "nrr", "grr"]] == 1).all().all()
    assert (tables["grr"]["value"] <= tables["nrr"]["value"] + 1e-12).all()
    assert (tables["grr"]["value"] <= 1 + 1e-12).all()


def segment_rows(company: pd.DataFrame, segment: str) -> pd.DataFrame:
    rows = company[company["segment"] == segment]
    rows.attrs["months"] = company.attrs["months"]
    return rows


def switch_months(company: pd.DataFrame) -> set[int]:
    """Months in which a customer is active in another segment than in its last active
    month (the month before, or the one before a gap: a return in a new segment)."""
    ordered = company[company["cents"] > 0].sort_values(["customer_id", "m"])
    changed = ordered["segment"] != ordered.groupby("customer_id")["segment"].shift()
    first_row = ~ordered["customer_id"].duplicated()
    return set(ordered.loc[changed & ~first_row, "m"])


def segment_packs(company: pd.DataFrame, policy: int | None) -> tuple[MovementSet, dict]:
    """The company's movements, and each segment's rows and movements: a segment pack keeps
    the rows of its segment, on the company's months (as the builder does)."""
    mrr = engine_frame(company)

    def moves(rows: pd.DataFrame) -> MovementSet:
        return movement_set(rows, reactivation_window_months=policy, months=span(company))

    packs = {s: (mrr[mrr["segment"] == s], moves(mrr[mrr["segment"] == s])) for s in SEGMENTS}
    return moves(mrr), packs


ALWAYS_ADDITIVE = ("mrr", "arr", "customers", "net_new_arr")
MOVEMENT_ARR = ("new_arr", "reactivation_arr", "expansion_arr", "contraction_arr", "churned_arr")


@SETTINGS
@given(companies(), policies, st.sampled_from([1, 3, 12]), st.data())
def test_segments_match_the_reference_and_add_up_to_the_company(company, policy, w, data):
    t = company.attrs["months"]
    at = data.draw(as_of_months(t), label="as_of month index")
    window, whole, packs = Window(FIRST + at, w), *segment_packs(company, policy)
    parts = []
    for segment, (_, mov) in packs.items():
        got = revenue_kpis(mov, window)
        for kpi, value in Reference(segment_rows(company, segment), t, policy).window(at, w).items():
            assert_same(got[kpi], value, f"{segment} {kpi}")
        parts.append((mrr_bridge(mov).set_index("month"), got))
    company_kpis, bridge = revenue_kpis(whole, window), mrr_bridge(whole).set_index("month")
    columns = [*KINDS, "opening_mrr", "closing_mrr", "customers"]
    total = sum(b[columns] for b, _ in parts)
    # MRR, customers (one segment per customer-month) and the net movement always add up
    for column in ("opening_mrr", "closing_mrr", "customers"):
        assert np.allclose(total[column], bridge[column], atol=0.005), column
    net = total["new"] + total["reactivation"] + total["expansion"] - total["contraction"] - total["churn"]
    assert np.allclose(net, bridge["closing_mrr"] - bridge["opening_mrr"], atol=0.005)
    additive = list(ALWAYS_ADDITIVE)
    # each movement adds up in every month where no customer changed segment; a change is a
    # churn from the old segment and a new or returning customer of the new one
    switched = switch_months(company)
    steady = [m for m in range(1, t) if m not in switched]
    for column in KINDS:
        assert np.allclose(total[column].iloc[steady], bridge[column].iloc[steady], atol=0.005), column
    if not switched & set(range(at - w + 1, at + 1)):
        additive += MOVEMENT_ARR
    for kpi in additive:
        values = [k[kpi] for _, k in parts]
        if isinstance(company_kpis[kpi], Blank):
            assert all(isinstance(v, Blank) for v in values), kpi
        else:
            assert math.isclose(sum(values), company_kpis[kpi], abs_tol=0.005), kpi


@SETTINGS
@given(companies(), policies, st.sampled_from([1, 3, 12]), st.data())
def test_segment_allocation_bases_share_out_the_company_whole(company, policy, w, data):
    # sm_allocation's bases: the company's acquisitions made in each segment. Whatever the
    # customers' moves between segments, they share out exactly the company's new MRR and
    # new customers, month by month and over the window (so allocated S&M sums to the
    # company's), where the segments' own new movements may count a move as a new customer.
    at = data.draw(as_of_months(company.attrs["months"]), label="as_of month index")
    window, whole, packs = Window(FIRST + at, w), *segment_packs(company, policy)
    company_kpis, company_bridge = revenue_kpis(whole, window), mrr_bridge(whole)
    bases, new_arr = [], 0.0
    for rows, mov in packs.values():
        acquired = acquisitions_on_rows(whole.frame(), rows)
        bases.append(acquired_bridge(mrr_bridge(mov), acquired))
        value = acquired_values(acquired, window, revenue_kpis(mov, window))["new_arr"]
        assert isinstance(value, Blank) == isinstance(company_kpis["new_arr"], Blank)
        new_arr += 0.0 if isinstance(value, Blank) else value
    for column in ("new", "new_customers"):
        assert np.allclose(sum(b[column] for b in bases), company_bridge[column], atol=0.005), column
    if not isinstance(company_kpis["new_arr"], Blank):
        assert math.isclose(new_arr, company_kpis["new_arr"], abs_tol=0.005)
