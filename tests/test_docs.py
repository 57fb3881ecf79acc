"""The docs' own examples against the code, so that they cannot drift from it again.

A new analyst has README.md, docs/*.md and ``reportlib VERB --help``: every ``reportlib``
command those show must be one the CLI takes (its verb, options and values), and
docs/inputs.md, "the reference of every key", must show every key company.toml accepts and
no key the validator would refuse; README's fund.toml likewise.
"""

from __future__ import annotations

import dataclasses
import re
import shlex
import tomllib
from dataclasses import fields
from pathlib import Path

import click
import pytest

from reportlib.cli import cli, main
from reportlib.inputs import config as company_config
from reportlib.inputs import fund
from reportlib.inputs.commentary import BLOCKS
from reportlib.inputs.sources import SOURCES
from reportlib.portfolio import runner, summary

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
INPUTS_DOC = ROOT / "docs" / "inputs.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)


# --------------------------------------------------------------------------- commands


def parse_command(line: str) -> click.Context:
    """A ``reportlib ...`` line parsed by the CLI as the shell would hand it over, without
    running it: a wrong verb, option or value raises click's own usage error."""
    argv = shlex.split(line, comments=True)[1:]
    argv = argv[: argv.index("&")] if "&" in argv else argv  # `reportlib serve &`
    n_global = next(i for i, word in enumerate(argv) if not word.startswith("-"))
    group = cli.make_context("reportlib", argv[: n_global + 1])
    verb = cli.get_command(group, argv[n_global])
    if verb is None:
        raise click.UsageError(f"no such verb {argv[n_global]!r}")
    return verb.make_context(argv[n_global], argv[n_global + 1 :], parent=group)


def doc_commands() -> list[tuple[str, str]]:
    """(file, line) for every ``reportlib`` line of a shell block in README.md and docs/*.md
    (continued lines joined)."""
    found = []
    for path in DOCS:
        for lang, body in FENCE.findall(path.read_text(encoding="utf-8")):
            if lang not in ("bash", "sh", ""):
                continue
            for line in body.replace("\\\n", " ").splitlines():
                if line.strip().startswith("reportlib "):
                    found.append((path.name, line.strip()))
    return found


def help_examples() -> list[tuple[str, str]]:
    """(verb, line) for every ``reportlib`` line under "Example:" in a verb's ``--help``; a
    line's explanation follows two or more spaces."""
    found = []
    for name, command in cli.commands.items():
        example = (command.help or "").partition("Example:")[2]
        for line in example.splitlines():
            text = re.split(r"\s{2,}", line.strip())[0]
            if text.startswith("reportlib "):
                found.append((name, text))
    return found


def test_the_docs_show_the_commands_of_every_page_and_verb():
    # the collectors find what the pages hold: README's quarter, inputs.md's onboarding, the
    # portfolio page's Dask line written over two lines; every verb shows an example
    files = {file for file, _ in doc_commands()}
    assert files == {"README.md", "inputs.md", "portfolio.md"}
    assert ("README.md", "reportlib pack data/meridian --as-of 2026Q3 --force") in doc_commands()
    dask = [line for _, line in doc_commands() if "/shared/funds" in line]
    assert dask and "--scheduler tcp://10.0.0.5:8786" in dask[0]
    assert {verb for verb, _ in help_examples()} == set(cli.commands)


@pytest.mark.parametrize(("file", "line"), doc_commands())
def test_every_command_of_the_docs_parses(file, line):
    parse_command(line)


@pytest.mark.parametrize(("verb", "line"), help_examples())
def test_every_help_example_parses(verb, line):
    parse_command(line)


def test_a_wrong_command_does_not_parse():
    # the check itself: a verb, an option and a value the CLI does not take are each refused
    for line in (
        "reportlib packs data/meridian",
        "reportlib pack data/meridian --as_of 2026Q3",
        "reportlib kpis data/meridian --window week",
        "reportlib serve --idle 0",
    ):
        with pytest.raises(click.UsageError):
            parse_command(line)
    # and what it takes is read as the command will read it: a quarter is its last month
    assert parse_command("reportlib -q kpis data/meridian --as-of 2026Q3  # the quarter").params["as_of"] == "2026-09"


# --------------------------------------------------------------------------- company.toml keys

# scope of a key: "" top level, a [table], "input" ([inputs.X]), "join" ([[inputs.X.join]]);
# "inputs" holds the input names
KEY_TABLE = re.compile(r"^\| key \| meaning \| example \|$")
KEY_ROW = re.compile(r"^\| `(\w+)` \|")


def code_keys() -> dict[str, set[str]]:
    """Every key the company.toml validator accepts, by scope."""
    keys = {scope: set(names) for scope, names in company_config._SECTION_KEYS.items()}
    keys["policies"] = {f.name for f in fields(company_config.Policies)}
    keys["inputs"] = set(company_config.INPUT_NAMES)
    keys["input"] = set(company_config._INPUT_KEYS)
    keys["join"] = set(company_config._JOIN_KEYS)
    return keys


def toml_keys(data: dict, keys: dict[str, set[str]]) -> None:
    """Add the keys of one company.toml example to ``keys``, by scope."""
    keys.setdefault("", set()).update(data)
    for table, value in data.items():
        entries = value if isinstance(value, list) else [value]
        if table == "inputs":
            keys.setdefault("inputs", set()).update(value)
            entries = list(value.values())
            for entry in entries:
                for join in entry.get("join", []):
                    keys.setdefault("join", set()).update(join)
        for entry in entries:
            keys.setdefault("input" if table == "inputs" else table, set()).update(entry)


def documented_keys(text: str) -> dict[str, set[str]]:
    """The keys docs/inputs.md shows: in its company.toml examples, in the first column of
    its key tables (those under "joins" are a join's keys) and in the list of inputs."""
    keys: dict[str, set[str]] = {}
    for lang, body in FENCE.findall(text):
        if lang == "toml":
            toml_keys(tomllib.loads(body), keys)
    heading, in_table = "", False
    for line in text.splitlines():
        heading = line if line.startswith("## ") else heading
        in_table = bool(KEY_TABLE.match(line)) or (in_table and line.startswith("|"))
        if in_table and (row := KEY_ROW.match(line)):
            keys.setdefault("join" if heading == "## joins" else "input", set()).add(row.group(1))
    listed = re.search(r"One `\[inputs\.<name>\]` table per canonical input: (.*?) \(their", text, re.S)
    keys.setdefault("inputs", set()).update(re.findall(r"`(\w+)`", listed.group(1)) if listed else [])
    return keys


def test_inputs_md_shows_every_key_company_toml_accepts_and_no_other():
    shown, accepted = documented_keys(INPUTS_DOC.read_text(encoding="utf-8")), code_keys()
    for scope in sorted(set(shown) | set(accepted)):
        assert shown.get(scope, set()) - accepted.get(scope, set()) == set(), f"refused but documented in {scope!r}"
        assert accepted.get(scope, set()) - shown.get(scope, set()) == set(), f"accepted but undocumented {scope!r}"


def test_documented_keys_reads_examples_tables_and_the_input_list():
    # the reader itself, on a page of three parts: a TOML example with a join and an
    # override, a key table under "joins", the sentence listing the inputs
    page = """One `[inputs.<name>]` table per canonical input: `mrr`,
`reported` (their columns).

```toml
[company]
name = "A"
[[overrides]]
kpi = "arr"
[inputs.mrr]
path = "a.csv"
[[inputs.mrr.join]]
on = "id"
```

## joins

| key | meaning | example |
|---|---|---|
| `sheet` | the joined workbook's sheet | |

## other

| source | input |
|---|---|
| `stripe_subscriptions` | contracts |
"""
    assert documented_keys(page) == {
        "": {"company", "overrides", "inputs"},
        "company": {"name"},
        "overrides": {"kpi"},
        "inputs": {"mrr", "reported"},
        "input": {"path", "join"},
        "join": {"on", "sheet"},
    }


def test_readme_fund_toml_shows_every_fund_key():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<<'TOML'\n(.*?)^TOML$", readme, re.S | re.M)
    assert block, "README's fund.toml example is gone"
    data = tomllib.loads(block.group(1))
    shown = {"": set(data), **{table: set(value) for table, value in data.items()}}
    assert shown == {scope: set(names) for scope, names in fund._KEYS.items()}


def test_portfolio_help_shows_no_option_it_refuses(capsys):
    # `reportlib portfolio --help` listed --segment KEY=VALUE ("Restrict every input..."), which
    # a portfolio run always refuses: its help shows --segments, and --segment still gets the
    # sentence saying where it belongs instead of click's "no such option"
    shown = cli.commands["portfolio"].get_help(click.Context(cli.commands["portfolio"], info_name="portfolio"))
    assert "--segments" in shown and "--segment KEY=VALUE" not in shown
    assert main(["portfolio", "data", "--segment", "segment=Enterprise"]) != 0
    assert "--segment is for one company (`reportlib pack`)" in capsys.readouterr().err


def test_portfolio_md_names_every_file_of_the_summary_folder():
    # docs/portfolio.md's table of the summary folder named neither portfolio_history.csv nor
    # portfolio_kpis.xlsx, which every portfolio run writes there
    page = (ROOT / "docs" / "portfolio.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([\w.-]+)` \|", page, re.M))
    written = {*summary._FILES.values(), runner.PORTFOLIO_XLSX, "portfolio.json", "portfolio-summary.pdf"}
    assert written - listed == set()


def test_inputs_md_lists_every_known_source_with_the_input_it_feeds():
    # the "known sources, one by one" table is where an analyst finds the name to write
    page = INPUTS_DOC.read_text(encoding="utf-8")
    listed = dict(re.findall(r"^\| `(\w+)` \| (\w+) \|", page, re.M))
    assert listed == {name: source.feeds for name, source in SOURCES.items()}


def test_inputs_md_lists_every_commentary_heading_by_its_block():
    # the table named 18 of the 40 headings the commentary reads and left the appendix's
    # block out: a "## Data quality" note showed in the appendix with no word of it here
    page = INPUTS_DOC.read_text(encoding="utf-8")
    table = page.partition("| heading (any of")[2].split("\n\n")[0].splitlines()[2:]
    rows = {frozenset(name.strip().lower() for name in row.split("|")[1].split(",")) for row in table}
    blocks = {frozenset(name.replace("-", " ") for name in names) for names in BLOCKS.values()}
    assert rows == blocks


def test_inputs_md_shows_the_policies_defaults():
    # "[policies]  # the contested definitions (METRICS.md); defaults shown": as Policies has
    # them ("none" spells no value where the default is None, as company.toml writes it)
    page = INPUTS_DOC.read_text(encoding="utf-8")
    block = next(body for lang, body in FENCE.findall(page) if lang == "toml" and "[policies]" in body)
    shown, defaults = tomllib.loads(block)["policies"], dataclasses.asdict(company_config.Policies())
    assert {k: None if v == "none" and defaults.get(k) is None else v for k, v in shown.items()} == defaults
