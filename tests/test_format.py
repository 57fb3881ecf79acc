"""reportlib.format: the Excel number formats of each kind of value."""

from __future__ import annotations

import pytest

from reportlib import format as F


@pytest.mark.parametrize(
    "unit, currency, value_format, change_format",
    [
        # money in whole units with its currency's code; its change relative: 0.125 reads "+12.5%"
        ("currency", "EUR", '#,##0 "EUR"', "+0.0%;-0.0%;0.0%"),
        ("currency", "NZD", '#,##0 "NZD"', "+0.0%;-0.0%;0.0%"),
        ("count", None, "#,##0", "+0.0%;-0.0%;0.0%"),
        # a ratio stored as a share; its change a difference of shares: 0.012 is 1.2 points
        ("ratio", None, "0.0%", '+0.0%" pts";-0.0%" pts";0.0%" pts"'),
        ("multiple", None, '0.0"x"', '+0.0"x";-0.0"x";0.0"x"'),
        ("months", None, '0.0" mo"', '+0.0" mo";-0.0" mo";0.0" mo"'),
        ("days", None, '0" d"', '+0" d";-0" d";0" d"'),
        ("score", None, "0", "+0;-0;0"),
    ],
)
def test_excel_formats_by_unit(unit: str, currency: str | None, value_format: str, change_format: str) -> None:
    assert F.excel_format(unit, currency) == value_format
    assert F.excel_change_format(unit, currency) == change_format
