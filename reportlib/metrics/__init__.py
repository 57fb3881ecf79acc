"""Metric definitions of METRICS.md as pure functions: DataFrames in, DataFrames or numbers
out; no I/O, no plotting."""
from __future__ import annotations

from ._values import Blank, Value, is_blank, safe_ratio
from .periods import WINDOWS, Window, parse_as_of, parse_window

__all__ = ["Blank", "Value", "WINDOWS", "Window", "is_blank", "parse_as_of", "parse_window", "safe_ratio"]

# --- revenue engine (movements, cohorts, contracts, grid) ---

# --- unit economics, cohort economics, journey, pipeline, engagement ---
