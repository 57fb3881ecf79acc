"""Demo: seeded synthetic companies and the ``make demo`` run, beside the product's core.

``generator``: the story; ``companies``: the files and company.toml written for them.
"""

from __future__ import annotations

from reportlib.demo.companies import generate_company, generate_demo_companies, generate_portfolio, run_demo

__all__ = ["generate_company", "generate_demo_companies", "generate_portfolio", "run_demo"]
