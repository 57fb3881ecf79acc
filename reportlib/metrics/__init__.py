"""Metrics: the definitions of METRICS.md as pure functions, no I/O and no plotting.

DataFrames in, DataFrames or numbers out.
"""

from __future__ import annotations

from reportlib.metrics._values import Blank, Value, is_blank, safe_ratio
from reportlib.metrics.periods import WINDOWS, Window, parse_as_of, parse_window

__all__ = ["Blank", "Value", "WINDOWS", "Window", "is_blank", "parse_as_of", "parse_window", "safe_ratio"]

# --- revenue engine (movements, cohorts, contracts, grid) ---
from reportlib.metrics.cohorts import cohorts
from reportlib.metrics.contracts import (
    CONTRACT_KPIS,
    REVENUE_BRIDGE_COLUMNS,
    TIER_COLUMNS,
    bookings,
    contract_arr,
    contract_kpis,
    invoices,
    recognized_revenue,
    revenue_bridge,
    revenue_tiers,
    service_months,
)
from reportlib.metrics.grid import MrrGrid, contracts_to_mrr, to_grid, transactions_to_mrr
from reportlib.metrics.movements import (
    BRIDGE_COLUMNS,
    MOVEMENTS,
    REVENUE_KPIS,
    arpa_drivers,
    movements,
    mrr_bridge,
    mrr_drivers,
    revenue_kpis,
)

__all__ += [
    "cohorts",
    "CONTRACT_KPIS",
    "REVENUE_BRIDGE_COLUMNS",
    "TIER_COLUMNS",
    "bookings",
    "contract_arr",
    "contract_kpis",
    "invoices",
    "recognized_revenue",
    "revenue_bridge",
    "revenue_tiers",
    "service_months",
    "MrrGrid",
    "contracts_to_mrr",
    "to_grid",
    "transactions_to_mrr",
    "BRIDGE_COLUMNS",
    "MOVEMENTS",
    "REVENUE_KPIS",
    "arpa_drivers",
    "movements",
    "mrr_bridge",
    "mrr_drivers",
    "revenue_kpis",
]

# --- unit economics, cohort economics, journey, pipeline, engagement ---
from reportlib.metrics._noted import Noted, note_of, same_basis, value_of
from reportlib.metrics.cohort_economics import (
    cohort_gross_profit,
    cohort_payback,
    monthly_cac,
    monthly_gross_margin,
)
from reportlib.metrics.engagement import dau_mau, feature_adoption, nps_kpis, nps_kpis_each, usage_kpis, usage_series
from reportlib.metrics.journey import conversion_by, funnel, funnel_cohorts, journey_alerts, journey_kpis
from reportlib.metrics.pipeline import (
    movement_actuals,
    opportunity_cohorts,
    pace_row,
    pipeline_by,
    pipeline_by_each,
    pipeline_kpis,
    pipeline_pacing,
)
from reportlib.metrics.unit_economics import (
    acquired_bridge,
    acquired_values,
    acquisitions_on_rows,
    allocation_shares,
    segment_share,
    segment_unit_economics_series,
    unit_economics_kpis,
    unit_economics_series,
)

__all__ += [
    "Noted",
    "note_of",
    "same_basis",
    "value_of",
    "cohort_gross_profit",
    "cohort_payback",
    "monthly_cac",
    "monthly_gross_margin",
    "dau_mau",
    "feature_adoption",
    "nps_kpis",
    "nps_kpis_each",
    "usage_kpis",
    "usage_series",
    "conversion_by",
    "funnel",
    "funnel_cohorts",
    "journey_alerts",
    "journey_kpis",
    "movement_actuals",
    "opportunity_cohorts",
    "pace_row",
    "pipeline_by",
    "pipeline_by_each",
    "pipeline_kpis",
    "pipeline_pacing",
    "acquired_bridge",
    "acquired_values",
    "acquisitions_on_rows",
    "allocation_shares",
    "segment_share",
    "segment_unit_economics_series",
    "unit_economics_kpis",
    "unit_economics_series",
]
