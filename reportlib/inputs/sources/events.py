"""Raw event exports -> usage: Mixpanel (JSON lines, gzip) and Amplitude (zip of gzipped JSON lines).

Each record's nested objects (Mixpanel ``properties``, Amplitude ``groups``) reach the SQL
as JSON text and are read with DuckDB's JSON functions.

Mixpanel. Documentation followed: Mixpanel docs "Export Methods" and the Raw Event Export
API reference (one JSON object per line, ``{"event", "properties": {"time", "distinct_id",
"$insert_id", ...}}``, ``time`` in epoch seconds, UTC for projects created after 2023), and
"deduplication is not applied to raw data exports" (dedupe on event, distinct_id, time,
$insert_id). Rules: user_id = distinct_id, date = UTC date of ``time`` (milliseconds when
above 1e10, as PostHog's importer does), feature = event name (page views count as
activity), account_id = the group key ``company_id`` (else ``account_id``; a company with
another key adds ``compute``).

Amplitude. Documentation followed: Amplitude Export API doc (zipped archive of JSON files,
one event per line, UTC; fields ``user_id``, ``event_time``, ``event_type``, ``groups``,
``device_id``, ...). Rules: user_id = ``user_id`` (an anonymous event has none: the row
is reported and left out by the usual validation), date = ``event_time`` (not the upload
hour in the member's file name), feature = ``event_type``, account_id = the first value of
group type ``company`` (else ``account``).
"""

from __future__ import annotations

from reportlib.inputs.sources._base import Source
from reportlib.inputs.sources._sql import epoch, q, with_optional


def _field(obj: str, *paths: str) -> str:
    """A nested field, flattened by the reader (``properties.time``) or as JSON text in ``obj``."""
    parts = []
    for path in paths:
        parts.append(q(f"{obj}.{path}"))
        parts.append(f"json_extract_string({q(obj)}, '$.\"{path}\"')")
    return "COALESCE(" + ", ".join(f"NULLIF(TRIM({p}), '')" for p in parts) + ")"


def _flat(obj: str, *paths: str) -> tuple[str, ...]:
    return (obj,) + tuple(f"{obj}.{p}" for p in paths)


_MP_FIELDS = ("distinct_id", "time", "$insert_id", "company_id", "account_id")
_MP_TIME = _field("properties", "time")

MIXPANEL_EVENTS = Source(
    name="mixpanel_events",
    feeds="usage",
    documentation="Mixpanel docs 'Export Methods' and Raw Event Export API reference (JSONL, epoch "
    "seconds, no deduplication: event, distinct_id, time, $insert_id)",
    required=("event",),
    sql=f"""{with_optional(_flat("properties", *_MP_FIELDS))}
SELECT {_field("properties", "distinct_id")} AS user_id,
       CAST({epoch(_MP_TIME)} AS DATE) AS date,
       {_field("properties", "company_id", "account_id")} AS account_id,
       "event" AS feature,
       "__row__"
FROM src
-- an SDK retry sends the same event twice: keep the first line of each
QUALIFY row_number() OVER (PARTITION BY "event", {_field("properties", "distinct_id")}, {_MP_TIME},
                           {_field("properties", "$insert_id")} ORDER BY "__row__") = 1
ORDER BY "__row__"
""",
)

# groups is {group type: [values]}: the first value of type company (else account)
_GROUP = (
    "COALESCE("
    + ", ".join(
        f"json_extract_string({q(c)}, '$[0]'), NULLIF(TRIM({q(c)}), '')" for c in ("groups.company", "groups.account")
    )
    + ", json_extract_string(\"groups\", '$.company[0]'), json_extract_string(\"groups\", '$.account[0]'))"
)

AMPLITUDE_EVENTS = Source(
    name="amplitude_events",
    feeds="usage",
    documentation="Amplitude Export API doc (zip of gzipped JSON lines, UTC; user_id, event_time, event_type, groups)",
    required=("event_type", "event_time"),
    sql=f"""{with_optional(("user_id", "groups", "groups.company", "groups.account"))}
SELECT NULLIF(TRIM("user_id"), '') AS user_id,
       CAST(TRY_CAST(TRIM("event_time") AS TIMESTAMP) AS DATE) AS date,
       {_GROUP} AS account_id,
       "event_type" AS feature,
       "__row__"
FROM src""",
)

SOURCES = (MIXPANEL_EVENTS, AMPLITUDE_EVENTS)
