"""What the CRM sources share: the check that a file's deals are not all open for want of
knowing its custom stages.

A deal's outcome comes from the tool's own flags (HubSpot's ``Is Closed Won``, Salesforce's
``IsWon`` / ``IsClosed``) or, without them, from the default closed stages. A portal with
custom pipelines (stage ids such as ``12345678``, labels such as ``Signed``) exported without
the flags gives every deal as open: win rate, sales cycle and pipeline would be wrong with
nothing to show it. :func:`unmapped_stages` says so and names the mapping to add.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import pandas as pd

from reportlib.exceptions import Problem
from reportlib.inputs._readers import ROW

__all__ = ["unmapped_stages"]

_SHOWN = 6


def _label(stage: str) -> str:
    """A stage compared as the sources' SQL ``label`` does: lower case, no spaces, dashes, underscores."""
    return re.sub(r"[\s_-]+", "", stage.strip().lower())


def unmapped_stages(
    tool: str, column: str, open_stages: Iterable[str], pipeline: str | None = None
) -> Callable[[pd.DataFrame], list[Problem]]:
    """A check of a CRM source's deals: a warning when none is won or lost and some stage is
    not one of ``tool``'s documented open stages (``open_stages``, labels or ids).

    Parameters
    ----------
    tool
        The tool's name as the message shows it ("HubSpot").
    column
        The export's stage column, named in the problem.
    open_stages
        The tool's default open stages: a file of only these may well be all open.
    pipeline
        The result's column naming a deal's pipeline when each pipeline has stages of its own
        (HubSpot): each pipeline is checked on its own, since a won deal of the default pipeline
        says nothing of a custom pipeline's stages.
    """
    known = {_label(s) for s in open_stages}

    def check(deals: pd.DataFrame) -> list[Problem]:
        if deals.empty:
            return []
        if pipeline is None or pipeline not in deals:
            return _none_closed(deals, known, tool, column, "in this file")
        names = deals[pipeline].astype("string").str.strip().fillna("")
        if names.nunique() == 1:
            return _none_closed(deals, known, tool, column, "in this file")
        return [
            problem
            for name, part in deals.groupby(names, sort=False)
            for problem in _none_closed(
                part, known, tool, column, f"in the pipeline '{name}'" if name else "without a pipeline"
            )
        ]

    return check


def _none_closed(deals: pd.DataFrame, known: set[str], tool: str, column: str, where: str) -> list[Problem]:
    """The warning for ``deals`` (a file or one pipeline) when none is won or lost and some
    stage is not a default open one."""
    if deals["outcome"].isin(["won", "lost"]).any():
        return []
    stages = deals["stage"].astype("string").str.strip()
    custom = stages.notna() & ~stages.map(lambda s: pd.isna(s) or _label(s) in known).astype(bool)
    if not custom.any():
        return []
    names = list(dict.fromkeys(stages[custom]))
    shown = ", ".join(f"'{s}'" for s in names[:_SHOWN]) + (
        f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
    )
    example = "\n".join(f'"{s}" = "won"  # or "lost" / "open"' for s in names[:2])
    return [
        Problem(
            f"No deal {where} is won or lost: its {len(deals):,} deal(s) count as open, so win rate, sales "
            f"cycle and pipeline would be wrong. Its stages {shown} are not {tool}'s default stages and the "
            f"export does not say which are closed. Say which stages are won and lost in company.toml:\n"
            f"[inputs.opportunities.values.outcome]\n{example}",
            row=int(deals.loc[custom, ROW].iloc[0]) if ROW in deals else None,
            column=column,
            severity="warning",
        )
    ]
