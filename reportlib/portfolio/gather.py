"""Gathering every company's ``kpis.csv`` into the portfolio's one table."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from reportlib._csvfiles import read_csv
from reportlib.exceptions import ParameterError
from reportlib.pack import DATA_LAST_MONTH, MANIFEST
from reportlib.params import period_label
from reportlib.portfolio.history import kpi_history

__all__ = [
    "HISTORY_COLUMNS",
    "KPI_COLUMNS",
    "pack_data_last_month",
    "fiscal_year_start",
    "gather_history",
    "gather_kpis",
    "text_column",
]

#: ``as_of`` is the pack's folder month, ``period`` the name of the period its figures are of
HISTORY_COLUMNS = ["company", "as_of", "kpi", "value", "period"]
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
    "as_of",  # the last month of the period the row is of (kpis.csv's)
    "period",  # that period's name: 'Q3 2026', 'FY2027 Q2' (a fiscal quarter)
]


def gather_kpis(folders: dict[str, Path], currencies: dict[str, str], window: str = "quarter") -> pd.DataFrame:
    """Stack each company's ``kpis.csv`` into the ``portfolio_kpis.csv`` frame.

    Each row keeps the ``as_of`` of its pack's figures and the name of their ``period``
    (a company on a fiscal year reports its last completed fiscal quarter, which may end
    before the portfolio's as-of).

    Parameters
    ----------
    folders
        Company slug -> pack folder.
    currencies
        Company slug -> reporting currency.
    window
        The packs' window (``month``, ``quarter``, ``year``): the length of each period.

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
        df = read_csv(path, keep_default_na=False, na_values=[""])
        df = df.drop(columns=["company"], errors="ignore")  # kpis.csv names its company too
        df.insert(0, "company", slug)
        df.insert(1, "currency", currencies.get(slug, ""))
        df["period"] = _period_name(df, folder, window)
        frames.append(df.reindex(columns=KPI_COLUMNS))
    if not frames:
        return pd.DataFrame(columns=KPI_COLUMNS)
    kpis = pd.concat(frames, ignore_index=True)
    for col in ("value", "prior_value", "change"):
        kpis[col] = pd.to_numeric(kpis[col], errors="coerce")
    for col in ("label", "tier", "unit", "benchmark", "status", "note", "as_of", "period"):
        kpis[col] = text_column(kpis[col])
    return kpis


def _manifest(folder: Path) -> dict:
    """The pack's ``manifest.json`` ({} for a pack without one, e.g. a kpis-only pack)."""
    path = folder / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, ValueError):
        return {}


def _period_name(kpis: pd.DataFrame, folder: Path, window: str) -> str:
    """The name of the period a pack's figures are of, from its as-of and the fiscal year
    start in its manifest ("" when kpis.csv does not say its as-of)."""
    as_of = kpis["as_of"].dropna().astype(str) if "as_of" in kpis else pd.Series(dtype=str)
    if as_of.empty:
        return ""
    return period_label(as_of.iloc[0][:7], window, fiscal_year_start(folder))


def fiscal_year_start(folder: Path) -> int:
    """The pack's policy ``fiscal_year_start_month`` from its manifest (1 when it has none)."""
    return int(_manifest(folder).get("policies", {}).get("fiscal_year_start_month") or 1)


def pack_data_last_month(folder: Path) -> str:
    """The last month of a pack's data (``YYYY-MM``).

    The one its manifest records (:func:`reportlib.inputs.company.data_last_month`: for
    contracts the latest signature; a contracts pack's MRR bridge runs on to the as-of as
    open-ended contracts serve on). A pack made before the manifest recorded it: the last
    month of its MRR or revenue bridge, else the folder's as-of.
    """
    recorded = _manifest(folder).get(DATA_LAST_MONTH)
    if recorded:
        return str(recorded)[:7]
    for name in _MONTHLY_TABLES:
        path = folder / "tables" / name
        if path.is_file():
            months = pd.read_csv(path, usecols=["month"], dtype=str)["month"].dropna()
            if len(months):
                return str(months.max())[:7]
    return folder.name[:7]


def gather_history(
    folders: dict[str, Path], north_stars: dict[str, list[str]], packs: int = 4, window: str = "quarter"
) -> pd.DataFrame:
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
    window
        The packs' window, for the name of each pack's period ('FY2027 Q2' for a pack made
        at 2026-09 by a company whose fiscal year starts in February).

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
        long["period"] = [_pack_period(folder.parent / m, window) for m in long["as_of"]]
        frames.append(long.sort_values(["as_of"], kind="stable"))
    if not frames:
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    out = pd.concat(frames, ignore_index=True)[HISTORY_COLUMNS]
    out["value"] = pd.to_numeric(out["value"], errors="coerce")
    out["period"] = text_column(out["period"])
    return out


def _pack_period(pack: Path, window: str) -> str:
    """The name of the period of the pack in folder ``pack`` (its kpis.csv's as-of)."""
    kpis = pd.read_csv(pack / "kpis.csv", usecols=lambda c: c == "as_of", dtype=str)
    return _period_name(kpis, pack, window) or period_label(pack.name[:7], window)


def text_column(col: pd.Series) -> pd.Series:
    """A text column with blanks as ``""`` (whatever dtype pandas read it as)."""
    return col.astype(object).where(col.notna(), "").astype(str)
