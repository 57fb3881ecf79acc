"""The key of a computed :class:`~reportlib.kpis.KpiResult` in the store
(:mod:`reportlib._store`), so that a re-run whose inputs and parameters did not change reads
the KPIs, tables and narrative back instead of computing them again.

The key covers

* the key of the loaded inputs (``Company.digest``: every input file's name and bytes, the
  folder, company.toml and fund.toml, code and library versions, see
  :mod:`reportlib.inputs._cache`); without one (a company not loaded through the store) no
  result is stored;
* the configuration the computation actually sees (``repr`` of ``company.config``: a
  company whose policies were replaced, as restatements do, is another key), the segment it
  was restricted to and the shape of every frame (a guard against frames changed after
  loading);
* the parameters: as-of, window, segment, compare;
* the reportlib code (:func:`~reportlib._store.code_digest`: registry bands, narrative,
  formulas) and the library versions.

Ruled out: the analyst's commentary (``commentary.md``, ``commentary/*.md``) is not read by
the computation; the notebooks read it fresh (``reportlib.deck._words``), so editing it hits
this cache. Restatements against an earlier pack are added to the result after it is read
back (the pack's restatement step), never stored. Today's date reaches the result only
through :func:`~reportlib.inputs.resolve_as_of`, run again before the store is asked.
"""

from __future__ import annotations

from typing import Any

from reportlib._store import code_digest, digest, library_versions
from reportlib.inputs import Company
from reportlib.metrics import parse_window

__all__ = ["KEY_VERSION", "result_key"]

#: Bumped when what a key covers changes, so that entries of older rules miss.
KEY_VERSION = 1


def result_key(whole: Company, segment: Any, compare: Any, as_of: Any, window: Any) -> str | None:
    """The store key of the KPIs of ``whole`` for these (parsed) parameters; None when the
    company was not loaded through the store (no ``digest``)."""
    if not whole.digest:
        return None
    shapes = tuple(
        (name, len(frame), tuple(map(str, frame.columns)), tuple(map(str, frame.dtypes)))
        for name, frame in sorted(whole.frames.items())
    )
    # the window as its months: "quarter" and 3 (a restatement's recomputation) are one result
    parameters = (None if as_of is None else str(as_of), str(parse_window(window)), segment, compare)
    return digest(
        "kpis",
        KEY_VERSION,
        whole.digest,
        repr(whole.config),
        whole.segment_filter,
        shapes,
        parameters,
        code_digest(),
        library_versions(),
    )
