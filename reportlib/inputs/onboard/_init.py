"""``reportlib init DIR``: a commented starter company.toml from the files of a folder.

Each data file is recognised (:mod:`._recognise`); the first file of each input gets its
block, a second one of the same input is left as a comment, a known source's side file
(Stripe coupons, Chargebee addons) becomes its ``[[join]]``, an exchange-rate table the
``[fx]`` path. ``[company] currency`` is the one given, else the one a file's currency
column says (Stripe's ``Currency``, ChartMogul's ``CURRENCY_CODE``, a canonical
``currency``), else USD; a TODO line says which. What cannot be told is a ``# TODO:``
line. The file validates as written unless no file was recognised as an input or a
recognised one lacks a required column (``Started.unfinished`` says which). An existing
company.toml is never overwritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from reportlib.exceptions import ParameterError
from reportlib.inputs._values import text
from reportlib.inputs.config import CONFIG_FILE, INPUT_NAMES
from reportlib.inputs.onboard._blocks import TODO, input_block, toml_string, unmapped
from reportlib.inputs.onboard._recognise import Recognised, recognise
from reportlib.inputs.sources import SOURCES

_DATA = re.compile(r"\.(csv|tsv|txt|xlsx|xlsm|json|jsonl|ndjson|parquet|pq)(\.gz)?$|\.zip$", re.I)


@dataclass(frozen=True)
class Started:
    """The company.toml written, the TODO lines it holds, and why it does not validate as
    written (``unfinished``; empty when it does)."""

    path: Path
    todos: tuple[str, ...]
    recognised: tuple[Recognised, ...]
    unfinished: tuple[str, ...] = ()


def init_folder(folder: str | Path, *, name: str | None = None, currency: str | None = None) -> Started:
    """Write ``folder/company.toml`` for the files the folder holds.

    ``currency`` None: the one a file's currency column says, else USD (a TODO either way).

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
    return Started(target, todos, tuple(recognised), _unfinished(recognised))


def starter_toml(
    folder: Path, recognised: list[Recognised], *, name: str | None = None, currency: str | None = None
) -> str:
    """The company.toml text for ``recognised`` files of ``folder``."""
    title = name or re.sub(r"[_-]+", " ", folder.resolve().name).strip().title()
    parts = [
        f"# Written by `reportlib init` from the files of this folder: check every {TODO.split()[1]} line,",
        "# then run `reportlib validate .` (docs/inputs.md is the reference of every key).",
        "[company]",
        f"name = {toml_string(title)}",
        _currency_line(currency, _currency_said(recognised)),
    ]
    taken: dict[str, Recognised] = {}
    sides = _side_files(recognised)
    for rec in sorted(recognised, key=_order):
        path = rec.path.name
        if rec in sides:
            continue
        if rec.error:
            parts += ["", f"{TODO} {path} could not be read: {rec.error}"]
        elif rec.input in taken:  # a second file of an input (see _blocks_written)
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


def _blocks_written(recognised: list[Recognised]) -> list[Recognised]:
    """The files that get an ``[inputs.X]`` block: the first readable one of each input."""
    sides = _side_files(recognised)
    first: dict[str, Recognised] = {}
    for rec in sorted(recognised, key=_order):
        if rec.input and not rec.error and rec not in sides:
            first.setdefault(rec.input, rec)
    return list(first.values())


def _unfinished(recognised: list[Recognised]) -> tuple[str, ...]:
    """Why the company.toml written for ``recognised`` does not validate as written."""
    written = _blocks_written(recognised)
    if not written:
        return ("no file was recognised as an input, so it has no [inputs.X] section",)
    return tuple(f"{rec.path.name} has no column for {', '.join(unmapped(rec))}" for rec in written if unmapped(rec))


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


def _currency_said(recognised: list[Recognised]) -> tuple[str, str] | None:
    """(the currency of most rows, where it is said) from the first file whose currency
    column names one."""
    for rec in recognised:
        source = SOURCES.get(rec.source or "")
        wanted = source.currency if source is not None else rec.columns.get("currency")
        own = {c.casefold(): c for c in rec.data_columns}
        column = own.get((wanted or "").casefold())
        if column is None:
            continue
        codes = text(rec.frame[column]).str.upper().dropna().value_counts()
        if len(codes):
            others = f"; it also has {', '.join(codes.index[1:6])}" if len(codes) > 1 else ""
            return str(codes.index[0]), f"the {column} column of {rec.path.name} says {codes.index[0]}{others}"
    return None


def _currency_line(given: str | None, said: tuple[str, str] | None) -> str:
    """``currency = ...`` with a TODO saying where it comes from (and what a file says)."""
    if said is None:
        return f"currency = {toml_string(given or 'USD')}   {TODO} the currency the exports' amounts are in"
    code, where = said
    if given is None:
        return f"currency = {toml_string(code)}   {TODO} {where}: check the amounts are in it"
    if given.upper() == code:
        return f"currency = {toml_string(given)}   {TODO} given to init; {where} too"
    return f"currency = {toml_string(given)}   {TODO} given to init, but {where}: check which the amounts are in"
