"""NPS survey responses -> nps: Delighted (API JSON) and Typeform (Responses > Download CSV).

Delighted. Documentation followed: Delighted API "Listing survey responses"
(``GET /v1/survey_responses.json``: a JSON array, ``created_at`` Unix seconds, ``score``
0-10, ``survey_type``, ``person_properties``) and "Adding survey responses"
(``person_properties[customer_id]`` as the customer key). Rules: responded_at =
``created_at`` read as UTC epoch seconds (``updated_at`` changes when a comment is edited:
never used), score = ``score``, customer_id = person property ``customer_id``; responses of
another survey type (csat, ces: other scales) are not NPS and are left out. Not covered:
the web app's CSV download (no sample seen).

Typeform. Documentation followed: no Typeform page on the download was found; the layout
follows real downloads pasted in public repositories: ``#`` (response token), one column per
question headed by the question text, hidden fields by name, ``Response Type``,
``Start Date (UTC)``, ``Stage Date (UTC)``, ``Submit Date (UTC)``, ``Network ID``. Rules:
responded_at = Submit Date (not Start Date), score = the column whose header asks "how
likely ... recommend" (or a column named ``score``/``nps``), customer_id = hidden field
``customer_id``; partial responses (no Submit Date, Response Type ``partial``) are left out.
"""

from __future__ import annotations

from reportlib.inputs.sources._base import Source
from reportlib.inputs.sources._sql import epoch, q, timestamp, with_optional

DELIGHTED_RESPONSES = Source(
    name="delighted_responses",
    feeds="nps",
    documentation="Delighted API 'Listing survey responses' and 'Adding survey responses' "
    "(JSON array, created_at Unix seconds, person_properties.customer_id)",
    required=("score", "created_at", "survey_type"),
    sql=f"""{with_optional(("person_properties", "person_properties.customer_id"))}
SELECT {epoch(q("created_at"))} AS responded_at,
       TRY_CAST(TRIM("score") AS DOUBLE) AS score,
       COALESCE(NULLIF(TRIM("person_properties.customer_id"), ''),
                json_extract_string("person_properties", '$.customer_id')) AS customer_id,
       "__row__"
FROM src
WHERE lower(COALESCE(TRIM("survey_type"), 'nps')) = 'nps'""",
)

_NPS_QUESTION = r"(?i)^(score|nps)$|how likely.*recommend"

TYPEFORM_RESPONSES = Source(
    name="typeform_responses",
    feeds="nps",
    documentation="Typeform Results > Responses > Download CSV as in real downloads pasted in public "
    "repositories (question text headers, Response Type, Submit Date (UTC))",
    required=("#", "Submit Date (UTC)"),
    sql=f"""{with_optional(("Response Type", "customer_id"))}
SELECT {timestamp(q("Submit Date (UTC)"), ("%Y-%m-%d %H:%M:%S",))} AS responded_at,
       TRY_CAST(TRIM(COLUMNS('{_NPS_QUESTION}')) AS DOUBLE) AS score,
       NULLIF(TRIM("customer_id"), '') AS customer_id,
       "__row__"
FROM src
WHERE NULLIF(TRIM({q("Submit Date (UTC)")}), '') IS NOT NULL
  AND lower(COALESCE(TRIM("Response Type"), 'completed')) <> 'partial'""",
)

SOURCES = (DELIGHTED_RESPONSES, TYPEFORM_RESPONSES)
