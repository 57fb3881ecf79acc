"""The KPI result of a pack: the papermill parameters, the pack's cache and :func:`load_report`.

Behind :mod:`reportlib.deck.report`, which the notebooks import.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from reportlib.deck import _style as S
from reportlib.deck import charts
from reportlib.deck._html import escaped_styler
from reportlib.kpis import KpiResult, compute_kpis
from reportlib.metrics import parse_window
from reportlib.params import parse_compare, parse_segment
from reportlib.resources import notebooks_dir

try:  # crisp figures in Jupyter; outside IPython there is nothing to configure
    from matplotlib_inline.backend_inline import set_matplotlib_formats
except ImportError:  # pragma: no cover - an optional extra of the notebook kernel
    set_matplotlib_formats = None


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


def _cached(output_dir: str | Path | None, key: dict[str, Any]) -> KpiResult | None:
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


def load_report(
    company_dir: str | Path,
    as_of: Param = None,
    window: str = "quarter",
    segment: SegmentParam = "",
    compare: CompareParam = "",
    output_dir: str | Path | None = "",
) -> KpiResult:
    """The :class:`~reportlib.kpis.KpiResult` of a company for the given parameters.

    When ``output_dir`` holds ``_cache/kpi_result.pkl`` written for the same parameters
    (:func:`write_cache`), that result is returned; otherwise it is computed with
    :func:`reportlib.kpis.compute_kpis`. Parameters are the notebooks' papermill
    parameters: strings, ``""`` meaning "default"."""
    key = cache_key(company_dir, as_of, window, segment, compare)
    result = _cached(output_dir, key)
    if result is None:
        result = compute_kpis(
            key["company_dir"], as_of=key["as_of"], window=key["window"], segment=key["segment"], compare=key["compare"]
        )
    S.Theme.from_fund(result.company.config.fund).apply()  # the fund's colours and font
    _SHOWN_SECTIONS.clear()  # a new notebook run: its sections have shown no page yet
    return result


#: The sections that showed a page in this notebook's run. A kept kernel runs many
#: notebooks, of many packs (a pack's pool, a portfolio worker, ``--watch``), and keeps
#: this module between them: :func:`load_report`, every notebook's first call, empties it.
_SHOWN_SECTIONS: set[str] = set()


def first_page_of(section: str) -> bool:
    """Whether this is the first page ``section`` shows in this notebook's run (the page
    that gets the small line naming the section); the section is marked as shown."""
    first = section not in _SHOWN_SECTIONS
    _SHOWN_SECTIONS.add(section)
    return first


def setup() -> None:
    """Board-deck style for charts and crisp figures in the exported pages."""
    charts.apply_board_style()
    if set_matplotlib_formats is not None:
        try:
            set_matplotlib_formats("svg")
        except Exception:  # noqa: BLE001  - outside IPython there is nothing to configure
            pass
    pd.set_option("display.max_columns", 30)


def warm_drawing() -> None:
    """Pay this process's first-use costs of drawing and tables: fonts (regular and bold),
    the SVG writer, tick formatters, pandas' Styler templates. The pack calls it in each
    warm kernel while it computes the KPIs, so that the first section of every kernel
    draws as fast as the next ones (about 0.5 s per kernel); nothing is displayed and no
    setting changes."""
    with S.board_style():
        fig, ax = plt.subplots(figsize=(3, 2))
        ax.plot([0, 1], [0, 1], label="line")
        ax.bar([0, 1], [1, 2], label="bar")
        ax.text(0, 1, "1", fontsize=20, fontweight="bold")
        ax.yaxis.set_major_formatter(S.money_formatter("EUR"))
        ax.set(title="warm", xlabel="x", ylabel="y")
        ax.legend()
        fig.savefig(io.BytesIO(), format="svg", bbox_inches="tight")
        plt.close(fig)
    escaped_styler(pd.DataFrame({"value": [1.0], "name": ["a"]}), {"value": str}, na_rep="-").to_html()
