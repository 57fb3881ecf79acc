"""Render: section notebooks executed, printed by Chromium and assembled into one PDF.

Papermill runs them (``run``), Chromium prints (``chromium``, ``export``), ``assemble`` joins.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["BoardPDFExporter", "assemble_pdf", "export_pdfs", "find_chromium", "run_section", "run_sections"]

# Imported on first use, as the top package does: importing ``reportlib.render.run`` (the pack's
# process, or a pool worker warming a kernel, :mod:`reportlib.render.ahead`) then costs neither
# nbconvert nor pandas; papermill loads only where a section runs (``render/_papermill.py``).
_LAZY = {
    "BoardPDFExporter": "reportlib.render.export",
    "assemble_pdf": "reportlib.render.export",
    "export_pdfs": "reportlib.render.export",
    "find_chromium": "reportlib.render.export",
    "run_section": "reportlib.render.run",
    "run_sections": "reportlib.render.run",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'reportlib.render' has no attribute {name!r}")
