"""Render: section notebooks executed by papermill (``run``), printed by Chromium
(``chromium``, ``export``) and assembled into one PDF (``assemble``)."""

from __future__ import annotations

from reportlib.render.export import BoardPDFExporter, assemble_pdf, export_pdfs, find_chromium
from reportlib.render.run import run_section, run_sections

__all__ = ["BoardPDFExporter", "assemble_pdf", "export_pdfs", "find_chromium", "run_section", "run_sections"]
