"""Chargebee: the "Export Data" subscriptions zip, read as Chargebee counts Regular MRR.

Documentation followed
----------------------
- Chargebee API, Exports (https://apidocs.chargebee.com/docs/api/exports): the
  subscriptions export is a zip of CSV files: ``Subscriptions.csv``,
  ``SubscriptionAddons.csv``, ``SubscriptionCoupons.csv``, ...
- Chargebee, Flexi MRR vs Regular MRR
  (https://www.chargebee.com/docs/billing/2.0/reports-and-analytics/flexi-mrr-vs-regular-mrr):
  MRR is the recurring components of a subscription (plan and **recurring addons**, less
  recurring coupons); charges, non-recurring addons, metered components and one-time
  coupons are not MRR.
- Chargebee KB, subscriptions changing in the future: a ``Future`` subscription is not in
  the current month's MRR.
- Column names as public merge and migration scripts of this export read them:
  ``subscriptions.id``, ``customers.id``, ``subscriptions.plan_id``,
  ``subscriptions.plan_quantity``, ``subscriptions.plan_unit_price`` (**major units**: the
  scripts multiply it by 100 for the API), ``subscriptions.status`` (written as labels:
  ``Active``, ``Non Renewing``, ``Cancelled``), ``subscriptions.start_date``,
  ``subscriptions.started_at``, ``subscriptions.trial_end``,
  ``subscriptions.current_term_start`` / ``_end``, ``subscriptions.created_at``,
  ``subscriptions.cancelled_at``; the addons file ``Subscription Id``, ``Addon Id``,
  ``Addon Quantity``, ``Addon Unit Price``, ``Addon Amount``.

MRR rules applied (feeds contracts)
-----------------------------------
- Counted: ``Active``; ``Non Renewing`` up to the day before its ``current_term_end``;
  ``Cancelled`` keeps its history up to the day before ``cancelled_at`` (no row when it
  was cancelled before it started paying). Not counted: ``In Trial``, ``Future``,
  ``Paused``. The API's snake_case values (``in_trial``) are read the same.
- A trial that converted pays from ``trial_end`` (start = the later of ``started_at``, else
  ``start_date``, and ``trial_end``); signed at ``created_at``.
- mrr = (``plan_quantity`` (blank = 1) x ``plan_unit_price`` + the sum over the
  subscription's addons of ``Addon Quantity`` x ``Addon Unit Price`` (else
  ``Addon Amount``)) / months per period, months = ``billing_period`` x (1 for
  ``month``, 12 for ``year``); without those columns, the whole months of the current
  term. Rounded to the cent. billing: monthly, quarterly or annual for 1, 3 or 12
  months, else blank (validation names the row).
- The addons file comes as ``[[inputs.contracts.join]]`` (a file whose name contains
  "addon"); without it the plan alone is MRR.

Assumptions where the docs are silent: ``subscriptions.billing_period`` and
``subscriptions.billing_period_unit`` follow the export's ``subscriptions.<API
attribute>`` naming (not seen in a sample; Plans & Addons sites keep the period on the
plan, hence the current-term fallback); addon prices are in major units like the plan's
and every addon in the file is recurring; coupons are not applied
(``SubscriptionCoupons.csv`` holds only ids, not terms); dates are ``YYYY-MM-DD[
HH:MM:SS]``. The export is a snapshot: each subscription is valued at its plan,
quantity and addons on the export day for its whole history.
"""

from __future__ import annotations

from reportlib.inputs.sources._base import Source
from reportlib.inputs.sources._sql import number, timestamp, with_optional_columns

_SQL = f"""
WITH a AS (
    SELECT trim("Subscription Id") AS contract_id,
           sum(coalesce({number('"Addon Quantity"', "'1'", exact=True)} * {number('"Addon Unit Price"', exact=True)},
                        {number('"Addon Amount"', exact=True)})) AS addon_amount
    FROM addons
    GROUP BY 1
), s AS (
    SELECT
        "__row__",
        trim("subscriptions.id")                                      AS contract_id,
        trim("customers.id")                                          AS customer_id,
        replace(lower(trim("subscriptions.status")), '_', ' ')        AS status,
        {number('"subscriptions.plan_quantity"', "'1'", exact=True)}          AS quantity,
        {number('"subscriptions.plan_unit_price"', exact=True)}               AS unit_price,
        {number('"subscriptions.billing_period"', "'1'", exact=True)}         AS period,
        lower(trim("subscriptions.billing_period_unit"))              AS period_unit,
        upper(nullif(trim("subscriptions.currency_code"), ''))        AS currency,
        nullif(trim("subscriptions.plan_id"), '')                     AS plan,
        coalesce({timestamp('"subscriptions.started_at"')},
                 {timestamp('"subscriptions.start_date"')})       AS started_at,
        {timestamp('"subscriptions.trial_end"')}                  AS trial_end,
        {timestamp('"subscriptions.current_term_start"')}         AS term_start,
        {timestamp('"subscriptions.current_term_end"')}           AS term_end,
        {timestamp('"subscriptions.created_at"')}                 AS created_at,
        {timestamp('"subscriptions.cancelled_at"')}               AS cancelled_at
    FROM {
    with_optional_columns(
        "export",
        [
            "subscriptions.billing_period",
            "subscriptions.billing_period_unit",
            "subscriptions.currency_code",
            "subscriptions.plan_id",
            "subscriptions.started_at",
            "subscriptions.start_date",
            "subscriptions.trial_end",
            "subscriptions.current_term_start",
            "subscriptions.current_term_end",
            "subscriptions.cancelled_at",
        ],
    )
}
), n AS (
    SELECT s.*,
        coalesce(a.addon_amount, 0) AS addon_amount,
        CASE WHEN s.period_unit IS NULL THEN date_diff('month', s.term_start, s.term_end)
             ELSE s.period * CASE s.period_unit WHEN 'month' THEN 1 WHEN 'year' THEN 12 END
        END AS months,
        CAST(greatest(s.started_at, coalesce(s.trial_end, s.started_at)) AS DATE) AS paid_start,
        CASE s.status
            WHEN 'cancelled'    THEN CAST(s.cancelled_at AS DATE) - 1
            WHEN 'non renewing' THEN CAST(s.term_end AS DATE) - 1
        END AS paid_end
    FROM s LEFT JOIN a USING (contract_id)
)
SELECT
    contract_id,
    customer_id,
    paid_start                                   AS start_date,
    paid_end                                     AS end_date,
    CAST(created_at AS DATE)                     AS signed_date,
    CAST(round((quantity * unit_price + addon_amount) / nullif(months, 0), 2) AS DOUBLE) AS mrr,
    'contracted_recurring'                       AS revenue_type,
    CASE months WHEN 1 THEN 'monthly' WHEN 3 THEN 'quarterly' WHEN 12 THEN 'annual' END AS billing,
    currency,
    plan,
    "__row__"
FROM n
WHERE status IN ('active', 'non renewing')
   OR (status = 'cancelled' AND paid_end >= paid_start)
"""

SOURCE = Source(
    name="chargebee_subscriptions",
    feeds="contracts",
    documentation=(
        "Chargebee's Export Data > Subscriptions zip: Subscriptions.csv (with "
        "SubscriptionAddons.csv as a join), valued by Chargebee's Regular MRR "
        "(chargebee.com/docs/billing/2.0/reports-and-analytics/flexi-mrr-vs-regular-mrr)"
    ),
    required=(
        "subscriptions.id",
        "customers.id",
        "subscriptions.status",
        "subscriptions.plan_quantity",
        "subscriptions.plan_unit_price",
        "subscriptions.created_at",
    ),
    sql=_SQL,
    side_tables={"addons": "*addon*"},
    optional_tables={"addons": ("Subscription Id", "Addon Id", "Addon Quantity", "Addon Unit Price", "Addon Amount")},
    units={"subscriptions.plan_unit_price": "major", "Addon Unit Price": "major", "Addon Amount": "major"},
    currency="subscriptions.currency_code",
)

SOURCES = (SOURCE,)
