"""Analyst overrides with an audit trail: ``[[overrides]]`` of company.toml.

An override sets one KPI's value for one period, with a required reason::

    [[overrides]]
    kpi = "arr"
    period = "2026Q3"        # or 2026-09: the period whose last month is the pack's as-of
    value = 1250000
    reason = "Contract signed 30 Sep booked in October by the CRM; CFO confirmed"

The pack shows the overridden value everywhere (tiles, statuses, narrative) with a note
saying so; kpis.csv keeps the computed value and the reason beside it; and every KPI the
overridden one feeds (its registry parents, up the hierarchy) says that it was computed
from the data, not from the override. Segment packs are not overridden: an override is
about the whole company's figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from reportlib.metrics import Value
from reportlib.metrics._noted import Noted, value_of
from reportlib.registry import REGISTRY

__all__ = ["apply_overrides", "mark_overrides", "override_columns"]


def _fed_by(kpi: str) -> list[str]:
    """The KPIs that ``kpi`` feeds, transitively (its registry parents and theirs)."""
    found: list[str] = []
    todo = list(REGISTRY[kpi].parents)
    while todo:
        parent = todo.pop(0)
        if parent not in found and parent != kpi:
            found.append(parent)
            todo.extend(REGISTRY[parent].parents)
    return found


def apply_overrides(values: dict[str, Value], overrides: Sequence[Any], as_of: pd.Period) -> dict[str, tuple]:
    """Replace the overridden values of the window ending ``as_of`` in ``values`` (in place).

    Returns
    -------
    dict
        KPI id -> (computed value, reason) of each override applied.
    """
    applied = {}
    for override in overrides:
        if override.month != str(as_of):
            continue
        computed = values.get(override.kpi)
        applied[override.kpi] = (value_of(computed), override.reason)
        values[override.kpi] = Noted(
            override.value,
            f"Overridden by the analyst: {override.reason} (computed from the data: {_plain(value_of(computed))}).",
        )
    return applied


def override_columns(kpis: pd.DataFrame, applied: Mapping[str, tuple]) -> pd.DataFrame:
    """kpis.csv's ``computed_value`` and ``override_reason`` (blank for a KPI not overridden)."""
    return pd.DataFrame(
        {
            "computed_value": [applied[k][0] if k in applied else float("nan") for k in kpis["kpi"]],
            "override_reason": [applied[k][1] if k in applied else "" for k in kpis["kpi"]],
        },
        index=kpis.index,
    )


def mark_overrides(kpis: pd.DataFrame, applied: Mapping[str, tuple]) -> pd.DataFrame:
    """A note on every KPI fed by an overridden one (the overridden ones carry theirs)."""
    kpis = kpis.copy()
    uses: dict[str, list[str]] = {}
    for kpi in applied:
        for parent in _fed_by(kpi):
            if parent not in applied:
                uses.setdefault(parent, []).append(kpi)
    for i, kpi in kpis["kpi"].items():
        if kpi in uses:
            note = (
                f"Uses an overridden input ({', '.join(uses[kpi])}): computed from the data's value, not the override."
            )
            kpis.at[i, "note"] = f"{kpis.at[i, 'note']} {note}".strip()
    return kpis


def _plain(value: float) -> str:
    return "blank" if pd.isna(value) else f"{value:,.6g}"
