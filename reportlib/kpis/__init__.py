"""KPIs: one company (or segment) and one window -> kpis.csv, the tables and the narrative.

The tables are those behind every chart; ``builder`` assembles, ``narrative`` writes the sentences.
"""

from __future__ import annotations

from reportlib.kpis.builder import KPI_COLUMNS, NO_CHANGE, KpiResult, compute_kpis, kpi_ids, write_kpis

__all__ = ["KPI_COLUMNS", "NO_CHANGE", "KpiResult", "compute_kpis", "kpi_ids", "write_kpis"]
