"""Per-company currency conversion: a ``currency`` column converted through ``[fx]`` rates.

``[fx] path = "fx.csv"`` names a CSV of ``currency, month, rate`` where ``rate`` is the value
of one unit of ``currency`` in the company currency (DESIGN.md). A money input with a
``currency`` column has each foreign row multiplied by the rate of its currency and month;
a row whose currency and month have no rate is an error naming both, never a silent
pass-through. A row with no amount (every money column blank) needs no rate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from reportlib.exceptions import InputError, Problem
from reportlib.inputs._schemas import SCHEMAS

ROW = "__row__"
# The date whose month picks the rate, per money input.
RATE_DATE = {
    "mrr": ("month",),
    "contracts": ("signed_date", "start_date"),
    "transactions": ("date",),
    "financials": ("month",),
    "opportunities": ("created_at",),
}
FX_COLUMNS = ("currency", "month", "rate")


def money_columns(input_name: str) -> tuple[str, ...]:
    """The canonical money columns of ``input_name`` (its number columns)."""
    return tuple(c for c, col in SCHEMAS.get(input_name, {}).items() if col.kind == "number")


@dataclass(frozen=True)
class FxRates:
    """Rates by (currency, month): value of one unit of the currency in the company currency."""

    rates: Mapping[tuple[str, pd.Period], float]
    file: str

    def rate(self, currency: str, month: pd.Period) -> float | None:
        """The rate of ``currency`` in ``month``, or None when the table has none."""
        return self.rates.get((currency, month))


def read_fx(path: Path, display: str = "fx.csv") -> FxRates:
    """Read the ``[fx]`` CSV (columns currency, month, rate).

    Raises
    ------
    InputError
        With every problem: missing file or columns, a month or rate that cannot be read,
        a currency and month given twice.
    """
    if not path.is_file():
        raise InputError(
            [
                Problem(
                    f"The file {display} named in company.toml [fx] does not exist in the company folder.", file=display
                )
            ]
        )
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    raw.columns = [c.strip().lower() for c in raw.columns]
    missing = [c for c in FX_COLUMNS if c not in raw.columns]
    if missing:
        raise InputError(
            [
                Problem(
                    f"{display} needs the columns currency, month, rate; missing: " + ", ".join(missing) + ".",
                    file=display,
                )
            ]
        )
    problems: list[Problem] = []
    rates: dict[tuple[str, pd.Period], float] = {}
    for row, (cur, month, rate) in enumerate(raw[list(FX_COLUMNS)].itertuples(index=False), start=2):
        period = pd.Period(pd.to_datetime(month.strip(), errors="coerce"), "M") if month.strip() else None
        value = pd.to_numeric(rate.strip().replace(",", ""), errors="coerce")
        if period is None or pd.isna(period):
            problems.append(
                Problem(f"'{month}' is not a month (write 2026-01).", file=display, row=row, column="month")
            )
        elif pd.isna(value) or value <= 0:
            problems.append(
                Problem(
                    f"'{rate}' is not a positive rate (the value of one {cur.strip()} in the company currency).",
                    file=display,
                    row=row,
                    column="rate",
                )
            )
        elif (key := (cur.strip().upper(), period)) in rates:
            problems.append(Problem(f"{key[0]} {period} has two rates.", file=display, row=row, column="rate"))
        else:
            rates[key] = float(value)
    if problems:
        raise InputError(problems)
    return FxRates(rates, display)


def convert(
    frame: pd.DataFrame, input_name: str, company_currency: str, fx: FxRates | None, *, file: str | None = None
) -> tuple[pd.DataFrame, list[Problem]]:
    """Convert the money columns of foreign-currency rows to the company currency.

    Parameters
    ----------
    frame
        A canonical frame of ``input_name`` with a ``currency`` column (others pass unchanged).
    input_name
        The canonical input, which says the money columns and the date choosing the month.
    company_currency
        The company's ISO code; rows in it (or with a blank currency) are unchanged.
    fx
        The company's rates; None when company.toml has no ``[fx]``.
    file
        The input's file name for messages.

    Returns
    -------
    (pandas.DataFrame, list of Problem)
        The frame with converted amounts and ``currency`` set to the company currency, and
        one problem per currency and month without a rate (naming both and the rows).
    """
    if "currency" not in frame or input_name not in RATE_DATE:
        return frame, []
    currency = frame["currency"].astype("string").str.strip().str.upper()
    foreign = needs_rate(frame, input_name, company_currency)
    if not foreign.any():
        return frame, []
    months = _months(frame, input_name)
    rate = pd.Series(
        [fx.rate(c, m) if fx else None for c, m in zip(currency[foreign], months[foreign], strict=False)],
        index=frame.index[foreign],
        dtype="float64",
    )
    out = frame.copy()
    for column in money_columns(input_name):
        if column in out:
            out.loc[rate.index, column] = out.loc[rate.index, column].astype("float64") * rate
    out.loc[rate.index[rate.notna()], "currency"] = company_currency
    return out, _missing(frame, currency, months, rate, company_currency, fx, file, input_name)


def needs_rate(frame: pd.DataFrame, input_name: str, company_currency: str) -> pd.Series:
    """Rows in another currency than ``company_currency`` that hold an amount to convert.

    A row whose money columns are all blank (a HubSpot deal with no Amount yet) has nothing
    to convert: it needs no rate, and no ``[fx]`` table at all.
    """
    currency = frame["currency"].astype("string").str.strip().str.upper()
    foreign = currency.notna() & currency.ne("") & currency.ne(company_currency)
    amounts = [c for c in money_columns(input_name) if c in frame]
    if not amounts:
        return foreign
    return foreign & frame[amounts].notna().any(axis=1)


def _months(frame: pd.DataFrame, input_name: str) -> pd.Series:
    dates = next((frame[c] for c in RATE_DATE[input_name] if c in frame), None)
    if dates is None:
        return pd.Series(pd.NaT, index=frame.index)
    return pd.to_datetime(
        dates.astype("object").map(lambda d: d.to_timestamp() if isinstance(d, pd.Period) else d), errors="coerce"
    ).dt.to_period("M")


def _missing(frame, currency, months, rate, company_currency, fx, file, input_name) -> list[Problem]:
    gaps = rate[rate.isna()]
    out = []
    for (cur, month), idx in (
        pd.DataFrame({"c": currency[gaps.index], "m": months[gaps.index]})
        .groupby(["c", "m"], dropna=False)
        .groups.items()
    ):
        rows = sorted(int(r) for r in frame.loc[idx, ROW]) if ROW in frame else []
        where = f"{month}" if not pd.isna(month) else "an unknown month"
        head = (
            f"No exchange rate for {cur} in {where}"
            if fx
            else f"Amounts in {cur} ({where}) but company.toml has no [fx] table"
        )
        out.append(
            Problem(
                f"{head}: add a line '{cur},{month if not pd.isna(month) else 'YYYY-MM'},<value of 1 {cur} in "
                f"{company_currency}>' to "
                + (fx.file if fx else 'a CSV named by [fx] path = "fx.csv"')
                + (f" (rows {', '.join(map(str, rows))})." if len(rows) > 1 else "."),
                file=file,
                row=rows[0] if len(rows) == 1 else None,
                column="currency",
                input=input_name,
            )
        )
    return out
