"""Guards against a silently wrong pack: the checks that look at a whole input.

Each returns :class:`Problem` objects naming the file, rows and column. The thresholds
are documented in docs/inputs.md ("Guards"):

- rows kept: an input that loses more than ``1 - min_rows_kept`` of its rows (default half)
  to ``where`` or to bad rows is an error; an input with no usable row is an error;
- total rows: a row labelled Total / Subtotal / Sum / Grand total, or a last row whose
  numbers equal the sums of the rows above, is left out with a warning;
- minor units: money whose every value is a whole number and whose typical (median)
  monthly value per row is 10,000 or more looks like cents: an error until
  ``amount_unit`` says "cents" or "units";
- annual prices counted as monthly: annual-billed contracts whose median monthly value is
  at least 8x that of monthly-billed ones (an annual plan is usually priced at 10-12
  monthly prices, so a yearly price typed as mrr shows up as ~10x);
- tenfold jumps: a customer whose MRR is 10x or more its previous month's;
- ids that differ only by case (``Acme`` and ``ACME``) are a warning: they count as two.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from reportlib.exceptions import Problem
from reportlib.inputs._readers import FILE, ROW
from reportlib.inputs._values import parse_numbers
from reportlib.inputs.config import InputSpec

MINOR_UNIT_MEDIAN = 10_000
ANNUAL_RATIO = 8
JUMP = 10
_SHOWN = 5
_TOTAL_LABEL = re.compile(r"^\s*((grand|sub)[\s-]?)?totals?(\s+(mrr|arr|revenue|amount|all|customers|for\b.*))?"
                          r"\s*:?\s*$|^\s*sum\s*:?\s*$", re.IGNORECASE)


def _rows(rows: pd.Series) -> str:
    shown = ", ".join(str(int(r)) for r in rows.head(_SHOWN))
    return shown + (f" and {len(rows) - _SHOWN:,} more" if len(rows) > _SHOWN else "")


# ======================================================================================
# reading


def total_rows(frame: pd.DataFrame, display: str, input_name: str) -> tuple[pd.DataFrame, list[Problem]]:
    """``frame`` without its total rows, and a warning for each left out."""
    data = [c for c in frame.columns if c not in (ROW, FILE)]
    if len(frame) < 3 or not data:
        return frame, []
    labelled = pd.Series(False, index=frame.index)
    for column in data[:3]:
        # Once per distinct value: an id column of 300k rows has far fewer labels.
        codes, distinct = pd.factorize(frame[column])
        total = np.array([isinstance(v, str) and bool(_TOTAL_LABEL.fullmatch(v)) for v in distinct], dtype=bool)
        if total.any():
            labelled |= pd.Series((codes >= 0) & total[np.clip(codes, 0, None)], index=frame.index)
    summed = _sum_row(frame, data)
    hit = labelled | summed
    if not hit.any():
        return frame, []
    why = "labelled as a total" if labelled.any() else "its numbers are the sums of the rows above"
    problem = Problem(f"Row(s) {_rows(frame.loc[hit, ROW])} left out: {why}, not a customer or a month. "
                      "Totals are recomputed from the rows.", file=display, row=int(frame.loc[hit, ROW].iloc[0]),
                      severity="warning", input=input_name)
    return frame.loc[~hit].reset_index(drop=True), [problem]


def without_totals(frame: pd.DataFrame, spec: InputSpec, kinds: set[str]) -> tuple[pd.DataFrame, list[Problem]]:
    """Total rows left out of each spreadsheet-like file of the input (not Parquet or JSON)."""
    if not kinds & {"csv", "excel"} or spec.source:
        return frame, []
    if FILE not in frame:
        return total_rows(frame, spec.path, spec.name)
    parts, notes = [], []
    for file, part in frame.groupby(FILE, sort=False):
        part, found = total_rows(part.reset_index(drop=True), str(file), spec.name)
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
    head = frame.iloc[:-1].iloc[:50]
    candidates = []
    for c in data:
        end, first = parse_numbers(frame[c].iloc[[-1]])[0].iloc[0], parse_numbers(head[c])[0]
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


def no_rows(spec: InputSpec, raw: pd.DataFrame) -> Problem | None:
    """An export with a header but no data rows."""
    if len(raw):
        return None
    return Problem(f"{spec.path} has no data rows (only a header, or every row was a title, comment, "
                   f"total or blank line): [inputs.{spec.name}] needs at least one.", file=spec.path,
                   input=spec.name)


# ======================================================================================
# rows kept


def left_out_by_where(spec: InputSpec, dropped: int, read: int) -> Problem:
    return Problem(f"{dropped:,} of {read:,} rows left out by where = {spec.where!r}.", file=spec.path,
                   column=f"inputs.{spec.name}.where", severity="warning", input=spec.name)


def rows_kept(spec: InputSpec, read: int, lost: int, frame: pd.DataFrame) -> list[Problem]:
    """Error when too few of the rows read are left (``min_rows_kept``) or none is."""
    if frame is None:
        return []
    if frame.empty:
        return [Problem(f"No usable row is left in {spec.path} after reading it ({read:,} rows read): "
                        f"[inputs.{spec.name}] needs at least one.", file=spec.path, input=spec.name)]
    kept = 1 - lost / read if read else 1.0
    if kept >= spec.min_rows_kept:
        return []
    return [Problem(f"Only {read - lost:,} of {read:,} rows ({kept:.0%}) are left after where and bad rows, "
                    f"below min_rows_kept = {spec.min_rows_kept:g}: the file is probably read wrongly (a "
                    "date format, a filter). Fix the reading, or lower min_rows_kept if that is intended.",
                    file=spec.path, input=spec.name)]


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
    values = np.concatenate([frame[c].to_numpy(dtype="float64", na_value=np.nan) for c in money])
    values = values[np.isfinite(values) & (values != 0)]
    if len(values) < 3 or (np.mod(values, 1) != 0).any():
        return []
    typical = monthly[monthly > 0].median()
    if not typical >= MINOR_UNIT_MEDIAN:
        return []
    top = frame.loc[monthly.nlargest(_SHOWN).index]
    return [Problem(
        f"Every amount is a whole number and the typical monthly value is {typical:,.0f}: these look like "
        f"cents (minor units), not currency units. Set amount_unit = \"cents\" in "
        f"[inputs.{spec.name}] if they are cents, or amount_unit = \"units\" if they really are whole "
        f"amounts. Largest rows: {_rows(top[ROW])}.", file=spec.path, row=int(top[ROW].iloc[0]),
        column=shown.get(money[0], money[0]), input=spec.name)]


def _annual_as_monthly(spec: InputSpec, frame: pd.DataFrame, column: str) -> list[Problem]:
    annual = frame.loc[frame["billing"].eq("annual") & frame["mrr"].gt(0)]
    monthly = frame.loc[frame["billing"].eq("monthly") & frame["mrr"].gt(0), "mrr"]
    if len(annual) < 2 or len(monthly) < 2:
        return []
    base = monthly.median()
    if annual["mrr"].median() < ANNUAL_RATIO * base:
        return []
    high = annual.loc[annual["mrr"] >= ANNUAL_RATIO * base]
    return [Problem(
        f"Annual contracts have a monthly value {annual['mrr'].median() / base:.1f}x that of monthly ones "
        f"(median {annual['mrr'].median():,.2f} against {base:,.2f}): their yearly price looks counted as "
        f"monthly. Divide it by 12 (compute mrr = '\"Price\" / 12') or map it to tcv. Rows {_rows(high[ROW])}.",
        file=spec.path, row=int(high[ROW].iloc[0]), column=column, severity="warning", input=spec.name)]


def _jumps(spec: InputSpec, frame: pd.DataFrame, column: str) -> list[Problem]:
    """Customers whose MRR is 10x or more the month before.

    Exports are usually sorted by customer and month: the rows are then compared as they
    are (codes in order of first appearance rise with the rows), and sorted first only
    when they are not (the sort costs seconds on millions of rows).
    """
    if not isinstance(frame["month"].dtype, pd.PeriodDtype) or len(frame) < 2:
        return []
    codes = pd.factorize(frame["customer_id"])[0]
    month = frame["month"].array.asi8
    order = np.arange(len(frame))
    if not _sorted(codes, month):
        order = np.lexsort((month, codes))
        codes, month = codes[order], month[order]
    v = frame["mrr"].to_numpy(dtype="float64", na_value=np.nan)[order]
    follows = (codes[1:] == codes[:-1]) & (month[1:] == month[:-1] + 1)
    jump = follows & (v[:-1] > 0) & (v[1:] >= JUMP * v[:-1])
    if not jump.any():
        return []
    hit = frame.iloc[order[1:][jump]]
    return [Problem(
        f"{len(hit):,} customer-month(s) have MRR {JUMP}x or more the month before (e.g. customer "
        f"{hit['customer_id'].iloc[0]} in {hit['month'].iloc[0]}): check for annual prices, cents or a "
        f"wrong row. Rows {_rows(hit[ROW])}.", file=spec.path, row=int(hit[ROW].iloc[0]), column=column,
        severity="warning", input=spec.name)]


def _sorted(codes: np.ndarray, month: np.ndarray) -> bool:
    """Each customer's rows together and in month order."""
    step = np.diff(codes)
    return bool(((step > 0) | ((step == 0) & (np.diff(month) > 0))).all())


def case_variants(spec: InputSpec, ids: pd.Series, rows: pd.Series, file: str, column: str) -> list[Problem]:
    """Ids equal but for letter case: probably one customer written twice."""
    distinct = pd.Series(ids.dropna().unique())
    if distinct.empty:
        return []
    lower = distinct.str.lower()
    clash = lower.duplicated(keep=False)
    if not clash.any():
        return []
    groups = distinct[clash].groupby(lower[clash]).agg(list)
    examples = "; ".join(" and ".join(f"'{v}'" for v in g) for g in groups.head(_SHOWN))
    first = rows[ids.isin(distinct[clash])]
    return [Problem(f"{len(groups):,} id(s) are written with different letter case ({examples}); they count "
                    "as different ids. If they are one, write them the same way in the export.",
                    file=file, row=int(first.iloc[0]) if len(first) else None, column=column,
                    severity="warning", input=spec.name)]
