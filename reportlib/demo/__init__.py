"""Demo: seeded synthetic companies (``generator``: the story; ``companies``: the files and
company.toml written for them) and the ``make demo`` run. Not part of the product's core."""

from __future__ import annotations

from reportlib.demo.companies import generate_company, generate_demo_companies, generate_portfolio, run_demo

__all__ = ["generate_company", "generate_demo_companies", "generate_portfolio", "run_demo"]
