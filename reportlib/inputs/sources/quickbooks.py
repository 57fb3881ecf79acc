"""QuickBooks Online "Profit and Loss by Month" (XLSX or CSV) -> financials.

Documentation followed: no Intuit page shows the export cell by cell; the layout follows
public code written against real exports (closethebooks ``qbo_exports.py`` and a QBO
"Profit & Loss by Month" CSV parser): title lines (report title, company, period),
header ``Distribution account | January 2026 ... | Total``, section headers (Income,
Cost of Goods Sold, Expenses, Other Income, Other Expense) without figures, parent
accounts closed by ``Total for <parent>``, ``Gross Profit`` / ``Net ... Income`` lines,
and an ``Accrual basis <date>`` stamp at the bottom. In the XLSX the total rows and the
Total column are formulas without cached values, so only account lines are read.

Sub-accounts are printed indented under their parent; two may share a label under
different parents (``Salaries`` under two departments). The mapping names one as
``Parent:Account``, the form of QuickBooks' own full account name (the Account entity's
``FullyQualifiedName``: "the topmost parent followed by each sub element, separated by
colons", as the QuickBooks Online Accounts table reference documents it).

Postings made to a parent account itself: QuickBooks Desktop prints them on a line
"<Parent> - Other" among the sub-accounts (QuickBooks ProAdvisor notes, "QB Never Do #4"),
an account like any other; no public page shows how QuickBooks Online prints them, so
both are read: amounts on the parent's own line count as its postings when its ``Total
for <parent>`` line closes it (naming the parent or that line takes them with its
sub-accounts, the ``Total for`` sum), and a parent line equal to its indented
sub-accounts' sum is their printed sum, not an account.

Value rules: revenue is the sum of the Income section's accounts and cogs that of Cost
of Goods Sold (Other Income is not revenue); the other lines come from
``[inputs.financials.accounts]``. Blank cells are 0, ``(350.00)`` is -350, ``$`` is
dropped. Assumed where the sources are silent: the older layout (``Jan 2026`` headers,
``Total Income`` subtotals, company before title) is read the same way.

The ``frame`` hook returns the long accounts frame of
:func:`reportlib.inputs._accounts.read_accounts`; the transform layer then applies
:func:`reportlib.inputs._accounts.to_financials` with the company's accounts mapping.
"""

from __future__ import annotations

from reportlib.inputs._accounts import read_accounts
from reportlib.inputs.sources._base import Source

QUICKBOOKS_PNL = Source(
    name="quickbooks_pnl",
    feeds="financials",
    documentation="QuickBooks Online Profit and Loss by Month export as parsed by public code "
    "(closethebooks qbo_exports.py, a QBO P&L-by-month CSV parser); see module docstring",
    required=(),
    sql="",
    read={"header_row": None, "formula_text": True},
    frame=read_accounts,
)

SOURCES = (QUICKBOOKS_PNL,)
