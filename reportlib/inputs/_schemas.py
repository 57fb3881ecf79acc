"""The canonical inputs as data: columns, kinds, and the rules each value must meet.

A small declarative schema rather than pandera: every check has to report the file's own
row number and a sentence an analyst understands, which is easier to guarantee with
boolean masks we build ourselves than by rewriting a schema library's failure cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["id", "text", "month", "date", "number", "score", "category", "period"]


@dataclass(frozen=True)
class Col:
    """One canonical column.

    ``required``: must be mapped (or present under its own name, or given a default).
    ``nullable``: blank cells are allowed (otherwise a blank makes the row unusable).
    ``min``: smallest allowed number. ``allowed``: the values a category may take.
    ``blank_leaves``: what a blank cell (allowed) leaves out of the figures; rows with one
    are counted in a warning saying it.
    """

    kind: Kind
    required: bool = False
    nullable: bool = True
    min: float | None = None
    max: float | None = None
    allowed: tuple[str, ...] = ()
    blank_leaves: str | None = None


# What a cell of each kind holds. One file column can feed two canonical columns holding the
# same sort of value (a deal's stage and its outcome, a signup and a creation date), never
# two sorts: a month column read also as the channel makes every month a channel.
VALUE_SORTS: dict[Kind, str] = {
    "id": "text",
    "text": "text",
    "category": "text",
    "month": "a date",
    "date": "a date",
    "period": "a date",
    "number": "a number",
    "score": "a number",
}


def _req(kind: Kind, **kw) -> Col:
    return Col(kind, required=True, nullable=False, **kw)


REVENUE_TYPES = ("contracted_recurring", "uncontracted_recurring", "one_off")
BILLINGS = ("monthly", "quarterly", "annual", "upfront")
OUTCOMES = ("won", "lost", "open")

SCHEMAS: dict[str, dict[str, Col]] = {
    "mrr": {
        "customer_id": _req("id"),
        "month": _req("month"),
        "mrr": _req("number", min=0),
        "currency": Col("text"),
    },
    "contracts": {
        "contract_id": _req("id"),
        "customer_id": _req("id"),
        "start_date": _req("date"),
        "end_date": Col("date"),
        "signed_date": Col("date"),
        "tcv": Col("number", min=0),
        "mrr": Col("number", min=0),
        "revenue_type": _req("category", allowed=REVENUE_TYPES),
        "billing": _req("category", allowed=BILLINGS),
        "currency": Col("text"),
    },
    "transactions": {
        "customer_id": _req("id"),
        "date": _req("date"),
        # Refunds and credit notes are real negative revenue, so amounts may be negative.
        "amount": _req("number"),
        "currency": Col("text"),
    },
    "financials": {
        "month": _req("month"),
        "revenue": _req("number", min=0),
        "cogs": _req("number"),
        "sales_marketing": _req("number"),
        "research_development": Col("number"),
        "general_admin": Col("number"),
        "ebitda": Col("number"),
        "net_cash_flow": Col("number"),
        "cash_balance": Col("number"),
        "revenue_contracted_recurring": Col("number"),
        "revenue_uncontracted_recurring": Col("number"),
        "revenue_one_off": Col("number"),
        "currency": Col("text"),
    },
    "leads": {
        "lead_id": _req("id"),
        "created_at": _req("date"),
        "signup_at": Col("date"),
        "pql_at": Col("date"),
        "customer_at": Col("date"),
        "channel": Col("text"),
        "owner": Col("text"),
    },
    "traffic": {
        "month": _req("month"),  # or `date`, aggregated to months on load
        "date": Col("date"),
        "visitors": _req("number", min=0),
        "channel": Col("text"),
    },
    "opportunities": {
        "opportunity_id": _req("id"),
        "created_at": _req("date"),
        # Open deals often carry no value yet: blank amount is allowed, negative is not; but
        # the sums of amounts then count the priced deals only, which a user must be told.
        "amount": Col(
            "number",
            required=True,
            min=0,
            blank_leaves="pipeline created and deal size count the priced deals only",
        ),
        "stage": _req("text"),
        "closed_at": Col("date"),
        "outcome": _req("category", allowed=OUTCOMES),
        "source": Col("text"),
        "partner": Col("text"),
        "owner": Col("text"),
        "currency": Col("text"),
    },
    "targets": {
        "period": _req("period"),
        "metric": _req("text"),
        "target": _req("number"),
        "filter": Col("text"),
        "dimension": Col("text"),  # the filter under its DESIGN.md name
    },
    "usage": {
        "user_id": _req("id"),
        "date": _req("date"),
        "account_id": Col("id"),
        "feature": Col("text"),
    },
    "nps": {
        "responded_at": _req("date"),
        "score": _req("score", min=0, max=10),
        "customer_id": Col("id"),
    },
    # The company's own figures (its deck, its investor update). Periods are text here
    # (2026-09, 2026Q3 or FY2026): the reconciliation names a period or KPI id it cannot use.
    "reported": {
        "kpi": _req("text"),
        "period": _req("text"),
        "value": _req("number"),
    },
}

# Ids that must be unique within their input.
UNIQUE_KEYS: dict[str, tuple[str, ...]] = {
    "mrr": ("customer_id", "month"),
    "contracts": ("contract_id",),
    "leads": ("lead_id",),
    "opportunities": ("opportunity_id",),
}

# Inputs whose rows are added up with no id of their own: rows identical in every column
# are warned about (a repeated export would be counted twice; two equal charges can be real).
SUMMED_ROWS = ("transactions",)

# Monthly series in which a month missing inside the history is an error.
MONTHLY_SERIES = ("mrr", "financials", "traffic")

# What each optional input enables, for the "left out" note.
GIVES = {
    "mrr": "MRR movements, ARR, retention and cohorts",
    "contracts": "bookings, billings, recognized and deferred revenue, CARR",
    "transactions": "usage and payment revenue per customer",
    "financials": "gross margin, CAC, payback, burn multiple and Rule of 40",
    "leads": "the customer-journey funnel",
    "traffic": "visitor traffic and visitor-to-signup",
    "opportunities": "pipeline, win rate, deal size and sales cycle",
    "targets": "pipeline pacing against targets",
    "usage": "DAU/MAU and feature adoption",
    "nps": "NPS",
    "reported": "the company's own figures reconciled against the recomputed ones",
}

# Money columns, scaled by ``amount_unit = "cents"`` and checked for minor units.
MONEY: dict[str, tuple[str, ...]] = {
    "mrr": ("mrr",),
    "contracts": ("tcv", "mrr"),
    "transactions": ("amount",),
    "financials": tuple(c for c, col in SCHEMAS["financials"].items() if col.kind == "number"),
    "opportunities": ("amount",),
}
