"""Monthly customer grids: contracts or transactions -> MRR, and the dense customer x month
array that movements, retention and cohorts are computed on.

METRICS.md "MRR from contracts": a contracted_recurring contract counts in month m when it
serves the last day of m, with its monthly value (TCV / L, or its mrr). When transactions are
the only revenue source, each customer's transaction total per month is its monthly value.

:func:`customer_months` turns an mrr frame into integer arrays (customers as codes in
sorted id order, so that results never depend on input row order; months as columns from
the first month): what the movements are computed from. The dense grid (:class:`MrrGrid`,
:func:`to_grid`) is the same data as a customer x month array, for callers that want one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from reportlib._codes import sorted_codes
from reportlib.metrics._dates import last_served_month, month_ordinals, service_length

__all__ = [
    "CustomerMonths",
    "MrrGrid",
    "contracts_to_mrr",
    "customer_months",
    "month_span",
    "months_index",
    "sorted_codes",
    "to_grid",
    "transactions_to_mrr",
]

MRR_COLUMNS = ["customer_id", "month", "mrr"]


# --------------------------------------------------------------------------- month helpers


def months_index(first: int, last: int) -> pd.PeriodIndex:
    """Monthly PeriodIndex for the ordinals ``first..last`` inclusive."""
    return pd.PeriodIndex.from_ordinals(np.arange(first, last + 1), freq="M")


def period_array(ordinals: np.ndarray) -> pd.arrays.PeriodArray:
    """A ``period[M]`` array from month ordinals (no per-element Python objects)."""
    return pd.arrays.PeriodArray(np.asarray(ordinals, dtype=np.int64), dtype=pd.PeriodDtype("M"))


def month_span(months: object) -> tuple[int, int] | None:
    """``(first, last)`` month ordinals of a months argument.

    Accepts ``None``, a ``(first, last)`` pair of periods / ``YYYY-MM`` strings, or any
    sequence of months (PeriodIndex, Series); returns ``None`` for ``None``.
    """
    if months is None:
        return None
    if isinstance(months, tuple) and len(months) == 2:
        first, last = (pd.Period(m, freq="M") for m in months)
        return first.ordinal, last.ordinal
    ords = month_ordinals(pd.Series(months) if not isinstance(months, pd.Series) else months)
    if len(ords) == 0:
        return None
    return int(ords.min()), int(ords.max())


# --------------------------------------------------------------------------- dense grid


@dataclass(frozen=True)
class MrrGrid:
    """Customer x month array of monthly values.

    Attributes
    ----------
    customers : pd.Index
        Customer ids of the rows, sorted.
    first : int
        Month ordinal of column 0 (``pd.Period(ordinal=first, freq="M")``).
    values : np.ndarray
        float64 array of shape (customers, months), stored month-major (a transposed view);
        a missing customer-month is 0.
    """

    customers: pd.Index
    first: int
    values: np.ndarray

    @property
    def n_months(self) -> int:
        return self.values.shape[1]

    @property
    def last(self) -> int:
        return self.first + self.n_months - 1

    @property
    def months(self) -> pd.PeriodIndex:
        return months_index(self.first, self.last)


@dataclass(frozen=True)
class CustomerMonths:
    """The customer-month rows of an mrr frame as integer arrays, in input order.

    Attributes
    ----------
    customers : pd.Index
        Sorted customer ids; ``cust`` indexes them.
    first, n_months : int
        Month ordinal of column 0 and the number of months spanned.
    cust, col : np.ndarray
        Customer code and month column (0 = ``first``) of each row inside the span.
    value : np.ndarray
        The row's value (float64; duplicates not yet summed).
    """

    customers: pd.Index
    first: int
    n_months: int
    cust: np.ndarray
    col: np.ndarray
    value: np.ndarray


def customer_months(mrr: pd.DataFrame, months: object = None, value: str = "mrr") -> CustomerMonths:
    """Integer codes of ``mrr``'s customers and months (see :func:`to_grid` for the
    parameters); rows outside the months are dropped."""
    ords = month_ordinals(mrr["month"])
    span = month_span(months)
    if span is None:
        span = (int(ords.min()), int(ords.max())) if len(ords) else (0, -1)
    first, last = span
    keep = (ords >= first) & (ords <= last)
    frame, ords = (mrr, ords) if keep.all() else (mrr.loc[keep], ords[keep])
    codes, customers = sorted_codes(frame["customer_id"])
    return CustomerMonths(
        customers,
        first,
        max(last - first + 1, 0),
        codes,
        ords - first,
        frame[value].to_numpy(dtype=np.float64),
    )


def to_grid(mrr: pd.DataFrame, months: object = None, value: str = "mrr") -> MrrGrid:
    """Dense customer x month grid of ``mrr[value]`` (duplicate customer-months are summed).

    Parameters
    ----------
    mrr : DataFrame
        ``customer_id``, ``month`` (``period[M]``, or anything :func:`month_ordinals`
        reads) and ``value``.
    months : optional
        The months the grid spans (``(first, last)`` or a sequence of months). Default: the
        first to the last month present. Rows outside are ignored.
    value : str
        The column to place in the grid.
    """
    cm = customer_months(mrr, months, value)
    n = len(cm.customers)
    # month-major cells: ``values`` is the (customers, months) view of it
    flat = cm.col * n + cm.cust
    # bincount sums duplicates and is far faster than a pivot or np.add.at
    values = np.bincount(flat, weights=cm.value, minlength=n * cm.n_months)
    return MrrGrid(cm.customers, cm.first, values.reshape(cm.n_months, n).T)


# --------------------------------------------------------------------------- contracts -> mrr


def contracts_to_mrr(
    contracts: pd.DataFrame,
    *,
    include_uncontracted: bool = False,
    months: object = None,
    transactions: pd.DataFrame | None = None,
    through: pd.Period | None = None,
) -> pd.DataFrame:
    """Monthly recurring revenue per customer-month from contracts.

    A contracted_recurring contract counts in month m when it serves the last day of m, with
    its monthly value TCV / L (L = service length in months, partial months counted) or its
    ``mrr``. Values are summed per customer-month.

    Parameters
    ----------
    contracts : DataFrame
        Canonical contracts frame (inclusive ``end_date``; NaT = open-ended).
    include_uncontracted : bool
        Policy ``mrr_includes_uncontracted``: also count uncontracted_recurring lines and,
        when given, ``transactions``.
    months : optional
        ``(first, last)`` or a sequence of months: the horizon for open-ended contracts and
        the months returned. Default: first start month to the last month any contract is
        known to serve (latest end, start or signed month), or ``through`` when later.
    transactions : DataFrame, optional
        Added (as :func:`transactions_to_mrr`) when ``include_uncontracted``.
    through : Period, optional
        Without ``months``: the month open-ended contracts are followed to when it is later
        than every date of the export (a report month after the latest signature, see
        :func:`~reportlib.metrics.contracts.open_ended_through`).

    Returns
    -------
    DataFrame
        ``customer_id, month, mrr`` sorted by customer then month, ``mrr > 0``.
    """
    types = ["contracted_recurring"] + (["uncontracted_recurring"] if include_uncontracted else [])
    c = contracts.loc[contracts["revenue_type"].isin(types)]
    span = month_span(months) or _default_contract_span(contracts, through)
    if not (include_uncontracted and transactions is not None and len(transactions)):
        summed = _contract_customer_months(c, span)
        if summed is not None:
            return summed
    parts = [_contract_month_values(c, span)]
    if include_uncontracted and transactions is not None and len(transactions):
        t = transactions_to_mrr(transactions)
        if span is not None:
            o = month_ordinals(t["month"])
            t = t.loc[(o >= span[0]) & (o <= span[1])]
        parts.append(t)
    return _sum_customer_months(pd.concat(parts, ignore_index=True))


def _default_contract_span(contracts: pd.DataFrame, through: pd.Period | None = None) -> tuple[int, int] | None:
    if len(contracts) == 0:
        return None
    cols = [contracts[c] for c in ("start_date", "end_date", "signed_date") if c in contracts]
    dates = pd.concat(cols).dropna()
    last = int(month_ordinals(dates).max())
    start = month_ordinals(contracts["start_date"].dropna())
    return int(start.min()), last if through is None else max(last, pd.Period(through, freq="M").ordinal)


def monthly_value(contracts: pd.DataFrame) -> np.ndarray:
    """Monthly value of each contract: ``mrr`` when given, else TCV / L."""
    mrr = contracts["mrr"].to_numpy(dtype=np.float64) if "mrr" in contracts else np.full(len(contracts), np.nan)
    tcv = contracts["tcv"].to_numpy(dtype=np.float64) if "tcv" in contracts else np.full(len(contracts), np.nan)
    length = service_length(contracts["start_date"], contracts["end_date"])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(np.isnan(mrr), tcv / length, mrr)


def _served_months(c: pd.DataFrame, span: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(contract row, month ordinal) of every month inside ``span`` each contract serves on
    its last day."""
    first = np.maximum(month_ordinals(c["start_date"]), span[0])
    last = np.minimum(last_served_month(c["end_date"], horizon=span[1]), span[1])
    n = np.clip(last - first + 1, 0, None)
    rows = np.repeat(np.arange(len(c)), n)
    # month of each expanded row = first month of its contract + its position in the run
    offsets = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    return rows, first[rows] + offsets


def _contract_month_values(c: pd.DataFrame, span: tuple[int, int] | None) -> pd.DataFrame:
    """customer_id, month, mrr rows of the months each contract serves on the last day."""
    if len(c) == 0 or span is None:
        return pd.DataFrame(
            {
                "customer_id": pd.Series([], dtype="string"),
                "month": pd.Series([], dtype="period[M]"),
                "mrr": pd.Series([], dtype="float64"),
            }
        )
    rows, months = _served_months(c, span)
    return pd.DataFrame(
        {
            "customer_id": pd.array(c["customer_id"], dtype="string").take(rows),  # Arrow text, no Python strings
            "month": period_array(months),
            "mrr": monthly_value(c)[rows],
        }
    )


def _contract_customer_months(c: pd.DataFrame, span: tuple[int, int] | None) -> pd.DataFrame | None:
    """:func:`_sum_customer_months` of :func:`_contract_month_values`, on the contracts'
    customer codes: the months are expanded as codes, never as customer id text taken per
    month and hashed again (most of a small company's grid). None when a customer id is
    missing (the text path says so where it matters)."""
    if len(c) == 0 or span is None:
        return _sum_customer_months(_contract_month_values(c, span))
    try:
        codes, customers = sorted_codes(c["customer_id"])
    except ValueError:
        return None
    rows, months = _served_months(c, span)
    if not len(rows):
        return _sum_customer_months(_contract_month_values(c, span))
    return _summed(codes[rows], customers, months, monthly_value(c)[rows])


# --------------------------------------------------------------------------- transactions


def transactions_to_mrr(transactions: pd.DataFrame) -> pd.DataFrame:
    """Each customer's transaction total per month, as its monthly value.

    A month whose transactions net to zero or less (refunds) makes the customer inactive
    that month: MRR is never negative, and a net refund is not recurring revenue.

    Returns
    -------
    DataFrame
        ``customer_id, month, mrr`` sorted by customer then month, ``mrr > 0``.
    """
    frame = pd.DataFrame(
        {
            "customer_id": transactions["customer_id"].to_numpy(),
            "month": period_array(month_ordinals(transactions["date"])),
            "mrr": transactions["amount"].to_numpy(dtype=np.float64),
        }
    )
    return _sum_customer_months(frame)


def _sum_customer_months(frame: pd.DataFrame) -> pd.DataFrame:
    """Sum ``mrr`` per customer-month, drop non-positive months, sort by customer, month."""
    if len(frame) == 0:
        return pd.DataFrame(
            {
                "customer_id": pd.Series([], dtype="string"),
                "month": pd.Series([], dtype="period[M]"),
                "mrr": pd.Series([], dtype="float64"),
            }
        )
    codes, customers = sorted_codes(frame["customer_id"])
    return _summed(codes, customers, month_ordinals(frame["month"]), frame["mrr"].to_numpy(dtype=np.float64))


def _summed(codes: np.ndarray, customers: pd.Index, ords: np.ndarray, mrr: np.ndarray) -> pd.DataFrame:
    """Rows (customer code, month ordinal, value) summed per customer-month in row order,
    the non-positive months dropped, sorted by customer then month."""
    first = int(ords.min())
    n_months = int(ords.max()) - first + 1
    key = codes * n_months + (ords - first)
    uniq, inv = np.unique(key, return_inverse=True)
    total = np.bincount(inv, weights=mrr)
    keep = total > 0
    uniq, total = uniq[keep], total[keep]
    out = pd.DataFrame(
        {
            "customer_id": pd.array(customers, dtype="string").take(uniq // n_months),
            "month": period_array(first + uniq % n_months),
            "mrr": total,
        }
    )
    return out
