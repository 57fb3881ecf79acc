"""KPI builder: one company (or segment) and one window -> kpis.csv, the tables and the
narrative.

The builder assembles; every number comes from :mod:`reportlib.metrics`. Each section is
computed for the window, the prior window and the same window a year earlier, so
``prior_value``, ``change`` and the north stars' year-ago values come from the very same
functions as ``value``.

kpis.csv columns: ``kpi, label, tier, value, unit, prior_value, change, benchmark,
status, note``. ``change`` is a *relative* change (value / prior - 1, against |prior|)
for currency and count KPIs and an *absolute difference* for every other unit (ratios
in fraction points: NRR 1.02 vs 1.00 -> 0.02; multiples, months, days, scores in their
unit). A blank value is an empty cell with a ``note`` saying why, never 0 or inf.

>>> result = compute_kpis("data/meridian", as_of="2026-09")   # doctest: +SKIP
>>> write_kpis(result, "out")                                 # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from reportlib import format as F
from reportlib import registry as reg
from reportlib._csvfiles import csv_bytes
from reportlib._store import Mode, Store, digest, is_pair
from reportlib.exceptions import Problem
from reportlib.inputs import Company, open_company, resolve_as_of
from reportlib.inputs.config import INPUT_NAMES, REVENUE_INPUTS, policy_value
from reportlib.kpis import narrative as nar
from reportlib.kpis._cache import result_key
from reportlib.kpis.excel import atomic_write, table_formats, write_workbook
from reportlib.kpis.overrides import apply_overrides, mark_overrides, override_columns
from reportlib.kpis.reconciliation import (
    billing_vs_pnl,
    crm_vs_bookings,
    monthly_amounts,
    reconciliation_problems,
    reported_vs_recomputed,
    stack_reconciliation,
)
from reportlib.kpis.sensitivity import ALTERNATIVES, policy_sensitivity, sensitivity_sentences
from reportlib.metrics import (
    Blank,
    Value,
    Window,
    acquired_bridge,
    acquired_values,
    acquisitions_on_rows,
    allocation_shares,
    cohort_gross_profit,
    cohort_payback,
    feature_adoption,
    funnel,
    funnel_cohorts,
    journey_kpis,
    monthly_cac,
    movement_actuals,
    note_of,
    nps_kpis,
    nps_kpis_each,
    opportunity_cohorts,
    pipeline_by_each,
    pipeline_kpis,
    pipeline_pacing,
    same_basis,
    segment_share,
    segment_unit_economics_series,
    unit_economics_kpis,
    unit_economics_series,
    usage_kpis,
    usage_series,
)
from reportlib.metrics._dates import month_ordinals
from reportlib.metrics.churn_basis import MONTHLY_CHURN_KEY, annualised_monthly_logo_churn
from reportlib.metrics.cohorts import cohorts
from reportlib.metrics.contracts import BRIDGE_COLUMNS as CONTRACT_BRIDGE_COLUMNS
from reportlib.metrics.contracts import (
    ContractHistory,
    contract_history,
    contract_kpis,
    open_ended_through,
    revenue_tiers,
)
from reportlib.metrics.grid import contracts_to_mrr, transactions_to_mrr
from reportlib.metrics.journey import FUNNEL_COHORT_COLUMNS
from reportlib.metrics.movements import (
    BRIDGE_COLUMNS,
    MovementSet,
    arpa_drivers,
    movement_set,
    mrr_bridge,
    mrr_drivers,
    revenue_kpis,
)
from reportlib.metrics.periods import fiscal_start_of, period_text
from reportlib.metrics.unit_economics import cash_runway_series, monthly_financials
from reportlib.params import parse_compare, parse_segment
from reportlib.registry import REGISTRY, Kpi, benchmark_text, status
from reportlib.values import finite

__all__ = [
    "KpiResult",
    "KPI_COLUMNS",
    "NO_CHANGE",
    "REGISTRY",
    "Kpi",
    "compute_kpis",
    "write_kpis",
    "write_kpis_workbook",
    "result_fingerprint",
    "is_stored",
    "period_figures",
    "shared_grids",
    "kpi_ids",
    "benchmark_text",
    "status",
    "reconciliation_warnings",
]

KPI_COLUMNS = ["kpi", "label", "tier", "value", "unit", "prior_value", "change", "benchmark", "status", "note"]
#: Written after :data:`KPI_COLUMNS` in kpis.csv: which company and month the row is of, and
#: for a KPI set by ``[overrides]`` in company.toml the value computed from the data and why.
EXTRA_COLUMNS = ["company", "as_of", "computed_value", "override_reason"]
KPI_TREE_COLUMNS = ["kpi", "label", "tier", "parent", "value", "unit", "status"]
BREAKDOWN_COLUMNS = ["dimension", "segment", "kpi", "label", "unit", "value", "status"]
#: Revenue KPIs split by segment / dimension value (the granular tier of the hierarchy).
BREAKDOWN_KPIS = (
    "arr",
    "customers",
    *reg.ARR_MOVEMENTS,  # all of them, so that a segment's column adds up to its net new ARR
    "net_new_arr",
    "nrr",
    "grr",
    "logo_churn_rate",
    "arpa",
    "asp",
    "quick_ratio",
)
MAX_BREAKDOWN_VALUES = 12
#: Tables DESIGN.md also names at the top of the pack folder (reconciliation.csv, ...).
TRUST_TABLES = ("reconciliation", "sensitivity", "restatements")
REVENUE_WORDS = {"mrr": "MRR", "contracts": "MRR", "transactions": "monthly revenue"}
#: The store's folder of computed results (see :mod:`reportlib.kpis._cache`), and of the
#: CSV text written from them.
STORE_KIND = "kpis"
CSV_KIND = "kpis-csv"
WORKBOOK_KIND = "kpis-xlsx"
#: Tables added to a result after it is computed (from an earlier pack: not in its key).
UNSTORED_TABLES = ("restatements",)
#: Narrative entries added with them (:func:`reportlib.kpis.restatements.attach_restatements`).
UNSTORED_NARRATIVE = ("restatements", "restatements_title")


def kpi_ids() -> list[str]:
    """Every KPI id in kpis.csv order (the registry's)."""
    return reg.ids()


@dataclass
class KpiResult:
    """Everything a pack shows for one company, segment and window.

    Attributes
    ----------
    kpis : DataFrame
        kpis.csv (:data:`KPI_COLUMNS`), one row per registry id.
    tables : dict of DataFrame
        Table name -> the table written as ``tables/<name>.csv``.
    company : Company
        The (segmented) company.
    window : Window
    as_of_date : Timestamp
        The as-of day (pacing); the month's last day when only a month was given.
    values, prior : dict
        KPI id -> float or :class:`~reportlib.metrics.Blank`, this and the prior window.
    year_ago : dict
        North-star id -> value over the same window a year earlier.
    narrative : dict
        Pack section -> sentences (``summary`` holds the north-star explanations).
    explanations : list of Explanation
        Per north star: change vs prior / year ago, sentence, driver KPI.
    alerts : list of str
    notes : list of str
        Run-level notes (revenue basis, segment, inputs absent).
    """

    kpis: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    company: Company
    window: Window
    as_of_date: pd.Timestamp
    values: dict[str, Value]
    prior: dict[str, Value]
    year_ago: dict[str, Value]
    narrative: dict[str, list[str]]
    explanations: list[nar.Explanation]
    alerts: list[str]
    notes: list[str]
    segment: tuple[str, str] | None = None
    compare: tuple[str, tuple[str, str]] | None = None
    revenue_word: str = "MRR"
    year_ago_all: dict[str, Value] = field(default_factory=dict, repr=False)
    #: KPI id -> (computed value, reason) of each ``[[overrides]]`` applied to this window.
    overrides: dict[str, tuple[float, str]] = field(default_factory=dict)
    #: The store key of the result as :func:`compute_kpis` made it ("" outside the store):
    #: :func:`write_kpis` reuses the CSV text of its tables by it. Nothing changes a
    #: result's tables after it is computed except the pack's restatements, which add
    #: their own table (:data:`UNSTORED_TABLES`, never reused).
    digest: str = field(default="", compare=False, repr=False)

    @property
    def north_star(self) -> list[str]:
        return list(self.company.config.north_star)

    @property
    def currency(self) -> str:
        return self.company.config.currency

    def value(self, kpi_id: str) -> Value:
        """The current value of one KPI (a float or a Blank)."""
        return self.values[kpi_id]


# --- context: the revenue grid, computed once per company ------------------------------------
@dataclass
class _Ctx:
    company: Company
    whole: Company
    window: Window
    as_of_date: pd.Timestamp
    mrr: pd.DataFrame | None
    mov: MovementSet | None
    span: tuple[pd.Period, pd.Period] | None

    @property
    def policies(self) -> Any:
        return self.company.config.policies

    def frame(self, name: str) -> pd.DataFrame | None:
        """The input as this pack may use it: in a segment pack, a company-wide input (no column
        for the segment's key) never meets the segment's numbers (METRICS.md "Segment packs"),
        targets keep only the rows whose filter names the segment, and financials stay (unit
        economics allocate them or leave them blank)."""
        frame = self.company.frames.get(name)
        seg = self.company.segment_filter
        if frame is None or seg is None or name not in self.company.unfiltered_inputs:
            return frame
        if name == "financials":
            return frame
        if name == "targets":
            scoped = frame[frame["filter"].astype("string").str.strip() == f"{seg[0]}={seg[1]}"]
            return scoped.assign(filter="all").reset_index(drop=True)
        return None

    def company_wide(self) -> list[str]:
        """Inputs left out of a segment pack because they are company-wide."""
        if self.company.segment_filter is None:
            return []
        return [n for n in self.company.unfiltered_inputs if n not in ("financials", "targets")]

    @property
    def financials(self) -> pd.DataFrame | None:
        fin = self.frame("financials")
        if fin is None:
            return None
        key = ("financials", id(self.company.frames), self.window.as_of)
        return _run_cached(key, self.company.frames, lambda: fin[fin["month"] <= self.window.as_of])

    def monthly_financials(self, by_segment: bool = True) -> pd.DataFrame | None:
        """The financials summed per month (for unit economics), once per run; policies do
        not change them. ``by_segment``: only the segment's rows where they carry its key."""
        fin = self.financials
        if fin is None or fin.empty:
            return None
        seg = self.company.segment_filter if by_segment else None
        key = ("monthly financials", id(self.company.frames), self.window.as_of, seg)
        return _run_cached(key, self.company.frames, lambda: monthly_financials(fin, seg))


def _revenue_mrr(company: Company, span: object = None, through: pd.Period | None = None) -> pd.DataFrame | None:
    """customer_id, month, mrr from the company's revenue source (METRICS.md order);
    ``through``: see :func:`~reportlib.metrics.contracts.open_ended_through`."""
    source, f, pol = company.revenue_source(), company.frames, company.config.policies
    if source == "mrr":
        return f["mrr"][["customer_id", "month", "mrr"]]
    if source == "contracts":
        return contracts_to_mrr(
            f["contracts"],
            include_uncontracted=bool(pol.mrr_includes_uncontracted),
            months=span,
            transactions=f.get("transactions"),
            through=through,
        )
    if source == "transactions":
        return transactions_to_mrr(f["transactions"])
    return None


def _context(company: Company, whole: Company, window: Window, date: pd.Timestamp) -> _Ctx:
    """Revenue grid up to the as-of month, on the whole company's months so that a segment's
    opening month (and so its movements) match the company's."""
    include = bool(whole.config.policies.mrr_includes_uncontracted)
    # a report month after the export's last date: open-ended contracts go on to it
    through = open_ended_through(whole.frames.get("contracts"), window.as_of)
    full = _run_cached(
        ("mrr", id(whole.frames), include, through), whole.frames, lambda: _revenue_mrr(whole, through=through)
    )
    if full is None or full.empty:
        return _Ctx(company, whole, window, date, None, None, None)
    first = _run_cached(("first month", id(full)), whole.frames, lambda: int(month_ordinals(full["month"]).min()))
    span = (pd.Period(ordinal=first, freq="M"), window.as_of)

    def grid() -> tuple[pd.DataFrame, MovementSet]:
        mrr = full if company is whole else _revenue_mrr(company, span)
        ords = month_ordinals(mrr["month"])
        inside = (ords >= span[0].ordinal) & (ords <= span[1].ordinal)
        if not inside.all():  # a copy only when needed: the loaded column keeps its cached codes
            mrr = mrr[inside]
        return mrr, movement_set(mrr, months=span)

    key = (
        "movements",
        id(company.frames),
        id(whole.frames),
        company is whole,
        bool(company.config.policies.mrr_includes_uncontracted),
        span,
    )
    mrr, mov = _run_cached(key, company.frames, grid)
    # the reactivation window relabels returns only: the grid and the rows are shared
    mov = mov.with_reactivation_window(company.config.policies.reactivation_window_months)
    return _Ctx(company, whole, window, date, mrr, mov, span)


#: The compute_kpis run in progress: the frames dicts whose revenue grids may be kept, and
#: the grids. A run asks for the same grid many times (the whole company for segment shares
#: in every window, sensitivity's policy variants); a grid depends only on the frames, the
#: months and the revenue policies, all in the key. The dicts are held, so ids stay unique.
_RUN: ContextVar[dict | None] = ContextVar("reportlib_kpis_run", default=None)


def _run_cached(key: tuple, frames: dict, compute: Callable[[], Any]) -> Any:
    run = _RUN.get()
    if run is None or id(frames) not in run["frames"]:
        return compute()
    if key not in run["grids"]:
        run["grids"][key] = compute()
    return run["grids"][key]


# --- values ---------------------------------------------------------------------------------
def _revenue_values(ctx: _Ctx, window: Window) -> dict[str, Value]:
    if ctx.mov is None:
        return {}
    cached = ctx.mov.cache.setdefault("revenue_kpis", {})  # the same window is asked for often
    if window not in cached:
        out = revenue_kpis(ctx.mov, window)
        out[MONTHLY_CHURN_KEY] = annualised_monthly_logo_churn(ctx.mov, window)  # ltv_churn_basis
        cached[window] = out
    return dict(cached[window])


def _history_months(ctx: _Ctx, window: Window) -> int | None:
    if ctx.span is None:
        return None
    return max((window.as_of - ctx.span[0]).n + 1, 0)


def _sm_share(ctx: _Ctx, window: Window, revenue: Mapping[str, Value]) -> Mapping[str, Value] | None:
    """The segment's share of the company's new customers / new ARR (sm_allocation): of the
    company's acquisitions, those made in the segment (not customers moving into it)."""
    seg = ctx.company.segment_filter
    if seg is None or ctx.policies.sm_allocation == "none":
        return None
    whole = _context(ctx.whole, ctx.whole, window, ctx.as_of_date)
    return segment_share(acquired_values(_acquired(ctx), window, revenue), _revenue_values(whole, window))


def _acquired(ctx: _Ctx) -> pd.DataFrame:
    """The company's new movements on the segment's rows (:func:`acquisitions_on_rows`)."""
    whole = _context(ctx.whole, ctx.whole, ctx.window, ctx.as_of_date)
    if whole.mov is None or ctx.mrr is None:  # no revenue input: no acquisitions
        none = pd.DataFrame({"customer_id": [], "month": pd.PeriodIndex([], freq="M"), "mrr": []})
        return acquisitions_on_rows(none.assign(movement=[], amount=[]), none)
    # asked for in every window of the run: the key holds what both grids depend on
    policies = (ctx.company.config.policies, ctx.whole.config.policies)
    key = ("acquired", id(ctx.company.frames), id(ctx.whole.frames), policies, whole.span)
    return _run_cached(key, ctx.company.frames, lambda: acquisitions_on_rows(whole.mov.frame(), ctx.mrr))


def _unit_values(ctx: _Ctx, window: Window, revenue: Mapping[str, Value]) -> dict[str, Value]:
    """Unit economics on the revenue engine's values ``revenue`` of the same window."""
    return unit_economics_kpis(
        ctx.financials,
        revenue,
        window,
        ctx.policies,
        segment=ctx.company.segment_filter,
        segment_share=_sm_share(ctx, window, revenue),
        revenue_history_months=_history_months(ctx, window),
        monthly=ctx.monthly_financials(),
    )


def _values(ctx: _Ctx, window: Window) -> dict[str, Value]:
    """Every section's KPIs for one window, with "needs ... input" notes for absent inputs."""
    out: dict[str, Value] = dict(_revenue_values(ctx, window))
    contracts, tx, fin = _revenue_inputs(ctx)
    out.update(contract_kpis(contracts, window, transactions=tx, financials=fin, history=_contract_history(ctx)))
    out.update(_unit_values(ctx, window, out))
    out.update(
        journey_kpis(
            ctx.frame("leads"), ctx.frame("traffic"), window, new_arr=out.get("new_arr", Blank("no revenue input"))
        )
    )
    out.update(pipeline_kpis(ctx.frame("opportunities"), window))
    out.update(usage_kpis(ctx.frame("usage"), window))
    out.update(nps_kpis(ctx.frame("nps"), window))
    return _segment_revenue_blanks(ctx, _segment_blanks(ctx, _complete(ctx.company, out)))


def _segment_blanks(ctx: _Ctx, values: dict[str, Value]) -> dict[str, Value]:
    """KPIs that need a company-wide input are blank in a segment pack, saying why."""
    wide = ctx.company_wide()
    if not wide:
        return values
    for kpi in REGISTRY.values():
        hit = [n for n in kpi.needs if n in wide]
        if hit:
            values[kpi.id] = Blank(reg.company_wide_note(ctx.company.segment_filter, hit))
    return values


def _revenue_inputs(ctx: _Ctx) -> tuple[pd.DataFrame | None, pd.DataFrame | None, pd.DataFrame | None]:
    """Contracts, transactions and financials for revenue and its tiers.

    METRICS.md: revenue comes from contracts, else from financials. Without contracts,
    transactions are only part of the revenue (an mrr input holds the subscriptions), so
    they are used only when there are no financials either. In a segment pack the inputs are
    the segment's own (METRICS.md "Segment packs"): company-wide financials are the company's
    revenue, never the segment's, so they give none (see :func:`_segment_revenue_blanks`).
    """
    contracts, tx, fin = ctx.frame("contracts"), ctx.frame("transactions"), ctx.financials
    if (contracts is None or contracts.empty) and fin is not None and not fin.empty:
        tx = None
    if _company_wide_financials(ctx.company):
        fin = None
    return contracts, tx, fin


#: Revenue KPIs a P&L gives when there are no contracts (METRICS.md "revenue", "Revenue tiers").
PNL_REVENUE_KPIS = (
    "revenue",
    "revenue_share_contracted_recurring",
    "revenue_share_uncontracted_recurring",
    "revenue_share_one_off",
)


def _segment_revenue_blanks(ctx: _Ctx, values: dict[str, Value]) -> dict[str, Value]:
    """Revenue and its tier shares of a segment pack that has no revenue of its own but the
    company's P&L: blank, saying the P&L is company-wide (they were the company's figures
    under the segment's name)."""
    contracts = ctx.frame("contracts")
    if not _company_wide_financials(ctx.company) or (contracts is not None and len(contracts)):
        return values
    for k in PNL_REVENUE_KPIS:
        values[k] = Blank(reg.company_wide_note(ctx.company.segment_filter, ["financials"]))
    return values


def _has(company: Company, need: str) -> bool:
    if need == "revenue":
        return company.revenue_source() is not None
    return any(company.has(n) for n in need.split("|"))


def _complete(company: Company, values: Mapping[str, Value]) -> dict[str, Value]:
    """One value per registry id: the metric's, or a Blank naming the input that would
    enable it; never NaN or inf without a note."""
    out: dict[str, Value] = {}
    for kpi in REGISTRY.values():
        missing = [n for n in kpi.needs if not _has(company, n)]
        if missing:
            out[kpi.id] = Blank(reg.needs_note(kpi.id, missing))
            continue
        v = values.get(kpi.id, Blank("not computed for this company"))
        out[kpi.id] = (
            v if isinstance(v, Blank) or finite(v) is not None else Blank("cannot be computed (no finite value)")
        )
    return out


def _judged(table: pd.DataFrame, kpi_id: str, cfg: Any) -> pd.DataFrame:
    """``table`` with the ``status`` of its ``kpi_id`` column against the KPI's bands
    (the quick ratio of each quarter, for the chart that colours them)."""
    return table.assign(status=[status(kpi_id, v, cfg.stage, cfg.gtm) for v in table[kpi_id]])


def _cell(v: object) -> float:
    f = finite(v)
    return float("nan") if f is None else f


# --- kpis.csv -------------------------------------------------------------------------------
def _kpi_frame(company: Company, values: Mapping[str, Value], prior: Mapping[str, Value]) -> pd.DataFrame:
    cfg = company.config
    rows = []
    for kpi in REGISTRY.values():
        v, p = values[kpi.id], prior[kpi.id]
        delta = nar.kpi_change(kpi.id, v, p)
        rows.append(
            {
                "kpi": kpi.id,
                "label": kpi.label,
                "tier": reg.tier(kpi.id, cfg.north_star),
                "value": _cell(v),
                "unit": kpi.unit,
                "prior_value": _cell(p),
                "change": float("nan") if delta is None else delta,
                "benchmark": benchmark_text(kpi.id, cfg.stage, cfg.gtm),
                "status": status(kpi.id, v, cfg.stage, cfg.gtm),
                "note": _note_with_basis(v, p),
            }
        )
    return pd.DataFrame(rows, columns=KPI_COLUMNS)


#: How kpis.csv's note begins the sentence on a change left out between two bases.
NO_CHANGE = "No change shown:"


def _note_with_basis(value: Value, prior: Value) -> str:
    """The value's note, and why no change is shown when the prior was measured on another
    basis (its change would mostly be the switch of definition)."""
    note = note_of(value)
    if finite(value) is not None and finite(prior) is None and note_of(prior):
        # METRICS.md "Time": a prior value left blank says why, as a value does
        why = f"No prior value: {note_of(prior)}."
        return f"{note} {why}" if note else why
    if finite(value) is None or finite(prior) is None or same_basis(value, prior):
        return note
    was, now = getattr(prior, "basis", ""), getattr(value, "basis", "")
    why = (
        f"{NO_CHANGE} the prior period used {was}."
        if was and not now
        else f"{NO_CHANGE} the prior period did not use {now}."
        if now and not was
        else f"{NO_CHANGE} the prior period used {was}, this one {now}."
    )
    return f"{note} {why}" if note else why


def _kpi_tree(kpis: pd.DataFrame) -> pd.DataFrame:
    """One row per hierarchy edge (child, parent); roots have an empty parent."""
    rows = []
    for r in kpis.itertuples(index=False):
        parents = [p for p in REGISTRY[r.kpi].parents] if r.tier != "north_star" else []
        for parent in parents or [""]:
            rows.append(
                {
                    "kpi": r.kpi,
                    "label": r.label,
                    "tier": r.tier,
                    "parent": parent,
                    "value": r.value,
                    "unit": r.unit,
                    "status": r.status,
                }
            )
    return pd.DataFrame(rows, columns=KPI_TREE_COLUMNS)


# --- tables ---------------------------------------------------------------------------------
def _revenue_tables(ctx: _Ctx) -> dict[str, pd.DataFrame]:
    """The MRR bridge and its drivers: what the movements give without the cohort tables."""
    if ctx.mov is None:
        return {"mrr_bridge": _mrr_bridge(ctx)}
    cfg, quarters = ctx.company.config, ctx.window.quarter_freq  # fiscal quarters under a fiscal year
    return {
        "mrr_bridge": _mrr_bridge(ctx),
        "arpa_drivers": arpa_drivers(ctx.mov, quarters),
        "arpa_drivers_monthly": arpa_drivers(ctx.mov, "M"),
        "mrr_drivers": _judged(mrr_drivers(ctx.mov, quarters), "quick_ratio", cfg),
        "mrr_drivers_monthly": _judged(mrr_drivers(ctx.mov, "M"), "quick_ratio", cfg),
    }


def _cohort_section(ctx: _Ctx, bridge: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Cohort tables (logo, NRR, GRR; monthly and quarterly) and cohort economics."""
    if ctx.mov is None:
        empty = cohorts(
            pd.DataFrame(
                {"customer_id": pd.Series([], dtype="string"), "month": pd.Series([], dtype="period[M]"), "mrr": []}
            )
        )
        return {f"cohorts_{k}": empty[k] for k in ("logo", "nrr", "grr")}
    monthly, quarterly = _cohort_tables(ctx.mov, ctx.window.quarter_freq)
    out = {}
    for kind in ("logo", "nrr", "grr"):
        out[f"cohorts_{kind}"] = monthly[kind]
        out[f"cohorts_{kind}_quarterly"] = quarterly[kind]
    out.update(_cohort_economics(ctx, bridge, monthly["mrr"]))
    return out


def _cohort_tables(mov: MovementSet, quarters: str) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """Monthly and quarterly (``quarters``: their frequency) cohorts of ``mov``: those
    :func:`_cohorts_ahead` is computing, else now."""
    ahead = mov.cache.get(_COHORTS_AHEAD)
    return ahead.result() if ahead is not None else (cohorts(mov, "M"), cohorts(mov, quarters))


_COHORTS_AHEAD = "cohort tables ahead"  # the MovementSet cache key of _cohorts_ahead's future


def _cohorts_ahead(ctx: _Ctx, pool: ThreadPoolExecutor) -> None:
    """Start the cohort tables of the pack's movements on ``pool``: numpy work (it releases
    the GIL) that needs nothing but the movement set, done on the second core while this
    thread computes the KPIs of three windows."""
    if ctx.mov is not None and _COHORTS_AHEAD not in ctx.mov.cache:
        quarters = ctx.window.quarter_freq
        ctx.mov.cache[_COHORTS_AHEAD] = pool.submit(lambda m=ctx.mov: (cohorts(m, "M"), cohorts(m, quarters)))


def _cohort_economics(ctx: _Ctx, bridge: pd.DataFrame, cohort_mrr: pd.DataFrame) -> dict[str, pd.DataFrame]:
    fin = ctx.financials
    if fin is None or fin.empty:
        return {}
    share = None
    seg = ctx.company.segment_filter
    if seg is not None and seg[0] not in fin.columns:  # company-wide S&M: allocated, or no payback
        share = _monthly_share(ctx, bridge)
        if share is None:
            return {}
    monthly = ctx.monthly_financials(by_segment=False)
    cac = monthly_cac(fin, bridge, ctx.policies, share=share, monthly=monthly)
    gp = cohort_gross_profit(cohort_mrr, fin, cac, monthly=monthly)
    return {"cohort_gross_profit": gp, "cohort_payback": cohort_payback(gp)}


#: sm_allocation basis -> the mrr_bridge column whose segment / company ratio allocates S&M.
_SHARE_COLUMNS = {"new_customers": "new_customers", "new_arr": "new", "arr": "closing_mrr"}


def _monthly_share(ctx: _Ctx, bridge: pd.DataFrame) -> pd.Series | None:
    """The segment's share of the company per month under ``sm_allocation``; None without one."""
    column = _SHARE_COLUMNS.get(ctx.policies.sm_allocation)
    if column is None:
        return None
    whole = _context(ctx.whole, ctx.whole, ctx.window, ctx.as_of_date)
    if whole.mov is None:
        return None
    company = mrr_bridge(whole.mov).set_index("month")[column].astype(float)
    segment = bridge.set_index("month")[column].astype(float)
    return (segment / company.where(company > 0)).rename("share")


def _mrr_bridge(ctx: _Ctx) -> pd.DataFrame:
    return pd.DataFrame(columns=BRIDGE_COLUMNS) if ctx.mov is None else mrr_bridge(ctx.mov)


def _contract_tables(ctx: _Ctx) -> dict[str, pd.DataFrame]:
    """Revenue bridge (contracts only) and revenue tiers, monthly up to the as-of month."""
    history = _contract_history(ctx)
    if history is None:
        contracts, tx, fin = _revenue_inputs(ctx)
        tiers = revenue_tiers(contracts, tx, fin)
    else:
        tiers = history.tiers
    return {"revenue_bridge": _revenue_bridge(ctx), "revenue_tiers": _until(tiers, "month", ctx.window.as_of)}


def _revenue_bridge(ctx: _Ctx) -> pd.DataFrame:
    """The contracts' revenue bridge, monthly up to the as-of month (empty without contracts)."""
    history = _contract_history(ctx)
    bridge = pd.DataFrame(columns=CONTRACT_BRIDGE_COLUMNS) if history is None else history.bridge
    return _until(bridge, "month", ctx.window.as_of)


def _contract_history(ctx: _Ctx) -> ContractHistory | None:
    """The contracts' bridge and tiers over all their months, once per run (every window's
    contract KPIs and the tables read them); None without contracts."""
    contracts, tx, _ = _revenue_inputs(ctx)
    if contracts is None or not len(contracts):
        return None
    through = open_ended_through(contracts, ctx.window.as_of)
    key = ("contract history", id(contracts), id(tx), through)
    return _run_cached(key, ctx.company.frames, lambda: contract_history(contracts, tx, through=through))


def _until(table: pd.DataFrame, column: str, as_of: pd.Period) -> pd.DataFrame:
    """Rows up to the as-of month (tables never show months after the report)."""
    if table.empty:
        return table.reset_index(drop=True)
    return table[table[column] <= as_of].reset_index(drop=True)


def _unit_economics_table(ctx: _Ctx, bridge: pd.DataFrame) -> pd.DataFrame:
    """Monthly and quarterly series in one table, told apart by ``freq``. In a segment pack on
    company-wide financials, the company's money is allocated to the segment period by period
    (``sm_allocation``) or left blank, as the KPIs are (METRICS.md "Segment packs")."""
    opening = bridge["month"].min() if len(bridge) else None
    whole = _whole_bridge(ctx) if _company_wide_financials(ctx.company) and ctx.financials is not None else None
    parts = []
    for freq in ("M", ctx.window.quarter_freq):  # fiscal quarters under a fiscal year
        s = unit_economics_series(
            ctx.financials,
            bridge,
            freq=freq,
            policies=ctx.policies,
            opening_month=opening,
            monthly=ctx.monthly_financials(by_segment=False),
        )
        if whole is not None:
            basis = acquired_bridge(bridge, _acquired(ctx))
            shares = allocation_shares(basis, whole, freq, ctx.policies.sm_allocation, opening)
            s = segment_unit_economics_series(s, shares)
        parts.append(s.assign(freq="month" if freq == "M" else "quarter"))
    return pd.concat(parts, ignore_index=True)


def _whole_bridge(ctx: _Ctx) -> pd.DataFrame:
    """The whole company's MRR bridge over the same months (the run's grid, shared)."""
    return _mrr_bridge(_context(ctx.whole, ctx.whole, ctx.window, ctx.as_of_date))


def _journey_tables(ctx: _Ctx) -> dict[str, pd.DataFrame]:
    leads, traffic = ctx.frame("leads"), ctx.frame("traffic")
    out = {"funnel": funnel(leads, traffic, ctx.window)}
    out["funnel_cohorts"] = (
        funnel_cohorts(leads, as_of_date=ctx.as_of_date)
        if leads is not None
        else pd.DataFrame(columns=FUNNEL_COHORT_COLUMNS)
    )
    return out


def _pipeline_tables(ctx: _Ctx, values: Mapping[str, Value]) -> dict[str, pd.DataFrame]:
    opps = ctx.frame("opportunities")
    out = {
        "pipeline_pacing": pipeline_pacing(
            ctx.frame("targets"),
            opps,
            ctx.as_of_date,
            ctx.policies,
            leads=ctx.frame("leads"),
            actuals=movement_actuals(ctx.mov),
        )
    }
    if opps is not None:
        out["opportunity_cohorts"] = opportunity_cohorts(opps, ctx.as_of_date)
        present = [by for by in ("source", "partner", "owner") if by in opps.columns]
        out.update({f"pipeline_by_{by}": t for by, t in pipeline_by_each(opps, ctx.window, present).items()})
    return out


def _engagement_tables(ctx: _Ctx) -> dict[str, pd.DataFrame]:
    out: dict[str, pd.DataFrame] = {}
    usage, nps = ctx.frame("usage"), ctx.frame("nps")
    if usage is not None:
        series = usage_series(usage)
        out["usage"] = series[series["month"] <= str(ctx.window.as_of)].reset_index(drop=True)
        out["feature_adoption"] = feature_adoption(usage, ctx.window)
    if nps is not None:
        out["nps"] = _nps_table(nps, ctx.window)
    return out


def _nps_table(nps: pd.DataFrame, window: Window) -> pd.DataFrame:
    """NPS and its three shares for each window-long period of the last two years."""
    windows = [window.shift(k * window.months) for k in range(max(24 // window.months, 1) - 1, -1, -1)]
    return pd.DataFrame(
        [
            {"period": w.label, "as_of": str(w.as_of), **{key: _cell(v) for key, v in values.items()}}
            for w, values in zip(windows, nps_kpis_each(nps, windows), strict=True)
        ]
    )


def _breakdowns(ctx: _Ctx, window: Window) -> pd.DataFrame:
    """Revenue KPIs split by each dimension of the revenue input (granular tier)."""
    cfg, rows = ctx.company.config, []
    # A breakdown needs only the revenue grid: the other inputs are not filtered per value.
    revenue = replace(ctx.company, frames={n: f for n, f in ctx.company.frames.items() if n in REVENUE_INPUTS})
    for dim in _dimensions(ctx):
        for value in _dimension_values(ctx, dim):
            seg = _context(revenue.segment(dim, value), ctx.whole, window, ctx.as_of_date)
            vals = _revenue_values(seg, window)
            for k in BREAKDOWN_KPIS:
                v = vals.get(k, Blank(""))
                rows.append(
                    {
                        "dimension": dim,
                        "segment": value,
                        "kpi": k,
                        "label": REGISTRY[k].label,
                        "unit": REGISTRY[k].unit,
                        "value": _cell(v),
                        "status": status(k, v, cfg.stage, cfg.gtm),
                    }
                )
    return pd.DataFrame(rows, columns=BREAKDOWN_COLUMNS)


def _dimensions(ctx: _Ctx) -> list[str]:
    source = ctx.company.revenue_source()
    if source is None:
        return []
    frame = ctx.company.frames[source]
    canonical = {
        "customer_id",
        "contract_id",
        "month",
        "date",
        "mrr",
        "tcv",
        "amount",
        "revenue_type",
        "billing",
        "start_date",
        "end_date",
        "signed_date",
    }
    seg = ctx.company.segment_filter
    return [
        c
        for c in frame.columns
        if c not in canonical and (seg is None or c != seg[0]) and isinstance(frame[c].dtype, pd.StringDtype)
    ]


def _dimension_values(ctx: _Ctx, dim: str) -> list[str]:
    source = ctx.company.revenue_source()
    counts = ctx.company.frames[source][dim].dropna().value_counts()  # type: ignore[index]
    return [str(v) for v in counts.index[:MAX_BREAKDOWN_VALUES]]


def _tables(ctx: _Ctx, kpis: pd.DataFrame, values: Mapping[str, Value]) -> dict[str, pd.DataFrame]:
    revenue = _revenue_tables(ctx)
    t = _contract_tables(ctx)
    t["unit_economics"] = _unit_economics_table(ctx, revenue["mrr_bridge"])
    runway = cash_runway_series(ctx.financials, ctx.company.segment_filter, monthly=ctx.monthly_financials())
    t["cash_runway"] = _until(runway, "month", ctx.window.as_of)
    t.update(_journey_tables(ctx))
    t.update(_pipeline_tables(ctx, values))
    t.update(_engagement_tables(ctx))
    t["kpi_tree"] = _kpi_tree(kpis)
    t["breakdowns"] = _breakdowns(ctx, ctx.window)
    # the cohorts last: they wait for the second thread, which the tables above overlap
    return {**revenue, **_cohort_section(ctx, revenue["mrr_bridge"]), **t}


# --- sensitivity ----------------------------------------------------------------------------
def _with_policies(ctx: _Ctx, policies: Any) -> _Ctx:
    """The same pack under other policies (the inputs and the grid are shared, not copied)."""

    def swap(company: Company) -> Company:
        return replace(company, config=replace(company.config, policies=policies))

    whole = swap(ctx.whole)
    return replace(ctx, company=whole if ctx.company is ctx.whole else swap(ctx.company), whole=whole)


def _sensitivity(ctx: _Ctx, window: Window) -> pd.DataFrame:
    """tables/sensitivity.csv: the north stars under every alternative policy value. Policies
    on the revenue grid rebuild it and the revenue KPIs; every policy reruns unit economics;
    contract, journey and engagement sections (which no policy here changes) are not rerun."""
    revenue = _revenue_values(ctx, window)

    def evaluate(policies: Any, grid: bool) -> Mapping[str, Value]:
        alt = _with_policies(ctx, policies)
        rev = revenue
        if grid:
            alt = _context(alt.company, alt.whole, window, ctx.as_of_date)
            rev = _revenue_values(alt, window)
        return _segment_blanks(alt, _complete(alt.company, {**rev, **_unit_values(alt, window, rev)}))

    applicable = [p for p in ALTERNATIVES if p not in ("sm_allocation", "mrr_includes_uncontracted")]
    fin, seg = ctx.company.frames.get("financials"), ctx.company.segment_filter
    if seg is not None and fin is not None and seg[0] not in fin.columns:
        applicable.append("sm_allocation")
    if ctx.company.revenue_source() == "contracts":
        applicable.append("mrr_includes_uncontracted")
    return policy_sensitivity(ctx.company.config.north_star, ctx.policies, evaluate, applicable)


# --- reconciliation ---------------------------------------------------------------------------
def _billing_revenue(ctx: _Ctx, tables: Mapping[str, pd.DataFrame]) -> tuple[str, pd.Series]:
    """Monthly revenue on the billing side and its name: contracts' recognized revenue (with
    transactions), else MRR plus transactions, else transactions."""
    source = ctx.company.revenue_source()
    tx = monthly_amounts(ctx.frame("transactions"), "date", "amount")
    with_tx = "+transactions" if len(tx) else ""
    if source == "contracts":
        bridge = tables["revenue_bridge"]
        return f"contracts{with_tx}", pd.Series(
            bridge["revenue"].to_numpy(dtype=float), index=pd.PeriodIndex(bridge["month"], freq="M")
        )
    if source == "mrr":
        bridge = tables["mrr_bridge"]
        mrr = pd.Series(bridge["closing_mrr"].to_numpy(dtype=float), index=pd.PeriodIndex(bridge["month"], freq="M"))
        return f"mrr{with_tx}", mrr.add(tx, fill_value=0.0)
    return "transactions", tx


def _reconciliation(ctx: _Ctx, tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """tables/reconciliation.csv: billing vs P&L, CRM vs bookings, reported vs recomputed."""
    as_of, cache = ctx.window.as_of, {}

    def value_of(kpi: str, window: Window) -> Value:
        if window not in cache:
            cache[window] = _values(ctx, window)
        return cache[window][kpi]

    name, billing = _billing_revenue(ctx, tables)
    bridge = tables.get("revenue_bridge")
    bookings = (
        pd.Series(bridge["bookings"].to_numpy(dtype=float), index=pd.PeriodIndex(bridge["month"], freq="M"))
        if bridge is not None and len(bridge)
        else pd.Series(dtype=float)
    )
    # a segment's revenue is only part of a company-wide P&L: comparing them would show a gap
    # that is no error (METRICS.md "Segment packs"), so that pair is left out
    pnl = None if _company_wide_financials(ctx.company) else ctx.financials
    return stack_reconciliation(
        billing_vs_pnl(billing, name, pnl, as_of),
        crm_vs_bookings(ctx.frame("opportunities"), bookings, as_of),
        reported_vs_recomputed(ctx.frame("reported"), value_of, ctx.policies.fiscal_year_start_month),
    )


def _company_wide_financials(company: Company) -> bool:
    """A segment pack whose financials have no column for the segment's key."""
    return company.segment_filter is not None and "financials" in company.unfiltered_inputs


def reconciliation_warnings(company: Company, as_of: str | None = None) -> list[Problem]:
    """Warnings for ``reportlib validate``: sources that disagree by more than 10% on a month
    or quarter, and ``reported`` rows that cannot be reconciled (see
    :func:`~reportlib.kpis.reconciliation.reconciliation_problems`).

    Parameters
    ----------
    company : Company
        A loaded (valid) company.
    as_of : str, optional
        Default: the last month of the revenue data.
    """
    if company.revenue_source() is None:
        return []
    month, date = resolve_as_of(company, as_of)
    ctx = _context(company, company, Window(month, 3), date)
    tables = {**_contract_tables(ctx), "mrr_bridge": mrr_bridge(ctx.mov) if ctx.mov is not None else None}
    fiscal = ctx.policies.fiscal_year_start_month
    return reconciliation_problems(_reconciliation(ctx, tables), ctx.frame("reported"), fiscal_start=fiscal)


# --- compare --------------------------------------------------------------------------------
def _compare_tables(
    whole: Company, compare: tuple[str, tuple[str, str]], window: Window, date: pd.Timestamp
) -> dict[str, pd.DataFrame]:
    """Cohorts (stacked, with a ``segment`` column) and KPIs side by side for exactly two
    values of one dimension."""
    key, (a, b) = compare
    cfg = whole.config
    results = {}
    for value in (a, b):
        ctx = _context(whole.segment(key, value), whole, window, date)
        results[value] = (ctx, _values(ctx, window))
    out: dict[str, pd.DataFrame] = {}
    for kind in ("logo", "nrr", "grr"):
        parts = []
        for value, (ctx, _) in results.items():
            table = cohorts(ctx.mov, "M")[kind] if ctx.mov is not None else pd.DataFrame(columns=["cohort"])
            parts.append(table.assign(segment=value))
        out[f"compare_cohorts_{kind}"] = pd.concat(parts, ignore_index=True)
    rows = []
    for kpi in REGISTRY.values():
        va, vb = results[a][1][kpi.id], results[b][1][kpi.id]
        rows.append(
            {
                "kpi": kpi.id,
                "label": kpi.label,
                "unit": kpi.unit,
                a: _cell(va),
                b: _cell(vb),
                "difference": _cell(vb) - _cell(va),
                f"status_{a}": status(kpi.id, va, cfg.stage, cfg.gtm),
                f"status_{b}": status(kpi.id, vb, cfg.stage, cfg.gtm),
                f"note_{a}": note_of(va),
                f"note_{b}": note_of(vb),
            }
        )
    out["compare_kpis"] = pd.DataFrame(rows).assign(dimension=key)
    return out


# --- narrative ------------------------------------------------------------------------------
def _narrative(
    company: Company,
    window: Window,
    values: Mapping[str, Value],
    prior: Mapping[str, Value],
    year: Mapping[str, Value],
    word: str,
) -> tuple[dict[str, list[str]], list[nar.Explanation], list[str]]:
    cfg = company.config
    explanations = nar.summary(cfg.north_star, values, prior, year, cfg.currency, window.months)
    sections = {"summary": [e.sentence for e in explanations]}
    sections.update(nar.section_sentences(values, prior, cfg.currency, cfg.stage, cfg.gtm, window.months, word))
    alerts = nar.journey_alert_sentences(values, prior, cfg.policies.alert_threshold, window.months)
    if alerts:
        sections["kpi_hierarchy"] = sections.get("kpi_hierarchy", []) + alerts
    return sections, explanations, alerts


def _segment_note(company: Company) -> str:
    """What a segment pack shows, in plain words: 'Enterprise only: every number is the
    segment's own. Website traffic and the NPS survey are company-wide, so the figures built on
    them are not shown; ...'."""
    key, value = company.segment_filter
    parts = [f"{value[:1].upper()}{value[1:]} only: every number is the segment's own"]
    wide = [n for n in company.unfiltered_inputs if n not in ("financials", "targets")]
    if wide:
        words, plural = reg.input_words(wide)
        parts.append(
            f"{words[:1].upper()}{words[1:]} {'are' if plural else 'is'} company-wide, so the figures built on "
            f"{'them' if plural else 'it'} are not shown"
        )
    if "financials" in company.unfiltered_inputs:
        allocation = company.config.policies.sm_allocation
        parts.append(
            "the P&L is company-wide: "
            + (
                f"costs are allocated to {value} by its share of {reg.ALLOCATION_WORDS[allocation]}"
                if allocation in reg.ALLOCATION_WORDS
                else "the company's policies allocate none of its costs to segments, so the figures built on them "
                "are not shown"
            )
            + f" (policy sm_allocation = {allocation})"
        )
    if "targets" in company.unfiltered_inputs:
        parts.append(f"pacing uses only the targets set for {key} {value}")
    return parts[0] + ". " + "; ".join(p[:1].upper() + p[1:] if i == 0 else p for i, p in enumerate(parts[1:])) + "."


def _run_notes(company: Company, word: str, window: Window) -> list[str]:
    notes = [f"Period: {window.label} ({window.months} month{'s' * (window.months > 1)} ending {window.as_of})."]
    source = company.revenue_source()
    if source == "transactions":
        notes.append(
            "Revenue basis: monthly revenue from transactions (no MRR or contracts input); "
            "movements, retention and cohorts are revenue-based."
        )
    elif source == "contracts":
        notes.append(
            "Revenue basis: MRR derived from contracts"
            + (" plus uncontracted revenue" if company.config.policies.mrr_includes_uncontracted else "")
            + "."
        )
    if company.segment_filter:
        notes.append(_segment_note(company))
    if _company_wide_financials(company):
        notes.append(
            f"Revenue is not reconciled with the P&L for {company.segment_filter[1]}: the P&L covers the whole "
            "company, so the segment's revenue is only a part of it."
        )
    notes += [
        company.missing_note(n)
        for n in INPUT_NAMES
        if not company.has(n) and n not in ("mrr", "contracts", "transactions")
    ]
    return notes


# --- public API -----------------------------------------------------------------------------
def compute_kpis(
    company_or_dir: Company | str | os.PathLike,
    as_of: str | pd.Period | None = None,
    window: str | int = "quarter",
    segment: tuple[str, str] | str | None = None,
    compare: tuple[str, tuple[str, str]] | str | None = None,
    *,
    cache: Mode = Mode.OFF,
) -> KpiResult:
    """Every KPI, table and sentence of a pack for one company (or segment) and window.

    Parameters
    ----------
    company_or_dir : Company or path
        A loaded company or its folder (loaded with :func:`~reportlib.inputs.load_company`).
    as_of : str, optional
        ``YYYY-MM`` (or a ``YYYY-MM-DD`` date, used by pacing); default the last month of the
        revenue data.
    window : {"month", "quarter", "year"}
    segment : (key, value) or "key=value", optional
        Restrict every input carrying ``key`` to ``value``.
    compare : (key, (a, b)) or "key=a,b", optional
        Add side-by-side tables for exactly two values of one dimension.
    cache : Mode
        ``Mode.USE``: read the result back from the store when the inputs (the company's
        ``digest``) and parameters are unchanged, else compute and store it (see
        :mod:`reportlib.kpis._cache`); ``Mode.REFRESH``: compute and store; ``Mode.OFF``
        (default): neither. A folder is loaded with the same mode.

    Returns
    -------
    KpiResult
        A stored result is a fresh copy: changing it (restatements) does not change the store.
    """
    seg, cmp_ = parse_segment(segment), parse_compare(compare)
    if isinstance(company_or_dir, Company):
        result, keep = _stored_or_computed(company_or_dir, seg, cmp_, as_of, window, cache)
        keep()
        return result
    # From a folder: the inputs' whole-table checks run on a second core beside the KPIs
    # (numpy and Arrow release the GIL); an error they find fails the run, as a load would,
    # and nothing is stored before they pass.
    unchecked = open_company(company_or_dir, cache=cache)
    with ThreadPoolExecutor(1, thread_name_prefix="reportlib-checks") as pool:
        checks = pool.submit(unchecked.run_checks)
        try:
            result, keep = _stored_or_computed(unchecked.company, seg, cmp_, as_of, window, cache)
        except Exception:
            unchecked.finish(checks.result())  # an input error explains the failure: raise it instead
            raise
        unchecked.finish(checks.result())
    keep()
    return result


def is_stored(
    company: Company,
    as_of: str | pd.Period | None = None,
    window: str | int = "quarter",
    segment: Any = None,
    compare: Any = None,
    cache: Mode = Mode.USE,
) -> bool:
    """Whether :func:`compute_kpis` of this (loaded, whole) company and these parameters
    would read its result back from the store rather than compute it: the pack's hint that
    a run is an analyst's re-run (the commentary or a notebook changed, not the data)."""
    if not cache.reads:
        return False
    key = result_key(company, parse_segment(segment), parse_compare(compare), as_of, window)
    return key is not None and Store(STORE_KIND).path(key).is_file()


def _stored_or_computed(
    whole: Company,
    seg: tuple[str, str] | None,
    cmp_: tuple[str, tuple[str, str]] | None,
    as_of: str | pd.Period | None,
    window: str | int,
    cache: Mode,
) -> tuple[KpiResult, Callable[[], None]]:
    """The result read back from the store, or computed, and the call that stores a computed one."""
    key = result_key(whole, seg, cmp_, as_of, window) if cache.writes else None
    if key and cache.reads:
        resolve_as_of(whole, None if as_of is None else str(as_of))  # today's date: checked on a hit too
        if isinstance(hit := Store(STORE_KIND).get(key), KpiResult):
            # stored without its company: the one given has the same inputs and config (the key)
            return replace(hit, company=whole.segment(*seg) if seg else whole), lambda: None
    result = _computed(whole, seg, cmp_, as_of, window)
    if not key:
        return result, lambda: None
    result.digest = key
    # the frames are stored once, as inputs
    return result, lambda: Store(STORE_KIND).put(key, replace(result, company=None))


def _computed(
    whole: Company,
    seg: tuple[str, str] | None,
    cmp_: tuple[str, tuple[str, str]] | None,
    as_of: str | pd.Period | None,
    window: str | int,
) -> KpiResult:
    company = whole.segment(*seg) if seg else whole
    with _one_run(whole, company):
        return _compute(whole, company, seg, cmp_, as_of, window)


@contextlib.contextmanager
def _one_run(whole: Company, company: Company) -> Iterator[None]:
    """A computation whose revenue grids are kept while it lasts (:data:`_RUN`); inside
    another (or :func:`shared_grids`) its grids are kept with that one's."""
    with shared_grids():
        _RUN.get()["frames"].update({id(whole.frames): whole.frames, id(company.frames): company.frames})
        yield


@contextlib.contextmanager
def shared_grids() -> Iterator[None]:
    """The computations inside share the revenue grids they have in common, as one
    :func:`compute_kpis` shares them between its windows: a pack's KPIs and the earlier
    period's figures its restatements recompute (:func:`period_figures`) read the same
    contracts' history and company MRR grid (every grid's key holds what it depends on:
    the frames, the months and the revenue policies). Kept until the block ends."""
    if _RUN.get() is not None:
        yield
        return
    run = _RUN.set({"frames": {}, "grids": {}})
    try:
        yield
    finally:
        _RUN.reset(run)


def _compute(
    whole: Company,
    company: Company,
    seg: tuple[str, str] | None,
    cmp_: tuple[str, tuple[str, str]] | None,
    as_of: str | pd.Period | None,
    window: str | int,
) -> KpiResult:
    win, date = _window(whole, as_of, window)
    ctx = _context(company, whole, win, date)
    with ThreadPoolExecutor(1, thread_name_prefix="reportlib-cohorts") as pool:
        _cohorts_ahead(ctx, pool)
        try:
            values, prior, applied, kpis = _kpi_table(ctx, seg)
            year_all = _values(ctx, win.year_ago())
            sensitivity = _sensitivity(ctx, win)  # while the cohorts are computed, as the tables are
            tables = _tables(ctx, kpis, values)
        finally:
            if ctx.mov is not None:  # the tables hold the result; a failed run leaves no future behind
                ctx.mov.cache.pop(_COHORTS_AHEAD, None)
    tables["sensitivity"] = sensitivity
    tables["reconciliation"] = _reconciliation(ctx, tables)
    if cmp_:
        tables.update(_compare_tables(whole, cmp_, win, date))
    word = REVENUE_WORDS.get(company.revenue_source() or "", "MRR")
    narrative, explanations, alerts = _narrative(company, win, values, prior, year_all, word)
    narrative["sensitivity"] = sensitivity_sentences(tables["sensitivity"], company.config.currency)
    return KpiResult(
        kpis=kpis,
        tables=tables,
        company=company,
        window=win,
        as_of_date=date,
        values=values,
        prior=prior,
        year_ago={k: year_all[k] for k in company.config.north_star if k in year_all},
        narrative=narrative,
        explanations=explanations,
        alerts=alerts,
        notes=_run_notes(company, word, win),
        segment=seg,
        compare=cmp_,
        revenue_word=word,
        year_ago_all=year_all,
        overrides=applied,
    )


def _window(whole: Company, as_of: str | pd.Period | None, window: str | int) -> tuple[Window, pd.Timestamp]:
    """The reported window and the as-of date; a fiscal year off January ends quarter and
    year windows on the last fiscal period end, and the date moves back with it to that
    end's last day (pacing and cohorts stop where the period does, not at ``as_of``)."""
    month, date = resolve_as_of(whole, None if as_of is None else str(as_of))
    fiscal = whole.config.policies.fiscal_year_start_month
    win = Window.reported(month, window, fiscal)
    if win.as_of != month:
        date = win.as_of.to_timestamp(how="end").normalize()
    return win, date


def _kpi_table(
    ctx: _Ctx, seg: tuple[str, str] | None
) -> tuple[dict[str, Value], dict[str, Value], dict[str, Any], pd.DataFrame]:
    """The window's values, the prior window's, the overrides applied (the whole company
    only) and kpis.csv's rows."""
    values, prior = _values(ctx, ctx.window), _values(ctx, ctx.window.prior())
    applied = {} if seg else apply_overrides(values, ctx.whole.config.overrides, ctx.window.as_of)
    if not seg:  # the prior value as the board was told it: with the override of its pack
        apply_overrides(prior, ctx.whole.config.overrides, ctx.window.prior().as_of)
    return values, prior, applied, mark_overrides(_kpi_frame(ctx.company, values, prior), applied)


#: The store's folder of :func:`period_figures` (another kind than a whole result's).
FIGURES_KIND = "kpi-figures"


def period_figures(
    whole: Company,
    as_of: str | pd.Period | None,
    window: str | int = "quarter",
    segment: tuple[str, str] | str | None = None,
    *,
    cache: Mode = Mode.OFF,
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """kpis.csv's rows and the monthly MRR and revenue bridges of one period: what a later
    pack compares to tell what it restates (:mod:`reportlib.kpis.restatements`).

    The same figures as :func:`compute_kpis` gives, without the pack's other tables, its
    sensitivity, reconciliation and narrative (two thirds of its work): a stored whole result
    when there is one (the earlier pack's own, when the inputs did not change), else these
    figures alone, stored as such (``cache`` as for :func:`compute_kpis`).

    Returns
    -------
    (DataFrame, dict)
        :data:`KPI_COLUMNS` rows; ``mrr_bridge`` and ``revenue_bridge``.
    """
    seg = parse_segment(segment)
    full = result_key(whole, seg, None, as_of, window) if cache.writes else None
    if full and cache.reads and isinstance(hit := Store(STORE_KIND).get(full), KpiResult):
        return hit.kpis, {n: hit.tables[n] for n in ("mrr_bridge", "revenue_bridge")}
    key = digest(FIGURES_KIND, full) if full else None
    warned = list(whole.warnings)
    try:
        return Store(FIGURES_KIND).fetch(
            key, cache, lambda: _figures(whole, seg, as_of, window), is_pair(pd.DataFrame, dict)
        )
    finally:
        # the earlier period's as-of warnings ("after the latest contract signature") are not
        # this pack's: its data-quality page would list a month it does not report
        whole.warnings[:] = warned


def _figures(
    whole: Company, seg: tuple[str, str] | None, as_of: str | pd.Period | None, window: str | int
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    company = whole.segment(*seg) if seg else whole
    with _one_run(whole, company):
        ctx = _context(company, whole, *_window(whole, as_of, window))
        return _kpi_table(ctx, seg)[3], {"mrr_bridge": _mrr_bridge(ctx), "revenue_bridge": _revenue_bridge(ctx)}


def write_kpis(result: KpiResult, out_dir: str | os.PathLike, workbook: bool = True, *, cache: Mode = Mode.OFF) -> Path:
    """Write ``kpis.csv``, ``kpis.xlsx`` and ``tables/<name>.csv`` into ``out_dir`` (created);
    each file is replaced atomically, mode 0644, and tables of an earlier run that this run
    does not make are removed. Blank values are empty cells. The trust tables
    (:data:`TRUST_TABLES`) are also written at the top of ``out_dir``, where DESIGN.md puts them.
    ``workbook=False`` leaves ``kpis.xlsx`` to :func:`write_kpis_workbook` (the pack writes it
    while its notebooks run). With ``cache`` the CSV text of a result read from the store
    (its ``digest``) is read back too, byte for byte what it was written as.

    Returns
    -------
    Path
        ``out_dir``.
    """
    out = Path(out_dir)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    for relative, text in _csv_texts(result, cache).items():
        atomic_write(out / relative, lambda tmp, text=text: tmp.write_bytes(text))
    stale = [p for p in (out / "tables").glob("*.csv") if p.stem not in result.tables]
    stale += [out / f"{n}.csv" for n in TRUST_TABLES if n not in result.tables]
    for path in stale:
        path.unlink(missing_ok=True)
    if workbook:
        write_kpis_workbook(result, out, cache=cache)
    return out


def _csv_texts(result: KpiResult, cache: Mode) -> dict[str, bytes]:
    """Relative path -> the CSV bytes :func:`write_kpis` writes: those of a stored result (its
    ``digest``) from the store when ``cache`` reads, made (and stored) otherwise; the tables
    added after the computation (:data:`UNSTORED_TABLES`) always made."""
    key = digest(CSV_KIND, result.digest) if result.digest else None
    stored = [n for n in result.tables if n not in UNSTORED_TABLES]
    texts = Store(CSV_KIND).fetch(
        key,
        cache,
        lambda: {"kpis.csv": _csv_bytes(kpis_csv(result)), **_table_texts(result, stored)},
        lambda value: isinstance(value, dict),
    )
    return {**texts, **_table_texts(result, [n for n in result.tables if n in UNSTORED_TABLES])}


def _table_texts(result: KpiResult, names: list[str]) -> dict[str, bytes]:
    """``tables/<name>.csv`` of each table named, and the trust tables' copy at the top."""
    texts = {}
    for name in names:
        texts[f"tables/{name}.csv"] = text = _csv_bytes(result.tables[name])
        if name in TRUST_TABLES:
            texts[f"{name}.csv"] = text
    return texts


def result_fingerprint(result: KpiResult) -> str | None:
    """What identifies a pack's result: its store key (``digest``) and what the pack added
    since (:data:`UNSTORED_TABLES`, :data:`UNSTORED_NARRATIVE`); None for a result computed
    outside the store (no key: nothing made from it can be reused)."""
    if not getattr(result, "digest", ""):
        return None
    added = {n: _csv_bytes(result.tables[n]) for n in UNSTORED_TABLES if n in result.tables}
    words = {n: result.narrative[n] for n in UNSTORED_NARRATIVE if n in result.narrative}
    return digest("result", result.digest, added, words)


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    return csv_bytes(_fiscal_quarters_as_text(frame))


def _fiscal_quarters_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Fiscal quarter columns written as their labels (``FY2027 Q3``), not as pandas writes
    them (``2027Q3``, which reads as a calendar quarter); any other frame as it is."""
    fiscal = [
        c for c, dtype in frame.dtypes.items() if isinstance(dtype, pd.PeriodDtype) and fiscal_start_of(dtype.freq) != 1
    ]
    return frame.assign(**{c: frame[c].map(period_text) for c in fiscal}) if fiscal else frame


def write_kpis_workbook(
    result: KpiResult, out_dir: str | os.PathLike, kpis: pd.DataFrame | None = None, *, cache: Mode = Mode.OFF
) -> Path:
    """``kpis.xlsx`` in ``out_dir``: the KPIs (``kpis``, default :func:`kpis_csv`), every
    table and the policies, one sheet each (see :func:`reportlib.kpis.excel.write_workbook`).
    With ``cache`` the workbook of a stored result (:func:`result_fingerprint`: its
    ``digest`` and what was added since) is copied from the store: an analyst's re-run of a
    pack whose numbers did not change does not build it again."""
    path = Path(out_dir) / "kpis.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    fingerprint = result_fingerprint(result)
    if kpis is not None or fingerprint is None:
        return _build_workbook(result, path, kpis_csv(result) if kpis is None else kpis)
    built: list[bool] = []  # whether the store had no workbook and this call built one

    def build() -> bytes:
        built.append(True)
        return _build_workbook(result, path, kpis_csv(result)).read_bytes()

    book = Store(WORKBOOK_KIND).fetch(digest(WORKBOOK_KIND, fingerprint), cache, build, _is_bytes)
    if not built:  # the stored workbook: copied, not built again
        atomic_write(path, lambda tmp: tmp.write_bytes(book))
    return path


def _build_workbook(result: KpiResult, path: Path, kpis: pd.DataFrame) -> Path:
    currency = result.company.config.currency
    tables = {name: _numbers_as_numbers(name, table) for name, table in result.tables.items()}
    formats = {name: table_formats(name, table, currency) for name, table in tables.items()}
    return write_workbook(
        path,
        {"KPIs": kpis, **tables, "Policies": policies_sheet(result)},
        {**formats, "KPIs": _kpi_formats(kpis, currency)},
    )


def _numbers_as_numbers(name: str, table: pd.DataFrame) -> pd.DataFrame:
    """The sensitivity table with each policy value that is a number as one (3, 0.9; "none"
    stays text), so that a sheet's numbers are numbers; other tables as they are."""
    if name != "sensitivity" or "policy_value" not in table.columns:
        return table
    return table.assign(policy_value=table["policy_value"].map(_policy_cell).astype(object))


def _policy_cell(text: Any) -> Any:
    """A policy value's printed form as a sheet shows it: a number as a number, else the text."""
    value = policy_value(str(text))
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else text


def _is_bytes(value: Any) -> bool:
    return isinstance(value, bytes)


def kpis_csv(result: KpiResult) -> pd.DataFrame:
    """kpis.csv: :data:`KPI_COLUMNS` then :data:`EXTRA_COLUMNS` (company, as-of, overrides).
    A compare pack's KPIs are the whole company's: each note says so, before its reason
    for a blank (:func:`reportlib.registry.compare_scope_note`)."""
    kpis = result.kpis.copy()
    if result.compare is not None:
        kpis["note"] = _scoped_notes(kpis["note"], reg.compare_scope_note(result.compare))
    kpis["company"] = result.company.slug
    kpis["as_of"] = str(result.window.as_of)
    kpis = kpis.join(override_columns(kpis, result.overrides))
    return kpis[KPI_COLUMNS + EXTRA_COLUMNS]


def _scoped_notes(notes: pd.Series, scope: str) -> pd.Series:
    """``scope`` as each note, before the note's own words ("<scope>: no churn in ...")."""
    return notes.map(lambda note: f"{scope}: {note}" if isinstance(note, str) and note else f"{scope}.")


def policies_sheet(result: KpiResult) -> pd.DataFrame:
    """The workbook's Policies sheet: the policies in force (name, value, meaning) and the overrides applied."""
    rows = [
        ("policy", name, _policy_cell(text), meaning)
        for name, text, meaning in result.company.config.policies.describe()
    ]
    values = result.kpis.set_index("kpi")["value"]
    rows += [("override", kpi, _plain_number(values[kpi]), reason) for kpi, (_, reason) in result.overrides.items()]
    return pd.DataFrame(rows, columns=["kind", "name", "value", "meaning"])


def _plain_number(value: Any) -> float | None:
    """An override's value as the cell's number, every digit kept (None for a blank)."""
    return None if pd.isna(value) else float(value)


def _kpi_formats(kpis: pd.DataFrame, currency: str) -> dict[str, list[str]]:
    """Per-row Excel formats of the KPI sheet: value, prior and computed value in the KPI's
    unit; change signed, relative (a percentage) for currency and counts, in points for
    ratios, else in the unit (:func:`reportlib.format.excel_change_format`)."""
    in_unit = [F.excel_format(u, currency) for u in kpis["unit"]]
    change = [F.excel_change_format(u, currency) for u in kpis["unit"]]
    return {"value": in_unit, "prior_value": in_unit, "computed_value": in_unit, "change": change}
