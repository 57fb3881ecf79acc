"""Stripe: the Dashboard subscriptions export and invoice line items, read as Stripe counts MRR.

Documentation followed
----------------------
- Stripe Billing analytics, metric definitions
  (https://docs.stripe.com/billing/subscriptions/analytics/glossary): MRR is the monthly
  normalised value of **active and past_due** subscriptions; trials, taxes, free plans
  and metered usage are not MRR; a subscription canceled or marked unpaid is churn.
- Stripe support, "Billing analytics" (https://support.stripe.com/questions/billing-analytics):
  an annual plan counts 1/12 per month (1,200/yr -> 100/month); trialing does not count.
- Stripe support, discounts and MRR
  (https://support.stripe.com/questions/impact-of-discounts-and-coupons-on-monthly-recurring-revenue-mrr-in-billing,
  https://support.stripe.com/questions/metric-configurations): by default a **forever**
  coupon reduces MRR; ``once`` and ``repeating`` coupons leave it unchanged.
- Subscription object fields (``canceled_at`` is when cancellation was requested,
  ``ended_at`` when the subscription ended; ``items.price.recurring.interval`` and
  ``interval_count``) and the invoice line item object (``amount`` in the smallest
  currency unit, ``period.start`` / ``period.end``, ``proration``, ``type``).
- Column names of the Dashboard export (``id``, ``Customer ID``, ``Plan``, ``Quantity``,
  ``Currency``, ``Interval``, ``Amount``, ``Status``, ``Created (UTC)``, ``Start Date (UTC)``
  -- older exports ``Start (UTC)`` --, ``Trial End (UTC)``, ``Canceled At (UTC)``,
  ``Ended At (UTC)``, ``Coupon``) and of the coupons export (``id``, ``Duration``,
  ``Percent Off``, ``Amount Off``), as public parsers of the real files read them.
  ``Amount`` in the Dashboard export is in major units ("33.00"), unlike the API.

``stripe_subscriptions`` (feeds contracts)
------------------------------------------
- Counted: ``active`` and ``past_due``; ``canceled`` keeps its paid history up to the
  day before ``Ended At`` (else ``Canceled At``, else the current period end); a
  canceled subscription that ended during its trial paid nothing and gives no row.
  Not counted: ``trialing``, ``incomplete``, ``incomplete_expired``, ``unpaid``, ``paused``.
- A trial that converted: the paid contract starts at ``Trial End``; signed at ``Created``.
- mrr = ``Amount`` x ``Quantity`` (blank = 1) / months per period, months = interval
  count x (1 for ``month``, 12 for ``year``), less a **forever** coupon: x (1 - percent
  off / 100), and - amount off / months. Rounded to the cent. ``day`` and ``week``
  intervals give no mrr, so validation names the row (Stripe's own weekly factor is not
  documented).
- billing: monthly (1 month), quarterly (3), annual (12); other periods are left blank
  and validation names the row.
- ``Interval`` is the price's ``recurring.interval``, "one of day, week, month or year"
  (Stripe API reference, Price object, as the official libraries' docs quote it): any other
  value (``yearly``, ``monthly``) is an error naming the rows and the four values.
- Dates are written ``2026-01-05 10:12`` in the export. A date cell in another form (the
  file re-saved by a spreadsheet as ``13/05/2024 10:00``) is read with the input's
  ``date_format`` / ``dayfirst``, in one day/month order for the whole file (a spreadsheet
  re-saves every date alike): day first when a day above 12 in any date column shows it
  (``Canceled At`` ``10/03/2026`` is 10 March when ``Created`` has ``20/01/2026``, with a
  warning naming that column), else month first with a warning; a cell that still cannot
  be read is an error naming it and those keys.
- Coupons: the export names the coupon by id only; its terms come from the coupons
  export given as ``[[inputs.contracts.join]]`` (a file whose name contains "coupon").
  A coupon id absent from that file stops the run with the ids and rows: the MRR would
  be overstated otherwise.

Assumptions where the docs are silent: ``Amount`` is the unit price per seat (it is
multiplied by ``Quantity``); the export has no interval-count column in the files seen,
so ``Interval Count`` is read when present and is 1 otherwise; coupon ``Amount Off`` is
in major units like ``Amount``; only the subscription's own coupon is known (customer
discounts are not in the export). The export is a snapshot: each subscription is valued
at its price, quantity and coupon on the export day for its whole history.

``stripe_invoice_lines`` (feeds contracts)
------------------------------------------
A Stripe Sigma result of ``invoice_line_items`` joined to ``invoices`` for
``customer_id`` and the invoice ``status`` (as ``invoice_status``), downloaded as CSV.
One contract per recurring line (``type = subscription``, not a ``proration``) of a
``paid`` or ``open`` invoice, serving ``period_start`` to the day before ``period_end``;
mrr = ``amount`` / 100 (cents) / whole months in the period. Left out: prorations
(true-ups, not run-rate), invoice items (one-off charges), ``void``, ``draft`` and
``uncollectible`` invoices. Assumptions: ``period_end`` is the instant the next period
starts; ``amount`` is before invoice-level discounts (this export has no discount
column); a line of less than a month (daily or weekly prices) has no mrr and validation
names it; a line whose period is not 1, 3 or 12 months is billed ``upfront`` (it is one
invoice for its whole period).
"""

from __future__ import annotations

from reportlib.inputs.sources._base import Source
from reportlib.inputs.sources._sql import number, timestamp, with_optional_columns

_SUBSCRIPTIONS_SQL = f"""
WITH s AS (
    SELECT
        "__row__",
        trim("id")                                AS contract_id,
        trim("Customer ID")                       AS customer_id,
        lower(trim("Status"))                     AS status,
        lower(trim("Interval"))                   AS interval_unit,
        {number('"Interval Count"', "'1'", exact=True)}   AS interval_count,
        {number('"Amount"', exact=True)}                  AS unit_amount,
        {number('"Quantity"', "'1'", exact=True)}         AS quantity,
        nullif(trim("Coupon"), '')                AS coupon_id,
        upper(nullif(trim("Currency"), ''))       AS currency,
        nullif(trim("Plan"), '')                  AS plan,
        {timestamp('"Created (UTC)"')}        AS created_at,
        coalesce({timestamp('"Start Date (UTC)"')}, {timestamp('"Start (UTC)"')},
                 {timestamp('"Created (UTC)"')}) AS start_at,
        {timestamp('"Trial End (UTC)"')}      AS trial_end_at,
        coalesce({timestamp('"Ended At (UTC)"')}, {timestamp('"Canceled At (UTC)"')},
                 {timestamp('"Current Period End (UTC)"')}) AS ended_at
    FROM {
    with_optional_columns(
        "export",
        [
            "Interval Count",
            "Start Date (UTC)",
            "Start (UTC)",
            "Trial End (UTC)",
            "Ended At (UTC)",
            "Canceled At (UTC)",
            "Current Period End (UTC)",
            "Coupon",
            "Currency",
            "Plan",
        ],
    )
}
), c AS (
    SELECT
        trim("id")                                AS coupon_id,
        lower(trim("Duration"))                   AS duration,
        {number('"Percent Off"', exact=True)}             AS percent_off,
        {number('"Amount Off"', exact=True)}              AS amount_off
    FROM coupons
), unknown AS (
    SELECT string_agg(DISTINCT s.coupon_id, ', ' ORDER BY s.coupon_id) AS ids,
           string_agg(CAST(s."__row__" AS VARCHAR), ', ' ORDER BY s."__row__") AS rows_
    FROM s LEFT JOIN c USING (coupon_id)
    WHERE s.coupon_id IS NOT NULL AND c.coupon_id IS NULL
      AND s.status IN ('active', 'past_due', 'canceled')
), n AS (
    SELECT
        s.*,
        s.interval_count * CASE s.interval_unit WHEN 'month' THEN 1 WHEN 'year' THEN 12 END AS months,
        CASE WHEN c.duration = 'forever' THEN c.percent_off END AS pct,
        CASE WHEN c.duration = 'forever' THEN c.amount_off END  AS amt,
        CAST(greatest(s.start_at, coalesce(s.trial_end_at, s.start_at)) AS DATE) AS paid_start,
        CASE WHEN s.status = 'canceled' THEN CAST(s.ended_at AS DATE) - 1 END AS paid_end
    FROM s LEFT JOIN c USING (coupon_id)
)
SELECT
    contract_id,
    customer_id,
    paid_start                                    AS start_date,
    paid_end                                      AS end_date,
    CAST(created_at AS DATE)                      AS signed_date,
    CASE WHEN (SELECT ids FROM unknown) IS NOT NULL
         THEN error('The Coupon column names coupons that are not in the coupons file: '
                    || (SELECT ids FROM unknown) || ' (rows ' || (SELECT rows_ FROM unknown)
                    || '). Give the Stripe coupons export (Dashboard > Coupons > Export) as '
                    || '[[inputs.contracts.join]] path = "coupons.csv", with every coupon used.')
         ELSE CAST(round(unit_amount * quantity / months * (1 - coalesce(pct, 0) / 100)
                         - coalesce(amt, 0) / months, 2) AS DOUBLE)
    END                                           AS mrr,
    'contracted_recurring'                        AS revenue_type,
    CASE months WHEN 1 THEN 'monthly' WHEN 3 THEN 'quarterly' WHEN 12 THEN 'annual' END AS billing,
    currency,
    plan,
    "__row__"
FROM n
WHERE status IN ('active', 'past_due')
   OR (status = 'canceled' AND paid_end >= paid_start)
"""

SUBSCRIPTIONS = Source(
    name="stripe_subscriptions",
    feeds="contracts",
    documentation=(
        "the Stripe Dashboard subscriptions export (Subscriptions > Export, CSV), valued "
        "by Stripe's Billing analytics MRR rules (docs.stripe.com/billing/subscriptions/"
        "analytics/glossary)"
    ),
    required=("id", "Customer ID", "Status", "Quantity", "Interval", "Amount", "Created (UTC)"),
    sql=_SUBSCRIPTIONS_SQL,
    side_tables={"coupons": "*coupon*"},
    optional_tables={"coupons": ("id", "Duration", "Percent Off", "Amount Off")},
    units={"Amount": "major", "Amount Off": "major"},
    currency="Currency",
    dates=(
        "Created (UTC)",
        "Start Date (UTC)",
        "Start (UTC)",
        "Trial End (UTC)",
        "Canceled At (UTC)",
        "Ended At (UTC)",
        "Current Period End (UTC)",
    ),
    allowed={"Interval": ("day", "week", "month", "year")},
)

_INVOICE_LINES_SQL = f"""
WITH l AS (
    SELECT
        "__row__",
        trim("id")                                AS contract_id,
        trim("customer_id")                       AS customer_id,
        lower(trim("type"))                       AS line_type,
        lower(trim("proration")) IN ('true', 't', '1') AS is_proration,
        lower(coalesce(nullif(trim("invoice_status"), ''), 'paid')) AS invoice_status,
        {number('"amount"', exact=True)}                  AS amount_minor,
        upper(nullif(trim("currency"), ''))       AS currency,
        nullif(trim("price_id"), '')              AS plan,
        {timestamp('"period_start"')}         AS ps,
        {timestamp('"period_end"')}           AS pe
    FROM {with_optional_columns("export", ["invoice_status", "currency", "price_id"])}
), m AS (
    SELECT *, date_diff('month', ps, pe) AS months FROM l
)
SELECT
    contract_id,
    customer_id,
    CAST(ps AS DATE)                              AS start_date,
    CAST(pe AS DATE) - 1                          AS end_date,
    CAST(ps AS DATE)                              AS signed_date,
    CAST(round(amount_minor / 100 / nullif(months, 0), 2) AS DOUBLE) AS mrr,
    'contracted_recurring'                        AS revenue_type,
    CASE months WHEN 1 THEN 'monthly' WHEN 3 THEN 'quarterly' WHEN 12 THEN 'annual'
                ELSE 'upfront' END                AS billing,
    currency,
    plan,
    "__row__"
FROM m
WHERE line_type = 'subscription'
  AND NOT coalesce(is_proration, false)
  AND invoice_status IN ('paid', 'open')
"""

INVOICE_LINES = Source(
    name="stripe_invoice_lines",
    feeds="contracts",
    documentation=(
        "a Stripe Sigma result of invoice_line_items joined to invoices (customer_id, "
        "invoice_status), amounts in cents, one row per billed period"
    ),
    required=("id", "customer_id", "type", "proration", "amount", "period_start", "period_end"),
    sql=_INVOICE_LINES_SQL,
    units={"amount": "cents"},
)

SOURCES = (
    SUBSCRIPTIONS,
    INVOICE_LINES,
)
