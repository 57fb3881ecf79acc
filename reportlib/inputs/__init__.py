"""Inputs: a company folder's files read, mapped and validated into canonical frames.

One module per concern: ``config`` (company.toml), ``_readers`` (CSV/XLSX/Parquet),
``_schemas`` (each canonical input's columns and rules), ``_mapping`` (a file's own
columns onto the canonical ones), ``company`` (the validated :class:`Company`).
"""

from __future__ import annotations

from reportlib.inputs.company import (
    Company,
    UncheckedCompany,
    ValidationReport,
    company_slug,
    load_company,
    open_company,
    resolve_as_of,
    validate_company,
)
from reportlib.inputs.config import CompanyConfig, InputSpec, Policies, load_config

__all__ = [
    "Company",
    "CompanyConfig",
    "InputSpec",
    "Policies",
    "UncheckedCompany",
    "ValidationReport",
    "company_slug",
    "load_company",
    "load_config",
    "open_company",
    "resolve_as_of",
    "validate_company",
]
