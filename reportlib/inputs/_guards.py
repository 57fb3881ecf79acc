"""Guards against a silently wrong pack: the checks that look at a whole input.

Each returns :class:`Problem` objects naming the file, rows and column. The thresholds
are documented in docs/inputs.md ("Guards"):

- rows kept: an input that loses more than ``1 - min_rows_kept`` of its rows (default half)
  to ``where`` or to bad rows is an error; an input with no usable row is an error;
- total rows: a row labelled Total / Subtotal / Sum / Grand total, or a last row whose
  numbers equal the sums of the rows above, is left out with a warning; so is a label
  'Total <name>' whose every row equals the sum of 2+ rows (its block, an outer total's
  blocks, or its group);
- minor units: money whose every value is a whole number and whose typical (median)
  monthly value per row is 10,000 or more looks like cents: an error until
  ``amount_unit`` says "cents" or "units"; whole hundreds with a typical value from 1,000
  (4,900 for a 49.00 plan) are a warning;
- annual prices counted as monthly: annual-billed contracts whose median monthly value is
  at least 8x that of monthly-billed ones (an annual plan is usually priced at 10-12
  monthly prices, so a yearly price typed as mrr shows up as ~10x);
- tenfold jumps: a customer whose MRR is 10x or more its previous month's;
- ids that differ only by case (``Acme`` and ``ACME``) are a warning: they count as two;
- repeated records: rows identical in every column of an input whose rows are summed
  (``transactions``, a ChartMogul activities export without its ``UUID``) are a warning
  (two identical charges on one day can be real); rows repeating a source's own record id
  (ChartMogul's activity ``UUID``) are the same record exported twice: identical copies are
  left out with a warning, copies that differ are an error;
- joins: a ``[[join]]`` with no key in common between the input's file and the joined file is
  an error (every joined column would be blank: a lead conversion of 0); a lookup that
  labels fewer than ``JOIN_MATCHED`` of the file's keyed rows, or a join on the input's own
  record id of whose joined rows fewer than that find their record, is a warning naming the
  share (:func:`unmatched_join`);
- currency symbols: amounts of a money input written with a symbol that is not the company
  currency's (``$46,200.00`` for a company in EUR) are a warning naming the file, the first
  row and column, the symbol and the company currency.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import NamedTuple

import numpy as np
import pandas as pd

from reportlib._codes import factorized, per_row
from reportlib.exceptions import Problem
from reportlib.inputs._keys import previous_rows
from reportlib.inputs._readers import FILE, ROW
from reportlib.inputs._schemas import MONEY, UNIQUE_KEYS
from reportlib.inputs._values import CURRENCY_SYMBOLS, currency_symbols, parse_numbers
from reportlib.inputs.config import InputSpec, JoinSpec
from reportlib.inputs.sources import SOURCES, Source

MINOR_UNIT_MEDIAN = 10_000
#: Below the error's median, whole hundreds from this typical value up are warned about: 4,900
#: for a 49.00 plan read as units is 100x off, and nothing else would say so.
MINOR_UNIT_HINT = 1_000
ANNUAL_RATIO = 8
JUMP = 10
#: A join whose rows find their key on the other side less often than this is probably on
#: the wrong keys (a seller id against a lead id matches nothing or by chance), or a lookup
#: that misses most of the file's keys.
JOIN_MATCHED = 0.5
_SHOWN = 5
_TOTAL_LABEL = re.compile(
    r"^\s*((grand|sub)[\s-]?)?totals?(\s+(mrr|arr|revenue|amount|all|customers|for\b.*))?\s*:?\s*$"
    # 'Subtotal SMB', 'Grand total EMEA', 'Self-serve total', 'TOTAL (4 customers)', 'Summe';
    # not 'Total <name>', which a customer may be called (Total Wine & More)
    r"|^\s*(grand|sub)[\s-]?totals?\b.*$|^.+\s(sub[\s-]?)?totals?\s*:?\s*$|^\s*totals?\s*\(.*\)\s*:?\s*$"
    r"|^\s*(sum|summe|gesamt|somme)\s*:?\s*$",
    re.IGNORECASE,
)
#: 'Total <name>': a subtotal of a group, or a customer's name (Total Wine & More); told apart
#: by arithmetic (:func:`_named_subtotals`).
#: 'Total: Enterprise' and 'Total - SMB' too (no space after Total then).
_TOTAL_NAME = re.compile(r"^\s*totals?(\s*[:\-–]\s*|\s+)(?P<name>[^\s:\-–].*?)\s*:?\s*$", re.IGNORECASE)
#: Amounts equal to the cent.
_CENT = 0.005


#: The first cell of a report's footer line (Salesforce, HubSpot, QuickBooks, BI tools).
_FOOTER = re.compile(
    r"^(copyright\b|©|\(c\)\s|confidential\b|generated (by|on|at)\b|report generated\b|"
    r"printed (on|by)\b|powered by\b|all rights reserved|(accrual|cash) basis\b|run (on|at)\b)",
    re.IGNORECASE,
)


def _rows(rows: pd.Series) -> str:
    shown = ", ".join(str(int(r)) for r in rows.head(_SHOWN))
    return shown + (f" and {len(rows) - _SHOWN:,} more" if len(rows) > _SHOWN else "")


# ======================================================================================
# reading


def total_rows(
    frame: pd.DataFrame, display: str, input_name: str, month: str | None = None
) -> tuple[pd.DataFrame, list[Problem]]:
    """``frame`` without its total rows, and a warning for each left out.

    ``month`` is the file's month column, if any: a 'Total <name>' row sums the rows of
    its own month only.
    """
    data = [c for c in frame.columns if c not in (ROW, FILE)]
    if len(frame) < 3 or not data:
        return frame, []
    labelled = pd.Series(False, index=frame.index)
    for column in data[:3]:
        # Once per distinct value (codes cached on the column, reused when it is parsed).
        codes, distinct = factorized(frame[column])
        # a list, not the Index: iterating an Arrow-backed Index boxes each value slowly
        total = np.array(
            [isinstance(v, str) and bool(_TOTAL_LABEL.fullmatch(v)) for v in distinct.tolist()], dtype=bool
        )
        if total.any():
            labelled |= pd.Series((codes >= 0) & total[np.clip(codes, 0, None)], index=frame.index)
    summed = _sum_row(frame, data)
    named, sums, chance = _named_subtotals(frame, data, labelled, month)
    problems = [_subtotal_problem(frame, at, rows, display, input_name) for at, rows in sums.items()]
    problems += [replace(p, file=display, input=input_name) for p in chance]
    hit = labelled | summed
    if hit.any():
        why = "labelled as a total" if labelled.any() else "its numbers are the sums of the rows above"
        problems.insert(
            0,
            Problem(
                f"Row(s) {_rows(frame.loc[hit, ROW])} left out: {why}, not a customer or a month. "
                "Totals are recomputed from the rows.",
                file=display,
                row=int(frame.loc[hit, ROW].iloc[0]),
                severity="warning",
                input=input_name,
            ),
        )
    hit |= named
    if not hit.any():
        return frame, problems
    return frame.loc[~hit].reset_index(drop=True), problems


def _named_subtotals(
    frame: pd.DataFrame, data: list[str], labelled: pd.Series, month: str | None
) -> tuple[pd.Series, dict[int, np.ndarray], list[Problem]]:
    """Rows labelled 'Total <name>' that are subtotals, the rows each sums, and a warning for
    each label that is a sum in some of its rows only (a customer).

    'Total Enterprise' may be a subtotal or a customer (Total Wine & More). A row is a sum
    when each of its amounts equals, to the cent, the sum of 2+ rows: those since the previous
    total row (its block), or since an earlier one (an outer total: 'Total EMEA' over 'Total
    Enterprise' and 'Total SMB'), subtotals aside; or the rows holding ``<name>`` in another
    column (in its month). A label is a subtotal only when every row carrying it is a sum: a
    subtotal is one in every month, while flat prices make a customer equal to another by
    chance. A row of a label not yet known to be a subtotal never closes a block for a row of
    the same label, so one chance match cannot make the next month's match.
    """
    candidates = _total_name_rows(frame, data[:3], labelled)
    if not candidates:
        return pd.Series(False, index=frame.index), {}, []
    amounts = _candidate_amounts(frame, [c for c in data if c != month], candidates)
    holding: dict[str, np.ndarray] = {}  # per name: a customer's every month asks once
    customers: set[str] = set()
    first = sums = _sums_found(frame, data, labelled, month, candidates, amounts, customers, holding)
    while refuted := _refuted_labels(candidates, amounts, sums) - customers:
        customers |= refuted  # their rows are customers: blocks are read again without them
        sums = _sums_found(frame, data, labelled, month, candidates, amounts, customers, holding)
    found = pd.Series(False, index=frame.index)
    found.iloc[list(sums)] = True
    chance = [_chance_problem(frame, candidates, first, key) for key in sorted(customers)]
    return found, sums, [p for p in chance if p is not None]


def _sums_found(
    frame: pd.DataFrame,
    data: list[str],
    labelled: pd.Series,
    month: str | None,
    candidates: dict[int, tuple[str, str]],
    amounts: dict[str, np.ndarray],
    customers: set[str],
    holding: dict[str, np.ndarray],
) -> dict[int, np.ndarray]:
    """The candidate rows (labels in ``customers`` aside) that are a sum, in file order, and
    the rows each sums; each found closes the blocks of the rows of other labels below it."""
    sums: dict[int, np.ndarray] = {}
    for at, (column, key) in candidates.items():
        mine = {c: v[at] for c, v in amounts.items() if c != column and np.isfinite(v[at])}
        if key in customers or not any(mine.values()):
            continue
        boundary = labelled.to_numpy().copy()
        boundary[[r for r in sums if candidates[r][1] != key]] = True
        rows = _block_sum(amounts, mine, boundary, at)
        if rows is None:
            if key not in holding:
                holding[key] = _holding(frame, data, key)
            rows = _rows_named(frame, holding[key], at, month, boundary)
            rows = rows if len(rows) >= 2 and _sums_to(amounts, mine, rows) else None
        if rows is not None:
            sums[at] = rows
    return sums


def _block_sum(
    amounts: dict[str, np.ndarray], mine: dict[str, float], boundary: np.ndarray, at: int
) -> np.ndarray | None:
    """The 2+ rows, totals aside, from just after a total row above ``at`` (the nearest
    first, then the one before: an outer total sums the blocks of the inner ones) or from
    the top, whose sums are ``mine``; None when no such block sums to it."""
    counted = ~boundary[:at]
    starts = np.r_[np.flatnonzero(boundary[:at])[::-1] + 1, 0]
    # tail[s]: the sum of the counted rows from s to at (summed from at up, so no cancellation)
    tally = np.r_[np.cumsum(counted[::-1])[::-1], 0][starts]
    equal = tally >= 2
    for c, value in mine.items():
        tail = np.r_[np.cumsum(np.where(counted, np.nan_to_num(amounts[c][:at]), 0.0)[::-1])[::-1], 0.0]
        equal &= np.abs(tail[starts] - value) < _CENT
    if not equal.any():
        return None
    start = int(starts[np.argmax(equal)])
    return np.arange(start, at)[counted[start:]]


def _refuted_labels(
    candidates: dict[int, tuple[str, str]], amounts: dict[str, np.ndarray], sums: dict[int, np.ndarray]
) -> set[str]:
    """Labels with a row holding an amount that is no sum: a customer's name, not a subtotal's."""
    return {
        key
        for at, (column, key) in candidates.items()
        if at not in sums and any(v[at] for c, v in amounts.items() if c != column and np.isfinite(v[at]))
    }


def _total_name_rows(frame: pd.DataFrame, columns: list[str], labelled: pd.Series) -> dict[int, tuple[str, str]]:
    """Positions of the rows with a 'Total <name>' cell (not already a total): its column and
    name (trimmed, lower case: the label's key, wherever it is printed)."""
    out: dict[int, tuple[str, str]] = {}
    for column in columns:
        codes, distinct = factorized(frame[column])
        names = [
            m.group("name") if isinstance(v, str) and (m := _TOTAL_NAME.fullmatch(v)) else None
            for v in distinct.tolist()
        ]
        for code in (k for k, n in enumerate(names) if n is not None):
            for at in np.flatnonzero((codes == code) & ~labelled.to_numpy()):
                out.setdefault(int(at), (column, names[code].strip().lower()))
    return dict(sorted(out.items()))


def _candidate_amounts(frame: pd.DataFrame, data: list[str], candidates: dict) -> dict[str, np.ndarray]:
    """The columns in which a candidate row holds a number, parsed whole (blank: NaN)."""
    rows = frame.iloc[list(candidates)]
    columns = [c for c in data if parse_numbers(rows[c])[0].notna().any()]
    return {c: parse_numbers(frame[c])[0].to_numpy(dtype="float64", na_value=np.nan) for c in columns}


def _sums_to(amounts: dict[str, np.ndarray], mine: dict[str, float], rows: np.ndarray) -> bool:
    return all(abs(np.nansum(amounts[c][rows]) - value) < _CENT for c, value in mine.items())


def _holding(frame: pd.DataFrame, columns: list[str], name: str) -> np.ndarray:
    """Rows with a cell equal to ``name`` (trimmed, case-insensitive) in one of ``columns``
    (the label's own column too: 'Total Enterprise' may sit in the segment column)."""
    wanted = name.strip().lower()
    mask = np.zeros(len(frame), dtype=bool)
    for c in columns:
        mask |= frame[c].astype("string").str.strip().str.lower().eq(wanted).fillna(False).to_numpy()
    return mask


def _rows_named(
    frame: pd.DataFrame, holding: np.ndarray, at: int, month: str | None, boundary: np.ndarray
) -> np.ndarray:
    """The rows ``holding`` the name, in row ``at``'s month when it has one, totals aside."""
    mask = holding & ~boundary
    if month in frame and pd.notna(frame[month].iloc[at]):
        mask &= frame[month].astype("string").eq(str(frame[month].iloc[at])).fillna(False).to_numpy()
    mask[at] = False
    return np.flatnonzero(mask)


def _subtotal_problem(frame: pd.DataFrame, at: int, rows: np.ndarray, display: str, input_name: str) -> Problem:
    label = _total_label(frame, at)
    return Problem(
        f"Row {int(frame[ROW].iloc[at])} ('{label}') left out: its amounts are the sum of rows "
        f"{_rows(frame[ROW].iloc[rows])}, so it is a subtotal, not a customer. (A customer so named "
        "whose amounts are no such sum is kept.)",
        file=display,
        row=int(frame[ROW].iloc[at]),
        severity="warning",
        input=input_name,
    )


def _chance_problem(
    frame: pd.DataFrame, candidates: dict[int, tuple[str, str]], sums: dict[int, np.ndarray], key: str
) -> Problem | None:
    """A warning for a 'Total <name>' kept as a customer though some of its rows are a sum."""
    mine = [at for at, (_, k) in candidates.items() if k == key]
    summed = [at for at in mine if at in sums]
    if not summed:
        return None
    other = next(at for at in mine if at not in sums)
    row = frame[ROW].iloc
    return Problem(
        f"Row(s) {_rows(row[mine])} ('{_total_label(frame, summed[0])}') kept as a customer: row "
        f"{int(row[summed[0]])} equals the sum of rows {_rows(row[sums[summed[0]]])}, but row {int(row[other])} "
        "is no sum of other rows, and a subtotal is one in every row it is printed on. If it is a subtotal, "
        "make it one in every row or remove it from the export.",
        row=int(row[mine[0]]),
        severity="warning",
    )


def _total_label(frame: pd.DataFrame, at: int) -> str:
    return next(v for v in frame.iloc[at] if isinstance(v, str) and _TOTAL_NAME.fullmatch(v)).strip()


def footer_rows(frame: pd.DataFrame, display: str, input_name: str) -> tuple[pd.DataFrame, list[Problem]]:
    """``frame`` without the footer lines a report tool prints below the data (Copyright,
    Confidential, Generated by ...), and a warning naming them."""
    data = [c for c in frame.columns if c not in (ROW, FILE)]
    end = len(frame)
    while end > 0:
        cells = [
            v
            for v in frame.iloc[end - 1][data]
            if isinstance(v, str) and v.strip() or v is not None and not isinstance(v, str) and pd.notna(v)
        ]
        if not cells or len(cells) > 2 or not _FOOTER.match(str(cells[0]).strip()):
            break
        end -= 1
    if end == len(frame):
        return frame, []
    cut = frame.iloc[end:]
    first = next(str(v).strip() for v in cut.iloc[0][data] if isinstance(v, str) and v.strip())
    return frame.iloc[:end].reset_index(drop=True), [
        Problem(
            f"Row(s) {_rows(cut[ROW])} left out: footer line(s) of the report ('{first[:60]}'), not data.",
            file=display,
            row=int(cut[ROW].iloc[0]),
            severity="warning",
            input=input_name,
        )
    ]


def _without_footers_and_totals(
    frame: pd.DataFrame, display: str, input_name: str, month: str | None
) -> tuple[pd.DataFrame, list[Problem]]:
    frame, footers = footer_rows(frame, display, input_name)
    frame, totals = total_rows(frame, display, input_name, month)
    return frame, footers + totals


def without_totals(frame: pd.DataFrame, spec: InputSpec, kinds: set[str]) -> tuple[pd.DataFrame, list[Problem]]:
    """Footer and total rows left out of each spreadsheet-like file of the input (not Parquet or JSON).

    Not of a known source's export or a P&L report (``layout = "accounts"``): their readers
    know the report's own total lines, and a P&L's "Total for X" tells which accounts are X's.
    """
    if not kinds & {"csv", "excel"} or spec.source or spec.layout == "accounts":
        return frame, []
    month = spec.columns.get("month")
    if FILE not in frame:
        return _without_footers_and_totals(frame, spec.path, spec.name, month)
    parts, notes = [], []
    for file, part in frame.groupby(FILE, sort=False):
        part, found = _without_footers_and_totals(part.reset_index(drop=True), str(file), spec.name, month)
        parts.append(part)
        notes += found
    return pd.concat(parts, ignore_index=True), notes


def _sum_row(frame: pd.DataFrame, data: list[str]) -> pd.Series:
    """The last row, when each of its numbers equals its column's sum above: over 2+ numeric
    columns (a wide sheet's months), or over one when the row has no text (one equal sum
    alone can be chance: seats 2 + 1 above a row of 3 seats)."""
    out = pd.Series(False, index=frame.index)
    last = frame.index[-1]
    # Only columns whose last cell could be a total of the first cells are parsed whole: a
    # sum of 2+ same-signed values is at least twice their median (ids are not numbers).
    candidates = []
    for c, (end, first) in _first_and_last_numbers(frame, data).items():
        if pd.notna(end) and first.notna().mean() >= 0.8 and abs(end) >= 1.99 * first.abs().median():
            candidates.append(c)
    numbers = {c: parse_numbers(frame[c])[0] for c in candidates}
    numeric = [c for c, v in numbers.items() if v.notna().mean() >= 0.8]
    if not numeric:
        return out
    above = {c: numbers[c].iloc[:-1] for c in numeric}
    informative = [c for c in numeric if above[c].fillna(0).ne(0).sum() >= 2]
    texts = [c for c in data if c not in numeric and pd.notna(frame.at[last, c])]
    if not informative or (len(informative) < 2 and texts):
        return out
    equal = all(abs(numbers[c][last] - above[c].sum()) <= 0.005 * abs(above[c].sum()) + 0.01 for c in numeric)
    out[last] = equal and any(numbers[c][last] != 0 for c in informative)
    return out


def _first_and_last_numbers(frame: pd.DataFrame, data: list[str]) -> dict[str, tuple[float, pd.Series]]:
    """Each column's last cell and first 50 cells (last row excluded) as numbers.

    Text columns are parsed in one call, stacked: parsing text is cell by cell, so each
    column's numbers are those it would get alone, without a call's fixed cost per column
    (most of the time this check took on a small company)."""
    n = len(frame)
    sample = frame.take(np.r_[np.arange(min(n - 1, 50)), n - 1])  # the first 50 rows above the last, and the last
    size = len(sample)
    texts = [c for c in data if isinstance(sample[c].dtype, pd.StringDtype)]
    parsed = {c: parse_numbers(sample[c])[0] for c in data if c not in texts}
    if texts:
        stacked = parse_numbers(pd.concat([sample[c] for c in texts], ignore_index=True))[0].to_numpy()
        for k, c in enumerate(texts):
            parsed[c] = pd.Series(stacked[k * size : (k + 1) * size], index=sample.index)
    return {c: (parsed[c].iloc[-1], parsed[c].iloc[:-1]) for c in data}


def no_rows(spec: InputSpec, raw: pd.DataFrame) -> Problem | None:
    """An export with a header but no data rows."""
    if len(raw):
        return None
    return Problem(
        f"{spec.path} has no data rows (only a header, or every row was a title, comment, "
        f"total or blank line): [inputs.{spec.name}] needs at least one.",
        file=spec.path,
        input=spec.name,
    )


# ======================================================================================
# rows kept


def left_out_by_where(spec: InputSpec, dropped: int, read: int) -> Problem:
    return Problem(
        f"{dropped:,} of {read:,} rows left out by where = {spec.where!r}.",
        file=spec.path,
        column=f"inputs.{spec.name}.where",
        severity="warning",
        input=spec.name,
    )


def rows_kept(spec: InputSpec, read: int, lost: int, frame: pd.DataFrame) -> list[Problem]:
    """Error when too few of the rows read are left (``min_rows_kept``) or none is."""
    if frame is None:
        return []
    if frame.empty:
        return [
            Problem(
                f"No usable row is left in {spec.path} after reading it ({read:,} rows read): "
                f"[inputs.{spec.name}] needs at least one.",
                file=spec.path,
                input=spec.name,
            )
        ]
    kept = 1 - lost / read if read else 1.0
    if kept >= spec.min_rows_kept:
        return []
    return [
        Problem(
            f"Only {read - lost:,} of {read:,} rows ({kept:.0%}) are left after where and bad rows, "
            f"below min_rows_kept = {spec.min_rows_kept:g}: the file is probably read wrongly (a "
            "date format, a filter). Fix the reading, or lower min_rows_kept if that is intended.",
            file=spec.path,
            input=spec.name,
        )
    ]


# ======================================================================================
# amounts


def suspicious_amounts(spec: InputSpec, frame: pd.DataFrame, shown: dict[str, str]) -> list[Problem]:
    """Minor units, annual prices counted as monthly, tenfold jumps (frame has ``__row__``)."""
    out = []
    monthly = _monthly_value(spec.name, frame)
    if monthly is not None and spec.amount_unit is None:
        out += _minor_units(spec, frame, monthly, shown)
    if spec.name == "contracts" and "billing" in frame and "mrr" in frame:
        out += _annual_as_monthly(spec, frame, shown.get("mrr", "mrr"))
    if spec.name == "mrr" and {"customer_id", "month", "mrr"} <= set(frame.columns):
        out += _jumps(spec, frame, shown.get("mrr", "mrr"))
    return out


def _monthly_value(name: str, frame: pd.DataFrame) -> pd.Series | None:
    if name == "mrr" and "mrr" in frame:
        return frame["mrr"]
    if name == "contracts":
        mrr = frame["mrr"] if "mrr" in frame else pd.Series(np.nan, index=frame.index)
        if "tcv" in frame and "end_date" in frame:
            months = ((frame["end_date"] - frame["start_date"]).dt.days + 1) / (365.25 / 12)
            mrr = mrr.fillna(frame["tcv"] / months.where(months >= 1))
        return mrr
    return None


def _minor_units(spec: InputSpec, frame: pd.DataFrame, monthly: pd.Series, shown: dict[str, str]) -> list[Problem]:
    money = [c for c in ("mrr", "tcv") if c in frame]
    columns = [frame[c].to_numpy(dtype="float64", na_value=np.nan) for c in money]
    if any(_has_cents(v[:1000]) for v in columns):  # usually settled by the first rows
        return []
    values = np.concatenate(columns)
    values = values[np.isfinite(values) & (values != 0)]
    if len(values) < 3 or _has_cents(values):
        return []
    typical = monthly[monthly > 0].median()
    top = frame.loc[monthly.nlargest(_SHOWN).index]
    if not typical >= MINOR_UNIT_MEDIAN:
        hundreds = typical >= MINOR_UNIT_HINT and len(np.unique(values)) >= 3 and not np.any(np.mod(values, 100))
        if not hundreds:
            return []
        said = (
            f"Every amount is a whole multiple of 100 and the typical monthly value is {typical:,.0f}: if these "
            "are cents (4,900 for a 49.00 plan), every figure is 100 times too large."
        )
        return [_minor_units_problem(spec, said, top, shown.get(money[0], money[0]), "warning")]
    said = (
        f"Every amount is a whole number and the typical monthly value is {typical:,.0f}: these look like "
        "cents (minor units), not currency units."
    )
    return [_minor_units_problem(spec, said, top, shown.get(money[0], money[0]), "error")]


def _minor_units_problem(spec: InputSpec, said: str, top: pd.DataFrame, column: str, severity: str) -> Problem:
    return Problem(
        f"{said} {_unit_advice(spec)} Largest rows: {_rows(top[ROW])}.",
        file=spec.path,
        row=int(top[ROW].iloc[0]),
        column=column,
        severity=severity,
        input=spec.name,
    )


def _has_cents(values: np.ndarray) -> bool:
    """Some finite amount is not a whole number."""
    with np.errstate(invalid="ignore"):
        return bool((np.mod(values[np.isfinite(values)], 1) != 0).any())


def _unit_advice(spec: InputSpec) -> str:
    """What to do about minor units: amount_unit for a mapped file; under a source, which unit
    the source read each money column in (it converts them itself)."""
    if not spec.source:
        return (
            f'Set amount_unit = "cents" in [inputs.{spec.name}] if they are cents, or amount_unit = '
            '"units" if they really are whole amounts.'
        )
    units = SOURCES[spec.source].units if spec.source in SOURCES else {}
    read = ", ".join(f"'{c}' as {u}" for c, u in units.items()) or "its amounts as the tool documents them"
    return (
        f'source = "{spec.source}" already read {read}: check that the file is that tool\'s export '
        "as downloaded (not edited or re-exported in other units)."
    )


def _annual_as_monthly(spec: InputSpec, frame: pd.DataFrame, column: str) -> list[Problem]:
    annual = frame.loc[frame["billing"].eq("annual") & frame["mrr"].gt(0)]
    monthly = frame.loc[frame["billing"].eq("monthly") & frame["mrr"].gt(0), "mrr"]
    if len(annual) < 2 or len(monthly) < 2:
        return []
    base = monthly.median()
    if annual["mrr"].median() < ANNUAL_RATIO * base:
        return []
    high = annual.loc[annual["mrr"] >= ANNUAL_RATIO * base]
    return [
        Problem(
            f"Annual contracts have a monthly value {annual['mrr'].median() / base:.1f}x that of monthly ones "
            f"(median {annual['mrr'].median():,.2f} against {base:,.2f}): their yearly price looks counted as "
            f"monthly. Divide it by 12 (compute mrr = '\"Price\" / 12') or map it to tcv. Rows {_rows(high[ROW])}.",
            file=spec.path,
            row=int(high[ROW].iloc[0]),
            column=column,
            severity="warning",
            input=spec.name,
        )
    ]


def _jumps(spec: InputSpec, frame: pd.DataFrame, column: str) -> list[Problem]:
    """Customers whose MRR is 10x or more the month before, listed by customer (in order of
    first appearance) and month.

    Each row finds its customer's previous month on the column's cached customer codes and
    the month ordinals (:func:`previous_rows`): no sort of millions of rows. Keys that are
    missing or repeated (an error reported elsewhere) are compared as sorted rows instead.
    """
    if not isinstance(frame["month"].dtype, pd.PeriodDtype) or len(frame) < 2:
        return []
    codes = factorized(frame["customer_id"])[0]
    month = frame["month"].array.asi8
    v = frame["mrr"].to_numpy(dtype="float64", na_value=np.nan)
    before = previous_rows(codes, month)
    if before is not None:
        now = np.flatnonzero(before >= 0)
        then = before[now]
        hits = now[(v[then] > 0) & (v[now] >= JUMP * v[then])]
        hits = hits[np.lexsort((month[hits], codes[hits]))]
    else:
        order = np.arange(len(frame))
        if not _sorted(codes, month):
            order = np.lexsort((month, codes))
        c, m, w = codes[order], month[order], v[order]
        follows = (c[1:] == c[:-1]) & (m[1:] == m[:-1] + 1)
        hits = order[1:][follows & (w[:-1] > 0) & (w[1:] >= JUMP * w[:-1])]
    if not len(hits):
        return []
    hit = frame.iloc[hits]
    return [
        Problem(
            f"{len(hit):,} customer-month(s) have MRR {JUMP}x or more the month before (e.g. customer "
            f"{hit['customer_id'].iloc[0]} in {hit['month'].iloc[0]}): check for annual prices, cents or a "
            f"wrong row. Rows {_rows(hit[ROW])}.",
            file=spec.path,
            row=int(hit[ROW].iloc[0]),
            column=column,
            severity="warning",
            input=spec.name,
        )
    ]


def _sorted(codes: np.ndarray, month: np.ndarray) -> bool:
    """Each customer's rows together and in month order."""
    step = np.diff(codes)
    return bool(((step > 0) | ((step == 0) & (np.diff(month) > 0))).all())


def case_variants(spec: InputSpec, ids: pd.Series, rows: pd.Series, file: str, column: str) -> list[Problem]:
    """Ids equal but for letter case: probably one customer written twice.

    Worked out on the distinct ids (the column's cached codes), lower-cased once each.
    """
    codes, found = factorized(ids)
    if not len(found):
        return []
    distinct = pd.Series(found)
    lower = distinct.str.lower()
    clash = lower.duplicated(keep=False)
    if not clash.any():
        return []
    groups = distinct[clash].groupby(lower[clash]).agg(list)
    examples = "; ".join(" and ".join(f"'{v}'" for v in g) for g in groups.head(_SHOWN))
    first = rows[per_row(clash.to_numpy(), codes, False)]
    return [
        Problem(
            f"{len(groups):,} id(s) are written with different letter case ({examples}); they count "
            "as different ids. If they are one, write them the same way in the export.",
            file=file,
            row=int(first.iloc[0]) if len(first) else None,
            column=column,
            severity="warning",
            input=spec.name,
        )
    ]


# ======================================================================================
# repeated records


def repeated_rows(frame: pd.DataFrame, columns: list[str]) -> list[pd.Index]:
    """Groups of rows (index labels, in file order) equal in every one of ``columns`` (blanks
    equal blanks)."""
    repeated = frame.duplicated(columns, keep=False)
    if not repeated.any():
        return []
    by = columns[0] if len(columns) == 1 else columns  # one column by name: scalar group keys
    groups = frame.loc[repeated, columns].groupby(by, sort=False, dropna=False).groups
    return list(groups.values())


def _rows_in_files(frame: pd.DataFrame, index: pd.Index) -> str:
    """'Rows 5 and 9', or 'Row 5 of a.csv and row 3 of b.csv' when the rows come from several files."""
    rows = [int(r) for r in frame.loc[index, ROW]]
    if FILE in frame and frame.loc[index, FILE].nunique() > 1:
        named = [f"row {r} of {f}" for r, f in zip(rows, frame.loc[index, FILE], strict=True)]
        said = ", ".join(named[:-1]) + " and " + named[-1]
        return said[0].upper() + said[1:]
    return "Rows " + ", ".join(map(str, rows[:-1])) + " and " + str(rows[-1])


def _more(problems: list[Problem], what: str) -> list[Problem]:
    """The first ``_SHOWN`` of ``problems`` and one counting the rest."""
    if len(problems) <= _SHOWN:
        return problems
    rest = replace(problems[_SHOWN], message=f"... and {len(problems) - _SHOWN:,} more {what}.", row=None)
    return problems[:_SHOWN] + [rest]


def _data_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c not in (ROW, FILE)]


def identical_rows(frame: pd.DataFrame, file: str, input_name: str) -> list[Problem]:
    """A warning for each group of rows identical in every column (at most ``_SHOWN`` groups
    said, the rest counted): each is counted, so a repeat (two exports stacked with a glob,
    an overlapping re-export) would be counted twice, but two identical charges can be real."""
    groups = repeated_rows(frame, _data_columns(frame))
    problems = [
        Problem(
            f"{_rows_in_files(frame, g)} are identical in every column and each is counted. If it "
            "was exported twice (two exports given together, an export overlapping another), "
            "remove the repeat from the file; if they are real separate ones, nothing needs doing.",
            file=file,
            row=int(frame.at[g[0], ROW]),
            severity="warning",
            input=input_name,
        )
        for g in groups[: _SHOWN + 1]
    ]
    return _more(problems, f"groups of rows identical in every column ({len(groups):,} in all)")


def repeated_records(
    frame: pd.DataFrame, record_id: str, file: str, input_name: str
) -> tuple[list[int], list[Problem]]:
    """Rows that repeat ``record_id`` (a tool's own id of one record): the index labels of the
    later identical copies, to leave out, with a warning each; an error for copies that differ."""
    present = frame[record_id].notna() & frame[record_id].astype(str).str.strip().ne("")
    drop, errors, warnings = [], [], []
    for g in repeated_rows(frame.loc[present], [record_id]):
        rows = _rows_in_files(frame, g)
        value = frame.at[g[0], record_id]
        differ = [c for c in _data_columns(frame) if frame.loc[g, c].nunique(dropna=False) > 1]
        if differ:
            errors.append(
                Problem(
                    f"{rows} are the same record ({record_id} {value}) with different "
                    f"{', '.join(differ[:_SHOWN])}: it was exported twice and changed in between, and "
                    "which copy is right cannot be told. Keep one export of each period (the latest).",
                    file=file,
                    row=int(frame.at[g[0], ROW]),
                    column=record_id,
                    input=input_name,
                )
            )
            continue
        drop += list(g[1:])
        warnings.append(
            Problem(
                f"{rows} are the same record ({record_id} {value}) exported twice; it is counted "
                "once (the first row). Two exports given together overlap, or the export repeats it.",
                file=file,
                row=int(frame.at[g[1], ROW]),
                column=record_id,
                severity="warning",
                input=input_name,
            )
        )
    return drop, _more(errors, "records with differing copies") + _more(
        warnings, f"records exported twice, each counted once ({len(warnings):,} in all)"
    )


# ======================================================================================
# joins


def unmatched_join(spec: InputSpec, join: JoinSpec, left: pd.DataFrame, right: pd.DataFrame) -> list[Problem]:
    """An error when no key matches between the input's file and the joined file, a warning
    when fewer than ``JOIN_MATCHED`` of the rows that must match do.

    Which rows must match depends on what the join does (:func:`joins_own_records`):

    - a lookup (plans, sales teams, a customer's segment: any key other than the input's
      own record id) labels the FILE's rows: a row whose key the lookup lacks loses its
      label (``how = "left"``) or is dropped (``how = "inner"``), so the file's keyed rows
      are counted; keys the lookup lists and the file never uses are no problem (a plan list
      of 20 plans for a file using 3);
    - a join on the input's own record id (a lead's deal, a subscription's addons) adds
      facts to some of its records: a lead without a deal simply has none, so the joined
      file's rows are counted (a deal whose lead is not in the file is a conversion lost).

    Parameters
    ----------
    spec : InputSpec
        The input the join belongs to.
    join : JoinSpec
        The join; ``join.on`` names the keys in ``left``, ``join.right_keys`` in ``right``.
    left : pd.DataFrame
        The input's file: its key columns, as compared by the join, and ``__row__`` (and
        ``__file__`` when the input has several files).
    right : pd.DataFrame
        The joined file: its key columns, as compared by the join, and ``__row__``.

    Returns
    -------
    list[Problem]
        Nothing when at least ``JOIN_MATCHED`` of the rows that must match do.
    """
    mine = _Side(left, list(join.on), spec.path)
    theirs = _Side(right, list(join.right_keys), join.path)
    if joins_own_records(spec, join):
        lost = f"are not joined, so the joined columns ({_columns(join)}) count the matched rows only"
        return _unmatched(spec, join, theirs, mine, f"rows of {join.path}", lost)
    lost = 'are left out (how = "inner")' if join.how == "inner" else f"get blank {_columns(join)}"
    return _unmatched(spec, join, mine, theirs, f"rows of {spec.path} with a {'/'.join(mine.keys)}", lost)


def joins_own_records(spec: InputSpec, join: JoinSpec) -> bool:
    """Whether ``join`` is on the input's own record id (``UNIQUE_KEYS``: a lead's
    ``lead_id``, a contract's ``contract_id``), as the input's file names it."""
    own = UNIQUE_KEYS.get(spec.name)
    return own is not None and set(join.on) == {spec.columns.get(k, k) for k in own}


class _Side(NamedTuple):
    """One file of a join: its rows, its key columns, its name."""

    rows: pd.DataFrame
    keys: list[str]
    file: str


def _unmatched(spec: InputSpec, join: JoinSpec, counted: _Side, other: _Side, what: str, lost: str) -> list[Problem]:
    """The problem when under ``JOIN_MATCHED`` of ``counted``'s keyed rows find their key in
    ``other`` (rows without a key, no plan or no coupon, have nothing to match).

    ``what`` names the counted rows ("rows of m.csv with a plan"), ``lost`` what becomes of
    an unmatched one ("get blank segment")."""
    rows = counted.rows[counted.rows[counted.keys].notna().all(axis=1)]
    if rows.empty:
        return []
    listed = other.rows[other.keys].dropna().drop_duplicates().set_axis(counted.keys, axis=1)
    found = rows[counted.keys].merge(listed, how="left", on=counted.keys, indicator=True)["_merge"].eq("both")
    found = found.to_numpy()
    if found.mean() >= JOIN_MATCHED:
        return []
    missed = rows.loc[~found]
    sample = ", ".join(f"'{v}'" for v in missed[counted.keys[0]].drop_duplicates().head(_SHOWN))
    where = f"{'/'.join(counted.keys)} among the {'/'.join(other.keys)} values of {other.file}"
    if found.any():
        message = (
            f"only {int(found.sum()):,} of the {len(rows):,} {what} ({found.mean():.0%}) find their {where}; "
            f"the other {len(missed):,} (e.g. {sample}) {lost}. Check on / left_on / right_on if that is not expected."
        )
    else:
        message = (
            f"none of the {len(rows):,} {what} finds its {where} (e.g. {sample}): every joined column "
            f"({_columns(join)}) would be blank. Check on / left_on / right_on: they must name the same ids in "
            "both files."
        )
    return [
        Problem(
            f"[[inputs.{spec.name}.join]]: {message}",
            file=str(missed[FILE].iloc[0]) if FILE in missed else counted.file,
            row=int(missed[ROW].iloc[0]),
            column=counted.keys[0],
            severity="warning" if found.any() else "error",
            input=spec.name,
        )
    ]


def _columns(join: JoinSpec) -> str:
    return ", ".join(join.columns) or "none"


# ======================================================================================
# currency symbols


def foreign_symbols(spec: InputSpec, source: Source | None, raw: pd.DataFrame, currency: str) -> list[Problem]:
    """A warning per currency symbol of the file's amounts that the company currency is not
    written with (``$`` in a company reporting in EUR): the export is in another currency, or
    ``[company] currency`` is wrong; either way every figure would carry the wrong unit.

    Parameters
    ----------
    spec : InputSpec
        The money input read.
    source : Source or None
        Its known source, whose ``units`` name the export's money columns.
    raw : pd.DataFrame
        Its cells as read, with ``__row__`` (and ``__file__`` for several files).
    currency : str
        ``[company] currency``.

    Returns
    -------
    list[Problem]
        One warning per foreign symbol, at its first cell.
    """
    first: dict[str, tuple[int, str, str]] = {}
    count: dict[str, int] = {}
    for column in _amount_columns(spec, source, _data_columns(raw)):
        marks = currency_symbols(raw[column]).dropna()
        foreign = marks[[currency.upper() not in CURRENCY_SYMBOLS[m] for m in marks]]
        for symbol, hits in foreign.groupby(foreign, sort=False):
            count[symbol] = count.get(symbol, 0) + len(hits)
            first.setdefault(symbol, (hits.index[0], column, str(raw.at[hits.index[0], column]).strip()))
    return [_symbol_problem(spec, raw, currency, symbol, count[symbol], *at) for symbol, at in first.items()]


def _amount_columns(spec: InputSpec, source: Source | None, columns: list[str]) -> list[str]:
    """The file's columns that hold amounts: every column of a report layout (a P&L, months as
    columns) or of a source that does not name its money columns; else the money columns
    (a source's ``units``, the mapped ``mrr``, ``amount`` ...), not ids or names."""
    if spec.layout in ("accounts", "wide") or (source is not None and (source.frame is not None or not source.units)):
        return columns
    if source is not None:
        money = {c.casefold() for c in source.units}
        return [c for c in columns if c.casefold() in money]
    money = {spec.columns.get(c, c) for c in MONEY.get(spec.name, ())}
    return [c for c in columns if c in money]


def _symbol_problem(
    spec: InputSpec, raw: pd.DataFrame, currency: str, symbol: str, n: int, at, column: str, cell: str
) -> Problem:
    usual = "/".join(CURRENCY_SYMBOLS[symbol][:3]) + ("..." if len(CURRENCY_SYMBOLS[symbol]) > 3 else "")
    return Problem(
        f"{n:,} amount(s) of this file are written with '{symbol}' (e.g. '{cell}'), a symbol of {usual}, "
        f"but [company] currency is {currency}: every figure would be reported in {currency}. Set "
        "currency to the export's own, or export the amounts in the company currency.",
        file=str(raw.at[at, FILE]) if FILE in raw else spec.path,
        row=int(raw.at[at, ROW]),
        column=column,
        severity="warning",
        input=spec.name,
    )
