"""What a ``reportlib`` command line names, read before anything heavy is imported.

The command starts work ahead of its imports from its arguments alone: a large company's
heap faulted in (:func:`reportlib._memory.warm_heap_for`), a pack's kernel warmed
(:func:`reportlib.__main__.entry`). Reading them here is a guess, never a check: click
parses the arguments afterwards and says what is wrong with them. Imports nothing heavy.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

__all__ = ["CONFIG_FILE", "HELP_OPTIONS", "company_folder"]

#: reportlib.inputs.config.CONFIG_FILE (that module imports pandas)
CONFIG_FILE = "company.toml"
#: the CLI's help options, in the order its help shows them (reportlib.cli._CONTEXT)
HELP_OPTIONS = ("-h", "--help")


def company_folder(args: Sequence[str], verbs: frozenset[str]) -> Path | None:
    """The company folder of ``reportlib ARGS`` when its verb is one of ``verbs``: the first
    word after the verb that is a folder holding a company.toml (an option's value may come
    first); None otherwise, or when help is asked for."""
    if any(a in HELP_OPTIONS for a in args):
        return None
    words = [a for a in args if not a.startswith("-")]
    if not words or words[0] not in verbs:
        return None
    return next((Path(w) for w in words[1:] if (Path(w) / CONFIG_FILE).is_file()), None)
