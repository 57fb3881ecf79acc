"""The company.toml text for one recognised file: ``[inputs.X]`` with comments and TODOs.

A known export needs only ``source`` and ``path``. A P&L report also needs
``[inputs.financials.accounts]``: the expense accounts are sorted into sales & marketing,
R&D and G&A by the words of their names (a guess, marked TODO). A canonical-layout file
maps the columns found; a required column it lacks gets a default marked TODO when the
schema allows a sensible one (contracts: recurring, billed monthly), else a TODO comment.
Date columns whose day/month order no date shows (01/02/2020, every day the 1st) get a
TODO with the ``dayfirst`` and ``date_format`` lines to choose from: read month first
otherwise, they would be a guess.
"""

from __future__ import annotations

import json
import re

import pandas as pd

from reportlib.inputs._values import date_order_shown, month_first_format
from reportlib.inputs.onboard._recognise import Recognised

TODO = "# TODO:"
#: Expense account words -> the canonical line they most likely feed.
_LINE_WORDS = (
    ("sales_marketing", r"market|advertis|sales|commission|promotion|events?|lead gen|sem\b|seo\b"),
    ("research_development", r"research|develop|engineer|product|software dev|r&d"),
)
#: A default a required column may take when the file lacks it, and why.
_DEFAULTS = {
    ("contracts", "revenue_type"): ("contracted_recurring", "every contract recurring"),
    ("contracts", "billing"): ("monthly", "every contract billed monthly"),
    ("opportunities", "stage"): ("unknown", "no stage column"),
}


def toml_string(value: str) -> str:
    """``value`` as a TOML basic string."""
    return json.dumps(value, ensure_ascii=False)


def input_block(rec: Recognised, path: str) -> str:
    """The ``[inputs.X]`` block reading ``rec``'s file at ``path`` (folder-relative)."""
    if rec.fx:
        return f"[fx]\npath = {toml_string(path)}   # currency, month, rate: value of 1 unit in the company currency"
    if rec.input is None:
        return "\n".join(
            [
                f"{TODO} {path} was not recognised as a known export or a canonical input; map its columns",
                "#       under the [inputs.X] it feeds (docs/inputs.md lists every input and column).",
                *date_order_lines(rec),
            ]
        )
    lines = [f"[inputs.{rec.input}]"]
    if rec.source:
        lines += [f"source = {toml_string(rec.source)}"]
    elif rec.layout == "accounts":
        lines += ['layout = "accounts"   # a P&L report: accounts as rows, months as columns']
    lines.append(f"path = {toml_string(path)}")
    if rec.accounts is not None:
        lines += ["", *accounts_block(rec.accounts)]
    elif not rec.source:
        lines += _mapped(rec)
    if rec.accounts is None:
        lines += date_order_lines(rec)
    return "\n".join(lines)


def date_order_lines(rec: Recognised) -> list[str]:
    """A TODO and the keys to choose from when no date of a d/m/y column shows its order."""
    unknown = {}
    for column in rec.data_columns:
        shown = date_order_shown(rec.frame[column])
        if shown is not None and shown[0] == "unknown":
            unknown[column] = shown[1]
    if not unknown:
        return []
    example = next(iter(unknown.values()))
    day, month = (int(p) for p in re.split(r"[/.-]", example)[:2])
    fmt = month_first_format(example)
    return [
        f"{TODO} no date of {', '.join(unknown)} shows whether it is day or month first "
        f"({example}: {_said(day, month)} or {_said(month, day)}); say which (read month first otherwise):",
        f"# dayfirst = true   # {example} is {_said(day, month)}",
        *([f"# date_format = {toml_string(fmt)}   # {example} is {_said(month, day)}"] if fmt else []),
    ]


def _said(day: int, month: int) -> str:
    """'1 February' for day 1 of month 2."""
    return f"{day} {pd.Timestamp(2000, month, 1).month_name()}"


def _mapped(rec: Recognised) -> list[str]:
    out = []
    renamed = {c: own for c, own in rec.columns.items() if own != c}
    if renamed:
        out.append("columns = { " + ", ".join(f"{c} = {toml_string(o)}" for c, o in renamed.items()) + " }")
    extra = [c for c in rec.data_columns if c not in rec.columns.values()]
    if extra:
        out.append("dimensions = [" + ", ".join(toml_string(c) for c in extra[:8]) + "]   # kept for segments")
    defaults = {c: _DEFAULTS[(rec.input, c)] for c in rec.missing if (rec.input, c) in _DEFAULTS}
    if defaults:
        out.append(f"{TODO} check these defaults: " + "; ".join(why for _, why in defaults.values()))
        out.append("defaults = { " + ", ".join(f"{c} = {toml_string(v)}" for c, (v, _) in defaults.items()) + " }")
    for column in unmapped(rec):
        out.append(f'{TODO} no column found for {column}: columns.{column} = "<the file\'s column>"')
    return out


def unmapped(rec: Recognised) -> list[str]:
    """The required columns of a canonical-layout file that neither a column nor a default
    gives: its block does not validate until they are mapped."""
    return [c for c in rec.missing if (rec.input, c) not in _DEFAULTS]


def accounts_block(accounts: pd.DataFrame) -> list[str]:
    """``[inputs.financials.accounts]`` guessed from the expense accounts' names."""
    lines = [
        "# revenue and cogs come from the report's income and cost-of-sales sections.",
        "[inputs.financials.accounts]",
    ]
    expenses = accounts.loc[accounts["section"].isin(["expenses", "other_expenses"])]
    names = list(dict.fromkeys(expenses["account"]))
    chosen: dict[str, list[str]] = {"sales_marketing": [], "research_development": [], "general_admin": []}
    for name in names:
        first = accounts.loc[accounts["account"] == name].iloc[0]
        words = f"{name} {first['group'] or ''}"  # a sub-account says little; its parent more
        line = next((ln for ln, pattern in _LINE_WORDS if re.search(pattern, words, re.I)), "general_admin")
        if first["section"] == "expenses":
            chosen[line].append(name)
    lines.append(f"{TODO} check which accounts feed each line (guessed from the account names).")
    for line, picked in chosen.items():
        if picked or line == "sales_marketing":
            lines.append(f"{line} = [" + ", ".join(toml_string(a) for a in picked) + "]")
    return lines
