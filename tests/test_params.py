"""reportlib.params: the one period label and the segment/compare parsers."""

from __future__ import annotations

import pandas as pd
import pytest

from reportlib.exceptions import ParameterError
from reportlib.metrics import Window
from reportlib.params import parse_compare, parse_segment, period_label, period_word


@pytest.mark.parametrize(
    "as_of, window, label",
    [
        ("2026-09", "quarter", "Q3 2026"),
        ("2026-09-15", "month", "Sep 2026"),
        ("2026-11", "quarter", "Sep 2026 – Nov 2026"),
        ("2026-12", "year", "FY 2026"),
        ("2026-10", "year", "Nov 2025 – Oct 2026"),
        ("2026-10", 3, "Aug 2026 – Oct 2026"),
    ],
)
def test_period_label(as_of, window, label) -> None:
    assert period_label(as_of, window) == label


def test_window_label_is_the_same_label() -> None:
    w = Window(pd.Period("2026-10", freq="M"), 3)
    assert w.label == period_label("2026-10", "quarter") == "Aug 2026 – Oct 2026"


def test_period_word() -> None:
    assert [period_word(n) for n in (1, 3, 12, 6)] == ["month", "quarter", "year", "6 months"]


def test_parse_segment() -> None:
    assert parse_segment(" segment = Enterprise ") == ("segment", "Enterprise")
    assert parse_segment(("region", "EU")) == ("region", "EU")
    assert parse_segment("") is None and parse_segment(None) is None
    with pytest.raises(ParameterError, match="KEY=VALUE"):
        parse_segment("Enterprise")


def test_parse_compare() -> None:
    assert parse_compare("segment=SMB, Enterprise") == ("segment", ("SMB", "Enterprise"))
    assert parse_compare("") is None
    for bad in ("segment=SMB", "segment=A,B,C", "SMB,Enterprise"):
        with pytest.raises(ParameterError, match="KEY=A,B"):
            parse_compare(bad)


@pytest.mark.parametrize(
    "as_of, window, fiscal_start, label",
    [
        ("2026-12", "quarter", 10, "FY2027 Q1"),  # Oct-Dec 2026: first quarter of the year ending Sep 2027
        ("2027-09", "year", 10, "FY2027"),  # Oct 2026 - Sep 2027 ends in calendar 2027
        ("2027-03", "quarter", 4, "FY2027 Q4"),  # Jan-Mar 2027: fourth quarter of Apr 2026 - Mar 2027
        ("2026-09", "quarter", 1, "Q3 2026"),  # calendar year: labels as before
        ("2026-12", "year", 1, "FY 2026"),
        ("2026-11", "quarter", 10, "Sep 2026 – Nov 2026"),  # not a fiscal quarter end: the months
    ],
)
def test_fiscal_period_labels(as_of, window, fiscal_start, label):
    assert period_label(as_of, window, fiscal_start=fiscal_start) == label


def test_fiscal_windows_end_on_fiscal_quarter_and_year_ends():
    from reportlib.metrics.periods import Window

    # fiscal year from October: quarters end Dec, Mar, Jun, Sep; as of Nov 2026 the last
    # quarter end is Sep 2026 (FY2026 Q4: Jul-Sep 2026) and the last year end Sep 2026
    q = Window.of("2026-11", "quarter", fiscal_start=10)
    assert str(q.as_of) == "2026-09" and str(q.first) == "2026-07" and q.label == "FY2026 Q4"
    y = Window.of("2026-11", "year", fiscal_start=10)
    assert str(y.first) == "2025-10" and y.label == "FY2026"
    assert Window.of("2026-11", "quarter").label == "Sep 2026 – Nov 2026"  # no policy: rolling
