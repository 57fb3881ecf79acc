"""Windows (reportlib.metrics.periods): which dates fall inside one."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from reportlib.metrics.periods import Window

Q1 = Window(pd.Period("2026-03", "M"), 3)


def test_dated_by_hand():
    dates = pd.Series(
        pd.to_datetime(["2025-12-31 23:59", "2026-01-01 00:00", "2026-03-31 23:30", None, "2026-04-01 00:00"])
    )
    assert Q1.dated(dates).tolist() == [False, True, True, False, False]
    # an aware date is read on its own clock, as its month Period is
    aware = pd.Series(pd.to_datetime(["2026-03-31 23:30"])).dt.tz_localize("America/New_York")
    assert Q1.dated(aware).tolist() == [True]


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.integers(-2_000, 2_000)), max_size=20),
    st.integers(-30, 30),
    st.sampled_from([1, 3, 12]),
    st.sampled_from([None, "UTC", "Asia/Tokyo", "America/Los_Angeles"]),
)
def test_dated_is_contains_of_the_dates_months(hours, shift, months, zone):
    """Property: :meth:`Window.dated` is ``notna & contains(dt.to_period("M"))``, for naive
    and aware dates, NaT and an index that is not 0..n-1."""
    stamps = [pd.NaT if h is None else pd.Timestamp("2026-02-27") + pd.Timedelta(hours=13 * h) for h in hours]
    dates = pd.Series(stamps, dtype="datetime64[ns]", index=range(100, 100 + len(stamps)))
    if zone:
        dates = dates.dt.tz_localize(zone)
    window = Window(pd.Period("2026-03", "M") + shift, months)
    local = dates.dt.tz_localize(None) if zone else dates
    expected = dates.notna() & window.contains(local.dt.to_period("M"))
    pd.testing.assert_series_equal(window.dated(dates), expected, check_names=False)
