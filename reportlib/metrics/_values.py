"""Metric values: a number, or a blank that says why (:mod:`reportlib.values`), and the
ratio that turns a missing or zero denominator into that blank."""

from __future__ import annotations

from reportlib.values import Blank, Value, is_blank

__all__ = ["Blank", "Value", "is_blank", "safe_ratio"]


def safe_ratio(numerator: float, denominator: float, note: str) -> Value:
    """``numerator / denominator``, or ``Blank(note)`` when either is missing or the
    denominator is zero."""
    if is_blank(numerator) or is_blank(denominator) or float(denominator) == 0.0:
        return Blank(note)
    return float(numerator) / float(denominator)
