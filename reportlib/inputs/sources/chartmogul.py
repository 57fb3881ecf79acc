"""ChartMogul: the MRR movements (activities) export, turned into month-end MRR per customer.

Documentation followed
----------------------
- ChartMogul, Destinations > Calculated data > MRR Movements
  (https://dev.chartmogul.com/docs/destinations/calculated-data/mrr-movements): columns
  ``DATE`` (time of the activity), ``CUSTOMER_NAME``, ``MRR_MOVEMENT`` (the change in
  MRR, positive or negative, **integer cents** of the account currency: "divide by
  100"), ``MRR`` (MRR after the activity), ``DESCRIPTION``, ``MOVEMENT_TYPE``
  (``new_biz``, ``expansion``, ``contraction``, ``churn``, ``reactivation``),
  ``CURRENCY_CODE``, ``CUSTOMER_EXTERNAL_ID``, ``CUSTOMER_UUID``,
  ``SUBSCRIPTION_EXTERNAL_ID``, ``PLAN_EXTERNAL_ID``, ``UUID``, ``RANK``, ...
- ChartMogul API, List activities and activities export
  (https://dev.chartmogul.com/reference/activities/list): the same fields
  (``activity-mrr-movement`` in cents, e.g. new_biz 6000 = 60.00).

MRR rules applied (feeds mrr)
-----------------------------
- ChartMogul has already applied its own rules (trials, discounts, intervals,
  quantities) to every movement; the source only keeps the balance:
  mrr(c, m) = the sum of customer c's ``MRR_MOVEMENT`` dated on or before the end of
  month m, / 100.
- Customer: ``CUSTOMER_EXTERNAL_ID``, else ``CUSTOMER_UUID``. Month: the calendar month of
  ``DATE`` as written.
- One row per customer per month while its MRR is not 0, from its first movement to the
  last month of the file (the month spine runs over every month in the file). Movements
  within a month net out: the canonical input is a month-end balance, so reportlib
  re-derives new / expansion / churn from it (METRICS.md), which may differ from
  ChartMogul's own per-activity labels inside a month.
- ``"__row__"`` of a customer-month is the row of the customer's latest movement on or
  before that month (the one that set the balance). A movement with an unreadable date
  or amount is passed on as its own row with a blank month or mrr, so validation names
  it; it does not enter any balance.
- ``CURRENCY_CODE`` is the invoice's currency while the amounts are already in the
  account currency, so no currency column is given (it must not be converted twice).

Assumptions where the docs are silent: the CSV header of the in-app and API exports is
not documented, so the documented MRR Movements dataset names are required (an API-style
file, ``activity-mrr-movement``, ``date``, ``customer-uuid``..., needs its header renamed
to them; the rule is unchanged). A running balance below 0 (an export that starts after a customer's
``new_biz``) is kept, so validation reports a negative MRR at that row.
"""

from __future__ import annotations

from reportlib.inputs.sources._base import Source
from reportlib.inputs.sources._sql import number, timestamp, with_optional_columns

_SQL = f"""
WITH a AS (
    SELECT
        "__row__",
        coalesce(nullif(trim("CUSTOMER_EXTERNAL_ID"), ''), trim("CUSTOMER_UUID")) AS customer_id,
        CAST(date_trunc('month', {timestamp('"DATE"')}) AS DATE) AS month_start,
        {number('"MRR_MOVEMENT"', exact=True)}                                          AS movement_cents
    FROM {with_optional_columns("export", ["CUSTOMER_EXTERNAL_ID"])}
), good AS (
    SELECT * FROM a WHERE month_start IS NOT NULL AND movement_cents IS NOT NULL
), per_month AS (
    SELECT customer_id, month_start, sum(movement_cents) AS movement_cents, max("__row__") AS last_row
    FROM good GROUP BY 1, 2
), months AS (
    SELECT CAST(generate_series AS DATE) AS month_start
    FROM generate_series((SELECT min(month_start) FROM good), (SELECT max(month_start) FROM good),
                         INTERVAL 1 MONTH)
), grid AS (
    SELECT c.customer_id, m.month_start
    FROM (SELECT customer_id, min(month_start) AS first_month FROM good GROUP BY 1) c
    JOIN months m ON m.month_start >= c.first_month
), running AS (
    SELECT g.customer_id, g.month_start,
           sum(coalesce(p.movement_cents, 0)) OVER w AS mrr_cents,
           last_value(p.last_row IGNORE NULLS) OVER w AS row_
    FROM grid g LEFT JOIN per_month p USING (customer_id, month_start)
    WINDOW w AS (PARTITION BY g.customer_id ORDER BY g.month_start
                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
)
SELECT customer_id, month_start AS month, CAST(mrr_cents / 100 AS DOUBLE) AS mrr, row_ AS "__row__"
FROM running
WHERE mrr_cents <> 0
UNION ALL
SELECT customer_id, month_start, CAST(movement_cents / 100 AS DOUBLE), "__row__"
FROM a
WHERE month_start IS NULL OR movement_cents IS NULL
"""

SOURCE = Source(
    name="chartmogul_activities",
    feeds="mrr",
    documentation=(
        "ChartMogul's MRR movements (activities) export, the documented MRR Movements "
        "dataset (dev.chartmogul.com/docs/destinations/calculated-data/mrr-movements), "
        "MRR_MOVEMENT in cents"
    ),
    required=("DATE", "MRR_MOVEMENT", "CUSTOMER_UUID"),
    sql=_SQL,
    units={"MRR_MOVEMENT": "cents", "MRR": "cents"},
)

SOURCES = (SOURCE,)
