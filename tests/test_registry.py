"""The KPI registry: completeness against METRICS.md, hierarchy, benchmark band edges."""

from __future__ import annotations

import re

import pytest

from conftest import SHARED
from reportlib import registry as reg
from reportlib.metrics import Blank

# Ids defined outside METRICS.md's tables (contracts bullets, "`x` over TTM" mentions);
# each must also appear backticked in METRICS.md (checked below), so the list cannot drift.
NON_TABLE_IDS = [
    "bookings",
    "billings",
    "revenue",
    "deferred_revenue",
    "carr",
    "revenue_share_contracted_recurring",
    "revenue_share_uncontracted_recurring",
    "revenue_share_one_off",
    "gross_margin_ttm",
    "pqls_growth",
]


# The ids of METRICS.md as of this writing, used when ../shared is absent; when it is
# present, test_snapshot_matches_metrics_md keeps this list honest.
METRICS_MD_SNAPSHOT = [
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
    "gross_margin",
    "gross_margin_ttm",
    "sm_spend",
    "cac",
    "ltv",
    "ltv_cac",
    "magic_number",
    "cac_payback_months",
    "burn",
    "burn_multiple",
    "revenue_growth_yoy",
    "ebitda_margin",
    "rule_of_40",
    "cash_balance",
    "net_burn_monthly",
    "runway_months",
    "visitors",
    "signups",
    "visitor_to_signup",
    "pqls",
    "pqls_growth",
    "signup_to_pql",
    "time_to_pql_days",
    "pql_to_customer",
    "lead_conversion_rate",
    "revenue_per_lead",
    "pipeline_created",
    "win_rate",
    "avg_deal_size",
    "sales_cycle_days",
    "dau_mau",
    "nps",
    "bookings",
    "billings",
    "revenue",
    "deferred_revenue",
    "carr",
    "revenue_share_contracted_recurring",
    "revenue_share_uncontracted_recurring",
    "revenue_share_one_off",
]


def metrics_md_ids() -> list[str]:
    """Every KPI id of METRICS.md: the backticked ids in the first column of its tables,
    the ids defined inside table cells (`gross_margin_ttm`, `pqls_growth`) and the
    contract-section ids (the snapshot above when ../shared is absent)."""
    if not (SHARED / "METRICS.md").is_file():
        return list(METRICS_MD_SNAPSHOT)
    text = (SHARED / "METRICS.md").read_text(encoding="utf-8")
    ids: list[str] = []
    for line in text.splitlines():
        if line.startswith("| `"):
            first, _, rest = line[2:].partition(" | ")
            ids += re.findall(r"`([a-z0-9_]+)`", first)
            ids += re.findall(r"`([a-z0-9_]+)` (?:over TTM|vs prior period)", rest)
    for extra in NON_TABLE_IDS:
        # METRICS.md abbreviates the second and third tier shares as `..._one_off`
        stem = extra if extra == "revenue_share_contracted_recurring" else extra.replace("revenue_share_", "..._")
        assert f"`{stem}`" in text, f"{extra} is not named in METRICS.md"
    return list(dict.fromkeys(ids + NON_TABLE_IDS))


ALL_IDS = metrics_md_ids()


@pytest.mark.skipif(not (SHARED / "METRICS.md").is_file(), reason="../shared is absent")
def test_snapshot_matches_metrics_md():
    assert ALL_IDS == METRICS_MD_SNAPSHOT


def test_parser_finds_the_tables():
    assert {
        "mrr",
        "arr",
        "nrr",
        "grr",
        "asp",
        "cac",
        "rule_of_40",
        "dau_mau",
        "nps",
        "gross_margin_ttm",
        "pqls_growth",
        "sales_cycle_days",
    } <= set(ALL_IDS)
    assert len(ALL_IDS) >= 55


@pytest.mark.parametrize("kpi_id", ALL_IDS)
def test_every_metrics_id_is_registered(kpi_id):
    kpi = reg.get(kpi_id)
    assert kpi.unit in ("currency", "ratio", "count", "months", "days", "multiple", "score")
    assert kpi.direction in ("higher", "lower")
    assert kpi.label and kpi.definition


def test_registry_holds_nothing_but_metrics_ids():
    assert set(reg.ids()) == set(ALL_IDS) | set(reg.EXTRA_IDS)
    assert not set(reg.EXTRA_IDS) & set(ALL_IDS)


def test_parents_are_registered_and_acyclic():
    for kpi_id in reg.ids():
        for parent in reg.get(kpi_id).parents:
            assert parent in reg.REGISTRY, (kpi_id, parent)

    def ancestors(k: str, seen: tuple[str, ...] = ()) -> None:
        assert k not in seen, f"cycle {seen + (k,)}"
        for p in reg.get(k).parents:
            ancestors(p, seen + (k,))

    for kpi_id in reg.ids():
        ancestors(kpi_id)


@pytest.mark.parametrize(
    "parent, kids",
    [
        ("arr", {"new_arr", "expansion_arr", "churned_arr"}),
        ("nrr", {"grr", "mrr_expansion_rate"}),
        ("cac_payback_months", {"cac", "asp", "gross_margin"}),
        ("burn_multiple", {"burn", "net_new_arr"}),
        ("magic_number", {"sm_spend", "win_rate", "avg_deal_size", "pipeline_created"}),
    ],
)
def test_metrics_md_hierarchy_edges(parent, kids):
    assert kids <= set(reg.children(parent))


def test_tiers_follow_north_stars():
    assert reg.tier("arr") == "north_star"
    assert reg.tier("new_arr") == "diagnostic"
    assert reg.tier("visitors") == "granular"
    stars = ["arr", "nrr", "dau_mau"]
    assert reg.tier("dau_mau", stars) == "north_star"
    assert reg.tier("burn_multiple", stars) == "diagnostic"


@pytest.mark.parametrize(
    "kpi_id, value, expected",
    [
        ("ltv_cac", 3.0, "green"),
        ("ltv_cac", 2.99, "amber"),
        ("ltv_cac", 1.0, "amber"),
        ("ltv_cac", 0.99, "red"),
        ("burn_multiple", 1.0, "green"),
        ("burn_multiple", 1.01, "amber"),
        ("burn_multiple", 2.0, "amber"),
        ("burn_multiple", 2.01, "red"),
        ("cac_payback_months", 11.9, "green"),
        ("cac_payback_months", 12, "amber"),
        ("cac_payback_months", 24, "amber"),
        ("cac_payback_months", 24.1, "red"),
        ("magic_number", 1.01, "green"),
        ("magic_number", 1.0, "amber"),
        ("magic_number", 0.7, "amber"),
        ("magic_number", 0.69, "red"),
        ("quick_ratio", 5.0, "green"),
        ("quick_ratio", 3.0, "amber"),
        ("quick_ratio", 2.99, "red"),
        ("nrr", 1.01, "green"),
        ("nrr", 1.0, "amber"),
        ("nrr", 0.9, "amber"),
        ("nrr", 0.89, "red"),
    ],
)
def test_band_edges(kpi_id, value, expected):
    assert reg.status(kpi_id, value, "growth", "sales-led") == expected


def test_magic_number_not_judged_for_product_led():
    assert reg.status("magic_number", 5.0, "growth", "product-led") == ""
    assert "product-led" in reg.benchmark_text("magic_number", "growth", "product-led")
    assert reg.status("magic_number", 5.0, "growth", "hybrid") == "green"


def test_rule_of_40_judged_only_at_scale():
    assert reg.status("rule_of_40", 0.55, "early", "sales-led") == ""
    assert reg.status("rule_of_40", 0.55, "growth", "sales-led") == ""
    assert reg.status("rule_of_40", 0.40, "scale", "sales-led") == "green"
    assert reg.status("rule_of_40", 0.39, "scale", "sales-led") == "red"
    assert "scale" in reg.benchmark_text("rule_of_40", "early", "sales-led")


@pytest.mark.parametrize("value", [None, float("nan"), float("inf"), Blank("no churn"), "x"])
def test_blank_values_get_no_status(value):
    assert reg.status("ltv_cac", value, "growth", "sales-led") == ""


def test_kpis_without_bands_get_no_status():
    assert reg.status("arr", 1e6) == ""
    assert reg.benchmark_text("arr") == ""


def test_benchmark_texts():
    assert reg.benchmark_text("ltv_cac") == "≥ 3 green · 1–3 amber · < 1 red"
    assert reg.benchmark_text("burn_multiple") == "≤ 1 green · 1–2 amber · > 2 red"


def test_needs_note_names_the_input_file():
    assert reg.needs_note("signups") == "needs a leads input (company.toml [inputs.leads])"
    assert "[inputs.financials]" in reg.needs_note("burn_multiple")
    assert "[inputs.opportunities]" in reg.needs_note("win_rate")


def test_definitions_rows():
    rows = reg.definitions("early", "product-led")
    assert len(rows) == len(reg.ids())
    assert {"kpi", "label", "unit", "direction", "definition", "benchmark"} <= set(rows[0])
