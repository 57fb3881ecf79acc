"""Portfolio: every company of a fund in parallel, then the portfolio summary.

One company's failure never stops the others.
"""

from __future__ import annotations

from reportlib.portfolio.companies import find_companies
from reportlib.portfolio.fx import FxTable, load_fx
from reportlib.portfolio.gather import gather_kpis
from reportlib.portfolio.runner import CompanyRun, PortfolioResult, run_portfolio
from reportlib.portfolio.summary import PortfolioSummary, load_summary, summarize

__all__ = [
    "CompanyRun",
    "FxTable",
    "PortfolioResult",
    "PortfolioSummary",
    "find_companies",
    "gather_kpis",
    "load_fx",
    "load_summary",
    "run_portfolio",
    "summarize",
]
