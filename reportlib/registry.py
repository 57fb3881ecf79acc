"""The KPI registry: one entry per KPI id of METRICS.md, read by every output.

Each :class:`Kpi` holds the id, label, unit, direction, default tier, parents (the
hierarchy edges of METRICS.md "KPI hierarchy", child -> parents), the input files it
needs, and a definition for the definitions page. Benchmark bands live beside the
registry (:data:`BANDS`) because they depend on the company's ``stage`` and ``gtm``.

Units: ``currency | ratio | count | months | days | multiple | score``. Ratios are
fractions (0.95, not 95).

Band edges follow METRICS.md exactly as written: "1-3 amber" includes both ends, "> 1.0
green" excludes 1.0, "< 12 green" excludes 12, "<= 1 green" includes 1. So ``ltv_cac`` 3.0
is green and 1.0 amber; ``magic_number`` 1.0 and 0.7 are amber; ``cac_payback_months`` 12
and 24 are amber; ``burn_multiple`` 1.0 is green and 2.0 amber; ``nrr`` 1.0 is amber.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, get_args

from reportlib.values import finite

Unit = Literal["currency", "ratio", "count", "months", "days", "multiple", "score"]
Direction = Literal["higher", "lower"]
Tier = Literal["north_star", "diagnostic", "granular"]
Status = Literal["green", "amber", "red", ""]

_UNITS = frozenset(get_args(Unit))

DEFAULT_NORTH_STAR: tuple[str, ...] = ("arr", "nrr", "burn_multiple", "cac_payback_months")

# Units whose `change` column is a relative change (value / prior - 1); every other
# unit (ratios, multiples, months, days, scores) gets the absolute difference, because
# "NRR +2 pts" reads right and "NRR +2.1%" does not.
RELATIVE_CHANGE_UNITS: frozenset[str] = frozenset({"currency", "count"})


@dataclass(frozen=True)
class Kpi:
    """One KPI of METRICS.md.

    Parameters
    ----------
    id, label : str
        The kpis.csv id and its human label.
    unit : Unit
        How the value reads (a ratio is a fraction).
    direction : Direction
        Which way is better.
    tier : Tier
        Default tier ("diagnostic" or "granular"); the company's north stars override it.
    parents : tuple of str
        KPIs this one explains (hierarchy edges child -> parent).
    needs : tuple of str
        Inputs the KPI is computed from (for "needs a ... input" notes); ``"revenue"`` is
        any revenue source.
    section : str
        The METRICS.md section (and pack section) it belongs to.
    definition : str
        Plain-text definition for the definitions page.
    """

    id: str
    label: str
    unit: Unit
    direction: Direction
    tier: Tier
    parents: tuple[str, ...]
    needs: tuple[str, ...]
    section: str
    definition: str


def _k(
    id: str,
    label: str,
    unit: Unit,
    direction: Direction,
    tier: Tier,
    parents: Iterable[str],
    needs: Iterable[str],
    section: str,
    definition: str,
) -> Kpi:
    return Kpi(id, label, unit, direction, tier, tuple(parents), tuple(needs), section, definition)


#: The ARR movements of a period in the bridge's order (METRICS.md): net_new_arr = new +
#: reactivation + expansion - contraction - churned. A table or chart that shows movements
#: shows all of them, so that they add up to the net new ARR beside them.
ARR_MOVEMENTS = ("new_arr", "reactivation_arr", "expansion_arr", "contraction_arr", "churned_arr")
#: The movements that lower ARR (shown as positive amounts, subtracted).
ARR_OUTFLOWS = frozenset({"contraction_arr", "churned_arr"})
REV, FIN = ("revenue",), ("revenue", "financials")

_KPIS: list[Kpi] = [
    # --- MRR, movements and retention ------------------------------------------------
    _k(
        "mrr",
        "MRR",
        "currency",
        "higher",
        "diagnostic",
        ["arr"],
        REV,
        "revenue",
        "Sum of customers' monthly recurring revenue at the as-of month.",
    ),
    _k("arr", "ARR", "currency", "higher", "diagnostic", [], REV, "revenue", "12 x MRR at the as-of month."),
    _k(
        "customers",
        "Customers",
        "count",
        "higher",
        "diagnostic",
        ["arr"],
        REV,
        "revenue",
        "Customers with MRR > 0 at the as-of month.",
    ),
    _k(
        "new_arr",
        "New ARR",
        "currency",
        "higher",
        "diagnostic",
        ["arr", "net_new_arr", "quick_ratio"],
        REV,
        "revenue",
        "12 x MRR of new customers (never active before) over the period.",
    ),
    _k(
        "expansion_arr",
        "Expansion ARR",
        "currency",
        "higher",
        "diagnostic",
        ["arr", "net_new_arr", "quick_ratio"],
        REV,
        "revenue",
        "12 x MRR increases of customers active in both months, over the period.",
    ),
    _k(
        "reactivation_arr",
        "Reactivation ARR",
        "currency",
        "higher",
        "granular",
        ["arr", "net_new_arr", "quick_ratio"],
        REV,
        "revenue",
        "12 x MRR of returning customers (active before, inactive the month before), over the period.",
    ),
    _k(
        "contraction_arr",
        "Contraction ARR",
        "currency",
        "lower",
        "granular",
        ["arr", "net_new_arr", "quick_ratio"],
        REV,
        "revenue",
        "12 x MRR decreases of customers active in both months, over the period.",
    ),
    _k(
        "churned_arr",
        "Churned ARR",
        "currency",
        "lower",
        "diagnostic",
        ["arr", "net_new_arr", "quick_ratio"],
        REV,
        "revenue",
        "12 x MRR (the month before) of customers who left, over the period.",
    ),
    _k(
        "net_new_arr",
        "Net new ARR",
        "currency",
        "higher",
        "diagnostic",
        ["arr", "burn_multiple", "magic_number"],
        REV,
        "revenue",
        "ARR at the as-of month minus ARR at the start of the period.",
    ),
    _k(
        "arr_growth_yoy",
        "ARR growth (YoY)",
        "ratio",
        "higher",
        "diagnostic",
        ["arr", "rule_of_40"],
        REV,
        "revenue",
        "ARR / ARR a year earlier - 1.",
    ),
    _k(
        "new_customers",
        "New customers",
        "count",
        "higher",
        "diagnostic",
        ["new_arr", "cac"],
        REV,
        "revenue",
        "Customers with a new movement in the period (reactivations excluded).",
    ),
    _k(
        "logo_churn_rate",
        "Logo churn rate",
        "ratio",
        "lower",
        "diagnostic",
        ["grr"],
        REV,
        "revenue",
        "Customers active at the start of the period and not at its end / customers active at the start.",
    ),
    _k(
        "logo_churn_rate_annual",
        "Logo churn rate (annual)",
        "ratio",
        "lower",
        "diagnostic",
        ["ltv", "grr"],
        REV,
        "revenue",
        "Logo churn rate over the trailing 12 months; used by LTV.",
    ),
    _k(
        "gross_mrr_churn_rate",
        "Gross MRR churn rate",
        "ratio",
        "lower",
        "diagnostic",
        ["grr"],
        REV,
        "revenue",
        "(Churn + contraction over the period) / MRR at its start.",
    ),
    _k(
        "net_mrr_churn_rate",
        "Net MRR churn rate",
        "ratio",
        "lower",
        "diagnostic",
        ["nrr"],
        REV,
        "revenue",
        "(Churn + contraction - expansion - reactivation over the period) / MRR at its start.",
    ),
    _k(
        "mrr_expansion_rate",
        "MRR expansion rate",
        "ratio",
        "higher",
        "diagnostic",
        ["nrr"],
        REV,
        "revenue",
        "Expansion over the period / MRR at its start.",
    ),
    _k(
        "nrr",
        "Net revenue retention",
        "ratio",
        "higher",
        "diagnostic",
        [],
        REV,
        "revenue",
        "Customers active a year ago: their MRR now / their MRR a year ago.",
    ),
    _k(
        "grr",
        "Gross revenue retention",
        "ratio",
        "higher",
        "diagnostic",
        ["nrr"],
        REV,
        "revenue",
        "Same customers: sum of min(MRR now, MRR a year ago) / their MRR a year ago.",
    ),
    _k(
        "quick_ratio",
        "Quick ratio",
        "multiple",
        "higher",
        "diagnostic",
        ["arr"],
        REV,
        "revenue",
        "(New + reactivation + expansion) / (contraction + churn), over the period.",
    ),
    _k(
        "arpa",
        "ARPA (monthly)",
        "currency",
        "higher",
        "diagnostic",
        ["arr", "ltv"],
        REV,
        "revenue",
        "MRR / customers at the as-of month.",
    ),
    _k(
        "asp",
        "ASP (monthly)",
        "currency",
        "higher",
        "diagnostic",
        ["new_arr", "cac_payback_months"],
        REV,
        "revenue",
        "New MRR over the period / new customers: the monthly MRR of a new customer.",
    ),
    # --- contracts: bookings, billings, revenue, ARR, CARR, tiers --------------------
    _k(
        "bookings",
        "Bookings",
        "currency",
        "higher",
        "granular",
        ["carr"],
        ("contracts",),
        "revenue_quality",
        "Total contract value of contracts signed in the period.",
    ),
    _k(
        "billings",
        "Billings",
        "currency",
        "higher",
        "granular",
        ["revenue"],
        ("contracts",),
        "revenue_quality",
        "Invoices dated in the period (in advance, per each contract's billing frequency).",
    ),
    _k(
        "revenue",
        "Revenue",
        "currency",
        "higher",
        "diagnostic",
        ["revenue_growth_yoy"],
        ("contracts|financials",),
        "revenue_quality",
        "Recognized revenue over the period (from contracts, else from financials).",
    ),
    _k(
        "deferred_revenue",
        "Deferred revenue",
        "currency",
        "higher",
        "granular",
        ["revenue"],
        ("contracts",),
        "revenue_quality",
        "Billings to date minus revenue to date, at the as-of month.",
    ),
    _k(
        "carr",
        "CARR",
        "currency",
        "higher",
        "diagnostic",
        ["arr"],
        ("contracts",),
        "revenue_quality",
        (
            "Contract ARR plus the annualised value of contracts signed but not yet started; a signed "
            "renewal replaces the contract it renews, so an early renewal is not counted twice."
        ),
    ),
    _k(
        "revenue_share_contracted_recurring",
        "Revenue share: contracted recurring",
        "ratio",
        "higher",
        "diagnostic",
        ["revenue"],
        ("contracts|transactions|financials",),
        "revenue_quality",
        "Contracted recurring revenue over the period / total revenue over the period.",
    ),
    _k(
        "revenue_share_uncontracted_recurring",
        "Revenue share: uncontracted recurring",
        "ratio",
        "higher",
        "granular",
        ["revenue"],
        ("contracts|transactions|financials",),
        "revenue_quality",
        "Uncontracted recurring (usage, payments) revenue over the period / total revenue.",
    ),
    _k(
        "revenue_share_one_off",
        "Revenue share: one-off",
        "ratio",
        "lower",
        "granular",
        ["revenue"],
        ("contracts|transactions|financials",),
        "revenue_quality",
        "One-off (services, set-up) revenue over the period / total revenue.",
    ),
    # --- unit economics ---------------------------------------------------------------
    _k(
        "gross_margin",
        "Gross margin",
        "ratio",
        "higher",
        "diagnostic",
        ["cac_payback_months", "ebitda_margin"],
        ("financials",),
        "unit_economics",
        "(Revenue - COGS) / revenue over the period.",
    ),
    _k(
        "gross_margin_ttm",
        "Gross margin (TTM)",
        "ratio",
        "higher",
        "diagnostic",
        ["cac_payback_months", "ltv"],
        ("financials",),
        "unit_economics",
        "(Revenue - COGS) / revenue over the trailing 12 months.",
    ),
    _k(
        "sm_spend",
        "S&M spend",
        "currency",
        "lower",
        "diagnostic",
        ["cac", "magic_number"],
        ("financials",),
        "unit_economics",
        "Sales and marketing expense over the period, lagged by cac_lag_months.",
    ),
    _k(
        "cac",
        "CAC",
        "currency",
        "lower",
        "diagnostic",
        ["cac_payback_months", "ltv_cac"],
        FIN,
        "unit_economics",
        "S&M spend / new customers.",
    ),
    _k(
        "ltv",
        "LTV",
        "currency",
        "higher",
        "diagnostic",
        ["ltv_cac"],
        FIN,
        "unit_economics",
        "12 x ARPA x gross margin (TTM) / annual logo churn rate.",
    ),
    _k("ltv_cac", "LTV:CAC", "multiple", "higher", "diagnostic", [], FIN, "unit_economics", "LTV / CAC."),
    _k(
        "magic_number",
        "Magic number",
        "multiple",
        "higher",
        "diagnostic",
        [],
        FIN,
        "unit_economics",
        "Net new ARR (per magic_number_basis) / S&M spend.",
    ),
    _k(
        "cac_payback_months",
        "CAC payback",
        "months",
        "lower",
        "diagnostic",
        [],
        FIN,
        "unit_economics",
        "CAC / (ASP x gross margin TTM): months of gross profit to recoup a new customer's CAC.",
    ),
    _k(
        "burn",
        "Burn",
        "currency",
        "lower",
        "diagnostic",
        ["burn_multiple"],
        ("financials",),
        "unit_economics",
        "Minus the sum of net cash flow over the period.",
    ),
    _k(
        "burn_multiple",
        "Burn multiple",
        "multiple",
        "lower",
        "diagnostic",
        [],
        FIN,
        "unit_economics",
        "Burn / net new ARR over the period.",
    ),
    _k(
        "revenue_growth_yoy",
        "Revenue growth (YoY)",
        "ratio",
        "higher",
        "diagnostic",
        ["rule_of_40"],
        ("financials",),
        "unit_economics",
        "Revenue over the TTM / revenue over the 12 months before - 1.",
    ),
    _k(
        "ebitda_margin",
        "EBITDA margin",
        "ratio",
        "higher",
        "diagnostic",
        ["rule_of_40", "burn"],
        ("financials",),
        "unit_economics",
        "EBITDA over the TTM / revenue over the TTM.",
    ),
    _k(
        "rule_of_40",
        "Rule of 40",
        "ratio",
        "higher",
        "diagnostic",
        [],
        ("financials",),
        "unit_economics",
        "Revenue growth (YoY) + EBITDA margin (ARR growth replaces revenue growth under 24 months of revenue).",
    ),
    # --- cash -------------------------------------------------------------------------------
    _k(
        "cash_balance",
        "Cash balance",
        "currency",
        "higher",
        "diagnostic",
        ["runway_months"],
        ("financials",),
        "unit_economics",
        "Cash balance at the end of the as-of month.",
    ),
    _k(
        "net_burn_monthly",
        "Net burn (monthly)",
        "currency",
        "lower",
        "diagnostic",
        ["runway_months"],
        ("financials",),
        "unit_economics",
        "Burn over the 3 months ending at the as-of month / 3.",
    ),
    _k(
        "runway_months",
        "Runway",
        "months",
        "higher",
        "diagnostic",
        [],
        ("financials",),
        "unit_economics",
        "Cash balance / monthly net burn: months of cash at the recent burn.",
    ),
    # --- customer journey ---------------------------------------------------------------
    _k(
        "visitors",
        "Visitors",
        "count",
        "higher",
        "granular",
        ["signups"],
        ("traffic",),
        "journey",
        "Website visitors over the period.",
    ),
    _k(
        "signups",
        "Signups",
        "count",
        "higher",
        "granular",
        ["pqls"],
        ("leads",),
        "journey",
        "Leads that signed up in the period.",
    ),
    _k(
        "visitor_to_signup",
        "Visitor-to-signup rate",
        "ratio",
        "higher",
        "granular",
        ["signups"],
        ("traffic", "leads"),
        "journey",
        "Signups / visitors.",
    ),
    _k(
        "pqls",
        "PQLs",
        "count",
        "higher",
        "granular",
        ["new_customers"],
        ("leads",),
        "journey",
        "Leads that became product-qualified in the period.",
    ),
    _k(
        "pqls_growth",
        "PQL growth",
        "ratio",
        "higher",
        "granular",
        ["pqls"],
        ("leads",),
        "journey",
        "PQLs vs the prior period - 1.",
    ),
    _k(
        "signup_to_pql",
        "Signup-to-PQL rate",
        "ratio",
        "higher",
        "granular",
        ["pqls"],
        ("leads",),
        "journey",
        "PQLs / signups.",
    ),
    _k(
        "time_to_pql_days",
        "Time to PQL",
        "days",
        "lower",
        "granular",
        ["pqls"],
        ("leads",),
        "journey",
        "Mean days from signup to PQL, for leads that became PQLs in the period.",
    ),
    _k(
        "pql_to_customer",
        "PQL-to-customer rate",
        "ratio",
        "higher",
        "granular",
        ["new_customers"],
        ("leads",),
        "journey",
        "Leads that became customers in the period / PQLs.",
    ),
    _k(
        "lead_conversion_rate",
        "Lead conversion rate",
        "ratio",
        "higher",
        "diagnostic",
        ["new_customers", "cac"],
        ("leads",),
        "journey",
        "Leads that became customers in the period / leads created in the period.",
    ),
    _k(
        "revenue_per_lead",
        "Revenue per lead",
        "currency",
        "higher",
        "granular",
        ["new_arr"],
        ("revenue", "leads"),
        "journey",
        "New ARR / leads created in the period.",
    ),
    # --- pipeline ---------------------------------------------------------------------
    _k(
        "pipeline_created",
        "Pipeline created",
        "currency",
        "higher",
        "diagnostic",
        ["magic_number", "new_arr"],
        ("opportunities",),
        "pipeline",
        "Sum of amounts of opportunities created in the period.",
    ),
    _k(
        "win_rate",
        "Win rate",
        "ratio",
        "higher",
        "diagnostic",
        ["magic_number", "new_customers"],
        ("opportunities",),
        "pipeline",
        "Won / (won + lost), opportunities closed in the period.",
    ),
    _k(
        "avg_deal_size",
        "Average deal size",
        "currency",
        "higher",
        "diagnostic",
        ["magic_number", "asp"],
        ("opportunities",),
        "pipeline",
        "Amount of won opportunities closed in the period / their count.",
    ),
    _k(
        "sales_cycle_days",
        "Sales cycle",
        "days",
        "lower",
        "granular",
        ["win_rate", "cac"],
        ("opportunities",),
        "pipeline",
        "Mean days from creation to close of opportunities won in the period.",
    ),
    # --- usage, NPS -------------------------------------------------------------------
    _k(
        "dau_mau",
        "DAU/MAU",
        "ratio",
        "higher",
        "granular",
        ["grr", "pqls"],
        ("usage",),
        "usage",
        "Mean daily active users over the days of the as-of month / monthly active users.",
    ),
    _k(
        "nps",
        "NPS",
        "score",
        "higher",
        "granular",
        ["grr"],
        ("nps",),
        "usage",
        "% promoters (9-10) - % detractors (0-6) over responses in the period, on -100..100.",
    ),
    # --- usage and NPS detail (not METRICS.md ids: the engagement section's extra rows) ----
    _k(
        "mau",
        "Monthly active users",
        "count",
        "higher",
        "granular",
        ["dau_mau"],
        ("usage",),
        "usage",
        "Distinct users with an event in the as-of month.",
    ),
    _k(
        "active_accounts",
        "Active accounts",
        "count",
        "higher",
        "granular",
        ["usage_depth"],
        ("usage",),
        "usage",
        "Distinct accounts (else users) with an event in the period.",
    ),
    _k(
        "usage_depth",
        "Usage depth",
        "count",
        "higher",
        "granular",
        ["grr"],
        ("usage",),
        "usage",
        "Events per active account and month over the period (events / active account-months).",
    ),
    _k(
        "nps_responses",
        "NPS responses",
        "count",
        "higher",
        "granular",
        ["nps"],
        ("nps",),
        "usage",
        "Survey responses in the period.",
    ),
    _k(
        "nps_promoters",
        "NPS promoters",
        "ratio",
        "higher",
        "granular",
        ["nps"],
        ("nps",),
        "usage",
        "Share of responses scoring 9-10.",
    ),
    _k(
        "nps_passives",
        "NPS passives",
        "ratio",
        "higher",
        "granular",
        ["nps"],
        ("nps",),
        "usage",
        "Share of responses scoring 7-8.",
    ),
    _k(
        "nps_detractors",
        "NPS detractors",
        "ratio",
        "lower",
        "granular",
        ["nps"],
        ("nps",),
        "usage",
        "Share of responses scoring 0-6.",
    ),
]

#: Registry ids that are not METRICS.md ids (usage and NPS detail rows of kpis.csv).
EXTRA_IDS: tuple[str, ...] = (
    "mau",
    "active_accounts",
    "usage_depth",
    "nps_responses",
    "nps_promoters",
    "nps_passives",
    "nps_detractors",
)

REGISTRY: dict[str, Kpi] = {k.id: k for k in _KPIS}

INPUT_LABELS = {
    "revenue": "a revenue input (company.toml [inputs.mrr], [inputs.contracts] or [inputs.transactions])",
    "contracts": "a contracts input (company.toml [inputs.contracts])",
    "contracts|financials": "a contracts or financials input (company.toml [inputs.contracts] or [inputs.financials])",
    "contracts|transactions|financials": "a contracts, transactions or financials input with revenue "
    "types (company.toml [inputs.contracts])",
    "financials": "a financials input (company.toml [inputs.financials])",
    "traffic": "a traffic input (company.toml [inputs.traffic])",
    "leads": "a leads input (company.toml [inputs.leads])",
    "opportunities": "an opportunities input (company.toml [inputs.opportunities])",
    "usage": "a usage input (company.toml [inputs.usage])",
    "nps": "an nps input (company.toml [inputs.nps])",
    "targets": "a targets input (company.toml [inputs.targets])",
}

#: Short names for page titles (a title reads "NRR green", not "Net revenue retention
#: green"); every other KPI goes by its label.
SHORT_LABELS = {
    "nrr": "NRR",
    "grr": "GRR",
    "arr": "ARR",
    "mrr": "MRR",
    "carr": "CARR",
    "cac_payback_months": "CAC payback",
    "ltv_cac": "LTV:CAC",
    "arpa": "ARPA",
    "asp": "ASP",
    "dau_mau": "DAU/MAU",
    "nps": "NPS",
}

#: Units of the targets-file metrics that are not KPI ids (METRICS.md "Pacing").
TARGET_METRIC_UNITS: dict[str, Unit] = {
    "won_amount": "currency",
    "bookings_won": "currency",
    "opportunities_created": "count",
    "deals_won": "count",
    "won_deals": "count",
    "wins": "count",
    "leads": "count",
    "new_leads": "count",
    "leads_created": "count",
    "customers_won": "count",
}

#: Units of the ``tables/*.csv`` columns that are not KPI ids, in whichever table they are (a
#: column named after a KPI, ``arr`` or ``win_rate``, is in the KPI's unit).
COLUMN_UNITS: dict[str, Unit] = {
    **{c: "currency" for c in ("opening_mrr", "new", "reactivation", "expansion", "contraction", "churn")},
    **{c: "currency" for c in ("closing_mrr", "net_new_mrr", "arpa_churned", "arpa_expanded", "arpa_contracted")},
    **{c: "currency" for c in ("contracted_recurring", "uncontracted_recurring", "one_off", "total", "cogs")},
    **{c: "currency" for c in ("gross_profit", "cumulative_gross_profit", "cohort_cac", "won_amount")},
    **{c: "count" for c in ("reactivated_customers", "churned_customers", "cohort_size", "entered", "converted")},
    **{c: "count" for c in ("count", "opportunities_created", "won", "lost", "dau", "events", "accounts_using")},
    **{c: "months" for c in ("age_months", "payback_age_months", "latest_age_months")},
    **{c: "ratio" for c in ("recurring_share", "conversion_from_previous", "rate", "adoption", "relative")},
    **{c: "ratio" for c in ("elapsed_fraction", "pace")},
    "median_days": "days",
    "mean_days": "days",
}
#: Units a table gives a column of its own: a cohort table's ``value`` is a retention share.
TABLE_COLUMN_UNITS: dict[str, dict[str, Unit]] = {
    f"{prefix}cohorts_{kind}{suffix}": {"value": "ratio"}
    for kind in ("logo", "nrr", "grr")
    for prefix, suffix in (("", ""), ("", "_quarterly"), ("compare_", ""))
}


@dataclass(frozen=True)
class RowUnits:
    """Columns of a table whose unit is each row's: ``by`` names the column giving it (a
    unit, or a KPI id / targets metric); ``values`` are in that unit (``"*"``: every numeric
    column without a unit of its own), ``differences`` signed differences in it."""

    by: str
    values: tuple[str, ...]
    differences: tuple[str, ...] = ()


#: Tables whose rows each have their own unit.
ROW_UNITS: dict[str, RowUnits] = {
    "breakdowns": RowUnits("unit", ("value",)),
    "kpi_tree": RowUnits("unit", ("value",)),
    "compare_kpis": RowUnits("unit", ("*",), ("difference",)),  # one column per compared segment
    "reconciliation": RowUnits("kpi", ("value_a", "value_b"), ("difference",)),
    "sensitivity": RowUnits("kpi", ("kpi_value",)),
    "restatements": RowUnits("kpi", ("reported_before", "now"), ("change",)),
    "pipeline_pacing": RowUnits("metric", ("target", "actual", "expected_to_date", "required_run_rate_per_day")),
}


#: Pack sections in order (notebook names without the number) and their page titles.
SECTION_TITLES = {
    "cover": "Board pack",
    "summary": "Executive summary",
    "revenue_quality": "Growth and revenue quality",
    "unit_economics": "Unit economics and cash",
    "cohort_economics": "Retention",
    "kpi_hierarchy": "Go-to-market",
    "appendix": "Appendix",
}


# --- benchmark bands ---------------------------------------------------------------------
@dataclass(frozen=True)
class Bands:
    """Green / amber / red thresholds for one KPI.

    For ``direction="higher"``: green when value >= ``green`` (> when not
    ``green_inclusive``), else amber when value >= ``amber`` (> when not
    ``amber_inclusive``), else red. Mirrored for ``"lower"``. ``amber=None`` means two
    bands: green or red.
    """

    direction: Direction
    green: float
    amber: float | None
    green_inclusive: bool
    amber_inclusive: bool = True
    text: str = ""

    def judge(self, value: float) -> Status:
        if self._passes(value, self.green, self.green_inclusive):
            return "green"
        if self.amber is not None and self._passes(value, self.amber, self.amber_inclusive):
            return "amber"
        return "red"

    def _passes(self, value: float, edge: float, inclusive: bool) -> bool:
        if self.direction == "higher":
            return value >= edge if inclusive else value > edge
        return value <= edge if inclusive else value < edge


@dataclass(frozen=True)
class BandRule:
    """The bands of one KPI with the stage / gtm that change them.

    ``not_judged_gtm`` and ``judged_stages`` say when no status is given; the reason is
    printed in kpis.csv's ``benchmark`` column instead of the bands.
    """

    bands: Bands
    not_judged_gtm: frozenset[str] = frozenset()
    judged_stages: frozenset[str] | None = None
    overrides: dict[tuple[str, str], Bands] = field(default_factory=dict)

    def for_company(self, stage: str | None, gtm: str | None) -> Bands | str:
        """The bands for ``stage`` / ``gtm``, or the reason the KPI is not judged."""
        if gtm in self.not_judged_gtm:
            return f"not judged for {gtm} companies"
        if self.judged_stages is not None and stage not in self.judged_stages:
            return f"judged only at stage {' / '.join(sorted(self.judged_stages))}"
        for (st, gt), bands in self.overrides.items():
            if st in ("*", stage) and gt in ("*", gtm):
                return bands
        return self.bands


BANDS: dict[str, BandRule] = {
    "ltv_cac": BandRule(Bands("higher", 3.0, 1.0, True, True, "≥ 3 green · 1–3 amber · < 1 red")),
    "magic_number": BandRule(
        Bands("higher", 1.0, 0.7, False, True, "> 1.0 green · 0.7–1.0 amber · < 0.7 red"),
        not_judged_gtm=frozenset({"product-led"}),
    ),
    "cac_payback_months": BandRule(Bands("lower", 12.0, 24.0, False, True, "< 12 green · 12–24 amber · > 24 red")),
    "burn_multiple": BandRule(Bands("lower", 1.0, 2.0, True, True, "≤ 1 green · 1–2 amber · > 2 red")),
    # METRICS.md gives one threshold: a scale company either meets the rule or does not.
    "rule_of_40": BandRule(
        Bands("higher", 0.40, None, True, True, "≥ 40% green · < 40% red"), judged_stages=frozenset({"scale"})
    ),
    "quick_ratio": BandRule(Bands("higher", 5.0, 3.0, True, True, "≥ 5 green · 3–5 amber · < 3 red")),
    "nrr": BandRule(Bands("higher", 1.0, 0.9, False, True, "> 100% green · 90–100% amber · < 90% red")),
}


# --- access --------------------------------------------------------------------------------
def get(kpi_id: str) -> Kpi:
    """The registry entry of ``kpi_id`` (KeyError naming the id when unknown)."""
    try:
        return REGISTRY[kpi_id]
    except KeyError:
        raise KeyError(f"unknown KPI id '{kpi_id}'") from None


def ids() -> list[str]:
    """Every KPI id, in registry (= kpis.csv) order."""
    return list(REGISTRY)


def children(kpi_id: str) -> list[str]:
    """KPIs whose parents include ``kpi_id``, in registry order."""
    return [k.id for k in _KPIS if kpi_id in k.parents]


def tier(kpi_id: str, north_star: Iterable[str] = DEFAULT_NORTH_STAR) -> Tier:
    """``north_star`` for the company's north stars; ``diagnostic`` for a KPI that explains
    one of them or is diagnostic by default; else ``granular``."""
    stars = set(north_star)
    if kpi_id in stars:
        return "north_star"
    kpi = get(kpi_id)
    if kpi.tier == "diagnostic" or stars.intersection(kpi.parents):
        return "diagnostic"
    return "granular"


def benchmark_text(kpi_id: str, stage: str | None = None, gtm: str | None = None) -> str:
    """The ``benchmark`` column of kpis.csv: the bands, or why the KPI is not judged."""
    rule = BANDS.get(kpi_id)
    if rule is None:
        return ""
    bands = rule.for_company(stage, gtm)
    return bands if isinstance(bands, str) else bands.text


def status(kpi_id: str, value: object, stage: str | None = None, gtm: str | None = None) -> Status:
    """Green / amber / red of ``value`` against the KPI's bands for ``stage`` and ``gtm``;
    ``""`` for a KPI without bands, a KPI not judged for this company, or a blank value."""
    rule = BANDS.get(kpi_id)
    v = finite(value)
    if rule is None or v is None:
        return ""
    bands = rule.for_company(stage, gtm)
    if isinstance(bands, str):
        return ""
    return bands.judge(v)


def needs_note(kpi_id: str, missing: Iterable[str] | None = None) -> str:
    """The note of a KPI whose inputs are absent: which input file would enable it.

    ``missing`` lists the absent entries of the KPI's ``needs`` (default: all of them).
    """
    return needs_text(get(kpi_id).needs if missing is None else missing)


def needs_text(inputs: Iterable[str], joiner: str = "and") -> str:
    """The one wording of missing inputs: "needs a leads input (company.toml
    [inputs.leads])"; ``joiner="or"`` when any one of them would do. ``revenue`` is left
    out beside a more specific input."""
    needs = list(inputs)
    labels = [INPUT_LABELS.get(n, f"a {n} input") for n in needs if n != "revenue" or len(needs) == 1]
    return "needs " + f" {joiner} ".join(labels or [INPUT_LABELS["revenue"]])


#: Each input as a board member names it (and whether the name is plural), for the notes of
#: a segment pack.
INPUT_WORDS = {
    "financials": ("the P&L and cash figures", True),
    "traffic": ("website traffic", False),
    "leads": ("the leads and sign-ups data", False),
    "opportunities": ("the CRM pipeline", False),
    "usage": ("product usage", False),
    "nps": ("the NPS survey", False),
    "targets": ("the targets", True),
    "transactions": ("the usage charges", True),
    "mrr": ("the MRR export", False),
    "contracts": ("the contracts", True),
}
#: ``sm_allocation`` bases as a sentence names them.
ALLOCATION_WORDS = {"new_customers": "new customers", "new_arr": "new ARR", "arr": "ARR"}


def segment_blank_note(segment: tuple[str, str], reason: str) -> str:
    """The note of a KPI left blank in a segment pack, as a board member reads it:
    "Not shown for Enterprise: website traffic is company-wide (not split by segment)."."""
    return f"Not shown for {segment[1]}: {reason}."


def compare_scope_note(compare: tuple[str, tuple[str, str]]) -> str:
    """The note of every KPI in a compare pack's kpis.csv, whose figures are the whole
    company's: "Company-wide figure (SMB and Enterprise side by side in tables/compare_kpis.csv)"."""
    key, (a, b) = compare
    return f"Company-wide figure ({a} and {b} side by side in tables/compare_kpis.csv)"


def not_shown(names: str, note: str, plural: bool = False) -> str:
    """A blank KPI's note as a sentence about it: 'Burn multiple is not shown for SMB: the cost
    of revenue and cash burn are company-wide and ...'."""
    verb = "are" if plural else "is"
    note = note.strip().rstrip(".")
    if note.startswith("Not shown for "):
        return f"{names} {verb} n{note[1:]}."
    return f"{names} {verb} not shown: {plain_needs(note)}." if note else f"{names} {verb} not shown."


def plain_needs(note: str) -> str:
    """'needs an opportunities input (company.toml [inputs.opportunities])' as a board member
    reads it: 'the company sent no CRM pipeline'; any other note unchanged."""
    names = re.findall(r"\[inputs\.(\w+)\]", note)
    if not note.startswith("needs ") or not names:
        return note
    words = [INPUT_WORDS.get(n, (f"{n} data", False))[0].removeprefix("the ") for n in names]
    return "the company sent no " + (
        " or ".join(words) if len(words) < 3 else ", ".join(words[:-1]) + " or " + words[-1]
    )


def input_words(inputs: Iterable[str]) -> tuple[str, bool]:
    """'website traffic and the NPS survey', plural: the inputs as a sentence names them."""
    words = [INPUT_WORDS.get(n, (f"the {n} data", False)) for n in inputs]
    names = [w for w, _ in words]
    listed = " and ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + " and " + names[-1]
    return listed, len(words) > 1 or any(p for _, p in words)


def company_wide_note(segment: tuple[str, str], inputs: Iterable[str]) -> str:
    """A KPI that needs inputs with no column for the segment's key."""
    words, plural = input_words(inputs)
    return segment_blank_note(segment, f"{words} {'are' if plural else 'is'} company-wide (not split by {segment[0]})")


def unallocated_note(segment: tuple[str, str], what: str, allocation: str, plural: bool = False) -> str:
    """A KPI built on company-wide costs (``what``: "sales & marketing spend") left blank:
    the ``sm_allocation`` policy allocates none, or the segment's share of its basis is unknown."""
    verb, it = ("are", "them") if plural else ("is", "it")
    if allocation in ALLOCATION_WORDS:
        return segment_blank_note(
            segment,
            f"{what} {verb} company-wide and {segment[1]}'s share of {ALLOCATION_WORDS[allocation]}, which would "
            f"allocate {it}, is not known for the period",
        )
    return segment_blank_note(
        segment, f"{what} {verb} company-wide and the company's policies allocate none of {it} to {segment[0]}s"
    )


def short_label(kpi_id: str) -> str:
    """The KPI's name in a page title: 'NRR', 'CAC payback', else its label."""
    return SHORT_LABELS.get(kpi_id) or get(kpi_id).label


def unit(metric: str, default: str = "count") -> str:
    """The unit of a KPI id or a targets-file metric (``default`` for anything else)."""
    if metric in REGISTRY:
        return REGISTRY[metric].unit
    return TARGET_METRIC_UNITS.get(metric, default)


def column_unit(table: str, column: str) -> str | None:
    """The unit of a table column that has one of its own (:data:`TABLE_COLUMN_UNITS`, a
    KPI id, :data:`COLUMN_UNITS`); None for text and for a column in each row's unit
    (:data:`ROW_UNITS`)."""
    own = TABLE_COLUMN_UNITS.get(table, {})
    if column in own:
        return own[column]
    if column in REGISTRY:
        return REGISTRY[column].unit
    return COLUMN_UNITS.get(column)


def row_unit(named: object) -> str:
    """A row's unit from its :attr:`RowUnits.by` cell: a unit name as it is, else the unit
    of the KPI id or targets metric it names (a count when it names neither)."""
    text = str(named)
    return text if text in _UNITS else unit(text)


def ids_with_unit(unit_name: str) -> list[str]:
    """KPI ids of one unit, in registry order (e.g. every money KPI: ``"currency"``)."""
    return [k.id for k in _KPIS if k.unit == unit_name]


def definitions(stage: str | None = None, gtm: str | None = None) -> list[dict[str, str]]:
    """Rows for the definitions page: id, label, unit, direction, definition, benchmark."""
    return [
        {
            "kpi": k.id,
            "label": k.label,
            "unit": k.unit,
            "direction": k.direction,
            "definition": k.definition,
            "benchmark": benchmark_text(k.id, stage, gtm),
        }
        for k in _KPIS
    ]
