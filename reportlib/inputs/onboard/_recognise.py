"""What a file is: a known tool's export, a P&L report, a canonical input, or the fx table.

Each known source is tried with its own reader hints (a Typeform CSV has a column named
``#``, so GA4's ``comment = "#"`` must not be applied to it); the source whose required
columns are all present wins, the most specific (most required columns) first. A P&L
report is recognised by its row of months; a file in the canonical layout by its column
names. Every file is read once per distinct set of reader hints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from reportlib.exceptions import InputError
from reportlib.inputs._accounts import read_accounts
from reportlib.inputs._fx import FX_COLUMNS
from reportlib.inputs._readers import FILE, ROW, ReadError, ReadOptions, read_table
from reportlib.inputs._schemas import SCHEMAS
from reportlib.inputs._transform import source_read_options
from reportlib.inputs.sources import SOURCES, Source

#: Words a QuickBooks or Xero P&L prints that the other does not.
_PNL_MARKS = {
    "quickbooks_pnl": re.compile(r"^(distribution account|(accrual|cash) basis\b.*|total for .+)$", re.I),
    "xero_pnl": re.compile(r"^(trading income|total trading income|operating expenses|account)$", re.I),
}


@dataclass(eq=False)  # compared and hashed by identity: one per file
class Recognised:
    """One file and what it was taken for.

    ``input`` is the canonical input it feeds (None when not recognised); ``source`` a
    known source's name; ``layout`` ``"accounts"`` for a P&L report read without source;
    ``columns`` canonical -> the file's column for a canonical-layout file; ``missing``
    the required canonical columns no column was matched to; ``fx`` the ``[fx]`` table.
    """

    path: Path
    frame: pd.DataFrame | None = None
    input: str | None = None
    source: str | None = None
    layout: str = "long"
    columns: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    fx: bool = False
    error: str | None = None
    accounts: pd.DataFrame | None = None

    @property
    def data_columns(self) -> list[str]:
        return [] if self.frame is None else [c for c in self.frame.columns if c not in (ROW, FILE)]


def recognise(path: Path) -> Recognised:
    """Read ``path`` and decide which input (and which known source) it is."""
    reads: dict[ReadOptions, pd.DataFrame | ReadError] = {}

    def read(options: ReadOptions) -> pd.DataFrame | None:
        if options not in reads:
            try:
                reads[options] = read_table(path, path.name, options=options)
            except ReadError as exc:
                reads[options] = exc
        got = reads[options]
        return None if isinstance(got, ReadError) else got

    # Formulas without saved values read as their text: recognising a file needs no totals.
    base = ReadOptions(formula_text=True)
    out = Recognised(path)
    plain = read(base)
    out.frame = plain
    if plain is None:
        out.error = reads[base].problem.message  # type: ignore[union-attr]
        return out
    if (source := _known_source(read, base)) is not None:
        out.source, out.input = source.name, source.feeds
        out.frame = read(source_read_options(base, source))
        return out
    if _is_fx(out.data_columns):
        out.fx = True
        return out
    if (pnl := _pnl(plain)) is not None:
        out.input, out.accounts = "financials", pnl[1]
        out.source, out.layout = (pnl[0], "long") if pnl[0] else (None, "accounts")
        return out
    _canonical(out)
    return out


def _known_source(read, base: ReadOptions) -> Source | None:
    hits = []
    for source in SOURCES.values():
        if not source.required:
            continue
        frame = read(source_read_options(base, source))
        if frame is not None and not source.missing_columns(c for c in frame.columns if c not in (ROW, FILE)):
            hits.append(source)
    return max(hits, key=lambda s: len(s.required), default=None)


def _is_fx(columns: list[str]) -> bool:
    return {c.strip().lower() for c in columns} >= set(FX_COLUMNS)


def _pnl(frame: pd.DataFrame | None) -> tuple[str | None, pd.DataFrame] | None:
    """(the P&L source whose marks the report prints, or None; its account lines), or None."""
    if frame is None:
        return None
    try:
        accounts = read_accounts(frame)
    except InputError:
        return None
    if accounts.empty:
        return None
    cells = {
        str(v).strip()
        for v in frame.drop(columns=[ROW, FILE], errors="ignore").to_numpy().ravel()
        if isinstance(v, str)
    } | {str(c).strip() for c in frame.columns}
    scores = {name: sum(bool(mark.match(c)) for c in cells) for name, mark in _PNL_MARKS.items()}
    best = max(scores, key=scores.get)
    return (best if scores[best] else None), accounts


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _canonical(out: Recognised) -> None:
    """The canonical input whose column names the file carries best (all required, then most)."""
    own = {_key(c): c for c in out.data_columns}
    best: tuple[tuple[int, int], str, dict[str, str], list[str]] | None = None
    for name, schema in SCHEMAS.items():
        columns = {canon: own[_key(canon)] for canon in schema if _key(canon) in own}
        required = [c for c, col in schema.items() if col.required and not (name == "traffic" and c == "month")]
        missing = [c for c in required if c not in columns]
        if name == "traffic" and "month" not in columns and "date" not in columns:
            missing.append("month")
        found = sum(c in columns for c in required)
        if found == 0:
            continue
        score = (found - len(missing), len(columns))
        if best is None or score > best[0]:
            best = (score, name, columns, missing)
    if best is not None and best[0][0] > 0:
        _, out.input, out.columns, out.missing = best
