"""MRR movements, the MRR bridge and the "MRR, movements and retention" KPIs (METRICS.md).

Customer c is active in month m when mrr(c, m) > 0 (a missing row is 0). Each month is
compared with the month before: new, reactivation, expansion, contraction, churn or flat.
The first month of data is the opening balance: its rows are ``opening``, not movements.

Everything is computed on a dense customer x month grid (:class:`~.grid.MrrGrid`): the
previous month is a column shift, "ever active before" a cumulative OR along the row, so
there is no join and no loop over customers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from reportlib.metrics._dates import month_ordinals
from reportlib.metrics._values import Blank, Value, safe_ratio
from reportlib.metrics.grid import MrrGrid, month_span, months_index, period_array, sorted_codes, to_grid
from reportlib.metrics.periods import Window

__all__ = [
    "BRIDGE_COLUMNS",
    "MOVEMENTS",
    "MOVEMENT_COLUMNS",
    "MovementSet",
    "REVENUE_KPIS",
    "arpa_drivers",
    "movement_set",
    "movements",
    "mrr_bridge",
    "mrr_drivers",
    "revenue_kpis",
]

# Category order = integer code - 1 (code 0 is "inactive at m-1 and m": no row).
MOVEMENTS = ["opening", "new", "reactivation", "expansion", "contraction", "churn", "flat"]
OPENING, NEW, REACTIVATION, EXPANSION, CONTRACTION, CHURN, FLAT = range(1, 8)
MOVEMENT_COLUMNS = ["customer_id", "month", "mrr", "prev_mrr", "movement", "amount"]
BRIDGE_COLUMNS = [
    "month",
    "opening_mrr",
    "new",
    "reactivation",
    "expansion",
    "contraction",
    "churn",
    "closing_mrr",
    "customers",
    "new_customers",
    "reactivated_customers",
    "churned_customers",
]
REVENUE_KPIS = [
    "mrr",
    "arr",
    "customers",
    "new_arr",
    "expansion_arr",
    "reactivation_arr",
    "contraction_arr",
    "churned_arr",
    "net_new_arr",
    "arr_growth_yoy",
    "new_customers",
    "logo_churn_rate",
    "logo_churn_rate_annual",
    "gross_mrr_churn_rate",
    "net_mrr_churn_rate",
    "mrr_expansion_rate",
    "nrr",
    "grr",
    "quick_ratio",
    "arpa",
    "asp",
]


# --------------------------------------------------------------------------- movement codes


def movement_codes(values: np.ndarray, reactivation_window_months: int | None = None) -> np.ndarray:
    """int8 movement code of every cell of a customer x month grid (0 = no row).

    Parameters
    ----------
    values : np.ndarray
        (customers, months) float grid of MRR.
    reactivation_window_months : int, optional
        Policy: a gap of inactive months longer than this counts as ``new``.
    """
    return _codes_by_month(np.ascontiguousarray(values.T), reactivation_window_months).T


def _running(op: np.ufunc, by_month: np.ndarray) -> np.ndarray:
    """``op.accumulate(by_month, axis=0)`` month after month: one vectorised step per month
    over every customer, instead of numpy's per-customer walk down a column."""
    out = np.empty_like(by_month)
    if len(by_month):
        out[0] = by_month[0]
    for k in range(1, len(by_month)):
        op(out[k - 1], by_month[k], out=out[k])
    return out


def last_active_months(active: np.ndarray) -> np.ndarray:
    """Month-major (months, customers): the latest month index <= m with activity, -1 before
    the first."""
    months = np.arange(len(active), dtype=np.int32)[:, None]
    return _running(np.maximum, np.where(active, months, np.int32(-1)))


def _codes_by_month(vt: np.ndarray, reactivation_window_months: int | None = None) -> np.ndarray:
    """:func:`movement_codes` on the month-major grid (months, customers): every step works
    on whole contiguous months, and the previous month is the row above."""
    t, n = vt.shape
    codes = np.zeros((t, n), dtype=np.int8)
    if t == 0:
        return codes
    active = vt > 0
    codes[0] = np.where(active[0], OPENING, 0)
    if t == 1:
        return codes
    cur, prev = vt[1:], vt[:-1]
    act, pact = active[1:], active[:-1]
    # active at any month before m: cumulative OR up to m-1
    ever_before = _running(np.logical_or, active)[:-1]
    starts = act & ~pact
    new = starts & ~ever_before
    if reactivation_window_months is not None:
        months = np.arange(t, dtype=np.int32)[:, None]
        last_active = last_active_months(active)[:-1]
        gap = months[1:] - last_active - 1  # inactive months between the two active spells
        new |= starts & ever_before & (gap > reactivation_window_months)
    body = codes[1:]
    both = act & pact
    body[both & (cur > prev)] = EXPANSION
    body[both & (cur < prev)] = CONTRACTION
    body[both & (cur == prev)] = FLAT
    body[pact & ~act] = CHURN
    body[starts] = REACTIVATION
    body[new] = NEW
    return codes


def _amounts(code: np.ndarray, mrr: np.ndarray, prev: np.ndarray) -> np.ndarray:
    """Movement amount: |change| for expansion / contraction, mrr for new / reactivation,
    mrr before churn for churn, 0 for flat and opening rows."""
    amount = np.zeros(len(code))
    starts = (code == NEW) | (code == REACTIVATION)
    amount[starts] = mrr[starts]
    changed = (code == EXPANSION) | (code == CONTRACTION)
    amount[changed] = np.abs(mrr[changed] - prev[changed])
    churn = code == CHURN
    amount[churn] = prev[churn]
    return amount


# --------------------------------------------------------------------------- the movement set


@dataclass(eq=False)
class MovementSet:
    """A company's MRR movements as integer arrays: computed once, read by the bridge, the
    KPIs, the cohorts and the drivers.

    One row per customer-month where the customer is active at m or at m-1, sorted by month,
    then customer (the rows of :func:`movements`). Built from a grid (:meth:`from_grid`), it
    keeps the dense grids of MRR and of movement codes (customers x months; the codes are a
    view of a month-major array) too, so that a month's state is a column and cohorts need
    no rebuild. Derived arrays (monthly totals, cohort cells) are
    cached on first use; the arrays are never modified.

    Attributes
    ----------
    customers : pd.Index
        Sorted customer ids; ``cust`` indexes them.
    first, n_months : int
        Month ordinal of the first month of data and the number of months.
    cust, col, code : np.ndarray
        Customer code, month column (0 = first month) and movement code of each row.
    mrr, prev, amount : np.ndarray
        MRR at the month, at the month before, and the movement amount (>= 0).
    """

    customers: pd.Index
    first: int
    n_months: int
    cust: np.ndarray
    col: np.ndarray
    code: np.ndarray
    mrr: np.ndarray
    prev: np.ndarray
    amount: np.ndarray
    values: np.ndarray | None = field(default=None, repr=False)
    codes: np.ndarray | None = field(default=None, repr=False)
    cache: dict = field(default_factory=dict, repr=False)

    @property
    def last(self) -> int:
        return self.first + self.n_months - 1

    def col_of(self, month: pd.Period) -> int:
        return pd.Period(month, freq="M").ordinal - self.first

    @classmethod
    def from_grid(cls, grid: MrrGrid, reactivation_window_months: int | None = None) -> MovementSet:
        """Movements of every cell of a customer x month grid."""
        n = len(grid.customers)
        vt = np.ascontiguousarray(grid.values.T)  # month-major: rows come out sorted by month
        codes = _codes_by_month(vt, reactivation_window_months)
        flat = np.flatnonzero(codes) if n else np.zeros(0, dtype=np.int64)
        col, row = np.divmod(flat, max(n, 1))
        mrr = vt.ravel()[flat]
        prev = np.where(col > 0, vt.ravel()[np.maximum(flat - n, 0)], 0.0)
        code = codes.ravel()[flat]
        return cls(
            grid.customers,
            grid.first,
            grid.n_months,
            row,
            col,
            code,
            mrr,
            prev,
            _amounts(code, mrr, prev),
            grid.values,
            codes.T,
        )

    @classmethod
    def from_frame(cls, mov: pd.DataFrame) -> MovementSet:
        """The integer view of a movements frame (the output of :func:`movements`)."""
        ords = month_ordinals(mov["month"])
        span = month_span(mov.attrs.get("months")) if mov.attrs.get("months") else None
        if span is None:
            span = (int(ords.min()), int(ords.max())) if len(ords) else (0, -1)
        cust, customers = sorted_codes(mov["customer_id"])
        move = mov["movement"]
        if isinstance(move.dtype, pd.CategoricalDtype) and list(move.cat.categories) == MOVEMENTS:
            code = np.asarray(move.cat.codes, dtype=np.int8) + 1
        else:
            code = np.asarray(pd.Categorical(move, categories=MOVEMENTS).codes, dtype=np.int8) + 1
        return cls(
            customers,
            span[0],
            span[1] - span[0] + 1,
            cust,
            ords - span[0],
            code,
            mov["mrr"].to_numpy(dtype=np.float64),
            mov["prev_mrr"].to_numpy(dtype=np.float64),
            mov["amount"].to_numpy(dtype=np.float64),
        )

    def frame(self) -> pd.DataFrame:
        """The movements table (see :func:`movements`)."""
        frame = pd.DataFrame(
            {
                "customer_id": pd.Categorical.from_codes(self.cust, categories=_categories(self.customers)),
                "month": period_array(self.first + self.col),
                "mrr": self.mrr,
                "prev_mrr": self.prev,
                "movement": pd.Categorical.from_codes(self.code.astype(np.int8) - 1, categories=MOVEMENTS),
                "amount": self.amount,
            }
        )
        frame.attrs["months"] = (
            str(pd.Period(ordinal=self.first, freq="M")),
            str(pd.Period(ordinal=self.last, freq="M")),
        )
        return frame

    def with_reactivation_window(self, months: int | None) -> MovementSet:
        """The same movements under policy ``reactivation_window_months`` = ``months``.

        Only the label of a return changes (``new`` after a gap longer than the window,
        else ``reactivation``); rows, MRR and amounts are the same, so they are shared and
        only the codes are rewritten. Equal to :func:`movement_set` with that policy.
        """
        variants = self.cache.setdefault("variants", {})
        if months not in variants:
            variants[months] = self._relabelled(months)
        return variants[months]

    def _relabelled(self, months: int | None) -> MovementSet:
        gaps = self.start_gaps()
        starts = gaps >= -1
        never, gap = gaps[starts] == -1, gaps[starts]
        is_new = never | ((gap > months) if months is not None else False)
        code = self.code.copy()
        code[starts] = np.where(is_new, NEW, REACTIVATION).astype(code.dtype)
        if np.array_equal(code, self.code):
            return self
        codes = None
        if self.codes is not None:
            by_month = np.array(self.codes.T)  # contiguous month-major copy
            by_month[self.col[starts], self.cust[starts]] = code[starts]
            codes = by_month.T
        return MovementSet(
            self.customers,
            self.first,
            self.n_months,
            self.cust,
            self.col,
            code,
            self.mrr,
            self.prev,
            self.amount,
            self.values,
            codes,
            {"start_gaps": gaps},
        )

    def start_gaps(self) -> np.ndarray:
        """Per row: -2 when the row is not a start (new or reactivation), -1 for a first
        start, else the inactive months since the customer's last active month."""
        if "start_gaps" not in self.cache:
            gaps = np.full(len(self.code), -2, dtype=np.int32)
            starts = np.flatnonzero((self.code == NEW) | (self.code == REACTIVATION))
            values, _ = self.dense()
            last = last_active_months(np.ascontiguousarray(values.T) > 0)
            col, cust = self.col[starts], self.cust[starts]
            before = last[col - 1, cust]  # a start is never in month 0
            gaps[starts] = np.where(before < 0, -1, col - before - 1)
            self.cache["start_gaps"] = gaps
        return self.cache["start_gaps"]

    def dense(self) -> tuple[np.ndarray, np.ndarray]:
        """(customers, months) grids of MRR and of movement codes."""
        if self.values is None:
            shape = (len(self.customers), self.n_months)
            values, codes = np.zeros(shape), np.zeros(shape, dtype=np.int8)
            values[self.cust, self.col] = self.mrr
            codes[self.cust, self.col] = self.code
            self.values, self.codes = values, codes
        return self.values, self.codes

    def state(self, month: pd.Period) -> np.ndarray:
        """MRR of every customer (by code) at ``month``; zeros outside the data."""
        k = self.col_of(month)
        if self.values is not None:
            if not 0 <= k < self.n_months:
                return np.zeros(len(self.customers))
            column = self.values[:, k]
            return np.where(column > 0, column, 0.0)
        out = np.zeros(len(self.customers))
        sel = (self.col == k) & (self.mrr > 0)
        out[self.cust[sel]] = self.mrr[sel]
        return out

    def totals(self) -> dict[str, np.ndarray]:
        """Per month (length n_months): amount, count, mrr after and before per movement
        code (shape (n_months, 8)), closing MRR and active customers."""
        if "totals" not in self.cache:
            self.cache["totals"] = _month_totals(self)
        return self.cache["totals"]


def movement_set(
    mrr: pd.DataFrame, *, reactivation_window_months: int | None = None, months: object = None
) -> MovementSet:
    """:func:`movements` as a :class:`MovementSet`, which every function of this module
    and :func:`~.cohorts.cohorts` accept in place of the frame (and read without
    conversion). Same parameters as :func:`movements`."""
    return MovementSet.from_grid(to_grid(mrr, months), reactivation_window_months)


def movements(
    mrr: pd.DataFrame, *, reactivation_window_months: int | None = None, months: object = None
) -> pd.DataFrame:
    """MRR movement of every customer-month against the month before.

    Parameters
    ----------
    mrr : DataFrame
        ``customer_id, month, mrr`` (canonical mrr frame, or the output of
        :func:`~.grid.contracts_to_mrr` / :func:`~.grid.transactions_to_mrr`).
    reactivation_window_months : int, optional
        Policy ``reactivation_window_months``: with N, a return after a gap of more than N
        inactive months is ``new``, not ``reactivation``. Default: any gap reactivates.
    months : optional
        ``(first, last)`` or a sequence of months: the months of data. Pass the company's
        months when ``mrr`` is a segment, so that the segment's opening month is the
        company's and segment movements add up to the company's.

    Returns
    -------
    DataFrame
        ``customer_id`` (categorical, sorted ids), ``month`` (period[M]), ``mrr``,
        ``prev_mrr``, ``movement`` (categorical: opening, new, reactivation, expansion,
        contraction, churn, flat), ``amount`` (>= 0). One row per customer-month where the
        customer is active at m or at m-1 (churn rows fall in the month after the last active
        month); rows of the first month are ``opening`` with amount 0. Sorted by month, then
        customer. ``attrs["months"]`` holds the (first, last) months of data.
    """
    return movement_set(mrr, reactivation_window_months=reactivation_window_months, months=months).frame()


def movements_from_grid(grid: MrrGrid, reactivation_window_months: int | None = None) -> pd.DataFrame:
    """:func:`movements` on an existing grid."""
    return MovementSet.from_grid(grid, reactivation_window_months).frame()


def _categories(customers: pd.Index) -> pd.Index:
    return customers if len(customers) else pd.Index([], dtype="string")


# --------------------------------------------------------------------------- reading movements back

MovementsLike = pd.DataFrame | MovementSet


def _read(mov: MovementsLike, reactivation_window_months: int | None = None) -> MovementSet:
    """The movement set of a movements frame, of an mrr frame (whose movements it computes)
    or the set itself."""
    if isinstance(mov, MovementSet):
        return mov
    if "movement" not in mov.columns:
        return movement_set(mov, reactivation_window_months=reactivation_window_months)
    return MovementSet.from_frame(mov)


def _month_totals(m: MovementSet) -> dict[str, np.ndarray]:
    t, k = m.n_months, 8
    key = m.col * k + m.code
    size = t * k

    def by_code(weights: np.ndarray | None) -> np.ndarray:
        return np.bincount(key, weights=weights, minlength=size).reshape(t, k)

    active = m.mrr > 0
    return {
        "amount": by_code(m.amount),
        "count": by_code(None),
        "mrr": by_code(m.mrr),
        "prev": by_code(m.prev),
        "closing": np.bincount(m.col, weights=m.mrr, minlength=t),
        "customers": np.bincount(m.col[active], minlength=t),
    }


# --------------------------------------------------------------------------- bridge


def mrr_bridge(mov: MovementsLike) -> pd.DataFrame:
    """Monthly MRR bridge: opening + new + reactivation + expansion - contraction - churn
    = closing, with customer counts.

    Parameters
    ----------
    mov : DataFrame or MovementSet
        Output of :func:`movements` or :func:`movement_set` (an mrr frame is accepted
        and converted).

    Returns
    -------
    DataFrame
        Exactly the DESIGN.md ``mrr_bridge`` columns, one row per month of data. The first
        month is the opening balance: opening_mrr = closing_mrr and no movements.
    """
    m = _read(mov)
    tot = m.totals()
    closing = tot["closing"]
    opening = np.concatenate([closing[:1], closing[:-1]])
    amt, cnt = tot["amount"], tot["count"]
    return pd.DataFrame(
        {
            "month": months_index(m.first, m.last),
            "opening_mrr": opening,
            "new": amt[:, NEW],
            "reactivation": amt[:, REACTIVATION],
            "expansion": amt[:, EXPANSION],
            "contraction": amt[:, CONTRACTION],
            "churn": amt[:, CHURN],
            "closing_mrr": closing,
            "customers": tot["customers"].astype(np.int64),
            "new_customers": cnt[:, NEW].astype(np.int64),
            "reactivated_customers": cnt[:, REACTIVATION].astype(np.int64),
            "churned_customers": cnt[:, CHURN].astype(np.int64),
        }
    )[BRIDGE_COLUMNS]


# --------------------------------------------------------------------------- KPIs


def revenue_kpis(
    mrr_or_movements: MovementsLike, window: Window, *, reactivation_window_months: int | None = None
) -> dict[str, Value]:
    """Every KPI of METRICS.md "MRR, movements and retention" for a window.

    Parameters
    ----------
    mrr_or_movements : DataFrame or MovementSet
        Output of :func:`movements` or :func:`movement_set`, or an mrr frame (movements are then computed with
        ``reactivation_window_months``).
    window : Window
        Period P = the w months ending at ``window.as_of`` (M); opening state M - w.

    Returns
    -------
    dict
        Keyed by the ids in :data:`REVENUE_KPIS`; a value is a float or a
        :class:`~._values.Blank` whose note says why it cannot be computed.
    """
    m = _read(mrr_or_movements, reactivation_window_months)
    as_of, w = pd.Period(window.as_of, freq="M"), window.months
    first, last = (pd.Period(ordinal=o, freq="M") for o in (m.first, m.last))
    if m.n_months <= 0 or as_of < first or as_of > last:
        note = f"no revenue data for {as_of}" if m.n_months > 0 else "no revenue data"
        return {k: Blank(note) for k in REVENUE_KPIS}

    now = m.state(as_of)
    mrr_now = float(now.sum())
    customers_now = int((now > 0).sum())
    out: dict[str, Value] = {"mrr": mrr_now, "arr": 12.0 * mrr_now, "customers": float(customers_now)}
    out.update(_period_kpis(m, as_of, w, now, first))
    out.update(_year_kpis(m, as_of, now, first))
    out["arpa"] = safe_ratio(mrr_now, customers_now, f"no active customers in {as_of}")
    return {k: out[k] for k in REVENUE_KPIS}


def _period_kpis(m: MovementSet, as_of: pd.Period, w: int, now: np.ndarray, first: pd.Period) -> dict[str, Value]:
    """KPIs over P that need the opening state M - w."""
    keys = [
        "new_arr",
        "expansion_arr",
        "reactivation_arr",
        "contraction_arr",
        "churned_arr",
        "net_new_arr",
        "new_customers",
        "logo_churn_rate",
        "gross_mrr_churn_rate",
        "net_mrr_churn_rate",
        "mrr_expansion_rate",
        "quick_ratio",
        "asp",
    ]
    start = as_of - w
    out: dict[str, Value] = {}
    if start < first:
        note = f"less than {w} months of history before {as_of}"
        out = {k: Blank(note) for k in keys}
    else:
        lo, hi = m.col_of(start) + 1, m.col_of(as_of)
        in_p = (m.col >= lo) & (m.col <= hi)
        amt = np.bincount(m.code[in_p], weights=m.amount[in_p], minlength=8)
        new, react, exp, con, churn = (float(amt[c]) for c in (NEW, REACTIVATION, EXPANSION, CONTRACTION, CHURN))
        before = m.state(start)
        mrr_start = float(before.sum())
        n_new = len(np.unique(m.cust[in_p & (m.code == NEW)]))
        out = {
            "new_arr": 12 * new,
            "expansion_arr": 12 * exp,
            "reactivation_arr": 12 * react,
            "contraction_arr": 12 * con,
            "churned_arr": 12 * churn,
            "net_new_arr": 12 * (float(now.sum()) - mrr_start),
            "new_customers": float(n_new),
            "logo_churn_rate": _logo_churn(before, now, start),
        }
        no_start = f"no MRR at the start of the period ({start})"
        out["gross_mrr_churn_rate"] = safe_ratio(churn + con, mrr_start, no_start)
        out["net_mrr_churn_rate"] = safe_ratio(churn + con - exp - react, mrr_start, no_start)
        out["mrr_expansion_rate"] = safe_ratio(exp, mrr_start, no_start)
        out["quick_ratio"] = safe_ratio(new + react + exp, con + churn, "no churn or contraction in the period")
        out["asp"] = safe_ratio(new, n_new, "no new customers in the period")
    return out


def _logo_churn(before: np.ndarray, now: np.ndarray, start: pd.Period) -> Value:
    was = before > 0
    return safe_ratio(
        float((was & ~(now > 0)).sum()), float(was.sum()), f"no active customers at the start of the period ({start})"
    )


def _year_kpis(m: MovementSet, as_of: pd.Period, now: np.ndarray, first: pd.Period) -> dict[str, Value]:
    """KPIs against the state a year ago (M - 12)."""
    keys = ["arr_growth_yoy", "logo_churn_rate_annual", "nrr", "grr"]
    year_ago = as_of - 12
    if year_ago < first:
        return {k: Blank("less than 12 months of history") for k in keys}
    then = m.state(year_ago)
    was = then > 0
    base = float(then[was].sum())
    no_base = f"no customers active in {year_ago}"
    growth = safe_ratio(float(now.sum()), base, f"no ARR in {year_ago}")
    return {
        "arr_growth_yoy": growth - 1.0 if not isinstance(growth, Blank) else growth,
        "logo_churn_rate_annual": _logo_churn(then, now, year_ago),
        "nrr": safe_ratio(float(now[was].sum()), base, no_base),
        "grr": safe_ratio(float(np.minimum(now[was], then[was]).sum()), base, no_base),
    }


# --------------------------------------------------------------------------- driver tables


def _period_ids(m: MovementSet, freq: str) -> tuple[np.ndarray, pd.PeriodIndex]:
    """Period index of every month column, and the periods (monthly or quarterly)."""
    months = months_index(m.first, m.last)
    if freq.upper().startswith("M"):
        return np.arange(m.n_months), months
    if not freq.upper().startswith("Q"):
        raise ValueError(f"freq must be 'M' or 'Q', not {freq!r}")
    quarters = months.asfreq("Q")
    ords = np.asarray(quarters.asi8)
    ids = ords - ords.min() if len(ords) else ords
    return ids, pd.PeriodIndex.from_ordinals(np.arange(ords.min(), ords.max() + 1), freq="Q") if len(
        ords
    ) else pd.PeriodIndex([], freq="Q")


def _by_period(values: np.ndarray, ids: np.ndarray, n: int) -> np.ndarray:
    """Sum rows of a per-month array into periods."""
    if values.ndim == 1:
        return np.bincount(ids, weights=values, minlength=n)
    return np.stack([np.bincount(ids, weights=values[:, j], minlength=n) for j in range(values.shape[1])], axis=1)


def _last_month_of_period(ids: np.ndarray, n: int) -> np.ndarray:
    last = np.zeros(n, dtype=np.int64)
    last[ids] = np.arange(len(ids))  # later months overwrite earlier ones
    return last


def arpa_drivers(mov: MovementsLike, freq: str = "Q") -> pd.DataFrame:
    """ARPA drivers per period (METRICS.md): ASP, ARPA of churned customers (their MRR
    before churn), of expanded and of contracted customers (MRR after the change), and ARPA.

    Averages are per movement (a customer expanding twice in a quarter counts twice).
    ``arpa`` is MRR / active customers at the last month of the period. NaN where a
    period has no such movement.

    Returns
    -------
    DataFrame
        ``period`` (period[M] or period[Q]), asp, arpa_churned, arpa_expanded,
        arpa_contracted, arpa.
    """
    m = _read(mov)
    tot = m.totals()
    ids, periods = _period_ids(m, freq)
    n = len(periods)
    cnt = _by_period(tot["count"].astype(float), ids, n)
    mrr_after = _by_period(tot["mrr"], ids, n)
    prev = _by_period(tot["prev"], ids, n)
    last = _last_month_of_period(ids, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.DataFrame(
            {
                "period": periods,
                "asp": _ratio(mrr_after[:, NEW], cnt[:, NEW]),
                "arpa_churned": _ratio(prev[:, CHURN], cnt[:, CHURN]),
                "arpa_expanded": _ratio(mrr_after[:, EXPANSION], cnt[:, EXPANSION]),
                "arpa_contracted": _ratio(mrr_after[:, CONTRACTION], cnt[:, CONTRACTION]),
                "arpa": _ratio(tot["closing"][last], tot["customers"][last].astype(float)),
            }
        )


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Element-wise num / den, NaN (never inf) where den is 0."""
    out = np.full(len(num), np.nan)
    ok = den != 0
    out[ok] = num[ok] / den[ok]
    return out


def mrr_drivers(mov: MovementsLike, freq: str = "Q") -> pd.DataFrame:
    """Movements per period with the quick ratio.

    Returns
    -------
    DataFrame
        ``period``, opening_mrr (MRR at the month before the period; the first month's
        MRR for the first period), new, reactivation, expansion, contraction, churn,
        closing_mrr, net_new_mrr, quick_ratio ((new + reactivation + expansion) /
        (contraction + churn); NaN when nothing was lost).
    """
    bridge = mrr_bridge(mov)
    m_first = bridge["month"].iloc[0] if len(bridge) else None
    if m_first is None:
        return pd.DataFrame(
            columns=[
                "period",
                "opening_mrr",
                "new",
                "reactivation",
                "expansion",
                "contraction",
                "churn",
                "closing_mrr",
                "net_new_mrr",
                "quick_ratio",
            ]
        )
    key = bridge["month"].dt.asfreq("Q") if freq.upper().startswith("Q") else bridge["month"]
    cols = ["new", "reactivation", "expansion", "contraction", "churn"]
    grouped = bridge.groupby(key.rename("period"), sort=True)
    out = grouped[cols].sum()
    out.insert(0, "opening_mrr", grouped["opening_mrr"].first())
    out["closing_mrr"] = grouped["closing_mrr"].last()
    out["net_new_mrr"] = out["closing_mrr"] - out["opening_mrr"]
    out["quick_ratio"] = _ratio(
        (out["new"] + out["reactivation"] + out["expansion"]).to_numpy(), (out["contraction"] + out["churn"]).to_numpy()
    )
    return out.reset_index()
