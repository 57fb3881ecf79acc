"""Google Analytics 4 "Traffic acquisition" download (CSV with ``#`` lines) -> traffic.

Documentation followed: no Google page on the download layout was found; the layout follows
a real export quoted in a public CSV-mapping spec and public parsers of these downloads:
a block of ``#`` lines (title, account, property, ``# Start date: YYYYMMDD``, ...), then the
header ``Session primary channel group (Default Channel Group), Date, Users, Sessions, ...``.
"Users" in GA4 standard reports is Active users (idimension.com, digitl.net); newer
downloads label it ``Active users``.

Value rules: visitors = ``Users``, else ``Active users``, else ``Total users``; one row per
month and channel, summing the daily rows (GA4 users are not additive across days: this is
"visitors as the sum of daily users", as METRICS.md's sum over P implies). ``Date`` is
``YYYYMMDD`` (a ``Month`` column ``YYYYMM`` is read too); a ``Grand total`` row is left out.
"""

from __future__ import annotations

from reportlib.inputs.sources._base import Source
from reportlib.inputs.sources._sql import first, number, with_optional

_CHANNEL = (
    "Session primary channel group (Default Channel Group)",
    "Session default channel group",
    "First user primary channel group (Default Channel Group)",
    "Default channel group",
)
_DAY = "try_strptime(TRIM(\"Date\"), ['%Y%m%d', '%Y-%m-%d'])"

GA4_TRAFFIC = Source(
    name="ga4_traffic",
    feeds="traffic",
    documentation="GA4 Reports > Acquisition > Traffic acquisition > Download CSV, as quoted in a public "
    "mapping spec and read by public parsers; Users = active users (idimension.com)",
    required=("Date", "Sessions"),
    sql=f"""{with_optional(_CHANNEL + ("Users", "Active users", "Total users"))}
SELECT CAST(date_trunc('month', {_DAY}) AS DATE) AS month,
       {first(*_CHANNEL)} AS channel,
       SUM({number(first("Users", "Active users", "Total users"))}) AS visitors,
       MIN("__row__") AS "__row__"
FROM src
WHERE lower(COALESCE({first(*_CHANNEL)}, '')) NOT IN ('grand total', 'total')
GROUP BY ALL
ORDER BY month, channel""",
    read={"comment": "#"},
)

SOURCES = (GA4_TRAFFIC,)
