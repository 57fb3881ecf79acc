"""reportlib.params: the one period label and the segment/compare parsers."""
from __future__ import annotations

import pandas as pd
import pytest

from reportlib.exceptions import ParameterError
from reportlib.metrics import Window
from reportlib.params import parse_compare, parse_segment, period_label, period_word


@pytest.mark.parametrize("as_of, window, label", [
    ("2026-09", "quarter", "Q3 2026"),
    ("2026-09-15", "month", "Sep 2026"),
    ("2026-11", "quarter", "Sep 2026 – Nov 2026"),
    ("2026-12", "year", "FY 2026"),
    ("2026-10", "year", "Nov 2025 – Oct 2026"),
    ("2026-10", 3, "Aug 2026 – Oct 2026"),
])
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
