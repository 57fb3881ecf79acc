"""Where the package's own files are: the section notebooks and the nbconvert templates.

A wheel carries them inside the package (``reportlib/_data/``, put there by the build's
``force-include``); a checkout keeps them at the repository's top level, where analysts
open and tweak them. :mod:`importlib.resources` finds the first, the checkout the second.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["notebooks_dir", "templates_dir"]

_CHECKOUT = Path(__file__).resolve().parent.parent


def _data(name: str) -> Path:
    packaged = Path(str(resources.files("reportlib") / "_data" / name))
    return packaged if packaged.is_dir() else _CHECKOUT / name


def notebooks_dir() -> Path:
    """The built-in section notebooks (``NN_<section>.ipynb`` and ``portfolio/``)."""
    return _data("notebooks")


def templates_dir() -> Path:
    """The nbconvert templates (``boardpack/``)."""
    return _data("templates")
