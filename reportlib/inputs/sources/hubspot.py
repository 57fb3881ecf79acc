"""HubSpot CRM exports: deals -> opportunities, contacts -> leads.

Documentation followed: the HubSpot export steps and columns of bbecht/demand-gen-claude-skills
(``pipeline-leak-finder/references/export-guide.md``: CRM > Deals > Export > CSV with
``Record ID, Deal Name, Pipeline, Deal Stage, Amount, Create Date, Close Date``; dates
``YYYY-MM-DD HH:MM``), HubSpot's deal property labels (``Deal owner``, ``Is Closed Won`` for
``hs_is_closed_won``) and contact lifecycle-stage date properties (``Became a Lead Date``,
``Became a Marketing Qualified Lead Date``, ``Became a Sales Qualified Lead Date``,
``Became an Opportunity Date``, ``Became a Customer Date``) as printed by real portals.

Deals: outcome comes from HubSpot's own fields, not a stage list: ``Is Closed Won`` true ->
won; ``Is Closed Lost`` true, or the stage ``Closed Lost`` / ``closedlost`` -> lost;
otherwise ``Closed Won`` / ``closedwon`` -> won (an export without the flag), else open.
Custom pipelines have their own stages (ids like ``12345678``, labels like ``Signed``):
``[inputs.opportunities.values.outcome]`` names them (``"Signed" = "won"``) and wins over the
rules above; its ``"*"`` covers only the deals those rules leave open. A pipeline in which
no deal is won or lost while some stage is not one of the default pipeline's open stages
(Appointment Scheduled, Qualified To Buy, Presentation Scheduled, Decision Maker Bought-In,
Contract Sent) gives a warning naming the pipeline, its stages and the mapping to add. Each
pipeline is checked on its own: "each object stage is a member of exactly one pipeline"
and an account "might have one pipeline for New Sales and another for Contract Renewals"
(HubSpot CRM Pipelines API overview, developers.hubspot.com/docs/methods/pipelines/
pipelines_overview), so a Sales Pipeline's Closed Won deal says nothing of a Renewals
pipeline's ``Renewed`` / ``Churned``.
The Close Date of an open deal is its expected date and is not ``closed_at``. Pipeline is
kept as the dimension ``pipeline`` (every pipeline counts unless ``where`` says otherwise).
Assumed: the flag printed as true/false.

Currency (multi-currency portals): HubSpot's deal property ``deal_currency_code`` (developer
changelog "Enforcing Deal Currency Code Validation"; exported under its label ``Currency``,
``Deal Currency Code`` read too) is the currency of ``Amount``, given as ``currency`` so that
the company's ``[fx]`` rates convert it (without ``[fx]`` a deal in another currency is an
error naming its rows). ``amount_in_home_currency`` (``AMOUNTINHOMECURRENCY`` in HubSpot's
data connectors; exported as ``Amount in company currency``, older portals ``Amount in home
currency``), when the export has it, is HubSpot's own conversion into the company currency
and is used instead, with no currency (it must not be converted twice).

Contacts: lead_id = Record ID, created_at = Create Date, signup_at = Became a Lead Date,
pql_at = Became a Marketing Qualified Lead Date (HubSpot has no PQL: MQL is the nearest
stage, a policy the pack states), customer_at = Became a Customer Date, channel = Original
Source, owner = Contact owner; SQL and opportunity dates and the lifecycle stage kept as
dimensions.
"""

from __future__ import annotations

from reportlib.inputs.sources._base import Source
from reportlib.inputs.sources._crm import unmapped_stages
from reportlib.inputs.sources._sql import date, first, label, number, q, translated, truthy, with_optional

_HUBSPOT_DATES = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%m/%d/%Y %H:%M", "%m/%d/%Y")
_STAGE = label(q("Deal Stage"))
_WON = f"COALESCE({truthy(q('Is Closed Won'))}, {_STAGE} = 'closedwon')"
_LOST = f"(COALESCE({truthy(q('Is Closed Lost'))}, false) OR {_STAGE} = 'closedlost')"
_OUTCOME = translated(
    "outcome", q("Deal Stage"), f"CASE WHEN {_WON} THEN 'won' WHEN {_LOST} THEN 'lost' ELSE 'open' END"
)
#: The default sales pipeline's open stages (labels; their internal ids are the same, lower case
#: without spaces): a file of only these may be all open.
_OPEN_STAGES = (
    "Appointment Scheduled",
    "Qualified To Buy",
    "Presentation Scheduled",
    "Decision Maker Bought-In",
    "Contract Sent",
)
#: ``amount_in_home_currency`` (labelled "Amount in company currency", formerly "... home currency"):
#: the amount already in the portal's company currency.
_COMPANY_AMOUNT = number(first("Amount in company currency", "Amount in home currency"))

HUBSPOT_DEALS = Source(
    name="hubspot_deals",
    feeds="opportunities",
    documentation="HubSpot deals export (CRM > Deals > Export) as in bbecht/demand-gen-claude-skills "
    "export-guide.md and HubSpot deal property labels (Is Closed Won = hs_is_closed_won)",
    required=("Record ID", "Deal Stage", "Create Date", "Amount"),
    sql=f"""{
        with_optional(
            (
                "Is Closed Won",
                "Is Closed Lost",
                "Close Date",
                "Pipeline",
                "Deal owner",
                "Deal Name",
                "Currency",
                "Deal Currency Code",
                "Amount in company currency",
                "Amount in home currency",
            )
        )
    }
SELECT {q("Record ID")} AS opportunity_id,
       {date(q("Create Date"), _HUBSPOT_DATES)} AS created_at,
       COALESCE({_COMPANY_AMOUNT}, {number(q("Amount"))}) AS amount,
       CASE WHEN {_COMPANY_AMOUNT} IS NULL THEN upper({first("Currency", "Deal Currency Code")}) END AS currency,
       {q("Deal Stage")} AS stage,
       CASE WHEN {_OUTCOME} <> 'open' THEN {date(q("Close Date"), _HUBSPOT_DATES)} END AS closed_at,
       {_OUTCOME} AS outcome,
       {first("Deal owner")} AS owner,
       {first("Pipeline")} AS pipeline,
       {first("Deal Name")} AS deal_name,
       "__row__"
FROM src""",
    values=("outcome",),
    checks=(unmapped_stages("HubSpot", "Deal Stage", _OPEN_STAGES, pipeline="pipeline"),),
)

_STAGE_DATES = {
    "signup_at": "Became a Lead Date",
    "pql_at": "Became a Marketing Qualified Lead Date",
    "sql_at": "Became a Sales Qualified Lead Date",
    "opportunity_at": "Became an Opportunity Date",
    "customer_at": "Became a Customer Date",
}

HUBSPOT_CONTACTS = Source(
    name="hubspot_contacts",
    feeds="leads",
    documentation="HubSpot contacts export with lifecycle-stage date properties (Became a ... Date) "
    "as printed by real portals' property lists and exported contact files",
    required=("Record ID", "Create Date", "Lifecycle Stage"),
    sql=f"""{with_optional(tuple(_STAGE_DATES.values()) + ("Original Source", "Contact owner"))}
SELECT {q("Record ID")} AS lead_id,
       {date(q("Create Date"), _HUBSPOT_DATES)} AS created_at,
       {", ".join(f"{date(q(col), _HUBSPOT_DATES)} AS {name}" for name, col in _STAGE_DATES.items())},
       {first("Original Source")} AS channel,
       {first("Contact owner")} AS owner,
       {first("Lifecycle Stage")} AS lifecycle_stage,
       "__row__"
FROM src""",
)

SOURCES = (HUBSPOT_DEALS, HUBSPOT_CONTACTS)
