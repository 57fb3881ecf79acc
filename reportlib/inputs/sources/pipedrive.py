"""Pipedrive deals export (Deals list > Export > CSV) -> opportunities.

Documentation followed: no Pipedrive help page was found in the stored corpora; the columns
follow public code and READMEs written against real exports (``Deal - ID``, ``Deal - Title``,
``Deal - Value``, ``Deal - Currency``, ``Deal - Pipeline``, ``Deal - Stage``, ``Deal - Status``
= open/won/lost, ``Deal - Owner``, ``Deal - Deal created``, ``Deal - Won time``,
``Deal - Lost time``, ``Deal - Deal closed on``, ``Deal - Expected close date``).

Outcome is Pipedrive's own status (open, won, lost; any case); a ``deleted`` deal is left
out. closed_at = Won time, Lost time or Deal closed on, for closed deals only. Value is in
the deal's own currency, given as ``currency`` so that the company's ``[fx]`` rates convert
it (``Deal - Currency of value`` is the alternative header). Assumed: datetimes
``YYYY-MM-DD HH:MM:SS``; no source column (Pipedrive's source fields not verified).
"""

from __future__ import annotations

from reportlib.inputs.sources._base import Source
from reportlib.inputs.sources._sql import date, first, number, q, with_optional

_DATES = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")
_STATUS = f"lower(TRIM({q('Deal - Status')}))"

PIPEDRIVE_DEALS = Source(
    name="pipedrive_deals",
    feeds="opportunities",
    documentation="Pipedrive deals CSV export as documented by public code/READMEs of real exports "
    "(Deal - Status open/won/lost, Deal - Won time / Lost time); see module docstring",
    required=("Deal - ID", "Deal - Value", "Deal - Status", "Deal - Deal created"),
    sql=f"""{
        with_optional(
            (
                "Deal - Currency",
                "Deal - Currency of value",
                "Deal - Stage",
                "Deal - Pipeline",
                "Deal - Owner",
                "Deal - Won time",
                "Deal - Lost time",
                "Deal - Deal closed on",
                "Deal - Title",
            )
        )
    }
SELECT {q("Deal - ID")} AS opportunity_id,
       {date(q("Deal - Deal created"), _DATES)} AS created_at,
       {number(q("Deal - Value"))} AS amount,
       {first("Deal - Currency", "Deal - Currency of value")} AS currency,
       {first("Deal - Stage")} AS stage,
       CASE WHEN {_STATUS} IN ('won', 'lost')
            THEN {date(first("Deal - Won time", "Deal - Lost time", "Deal - Deal closed on"), _DATES)} END AS closed_at,
       {_STATUS} AS outcome,
       {first("Deal - Owner")} AS owner,
       {first("Deal - Pipeline")} AS pipeline,
       {first("Deal - Title")} AS deal_name,
       "__row__"
FROM src
WHERE {_STATUS} IS DISTINCT FROM 'deleted'""",
)

SOURCES = (PIPEDRIVE_DEALS,)
