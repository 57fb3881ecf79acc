"""Cohort retention: logo retention, NRR and GRR by age (METRICS.md "Cohorts").

A customer's cohort is the month (or quarter) of its ``new`` movement; customers already
active in the first month of data form the opening cohort, labelled ``<=YYYY-MM``.
Ages are months since the customer's own ``new`` month (age 0 = that month), for monthly
and quarterly cohorts alike, so age-0 retention is 100% by construction and a quarterly
cohort mixes its members at equal tenure rather than at equal calendar dates.

A quarterly cohort reports an age only when every member has reached it (its latest
joiner's start month + age is inside the data): later ages would mix observed and
unobserved members and bias the triangle's last diagonal.

With policy ``reactivation_window_months``, a return after a long gap is a ``new``
movement: that customer joins the later cohort for the new spell, and counts as lost in
its earlier cohort from then on (each spell of life belongs to one cohort).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from reportlib.metrics.grid import months_index
from reportlib.metrics.movements import NEW, OPENING, MovementSet, MovementsLike, _read
from reportlib.metrics.periods import period_text

__all__ = ["cohorts", "COHORT_COLUMNS", "common_age", "median_at_age"]

COHORT_COLUMNS = ["cohort", "age_months", "value"]
#: How the opening cohort's label starts (``<=2024-01``: customers from before the data).
OPENING_PREFIX = "<="


def _acquired(table: pd.DataFrame) -> pd.DataFrame:
    """The acquisition cohorts of a cohort table: the opening cohort left out (its customers
    were acquired at unknown dates, so its ages are not their tenure)."""
    return table[~table["cohort"].astype(str).str.startswith(OPENING_PREFIX)]


def common_age(tables: list[pd.DataFrame], most: int = 12) -> int | None:
    """The oldest age, up to ``most`` months, that an acquisition cohort reached in every one
    of ``tables`` (cohort, age_months, value); None when one has no acquisition cohort
    past age 0 (age 0 is 100% by construction and says nothing)."""
    oldest = [int(_acquired(t)["age_months"].max()) if not _acquired(t).empty else 0 for t in tables]
    age = min([most, *oldest])
    return age if tables and age >= 1 else None


def median_at_age(table: pd.DataFrame, age: int) -> float | None:
    """The median retention at ``age`` months of the acquisition cohorts that reached it
    (the typical cohort, not swayed by one large or tiny cohort); None when none did."""
    values = _acquired(table).loc[lambda t: t["age_months"] == age, "value"].dropna()
    return float(values.median()) if len(values) else None


def _cells(m: MovementSet) -> dict[str, np.ndarray]:
    """Every active customer-month (customer by customer, then month) with its spell's start
    column, its age, its MRR and the part GRR keeps (at most its MRR at age 0); computed once per movement set and
    shared by the monthly and quarterly tables."""
    if "cohort_cells" not in m.cache:
        order = m.active_order()  # customer-major: the order every sum keeps
        code, col, mrr = m.code[order], m.col[order], m.mrr[order]
        # a customer's first active month is always a start (opening or new), so the latest
        # start up to a row never reaches back into the customer before
        starts = (code == NEW) | (code == OPENING)
        spell = np.maximum.accumulate(np.where(starts, np.arange(len(order)), 0)) if len(order) else order
        start = col[spell]
        age = col - start
        m.cache["cohort_cells"] = {
            "start": start,
            "age": age,
            "mrr": mrr,
            "kept": np.minimum(mrr, mrr[spell]),  # what GRR keeps of a cell: at most its MRR at age 0
            "joiners": np.bincount(start[age == 0], minlength=m.n_months),  # customers joining per column
        }
    return m.cache["cohort_cells"]


def cohorts(mov: MovementsLike, freq: str = "M") -> dict[str, pd.DataFrame]:
    """Cohort retention tables.

    Parameters
    ----------
    mov : DataFrame or MovementSet
        Output of :func:`~.movements.movements` or :func:`~.movements.movement_set` (an mrr
        frame is accepted and converted).
    freq : {"M", "Q"} or a fiscal quarter frequency such as "Q-JAN"
        Cohorts by month of acquisition (``2026-03``) or by quarter (``2026Q1``; fiscal
        quarters labelled as :func:`~.periods.period_text` writes them, ``FY2027 Q3``).

    Returns
    -------
    dict of DataFrame
        ``logo``, ``nrr``, ``grr``: long tables ``cohort, age_months, value`` with
        logo retention = active at age k / cohort size; NRR_k = cohort MRR at age k /
        cohort MRR at age 0; GRR_k = sum of min(mrr at k, mrr at 0) / cohort MRR at age 0.
        ``mrr``: ``cohort, cohort_start, age_months, month, size, customers, mrr, mrr_age0``
        (cohort size, active customers and MRR at each age; ``month`` is the calendar month
        of that age for monthly cohorts, NaT for quarterly ones), for cohort economics.
        Rows are ordered opening cohort first, then chronologically, then by age.
    """
    quarterly = _is_quarterly(freq)
    m = _read(mov)
    if m.n_months <= 0 or len(m.customers) == 0:
        return _empty()
    t = m.n_months
    cells = _cells(m)
    start, age, mrr = cells["start"], cells["age"], cells["mrr"]
    quarters = freq.upper() if quarterly else None
    group, labels, group_start = _groups(start, m.first, t, quarters)
    n_groups = len(labels)
    key = group * t + age
    size_n = n_groups * t

    def total(weights: np.ndarray | None, mask: np.ndarray | None = None) -> np.ndarray:
        k, w = (key, weights) if mask is None else (key[mask], None if weights is None else weights[mask])
        return np.bincount(k, weights=w, minlength=size_n).reshape(n_groups, t)

    customers = total(None)
    cohort_mrr = total(mrr)
    grr_mrr = total(cells["kept"])
    size, mrr_at0 = customers[:, 0].copy(), cohort_mrr[:, 0].copy()
    # the last age every member has reached: data end - latest joiner's start column
    latest = np.full(n_groups, -1)
    joined_cols = np.flatnonzero(cells["joiners"])  # the start columns of the age-0 cells
    np.maximum.at(latest, _groups(joined_cols, m.first, t, quarters)[0], joined_cols)
    max_age = np.where(latest >= 0, t - 1 - latest, -1)
    return _tables(labels, group_start, size, mrr_at0, customers, cohort_mrr, grr_mrr, max_age, m.first, quarterly)


def _is_quarterly(freq: str) -> bool:
    f = str(freq).upper()
    if f.startswith("Q"):
        return True
    if f.startswith("M"):
        return False
    raise ValueError(f"freq must be 'M' or 'Q', not {freq!r}")


def _groups(start: np.ndarray, first: int, t: int, quarters: str | None) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Cohort group of every cell from its spell's start column; group 0 is the opening
    cohort (start column 0); ``quarters``: the quarterly frequency (None: monthly cohorts).
    Returns groups, labels and each group's first month ordinal."""
    opening = f"{OPENING_PREFIX}{pd.Period(ordinal=first, freq='M')}"
    if quarters is None:
        labels = [opening] + [str(p) for p in months_index(first + 1, first + t - 1)]
        return start, labels, first + np.arange(t)
    months = months_index(first, first + t - 1)
    q = np.asarray(months.asfreq(quarters).asi8)
    q0 = q[0]
    # quarter groups start at 1; the opening month itself never starts a new spell
    group_of_col = np.where(np.arange(t) == 0, 0, 1 + q - q0)
    n_q = int(q[-1] - q0) + 1
    periods = pd.PeriodIndex.from_ordinals(np.arange(q0, q0 + n_q), freq=quarters)
    labels = [opening] + [period_text(p) for p in periods]
    starts = np.concatenate([[first], np.asarray(periods.asfreq("M", how="start").asi8)])
    starts[1] = max(starts[1], first + 1) if n_q else starts[1]
    return group_of_col[start], labels, starts


def _tables(
    labels, group_start, size, mrr_at0, customers, cohort_mrr, grr_mrr, max_age, first, quarterly
) -> dict[str, pd.DataFrame]:
    """Long tables of the reported (cohort, age) cells."""
    g_idx, a_idx = [], []
    for g in range(len(labels)):  # loop over cohorts (tens), not customers
        if size[g] > 0 and max_age[g] >= 0:
            ages = np.arange(max_age[g] + 1)
            g_idx.append(np.full(len(ages), g))
            a_idx.append(ages)
    if not g_idx:
        return _empty()
    g, a = np.concatenate(g_idx), np.concatenate(a_idx)
    label = pd.array(np.asarray(labels, dtype=object)[g], dtype="string")
    logo = customers[g, a] / size[g]
    with np.errstate(invalid="ignore", divide="ignore"):
        nrr = np.where(mrr_at0[g] > 0, cohort_mrr[g, a] / mrr_at0[g], np.nan)
        grr = np.where(mrr_at0[g] > 0, grr_mrr[g, a] / mrr_at0[g], np.nan)
    # age 0 is 100% by definition; write it exactly rather than trust float division
    for arr in (logo, nrr, grr):
        arr[a == 0] = 1.0
    out = {
        name: pd.DataFrame({"cohort": label, "age_months": a.astype(np.int64), "value": v})
        for name, v in (("logo", logo), ("nrr", nrr), ("grr", grr))
    }
    start = group_start[g]
    month = (
        pd.PeriodIndex.from_ordinals(start + a, freq="M")
        if not quarterly
        else pd.PeriodIndex([pd.NaT] * len(a), freq="M")
    )
    out["mrr"] = pd.DataFrame(
        {
            "cohort": label,
            "cohort_start": pd.PeriodIndex.from_ordinals(start, freq="M"),
            "age_months": a.astype(np.int64),
            "month": month,
            "size": size[g].astype(np.int64),
            "customers": customers[g, a].astype(np.int64),
            "mrr": cohort_mrr[g, a],
            "mrr_age0": mrr_at0[g],
        }
    )
    return out


def _empty() -> dict[str, pd.DataFrame]:
    table = pd.DataFrame(
        {
            "cohort": pd.Series([], dtype="string"),
            "age_months": pd.Series([], dtype="int64"),
            "value": pd.Series([], dtype="float64"),
        }
    )
    mrr = pd.DataFrame(
        {
            "cohort": pd.Series([], dtype="string"),
            "cohort_start": pd.Series([], dtype="period[M]"),
            "age_months": pd.Series([], dtype="int64"),
            "month": pd.Series([], dtype="period[M]"),
            "size": pd.Series([], dtype="int64"),
            "customers": pd.Series([], dtype="int64"),
            "mrr": pd.Series([], dtype="float64"),
            "mrr_age0": pd.Series([], dtype="float64"),
        }
    )
    return {"logo": table, "nrr": table.copy(), "grr": table.copy(), "mrr": mrr}
