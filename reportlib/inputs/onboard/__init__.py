"""Onboarding a company: what a file is, a starter company.toml, the canonical workbook.

:func:`inspect_file` (``reportlib inspect FILE``) recognises one file and suggests its
block; :func:`init_folder` (``reportlib init DIR``) writes a commented company.toml for
a folder; :func:`write_template` (``reportlib template OUT.xlsx``) writes the workbook
for companies without tool exports, read back by :func:`template_toml`.
"""

from __future__ import annotations

from reportlib.inputs.onboard._init import Started, init_folder
from reportlib.inputs.onboard._inspect import FileReport, inspect_file
from reportlib.inputs.onboard._template import template_toml, write_template

__all__ = ["FileReport", "Started", "init_folder", "inspect_file", "template_toml", "write_template"]
