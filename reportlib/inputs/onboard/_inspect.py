"""``reportlib inspect FILE``: what a file holds and the company.toml block that reads it.

For each column: its type as the values show it (number, date with the formats found,
epoch seconds, text), blanks and a few samples; the header row; the known source it
was recognised as; and a suggested ``[inputs.X]`` block (see :mod:`._blocks`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from reportlib.inputs._readers import ROW, file_kind
from reportlib.inputs._values import date_order_shown, parse_numbers, present, text
from reportlib.inputs.onboard._blocks import input_block
from reportlib.inputs.onboard._recognise import Recognised, recognise
from reportlib.inputs.sources import SOURCES

#: Date and time layouts looked for, as strptime formats (the first that reads every sample wins).
DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M:%S.%fZ",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y%m%d",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M",
    "%d.%m.%Y",
    "%Y-%m",
    "%b %Y",
    "%B %Y",
    "%d %b %Y",
)
_SAMPLE = 200
AMBIGUOUS = "(order ambiguous)"


@dataclass(frozen=True)
class ColumnProfile:
    """One column: its name, the type its values show, blanks, samples and date formats."""

    name: str
    type: str
    blanks: int
    samples: tuple[str, ...]
    formats: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileReport:
    """What ``reportlib inspect`` says about one file."""

    recognised: Recognised
    header_row: int | None
    rows: int
    columns: tuple[ColumnProfile, ...]
    block: str

    def render(self) -> str:
        """Plain text for the terminal."""
        r = self.recognised
        lines = [f"{r.path.name}"]
        if r.error:
            return "\n".join(lines + [f"  cannot be read: {r.error}"])
        if r.source:
            lines.append(f"  known export: {r.source} ({SOURCES[r.source].documentation}) -> [inputs.{r.input}]")
        elif r.input == "financials":
            lines.append("  a P&L report with accounts as rows and months as columns -> [inputs.financials]")
        elif r.fx:
            lines.append("  exchange rates (currency, month, rate) -> [fx]")
        elif r.input:
            lines.append(f"  columns named like the canonical [inputs.{r.input}]")
        else:
            lines.append("  not recognised: map its columns by hand (docs/inputs.md)")
        if self.header_row is not None:
            lines.append(f"  header on row {self.header_row}; {self.rows:,} data rows")
        if self.columns:
            lines.append("  columns:")
            width = max(len(c.name) for c in self.columns)
            for c in self.columns:
                kind = c.type + (f" ({', '.join(c.formats)})" if c.formats else "")
                blank = f", {c.blanks} blank" if c.blanks else ""
                lines.append(f"    {c.name:<{width}}  {kind}{blank}  e.g. {' | '.join(c.samples)}")
        found = sorted({f for c in self.columns for f in c.formats})
        if found:
            lines.append(f"  date formats found: {', '.join(found)}")
        if unsure := [c.name for c in self.columns if any(AMBIGUOUS in f for f in c.formats)]:
            lines.append(
                f"  day or month first: no date of {', '.join(unsure)} has a first or second part above 12, so the file "
                "does not say; they are read month first unless company.toml says dayfirst = true or date_format"
            )
        lines += ["", "Suggested company.toml block:", "", self.block]
        return "\n".join(lines)


def inspect_file(path: str | Path) -> FileReport:
    """Recognise ``path``, profile its columns and suggest its company.toml block.

    Parameters
    ----------
    path
        A data file (CSV, XLSX, JSON, JSON lines, Parquet; plain, ``.gz`` or ``.zip``).

    Returns
    -------
    FileReport
        ``render()`` gives the text ``reportlib inspect`` prints.
    """
    rec = recognise(Path(path))
    frame = rec.frame
    if frame is None:
        return FileReport(rec, None, 0, (), "")
    spreadsheet = file_kind(rec.path) in ("csv", "excel") and rec.path.suffix.lower() != ".zip"
    header = int(frame[ROW].min()) - 1 if spreadsheet and len(frame) else None
    profiles = tuple(profile(frame[c], str(c)) for c in rec.data_columns) if rec.accounts is None else ()
    return FileReport(rec, header, len(frame), profiles, input_block(rec, rec.path.name))


def profile(column: pd.Series, name: str) -> ColumnProfile:
    """The type a column's values show (on its first rows), with samples."""
    values = text(column)
    filled = values[present(values)]
    samples = tuple(dict.fromkeys(str(v)[:30] for v in filled.head(_SAMPLE)))[:3]
    head = filled.head(_SAMPLE)
    if head.empty:
        return ColumnProfile(name, "empty", int(len(values)), ())
    formats = date_formats(head)
    if formats:
        return ColumnProfile(name, "date", int(len(values) - len(filled)), samples, _in_order(formats, values))
    numbers, bad = parse_numbers(head)
    if not bad.any():
        if numbers.between(1e9, 2.2e9).all() and (numbers % 1 == 0).all():
            return ColumnProfile(name, "epoch seconds", int(len(values) - len(filled)), samples)
        return ColumnProfile(name, "number", int(len(values) - len(filled)), samples)
    return ColumnProfile(name, "text", int(len(values) - len(filled)), samples)


def _in_order(formats: tuple[str, ...], values: pd.Series) -> tuple[str, ...]:
    """The d/m/y formats as the whole column shows its order (the first rows may not), or
    both orders named ambiguous when no date shows it (01/02/2020, every day the 1st)."""
    shown = date_order_shown(values)
    order = shown[0] if shown is not None else None
    if order == "day first":
        return tuple(dict.fromkeys(f.replace("%m/%d", "%d/%m").replace("%m.%d", "%d.%m") for f in formats))
    if order == "month first":
        return tuple(dict.fromkeys(f.replace("%d/%m", "%m/%d").replace("%d.%m", "%m.%d") for f in formats))
    if order == "unknown":
        return tuple(f"{f} or {_swapped(f)} {AMBIGUOUS}" if _swapped(f) != f else f for f in formats)
    return formats


def _swapped(fmt: str) -> str:
    """``fmt`` with day and month the other way round (%d/%m/%Y <-> %m/%d/%Y)."""
    return re.sub(r"%([dm])([/.-])%([dm])", r"%\3\2%\1", fmt)


def date_formats(values: pd.Series) -> tuple[str, ...]:
    """The formats (strptime) that together read every value, or () when some is no date."""
    found: list[str] = []
    for value in dict.fromkeys(str(v).strip() for v in values):
        fmt = next((f for f in found if _reads(f, value)), None) or next(
            (f for f in DATE_FORMATS if _reads(f, value)), None
        )
        if fmt is None:
            return ()
        if fmt not in found:
            found.append(fmt)
    return tuple(found)


def _reads(fmt: str, value: str) -> bool:
    if fmt == "%Y%m%d" and not re.fullmatch(r"(19|20)\d{6}", value):
        return False
    try:
        datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True
