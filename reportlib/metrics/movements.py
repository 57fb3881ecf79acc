"""MRR movements, the MRR bridge and the "MRR, movements and retention" KPIs (METRICS.md).

Customer c is active in month m when mrr(c, m) > 0 (a missing row is 0). Each month is
compared with the month before: new, reactivation, expansion, contraction, churn or flat.
The first month of data is the opening balance: its rows are ``opening``, not movements.

Everything is computed on integer codes (customers factorised once, months as ordinals)
into one :class:`MovementSet`: the rows sorted by month then customer, built by one sweep
over the months that carries each customer's previous MRR and last active month, so there
is no join, no loop over customers and no customer x month grid (most of whose cells are
empty in a real company). The bridge, KPIs, drivers, churn bases, cohorts and policy
variants all read that one set.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from reportlib.metrics._dates import month_ordinals
from reportlib.metrics._values import Blank, Value, safe_ratio
from reportlib.metrics.grid import (
    CustomerMonths,
    MrrGrid,
    customer_months,
    month_span,
    months_index,
    period_array,
    sorted_codes,
)
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


# --------------------------------------------------------------------------- the movement set


@dataclass(eq=False)
class MovementSet:
    """A company's MRR movements as integer arrays: computed once, read by the bridge, the
    KPIs, the cohorts, the drivers and every policy variant.

    One row per customer-month where the customer is active at m or at m-1, sorted by month,
    then customer (the rows of :func:`movements`), so a month (or a window of months) is a
    contiguous slice. There is no customer x month grid: a month's state is a slice, and
    the cohorts read the active rows in customer order (:meth:`active_order`). Derived
    arrays (monthly totals, cohort cells, start gaps) are cached on first use; the arrays
    are never modified, so policy variants (:meth:`with_reactivation_window`) share them.

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
    cache: dict = field(default_factory=dict, repr=False)

    @property
    def last(self) -> int:
        return self.first + self.n_months - 1

    def col_of(self, month: pd.Period) -> int:
        return pd.Period(month, freq="M").ordinal - self.first

    @classmethod
    def from_rows(cls, rows: CustomerMonths, reactivation_window_months: int | None = None) -> MovementSet:
        """Movements of customer-month rows (duplicates summed, a missing month is 0)."""
        return _sweep(rows).with_reactivation_window(reactivation_window_months)

    @classmethod
    def from_grid(cls, grid: MrrGrid, reactivation_window_months: int | None = None) -> MovementSet:
        """Movements of every cell of a customer x month grid."""
        cust, col = np.nonzero(grid.values)
        rows = CustomerMonths(grid.customers, grid.first, grid.n_months, cust, col, grid.values[cust, col])
        return cls.from_rows(rows, reactivation_window_months)

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
                "month": period_array(self.first + self.col.astype(np.int64)),
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
        starts, gap = self.starts()
        is_new = (gap == -1) | ((gap > months) if months is not None else False)
        labels = np.where(is_new, NEW, REACTIVATION).astype(self.code.dtype)
        if np.array_equal(labels, self.code[starts]):
            return self
        code = self.code.copy()
        code[starts] = labels
        shared = {
            k: self.cache[k]
            for k in ("start_gaps", "active_order", _RANKS, "bounds", "start rows", "start values", "states")
            if k in self.cache
        }
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
            {**shared, "starts": starts, "relabelled_from": self},
        )

    def start_gaps(self) -> np.ndarray:
        """Per row: -2 when the row is not a start (new or reactivation), -1 for a first
        start, else the inactive months since the customer's last active month."""
        if "start_gaps" not in self.cache:
            order = self.active_order()  # active rows, customer by customer
            cust, col, code = self.cust[order], self.col[order], self.code[order]
            same = np.zeros(len(order), dtype=bool)
            same[1:] = cust[1:] == cust[:-1]
            before = np.empty_like(col)
            before[1:] = col[:-1]
            starts = (code == NEW) | (code == REACTIVATION)
            gaps = np.full(len(self.code), -2, dtype=np.int32)
            gaps[order[starts]] = np.where(same[starts], col[starts] - before[starts] - 1, -1)
            self.cache["start_gaps"] = gaps
        return self.cache["start_gaps"]

    def starts(self) -> tuple[np.ndarray, np.ndarray]:
        """The start rows (new or reactivation) and their gaps (see :meth:`start_gaps`),
        shared by every policy variant."""
        if "start rows" not in self.cache:
            gaps = self.start_gaps()
            starts = np.flatnonzero(gaps >= -1)
            self.cache["start rows"] = (starts, gaps[starts])
        return self.cache["start rows"]

    def start_values(self) -> dict[str, np.ndarray]:
        """Month column, amount, MRR and MRR before of the start rows (:meth:`starts`): the
        same in every policy variant, which relabels them only."""
        if "start values" not in self.cache:
            starts = self.starts()[0]
            columns = {"col": self.col, "amount": self.amount, "mrr": self.mrr, "prev": self.prev}
            self.cache["start values"] = {name: values[starts] for name, values in columns.items()}
        return self.cache["start values"]

    def active_order(self) -> np.ndarray:
        """Indices of the rows with MRR > 0, customer by customer, month by month."""
        if "active_order" not in self.cache:
            if _RANKS in self.cache:  # from the sweep: a counting sort, done by its first reader
                self.cache["active_order"] = _customer_order(*self.cache[_RANKS])
            else:
                active = np.flatnonzero(self.mrr > 0)
                self.cache["active_order"] = active[np.lexsort((self.col[active], self.cust[active]))]
        return self.cache["active_order"]

    def rows_of(self, lo: int, hi: int) -> slice | np.ndarray:
        """The rows of month columns ``lo..hi`` (a slice: rows are sorted by month)."""
        if "bounds" not in self.cache:
            sorted_ = len(self.col) < 2 or bool((self.col[1:] >= self.col[:-1]).all())
            self.cache["bounds"] = np.searchsorted(self.col, np.arange(self.n_months + 1)) if sorted_ else None
        bounds = self.cache["bounds"]
        if bounds is None:  # a hand-made frame out of month order
            return np.flatnonzero((self.col >= lo) & (self.col <= hi))
        lo, hi = max(lo, 0), min(hi, self.n_months - 1)
        return slice(int(bounds[lo]), int(bounds[hi + 1])) if lo <= hi else slice(0, 0)

    def dense(self) -> tuple[np.ndarray, np.ndarray]:
        """(customers, months) grids of MRR and of movement codes (for inspection; the
        engine never builds them)."""
        shape = (len(self.customers), self.n_months)
        values, codes = np.zeros(shape), np.zeros(shape, dtype=np.int8)
        values[self.cust, self.col] = self.mrr
        codes[self.cust, self.col] = self.code
        return values, codes

    @property
    def values(self) -> np.ndarray:
        return self.dense()[0]

    @property
    def codes(self) -> np.ndarray:
        return self.dense()[1]

    def state(self, month: pd.Period) -> np.ndarray:
        """MRR of every customer (by code) at ``month``; zeros outside the data. Read-only:
        kept for the next window or policy variant that asks for the same month."""
        k = self.col_of(month)
        states = self.cache.setdefault("states", {})
        if k not in states:
            out = np.zeros(len(self.customers))
            if 0 <= k < self.n_months:
                rows = self.rows_of(k, k)
                mrr = self.mrr[rows]
                active = mrr > 0
                out[self.cust[rows][active]] = mrr[active]
            out.flags.writeable = False
            states[k] = out
        return states[k]

    def totals(self) -> dict[str, np.ndarray]:
        """Per month (length n_months): amount, count, mrr after and before per movement
        code (shape (n_months, 8)), closing MRR and active customers."""
        if "totals" not in self.cache:
            base = self.cache.get("relabelled_from")
            self.cache["totals"] = _month_totals(self) if base is None else _relabelled_totals(self, base.totals())
        return self.cache["totals"]


def _sweep(rows: CustomerMonths) -> MovementSet:
    """The movement rows of customer-month rows, month after month.

    Each month is one vectorised step over a per-customer state (MRR last month, last active
    month, active months so far) the size of the customer list: memory is the rows plus a
    few customer-sized vectors, never a customer x month grid, and each step stays in
    cache. Returns the rows under the default policy (any return reactivates) with every
    start's gap, from which :meth:`MovementSet.with_reactivation_window` relabels.
    """
    n, t = len(rows.customers), rows.n_months
    cust, col, value = rows.cust, rows.col, rows.value
    if len(col) > 1 and not (col[1:] >= col[:-1]).all():
        # month-major; stable, so duplicates are summed in input order as a grid would
        order = np.argsort(col.astype(np.int16) if t < 2**15 else col, kind="stable")
        cust, col, value = cust[order], col[order], value[order]
    bounds = np.searchsorted(col, np.arange(t + 1))
    # every active customer-month is a row, and so is the churn month after each spell: sized
    # for a spell of eight months on average and grown if need be (buffers sized for the
    # worst case, twice the rows, would not fit the heap's freed blocks and take new pages)
    out = _Rows(len(value) + len(value) // 8 + 1024)
    totals = _Totals(t)
    prev_mrr, prev_active = np.zeros(n), np.zeros(n, dtype=bool)
    last = np.full(n, -1, dtype=np.int32)  # last active month column so far
    seen = np.zeros(n, dtype=np.int64)  # active months so far: a row's place in its customer's run
    for k in range(t):
        block = slice(bounds[k], bounds[k + 1])
        # float even for an empty month (bincount of nothing is integer)
        now = np.bincount(cust[block], weights=value[block], minlength=n).astype(np.float64, copy=False)
        active = now > 0
        who = np.flatnonzero(active | prev_active)  # ascending customer codes
        rows_k = out.take(len(who))
        rows_k["cust"][:] = who
        rows_k["col"][:] = k
        a, pa = active[who], prev_active[who]
        mrr, prev = rows_k["mrr"], rows_k["prev"]
        np.take(now, who, out=mrr)
        np.take(prev_mrr, who, out=prev)
        code, amount, gap, rank = rows_k["code"], rows_k["amount"], rows_k["gap"], rows_k["rank"]
        gap[:], rank[:] = -2, -1
        if k == 0:
            code[:], amount[:] = OPENING, 0.0
        else:
            _month_codes(code, amount, gap, a, pa, mrr, prev, last[who], k)
        on = who[a]
        rank[a] = seen[on]
        seen[on] += 1
        last[on] = k
        totals.add(k, code, amount, mrr, prev, len(on))
        prev_mrr, prev_active = now, active
    rows_out = out.done()
    m = MovementSet(
        rows.customers,
        rows.first,
        t,
        rows_out["cust"],
        rows_out["col"],
        rows_out["code"],
        rows_out["mrr"],
        rows_out["prev"],
        rows_out["amount"],
    )
    m.cache["bounds"] = np.asarray(out.bounds, dtype=np.int64)
    m.cache["start_gaps"] = rows_out["gap"]
    m.cache["totals"] = totals.done()
    # the cohorts' customer order, sorted when they first ask (on their own thread in a kpis run)
    m.cache[_RANKS] = (rows_out["cust"], rows_out["rank"], seen)
    return m


_RANKS = "active ranks"  # cache key: (cust, rank, runs) of the sweep, for _customer_order


def _month_codes(code, amount, gap, a, pa, mrr, prev, last, k) -> None:
    """Fill the movement code, amount and start gap of one month's rows (k > 0) from the
    rows' activity now (``a``) and the month before (``pa``) and their last active month;
    ``gap`` holds -2 (not a start) on entry.

    Every row is active now or the month before, so it is a start (new or reactivation),
    a churn or a change (expansion, contraction or flat). The code is looked up from five
    bits of each row (:data:`_CODE_OF_STATE`) and the amounts written where they apply:
    fewer passes over a month's rows (some 100,000 on the 6M benchmark) than a nested select
    per choice."""
    up, down, first_start = mrr > prev, mrr < prev, last < 0
    state = _bits(a, 0) | _bits(pa, 1) | _bits(first_start, 2) | _bits(up, 3) | _bits(down, 4)
    np.take(_CODE_OF_STATE, state, out=code)
    np.subtract(mrr, prev, out=amount)
    np.abs(amount, out=amount)
    np.copyto(amount, 0.0, where=mrr == prev)  # a flat row moves nothing (inf - inf would be NaN)
    start = a & ~pa
    np.copyto(amount, mrr, where=start)
    np.copyto(amount, prev, where=~a)  # a churn loses last month's MRR
    np.subtract(k - 1, last, out=gap, where=start)
    np.copyto(gap, -1, where=start & first_start)


def _bits(flags: np.ndarray, shift: int) -> np.ndarray:
    return flags.view(np.uint8) << shift if shift else flags.view(np.uint8)


def _code_of(state: int) -> int:
    """The movement code of a row's state bits (see :func:`_month_codes`)."""
    active, was_active, first_start, up, down = ((state >> bit) & 1 for bit in range(5))
    if active and was_active:
        return EXPANSION if up else CONTRACTION if down else FLAT
    if active:
        return NEW if first_start else REACTIVATION
    return CHURN


#: Movement code of every state: bit 0 active now, 1 active the month before, 2 never active
#: before, 3 MRR up, 4 MRR down.
_CODE_OF_STATE = np.array([_code_of(s) for s in range(32)], dtype=np.int8)


class _Totals:
    """:func:`_month_totals` summed month by month in the sweep, while the month's rows are
    in cache: each month's sums add its rows in row order, as the whole-set count does, so
    every total is the very same."""

    def __init__(self, n_months: int) -> None:
        self.by_code = {name: np.zeros((n_months, 8)) for name in ("amount", "mrr", "prev")}
        self.count = np.zeros((n_months, 8), dtype=np.intp)
        self.closing = np.zeros(n_months)
        self.customers = np.zeros(n_months, dtype=np.intp)

    def add(self, k: int, code, amount, mrr, prev, customers: int) -> None:
        # Most rows are flat: their amount is 0 and their MRR the same before and after, so
        # they are summed once, apart; the few moving rows are counted by code on their own
        # (each sum still adds its rows in row order, so every total is the very same).
        flat = code == FLAT
        moving = np.flatnonzero(~flat)
        key = code[moving].astype(np.intp)
        self.count[k] = np.bincount(key, minlength=8)
        self.count[k, FLAT] = len(code) - len(moving)
        for name, values in (("amount", amount), ("mrr", mrr), ("prev", prev)):
            self.by_code[name][k] = np.bincount(key, weights=values[moving], minlength=8)
        flat_mrr = np.bincount(flat.view(np.uint8), weights=mrr, minlength=2)[1]
        self.by_code["mrr"][k, FLAT] = self.by_code["prev"][k, FLAT] = flat_mrr
        self.closing[k] = np.add.accumulate(mrr)[-1] if len(mrr) else 0.0  # in row order
        self.customers[k] = customers

    def done(self) -> dict[str, np.ndarray]:
        by_code = self.by_code
        return {
            "amount": by_code["amount"],
            "count": self.count,
            "mrr": by_code["mrr"],
            "prev": by_code["prev"],
            "closing": self.closing,
            "customers": self.customers,
        }


class _Rows:
    """Column buffers the sweep appends a month of rows to (no concatenation at the end)."""

    DTYPES = {
        "cust": np.int64,
        "col": np.int32,
        "code": np.int8,
        "mrr": np.float64,
        "prev": np.float64,
        "amount": np.float64,
        "gap": np.int32,
        "rank": np.int64,
    }

    def __init__(self, capacity: int) -> None:
        self.columns = {name: np.empty(capacity, dtype=dtype) for name, dtype in self.DTYPES.items()}
        self.bounds = [0]

    def take(self, size: int) -> dict[str, np.ndarray]:
        lo = self.bounds[-1]
        if lo + size > len(self.columns["cust"]):
            self._grow(lo + size)
        self.bounds.append(lo + size)
        return {name: column[lo : lo + size] for name, column in self.columns.items()}

    def _grow(self, needed: int) -> None:
        """Larger buffers holding the rows so far (a month's rows are taken after this)."""
        capacity = max(needed, len(self.columns["cust"]) * 3 // 2)
        filled = self.bounds[-1]
        for name, column in self.columns.items():
            bigger = np.empty(capacity, dtype=column.dtype)
            bigger[:filled] = column[:filled]
            self.columns[name] = bigger

    def done(self) -> dict[str, np.ndarray]:
        return {name: column[: self.bounds[-1]] for name, column in self.columns.items()}


def _customer_order(cust: np.ndarray, rank: np.ndarray, runs: np.ndarray) -> np.ndarray:
    """Indices of the rows with ``rank >= 0`` ordered customer by customer, then by rank
    (a counting sort: ``runs`` holds each customer's number of ranked rows)."""
    ranked = np.flatnonzero(rank >= 0)
    start = np.cumsum(runs) - runs
    order = np.empty(len(ranked), dtype=np.int64)
    order[start[cust[ranked]] + rank[ranked]] = ranked
    return order


def movement_set(
    mrr: pd.DataFrame, *, reactivation_window_months: int | None = None, months: object = None
) -> MovementSet:
    """:func:`movements` as a :class:`MovementSet`, which every function of this module
    and :func:`~.cohorts.cohorts` accept in place of the frame (and read without
    conversion). Same parameters as :func:`movements`."""
    return MovementSet.from_rows(customer_months(mrr, months), reactivation_window_months)


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


def _relabelled_totals(m: MovementSet, base: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """:func:`_month_totals` of a relabelled set from its base's: only the new and
    reactivation columns change, and they are summed over the start rows alone (in row
    order, so every sum is the very same as a full recount)."""
    starts = m.cache["starts"]
    at_start = m.cache["relabelled_from"].start_values()  # found once, shared by every variant
    code = m.code[starts]
    out = {k: v.copy() if v.ndim == 2 else v for k, v in base.items()}
    for c in (NEW, REACTIVATION):
        rows = code == c
        at = at_start["col"][rows]
        out["count"][:, c] = np.bincount(at, minlength=m.n_months)
        for name in ("amount", "mrr", "prev"):
            out[name][:, c] = np.bincount(at, weights=at_start[name][rows], minlength=m.n_months)
    return out


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
        in_p = m.rows_of(lo, hi)
        code = m.code[in_p]
        amt = np.bincount(code, weights=m.amount[in_p], minlength=8)
        new, react, exp, con, churn = (float(amt[c]) for c in (NEW, REACTIVATION, EXPANSION, CONTRACTION, CHURN))
        before = m.state(start)
        mrr_start = float(before.sum())
        n_new = len(np.unique(m.cust[in_p][code == NEW]))
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
    quarters = months.asfreq(freq.upper())
    ords = np.asarray(quarters.asi8)
    ids = ords - ords.min() if len(ords) else ords
    return ids, pd.PeriodIndex.from_ordinals(np.arange(ords.min(), ords.max() + 1), freq=quarters.freq) if len(
        ords
    ) else pd.PeriodIndex([], freq=quarters.freq)


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
    period has no such movement, and in the first period, which holds the data's opening
    month (METRICS.md "Time": never a partial sum).

    Returns
    -------
    DataFrame
        ``period`` (period[M], period[Q], or fiscal quarters with ``freq`` such as
        ``"Q-JAN"``: :func:`~.periods.quarter_freq`), asp, arpa_churned, arpa_expanded,
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
        out = pd.DataFrame(
            {
                "period": periods,
                "asp": _ratio(mrr_after[:, NEW], cnt[:, NEW]),
                "arpa_churned": _ratio(prev[:, CHURN], cnt[:, CHURN]),
                "arpa_expanded": _ratio(mrr_after[:, EXPANSION], cnt[:, EXPANSION]),
                "arpa_contracted": _ratio(mrr_after[:, CONTRACTION], cnt[:, CONTRACTION]),
                "arpa": _ratio(tot["closing"][last], tot["customers"][last].astype(float)),
            }
        )
    return _blank_opening_period(out, ["asp", "arpa_churned", "arpa_expanded", "arpa_contracted"])


def _blank_opening_period(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The first period holds the data's opening month, whose start state lies before the
    data: its movements are blank, never a partial sum (METRICS.md "Time"); the states at
    its end (closing MRR, ARPA) stay."""
    frame.loc[frame.index[:1], columns] = np.nan
    return frame


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Element-wise num / den, NaN (never inf) where den is 0."""
    out = np.full(len(num), np.nan)
    ok = den != 0
    out[ok] = num[ok] / den[ok]
    return out


def mrr_drivers(mov: MovementsLike, freq: str = "Q") -> pd.DataFrame:
    """Movements per period (``freq``: "M", "Q" or fiscal quarters such as "Q-JAN") with the
    quick ratio.

    Returns
    -------
    DataFrame
        ``period``, opening_mrr (MRR at the month before the period), new, reactivation,
        expansion, contraction, churn, closing_mrr, net_new_mrr, quick_ratio ((new +
        reactivation + expansion) / (contraction + churn); NaN when nothing was lost). The
        first period, which holds the data's opening month, has only its closing MRR: its
        start state lies before the data (METRICS.md "Time").
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
    key = bridge["month"].dt.asfreq(freq.upper()) if freq.upper().startswith("Q") else bridge["month"]
    cols = ["new", "reactivation", "expansion", "contraction", "churn"]
    grouped = bridge.groupby(key.rename("period"), sort=True)
    out = grouped[cols].sum()
    out.insert(0, "opening_mrr", grouped["opening_mrr"].first())
    out["closing_mrr"] = grouped["closing_mrr"].last()
    out["net_new_mrr"] = out["closing_mrr"] - out["opening_mrr"]
    out["quick_ratio"] = _ratio(
        (out["new"] + out["reactivation"] + out["expansion"]).to_numpy(), (out["contraction"] + out["churn"]).to_numpy()
    )
    return _blank_opening_period(out, ["opening_mrr", *cols, "net_new_mrr", "quick_ratio"]).reset_index()
