"""History: every KPI across the packs issued for one company (``reportlib history``).

Each pack folder ``<out>/<company>/<YYYY-MM>[_<key>-<value>]`` holds the ``kpis.csv`` the
board was given; the history is those values side by side, one row per as-of, exactly as
issued (restatements since are in each later pack's ``restatements.csv``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from reportlib._csvfiles import read_csv, write_csv
from reportlib.exceptions import ParameterError

__all__ = ["HISTORY_FILE", "history_text", "kpi_history", "write_history"]

HISTORY_FILE = "history.csv"
_MONTH = re.compile(r"^\d{4}-\d{2}")


def kpi_history(company_reports: str | os.PathLike, segment: tuple[str, str] | None = None) -> pd.DataFrame:
    """Every KPI of every pack issued for one company (or one of its segments).

    Parameters
    ----------
    company_reports : path
        ``reports/<company>``: the folder holding one sub-folder per pack.
    segment : (key, value), optional
        The segment packs' history instead of the whole company's.

    Returns
    -------
    DataFrame
        ``as_of`` then one column per KPI id (kpis.csv order of the latest pack), one row per
        pack, oldest first; blank where a pack had no value.

    Raises
    ------
    ParameterError
        When the folder holds no pack.
    """
    root = Path(company_reports)
    suffix = f"_{segment[0]}-{segment[1]}" if segment else ""
    packs = (
        sorted(
            p
            for p in root.iterdir()
            if p.is_dir() and _MONTH.match(p.name) and p.name[7:] == suffix and (p / "kpis.csv").is_file()
        )
        if root.is_dir()
        else []
    )
    if not packs:
        raise ParameterError(
            f"No pack (a YYYY-MM{suffix} folder with kpis.csv) in {root}; make one with `reportlib pack` first."
        )
    rows = {p.name[:7]: read_csv(p / "kpis.csv").set_index("kpi")["value"] for p in packs}
    order = list(rows[max(rows)].index)
    table = pd.DataFrame(rows).T.reindex(columns=order)
    return table.rename_axis("as_of").reset_index()


def write_history(company_reports: str | os.PathLike, segment: tuple[str, str] | None = None) -> Path:
    """Write :func:`kpi_history` as ``history.csv`` (``history_<key>-<value>.csv`` for a
    segment) in the company's reports folder and return its path."""
    path = Path(company_reports) / (f"history_{segment[0]}-{segment[1]}.csv" if segment else HISTORY_FILE)
    write_csv(kpi_history(company_reports, segment), path)
    path.chmod(0o644)
    return path


def history_text(table: pd.DataFrame) -> str:
    """The history for a terminal: one line per KPI, one column per as-of, blanks empty."""
    shown = table.set_index("as_of").T.rename_axis("kpi")
    return shown.to_string(na_rep="", float_format=lambda v: f"{v:,.4g}" if abs(v) < 10 else f"{v:,.0f}")
