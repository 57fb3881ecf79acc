"""Render: section notebooks executed, printed by Chromium and assembled into one PDF.

Papermill runs them (``run``), Chromium prints (``chromium``, ``export``), ``assemble`` joins.
"""

from __future__ import annotations

from reportlib.render.export import BoardPDFExporter, assemble_pdf, export_pdfs, find_chromium
from reportlib.render.run import run_section, run_sections

__all__ = ["BoardPDFExporter", "assemble_pdf", "export_pdfs", "find_chromium", "run_section", "run_sections"]
