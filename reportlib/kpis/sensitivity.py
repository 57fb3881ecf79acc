"""Definition sensitivity: each north star under every alternative value of the policies
that change it (DESIGN.md ``sensitivity.csv``).

A policy (METRICS.md) is a contested definition; the board should see how much the chosen
one matters ("LTV:CAC 3.1-5.6 depending on the churn basis; 5.6 as reported"). Only the
sections a policy changes are recomputed: policies on the revenue grid (reactivation window,
contracted vs all recurring MRR) rebuild the movements and the money sections; the others
rerun unit economics on the revenue figures already computed. The caller (the builder)
supplies that recomputation as ``evaluate``, so this module holds only the what, not the how.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

import pandas as pd

from reportlib import format as fmt
from reportlib import registry
from reportlib.metrics import Value, is_blank
from reportlib.registry import REGISTRY, get

__all__ = [
    "SENSITIVITY_COLUMNS",
    "ALTERNATIVES",
    "EFFECTS",
    "GRID_POLICIES",
    "policy_sensitivity",
    "sensitivity_sentences",
    "policy_text",
]

SENSITIVITY_COLUMNS = ["kpi", "policy", "policy_value", "kpi_value", "in_force"]

#: The values each policy is tried at (the one in force is added when it is not listed).
#: LTV caps of 3 and 5 years are the seed's "3 or 5 year fixed customer lifetime".
ALTERNATIVES: dict[str, tuple[Any, ...]] = {
    "reactivation_window_months": (None, 3, 6, 12),
    "cac_lag_months": (0, 1, 3),
    "magic_number_basis": ("net_new", "new", "gross"),
    "ltv_max_lifetime_years": (None, 3.0, 5.0),
    "ltv_churn_basis": ("period", "monthly"),
    "sm_allocation": ("none", "new_customers", "new_arr", "arr"),
    "mrr_includes_uncontracted": (False, True),
}

_SM = ("sm_spend", "cac", "ltv_cac", "magic_number", "cac_payback_months")
_REVENUE_BASED = tuple(k.id for k in REGISTRY.values() if "revenue" in k.needs)

#: Policy -> the KPIs whose value it can change (directly or through a KPI they are built on),
#: among the revenue and unit-economics sections (the ones recomputed; revenue_per_lead, the one
#: journey KPI built on new ARR, is left out).
EFFECTS: dict[str, frozenset[str]] = {
    "reactivation_window_months": frozenset(
        {"new_arr", "reactivation_arr", "new_customers", "asp", "cac", "ltv_cac", "cac_payback_months"}
    ),
    "cac_lag_months": frozenset(_SM),
    "magic_number_basis": frozenset({"magic_number"}),
    "ltv_max_lifetime_years": frozenset({"ltv", "ltv_cac"}),
    "ltv_churn_basis": frozenset({"ltv", "ltv_cac"}),
    "sm_allocation": frozenset(_SM + ("ltv", "gross_margin", "gross_margin_ttm", "burn", "burn_multiple")),
    "mrr_includes_uncontracted": frozenset(_REVENUE_BASED + ("sm_spend",)),
}

#: Policies that change the revenue grid (movements), so every money section is recomputed.
GRID_POLICIES = frozenset({"reactivation_window_months", "mrr_includes_uncontracted"})

#: ``evaluate(policies, grid)`` -> KPI values under those policies; ``grid`` says whether the
#: revenue grid must be rebuilt.
Evaluate = Callable[[Any, bool], Mapping[str, Value]]


def policy_text(value: Any) -> str:
    """A policy value as company.toml spells it (``none``, ``true``, ``3``)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _values_to_try(policy: str, in_force: Any) -> list[Any]:
    values = list(ALTERNATIVES[policy])
    return values if in_force in values else values + [in_force]


def policy_sensitivity(
    north_star: Iterable[str], policies: Any, evaluate: Evaluate, applicable: Iterable[str] = tuple(ALTERNATIVES)
) -> pd.DataFrame:
    """Each north star under every value of each applicable policy that changes it.

    Parameters
    ----------
    north_star : iterable of str
        KPI ids.
    policies : Policies
        The policies in force.
    evaluate : callable
        ``evaluate(policies, grid)`` -> KPI id -> value under ``policies``; ``grid`` is True
        for :data:`GRID_POLICIES`.
    applicable : iterable of str
        Policies that mean something for this pack (e.g. ``sm_allocation`` only in a
        segment pack on company-wide financials).

    Returns
    -------
    DataFrame
        :data:`SENSITIVITY_COLUMNS`; ``kpi_value`` NaN where the KPI is blank under that
        value, ``in_force`` True on the value the pack reports.
    """
    stars, rows = list(north_star), []
    for policy in (p for p in ALTERNATIVES if p in set(applicable)):
        hit = [k for k in stars if k in EFFECTS[policy]]
        if not hit:
            continue
        current = getattr(policies, policy)
        for value in _values_to_try(policy, current):
            values = evaluate(replace(policies, **{policy: value}), policy in GRID_POLICIES)
            for kpi in hit:
                v = values.get(kpi)
                rows.append(
                    {
                        "kpi": kpi,
                        "policy": policy,
                        "policy_value": policy_text(value),
                        "kpi_value": float("nan") if is_blank(v) else float(v),  # type: ignore[arg-type]
                        "in_force": value == current,
                    }
                )
    table = pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS)
    computed = table.groupby(["kpi", "policy"], sort=False)["kpi_value"].transform(lambda s: s.notna().any())
    return table[computed.astype(bool)].reset_index(drop=True)  # a KPI blank under every value says nothing


def sensitivity_sentences(table: pd.DataFrame, currency: str | None = None) -> list[str]:
    """One sentence per (KPI, policy) whose value moves: "LTV:CAC 3.1x to 5.6x depending on
    ltv_churn_basis; 5.6x as reported (period)."."""
    out = []
    for (kpi, policy), group in table.groupby(["kpi", "policy"], sort=False):
        values = group["kpi_value"].dropna()
        if len(values) < 2 or values.max() - values.min() <= 1e-9 * max(abs(values.max()), 1.0):
            continue
        now = group[group["in_force"]]
        shown = now["kpi_value"].iloc[0] if len(now) else float("nan")
        reported = "blank as reported" if pd.isna(shown) else f"{_shown(kpi, shown, currency)} as reported"
        out.append(
            f"{get(kpi).label} {_shown(kpi, values.min(), currency)} to "
            f"{_shown(kpi, values.max(), currency)} depending on {policy}; {reported} "
            f"({policy} = {now['policy_value'].iloc[0] if len(now) else '?'})."
        )
    return out


def _shown(kpi: str, value: object, currency: str | None) -> str:
    """A KPI value as a sentence writes it."""
    return fmt.value(value, registry.get(kpi).unit, currency, context="text")
