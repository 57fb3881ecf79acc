"""reportlib: SaaS board packs from a portfolio company's exports.

The public API is small; everything else lives in private modules.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from reportlib.exceptions import (
    ConfigError,
    ExportError,
    InputError,
    ParameterError,
    Problem,
    ReportlibError,
    SectionError,
)

__version__ = "0.1.0"

# Heavy modules are imported on first use so that `import reportlib` stays fast.
_LAZY = {
    "load_company": "reportlib.inputs",
    "validate_company": "reportlib.inputs",
    "compute_kpis": "reportlib.kpis",
    "build_pack": "reportlib.pack",
    "run_portfolio": "reportlib.portfolio",
}

__all__ = [
    "ConfigError",
    "ExportError",
    "InputError",
    "ParameterError",
    "Problem",
    "ReportlibError",
    "SectionError",
    "__version__",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'reportlib' has no attribute {name!r}")
