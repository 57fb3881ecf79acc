"""Known exports (DESIGN.md "Exports as companies send them"): one module per tool family.

``SOURCES`` maps each source name to its :class:`~reportlib.inputs.sources._base.Source`;
:func:`get_source` looks one up.
"""
from __future__ import annotations

from reportlib.inputs.sources import (events, ga4, hubspot, pipedrive, quickbooks, salesforce,
                                      surveys, xero)
from reportlib.inputs.sources._base import Source

_MODULES = (quickbooks, xero, hubspot, salesforce, pipedrive, ga4, events, surveys)

SOURCES: dict[str, Source] = {s.name: s for m in _MODULES for s in m.SOURCES}


def get_source(name: str) -> Source:
    """The known source called ``name``.

    Raises
    ------
    KeyError
        When no source has that name (the transform layer says "did you mean").
    """
    return SOURCES[name]


__all__ = ["SOURCES", "Source", "get_source"]
