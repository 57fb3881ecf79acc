"""The pack's KPI result on disk: written once by the pack, read by every section notebook.

The pack computes the :class:`~reportlib.kpis.KpiResult` once and pickles it, with the
papermill parameters it was made for, into the notebooks' ``output_dir``
(:func:`write_cache`); :func:`reportlib.deck.report.load_report` reads it back when the
parameters match (:func:`cached_result`). Nothing here draws: the pack's own process
writes the cache without loading matplotlib.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reportlib.kpis import KpiResult
from reportlib.metrics import parse_window
from reportlib.params import parse_compare, parse_segment
from reportlib.resources import notebooks_dir

__all__ = [
    "CACHE_DIR",
    "CACHE_FILE",
    "CACHE_VERSION",
    "CompareParam",
    "Param",
    "SegmentParam",
    "cache_key",
    "cache_path",
    "cached_result",
    "resolve_company_dir",
    "write_cache",
]

#: A papermill parameter: "" means "the default".
Param = str | None
#: The segment parameter: "key=value" (papermill), its parsed (key, value), or none.
SegmentParam = str | tuple[str, str] | None
#: The comparison parameter: "key=a,b" (papermill), its parsed (key, (a, b)), or none.
CompareParam = str | tuple[str, tuple[str, str]] | None
CACHE_DIR = "_cache"
CACHE_FILE = "kpi_result.pkl"
CACHE_VERSION = 1
_NOTEBOOKS_DIR = notebooks_dir()


def resolve_company_dir(company_dir: str | Path) -> Path:
    """An absolute company folder. A relative path is tried against the working directory,
    then against the repository's ``notebooks/`` folder (the notebooks' defaults are written
    relative to it, e.g. ``../data/meridian``)."""
    p = Path(company_dir).expanduser()
    if p.is_absolute():
        return p
    for base in (Path.cwd(), _NOTEBOOKS_DIR):
        cand = (base / p).resolve()
        if cand.exists():
            return cand
    return (Path.cwd() / p).resolve()


def cache_key(
    company_dir: str | Path,
    as_of: Param = None,
    window: str = "quarter",
    segment: SegmentParam = "",
    compare: CompareParam = "",
) -> dict[str, Any]:
    """The parameters a cached result must match (normalised)."""
    return {
        "company_dir": str(resolve_company_dir(company_dir)),
        "as_of": None if as_of in (None, "") else str(as_of),
        "window": str(window or "quarter"),
        "segment": parse_segment(segment),
        "compare": parse_compare(compare),
    }


def cache_path(output_dir: str | Path) -> Path:
    return Path(output_dir) / CACHE_DIR / CACHE_FILE


def write_cache(
    result: KpiResult,
    output_dir: str | Path,
    company_dir: str | Path,
    as_of: Param = None,
    window: str = "quarter",
    segment: SegmentParam = "",
    compare: CompareParam = "",
) -> Path:
    """Pickle ``result`` with its parameters to ``output_dir/_cache/kpi_result.pkl`` (for the
    pack runner: the section notebooks then read it instead of recomputing)."""
    path = cache_path(output_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "version": CACHE_VERSION,
        "params": cache_key(company_dir, as_of, window, segment, compare),
        "result": result,
    }
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        pickle.dump(payload, fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)
    return path


def cached_result(output_dir: str | Path | None, key: dict[str, Any]) -> KpiResult | None:
    """The result pickled in ``output_dir`` by :func:`write_cache` when it matches ``key``
    (:func:`cache_key`); None when there is none, it cannot be read, or it is another's."""
    if not output_dir:
        return None
    path = cache_path(output_dir)
    if not path.is_file():
        return None
    try:
        with open(path, "rb") as fh:
            payload = pickle.load(fh)
    except Exception:  # noqa: BLE001  - a stale or foreign cache is recomputed, never trusted
        return None
    if isinstance(payload, KpiResult):  # a bare result: check what it says about itself
        return payload if _result_matches(payload, key) else None
    if not (isinstance(payload, Mapping) and isinstance(payload.get("result"), KpiResult)):
        return None
    params = dict(payload.get("params") or {})
    result = payload["result"]
    cached = {k: params.get(k) for k in key}
    want = dict(key)
    # the runner may cache with the resolved as-of while notebooks pass "" (default)
    if want["as_of"] is None or cached["as_of"] is None:
        want["as_of"] = cached["as_of"] = None
    elif str(want["as_of"])[:7] == str(result.window.as_of)[:7]:
        cached["as_of"] = want["as_of"]
    if all(_same_tuple(cached[k], want[k]) for k in want):
        return result
    return None


def _result_matches(result: KpiResult, key: Mapping[str, Any]) -> bool:
    """A bare cached result matches when its company folder, as-of month, window length,
    segment and comparison are the ones asked for."""
    return (
        str(Path(result.company.path).resolve()) == key["company_dir"]
        and (not key["as_of"] or str(key["as_of"])[:7] == str(result.window.as_of)[:7])
        and result.window.months == parse_window(key["window"])
        and _same_tuple(result.segment, key["segment"])
        and _same_tuple(result.compare, key["compare"])
    )


def _flat(x: object) -> object:
    return tuple(_flat(i) for i in x) if isinstance(x, (list, tuple)) else x


def _same_tuple(a: object, b: object) -> bool:
    return _flat(a) == _flat(b)
