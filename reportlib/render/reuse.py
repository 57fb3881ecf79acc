"""Printed sections kept in the store, and reused while nothing they read has changed.

The analyst re-makes a pack after each paragraph of commentary; a paragraph changes the
pages of one or two sections, yet every section notebook used to run and print again
(seconds of chart drawing). A section's pages are a function of

* what the pack knows before it runs the section (its *context*, built by the pack): the
  notebook's bytes, the pack's parameters and folder, the KPI result (its store digest and
  what the pack added to it since), reportlib's code and the library versions, the fund's
  files, the nbconvert template, the theme and the Chromium version;
* what the notebook read while it ran, recorded in its kernel
  (:mod:`reportlib.deck._reads`): the commentary blocks it showed, and any other file
  or folder it read.

:func:`keep` stores a section that ran (its executed notebook and its printed PDF) under
its context, with its record; :func:`reusable` gives it back to a later pack of the same
context whose record still holds (every commentary block and file as it was), so that
pack copies it instead of running it. Anything that cannot be told for sure (no record, a
record that does not check, a result computed outside the store) means the section runs.
``--force`` runs every section (and stores them again); ``--no-cache`` neither reads nor
writes (see :class:`reportlib._store.Mode`).

Only a *plain* notebook is kept (:func:`plain_notebook`): one that imports nothing but the
deck, matplotlib, IPython's display and a few pure standard modules, and runs no shell
command or magic. A library that reads files in native code (pyarrow, DuckDB, Polars),
the clock or the network would make pages the record cannot vouch for; such a notebook
simply runs every time.
"""

from __future__ import annotations

import ast
import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportlib._store import Mode, Store, digest, file_digest
from reportlib.deck._reads import unchanged

__all__ = ["PLAIN_IMPORTS", "SECTIONS_KIND", "StoredSection", "keep", "plain_notebook", "reusable", "section_key"]

#: The store's folder of printed sections.
SECTIONS_KIND = "sections"
#: Bumped when what a key covers or an entry holds changes.
KEY_VERSION = 1
#: What a plain notebook may import (with their sub-modules): none reads a file but through
#: Python's ``open`` (seen by the record), the clock or the network.
PLAIN_IMPORTS = (
    "__future__",
    "reportlib.deck",
    "matplotlib",
    "IPython.display",
    "pathlib",
    "json",
    "csv",
    "math",
    "re",
    "textwrap",
    "string",
    "statistics",
    "collections",
    "itertools",
    "functools",
    "decimal",
    "fractions",
    "typing",
    "base64",
)
#: Names a plain notebook does not call: code run or imported out of sight.
_HIDDEN = frozenset({"__import__", "exec", "eval", "compile", "get_ipython", "globals", "vars"})


@dataclass(frozen=True)
class StoredSection:
    """One section as it last ran: what it read, its executed notebook (pointing at the
    pack's folder) and its printed pages."""

    reads: str
    notebook: bytes
    pdf: bytes


def plain_notebook(notebook: Path) -> bool:
    """Whether every code cell of ``notebook`` is plain Python that imports only
    :data:`PLAIN_IMPORTS` and calls nothing of :data:`_HIDDEN` (no ``!`` shell line, no
    ``%`` magic): what it reads is then all seen by :mod:`reportlib.deck._reads`."""
    path = Path(notebook)
    return _plain(str(path), file_digest(path))


@functools.lru_cache(maxsize=256)
def _plain(path: str, _digest: str) -> bool:
    try:
        trees = [ast.parse(source) for source in _code_sources(path)]
    except Exception:  # noqa: BLE001 -- not a notebook we can read, or IPython syntax (magics)
        return False
    return all(_plain_node(node) for tree in trees for node in ast.walk(tree))


def _code_sources(path: str) -> list[str]:
    """The sources of a notebook's code cells. A version 4 notebook is read as the JSON it
    is: :func:`nbformat.read` would first compile its schema validator (0.03 s, once per
    process, before the pack's first notebook could start); older versions are converted."""
    content = json.loads(Path(path).read_text(encoding="utf-8"))
    if content.get("nbformat") != 4:
        import nbformat  # with its schema validator: only for the rare notebook before version 4

        return [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    return [_text(c.get("source", "")) for c in content["cells"] if c.get("cell_type") == "code"]


def _text(source: str | list[str]) -> str:
    """A cell's source: a string, or a list of lines in the file."""
    return source if isinstance(source, str) else "".join(source)


def _plain_node(node: ast.AST) -> bool:
    if isinstance(node, ast.Import):
        return all(_plain_module(alias.name) for alias in node.names)
    if isinstance(node, ast.ImportFrom):
        return not node.level and _plain_module(node.module or "")
    if isinstance(node, ast.Name):
        return node.id not in _HIDDEN
    return True


def _plain_module(name: str) -> bool:
    return any(name == m or name.startswith(m + ".") for m in PLAIN_IMPORTS)


def section_key(notebook: Path, context: Any) -> str:
    """The store key of ``notebook``'s pages in a pack of ``context`` (everything the pack
    knows the section depends on; a ``repr``-stable value)."""
    return digest(SECTIONS_KIND, KEY_VERSION, Path(notebook).name, file_digest(Path(notebook)), context)


def reusable(key: str, mode: Mode) -> StoredSection | None:
    """The stored section under ``key`` when ``mode`` reads and everything it read is
    unchanged; else None (it runs)."""
    if not mode.reads:
        return None
    stored = Store(SECTIONS_KIND).get(key)
    if isinstance(stored, StoredSection) and unchanged(stored.reads):
        return stored
    return None


def keep(key: str, mode: Mode, reads: str | None, notebook: bytes, pdf: bytes) -> None:
    """Store a section that ran, when ``mode`` writes and its reads are known."""
    if mode.writes and reads:
        Store(SECTIONS_KIND).put(key, StoredSection(reads, notebook, pdf))
