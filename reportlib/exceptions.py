"""Exceptions raised by reportlib.

Every error a user can cause derives from :class:`ReportlibError`, so the CLI prints it as
a plain message and exits non-zero instead of showing a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a warning) in a company's inputs.

    ``row`` is the row number as the user sees it in the file (a spreadsheet's row
    number: the header is row 1, the first data row is row 2). ``None`` when the
    problem is about a whole file or column.
    """

    message: str
    file: str | None = None
    row: int | None = None
    column: str | None = None
    severity: Severity = "error"
    input: str | None = None

    def __str__(self) -> str:
        where = [
            w
            for w in (
                self.file,
                f"row {self.row}" if self.row is not None else None,
                f"column '{self.column}'" if self.column else None,
            )
            if w
        ]
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class ReportlibError(Exception):
    """Root of every error reportlib raises for a user's mistake or environment."""


class InputError(ReportlibError):
    """The company folder's inputs (company.toml or data files) have problems.

    Holds every problem found, not just the first.
    """

    def __init__(self, problems: Iterable[Problem], company: str | None = None):
        self.problems = [p for p in problems if p.severity == "error"]
        self.warnings = [p for p in problems if p.severity == "warning"]
        self.company = company
        head = f"{len(self.problems)} problem(s) in the inputs"
        head += f" of {company}" if company else ""
        super().__init__(head + ":\n" + "\n".join(f"  - {p}" for p in self.problems))

    def __reduce__(self):
        return (type(self), (self.problems + self.warnings, self.company))


class ConfigError(InputError):
    """company.toml is missing, not valid TOML, or has unknown or invalid settings."""


class ParameterError(ReportlibError):
    """A run parameter (as-of month, window, segment, output path) is not usable."""


class SectionError(ReportlibError):
    """A section notebook failed while the pack was being made."""

    def __init__(self, section: str, cell: int | None, error: str):
        self.section, self.cell, self.error = section, cell, error
        where = f"section '{section}'" + (f", cell {cell}" if cell is not None else "")
        super().__init__(f"The {where} failed: {error}")

    def __reduce__(self):  # survive the trip back from a worker process intact
        return (type(self), (self.section, self.cell, self.error))


class ExportError(ReportlibError):
    """The PDF could not be produced (no Chromium, printing failed, assembly failed)."""
