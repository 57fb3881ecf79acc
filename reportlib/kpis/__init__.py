"""KPIs: one company (or segment) and one window -> kpis.csv, the tables behind every chart
and the narrative sentences (``builder``, ``narrative``)."""

from __future__ import annotations

from reportlib.kpis.builder import KPI_COLUMNS, KpiResult, compute_kpis, kpi_ids, write_kpis

__all__ = ["KPI_COLUMNS", "KpiResult", "compute_kpis", "kpi_ids", "write_kpis"]
