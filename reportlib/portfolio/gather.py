"""Gathering every company's ``kpis.csv`` into the portfolio's one table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from reportlib.exceptions import ParameterError
from reportlib.portfolio.history import kpi_history

__all__ = ["HISTORY_COLUMNS", "KPI_COLUMNS", "data_last_month", "gather_history", "gather_kpis", "text_column"]

HISTORY_COLUMNS = ["company", "as_of", "kpi", "value"]
#: the pack tables whose last month is the last month of the company's data
_MONTHLY_TABLES = ("mrr_bridge.csv", "revenue_bridge.csv")

KPI_COLUMNS = [
    "company",
    "currency",
    "kpi",
    "label",
    "tier",
    "value",
    "unit",
    "prior_value",
    "change",
    "benchmark",
    "status",
    "note",
]


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
        df = df.drop(columns=["company"], errors="ignore")  # kpis.csv names its company too
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


def data_last_month(folder: Path) -> str:
    """The last month of a pack's data (``YYYY-MM``): the last month of its MRR or revenue
    bridge, which stops where the company's data stops even when the pack's as-of is later;
    the folder's as-of when the pack has neither table."""
    for name in _MONTHLY_TABLES:
        path = folder / "tables" / name
        if path.is_file():
            months = pd.read_csv(path, usecols=["month"], dtype=str)["month"].dropna()
            if len(months):
                return str(months.max())[:7]
    return folder.name[:7]


def gather_history(folders: dict[str, Path], north_stars: dict[str, list[str]], packs: int = 4) -> pd.DataFrame:
    """Each company's north stars over its last ``packs`` company packs (issue 15 item 4).

    Parameters
    ----------
    folders
        Company slug -> pack folder (``<out>/<company>/<as_of>``); its parent holds every
        pack issued for the company (:func:`reportlib.portfolio.history.kpi_history`).
    north_stars
        Company slug -> its north-star KPI ids.
    packs
        How many of the latest packs are kept.

    Returns
    -------
    pandas.DataFrame
        :data:`HISTORY_COLUMNS`, one row per company, as-of and north star, oldest as-of first.
    """
    frames = []
    for slug, folder in folders.items():
        try:
            table = kpi_history(folder.parent)
        except ParameterError:  # no pack folder yet (a kpis-only run): nothing to show
            continue
        table = table[table["as_of"] <= folder.name[:7]].tail(packs)  # none issued after this one
        stars = [k for k in north_stars.get(slug, []) if k in table.columns]
        long = table.melt(id_vars="as_of", value_vars=stars, var_name="kpi", value_name="value")
        long.insert(0, "company", slug)
        frames.append(long.sort_values(["as_of"], kind="stable"))
    if not frames:
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    out = pd.concat(frames, ignore_index=True)[HISTORY_COLUMNS]
    out["value"] = pd.to_numeric(out["value"], errors="coerce")
    return out


def text_column(col: pd.Series) -> pd.Series:
    """A text column with blanks as ``""`` (whatever dtype pandas read it as)."""
    return col.astype(object).where(col.notna(), "").astype(str)
