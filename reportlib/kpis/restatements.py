"""Restatements: what a board was told in an earlier pack and what the data now says, and why
(DESIGN.md ``restatements.csv``).

Every pack keeps, beside its ``kpis.csv`` and tables, a compact record of the rows it was
computed from: ``_inputs/fingerprint.csv``, one row per input x entity (customer, or for
inputs without one each numeric column, its ``part``) x month, contracts also by revenue
type (``part``), month signed and last day served (``until``), with the row count, the
amount and an order-independent digest of every column of those rows. The manifest holds the
policies and package versions; the next pack's manifest names it (``compared_with``). The
next pack of the same company recomputes the earlier pack's period(s) with today's inputs
and code, compares every KPI value and the monthly ``mrr_bridge`` / ``revenue_bridge``
figures, and names the cause of each difference above a cent (money), 0.1 point (ratios) or
half a unit (counts):

* policy changed: the earlier pack's policies are re-applied to today's inputs, and the part
  of the difference they explain is the policy's;
* input changed: the record rows that differ among those the figure reads (:class:`Reads`,
  :data:`FIGURE_READS`: ARR the recurring contracts serving its last month, bookings the
  contracts signed in its months, ...); a figure whose reads are not declared lists every
  changed row of its inputs up to its last month and says so;
* FX rates changed: the same for the ``fx`` table when the company has one;
* package version changed: when no input explains the rest and the reportlib version differs.

The record is small (a few thousand rows for a company with a few hundred customers), and it
never holds a customer's raw export, only sums and digests.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reportlib import __version__
from reportlib import format as F
from reportlib._csvfiles import csv_bytes, read_csv
from reportlib._store import Mode, Store, code_digest, digest, is_pair, library_versions
from reportlib.inputs import Company
from reportlib.inputs.config import REVENUE_INPUTS, Policies
from reportlib.kpis.builder import KpiResult, period_figures
from reportlib.metrics import Window
from reportlib.registry import REGISTRY

__all__ = [
    "RESTATEMENT_COLUMNS",
    "FINGERPRINT",
    "fingerprint",
    "stored_fingerprint",
    "write_record",
    "find_earlier_pack",
    "compared_pack",
    "figure_reads",
    "Reads",
    "restatements",
    "restatement_summary",
    "attach_restatements",
    "pack_hook",
    "figure_unit",
    "brief_cause",
    "cause_headline",
]

RESTATEMENT_COLUMNS = ["period", "kpi", "reported_before", "now", "change", "cause"]
FINGERPRINT = Path("_inputs") / "fingerprint.csv"
FINGERPRINT_COLUMNS = ["input", "entity", "part", "month", "signed", "until", "rows", "amount", "digest"]
#: The columns of a record kept by a pack before the record had parts (one row per input x
#: entity x month).
_OLD_KEY = ["input", "entity", "month"]
MANIFEST = "manifest.json"
#: The store's folder of records (the fingerprint of a loaded company's rows).
STORE_KIND = "record"


@dataclass(frozen=True)
class _Keyed:
    """How an input's rows are grouped in the record: by ``entity`` (None: each numeric column
    is its own entity, a P&L line, visitors), the month of ``month``, and for contracts also by
    ``part`` (the revenue type), the month ``signed`` and the day served ``until`` (blank =
    open-ended), so that a figure's causes are the rows it reads (:class:`Reads`)."""

    entity: str | None
    month: str
    amount: str | None
    part: str | None = None
    signed: str | None = None
    until: str | None = None
    #: Parts whose rows without an end serve their month alone (METRICS.md: a one-off line
    #: without an end date is recognized in the month of its start).
    once: tuple[str, ...] = ()


FINGERPRINT_KEYS: dict[str, _Keyed] = {
    "mrr": _Keyed("customer_id", "month", "mrr"),
    "contracts": _Keyed("customer_id", "start_date", "tcv", "revenue_type", "signed_date", "end_date", ("one_off",)),
    "transactions": _Keyed("customer_id", "date", "amount"),
    "financials": _Keyed(None, "month", None),
    "leads": _Keyed(None, "created_at", None),
    "traffic": _Keyed(None, "month", None),
    "opportunities": _Keyed("opportunity_id", "created_at", "amount"),
    "targets": _Keyed("metric", "period", "target"),
    "usage": _Keyed(None, "date", None),
    "nps": _Keyed(None, "responded_at", None),
    "reported": _Keyed("kpi", "period", "value"),
    "fx": _Keyed("currency", "month", "rate"),
}
#: A record row's ``until`` for a contract with no end date.
OPEN_ENDED = "open"


@dataclass(frozen=True)
class Reads:
    """One part of what a figure reads, for naming the input changes that moved it.

    Parameters
    ----------
    input : str
        An input, or ``"revenue"``: the input MRR comes from (``Company.revenue_source``;
        from contracts, their contracted_recurring lines, with policy
        ``mrr_includes_uncontracted`` also uncontracted ones and transactions).
    months : str
        Which of the input's rows, for a figure of the months ``first`` to ``last``:
        ``at_end`` those serving the last day of ``last`` (MRR, ARR); ``window`` those serving
        any of its months (revenue, billings); ``signed`` those signed in them (bookings);
        ``committed`` those serving ``last`` or signed by it and starting after it (CARR);
        ``started`` those starting by ``last`` (deferred revenue: billed less recognised to
        date); ``to_end`` every row up to ``last``, started or signed (movements and
        retention read the history).
    parts : tuple of str, optional
        The revenue types (contracts) or columns (financials) read; None: all.
    without : str, optional
        Read only when the company has no such input (revenue: from contracts, else the P&L).
    """

    input: str
    months: str = "to_end"
    parts: tuple[str, ...] | None = None
    without: str | None = None


_REVENUE = Reads("revenue")
_REVENUE_AT_END = Reads("revenue", "at_end")
_RECURRING = ("contracted_recurring",)
_RECOGNISED = (Reads("contracts", "window"), Reads("transactions", "window"))
#: What each figure reads (METRICS.md). A KPI of the revenue section not listed reads the
#: revenue history up to its last month (:data:`_REVENUE`); any other figure not listed has
#: reads that are not declared: every change of its inputs up to its last month is listed,
#: and the cause says so.
FIGURE_READS: dict[str, tuple[Reads, ...]] = {
    "mrr": (_REVENUE_AT_END,),
    "arr": (_REVENUE_AT_END,),
    "customers": (_REVENUE_AT_END,),
    "arpa": (_REVENUE_AT_END,),
    "bookings": (Reads("contracts", "signed"),),
    "billings": _RECOGNISED,
    "revenue": (*_RECOGNISED, Reads("financials", "window", ("revenue",), without="contracts")),
    "deferred_revenue": (Reads("contracts", "started"),),
    "carr": (Reads("contracts", "committed", _RECURRING),),
    "mrr_bridge.closing_mrr": (_REVENUE_AT_END,),
    "mrr_bridge.customers": (_REVENUE_AT_END,),
    "revenue_bridge.bookings": (Reads("contracts", "signed"),),
    "revenue_bridge.billings": _RECOGNISED,
    "revenue_bridge.revenue": _RECOGNISED,
    "revenue_bridge.deferred_revenue": (Reads("contracts", "started"),),
    "revenue_bridge.arr": (Reads("contracts", "at_end", _RECURRING),),
    "revenue_bridge.carr": (Reads("contracts", "committed", _RECURRING),),
}
#: Tables compared month by month besides kpis.csv; columns counting customers are counts.
BRIDGE_TABLES = ("mrr_bridge", "revenue_bridge")
_TOLERANCE = {"currency": 0.01, "ratio": 0.001, "count": 0.5}
_DEFAULT_TOLERANCE = 0.01


# --- the record an issued pack keeps ---------------------------------------------------------
def _month_text(values: pd.Series) -> pd.Series:
    if isinstance(values.dtype, pd.PeriodDtype):
        return values.astype(str)
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.to_period("M").astype(str)
    return values.astype("string").str.strip()


def _as_text(column: pd.Series) -> pd.Series:
    """``column.astype("string")``; a datetime column formatted once per distinct value (its
    format, with or without the time of day, depends on the set of values only): formatting
    is most of a row digest's cost, and a date column repeats a few hundred days."""
    if not pd.api.types.is_datetime64_dtype(column):
        return column.astype("string")
    codes, distinct = pd.factorize(column, use_na_sentinel=True)
    text = pd.Series(distinct).astype("string").array  # NaT has code -1: taken as missing
    return pd.Series(text.take(codes, allow_fill=True), index=column.index, name=column.name)


def _digest(frame: pd.DataFrame, keys: list[pd.Series]) -> pd.Series:
    """Order-independent digest of the rows of each group: the sum of row hashes mod 2**64.

    Summed as two 32-bit halves (exact in int64 for fewer than 2**31 rows a group), then
    recombined with uint64 arithmetic, which wraps mod 2**64: one vectorised groupby instead
    of a Python call per group."""
    text = pd.DataFrame({c: _as_text(frame[c]) for c in sorted(frame.columns)}, index=frame.index)
    hashed = pd.util.hash_pandas_object(text, index=False).to_numpy()
    halves = pd.DataFrame(
        {"low": (hashed & np.uint64(0xFFFFFFFF)).astype(np.int64), "high": (hashed >> np.uint64(32)).astype(np.int64)},
        index=frame.index,
    )
    sums = halves.groupby(keys).sum()
    total = (sums["high"].to_numpy(np.uint64) << np.uint64(32)) + sums["low"].to_numpy(np.uint64)
    return pd.Series([str(int(v)) for v in total], index=sums.index, dtype=object)


def _text_key(frame: pd.DataFrame, column: str | None, name: str) -> pd.Series:
    """A grouping key of the record: the column as text, or blank when the input has none."""
    if column is None or column not in frame.columns:
        return pd.Series("", index=frame.index, name=name)
    return frame[column].astype("string").fillna("").rename(name)


def _day_key(frame: pd.DataFrame, keyed: _Keyed, part: pd.Series) -> pd.Series:
    """``until``: the last day a row serves (ISO date), :data:`OPEN_ENDED` without one; blank
    for rows that serve their month alone (every row of an input without an end column)."""
    if keyed.until is None or keyed.until not in frame.columns:
        return pd.Series("", index=frame.index, name="until")
    days = pd.to_datetime(frame[keyed.until], errors="coerce").dt.strftime("%Y-%m-%d").astype(object)
    return days.fillna(pd.Series("", index=frame.index).where(part.isin(keyed.once), OPEN_ENDED)).rename("until")


def _input_fingerprint(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    keyed = FINGERPRINT_KEYS[name]
    if frame.empty or keyed.month not in frame.columns:
        return pd.DataFrame(columns=FINGERPRINT_COLUMNS)
    month = _month_text(frame[keyed.month]).fillna("").rename("month")
    if keyed.entity is not None and keyed.entity in frame.columns:
        return _entity_fingerprint(name, frame, keyed, month)
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c]) and c != keyed.month]
    # one groupby for every numeric column (a P&L has ten): the same sums, column by column
    sums = frame[numeric].astype(float).groupby(month).sum() if numeric else None
    sizes = month.groupby(month).size()
    parts = [pd.DataFrame({"rows": sizes, "amount": sums[c], "entity": c}) for c in numeric]
    if not parts:  # event inputs: rows per month
        parts = [sizes.rename("rows").to_frame().assign(amount=np.nan, entity="rows")]
    out = pd.concat(parts).join(_digest(frame, [month]).rename("digest")).reset_index()
    # a column is the part a figure reads (sales_marketing), the row serves its month alone
    return out.assign(input=name, part=out["entity"], signed="", until="")[FINGERPRINT_COLUMNS]


def _entity_fingerprint(name: str, frame: pd.DataFrame, keyed: _Keyed, month: pd.Series) -> pd.DataFrame:
    """Rows per entity x month (x revenue type x month signed x day served until, for contracts)."""
    entity = frame[keyed.entity].astype("string").fillna("").rename("entity")
    part = _text_key(frame, keyed.part, "part")
    signed = month.rename("signed")
    if keyed.signed is not None and keyed.signed in frame.columns:  # a blank signed date is the start's
        signed = _month_text(frame[keyed.signed]).fillna(month).fillna("").rename("signed")
    until = _day_key(frame, keyed, part)
    amount = frame[keyed.amount].astype(float) if keyed.amount in frame.columns else pd.Series(np.nan, frame.index)
    if name == "contracts" and "mrr" in frame.columns:  # a contract given by mrr books 12 x mrr
        amount = amount.fillna(12 * frame["mrr"].astype(float))
    keys = [entity, part, month, signed, until]
    grouped = pd.DataFrame({"rows": 1, "amount": amount}).groupby(keys)
    out = grouped.sum().join(_digest(frame, keys).rename("digest"))
    return out.reset_index().assign(input=name)[FINGERPRINT_COLUMNS]


def fingerprint(company: Company) -> pd.DataFrame:
    """The record of every input row a pack was computed from (see the module docstring).

    Returns
    -------
    DataFrame
        ``input, entity, month, rows, amount, digest``.
    """
    parts = [_input_fingerprint(n, f) for n, f in company.frames.items() if n in FINGERPRINT_KEYS]
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=FINGERPRINT_COLUMNS)


def stored_fingerprint(company: Company, cache: Mode = Mode.OFF) -> pd.DataFrame:
    """:func:`fingerprint`, read back from the store when ``cache`` reads and the company
    was loaded through it (see :func:`_stored_record`)."""
    return _stored_record(company, cache)[0]


def _stored_record(company: Company, cache: Mode) -> tuple[pd.DataFrame, bytes]:
    """The record and its CSV text, from the store or made (and stored): the record depends
    only on the rows, i.e. on the key of the loaded inputs (``Company.digest``), the segment
    and the code."""
    key = (
        digest(STORE_KIND, company.digest, company.segment_filter, code_digest(), library_versions())
        if company.digest
        else None
    )
    return Store(STORE_KIND).fetch(key, cache, lambda: _record(company), is_pair(pd.DataFrame, bytes))


def _record(company: Company) -> tuple[pd.DataFrame, bytes]:
    found = fingerprint(company)
    return found, csv_bytes(found)


def write_record(company: Company, folder: Path, cache: Mode = Mode.OFF) -> dict[str, Any]:
    """Write ``_inputs/fingerprint.csv`` into a pack folder; return the manifest entries the
    next pack needs (``policies``). ``cache``: see :func:`stored_fingerprint`."""
    _write_record(_stored_record(company, cache)[1], folder)
    return _manifest_entries(company)


def _write_record(text: bytes, folder: Path) -> None:
    path = Path(folder) / FINGERPRINT
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text)


def _manifest_entries(company: Company) -> dict[str, Any]:
    """What the next pack reads from the manifest besides the record: the policies."""
    return {"policies": asdict(company.config.policies)}


def compared_pack(earlier: Path) -> dict[str, Any]:
    """The manifest's ``compared_with``: which earlier pack the restatements compare with, its
    folder (beside this pack's), as_of, when it was made and the SHA-256 of the kpis.csv
    whose figures were compared (the folder can be made again; the digest tells if it was)."""
    earlier = Path(earlier)
    manifest = json.loads((earlier / MANIFEST).read_text(encoding="utf-8"))
    kpis = earlier / "kpis.csv"
    return {
        "folder": earlier.name,
        "as_of": str(manifest.get("parameters", {}).get("as_of", earlier.name[:7]))[:7],
        "created": manifest.get("created"),
        "kpis_sha256": hashlib.sha256(kpis.read_bytes()).hexdigest() if kpis.is_file() else None,
    }


def find_earlier_pack(folder: Path) -> Path | None:
    """The latest pack of the same company, segment and comparison issued for an earlier month
    than ``folder`` (``<out>/<company>/<YYYY-MM>[suffix]``), or None."""
    folder = Path(folder)
    month, suffix = folder.name[:7], folder.name[7:]
    if not folder.parent.is_dir():
        return None
    earlier = [
        p
        for p in folder.parent.iterdir()
        if p.is_dir()
        and not p.name.startswith(".")
        and p.name[7:] == suffix
        and p.name[:7] < month
        and (p / MANIFEST).is_file()
    ]
    return max(earlier, key=lambda p: p.name[:7], default=None)


# --- comparing --------------------------------------------------------------------------------
@dataclass
class _Earlier:
    """An earlier pack as read back from its folder."""

    folder: Path
    as_of: str
    window: Window
    segment: str
    policies: Policies | None
    version: str
    kpis: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    record: pd.DataFrame | None
    files: Mapping[str, str] = field(default_factory=dict)


def _read_earlier(folder: Path) -> _Earlier:
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    params = manifest.get("parameters", {})
    as_of = str(params.get("as_of", folder.name[:7]))[:7]
    policies = manifest.get("policies")
    tables = {
        n: read_csv(folder / "tables" / f"{n}.csv", dtype={"month": str})
        for n in BRIDGE_TABLES
        if (folder / "tables" / f"{n}.csv").is_file()
    }
    record = folder / FINGERPRINT
    return _Earlier(
        folder,
        as_of,
        Window.of(as_of, params.get("window", "quarter")),
        params.get("segment", ""),
        Policies(**policies) if policies else None,
        manifest.get("versions", {}).get("reportlib", ""),
        read_csv(folder / "kpis.csv"),
        tables,
        _read_record(record) if record.is_file() else None,
        manifest.get("inputs", {}),
    )


def _read_record(path: Path) -> pd.DataFrame:
    keys = [c for c in FINGERPRINT_COLUMNS if c not in ("rows", "amount")]
    found = read_csv(path, dtype=dict.fromkeys(keys, str))
    return found.fillna({c: "" for c in keys if c in found.columns})


def _long(kpis: pd.DataFrame, tables: Mapping[str, pd.DataFrame], window: Window) -> pd.DataFrame:
    """Every comparable figure: (period, kpi, unit, first and last month, value)."""
    rows = []
    for w, column in ((window, "value"), (window.prior(), "prior_value")):
        for r in kpis.itertuples(index=False):
            rows.append((w.label, r.kpi, r.unit, str(w.first), str(w.as_of), getattr(r, column)))
    for name in BRIDGE_TABLES:
        table = tables.get(name)
        if table is None or table.empty:
            continue
        table = table[table["month"].astype(str) <= str(window.as_of)]
        for col in (c for c in table.columns if c != "month"):
            unit = figure_unit(f"{name}.{col}")
            rows += [
                (str(m), f"{name}.{col}", unit, str(m), str(m), v)
                for m, v in zip(table["month"], table[col], strict=False)
            ]
    return pd.DataFrame(rows, columns=["period", "kpi", "unit", "start", "end", "value"])


def figure_unit(figure: str) -> str:
    """The unit of a compared figure: a KPI's (the registry's), a bridge line's currency, or
    count for its customers ('mrr_bridge.customers')."""
    if figure in REGISTRY:
        return REGISTRY[figure].unit
    return "count" if figure.endswith("customers") else "currency"


def _figure(value: float, figure: str, currency: str | None) -> str:
    return F.value(value, figure_unit(figure), currency, context="text")


def figure_reads(figure: str) -> tuple[Reads, ...] | None:
    """What ``figure`` (a KPI id or 'mrr_bridge.churn') reads: :data:`FIGURE_READS`, else the
    revenue history for a KPI of the revenue section and a line of the MRR bridge; None when
    it is not declared."""
    if figure in FIGURE_READS:
        return FIGURE_READS[figure]
    kpi = REGISTRY.get(figure)
    if figure.partition(".")[0] == "mrr_bridge" or (kpi is not None and kpi.needs == ("revenue",)):
        return (_REVENUE,)
    return None


def _undeclared_reads(figure: str) -> tuple[Reads, ...]:
    """Every input a figure without declared reads may be computed from, every row up to its
    last month (the registry's ``needs``)."""
    needs = REGISTRY[figure].needs if figure in REGISTRY else ()
    names = [n for need in needs for n in (REVENUE_INPUTS if need == "revenue" else need.split("|"))]
    return tuple(Reads(n) for n in dict.fromkeys(names))


def _revenue_reads(company: Company, uncontracted: bool, months: str) -> list[Reads]:
    """:class:`Reads` of the input MRR comes from (METRICS.md "MRR from contracts")."""
    source = company.revenue_source()
    if source != "contracts":
        return [Reads(source, months)] if source else []
    types = _RECURRING + (("uncontracted_recurring",) if uncontracted else ())
    return [Reads("contracts", months, types)] + ([Reads("transactions", months)] if uncontracted else [])


def _company_reads(reads: Iterable[Reads], company: Company, uncontracted: bool) -> list[Reads]:
    """``reads`` as this company's inputs: 'revenue' resolved, a part read only without
    another input left out when the company has that input."""
    out: list[Reads] = []
    for r in reads:
        if r.without is not None and company.has(r.without):
            continue
        out += _revenue_reads(company, uncontracted, r.months) if r.input == "revenue" else [r]
    return out


def _differs(before: pd.Series, now: pd.Series, unit: pd.Series) -> pd.Series:
    tol = unit.map(_TOLERANCE).fillna(_DEFAULT_TOLERANCE)
    both = before.notna() & now.notna()
    return (both & ((now - before).abs() > tol)) | (before.isna() != now.isna())


_CHANGE_KEY = ["input", "entity", "part", "month", "signed", "until"]


def _input_changes(before: pd.DataFrame | None, now: pd.DataFrame) -> pd.DataFrame:
    """Record rows that differ: their key (:data:`FINGERPRINT_COLUMNS`), amount before and now."""
    cols = [*_CHANGE_KEY, "before", "now", "change"]
    if before is None:
        return pd.DataFrame(columns=cols)
    before, now = _comparable(before, now.astype(dict.fromkeys(_CHANGE_KEY + ["digest"], str)))
    merged = before.merge(now, on=_CHANGE_KEY, how="outer", suffixes=("_b", "_n"))
    changed = merged["digest_b"].astype(str) != merged["digest_n"].astype(str)
    out = merged[changed].rename(columns={"amount_b": "before", "amount_n": "now"})
    out = out.assign(change=out["now"].fillna(0) - out["before"].fillna(0))
    return out.sort_values("change", key=lambda s: -s.abs())[cols].reset_index(drop=True)


def _comparable(before: pd.DataFrame, now: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The two records at one grain. A record kept before records had parts (one row per
    input x entity x month) is compared with today's summed to that grain (row digests add
    up), each row then read as any part, signed in its month, a contract as serving from its
    start on: every figure that may read it names it, as before."""
    if "part" in before.columns:
        return before, now
    summed = now.groupby(_OLD_KEY, as_index=False).agg(
        rows=("rows", "sum"), amount=("amount", "sum"), digest=("digest", _digest_sum)
    )
    return _unparted(before), _unparted(summed)


def _digest_sum(digests: pd.Series) -> str:
    return str(sum(int(d) for d in digests) % 2**64)


def _unparted(record: pd.DataFrame) -> pd.DataFrame:
    spans = {n: OPEN_ENDED if k.until else "" for n, k in FINGERPRINT_KEYS.items()}
    return record.assign(part="", signed=record["month"], until=record["input"].map(spans).fillna(""))


def _serves_end(row: Any, last: str) -> bool:
    """Whether a record row serves the last day of month ``last`` (a month's row: its month)."""
    if row.month > last:
        return False
    if row.until == OPEN_ENDED:
        return True
    if not row.until:
        return row.month == last
    return row.until >= pd.Period(last, freq="M").end_time.strftime("%Y-%m-%d")


def _serves_any(row: Any, first: str, last: str) -> bool:
    """Whether a record row serves a day of the months ``first`` to ``last``."""
    final = "9999-12" if row.until == OPEN_ENDED else (row.until[:7] or row.month)
    return row.month <= last and final >= first


def _signed(row: Any) -> str:
    return row.signed or row.month


#: Which rows a figure of the months ``first`` to ``last`` reads (see :class:`Reads`).
_MONTH_RULES: dict[str, Callable[[Any, str, str], bool]] = {
    "at_end": lambda row, first, last: _serves_end(row, last),
    "window": _serves_any,
    "signed": lambda row, first, last: first <= _signed(row) <= last,
    "committed": lambda row, first, last: _serves_end(row, last) or _signed(row) <= last < row.month,
    "started": lambda row, first, last: row.month <= last,
    "to_end": lambda row, first, last: row.month <= last or _signed(row) <= last,
}


def _reads_row(row: Any, reads: Iterable[Reads], first: str, last: str) -> bool:
    """Whether a changed record row is one the figure reads: an FX rate of its months, or a
    row of an input, part and month it reads (a row of no part, an old record's, is any)."""
    if row.input == "fx":
        return _MONTH_RULES["to_end"](row, first, last)
    return any(
        r.input == row.input
        and (r.parts is None or not row.part or row.part in r.parts)
        and _MONTH_RULES[r.months](row, first, last)
        for r in reads
    )


def _entity_text(row: Any) -> str:
    key = FINGERPRINT_KEYS[row.input].entity if row.input in FINGERPRINT_KEYS else None
    who = {
        "customer_id": "customer",
        "opportunity_id": "opportunity",
        "kpi": "KPI",
        "metric": "metric",
        "currency": "currency",
    }.get(key or "", "")
    return f"{who} {row.entity}" if who else str(row.entity)


#: Revenue types as the record keeps them -> as a page says them.
_PART_WORDS = {
    "contracted_recurring": "recurring",
    "uncontracted_recurring": "uncontracted recurring",
    "one_off": "one-off",
}


def _row_text(row: Any, at: str = " ", words: bool = False) -> str:
    """'customer D contracted_recurring 2026-08 (signed 2026-05)': the entity, its part when
    the record keeps one (a P&L line is its own part), the month, and the month signed when
    it is another; ``words``: the part as a page says it ('recurring')."""
    part = (
        f" {_PART_WORDS.get(row.part, row.part) if words else row.part}" if row.part and row.part != row.entity else ""
    )
    signed = f" (signed {row.signed})" if row.signed and row.signed != row.month else ""
    return f"{_entity_text(row)}{part}{at}{row.month}{signed}"


def _amount(value: float) -> str:
    return "none" if pd.isna(value) else f"{value:,.2f}"


def _change_text(row: Any) -> str:
    return f"{row.input} {_row_text(row)}: {_amount(row.before)} -> {_amount(row.now)} ({row.change:+,.2f})"


_INPUT_CHANGE = re.compile(
    r"^(?:input changed|FX rates changed): (?P<what>.+): (?P<values>\S+ -> \S+)(?: \([+-][\d,.]+\))?$"
)
_MORE_ROWS = re.compile(r"^and (?P<n>\d+) more changed rows$")


def brief_cause(cause: str, most: int = 2) -> str:
    """A ``cause`` of restatements.csv as a page cell: each changed row without its label
    and its signed change ('contracts customer D recurring 2026-08 (signed 2026-05): none ->
    6,000.00'), at most ``most`` of them and '+N more', the caveat of a figure whose reads
    are not declared left to the CSV.

    Examples
    --------
    >>> brief_cause("input changed: mrr customer B 2026-03: 200.00 -> none (-200.00)")
    'mrr customer B 2026-03: 200.00 -> none'
    """
    parts, more = [], 0
    for part in (p.strip() for p in str(cause).split("; ")):
        if part.startswith("reads not declared"):
            continue
        if m := _MORE_ROWS.match(part):
            more += int(m["n"])
        elif m := _INPUT_CHANGE.match(part):
            what = " ".join(_PART_WORDS.get(w, w) for w in m["what"].split(" "))
            parts.append(f"{what}: {m['values']}")
        else:
            parts.append(part)
    more += max(len(parts) - most, 0)
    return "; ".join(parts[:most]) + (f"; +{more} more" if more else "")


def cause_headline(causes: Iterable[str]) -> list[str]:
    """What restated the figures, in a title's words, most figures first: 'the contracts
    input changed', 'policy cac_lag_months changed', 'FX rates changed', 'an analyst's
    override changed', 'reportlib was updated', 'no cause found'."""
    said: dict[str, int] = {}
    for cause in causes:
        for phrase in dict.fromkeys(_headline_phrase(p.strip()) for p in str(cause).split("; ")):
            if phrase:
                said[phrase] = said.get(phrase, 0) + 1
    return sorted(said, key=lambda p: -said[p])


def _headline_phrase(part: str) -> str | None:
    kind, _, rest = part.partition(": ")
    if kind == "input changed" and rest:
        return f"the {rest.split(' ')[0]} input changed"
    if kind == "policy changed" and rest:
        return f"policy {rest.split(' ')[0]} changed"
    if kind.startswith("override"):
        return "an analyst's override changed"
    return {
        "FX rates changed": "FX rates changed",
        "package version changed": "reportlib was updated",
        "no input, policy, FX or version change found for it": "no cause found",
        "input changed (the earlier pack kept no row record)": "inputs changed (no earlier record)",
    }.get(kind)


@dataclass(frozen=True)
class _Cause:
    """One reason behind restated figures (an input row group, a policy, FX, the version)."""

    key: str
    text: str
    sentence: str


def _override_diff(old: _Earlier, company: Company) -> dict[str, _Cause]:
    """The analyst's overrides of the earlier pack's window that differ today, by KPI: the
    earlier pack reported the override, today's figure is computed (or overridden anew)."""
    before = {}
    if "override_reason" in old.kpis:
        for r in old.kpis.itertuples(index=False):
            if isinstance(r.override_reason, str) and r.override_reason.strip():
                before[r.kpi] = (float(r.value), r.override_reason.strip())
    now = {o.kpi: (float(o.value), str(o.reason)) for o in company.config.overrides if o.month == old.as_of}
    out = {}
    for kpi in dict.fromkeys([*before, *now]):
        was, is_ = before.get(kpi), now.get(kpi)
        if was is not None and is_ is not None and math.isclose(was[0], is_[0], rel_tol=1e-9, abs_tol=1e-9):
            continue
        if is_ is None:
            text = f"override removed: the {old.as_of} pack reported the analyst's {_amount(was[0])} ({was[1]})"
        elif was is None:
            text = f"override added: {_amount(is_[0])} for {old.as_of} ({is_[1]})"
        else:
            text = f"override changed: {_amount(was[0])} -> {_amount(is_[0])} ({is_[1]})"
        label = REGISTRY[kpi].label if kpi in REGISTRY else kpi
        out[kpi] = _Cause(f"override:{kpi}", text, f"The analyst's {old.as_of} override of {label} changed")
    return out


def _causes_for(
    row: Any,
    changes: pd.DataFrame,
    policy_part: bool,
    data_part: bool,
    policy_diff: Mapping[str, tuple[Any, Any]],
    version: tuple[str, str],
    override: _Cause | None = None,
    recorded: bool = True,
) -> list[_Cause]:
    """The causes of one restated figure: the analyst's override, the policies changed, the
    changed record rows it reads (``changes``: those of its reads alone; ``row.declared``
    false: of every input it may read, said so), else the version or nothing found."""
    if override is not None:  # the earlier figure was the analyst's, not the data's
        return [override]
    out = []
    if policy_part:
        out += [
            _Cause(f"policy:{p}", f"policy changed: {p} {a} -> {b}", f"Policy {p} changed from {a} to {b}")
            for p, (a, b) in policy_diff.items()
        ]
    if data_part:
        for c in changes.head(3).itertuples(index=False):
            label = "FX rates changed" if c.input == "fx" else "input changed"
            out.append(
                _Cause(
                    ":".join(str(getattr(c, k)) for k in _CHANGE_KEY),
                    f"{label}: {_change_text(c)}",
                    f"The {c.input} input changed for {_row_text(c, ' in ', words=True)} "
                    f"({_amount(c.before)} -> {_amount(c.now)}, {c.change:+,.2f})",
                )
            )
        if len(changes) > 3:
            out.append(_Cause(f"more:{row.kpi}", f"and {len(changes) - 3} more changed rows", ""))
        if not changes.empty:
            if not row.declared:
                out.append(
                    _Cause("undeclared", f"reads not declared: every change of its inputs to {row.end} listed", "")
                )
            return out
        if version[0] != version[1]:
            out.append(
                _Cause(
                    "version",
                    f"package version changed: reportlib {version[0]} -> {version[1]}",
                    f"reportlib changed from {version[0]} to {version[1]}",
                )
            )
        else:
            out.append(
                _Cause(
                    "unexplained",
                    "input changed (the earlier pack kept no row record)"
                    if not recorded
                    else "no input, policy, FX or version change found for it",
                    "",
                )
            )
    return out


def restatements(
    earlier_folder: Path,
    company: Company,
    cache: Mode = Mode.OFF,
    record: pd.DataFrame | Callable[[], pd.DataFrame] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Every figure of an earlier pack's periods that the data now restates, with its cause.

    Parameters
    ----------
    earlier_folder : Path
        The earlier pack's folder (kpis.csv, tables/, manifest.json, _inputs/).
    company : Company
        Today's (whole) company.
    cache : Mode
        How the recomputations of the earlier periods use the store (see
        :func:`~reportlib.kpis.compute_kpis`; the earlier periods' figures alone are
        computed, :func:`~reportlib.kpis.builder.period_figures`).
    record : DataFrame or callable, optional
        Today's :func:`fingerprint` of ``company``, or the call that gives it, when the caller
        has it (else made, or read from the store). It is only asked for when a figure is
        restated: the causes come from it.

    Returns
    -------
    (DataFrame, list of str)
        :data:`RESTATEMENT_COLUMNS`, KPIs (in kpis.csv order, this period then the prior one)
        before the monthly bridge figures; and up to three sentences on the causes behind the
        most restated figures.
    """
    old = _read_earlier(Path(earlier_folder))
    segment = old.segment or None
    now = period_figures(company, old.as_of, old.window.months, segment, cache=cache)
    policy_diff = (
        {}
        if old.policies is None
        else {
            k: (v, getattr(company.config.policies, k))
            for k, v in asdict(old.policies).items()
            if getattr(company.config.policies, k) != v
        }
    )
    same_policies = now
    if policy_diff:
        then = replace(company, config=replace(company.config, policies=old.policies))
        # another config: another key (its repr is in the KPI key), so the store is safe here
        same_policies = period_figures(then, old.as_of, old.window.months, segment, cache=cache)
    key = ["period", "kpi", "unit", "start", "end"]

    def recomputed(figures: tuple[pd.DataFrame, dict[str, pd.DataFrame]], name: str) -> pd.DataFrame:
        kpis, tables = figures
        return _long(kpis, _texts(tables), old.window).rename(columns={"value": name})

    table = (
        _long(old.kpis, old.tables, old.window)
        .merge(recomputed(now, "now"), on=key)
        .merge(recomputed(same_policies, "same_policies"), on=key)
    )
    table = table[_differs(table["value"], table["now"], table["unit"])]
    changes = None  # from the record of today's inputs (a tenth of a second): only for causes to find
    if len(table):
        today = stored_fingerprint(company, cache) if record is None else record
        changes = _input_changes(old.record, today() if callable(today) else today)
    version = (old.version, __version__)
    overrides = _override_diff(old, company)
    uncontracted = bool(company.config.policies.mrr_includes_uncontracted) or bool(
        old.policies and old.policies.mrr_includes_uncontracted
    )  # a policy change is its own cause; the rows either policy counts may be the data's
    rows, causes = [], []
    for r in table.assign(declared=[figure_reads(k) is not None for k in table["kpi"]]).itertuples(index=False):
        found = _causes_for(
            r,
            _changes_read(r, changes, company, uncontracted),
            bool(_differs(pd.Series([r.same_policies]), pd.Series([r.now]), pd.Series([r.unit])).iloc[0]),
            bool(_differs(pd.Series([r.value]), pd.Series([r.same_policies]), pd.Series([r.unit])).iloc[0]),
            policy_diff,
            version,
            overrides.get(r.kpi) if r.period == old.window.label else None,
            old.record is not None,
        )
        causes.append(found)
        rows.append(
            {
                "period": r.period,
                "kpi": r.kpi,
                "reported_before": r.value,
                "now": r.now,
                "change": r.now - r.value,
                "cause": "; ".join(c.text for c in found),
            }
        )
    out = pd.DataFrame(rows, columns=RESTATEMENT_COLUMNS)
    return out, restatement_summary(out, causes, company.config.currency)


def _changes_read(row: Any, changes: pd.DataFrame | None, company: Company, uncontracted: bool) -> pd.DataFrame:
    """The changed record rows the figure of ``row`` reads (its kpi, start and end month)."""
    if changes is None or changes.empty:
        return pd.DataFrame(columns=[*_CHANGE_KEY, "before", "now", "change"])
    reads = _company_reads(figure_reads(row.kpi) or _undeclared_reads(row.kpi), company, uncontracted)
    read = [_reads_row(c, reads, row.start, row.end) for c in changes.itertuples(index=False)]
    return changes[read]


def _texts(tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return {n: t.assign(month=t["month"].astype(str)) for n, t in tables.items() if n in BRIDGE_TABLES}


def restatement_summary(table: pd.DataFrame, causes: list[list[_Cause]], currency: str | None = None) -> list[str]:
    """Up to three sentences on the causes behind the most restated figures (the largest
    figure restated by each in its unit and ``currency``: '€2.0M -> €2.1M')."""
    tally: dict[str, list[Any]] = {}
    for (_, row), found in zip(table.iterrows(), causes, strict=False):
        for cause in (c for c in found if c.sentence):
            entry = tally.setdefault(cause.key, [cause, 0, None])
            entry[1] += 1
            if row["kpi"] in REGISTRY and (entry[2] is None or abs(row["change"]) > abs(entry[2]["change"])):
                entry[2] = row
    ranked = sorted(tally.values(), key=lambda e: -e[1])[:3]
    out = []
    for cause, count, largest in ranked:
        tail = (
            ""
            if largest is None
            else (
                f", among them {REGISTRY[largest['kpi']].label} for {largest['period']} "
                f"({_figure(largest['reported_before'], largest['kpi'], currency)} -> "
                f"{_figure(largest['now'], largest['kpi'], currency)})"
            )
        )
        out.append(f"{cause.sentence}: {count} figure{'s' * (count != 1)} restated{tail}.")
    return out


def attach_restatements(
    result: KpiResult,
    earlier: Path | None,
    company: Company,
    cache: Mode = Mode.OFF,
    record: pd.DataFrame | Callable[[], pd.DataFrame] | None = None,
) -> KpiResult:
    """Add ``restatements`` (table) and the narrative ``restatements`` sentences and title to a
    pack's result when there is an earlier pack; unchanged otherwise (``record``: see
    :func:`restatements`)."""
    if earlier is None:
        return result
    table, summary = restatements(earlier, company, cache, record)
    result.tables["restatements"] = table
    result.narrative["restatements_title"] = [f"Restated since the {earlier.name[:7]} pack"]
    result.narrative["restatements"] = summary or [
        f"{len(table)} figure{'s' * (len(table) != 1)} restated; no change of the inputs, policies, FX "
        "rates or version explains them."
        if len(table)
        else f"Nothing the {earlier.name[:7]} pack reported has been restated."
    ]
    return result


def pack_hook(
    result: KpiResult, company: Company, folder: Path, staging: Path, cache: Mode = Mode.OFF
) -> tuple[dict[str, Any], Callable[[], Any]]:
    """The pack step: restatements against the latest earlier pack beside ``folder``, added
    to ``result``, and the record the next pack will compare with (``cache``: how both use
    the store).

    Returns
    -------
    (dict, callable)
        Entries for the manifest (``policies``; with an earlier pack, ``compared_with``:
        :func:`compared_pack`), and the call that writes the record into
        ``staging``. When the comparison with an earlier pack needed the record (a figure is
        restated) it was made then, and the call only writes it; otherwise the call makes it:
        no page reads it, so the pack runs the call while its notebooks run.
    """
    earlier = find_earlier_pack(folder)
    record = functools.cache(lambda: _stored_record(company, cache))  # made once, when first asked for
    entries = _manifest_entries(company)
    if earlier is not None:
        attach_restatements(result, earlier, company, cache, lambda: record()[0])
        entries["compared_with"] = compared_pack(earlier)
    return entries, lambda: _write_record(record()[1], staging)
