"""Baremetrics: the manual subscription import sheet (the template Baremetrics asks for).

Documentation followed
----------------------
- Baremetrics, Manual Subscription Import Guide
  (https://help.baremetrics.com/en/articles/5380088-manual-subscription-import-guide) and
  its template sheet: columns ``plan_oid``, ``plan_name``, ``plan_currency``,
  ``plan_amount`` (**integer cents**: $50.00 = 5000), ``plan_interval`` (``month`` or
  ``year``; quarterly = ``month`` with count 3), ``plan_interval_count``,
  ``customer_oid``, ``customer_name``, ``customer_email``, ``subscription_oid``,
  ``subscription_started_at``, ``subscription_canceled_at`` (``YYYY-MM-DD`` only; "a
  cancelation date - not period end"), ``subscription_quantity`` (optional, default 1).
- Baremetrics, Manual subscriptions
  (https://help.baremetrics.com/en/articles/5380076-manual-subscriptions): a plan change
  is a cancellation and a new subscription; MRR counts as new on the start date.

MRR rules applied (feeds contracts)
-----------------------------------
- Every row is a paying subscription (the sheet has no status or trial column) serving
  ``subscription_started_at`` to the day before ``subscription_canceled_at`` (blank =
  open-ended); signed on its start date.
- mrr = ``plan_amount`` / 100 x ``subscription_quantity`` (blank = 1) / months per
  period, months = ``plan_interval_count`` (blank = 1) x (1 for ``month``, 12 for
  ``year``). Rounded to the cent. billing: monthly, quarterly or annual for 1, 3 or 12
  months, else blank (validation names the row).
- Dates must be ``YYYY-MM-DD`` as Baremetrics requires: an unreadable start is a blank
  start date (validation names the row); an unreadable cancellation date stops the run
  with its row, since reading it as "not canceled" would overstate MRR.
- A sheet sent with the template's example rows above the header is read from the
  header row (``header_row = "auto"``).

Assumptions where the docs are silent: the cancellation date is the first day without
MRR (so the inclusive end is the day before); ``plan_amount`` is per unit (multiplied by
the quantity); ``week`` intervals give no mrr (Baremetrics' weekly factor is not
documented), so validation names the row.
"""

from __future__ import annotations

from reportlib.inputs.sources._base import Source
from reportlib.inputs.sources._sql import number, with_optional_columns

_SQL = f"""
WITH s AS (
    SELECT
        "__row__",
        trim("subscription_oid")                                AS contract_id,
        trim("customer_oid")                                    AS customer_id,
        {number('"plan_amount"', exact=True)}                           AS amount_cents,
        lower(trim("plan_interval"))                            AS interval_unit,
        {number('"plan_interval_count"', "'1'", exact=True)}            AS interval_count,
        {number('"subscription_quantity"', "'1'", exact=True)}          AS quantity,
        upper(nullif(trim("plan_currency"), ''))                AS currency,
        coalesce(nullif(trim("plan_name"), ''), nullif(trim("plan_oid"), '')) AS plan,
        CAST(try_strptime(trim("subscription_started_at"), '%Y-%m-%d') AS DATE) AS started,
        nullif(trim("subscription_canceled_at"), '')            AS canceled_text
    FROM {
    with_optional_columns(
        "export",
        [
            "plan_interval_count",
            "subscription_quantity",
            "plan_currency",
            "plan_name",
            "plan_oid",
            "subscription_canceled_at",
        ],
    )
}
), n AS (
    SELECT *,
        interval_count * CASE interval_unit WHEN 'month' THEN 1 WHEN 'year' THEN 12 END AS months,
        CASE WHEN canceled_text IS NOT NULL THEN coalesce(
            CAST(try_strptime(canceled_text, '%Y-%m-%d') AS DATE),
            error('Row ' || "__row__" || ': subscription_canceled_at "' || canceled_text
                  || '" is not a date written YYYY-MM-DD (the only format Baremetrics accepts).'))
        END AS canceled
    FROM s
)
SELECT
    contract_id,
    customer_id,
    started                                        AS start_date,
    canceled - 1                                   AS end_date,
    started                                        AS signed_date,
    CAST(round(amount_cents / 100 * quantity / months, 2) AS DOUBLE) AS mrr,
    'contracted_recurring'                         AS revenue_type,
    CASE months WHEN 1 THEN 'monthly' WHEN 3 THEN 'quarterly' WHEN 12 THEN 'annual' END AS billing,
    currency,
    plan,
    "__row__"
FROM n
"""

SOURCE = Source(
    name="baremetrics_subscriptions",
    feeds="contracts",
    documentation=(
        "the Baremetrics manual subscription import sheet (help.baremetrics.com "
        "'Manual Subscription Import Guide'), plan_amount in cents"
    ),
    required=("plan_amount", "plan_interval", "customer_oid", "subscription_oid", "subscription_started_at"),
    sql=_SQL,
    read={"header_row": "auto"},
    units={"plan_amount": "cents"},
    currency="plan_currency",
)

SOURCES = (SOURCE,)
