"""``reportlib init DIR``: a commented starter company.toml from the files of a folder.

Each data file is recognised (:mod:`._recognise`); the first file of each input gets its
block, a second one of the same input is left as a comment, a known source's side file
(Stripe coupons, Chargebee addons) becomes its ``[[join]]``, an exchange-rate table the
``[fx]`` path. What cannot be told is a ``# TODO:`` line; the file validates as written.
An existing company.toml is never overwritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from reportlib.exceptions import ParameterError
from reportlib.inputs.config import CONFIG_FILE, INPUT_NAMES
from reportlib.inputs.onboard._blocks import TODO, input_block, toml_string
from reportlib.inputs.onboard._recognise import Recognised, recognise
from reportlib.inputs.sources import SOURCES

_DATA = re.compile(r"\.(csv|tsv|txt|xlsx|xlsm|json|jsonl|ndjson|parquet|pq)(\.gz)?$|\.zip$", re.I)


@dataclass(frozen=True)
class Started:
    """The company.toml written and the TODO lines it holds."""

    path: Path
    todos: tuple[str, ...]
    recognised: tuple[Recognised, ...]


def init_folder(folder: str | Path, *, name: str | None = None, currency: str = "USD") -> Started:
    """Write ``folder/company.toml`` for the files the folder holds.

    Raises
    ------
    ParameterError
        When ``folder`` is not a folder or already has a company.toml.
    """
    folder = Path(folder)
    target = folder / CONFIG_FILE
    if not folder.is_dir():
        raise ParameterError(f"{folder} is not a folder; give the folder holding the company's exports.")
    if target.exists():
        raise ParameterError(f"{target} exists already; init never overwrites it (move it away to start over).")
    files = sorted(p for p in folder.iterdir() if p.is_file() and _DATA.search(p.name) and not p.name.startswith("."))
    recognised = [recognise(p) for p in files]
    text = starter_toml(folder, recognised, name=name, currency=currency)
    target.write_text(text, encoding="utf-8")
    todos = tuple(line[line.index(TODO) :].strip() for line in text.splitlines() if TODO in line)
    return Started(target, todos, tuple(recognised))


def starter_toml(folder: Path, recognised: list[Recognised], *, name: str | None = None, currency: str = "USD") -> str:
    """The company.toml text for ``recognised`` files of ``folder``."""
    title = name or re.sub(r"[_-]+", " ", folder.resolve().name).strip().title()
    parts = [
        f"# Written by `reportlib init` from the files of this folder: check every {TODO.split()[1]} line,",
        "# then run `reportlib validate .` (docs/inputs.md is the reference of every key).",
        "[company]",
        f"name = {toml_string(title)}",
        f"currency = {toml_string(currency)}   {TODO} the currency the exports' amounts are in",
    ]
    taken: dict[str, Recognised] = {}
    sides = _side_files(recognised)
    for rec in sorted(recognised, key=_order):
        path = rec.path.name
        if rec in sides:
            continue
        if rec.error:
            parts += ["", f"{TODO} {path} could not be read: {rec.error}"]
        elif rec.input in taken:
            first = taken[rec.input]
            same = (rec.source, rec.layout) == (first.source, first.layout)
            parts += [
                "",
                f"{TODO} {path} is another {rec.input} file"
                + (
                    f"; to stack it with {first.path.name}, give path = [...] with both names."
                    if same
                    else f" ({rec.source or 'own columns'}) than {first.path.name} "
                    f"({first.source or 'own columns'}): an input reads one kind of export, keep one."
                ),
            ]
        else:
            block = input_block(rec, path)
            parts += ["", block]
            if rec.input:
                taken[rec.input] = rec
                parts += [_join(side, rec) for side in sides.get_for(rec)]
    for side, main in sides.items():
        if taken.get(main.input or "") is not main:
            parts += ["", f"{TODO} {side.path.name} goes with {main.path.name} ([[join]] of its input)."]
    return "\n".join(parts) + "\n"


def _order(rec: Recognised) -> tuple[int, str]:
    position = INPUT_NAMES.index(rec.input) if rec.input in INPUT_NAMES else len(INPUT_NAMES)
    return position, rec.path.name


class _Sides(dict):
    """Side files (a source's ``[[join]]`` tables) -> the recognised main file they join."""

    def get_for(self, main: Recognised) -> list[Recognised]:
        return [side for side, owner in self.items() if owner is main]


def _side_files(recognised: list[Recognised]) -> _Sides:
    sides = _Sides()
    for main in recognised:
        source = SOURCES.get(main.source or "")
        if source is None:
            continue
        for rec in recognised:
            stem = rec.path.name.lower().split(".")[0]
            if rec.input is None and not rec.fx and source.side_table_for(stem):
                sides[rec] = main
    return sides


def _join(side: Recognised, main: Recognised) -> str:
    table = SOURCES[main.source].side_table_for(side.path.name.lower().split(".")[0])
    return (
        f"\n[[inputs.{main.input}.join]]\npath = {toml_string(side.path.name)}   "
        f"# the {table} export {main.source} reads beside the main file"
    )
