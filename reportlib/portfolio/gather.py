"""Gathering every company's ``kpis.csv`` into the portfolio's one table."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["KPI_COLUMNS", "gather_kpis", "text_column"]

KPI_COLUMNS = ["company", "currency", "kpi", "label", "tier", "value", "unit", "prior_value",
               "change", "benchmark", "status", "note"]


def gather_kpis(folders: dict[str, Path], currencies: dict[str, str]) -> pd.DataFrame:
    """Stack each company's ``kpis.csv`` into the ``portfolio_kpis.csv`` frame.

    Parameters
    ----------
    folders
        Company slug -> pack folder.
    currencies
        Company slug -> reporting currency.

    Returns
    -------
    pandas.DataFrame
        :data:`KPI_COLUMNS`, companies in the given order.
    """
    frames = []
    for slug, folder in folders.items():
        path = folder / "kpis.csv"
        if not path.is_file():
            continue
        df = pd.read_csv(path, keep_default_na=False, na_values=[""])
        df.insert(0, "company", slug)
        df.insert(1, "currency", currencies.get(slug, ""))
        frames.append(df.reindex(columns=KPI_COLUMNS))
    if not frames:
        return pd.DataFrame(columns=KPI_COLUMNS)
    kpis = pd.concat(frames, ignore_index=True)
    for col in ("value", "prior_value", "change"):
        kpis[col] = pd.to_numeric(kpis[col], errors="coerce")
    for col in ("label", "tier", "unit", "benchmark", "status", "note"):
        kpis[col] = text_column(kpis[col])
    return kpis


def text_column(col: pd.Series) -> pd.Series:
    """A text column with blanks as ``""`` (whatever dtype pandas read it as)."""
    return col.astype(object).where(col.notna(), "").astype(str)
