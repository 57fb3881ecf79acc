"""Currency conversion for portfolio sums: monthly rates to the fund currency."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from reportlib.exceptions import ParameterError

__all__ = ["FxTable", "load_fx"]


@dataclass(frozen=True)
class FxTable:
    """Monthly rates from each currency to the fund currency.

    Attributes
    ----------
    rates
        ``currency`` (str), ``month`` (``period[M]``), ``rate`` (float): one unit of
        ``currency`` is worth ``rate`` units of the fund currency.
    fund_currency
        The currency the rates convert to.
    """

    rates: pd.DataFrame
    fund_currency: str

    def rate(self, currency: str, month: str | pd.Period) -> float:
        """The rate of ``month``, else of the latest month before it; NaN when none."""
        if currency == self.fund_currency:
            return 1.0
        month = pd.Period(month, "M")
        rows = self.rates[(self.rates["currency"] == currency) & (self.rates["month"] <= month)]
        return float(rows.sort_values("month")["rate"].iloc[-1]) if len(rows) else math.nan


def load_fx(source: str | Path | pd.DataFrame, fund_currency: str | None = None) -> FxTable:
    """Read an fx table: columns ``currency, month, rate`` (optional ``fund_currency``).

    The fund currency is the ``fund_currency`` column's value, else ``fund_currency`` (the
    fund's ``[fund] currency``), else the one currency whose rates are all 1.

    Raises
    ------
    ParameterError
        Missing columns, months or rates that are not numbers, rates <= 0; no fund currency
        (sums in an unnamed currency would be read as some currency's).
    """
    df = source.copy() if isinstance(source, pd.DataFrame) else _read_fx(Path(source))
    df.columns = [str(c).strip().lower() for c in df.columns]
    missing = {"currency", "month", "rate"} - set(df.columns)
    if missing:
        raise ParameterError(
            f"the fx table lacks column(s) {', '.join(sorted(missing))}; it needs currency, month, rate"
        )
    rates = pd.DataFrame(
        {
            "currency": df["currency"].astype(str).str.strip().str.upper(),
            "month": _fx_months(df["month"]),
            "rate": pd.to_numeric(df["rate"], errors="coerce"),
        }
    )
    bad = rates.index[rates["rate"].isna() | (rates["rate"] <= 0)]
    if len(bad):
        raise ParameterError(f"the fx table has rates that are not positive numbers (row {int(bad[0]) + 2})")
    return FxTable(rates, _fund_currency(df, rates, fund_currency))


def _read_fx(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise ParameterError(f"fx table {path} does not exist")
    return pd.read_csv(path, dtype=str)


def _fx_months(col: pd.Series) -> pd.Series:
    try:
        return pd.to_datetime(col.astype(str).str.strip(), format="mixed").dt.to_period("M")
    except (ValueError, TypeError) as exc:
        raise ParameterError(f"the fx table has a month that is not a date: {exc}") from None


def _fund_currency(df: pd.DataFrame, rates: pd.DataFrame, given: str | None) -> str:
    if "fund_currency" in df.columns and df["fund_currency"].notna().any():
        return str(df["fund_currency"].dropna().iloc[0]).strip().upper()
    if given:
        return given.strip().upper()
    ones = rates.groupby("currency")["rate"].apply(lambda r: bool((r == 1).all()))
    if ones.sum() == 1:
        return str(ones[ones].index[0])
    raise ParameterError(
        "the fx table does not say which currency the fund reports in: add a fund_currency column, "
        'set [fund] currency in fund.toml (e.g. currency = "EUR"), or list the fund\'s own currency '
        "with a rate of 1"
    )
