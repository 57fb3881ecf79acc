"""Contracts: service periods, recognized revenue, bookings, billings, deferred revenue,
contract ARR, CARR and revenue tiers (METRICS.md "Contracts").

Conventions (canonical contracts frame, docs/architecture.md): ``end_date`` is inclusive
(NaT = open-ended), ``signed_date`` is filled from ``start_date``, a contract carries either
``tcv`` or ``mrr``.

- Service length L: whole months plus each partial month as days served / days in month.
- Revenue of month m: TCV x (fraction of m served) / L; mrr-given: mrr x fraction served;
  a one-off line without an end date: all of it in its start month.
- Invoices in advance on start_date, then every 1 / 3 / 12 months. Each full invoice covers
  1 / 3 / 12 months (TCV x months / L, or mrr x months); the last one covers what is left of
  L, so a contract's invoices always sum to its TCV. ``upfront`` is one invoice of TCV.
  An open-ended mrr contract billed ``upfront`` is invoiced annually (there is no total).
- Bookings: TCV on signed_date; mrr-given books 12 x mrr.
- Contract ARR at M: contracted_recurring contracts serving the last day of M, 12 x TCV / L
  or 12 x mrr. CARR = ARR + the same annual value of contracts signed on or before M that
  start after M.

Contracts are few (thousands) next to customer-months, but everything is still vectorised:
each contract expands to its months with ``np.repeat``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numpy as np
import pandas as pd

from reportlib.metrics._dates import (
    day_dates,
    day_of_month,
    days_in_month,
    last_served_month,
    month_ordinals,
    month_start,
    service_length,
)
from reportlib.metrics._values import Blank, Value, safe_ratio
from reportlib.metrics.grid import month_span, months_index, period_array
from reportlib.metrics.periods import Window, before_the_data, first_month, months_text

__all__ = [
    "REVENUE_BRIDGE_COLUMNS",
    "TIER_COLUMNS",
    "bookings",
    "ContractHistory",
    "contract_arr",
    "contract_history",
    "contract_kpis",
    "invoices",
    "open_ended_through",
    "recognized_revenue",
    "revenue_bridge",
    "revenue_tiers",
    "service_months",
]

REVENUE_BRIDGE_COLUMNS = ["month", "bookings", "billings", "revenue", "deferred_revenue", "arr", "carr"]
BRIDGE_COLUMNS = REVENUE_BRIDGE_COLUMNS
TIERS = ["contracted_recurring", "uncontracted_recurring", "one_off"]
TIER_COLUMNS = ["month", *TIERS, "total", "recurring_share"]
STEP = {"monthly": 1, "quarterly": 3, "annual": 12}
_EPS = 1e-9  # tolerance on L / step when counting invoices (L is a float)


# --------------------------------------------------------------------------- contract arrays


@dataclass(frozen=True)
class _C:
    """Numpy view of a contracts frame (the masks worked out once, on first use)."""

    frame: pd.DataFrame
    start: np.ndarray  # datetime64[D]
    end: np.ndarray  # datetime64[D], NaT = open-ended
    signed: np.ndarray  # datetime64[D]
    tcv: np.ndarray
    mrr: np.ndarray
    length: np.ndarray  # L in months, NaN when open-ended

    @property
    def n(self) -> int:
        return len(self.start)

    @cached_property
    def by_mrr(self) -> np.ndarray:
        return ~np.isnan(self.mrr)

    @cached_property
    def open_ended(self) -> np.ndarray:
        return np.isnat(self.end)

    @cached_property
    def one_off_point(self) -> np.ndarray:
        """One-off lines without an end date: all revenue in the start month."""
        return (self.frame["revenue_type"].to_numpy() == "one_off") & self.open_ended

    @property
    def monthly_value(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.by_mrr, self.mrr, self.tcv / self.length)

    @property
    def annual_value(self) -> np.ndarray:
        return 12.0 * self.monthly_value

    def col(self, name: str) -> np.ndarray:
        return self.frame[name].to_numpy()


def _prep(contracts: pd.DataFrame) -> _C:
    frame = contracts.reset_index(drop=True)
    n = len(frame)
    start = day_dates(frame["start_date"])
    end = day_dates(frame["end_date"]) if "end_date" in frame else np.full(n, np.datetime64("NaT"), "datetime64[D]")
    signed = day_dates(frame["signed_date"]) if "signed_date" in frame else start
    signed = np.where(np.isnat(signed), start, signed)
    num = {k: frame[k].to_numpy(dtype=np.float64) if k in frame else np.full(n, np.nan) for k in ("tcv", "mrr")}
    c = _C(frame, start, end, signed, num["tcv"], num["mrr"], service_length(frame["start_date"], pd.Series(end)))
    bad = c.open_ended & ~c.by_mrr & ~c.one_off_point
    if bad.any():
        ids = ", ".join(map(str, frame.loc[bad, "contract_id"].head(5)))
        raise ValueError(f"contracts given by tcv need an end date to spread revenue: {ids}")
    return c


def service_months(contracts: pd.DataFrame) -> pd.Series:
    """Service length L of each contract in months (partial months as days served / days
    in month; NaN when open-ended). 2026-01-01..2026-12-31 has L = 12."""
    return pd.Series(
        service_length(contracts["start_date"], contracts["end_date"]), index=contracts.index, name="service_months"
    )


def _first_month(c: _C) -> int:
    """Earliest month any contract starts or is signed."""
    return int(np.concatenate([c.start, c.signed]).astype("datetime64[M]").astype(np.int64).min())


def _default_horizon(c: _C) -> int:
    """Latest month any contract is known to reach (end, start or signed)."""
    dates = np.concatenate([c.start, c.signed, c.end[~np.isnat(c.end)]])
    return int(dates.astype("datetime64[M]").astype(np.int64).max())


def _expand(first: np.ndarray, last: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(contract row, month ordinal) of every month first..last of every contract."""
    n = np.clip(last - first + 1, 0, None)
    rows = np.repeat(np.arange(len(first)), n)
    offsets = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    return rows, first[rows] + offsets


def _meta(c: _C, rows: np.ndarray) -> dict[str, pd.api.extensions.ExtensionArray]:
    # Text once per contract, then taken per row: converting the rows' Python strings one
    # by one cost more than the revenue arithmetic on a small company.
    return {
        name: pd.array(c.frame[name], dtype="string").take(rows)
        for name in ("customer_id", "contract_id", "revenue_type")
    }


# --------------------------------------------------------------------------- revenue


def recognized_revenue(contracts: pd.DataFrame, *, until: object = None) -> pd.DataFrame:
    """Recognized revenue of every contract in every month it serves.

    Parameters
    ----------
    contracts : DataFrame
        Canonical contracts frame.
    until : month, optional
        Horizon for open-ended (mrr-given) contracts: recognised up to this month. Default:
        the latest start, signed or end month of any contract. Finite contracts are never cut.

    Returns
    -------
    DataFrame
        ``month, customer_id, contract_id, revenue_type, revenue``.
    """
    return _recognized(_prep(contracts), until)


def _recognized(c: _C, until: object) -> pd.DataFrame:
    if c.n == 0:
        return _empty_revenue()
    horizon = _horizon(c, until)
    point = c.one_off_point
    ms = c.start.astype("datetime64[M]").astype(np.int64)
    me = np.where(c.open_ended, horizon, c.end.astype("datetime64[M]").astype(np.int64))
    me = np.where(point, ms, me)
    rows, months = _expand(ms, me)
    m_start = month_start(months)
    m_end = month_start(months + 1) - 1
    end = np.where(c.open_ended[rows], m_end, c.end[rows])
    served = (np.minimum(end, m_end) - np.maximum(c.start[rows], m_start)).astype(np.int64) + 1
    frac = served / days_in_month(months)
    with np.errstate(invalid="ignore", divide="ignore"):
        revenue = np.where(c.by_mrr[rows], c.mrr[rows] * frac, c.tcv[rows] * frac / c.length[rows])
    whole = np.where(np.isnan(c.tcv), c.mrr, c.tcv)
    revenue = np.where(point[rows], whole[rows], revenue)
    return pd.DataFrame({"month": period_array(months), **_meta(c, rows), "revenue": revenue})


def _horizon(c: _C, until: object) -> int:
    return pd.Period(until, freq="M").ordinal if until is not None else _default_horizon(c)


def _empty_revenue() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "month": pd.Series([], dtype="period[M]"),
            "customer_id": pd.Series([], dtype="string"),
            "contract_id": pd.Series([], dtype="string"),
            "revenue_type": pd.Series([], dtype="string"),
            "revenue": pd.Series([], dtype="float64"),
        }
    )


# --------------------------------------------------------------------------- invoices


def invoices(contracts: pd.DataFrame, until: object = None) -> pd.DataFrame:
    """Billing schedule: invoices in advance, dated up to the end of ``until``.

    Parameters
    ----------
    contracts : DataFrame
        Canonical contracts frame (``billing`` in monthly, quarterly, annual, upfront;
        missing = monthly).
    until : month, optional
        Last month of invoices returned (and horizon of open-ended contracts). Default: the
        latest start, signed or end month of any contract.

    Returns
    -------
    DataFrame
        ``date, month, customer_id, contract_id, revenue_type, amount``.
    """
    return _invoices(_prep(contracts), until)


def _invoices(c: _C, until: object) -> pd.DataFrame:
    if c.n == 0:
        return _empty_invoices()
    rows, months, dates, amount = _invoice_schedule(c, until)
    return pd.DataFrame(
        {
            "date": pd.to_datetime(dates).astype("datetime64[ns]"),
            "month": period_array(months),
            **_meta(c, rows),
            "amount": amount,
        }
    )


def _invoice_schedule(c: _C, until: object) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Contract row, month ordinal, date and amount of every invoice of :func:`invoices`
    (``c.n`` > 0): the bridge sums the amounts by month without the table around them."""
    horizon = _horizon(c, until)
    billing = (
        c.frame["billing"].fillna("monthly").to_numpy()
        if "billing" in c.frame
        else np.full(c.n, "monthly", dtype=object)
    )
    upfront = billing == "upfront"
    # open-ended upfront contracts have no total to bill: invoice them annually
    step = pd.Series(billing).map({**STEP, "upfront": 12}).fillna(1).to_numpy(dtype=np.int64)
    ms = c.start.astype("datetime64[M]").astype(np.int64)
    finite = ~c.open_ended
    # invoices per contract: ceil(L / step), one for upfront, open-ended up to the horizon
    with np.errstate(invalid="ignore"):
        n_fin = np.ceil(np.nan_to_num(c.length) / step - _EPS).astype(np.int64)
    n_open = np.where(horizon >= ms, (horizon - ms) // step + 1, 0)
    n = np.where(finite, np.where(upfront, 1, np.maximum(n_fin, 1)), n_open)
    n = np.where(c.one_off_point, 1, n)
    rows = np.repeat(np.arange(c.n), n)
    k = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    covered = _covered(c, rows, k, n, step, upfront, finite)
    with np.errstate(invalid="ignore", divide="ignore"):
        amount = np.where(c.by_mrr[rows], c.mrr[rows] * covered, c.tcv[rows] * (covered / c.length[rows]))
    whole = np.where(np.isnan(c.tcv), c.mrr, c.tcv)
    amount = np.where(c.one_off_point[rows], whole[rows], amount)
    months = ms[rows] + k * step[rows]
    day = np.minimum(day_of_month(c.start[rows]), days_in_month(months))
    dates = month_start(months) + (day - 1)
    keep = months <= horizon
    return rows[keep], months[keep], dates[keep], amount[keep]


def _covered(c: _C, rows, k, n, step, upfront, finite) -> np.ndarray:
    """Months covered by invoice k: a full step, except the last invoice of a finite
    contract, which covers the remainder of L (L itself for upfront)."""
    step_r = step[rows].astype(np.float64)
    last = (k == n[rows] - 1) & finite[rows]
    remainder = c.length[rows] - (n[rows] - 1) * step_r
    covered = np.where(last, remainder, step_r)
    return np.where(upfront[rows] & finite[rows], c.length[rows], covered)


def _empty_invoices() -> pd.DataFrame:
    frame = _empty_revenue().rename(columns={"revenue": "amount"})
    frame.insert(0, "date", pd.Series([], dtype="datetime64[ns]"))
    return frame


# --------------------------------------------------------------------------- bookings, ARR


def bookings(contracts: pd.DataFrame) -> pd.DataFrame:
    """Bookings of each contract on its signed date: TCV, or 12 x mrr when given as mrr.

    Returns
    -------
    DataFrame
        ``signed_date, month, customer_id, contract_id, revenue_type, bookings``.
    """
    return _bookings(_prep(contracts))


def _bookings(c: _C) -> pd.DataFrame:
    rows = np.arange(c.n)
    months, value = _booked(c)
    return pd.DataFrame(
        {
            "signed_date": pd.to_datetime(c.signed).astype("datetime64[ns]"),
            "month": period_array(months),
            **_meta(c, rows),
            "bookings": value,
        }
    )


def _booked(c: _C) -> tuple[np.ndarray, np.ndarray]:
    """Signed month ordinal and booking value of each contract (:func:`bookings`)."""
    return c.signed.astype("datetime64[M]").astype(np.int64), np.where(c.by_mrr, 12.0 * c.mrr, c.tcv)


def contract_arr(contracts: pd.DataFrame, months: object) -> pd.DataFrame:
    """Contract ARR and CARR at the end of each month.

    Parameters
    ----------
    contracts : DataFrame
        Canonical contracts frame; only contracted_recurring lines count.
    months : ``(first, last)`` or a sequence of months

    Returns
    -------
    DataFrame
        ``month, arr, carr``. ARR: contracts serving the last day of the month, 12 x TCV / L
        (or 12 x mrr). CARR: ARR + annual value of contracts signed on or before the month
        that start after it. A signed renewal *replaces* what it renews: a contract whose
        customer has signed another one starting after it ends drops out of CARR once that
        renewal is signed, so an early renewal is not double-counted (CARR = what the
        customers will pay once everything signed is live).
    """
    first, last = month_span(months)
    t = last - first + 1
    cr = contracts.loc[contracts["revenue_type"] == "contracted_recurring"]
    c = _prep(cr)
    arr = np.zeros(t)
    carr_extra = np.zeros(t)
    if c.n:
        value = c.annual_value
        ms = c.start.astype("datetime64[M]").astype(np.int64)
        served_last = last_served_month(pd.Series(c.end), horizon=last)
        arr = _sum_runs(value, np.maximum(ms, first), np.minimum(served_last, last), first, t)
        signed_m = c.signed.astype("datetime64[M]").astype(np.int64)
        carr_extra = _sum_runs(value, np.maximum(signed_m, first), np.minimum(ms - 1, last), first, t)
        known = np.minimum(signed_m, ms)  # signed (or live) from this month on
        # customers as integer codes (missing = -1, still equal to each other): a faster join than text
        customer = pd.factorize(cr["customer_id"])[0]
        carr_extra -= _replaced_by_renewals(c, customer, value, known, served_last, first, t)
    return pd.DataFrame({"month": months_index(first, last), "arr": arr, "carr": arr + carr_extra})


def _replaced_by_renewals(
    c: _C, customer: np.ndarray, value: np.ndarray, known: np.ndarray, served_last: np.ndarray, origin: int, t: int
) -> np.ndarray:
    """Per month, the annual value of signed contracts that another signed contract of the
    same customer follows (it starts after they end): the renewal's value replaces theirs."""
    idx = np.arange(c.n)
    ends = ~np.isnat(c.end)
    pairs = pd.DataFrame({"customer": customer[ends], "i": idx[ends]}).merge(
        pd.DataFrame({"customer": customer, "j": idx}), on="customer"
    )
    i, j = pairs["i"].to_numpy(), pairs["j"].to_numpy()
    follows = c.start[j] > c.end[i]
    i, j = i[follows], j[follows]
    # both are known from the later signature until the earlier contract's last month
    lo = np.maximum(np.maximum(known[i], known[j]), origin)
    hi = np.minimum(served_last[i], origin + t - 1)
    rows, months = _expand(lo, hi)
    # a contract followed by two signed contracts (renewal + add-on) is replaced once
    once = pd.DataFrame({"i": i[rows], "m": months}).drop_duplicates()
    return np.bincount(once["m"].to_numpy() - origin, weights=value[once["i"].to_numpy()], minlength=t)[:t]


def _sum_runs(value: np.ndarray, first: np.ndarray, last: np.ndarray, origin: int, t: int) -> np.ndarray:
    """Per month, the sum of ``value`` over contracts whose run first..last covers it.
    (Expanding and summing, rather than a difference-array cumsum, keeps months after every
    run ends at exactly zero.)"""
    rows, months = _expand(first, last)
    return np.bincount(months - origin, weights=value[rows], minlength=t)[:t]


# --------------------------------------------------------------------------- monthly totals


def _monthly(values: pd.Series, months: pd.Series, first: int, t: int) -> np.ndarray:
    """Sum of ``values`` per month ordinal first..first+t-1; earlier months go to bucket 0
    when ``first`` is the start of a cumulative range (caller's choice), later ones dropped."""
    return _by_month(values.to_numpy(dtype=np.float64), month_ordinals(months), first, t)


def _by_month(values: np.ndarray, ordinals: np.ndarray, first: int, t: int) -> np.ndarray:
    """:func:`_monthly` of arrays: float values and their month ordinals."""
    ords = ordinals - first
    keep = (ords >= 0) & (ords < t)
    return np.bincount(ords[keep], weights=values[keep], minlength=t)


def _transactions_monthly(transactions: pd.DataFrame | None, first: int, t: int) -> np.ndarray:
    if transactions is None or len(transactions) == 0:
        return np.zeros(t)
    return _monthly(transactions["amount"], transactions["date"], first, t)


def revenue_bridge(
    contracts: pd.DataFrame, months: object = None, *, transactions: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Bookings, billings, revenue, deferred revenue, ARR and CARR per month.

    Parameters
    ----------
    contracts : DataFrame
        Canonical contracts frame.
    months : ``(first, last)`` or a sequence of months, optional
        Months reported. Default: first start or signed month to the latest month any
        contract reaches. Deferred revenue always counts from the first contract.
    transactions : DataFrame, optional
        Uncontracted revenue, billed and recognised when it happens: added to billings and
        revenue alike (deferred revenue unchanged).

    Returns
    -------
    DataFrame
        Exactly ``month, bookings, billings, revenue, deferred_revenue, arr, carr``.
    """
    return _bridge(contracts, _prep(contracts), months, transactions)


def _bridge(
    contracts: pd.DataFrame,
    c: _C,
    months: object,
    transactions: pd.DataFrame | None,
    rev: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """:func:`revenue_bridge` of the prepared ``c`` (``rev``: its recognised revenue up to
    the last month, when the caller has it already)."""
    span = month_span(months)
    if span is None:
        if c.n == 0:
            return pd.DataFrame({k: pd.Series([], dtype="float64") for k in BRIDGE_COLUMNS})
        span = (_first_month(c), _default_horizon(c))
    first, last = span
    # cumulative figures need every month from the earliest contract on
    origin = first
    if c.n:
        origin = min(first, _first_month(c))
    t = last - origin + 1
    if rev is None:
        rev = _recognized(c, pd.Period(ordinal=last, freq="M"))
    tx = _transactions_monthly(transactions, origin, t)
    revenue = _monthly(rev["revenue"], rev["month"], origin, t) + tx
    # invoices and bookings summed by month from their arrays: their tables (dates, ids and
    # types taken per invoice) are not needed here
    billed, booked = np.zeros(t), np.zeros(t)
    if c.n:
        _, months, _, amount = _invoice_schedule(c, pd.Period(ordinal=last, freq="M"))
        billed = _by_month(amount.astype(np.float64, copy=False), months, origin, t)
        signed, value = _booked(c)
        booked = _by_month(value, signed, origin, t)
    billings = billed + tx
    # round away float noise of the running difference (a settled contract shows 0, not -7e-12)
    deferred = np.round(np.cumsum(billings) - np.cumsum(revenue), 6) + 0.0
    arr = contract_arr(contracts, (pd.Period(ordinal=origin, freq="M"), pd.Period(ordinal=last, freq="M")))
    sel = slice(first - origin, t)
    return pd.DataFrame(
        {
            "month": months_index(first, last),
            "bookings": booked[sel],
            "billings": billings[sel],
            "revenue": revenue[sel],
            "deferred_revenue": deferred[sel],
            "arr": arr["arr"].to_numpy()[sel],
            "carr": arr["carr"].to_numpy()[sel],
        }
    )[BRIDGE_COLUMNS]


# --------------------------------------------------------------------------- tiers


def revenue_tiers(
    contracts: pd.DataFrame | None = None,
    transactions: pd.DataFrame | None = None,
    financials: pd.DataFrame | None = None,
    months: object = None,
) -> pd.DataFrame:
    """Recognized revenue per tier and month, with the recurring share.

    From contracts (by ``revenue_type``) plus transactions (uncontracted recurring) when
    either is given; otherwise from the financials' ``revenue_*`` columns (a missing tier
    column is 0; with none of them the tiers are NaN and ``total`` is ``revenue``).

    Returns
    -------
    DataFrame
        ``month, contracted_recurring, uncontracted_recurring, one_off, total,
        recurring_share`` (NaN when total is 0).
    """
    return _tiers(contracts, transactions, financials, months)


def _tiers(contracts, transactions, financials, months, rev: pd.DataFrame | None = None) -> pd.DataFrame:
    """:func:`revenue_tiers`, with the contracts' recognised revenue ``rev`` when the caller has it."""
    has_contracts = contracts is not None and len(contracts) > 0
    has_tx = transactions is not None and len(transactions) > 0
    if has_contracts or has_tx:
        table = _tiers_from_sources(contracts if has_contracts else None, transactions if has_tx else None, months, rev)
    elif financials is not None and len(financials):
        table = _tiers_from_financials(financials, months)
    else:
        return pd.DataFrame({k: pd.Series([], dtype="float64") for k in TIER_COLUMNS})
    with np.errstate(invalid="ignore", divide="ignore"):
        recurring = table["contracted_recurring"] + table["uncontracted_recurring"]
        table["recurring_share"] = np.where(table["total"] != 0, recurring / table["total"], np.nan)
    return table[TIER_COLUMNS]


def _tiers_from_sources(contracts, transactions, months, rev: pd.DataFrame | None = None) -> pd.DataFrame:
    span = month_span(months)
    until = pd.Period(ordinal=span[1], freq="M") if span else None
    parts = []
    if contracts is not None:
        if rev is None:
            rev = recognized_revenue(contracts, until=until)
        parts.append(pd.DataFrame({"month": rev["month"], "tier": rev["revenue_type"], "revenue": rev["revenue"]}))
    if transactions is not None:
        parts.append(
            pd.DataFrame(
                {
                    "month": period_array(month_ordinals(transactions["date"])),
                    "tier": "uncontracted_recurring",
                    "revenue": transactions["amount"].to_numpy(dtype=np.float64),
                }
            )
        )
    long = pd.concat(parts, ignore_index=True)
    ords = month_ordinals(long["month"])
    if span is None:
        span = (int(ords.min()), int(ords.max()))
    first, last = span
    t = last - first + 1
    table = pd.DataFrame({"month": months_index(first, last)})
    for tier in TIERS:
        sel = (long["tier"] == tier).to_numpy()
        table[tier] = _monthly(long["revenue"][sel], long["month"][sel], first, t)
    table["total"] = table[TIERS].sum(axis=1)
    return table


def _tiers_from_financials(financials: pd.DataFrame, months) -> pd.DataFrame:
    fin = financials.sort_values("month")
    span = month_span(months)
    if span is not None:
        o = month_ordinals(fin["month"])
        fin = fin.loc[(o >= span[0]) & (o <= span[1])]
    table = pd.DataFrame({"month": pd.PeriodIndex(fin["month"], freq="M")})
    cols = [f"revenue_{t}" for t in TIERS]
    present = [c for c in cols if c in fin]
    for tier, col in zip(TIERS, cols, strict=False):
        if present:
            table[tier] = fin[col].to_numpy(dtype=np.float64) if col in fin else 0.0
        else:
            table[tier] = np.nan
    table["total"] = table[TIERS].sum(axis=1) if present else fin["revenue"].to_numpy(dtype=np.float64)
    return table.reset_index(drop=True)


# --------------------------------------------------------------------------- KPIs

CONTRACT_KPIS = [
    "bookings",
    "billings",
    "revenue",
    "deferred_revenue",
    "contract_arr",
    "carr",
    "revenue_share_contracted_recurring",
    "revenue_share_uncontracted_recurring",
    "revenue_share_one_off",
]


def data_start(contracts: pd.DataFrame | None, transactions: pd.DataFrame | None = None) -> pd.Period | None:
    """The first month of contract or transaction data: the earliest signature, start or
    transaction date; ``None`` without either input."""
    columns = []
    if contracts is not None:
        columns += [contracts[c] for c in ("signed_date", "start_date") if c in contracts]
    if transactions is not None:
        columns.append(transactions["date"])
    return first_month(*columns)


class ContractHistory(NamedTuple):
    """The monthly revenue bridge and revenue tiers of a contracts frame, computed once for
    every window a run asks for (:func:`contract_history`)."""

    bridge: pd.DataFrame  # revenue_bridge(contracts, transactions=...)
    tiers: pd.DataFrame  # revenue_tiers(contracts, transactions)

    def months(self, first: pd.Period, last: pd.Period) -> tuple[pd.DataFrame, pd.DataFrame] | None:
        """Months first..last of the bridge and of the tiers, or None when either does not
        hold them all."""
        bridge, tiers = _rows(self.bridge, first, last), _rows(self.tiers, first, last)
        return None if bridge is None or tiers is None else (bridge, tiers)


def _rows(table: pd.DataFrame, first: pd.Period, last: pd.Period) -> pd.DataFrame | None:
    if table.empty:
        return None
    start = month_ordinals(table["month"])[0]
    lo, hi = first.ordinal - start, last.ordinal - start
    return table.iloc[lo : hi + 1] if 0 <= lo <= hi < len(table) else None


def contract_history(
    contracts: pd.DataFrame, transactions: pd.DataFrame | None = None, *, through: pd.Period | None = None
) -> ContractHistory:
    """:func:`revenue_bridge` and :func:`revenue_tiers` of non-empty ``contracts`` over all
    their months, from one preparation and one recognised-revenue expansion.

    A month's figures do not depend on how far the bridge runs (open-ended contracts are
    recognised, billed and counted in ARR up to the horizon; every sum runs month by month
    from the first contract), so :func:`contract_kpis` reads any window inside it: the same
    numbers as a bridge of that window alone, at a third of the cost of three windows.
    ``through`` (:func:`open_ended_through`): run open-ended contracts to this month when it
    is later than every date of the export.
    """
    c = _prep(contracts)
    months = None
    if through is not None and pd.Period(through, freq="M").ordinal > _default_horizon(c):
        months = (pd.Period(ordinal=_first_month(c), freq="M"), pd.Period(through, freq="M"))
    rev = _recognized(c, None if months is None else through)
    return ContractHistory(
        _bridge(contracts, c, months, transactions, rev), _tiers(contracts, transactions, None, None, rev)
    )


def open_ended_through(contracts: pd.DataFrame | None, as_of: pd.Period) -> pd.Period | None:
    """``as_of`` when it is later than every date of the contracts (start, signed, end) and
    some contract is open-ended, else None.

    A report month after the latest signature is allowed (the export is as of that
    signature; open-ended contracts go on serving): their MRR, ARR, recognised revenue and
    billings then run to the report month, not stop at the export's last date and read 0.
    """
    if contracts is None or not len(contracts) or not contracts["end_date"].isna().any():
        return None
    dates = pd.concat([contracts[c] for c in ("start_date", "signed_date", "end_date") if c in contracts]).dropna()
    latest = dates.max().to_period("M")
    return pd.Period(as_of, freq="M") if pd.Period(as_of, freq="M") > latest else None


def contract_kpis(
    contracts: pd.DataFrame | None,
    window: Window,
    transactions: pd.DataFrame | None = None,
    financials: pd.DataFrame | None = None,
    *,
    history: ContractHistory | None = None,
) -> dict[str, Value]:
    """Contract KPIs over the window P (ids of METRICS.md "Contracts").

    ``revenue`` is recognized revenue over P from contracts plus transactions (else the
    financials' revenue); ``deferred_revenue``, ``contract_arr`` and ``carr`` are at M.
    Tier shares: each tier's revenue over P / total revenue over P. ``history``: the
    contracts' :func:`contract_history`, read where it holds the window's months (a run
    asks for several windows of the same contracts).
    """
    as_of, w = pd.Period(window.as_of, freq="M"), window.months
    p_first = as_of - (w - 1)
    has_contracts = contracts is not None and len(contracts) > 0
    first = data_start(contracts, transactions)
    if (blank := before_the_data(window, first, "revenue")) is not None:  # never a partial sum
        return {k: blank for k in CONTRACT_KPIS}
    out: dict[str, Value] = {}
    if has_contracts:
        bridge, in_p = _window_bridge_and_tiers(contracts, transactions, financials, p_first, as_of, history)
        out.update(
            bookings=float(bridge["bookings"].sum()),
            billings=float(bridge["billings"].sum()),
            revenue=float(bridge["revenue"].sum()),
            deferred_revenue=float(bridge["deferred_revenue"].iloc[-1]),
            contract_arr=float(bridge["arr"].iloc[-1]),
            carr=float(bridge["carr"].iloc[-1]),
        )
    else:
        note = "no contracts input"
        out.update({k: Blank(note) for k in ("bookings", "billings", "deferred_revenue", "contract_arr", "carr")})
        in_p = _in_period(_tiers(None, transactions, financials, (p_first, as_of)), p_first, as_of)
    total = float(in_p["total"].sum()) if len(in_p) else 0.0
    uncovered = _uncovered(in_p, p_first, as_of) if not has_contracts and transactions is None else None
    if uncovered is not None:  # revenue from the P&L alone: never a partial sum (METRICS.md "Time")
        return {**out, **{k: uncovered for k in ("revenue", *(f"revenue_share_{t}" for t in TIERS))}}
    if not has_contracts:
        out["revenue"] = total if len(in_p) else Blank("no revenue data for the period")
    for tier in TIERS:
        key = f"revenue_share_{tier}"
        if len(in_p) == 0 or in_p[tier].isna().all():
            out[key] = Blank("revenue is not split by tier in the inputs")
        else:
            out[key] = safe_ratio(float(in_p[tier].sum()), total, "no revenue in the period")
    return {k: out[k] for k in CONTRACT_KPIS}


def _window_bridge_and_tiers(
    contracts: pd.DataFrame,
    transactions: pd.DataFrame | None,
    financials: pd.DataFrame | None,
    p_first: pd.Period,
    as_of: pd.Period,
    history: ContractHistory | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The bridge and the tiers of months p_first..as_of: read from ``history`` when it holds
    them, else computed for the window (recognised revenue up to M shared by both)."""
    # the history's bridge starts at the first contract: a window before it (transactions
    # earlier than any contract) counts from its own first month
    held = history.months(p_first, as_of) if history is not None else None
    if held is not None:
        return held
    c = _prep(contracts)
    rev = _recognized(c, as_of)
    bridge = _bridge(contracts, c, (p_first, as_of), transactions, rev)
    return bridge, _in_period(_tiers(contracts, transactions, financials, (p_first, as_of), rev), p_first, as_of)


def _uncovered(in_p: pd.DataFrame, p_first: pd.Period, as_of: pd.Period) -> Blank | None:
    """A blank naming the months of p_first..as_of the P&L's revenue does not hold, when some
    are missing and others are not (none at all keeps its own note); else None."""
    if not len(in_p):
        return None
    held = set(pd.PeriodIndex(in_p.loc[in_p["total"].notna(), "month"], freq="M"))
    missing = [m for m in pd.period_range(p_first, as_of, freq="M") if m not in held]
    if not missing:
        return None
    return Blank(f"financials do not cover revenue for {months_text(missing)}")


def _in_period(tiers: pd.DataFrame, p_first: pd.Period, as_of: pd.Period) -> pd.DataFrame:
    return tiers.loc[(tiers["month"] >= p_first) & (tiers["month"] <= as_of)] if len(tiers) else tiers
