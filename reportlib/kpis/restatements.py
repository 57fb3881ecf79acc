"""Restatements: what a board was told in an earlier pack and what the data now says, and why
(DESIGN.md ``restatements.csv``).

Every pack keeps, beside its ``kpis.csv`` and tables, a compact record of the rows it was
computed from: ``_inputs/fingerprint.csv``, one row per input x entity (customer, or for
inputs without one each numeric column) x month, with the row count, the amount and an
order-independent digest of every column of those rows. The manifest holds the policies
and package versions. The next pack of the same company recomputes the earlier pack's
period(s) with today's inputs and code, compares every KPI value and the monthly
``mrr_bridge`` / ``revenue_bridge`` figures, and names the cause of each difference above a
cent (money), 0.1 point (ratios) or half a unit (counts):

* policy changed: the earlier pack's policies are re-applied to today's inputs, and the part
  of the difference they explain is the policy's;
* input changed: the fingerprint rows that differ in an input the KPI is computed from, in a
  month up to the period's end (input, customer, month, amount before and now);
* FX rates changed: the same for the ``fx`` table when the company has one;
* package version changed: when no input explains the rest and the reportlib version differs.

The record is small (a few thousand rows for a company with a few hundred customers), and it
never holds a customer's raw export, only sums and digests.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reportlib import __version__
from reportlib import format as F
from reportlib._store import Mode, Store, code_digest, digest, is_pair, library_versions
from reportlib.inputs import Company
from reportlib.inputs.config import Policies
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
    "restatements",
    "restatement_summary",
    "attach_restatements",
    "pack_hook",
    "figure_unit",
]

RESTATEMENT_COLUMNS = ["period", "kpi", "reported_before", "now", "change", "cause"]
FINGERPRINT = Path("_inputs") / "fingerprint.csv"
FINGERPRINT_COLUMNS = ["input", "entity", "month", "rows", "amount", "digest"]
MANIFEST = "manifest.json"
#: The store's folder of records (the fingerprint of a loaded company's rows).
STORE_KIND = "record"

#: input -> (entity column or None, date column giving the month, amount column or None).
#: Without an entity column each numeric column is its own entity (a P&L line, visitors).
FINGERPRINT_KEYS: dict[str, tuple[str | None, str, str | None]] = {
    "mrr": ("customer_id", "month", "mrr"),
    "contracts": ("customer_id", "start_date", "tcv"),
    "transactions": ("customer_id", "date", "amount"),
    "financials": (None, "month", None),
    "leads": (None, "created_at", None),
    "traffic": (None, "month", None),
    "opportunities": ("opportunity_id", "created_at", "amount"),
    "targets": ("metric", "period", "target"),
    "usage": (None, "date", None),
    "nps": (None, "responded_at", None),
    "reported": ("kpi", "period", "value"),
    "fx": ("currency", "month", "rate"),
}
#: Tables compared month by month besides kpis.csv; columns counting customers are counts.
BRIDGE_TABLES = {"mrr_bridge": ("mrr", "contracts", "transactions"), "revenue_bridge": ("contracts", "transactions")}
_REVENUE_INPUTS = ("mrr", "contracts", "transactions")
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


def _input_fingerprint(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    entity_col, date_col, amount_col = FINGERPRINT_KEYS[name]
    if frame.empty or date_col not in frame.columns:
        return pd.DataFrame(columns=FINGERPRINT_COLUMNS)
    month = _month_text(frame[date_col]).fillna("").rename("month")
    if entity_col is not None and entity_col in frame.columns:
        entity = frame[entity_col].astype("string").fillna("").rename("entity")
        amount = frame[amount_col].astype(float) if amount_col in frame.columns else pd.Series(np.nan, frame.index)
        if name == "contracts" and "mrr" in frame.columns:  # a contract given by mrr books 12 x mrr
            amount = amount.fillna(12 * frame["mrr"].astype(float))
        grouped = pd.DataFrame({"rows": 1, "amount": amount}).groupby([entity, month])
        out = grouped.sum().join(_digest(frame, [entity, month]).rename("digest"))
        return out.reset_index().assign(input=name)[FINGERPRINT_COLUMNS]
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c]) and c != date_col]
    # one groupby for every numeric column (a P&L has ten): the same sums, column by column
    sums = frame[numeric].astype(float).groupby(month).sum() if numeric else None
    sizes = month.groupby(month).size()
    parts = [pd.DataFrame({"rows": sizes, "amount": sums[c], "entity": c}) for c in numeric]
    if not parts:  # event inputs: rows per month
        parts = [sizes.rename("rows").to_frame().assign(amount=np.nan, entity="rows")]
    out = pd.concat(parts).join(_digest(frame, [month]).rename("digest"))
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
    return found, found.to_csv(index=False).encode("utf-8")


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
        n: pd.read_csv(folder / "tables" / f"{n}.csv", dtype={"month": str})
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
        pd.read_csv(folder / "kpis.csv"),
        tables,
        pd.read_csv(record, dtype={"entity": str, "month": str, "digest": str}) if record.is_file() else None,
        manifest.get("inputs", {}),
    )


def _long(kpis: pd.DataFrame, tables: Mapping[str, pd.DataFrame], window: Window) -> pd.DataFrame:
    """Every comparable figure: (period, kpi, unit, end month, inputs it is computed from, value)."""
    needs = {k.id: _needed_inputs(k.needs) for k in REGISTRY.values()}
    rows = []
    for w, column in ((window, "value"), (window.prior(), "prior_value")):
        for r in kpis.itertuples(index=False):
            rows.append((w.label, r.kpi, r.unit, str(w.as_of), needs.get(r.kpi, ()), getattr(r, column)))
    for name, inputs in BRIDGE_TABLES.items():
        table = tables.get(name)
        if table is None or table.empty:
            continue
        table = table[table["month"].astype(str) <= str(window.as_of)]
        for col in (c for c in table.columns if c != "month"):
            unit = figure_unit(f"{name}.{col}")
            rows += [
                (str(m), f"{name}.{col}", unit, str(m), inputs, v)
                for m, v in zip(table["month"], table[col], strict=False)
            ]
    return pd.DataFrame(rows, columns=["period", "kpi", "unit", "end", "inputs", "value"])


def figure_unit(figure: str) -> str:
    """The unit of a compared figure: a KPI's (the registry's), a bridge line's currency, or
    count for its customers ('mrr_bridge.customers')."""
    if figure in REGISTRY:
        return REGISTRY[figure].unit
    return "count" if figure.endswith("customers") else "currency"


def _figure(value: float, figure: str, currency: str | None) -> str:
    return F.value(value, figure_unit(figure), currency, context="text")


def _needed_inputs(needs: Iterable[str]) -> tuple[str, ...]:
    out: list[str] = []
    for need in needs:
        out += list(_REVENUE_INPUTS) if need == "revenue" else need.split("|")
    return tuple(dict.fromkeys(out))


def _differs(before: pd.Series, now: pd.Series, unit: pd.Series) -> pd.Series:
    tol = unit.map(_TOLERANCE).fillna(_DEFAULT_TOLERANCE)
    both = before.notna() & now.notna()
    return (both & ((now - before).abs() > tol)) | (before.isna() != now.isna())


def _input_changes(before: pd.DataFrame | None, now: pd.DataFrame, last: str) -> pd.DataFrame:
    """Fingerprint rows that differ, up to month ``last``: input, entity, month, amount before
    and now."""
    cols = ["input", "entity", "month", "before", "now", "change"]
    if before is None:
        return pd.DataFrame(columns=cols)
    key = ["input", "entity", "month"]
    merged = before.merge(
        now.astype({"month": str, "entity": str, "digest": str}), on=key, how="outer", suffixes=("_b", "_n")
    )
    merged = merged[merged["month"] <= last]
    changed = merged["digest_b"].astype(str) != merged["digest_n"].astype(str)
    out = merged[changed].rename(columns={"amount_b": "before", "amount_n": "now"})
    out = out.assign(change=out["now"].fillna(0) - out["before"].fillna(0))
    return out.sort_values("change", key=lambda s: -s.abs())[cols].reset_index(drop=True)


def _entity_text(row: Any) -> str:
    key = FINGERPRINT_KEYS.get(row.input, (None,))[0]
    who = {
        "customer_id": "customer",
        "opportunity_id": "opportunity",
        "kpi": "KPI",
        "metric": "metric",
        "currency": "currency",
    }.get(key or "", "")
    return f"{who} {row.entity}" if who else str(row.entity)


def _amount(value: float) -> str:
    return "none" if pd.isna(value) else f"{value:,.2f}"


def _change_text(row: Any) -> str:
    return (
        f"{row.input} {_entity_text(row)} {row.month}: {_amount(row.before)} -> {_amount(row.now)} ({row.change:+,.2f})"
    )


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
    if override is not None:  # the earlier figure was the analyst's, not the data's
        return [override]
    out = []
    if policy_part:
        out += [
            _Cause(f"policy:{p}", f"policy changed: {p} {a} -> {b}", f"Policy {p} changed from {a} to {b}")
            for p, (a, b) in policy_diff.items()
        ]
    if data_part:
        relevant = changes[changes["input"].isin(row.inputs + ("fx",)) & (changes["month"] <= row.end)]
        for c in relevant.head(3).itertuples(index=False):
            label = "FX rates changed" if c.input == "fx" else "input changed"
            out.append(
                _Cause(
                    f"{c.input}:{c.entity}:{c.month}",
                    f"{label}: {_change_text(c)}",
                    f"The {c.input} input changed for {_entity_text(c)} in {c.month} "
                    f"({_amount(c.before)} -> {_amount(c.now)}, {c.change:+,.2f})",
                )
            )
        if len(relevant) > 3:
            out.append(_Cause(f"more:{row.kpi}", f"and {len(relevant) - 3} more changed rows", ""))
        if not relevant.empty:
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
    key = ["period", "kpi", "unit", "end"]

    def recomputed(figures: tuple[pd.DataFrame, dict[str, pd.DataFrame]], name: str) -> pd.DataFrame:
        kpis, tables = figures
        return _long(kpis, _texts(tables), old.window).drop(columns="inputs").rename(columns={"value": name})

    table = (
        _long(old.kpis, old.tables, old.window)
        .merge(recomputed(now, "now"), on=key)
        .merge(recomputed(same_policies, "same_policies"), on=key)
    )
    table = table[_differs(table["value"], table["now"], table["unit"])]
    changes = None  # from the record of today's inputs (a tenth of a second): only for causes to find
    if len(table):
        today = stored_fingerprint(company, cache) if record is None else record
        changes = _input_changes(old.record, today() if callable(today) else today, old.as_of)
    version = (old.version, __version__)
    overrides = _override_diff(old, company)
    rows, causes = [], []
    for r in table.itertuples(index=False):
        found = _causes_for(
            r,
            changes,
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
        Entries for the manifest (``policies``), and the call that writes the record into
        ``staging``. When the comparison with an earlier pack needed the record (a figure is
        restated) it was made then, and the call only writes it; otherwise the call makes it:
        no page reads it, so the pack runs the call while its notebooks run.
    """
    earlier = find_earlier_pack(folder)
    record = functools.cache(lambda: _stored_record(company, cache))  # made once, when first asked for
    if earlier is not None:
        attach_restatements(result, earlier, company, cache, lambda: record()[0])
    return _manifest_entries(company), lambda: _write_record(record()[1], staging)
