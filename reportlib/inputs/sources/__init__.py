"""Known sources: one module per tool family registers its :class:`Source` here."""
from __future__ import annotations

from reportlib.inputs.sources._base import Source

SOURCES: dict[str, Source] = {}


def get_source(name: str) -> Source:
    """The source called ``name``.

    Raises
    ------
    KeyError
        When no source has that name.
    """
    return SOURCES[name]


__all__ = ["SOURCES", "Source", "get_source"]
