"""The whole-table checks on integer codes agree with the plain pandas statements they replace."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportlib.inputs._keys import duplicated_keys, one_month_customers

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
