"""Reconciliation between sources (DESIGN.md ``reconciliation.csv``).

Three comparisons, one table: billing (mrr / contracts / transactions) vs P&L revenue by
month; CRM won amount vs contract bookings by quarter; the company's own ``reported``
figures vs the same KPI recomputed. ``difference`` = value_a - value_b and ``relative`` =
difference / |value_b| (blank when value_b is zero or missing), so a positive gap means the
first source says more. :func:`reconciliation_problems` turns gaps above 10% (DESIGN.md
"Guards") and unusable ``reported`` rows into warnings for ``reportlib validate``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from reportlib.exceptions import Problem
from reportlib.metrics import Value, Window, is_blank
from reportlib.params import named_period
from reportlib.registry import REGISTRY

__all__ = [
    "RECONCILIATION_COLUMNS",
    "GAP_WARNING",
    "billing_vs_pnl",
    "crm_unit_hint",
    "crm_vs_bookings",
    "reported_vs_recomputed",
    "stack_reconciliation",
    "report_window",
    "monthly_amounts",
    "gaps",
    "reconciliation_problems",
    "scale_hint",
    "warned_gaps",
]

RECONCILIATION_COLUMNS = ["source_a", "source_b", "period", "kpi", "value_a", "value_b", "difference", "relative"]
#: A gap above this share of the second source is a validate warning, and the
#: reconciliation page's title counts the periods above it (one threshold for both).
GAP_WARNING = 0.10

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _rows(source_a: str, source_b: str, kpi: str, a: pd.Series, b: pd.Series) -> pd.DataFrame:
    """Side by side on the periods both series have (index: period labels)."""
    both = a.index.intersection(b.index)
    return pd.DataFrame(
        {
            "source_a": source_a,
            "source_b": source_b,
            "period": [str(p) for p in both],
            "kpi": kpi,
            "value_a": a.reindex(both).to_numpy(dtype=float),
            "value_b": b.reindex(both).to_numpy(dtype=float),
        }
    )


def monthly_amounts(frame: pd.DataFrame | None, date: str, amount: str) -> pd.Series:
    """``amount`` summed per month of ``date`` (an empty series without the frame)."""
    if frame is None or frame.empty:
        return pd.Series(dtype=float)
    months = pd.PeriodIndex(pd.to_datetime(frame[date]).dt.to_period("M"))
    return frame[amount].astype(float).groupby(months).sum()


def billing_vs_pnl(
    billing: pd.Series, billing_source: str, financials: pd.DataFrame | None, as_of: pd.Period
) -> pd.DataFrame:
    """Billing revenue vs P&L revenue per month up to ``as_of``.

    Parameters
    ----------
    billing : Series
        Monthly revenue from the billing side, indexed by monthly Period.
    billing_source : str
        Its name in ``source_a`` (``contracts``, ``mrr``, ``mrr+transactions``, ...).
    financials : DataFrame or None
        Canonical financials (``month``, ``revenue``).
    """
    if financials is None or financials.empty or billing.empty:
        return pd.DataFrame(columns=RECONCILIATION_COLUMNS[:6])
    pnl = financials["revenue"].astype(float).groupby(pd.PeriodIndex(financials["month"], freq="M")).sum()
    billing = billing[billing.index <= as_of]
    return _rows(billing_source, "financials", "revenue", billing, pnl[pnl.index <= as_of])


def crm_vs_bookings(opportunities: pd.DataFrame | None, bookings: pd.Series, as_of: pd.Period) -> pd.DataFrame:
    """Won opportunity amount (by quarter closed) vs contract bookings (by quarter signed),
    for the quarters up to the one holding ``as_of``.

    ``bookings`` is the monthly bookings series of the revenue bridge (monthly Period index).
    """
    empty = pd.DataFrame(columns=RECONCILIATION_COLUMNS[:6])
    if opportunities is None or opportunities.empty or bookings.empty:
        return empty
    won = opportunities[(opportunities["outcome"] == "won") & opportunities["closed_at"].notna()]
    crm = monthly_amounts(won, "closed_at", "amount")
    crm, bookings = crm[crm.index <= as_of], bookings[bookings.index <= as_of]
    if crm.empty:
        return empty
    start = max(crm.index.min(), bookings.index.min()).asfreq("Q")  # from when both sources have data
    book_q = bookings.groupby(bookings.index.asfreq("Q")).sum()
    book_q = book_q[book_q.index >= start]
    crm_q = crm.groupby(crm.index.asfreq("Q")).sum().reindex(book_q.index, fill_value=0.0)
    return _rows("opportunities", "contracts", "bookings", crm_q, book_q)


def report_window(period: str, fiscal_start: int = 1) -> Window | None:
    """The window a reported period names, read as the product names its own periods
    (:func:`reportlib.params.named_period`): ``2026-09`` one month, ``2026Q3`` a calendar
    quarter, ``FY2027Q1`` a fiscal quarter and ``FY2026`` the fiscal year 2026 of a fiscal
    year starting in month ``fiscal_start`` (policy ``fiscal_year_start_month``; with 4,
    April 2025 - March 2026); None for anything else."""
    text = str(period).strip()
    if _MONTH.match(text):
        return Window(pd.Period(text, freq="M"), 1, fiscal_start)
    named = named_period(text, fiscal_start)
    return None if named is None else Window(named[0], named[1], fiscal_start)


def reported_vs_recomputed(
    reported: pd.DataFrame | None, value_of: Callable[[str, Window], Value], fiscal_start: int = 1
) -> pd.DataFrame:
    """The company's own figures vs the same KPI and period recomputed.

    ``value_of(kpi, window)`` recomputes one KPI; rows whose KPI id or period cannot be used
    keep a blank ``value_b`` (:func:`reconciliation_problems` says why). ``fiscal_start``:
    policy ``fiscal_year_start_month``, which ``FY2026`` and ``FY2026Q1`` follow.
    """
    if reported is None or reported.empty:
        return pd.DataFrame(columns=RECONCILIATION_COLUMNS[:6])
    rows = []
    for r in reported.itertuples(index=False):
        window = report_window(r.period, fiscal_start)
        value = value_of(r.kpi, window) if window is not None and r.kpi in REGISTRY else None
        rows.append(
            {
                "source_a": "reported",
                "source_b": "recomputed",
                "period": str(r.period).strip(),
                "kpi": r.kpi,
                "value_a": float(r.value),
                "value_b": np.nan if value is None or is_blank(value) else float(value),
            }
        )
    return pd.DataFrame(rows)


def stack_reconciliation(*parts: pd.DataFrame) -> pd.DataFrame:
    """The comparisons stacked, with ``difference`` and ``relative``."""
    frames = [p for p in parts if len(p)]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=RECONCILIATION_COLUMNS[:6])
    a, b = table["value_a"].astype(float), table["value_b"].astype(float)
    diff = a - b
    # float noise of summing the same cents in another order is no gap; a missing value
    # stays blank (a 0 would read as "the sources agree")
    table["difference"] = diff.mask(diff.abs() <= 1e-9 * np.maximum(a.abs(), b.abs()), 0.0)
    table["relative"] = table["difference"] / b.abs().where(b != 0)
    return table[RECONCILIATION_COLUMNS].reset_index(drop=True)


def gaps(table: pd.DataFrame, threshold: float = GAP_WARNING) -> pd.DataFrame:
    """Rows whose |relative| gap exceeds ``threshold``, largest first (none: an empty frame;
    sorted by a key, since assigning the sizes to no rows would add a blank row per size)."""
    big = table[table["relative"].abs() > threshold]
    return big.sort_values("relative", key=lambda r: r.abs(), ascending=False).reset_index(drop=True)


#: Billing / P&L revenue ratios that name their cause: (ratio, what it looks like, which
#: input to fix and how). A gap this regular is a unit, not a business story.
_SCALES = (
    (
        12.0,
        "yearly prices counted as monthly",
        "in [inputs.{billing}], divide a yearly price by 12 (compute) or map a contract's whole value to tcv",
    ),
    (100.0, "billing amounts in cents read as units", 'set amount_unit = "cents" in [inputs.{billing}]'),
    (1000.0, "a P&L exported in thousands", 'set amount_unit = "thousands" in [inputs.financials]'),
    (0.01, "a P&L in cents read as units", 'set amount_unit = "cents" in [inputs.financials]'),
)
#: A scale explains a gap when the median ratio is within this share of it and at least
#: :data:`_SCALE_SHARE` of the months are too (revenue is not MRR exactly: one-off fees,
#: proration, a month of timing), over at least :data:`_SCALE_MONTHS` months (a month or
#: two of an annual payment is timing, not a unit).
_SCALE_BAND, _SCALE_SHARE, _SCALE_MONTHS = 0.2, 2 / 3, 3


def scale_hint(value_a: pd.Series, value_b: pd.Series, billing: str) -> str | None:
    """The likely unit mistake behind a billing vs P&L gap, as a sentence, or None.

    Parameters
    ----------
    value_a, value_b : Series
        Billing and P&L revenue of the same months.
    billing : str
        The billing input's name (``source_a``), named in the fix.

    Examples
    --------
    Billing 12,000 a month against a P&L of 1,000: "Billing is 12x the P&L in 3 of 3 months:
    that looks like yearly prices counted as monthly; in [inputs.contracts], give ..."
    """
    both = (value_a > 0) & (value_b > 0)
    ratio = (value_a[both] / value_b[both]).to_numpy(dtype=float)
    if len(ratio) < _SCALE_MONTHS:
        return None
    median = float(np.median(ratio))
    for scale, cause, fix in _SCALES:
        if scale == 12.0 and billing == "transactions":  # payments: a yearly one is cash, not a price
            continue
        near = np.abs(ratio / scale - 1) <= _SCALE_BAND
        if abs(median / scale - 1) <= _SCALE_BAND and near.mean() >= _SCALE_SHARE:
            times = (
                f"{median:,.0f}x" if median >= 10 else f"{median:.1f}x" if median >= 1 else f"1/{1 / median:,.0f} of"
            )
            return (
                f"Billing is {times} the P&L in {int(near.sum())} of {len(ratio)} months: that looks like "
                f"{cause}; {fix.format(billing=billing.split('+')[0])}."
            )
    return None


#: Won CRM amounts this many times the bookings of the same quarters are no definition
#: (ACV vs TCV makes the CRM side smaller, not larger: won deals are bookings) but a unit,
#: when most of at least :data:`_SCALE_MONTHS` quarters show it.
_CRM_UNIT_RATIO = 10.0


def crm_unit_hint(table: pd.DataFrame) -> Problem | None:
    """A warning when won opportunities add up to :data:`_CRM_UNIT_RATIO` times the contract
    bookings or more in most quarters: CRM amounts in cents read as units, which would make
    pipeline and deal size 100 times too large without a word. None otherwise.

    Examples
    --------
    Won 1,200,000 / 500,000 / 100,000 against bookings of 12,000 / 6,000 / 2,400: 100x, 83x
    and 42x in 3 of 3 quarters, median 83x: warned.
    """
    pair = table[(table["source_a"] == "opportunities") & (table["source_b"] == "contracts")]
    a, b = pair["value_a"].astype(float), pair["value_b"].astype(float)
    both = pair[(a > 0) & (b > 0)]
    ratio = both["value_a"].astype(float) / both["value_b"].astype(float)
    high = ratio >= _CRM_UNIT_RATIO
    if len(ratio) < _SCALE_MONTHS or high.mean() < _SCALE_SHARE:
        return None
    shown = ", ".join(f"{r.period} ({r.value_a:,.2f} vs {r.value_b:,.2f})" for r in both[high].head(5).itertuples())
    return Problem(
        f"Won opportunities add up to {ratio.median():,.0f}x the contract bookings (median) in "
        f"{int(high.sum())} of {len(ratio)} quarters: {shown}. Won deals are bookings, so the CRM amounts "
        'look like cents read as units: set amount_unit = "cents" in [inputs.opportunities] if they are '
        "(pipeline and deal size would be 100 times too large).",
        input="opportunities",
        column="amount",
        severity="warning",
    )


def warned_gaps(table: pd.DataFrame, threshold: float = GAP_WARNING) -> pd.DataFrame:
    """The rows validate warns of, largest first: gaps above ``threshold`` between sources
    that should agree (CRM amounts vs bookings differ by definition, ACV vs TCV: never)."""
    return gaps(table[table["source_b"] != "contracts"], threshold)


def reconciliation_problems(
    table: pd.DataFrame, reported: pd.DataFrame | None = None, threshold: float = GAP_WARNING, fiscal_start: int = 1
) -> list[Problem]:
    """Warnings for ``reportlib validate``: one per pair of sources that disagree by more than
    ``threshold`` (billing vs P&L, reported vs recomputed; CRM amounts vs bookings differ by
    definition, ACV vs TCV, so they are shown on the page only, unless they are a unit:
    :func:`crm_unit_hint`), and one per reported row whose KPI id or period cannot be
    reconciled."""
    out = [hint] if (hint := crm_unit_hint(table)) is not None else []
    warned = warned_gaps(table, threshold)
    for (a, b, kpi), group in warned.groupby(["source_a", "source_b", "kpi"], sort=False):
        shown = ", ".join(
            f"{r.period} ({r.value_a:,.2f} vs {r.value_b:,.2f}, {r.relative:+.1%})" for r in group.head(5).itertuples()
        )
        more = f" and {len(group) - 5} more" if len(group) > 5 else ""
        pair = table[(table["source_a"] == a) & (table["source_b"] == b) & (table["kpi"] == kpi)]
        hint = (
            scale_hint(pair["value_a"].astype(float), pair["value_b"].astype(float), a) if b == "financials" else None
        )
        out.append(
            Problem(
                f"{a} and {b} disagree on {kpi} by more than {threshold:.0%} in {len(group)} period(s): {shown}{more}."
                + (f" {hint}" if hint else ""),
                input=a,
                severity="warning",
            )
        )
    for r in reported.itertuples(index=False) if reported is not None else ():
        if r.kpi not in REGISTRY:
            out.append(
                Problem(
                    f"reported KPI '{r.kpi}' is not a KPI id of METRICS.md, so it is not reconciled.",
                    input="reported",
                    column="kpi",
                    severity="warning",
                )
            )
        elif report_window(r.period, fiscal_start) is None:
            out.append(
                Problem(
                    f"reported period '{r.period}' of {r.kpi} is not a month (2026-09), a "
                    "quarter (2026Q3) or a year (FY2026).",
                    input="reported",
                    column="period",
                    severity="warning",
                )
            )
    return out
