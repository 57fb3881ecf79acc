"""``reportlib template OUT.xlsx``: the canonical workbook for a company without tool exports.

One sheet per input, its canonical columns as the header (each with a cell note saying
what it holds and whether it is required) and one example row; a first ``README`` sheet
with the company.toml that reads the workbook (:func:`template_toml`), which validates
as written.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Font

from reportlib.inputs._schemas import GIVES, SCHEMAS, Col
from reportlib.inputs.config import INPUT_NAMES

#: Columns left out of the template: alternatives of another column (traffic by day).
_ALTERNATIVES = {("traffic", "date")}
_D = dt.date
#: One example row per input (a company whose inputs all agree: customer cus_001, January 2026).
EXAMPLES: dict[str, dict[str, object]] = {
    "mrr": {"customer_id": "cus_001", "month": "2026-01", "mrr": 1000, "currency": "USD"},
    "contracts": {
        "contract_id": "K-001",
        "customer_id": "cus_001",
        "start_date": _D(2026, 1, 1),
        "end_date": _D(2026, 12, 31),
        "signed_date": _D(2025, 12, 20),
        "tcv": 12000,
        "revenue_type": "contracted_recurring",
        "billing": "annual",
        "currency": "USD",
    },
    "transactions": {"customer_id": "cus_001", "date": _D(2026, 1, 15), "amount": 1000, "currency": "USD"},
    # revenue = MRR 1,000 + transactions 1,000 (what the reconciliation compares it with)
    "financials": {
        "month": "2026-01",
        "revenue": 2000,
        "cogs": 200,
        "sales_marketing": 300,
        "research_development": 250,
        "general_admin": 150,
        "ebitda": 1100,
        "net_cash_flow": -50,
        "cash_balance": 100000,
        "revenue_contracted_recurring": 1000,
        "revenue_uncontracted_recurring": 1000,
        "revenue_one_off": 0,
        "currency": "USD",
    },
    "leads": {
        "lead_id": "L-001",
        "created_at": _D(2025, 12, 5),
        "signup_at": _D(2025, 12, 6),
        "pql_at": _D(2025, 12, 12),
        "customer_at": _D(2025, 12, 20),
        "channel": "Organic Search",
        "owner": "Alice",
    },
    "traffic": {"month": "2026-01", "visitors": 1200, "channel": "Organic Search"},
    "opportunities": {
        "opportunity_id": "O-001",
        "created_at": _D(2025, 11, 10),
        "amount": 12000,
        "stage": "Closed Won",
        "closed_at": _D(2025, 12, 20),
        "outcome": "won",
        "source": "Inbound",
        "partner": None,
        "owner": "Alice",
        "currency": "USD",
    },
    "targets": {"period": "2026Q1", "metric": "pipeline_created", "target": 50000, "filter": "all"},
    "usage": {"user_id": "u_001", "date": _D(2026, 1, 15), "account_id": "cus_001", "feature": "Export"},
    "nps": {"responded_at": _D(2026, 1, 20), "score": 9, "customer_id": "cus_001"},
    "reported": {"kpi": "arr", "period": "2026-01", "value": 12000},
}
_KIND_NOTES = {
    "id": "an identifier (text)",
    "text": "text",
    "month": "a month, e.g. 2026-01",
    "date": "a date, e.g. 2026-01-31",
    "number": "a number in the company currency",
    "score": "a whole-number score from 0 to 10",
    "category": "one of: {allowed}",
    "period": "a quarter like 2026Q1 or a month like 2026-01",
}


def template_columns(name: str) -> list[str]:
    """The canonical columns of ``name`` as the template's sheet has them."""
    return [c for c in SCHEMAS[name] if (name, c) not in _ALTERNATIVES]


def column_note(name: str, column: str) -> str:
    """What a canonical column holds, and whether it is required."""
    col: Col = SCHEMAS[name][column]
    what = _KIND_NOTES[col.kind].format(allowed=", ".join(col.allowed))
    need = (
        "required"
        if col.required and not col.nullable
        else "required column (may be blank)"
        if col.required
        else "optional"
    )
    floor = f"; {col.min:g} or more" if col.min is not None and col.kind == "number" else ""
    return f"{column}: {what}{floor} ({need})."


def template_toml(workbook: str = "reportlib-template.xlsx", inputs: tuple[str, ...] = INPUT_NAMES) -> str:
    """The company.toml reading every sheet of the template at ``workbook``."""
    lines = ["[company]", 'name = "Example Co"', 'currency = "USD"']
    for name in inputs:
        lines += ["", f"[inputs.{name}]   # {GIVES[name]}", f'path = "{workbook}"', f'sheet = "{name}"']
    return "\n".join(lines) + "\n"


def write_template(out: str | Path) -> Path:
    """Write the canonical workbook to ``out`` (an ``.xlsx``) and return its path."""
    out = Path(out)
    book = openpyxl.Workbook()
    readme = book.active
    readme.title = "README"
    notes = [
        "Fill one sheet per input you have (delete the example row); leave the others as they are",
        "or delete their [inputs.X] block. Hover over a column name for what it holds.",
        "The company.toml that reads this workbook (save it beside the workbook):",
        "",
    ]
    for row, line in enumerate(notes + template_toml(out.name).splitlines(), start=1):
        readme.cell(row=row, column=1, value=line)
    readme.column_dimensions["A"].width = 100
    for name in INPUT_NAMES:
        sheet = book.create_sheet(name)
        columns = template_columns(name)
        for j, column in enumerate(columns, start=1):
            cell = sheet.cell(row=1, column=j, value=column)
            cell.font = Font(bold=True)
            cell.comment = Comment(column_note(name, column), "reportlib")
            value = EXAMPLES[name].get(column)
            example = sheet.cell(row=2, column=j, value=value)
            if isinstance(value, dt.date):
                example.number_format = "yyyy-mm-dd"
            sheet.column_dimensions[cell.column_letter].width = max(14, len(column) + 4)
    out.parent.mkdir(parents=True, exist_ok=True)
    book.save(out)
    return out
