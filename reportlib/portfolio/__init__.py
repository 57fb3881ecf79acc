"""Portfolio: every company of a fund in parallel, one failure never stopping the others,
then the portfolio summary."""
from __future__ import annotations

from reportlib.portfolio.runner import (CompanyRun, FxTable, PortfolioResult, PortfolioSummary,
                                        find_companies, load_fx, load_summary, run_portfolio, summarize)

__all__ = ["CompanyRun", "FxTable", "PortfolioResult", "PortfolioSummary", "find_companies", "load_fx",
           "load_summary", "run_portfolio", "summarize"]
