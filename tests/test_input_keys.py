"""The whole-table checks and the parsing on integer codes agree with the plain pandas statements
they replace."""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportlib import _codes
from reportlib._codes import factorized, per_row, sorted_codes
from reportlib.inputs._keys import _DENSE_FACTOR, duplicated_keys, month_gaps, one_month_customers, previous_rows
from reportlib.inputs._readers import _few_distinct_texts, _read_parquet
from reportlib.inputs._values import parse_dates, parse_months, present, text

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FIRST = pd.Period("2024-01", freq="M")


@st.composite
def keyed_frames(draw) -> pd.DataFrame:
    """Customer-month rows with repeats, blanks and zero MRR, in random order."""
    n = draw(st.integers(1, 40))
    ids = st.one_of(st.none(), st.sampled_from(["a", "b", "c", "d", " e", "b2"]))
    months = st.one_of(st.none(), st.integers(0, 5))
    rows = draw(st.lists(st.tuples(ids, months, st.sampled_from([0.0, 0.0, 5.0, 12.5])), min_size=n, max_size=n))
    return pd.DataFrame(
        {
            "customer_id": pd.array([r[0] for r in rows], dtype="string"),
            "month": pd.PeriodIndex([pd.NaT if r[1] is None else FIRST + r[1] for r in rows], freq="M"),
            "mrr": [r[2] for r in rows],
        }
    )


@SETTINGS
@given(keyed_frames())
def test_duplicated_keys_is_pandas_duplicated(frame):
    keys = ["customer_id", "month"]
    expected = frame.duplicated(keys, keep=False) & frame[keys].notna().all(axis=1)
    pd.testing.assert_series_equal(duplicated_keys(frame, keys), expected)
    one = frame.duplicated(["customer_id"], keep=False) & frame["customer_id"].notna()
    pd.testing.assert_series_equal(duplicated_keys(frame, ["customer_id"]), one)


@SETTINGS
@given(keyed_frames())
def test_one_month_customers_is_the_groupby(frame):
    active = frame.loc[frame["mrr"] > 0, ["customer_id", "month"]].dropna()
    if active.empty:
        expected = []
    else:
        per = active.groupby("customer_id", observed=True)["month"].agg(["nunique", "max"])
        expected = list(per.index[(per["nunique"] == 1) & (per["max"] != active["month"].max())])
    ids, n = one_month_customers(frame["customer_id"], frame["month"], frame["mrr"])
    assert list(ids) == expected and n == len(expected)


def test_one_month_customers_by_hand():
    # a: 2024-01..03 (three months); once: 2024-02 only -> warned; late: only 2024-03, the
    # last month with MRR -> new, not warned; zero: a row of 0 MRR only -> never active.
    frame = pd.DataFrame(
        {
            "customer_id": pd.array(["a", "a", "a", "once", "late", "zero"], dtype="string"),
            "month": pd.PeriodIndex(["2024-01", "2024-02", "2024-03", "2024-02", "2024-03", "2024-01"], freq="M"),
            "mrr": [1.0, 1.0, 1.0, 5.0, 5.0, 0.0],
        }
    )
    ids, n = one_month_customers(frame["customer_id"], frame["month"], frame["mrr"])
    assert list(ids) == ["once"] and n == 1


def test_duplicated_keys_many_combinations_fall_back_to_sorting():
    # 30 ids x 31 months = 930 key combinations > 8 x 31 rows: counted by sorting, not densely.
    ids = pd.array([f"c{i}" for i in range(30)] + ["c0"], dtype="string")
    frame = pd.DataFrame({"customer_id": ids, "month": pd.period_range("2020-01", periods=31, freq="M")})
    frame.loc[30, "month"] = frame.loc[0, "month"]  # row 30 repeats row 0: c0, 2020-01
    dup = duplicated_keys(frame, ["customer_id", "month"])
    assert list(np.flatnonzero(dup)) == [0, 30]


# --------------------------------------------------------------------------- parsing on distinct values

CELLS = st.one_of(st.none(), st.sampled_from(["a", " a", "a ", "B", "b", "", "  ", "2024-01", " 2024-01 ", "Jan-24"]))


@SETTINGS
@given(st.lists(CELLS, max_size=30), st.sampled_from(["str", "string"]))
def test_text_and_present_on_codes_are_the_pandas_statements(cells, dtype):
    s = pd.Series(cells, dtype=dtype, index=range(100, 100 + len(cells)), name="c")
    stripped = s.astype("string").str.strip()
    expected = stripped.mask(stripped.eq(""))
    pd.testing.assert_series_equal(text(s), expected)
    filled = s.notna() & s.astype("string").str.strip().ne("").fillna(False)
    assert present(s).tolist() == filled.tolist() and list(present(s).index) == list(s.index)
    # the cleaned column is born with its codes: pandas' own numbering of it
    codes, uniques = factorized(text(s))
    want_codes, want_uniques = pd.factorize(expected)
    assert codes.tolist() == want_codes.tolist() and list(uniques) == list(want_uniques)


MONTH_TEXTS = st.one_of(
    st.none(), st.sampled_from(["2024-01", " 2024-02", "Jan-24", "03/2024", "2024-13", "", "soon", "2023-12-31"])
)


@SETTINGS
@given(st.lists(MONTH_TEXTS, max_size=30), st.sampled_from(["str", "string", object]))
def test_months_parsed_once_per_text_are_the_dates_to_period(cells, dtype):
    s = pd.Series(cells, dtype=dtype)
    months, bad = parse_months(s)
    dates, bad_dates = parse_dates(s)
    assert months.tolist() == dates.dt.to_period("M").tolist()
    assert bad.tolist() == bad_dates.tolist()


def test_shared_codes_follow_a_cast_and_are_computed_once():
    raw = pd.Series(["b", "a", "b"], dtype="str")
    cleaned = text(raw)  # nothing to strip: the same values, a new Arrow array
    assert factorized(cleaned)[0] is factorized(cleaned)[0]  # cached
    codes, customers = sorted_codes(cleaned)
    assert codes.tolist() == [1, 0, 1] and list(customers) == ["a", "b"] and customers.dtype == "string"


# ids of one byte length are hashed as one or two integer words: the same codes as pandas
EQUAL_WIDTH = st.tuples(
    st.sampled_from(["", "c", "cus_", "é-", "ÿÿÿÿÿÿÿ", "x\x00"]), st.integers(1, 15), st.sampled_from(["0", " "])
)


@SETTINGS
@given(
    EQUAL_WIDTH,
    st.lists(st.integers(0, 40), min_size=1, max_size=40),
    st.sampled_from([pa.string(), pa.large_string()]),
    st.lists(st.integers(1, 12), max_size=4),
    st.integers(0, 2),
)
def test_factorized_equal_width_ids_are_pandas_factorize(form, numbers, kind, cuts, skip):
    prefix, digits, pad = form
    values = [prefix + format(n, f"{pad}>{digits}") for n in numbers]  # one byte length per list
    # chunked as a reader gives them (slices: buffers with offsets), some rows skipped
    array = pa.array(["skipped"] * skip + values, type=kind).slice(skip)
    bounds = sorted({min(c, len(values)) for c in cuts} | {0, len(values)})
    chunked = pa.chunked_array([array.slice(a, b - a) for a, b in zip(bounds, bounds[1:], strict=False)], type=kind)
    column = pd.Series(pd.arrays.ArrowStringArray(chunked))
    codes, uniques = factorized(column)
    want_codes, want_uniques = pd.factorize(pd.Series(values, dtype="string"))
    assert codes.tolist() == want_codes.tolist() and list(uniques) == list(want_uniques)
    assert uniques.dtype == column.dtype


def test_factorized_long_columns_of_few_or_many_ids():
    rng = np.random.default_rng(3)
    many = np.char.add("acct_", rng.integers(0, 10**9, 20_000).astype("U9").astype(object))  # varied lengths
    fixed = np.char.add("acct_", np.char.zfill(rng.integers(0, 10**9, 20_000).astype("U9"), 9)).astype(object)
    few = rng.choice(np.array(["2024-01", "2024-02", "2024-03"], dtype=object), 20_000)  # Arrow's hash
    for values in (many, fixed, few):
        column = pd.Series(values, dtype="str")
        codes, uniques = factorized(column)
        want_codes, want_uniques = pd.factorize(values)
        assert codes.tolist() == want_codes.tolist() and list(uniques) == list(want_uniques)
        ranks, ordered = sorted_codes(column)
        assert list(ordered) == sorted(want_uniques) and (ordered[ranks] == column).all()


def test_per_row_fills_missing_codes():
    # code -1 (missing) reads the fill; 0 and 1 their values
    assert per_row(np.array([10, 20]), np.array([1, -1, 0]), 0).tolist() == [20, 0, 10]
    assert per_row(np.array([], dtype=bool), np.array([-1, -1]), False).tolist() == [False, False]


# --------------------------------------------------------------------------- each customer's month before


@SETTINGS
@given(st.sets(st.tuples(st.integers(0, 4), st.integers(0, 6)), max_size=25), st.randoms(use_true_random=False))
def test_previous_rows_is_the_lookup_of_the_month_before(pairs, rnd):
    rows = list(pairs)
    rnd.shuffle(rows)
    codes = np.array([c for c, _ in rows], dtype=np.int64)
    months = np.array([600 + m for _, m in rows], dtype=np.int64)
    where = {key: i for i, key in enumerate(rows)}
    expected = [where.get((c, m - 1), -1) for c, m in rows]
    found = previous_rows(codes, months)
    if found is None:  # only when customers x months is too sparse for the dense lookup
        assert not rows or (np.ptp(months) + 1) * (codes.max() + 1) > _DENSE_FACTOR * len(rows)
    else:
        assert found.tolist() == expected


def test_previous_rows_leaves_repeated_or_missing_keys_to_the_sort():
    months = np.array([600, 601, 601])
    assert previous_rows(np.array([0, 0, 0]), months) is None  # customer 0 twice in month 601
    assert previous_rows(np.array([0, -1, 1]), months) is None  # a missing id


@SETTINGS
@given(st.lists(st.one_of(st.none(), st.integers(0, 8)), max_size=20))
def test_month_gaps_are_the_period_range_difference(offsets):
    months = pd.Series(pd.PeriodIndex([pd.NaT if o is None else FIRST + o for o in offsets], freq="M"))
    full, missing = month_gaps(months)
    present = months.dropna()
    if present.empty:
        assert full.empty and missing.empty
        return
    want = pd.period_range(present.min(), present.max(), freq="M")
    assert list(full) == list(want) and list(missing) == list(want.difference(pd.PeriodIndex(present.unique())))


def test_parquet_text_of_few_values_comes_with_its_codes(tmp_path):
    # 3 plans and a blank over 20,000 rows in 4 row groups: read from the dictionary pages
    plans = np.array(["pro", None, "basic", "team"], dtype=object)[np.arange(20_000) % 7 % 4]
    ids = np.char.add("c", np.arange(20_000).astype("U5")).astype(object)  # 20,000 distinct: decoded
    tiers = np.array(["b", "a", "c"], dtype=object)[np.arange(20_000) % 3]  # no blank: codes kept as read
    frame = pd.DataFrame({"id": ids, "plan": plans, "tier": tiers, "mrr": np.arange(20_000.0)})
    path = tmp_path / "plans.parquet"
    frame.to_parquet(path, row_group_size=5_000)
    assert _few_distinct_texts(path) == ["plan", "tier"]
    read = _read_parquet(path)
    pd.testing.assert_frame_equal(read, pd.read_parquet(path), check_exact=True)
    codes, uniques = factorized(read["plan"])
    want_codes, want_uniques = pd.factorize(plans)  # pro, basic, team; the blank is -1
    assert codes.tolist() == want_codes.tolist() and list(uniques) == list(want_uniques) == ["pro", "basic", "team"]
    codes, uniques = factorized(read["tier"])
    assert codes.tolist() == (np.arange(20_000) % 3).tolist() and list(uniques) == ["b", "a", "c"]


def test_large_parquet_ids_are_factorised_ahead_once(tmp_path, monkeypatch):
    # 150,000 rows (over _AHEAD_ROWS): the id column (100,000 distinct ids, too many for the
    # file's small dictionary pages) is factorised on the second thread while the month column is decoded; the
    # parse then waits for those codes and hashes nothing again.
    ids = np.char.add("cus_", np.char.zfill((np.arange(150_000) * 7 % 100_000).astype("U5"), 5)).astype(object)
    months = np.array(["2024-01", "2024-02"], dtype=object)[np.arange(150_000) % 2]
    path = tmp_path / "mrr.parquet"
    pd.DataFrame({"id": ids, "month": months, "mrr": 1.0}).to_parquet(path)
    calls = []
    factorize = _codes._factorize
    monkeypatch.setattr(
        _codes, "_factorize", lambda values, *rest: calls.append(len(values)) or factorize(values, *rest)
    )
    orders = []
    order = _codes._order
    monkeypatch.setattr(_codes, "_order", lambda entry: orders.append(len(entry.first[0])) or order(entry))
    read = _read_parquet(path)
    codes, uniques = factorized(read["id"])
    want_codes, want_uniques = pd.factorize(ids)
    assert codes.tolist() == want_codes.tolist() and list(uniques) == list(want_uniques)
    assert factorized(read["id"])[0] is codes and present(read["id"]).all()
    assert calls == [150_000]  # the id column once (the month column came with its codes)
    # the sorted codes follow on the same thread, also for the column cast to "string" by text()
    cleaned = text(read["id"])
    ranks, ordered = sorted_codes(cleaned)
    assert list(ordered) == sorted(want_uniques) and (ordered[ranks] == cleaned).all()
    assert ordered.dtype == "string" and orders == [150_000]


def test_codes_pending_while_the_second_thread_factorises_them(monkeypatch):
    # the mapping parses such a column last; once its codes are there, or for a column never
    # sent ahead, nothing is pending
    import threading

    release = threading.Event()
    factorize = _codes._factorize

    def held(values, *rest):
        release.wait(10)
        return factorize(values, *rest)

    monkeypatch.setattr(_codes, "_factorize", held)
    ids = pd.Series(["b", "a", "b"], dtype=pd.StringDtype(na_value=np.nan))
    other = pd.Series(["x", "y", "x"], dtype=pd.StringDtype(na_value=np.nan))
    _codes.factorize_ahead([ids])
    assert _codes.codes_pending(ids) and not _codes.codes_pending(other)
    release.set()
    assert factorized(ids)[0].tolist() == [0, 1, 0]
    assert not _codes.codes_pending(ids) and not _codes.codes_pending(pd.Series([1, 2]))


def test_ids_factorised_in_two_halves_keep_the_whole_columns_first_appearance(monkeypatch):
    # halves "b a b c" | "a d c d": the first half numbers b=0, a=1, c=2; the second half's
    # own numbering (a, d, c) is mapped onto the whole column's, d being new there: 3
    monkeypatch.setattr(_codes, "_SPLIT_ROWS", 0)
    column = pa.array(list("babcadcd"), type=pa.large_string())
    with ThreadPoolExecutor(1) as helper:
        codes, words = _codes._word_codes_in_halves(column, helper)
        assert codes.tolist() == [0, 1, 0, 2, 1, 3, 2, 3]
        assert _codes._word_texts(words, 1).to_pylist() == ["b", "a", "c", "d"]
        # ids of another length in the second half: no words, the caller hashes the text
        assert _codes._word_codes_in_halves(pa.array(["ab", "cd", "e", "fg"]), helper) is None


@SETTINGS
@given(st.lists(st.integers(0, 30), min_size=2, max_size=60), st.integers(1, 3))
def test_factorized_in_halves_is_pandas_factorize(numbers, width):
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(_codes, "_SPLIT_ROWS", 2)
    try:
        values = [f"id{n:0{width}d}"[-(width + 2) :] for n in numbers]
        column = pd.Series(pd.array(values, dtype="string"))
        with ThreadPoolExecutor(1) as helper:
            codes, uniques = _codes._factorize(column, _codes._arrow(column), helper)
    finally:
        monkeypatch.undo()
    want_codes, want_uniques = pd.factorize(pd.Series(values, dtype="string"))
    assert codes.tolist() == want_codes.tolist() and list(uniques) == list(want_uniques)


def test_codes_started_in_another_process_are_not_waited_for():
    # A forked child inherits the parent's pending entry but not its thread: the codes are
    # computed again in the child instead of waiting for a future that never ends.
    column = pd.Series(["b", "a", "b"], dtype="str")
    key = id(column.array._pa_array)
    _codes._AHEAD[key] = (os.getpid() + 1, Future())  # never resolved
    try:
        assert factorized(column)[0].tolist() == [0, 1, 0]
    finally:
        _codes._AHEAD.pop(key, None)


def test_decoded_checks_dictionary_order_on_the_small_codes():
    # 128 categories: int8 codes reach 127 and repeat after it, where a running maximum + 1 would wrap around
    months = pd.Index([f"m{i:03d}" for i in range(128)])
    codes = np.concatenate([np.arange(128), [127, 0]]).astype(np.int8)
    in_order = pd.Categorical.from_codes(codes, categories=months)
    assert _codes._in_first_appearance_order(np.asarray(in_order.codes), 128)
    # codes 0, 2, 1: "m002" appears second, so the column is renumbered 0, 1, 2 with uniques m000, m002, m001
    shuffled = pd.Series(pd.Categorical.from_codes(np.array([0, 2, 1, -1], dtype=np.int8), categories=months[:3]))
    column = _codes.decoded(shuffled, "string")
    assert column.tolist()[:3] == ["m000", "m002", "m001"] and pd.isna(column.iloc[3])
    codes, uniques = factorized(column)
    assert codes.tolist() == [0, 1, 2, -1] and list(uniques) == ["m000", "m002", "m001"]
