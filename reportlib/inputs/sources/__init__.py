"""Known exports (``source = "<name>"``): each tool's export read by its own documented rules.

One module per tool family defines its :class:`Source` objects (and lists them in its
``SOURCES``); this package finds every module-level source of its public modules, so
adding a tool is adding a module. :func:`get_source` is the one lookup.

>>> get_source("stripe_subscriptions").feeds
'contracts'
"""

from __future__ import annotations

import importlib
import pkgutil

from reportlib.inputs.sources._base import Source

__all__ = ["SOURCES", "Source", "get_source"]


def _discover() -> dict[str, Source]:
    """Every module-level :class:`Source` of this package's public modules, by name."""
    found: dict[str, Source] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, Source):
                if found.get(value.name, value) is not value:
                    raise RuntimeError(f"Two sources are named {value.name!r}.")
                found[value.name] = value
    return dict(sorted(found.items()))


SOURCES: dict[str, Source] = _discover()


def get_source(name: str) -> Source:
    """The :class:`Source` called ``name``.

    Raises
    ------
    KeyError
        For an unknown name (the transform layer reports it with "did you mean").
    """
    return SOURCES[name]
