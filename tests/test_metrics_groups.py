"""The cohort tables' shared grouping (reportlib.metrics._groups) against pandas' groupby."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from reportlib.metrics._groups import sums_by_cohort


def test_sums_by_cohort_by_hand():
    cohort = pd.Series(pd.PeriodIndex(["2026-02", "2026-01", "2026-02", "2026-01"], freq="M"))
    value = pd.Series(["web", "partner", "web", "web"], dtype="string")
    flags = {"entered": pd.Series([True, True, True, False]), "converted": pd.Series([True, False, False, False])}
    out = sums_by_cohort(cohort, value, flags)
    # 2026-01: partner (1 entered, 0 converted), web (0, 0); 2026-02: web (2 entered, 1 converted)
    assert out["cohort"].astype(str).tolist() == ["2026-01", "2026-01", "2026-02"]
    assert out["value"].tolist() == ["partner", "web", "web"]
    assert out["entered"].tolist() == [1, 0, 2] and out["converted"].tolist() == [0, 0, 1]


_ROW = st.tuples(
    st.one_of(st.none(), st.integers(0, 5)),  # cohort month; None: no date
    st.sampled_from(["web", "partner", "Web", "all"]),
    st.booleans(),
    st.booleans(),
)


@settings(max_examples=80, deadline=None)
@given(st.lists(_ROW, min_size=1, max_size=30), st.booleans())
def test_sums_by_cohort_is_the_groupby_sum(rows, text):
    """Property: the same rows, order, columns and dtypes as
    ``DataFrame(...).groupby(["cohort", "value"]).sum().reset_index()``, a missing cohort
    left out; for text values (string dtype) and a constant object Series alike."""
    months = [None if m is None else pd.Period("2026-01", "M") + m for m, *_ in rows]
    cohort = pd.Series(pd.PeriodIndex(months, freq="M"), name="cohort")
    value = pd.Series([v for _, v, *_ in rows], dtype="string") if text else pd.Series("all", index=cohort.index)
    value = value.rename("value")
    flags = {"a": pd.Series([a for *_, a, _ in rows]), "b": pd.Series([b for *_, b in rows])}
    expected = pd.DataFrame({"cohort": cohort, "value": value, **flags}).groupby(["cohort", "value"]).sum()
    pd.testing.assert_frame_equal(sums_by_cohort(cohort, value, flags), expected.reset_index(), check_exact=True)


def test_summed_by_dimension_stacks_each_dimension_in_order():
    from reportlib.metrics._groups import dimension_keys, summed_by_dimension

    frame = pd.DataFrame({"channel": pd.array(["web", None, "web"], dtype="string")})
    cohort = pd.Series(pd.PeriodIndex(["2026-01", "2026-01", "2026-02"], freq="M"))
    flags = {"entered": pd.Series([True, True, True]), "converted": pd.Series([True, False, True])}
    out = summed_by_dimension(cohort, dimension_keys(frame, ["channel", "absent"]), flags)
    assert out["dimension"].tolist() == ["all", "all", "channel", "channel", "channel"]
    assert out["value"].tolist() == ["all", "all", "(missing)", "web", "web"]
    assert out["entered"].tolist() == [2, 1, 1, 1, 1] and out["converted"].tolist() == [1, 1, 0, 1, 1]
