"""Xero "Profit and Loss" with several periods (XLSX or CSV) -> financials.

Documentation followed: Xero Help "Profit and Loss report" (comparative periods), the
Coupler.io note that Xero looks back from the end month (newest period first), the Xero
API report structure (``Trading Income`` / ``Total Trading Income``, ``Cost of Sales``,
``Gross Profit``, ``Operating Expenses``, ``Net Profit``) and a public parser of Xero P&L
XLSX exports (header row starting ``Account``, months newest first).

Value rules: revenue is the sum of the Trading Income accounts, cogs that of Cost of
Sales; the other lines come from ``[inputs.financials.accounts]`` (Xero prints accounts
by name, without codes). Months are matched by their header, so the newest-first order
does not matter. Section headers prefixed ``Less`` / ``Plus`` (``Less Cost of Sales``,
``Less Operating Expenses``, ``Plus Other Income``, as older Xero report formats print them;
no page of the stored corpora shows that layout, the independent audit's exports did) are
read as the sections they name. Assumed where the sources are silent: header cells ``Jun 2026`` (the
API's ``30 Jun 26`` is read too), no Total column, zero printed as ``0.00``. The export
never indents accounts, so a line equal to the sum of the next ones is an account (fixed
costs often are) unless the section's printed ``Total Operating Expenses`` proves it a
parent's sum.

The ``frame`` hook returns the long accounts frame (see :mod:`reportlib.inputs._accounts`).
"""

from __future__ import annotations

from reportlib.inputs._accounts import read_accounts
from reportlib.inputs.sources._base import Source

XERO_PNL = Source(
    name="xero_pnl",
    feeds="financials",
    documentation="Xero Help 'Profit and Loss report', Xero API report structure, a public Xero P&L "
    "XLSX parser (months newest first); see module docstring",
    required=(),
    sql="",
    read={"header_row": None, "formula_text": True},
    frame=read_accounts,
)

SOURCES = (XERO_PNL,)
