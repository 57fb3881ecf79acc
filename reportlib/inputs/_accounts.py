"""P&L reports with accounts as rows and periods as columns (``layout = "accounts"``).

Accounting tools print a P&L for people: title lines, a header row of months (any order,
Xero prints the newest first), section headers, indented sub-accounts, subtotals, a
Total column and a footer stamp. Two steps turn that into the canonical financials:

:func:`read_accounts`
    raw cells in (the sheet as a grid), one row per account line and month out, with the
    report section the line sits in. Subtotals, the Total column and parent lines that
    print their children's sum are left out, so nothing is counted twice.
:func:`to_financials`
    the long accounts frame and ``[inputs.financials.accounts]`` in, one row per month
    with revenue, cogs, sales_marketing, ... out. Revenue and cogs default to the
    report's own income and cost-of-sales sections.

Accounts match by their full label (trimmed, case-insensitive, account number included
as printed) or by a pattern with a trailing ``*``. Naming a parent account, or its
"Total for ..." line, takes every account under it. An account is its label under its
parent: a label printed under two parents is named ``Parent:Account`` (QuickBooks' full
account name, parent and account separated by a colon), and naming it by the label alone
is an error naming both rows.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from reportlib.exceptions import InputError, Problem

ROW = "__row__"
LONG_COLUMNS = ("account", "section", "group", "month", "amount", ROW)
FINANCIAL_LINES = (
    "revenue",
    "cogs",
    "sales_marketing",
    "research_development",
    "general_admin",
    "ebitda",
    "net_cash_flow",
    "cash_balance",
    "revenue_contracted_recurring",
    "revenue_uncontracted_recurring",
    "revenue_one_off",
)
REQUIRED_LINES = ("revenue", "cogs", "sales_marketing")

# The report's own top-level sections, by the words the tools print (QuickBooks, Xero, Sage...).
_SECTIONS = {
    "income": r"(operating )?income|revenues?|sales|trading income|turnover|ordinary income",
    "cost_of_sales": r"cost of (goods sold|sales|revenue)|cogs|direct costs",
    "expenses": r"(operating |overhead )?expenses|overheads|operating costs",
    "other_income": r"other (operating )?income",
    "other_expenses": r"other expenses?",
}
# Xero's older report formats head sections "Less Cost of Sales", "Less Operating Expenses",
# "Plus Other Income": the same sections.
_SECTION_RE = {k: re.compile(rf"^((less|plus)\s+)?({v})$", re.I) for k, v in _SECTIONS.items()}
# Section each canonical line is taken from when the mapping does not name it.
SECTION_DEFAULTS = {"revenue": "income", "cogs": "cost_of_sales"}
# Lines the report computes: never accounts.
_SUBTOTAL_RE = re.compile(
    r"^(total\b.*|.*\bsub[\s-]?totals?\b.*|.+\stotals?|sum of\b.*|summe\b.*|gross (profit|margin|loss)\b.*"
    r"|net\b.*|operating (profit|income|loss)\b.*|ebitda)$",
    re.I,
)
_TOTAL_OF_RE = re.compile(r"^total(\s+for)?\s+(?P<group>.+)$", re.I)

_MONTHS = {
    m: i
    for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)
}
_MONTH_NAME = r"(?P<mon>jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t(ember)?)?|oct(ober)?|nov(ember)?|dec(ember)?)"
_PERIOD_RES = (
    # Jan 2026, January 2026, Jan-26, Jan-2026, 30 Jun 26, 30 June 2026
    re.compile(rf"^(\d{{1,2}}\s+)?{_MONTH_NAME}[\s\-.,/']*(?P<year>\d{{4}}|\d{{2}})$", re.I),
    # 2026-01, 2026/01, 2026-01-31, 2026-01-01 00:00:00 (an Excel date cell as text)
    re.compile(r"^(?P<year>\d{4})[-/](?P<num>\d{1,2})([-/]\d{1,2}([ T][\d:.]+)?)?$"),
)
_NUMBER_RE = re.compile(r"^[-+]?\d+(\.\d*)?([eE][-+]?\d+)?$")
_DASHES = {"-", "–", "—", "--"}


def period_of(cell: object) -> pd.Timestamp | None:
    """The first day of the month a header cell names, or None when it is not a period.

    Accepts ``Jan 2026``, ``January 2026``, ``Jun-26``, ``30 Jun 26`` (Xero), ``2026-01``,
    ``2026-01-31`` and Excel date cells; ``Total`` and other labels give None.
    """
    if isinstance(cell, pd.Timestamp) or hasattr(cell, "year") and hasattr(cell, "month"):
        return pd.Timestamp(year=cell.year, month=cell.month, day=1)
    text = _text(cell)
    for pattern in _PERIOD_RES:
        m = pattern.match(text)
        if not m:
            continue
        parts = m.groupdict()
        month = _MONTHS[parts["mon"][:3].lower()] if parts.get("mon") else int(parts["num"])
        year = int(parts["year"])
        year += 2000 if year < 100 else 0
        if 1 <= month <= 12:
            return pd.Timestamp(year=year, month=month, day=1)
    return None


def parse_amount(cell: object) -> float | None:
    """A number as accountants print it; None for a blank or dash, NaN when unreadable.

    ``1,234.00``, ``$1,234.00``, ``(1,234.00)``, ``($18,200.00)``, ``-9,765.00``, ``£50``,
    ``1,234.00-``, ``-`` (nothing) and a decimal comma (``40.000,00``, ``12,50``) are
    understood; ``1.200``, whose point could be either, and a formula saved without its value
    (``=SUM(B6:B8)``) are NaN (said as an error on an account line).
    """
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        return None if pd.isna(cell) else float(cell)
    text = _text(cell)
    if not text or text in _DASHES:
        return None
    if text.startswith("="):  # a formula saved without its value: '=SUM(B6:B8)' is not 68
        return float("nan")
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1].strip()
    if text.endswith("-") and len(text) > 1:
        negative, text = True, text[:-1].strip()
    text = _point_decimal(re.sub(r"[^\d.,+\-eE]", "", text.replace(" ", "")))
    if text is None:  # 1.200: one point two, or twelve hundred with a thousands point?
        return float("nan")
    if text.startswith("-"):
        negative, text = not negative, text[1:]
    if not _NUMBER_RE.match(text):
        return float("nan")
    value = float(text)
    return -value if negative else value


def _point_decimal(text: str) -> str | None:
    """``text`` with a decimal point and no separators: '1,234.50' and '1.234,50' (a
    decimal comma, as most of Europe prints) give '1234.50', '12,50' gives '12.50'; None
    when the separators leave the value open ('1.200'), so that it is never read 1000x off."""
    dot, comma = text.rfind("."), text.rfind(",")
    if dot >= 0 and comma >= 0:
        return text.replace(",", "") if dot > comma else text.replace(".", "").replace(",", ".")
    if comma >= 0:
        if re.fullmatch(r"[-+]?\d+,\d{1,2}[-]?", text):
            return text.replace(",", ".")
        return text.replace(",", "")
    if re.fullmatch(r"[-+]?[1-9]\d{0,2}(\.\d{3})+[-]?", text):
        return None
    return text


# --------------------------------------------------------------------------------------
# step 1: the sheet's cells -> account lines


@dataclass(frozen=True)
class _Header:
    index: int  # position in the grid
    label_col: int
    periods: dict[int, pd.Timestamp]  # column position -> month


def read_accounts(cells: pd.DataFrame, *, file: str | None = None) -> pd.DataFrame:
    """Read a P&L report's cells into one row per account line and month.

    Parameters
    ----------
    cells
        The sheet as read, header or not: column names are treated as a row above the
        first one (so a frame read with ``header=None`` and one read with the period row
        as header both work). A ``__row__`` column, when present, gives the file's row
        numbers for messages.
    file
        The file name for messages.

    Returns
    -------
    pandas.DataFrame
        Columns ``account`` (label as printed, trimmed), ``section`` (``income``,
        ``cost_of_sales``, ``expenses``, ``other_income``, ``other_expenses`` or None),
        ``group`` (the parent account printed above, or None), ``month`` (first day),
        ``amount`` (blank cells are 0) and ``__row__``.

    Raises
    ------
    InputError
        When no row of periods is found, a month appears twice, or an amount is unreadable.
    """
    grid, rows = _grid(cells)
    header = _find_header(grid)
    if header is None:
        raise InputError(
            [
                Problem(
                    "No header row of months was found: a P&L by month needs a row whose cells are periods "
                    "such as 'Jan 2026', 'January 2026' or '2026-01' (give header_row if it is there).",
                    file=file,
                )
            ]
        )
    problems = _duplicate_months(grid, rows, header, file)
    records, problems = _account_lines(grid, rows, header, file, problems)
    if problems:
        raise InputError(problems)
    return pd.DataFrame.from_records(records, columns=list(LONG_COLUMNS))


def _grid(cells: pd.DataFrame) -> tuple[list[list[object]], list[int]]:
    body = cells.drop(columns=[ROW], errors="ignore")
    names = [None if _generic_name(c, i) else c for i, c in enumerate(body.columns)]
    grid = [names] + [list(r) for r in body.itertuples(index=False, name=None)]
    if ROW in cells:
        first = int(cells[ROW].iloc[0]) if len(cells) else 1
        rows = [first - 1] + [int(r) for r in cells[ROW]]
    else:
        rows = list(range(0, len(grid)))
    return grid, rows


def _generic_name(name: object, i: int) -> bool:
    # Names a reader invents when a file is read without a header: 0, 1, ...; column0; Unnamed: 3.
    text = str(name)
    return name == i or text == str(i) or bool(re.fullmatch(r"(column|col|c)?_?\d+|Unnamed: \d+", text, re.I))


def _find_header(grid: list[list[object]]) -> _Header | None:
    best: _Header | None = None
    for index, row in enumerate(grid):
        periods = {j: p for j, cell in enumerate(row) if (p := period_of(cell)) is not None}
        if not periods or (best is not None and len(periods) <= len(best.periods)):
            continue
        first = min(periods)
        if first == 0:
            continue  # a period in the label column is a line of data, not the header
        best = _Header(index, _label_column(grid, index, first), periods)
    return best


def _label_column(grid: list[list[object]], header: int, first_period: int) -> int:
    # The column left of the periods holding the most text below the header.
    def texts(j: int) -> int:
        return sum(
            1
            for row in grid[header + 1 :]
            if j < len(row) and _text(row[j]) and parse_amount(row[j]) is not None and pd.isna(parse_amount(row[j]))
        )

    return max(range(first_period), key=lambda j: (texts(j), -j))


def _duplicate_months(grid, rows, header: _Header, file) -> list[Problem]:
    seen: dict[pd.Timestamp, int] = {}
    out = []
    for j, month in sorted(header.periods.items()):
        if month in seen:
            out.append(
                Problem(
                    f"Month {month:%Y-%m} appears in two columns ('{_text(grid[header.index][seen[month]])}' and "
                    f"'{_text(grid[header.index][j])}'); a P&L by month needs each month once.",
                    file=file,
                    row=rows[header.index],
                )
            )
        seen.setdefault(month, j)
    return out


@dataclass
class _Printed:
    """An account line as printed: where its records start, its block (the lines between two
    headers or subtotals), its indentation and its amounts in period order."""

    start: int
    block: int
    indent: int
    amounts: tuple[float, ...]
    computed: bool = False


@dataclass(frozen=True)
class _Total:
    """A total line the report prints ("Total Operating Expenses", "Total for X") over the
    account lines ``printed[first:last]``: its amounts (None when unreadable: QuickBooks'
    XLSX saves them as formulas) and whether ``printed[first]`` is X's own line."""

    first: int
    last: int
    amounts: tuple[float, ...] | None
    parent: bool = False


#: A parent printed above its accounts (a header, or a line with amounts of its own): its
#: label, its first record, its position among the printed lines, and whether it has amounts.
_Opened = tuple[str, int, int, bool]


def _account_lines(grid, rows, header: _Header, file, problems: list[Problem]):
    records: list[list] = []
    printed: list[_Printed] = []
    totals: list[_Total] = []
    section: str | None = None
    section_first = 0  # the first printed line of the section
    block = 0
    opened: list[_Opened] = []
    for index in range(header.index + 1, len(grid)):
        row = grid[index]
        label = _text(row[header.label_col]) if header.label_col < len(row) else ""
        if not label:
            continue
        values = {j: parse_amount(row[j]) if j < len(row) else None for j in header.periods}
        if _SUBTOTAL_RE.match(label):
            total = _total_line(opened, label, records, values, section, section_first, len(printed))
            totals += [total] if total is not None else []
            block += 1
            continue
        if all(v is None for v in values.values()):
            block += 1
            top = _section_of(label)
            if top is not None:
                section, opened, section_first = top, [], len(printed)
            else:  # a parent account, a footer, or an account with no activity
                opened.append((label, len(records), len(printed), False))
            continue
        # A line with amounts may be a parent too, with postings of its own (QuickBooks prints
        # them on the parent's line) or its accounts' sum: its "Total for" line below says so.
        opened.append((label, len(records), len(printed), True))
        for j, value in values.items():
            if value is not None and pd.isna(value):
                problems.append(
                    Problem(
                        f"'{_text(row[j])}' is not an amount (account '{label}', {header.periods[j]:%b %Y}).",
                        file=file,
                        row=rows[index],
                        column=_text(grid[header.index][j]) or None,
                    )
                )
        amounts = tuple(values[j] if values[j] is not None and not pd.isna(values[j]) else 0.0 for j in header.periods)
        printed.append(_Printed(len(records), block, _indent(row[header.label_col]), amounts))
        for month, amount in zip(header.periods.values(), amounts, strict=True):
            records.append([label, section, None, month, amount, rows[index]])
    return _without_parent_sums(records, printed, len(header.periods), totals), problems


def _total_line(
    opened: list[_Opened],
    label: str,
    records: list[list],
    values: dict[int, float | None],
    section: str | None,
    section_first: int,
    end: int,
) -> _Total | None:
    """The total a subtotal line prints over the account lines it closes: a parent's (its
    "Total for" line, kept even when its amounts cannot be read) or its section's."""
    amounts = _printed_total(values)
    closed = _close_group(opened, label, records)
    if closed is not None:
        return _Total(closed[0], end, amounts, parent=closed[1])
    if amounts is not None and _closes_section(label, section):
        return _Total(section_first, end, amounts)
    return None


def _printed_total(values: dict[int, float | None]) -> tuple[float, ...] | None:
    """A total line's amounts in period order, or None when it prints none or one is unreadable
    (a formula saved without its value)."""
    if all(v is None for v in values.values()) or any(v is not None and pd.isna(v) for v in values.values()):
        return None
    return tuple(0.0 if v is None else v for v in values.values())


def _closes_section(label: str, section: str | None) -> bool:
    """'Total Operating Expenses', 'Total for Expenses': the total of the section it is in."""
    m = _TOTAL_OF_RE.match(label)
    return section is not None and bool(m) and _section_of(m.group("group")) == section


def _indent(cell: object) -> int:
    return len(cell) - len(cell.lstrip()) if isinstance(cell, str) else 0


def _without_parent_sums(
    records: list[list], printed: list[_Printed], months: int, totals: Sequence[_Total]
) -> list[list]:
    """``records`` without the parent lines that print their children's sum above them.

    Some reports print "Sales & Marketing 12,000" above its children "Salaries 8,000" and
    "Ads 4,000", with no total line: the parent is a computed line, and its children are
    put in its group (naming the parent still takes them). A line is such a parent when
    its amounts equal, to the cent, the sum of its children in every month: the lines
    indented deeper right below it when the report indents (a CSV), else (an XLSX loses
    indentation) the 2+ lines right below it, in its block, whose sum first equals it.
    Read bottom-up, so that a parent of parents sums its accounts, not their sums.

    Without indentation that sum alone is no proof: fixed monthly costs make an account
    equal to the next two (Computer Software 1,500 over Consulting 1,000 and Insurance 500)
    every month. Such a line is a parent only when the report's own total around it (its
    section's "Total Operating Expenses", a "Total for X") equals its lines without it, and
    not with it. An indented parent is one unless that total shows it is an account.
    """
    indented = any(line.indent for line in printed)
    found = {}
    for at in range(len(printed) - 1, -1, -1):
        children = _children(printed, at, indented)
        if children:
            printed[at].computed = True
            found[at] = children
    proven = {at: children for at, children in found.items() if _proven(printed, at, totals, indented)}
    for at in found:
        printed[at].computed = at in proven
    for at, children in proven.items():
        label = records[printed[at].start][0]
        for child in children:
            for record in records[child.start : child.start + months]:
                record[2] = record[2] or label
    return [r for line in printed if not line.computed for r in records[line.start : line.start + months]]


def _proven(printed: list[_Printed], at: int, totals: Sequence[_Total], indented: bool) -> bool:
    """Whether the parent sum found at ``at`` stands against the totals the report prints.

    A line closed by its own "Total for" line is a sum when the lines between add up to that
    total (or, unreadable, to the line itself). Otherwise the innermost printed total around
    it must add up without the parent sums (or without this one), and not with them. With no
    total printed around it, the indentation alone proves it."""
    own = next((t for t in totals if t.parent and t.first == at), None)
    if own is not None:  # its "Total for" line closes it: it is the sum of the lines it closes
        rest = [line for line in printed[at + 1 : own.last] if not line.computed]
        return _sums_to(rest, own.amounts if own.amounts is not None else printed[at].amounts)
    around = [t for t in totals if t.amounts is not None and t.first <= at < t.last]
    if not around:
        return indented
    total = max(around, key=lambda t: t.first)
    lines = printed[total.first : total.last]
    if _sums_to([line for line in lines if not line.computed], total.amounts):
        return True
    if indented:
        return not _sums_to(lines, total.amounts)
    return _sums_to([line for line in lines if line is not printed[at]], total.amounts)


def _children(printed: list[_Printed], at: int, indented: bool) -> list[_Printed]:
    """The lines whose sum line ``at`` prints, or [] when it is an account of its own."""
    parent = printed[at]
    block = [line for line in printed[at + 1 :] if line.block == parent.block]
    if not any(parent.amounts):
        return []
    if indented:  # the lines indented deeper, down to the first that is not; sums aside
        end = next((k for k, line in enumerate(block) if line.indent <= parent.indent), len(block))
        deeper = [line for line in block[:end] if not line.computed]
        return deeper if deeper and _sums_to(deeper, parent.amounts) else []
    below = [line for line in block if not line.computed]
    for k in range(2, len(below) + 1):
        if _sums_to(below[:k], parent.amounts):
            return below[:k]
    return []


def _sums_to(lines: list[_Printed], amounts: tuple[float, ...]) -> bool:
    totals = np.sum([line.amounts for line in lines], axis=0)
    return bool(np.all(np.abs(totals - np.asarray(amounts)) < 0.005))


def _close_group(opened: list[_Opened], label: str, records: list[list]) -> tuple[int, bool] | None:
    """Put the accounts printed since X in group X when ``label`` is X's "Total for X" line,
    and return X's position among the printed lines and whether X's own line has amounts
    (None when ``label`` closes no parent).

    Only a "Total for X" line proves X was a parent: its accounts are those printed since X,
    X's own line among them when it prints amounts (postings made to the parent itself).
    """
    m = _TOTAL_OF_RE.match(label)
    keys = [_key(g) for g, _, _, _ in opened]
    if not m or _key(m.group("group")) not in keys:
        return None
    at = len(keys) - 1 - keys[::-1].index(_key(m.group("group")))
    group, start, first, own = opened[at]
    del opened[at:]
    for record in records[start:]:
        if record[2] is None:
            record[2] = group
    return first, own


def _section_of(label: str) -> str | None:
    return next((name for name, pattern in _SECTION_RE.items() if pattern.match(label.strip())), None)


# --------------------------------------------------------------------------------------
# step 2: account lines -> canonical financials


def to_financials(
    accounts: pd.DataFrame,
    mapping: Mapping[str, Sequence[str] | str] | None = None,
    *,
    file: str | None = None,
    section_defaults: bool = True,
) -> pd.DataFrame:
    """Sum the account lines of each canonical line per month.

    Parameters
    ----------
    accounts
        The frame of :func:`read_accounts`.
    mapping
        ``[inputs.financials.accounts]``: canonical line -> account labels or patterns.
    file
        The file name for messages.
    section_defaults
        Take revenue and cogs from the report's income and cost-of-sales sections when the
        mapping does not name them.

    Returns
    -------
    pandas.DataFrame
        ``month`` (first day of the month, ascending), one column per canonical line, and
        ``__row__`` (the first account line's row).

    Raises
    ------
    InputError
        With every problem: an unknown canonical line, a line whose names match no account
        (the accounts of the file listed, closest first), an account matched by two lines.
    """
    mapping = {k: [v] if isinstance(v, str) else list(v) for k, v in (mapping or {}).items()}
    lines = _lines(accounts)
    problems = [
        Problem(
            f"'{name}' is not a line of the financials input; use one of: " + ", ".join(FINANCIAL_LINES) + ".",
            file=file,
            column=f"accounts.{name}",
        )
        for name in mapping
        if name not in FINANCIAL_LINES
    ]
    chosen: dict[str, list[_Account]] = {}
    for name, patterns in mapping.items():
        if name in FINANCIAL_LINES:
            chosen[name] = _chosen(lines, name, patterns, file, problems)
    if section_defaults:
        for name, section in SECTION_DEFAULTS.items():
            if name not in chosen:
                chosen[name] = [a for a, s in lines.items() if s.section == section]
    for name in REQUIRED_LINES:
        if not chosen.get(name) and name not in mapping:
            problems.append(
                Problem(
                    f"No accounts give {name}: name them under [inputs.financials.accounts], e.g. "
                    f'{name} = ["6000*", "Commissions"]. Accounts in the file: {_listing(lines, name)}.',
                    file=file,
                    column=f"accounts.{name}",
                )
            )
    problems += _twice(chosen, file)
    if problems:
        raise InputError(problems)
    return _sum(accounts, chosen)


#: An account: its label as printed and its parent (None at the top level). Two lines with
#: the same label under different parents are two accounts.
_Account = tuple[str, str | None]


@dataclass(frozen=True)
class _Line:
    section: str | None
    rows: tuple[int, ...]  # the file rows the account is printed on


def _lines(accounts: pd.DataFrame) -> dict[_Account, _Line]:
    sections: dict[_Account, str | None] = {}
    rows: dict[_Account, dict[int, None]] = {}
    keys = zip(accounts["account"], _groups(accounts), strict=True)
    for key, section, row in zip(keys, accounts["section"], accounts[ROW], strict=True):
        sections.setdefault(key, section)
        rows.setdefault(key, {})[int(row)] = None
    return {key: _Line(sections[key], tuple(rows[key])) for key in sections}


def _groups(accounts: pd.DataFrame) -> list[str | None]:
    return [g if isinstance(g, str) else None for g in accounts["group"]]


def _chosen(lines: Mapping[_Account, _Line], name: str, patterns: Iterable[str], file, problems) -> list[_Account]:
    # Every name must match: a misspelled account would otherwise drop out of the line unnoticed.
    found: list[_Account] = []
    for pattern in patterns:
        hits = matching(lines, pattern)
        if not hits:
            problems.append(
                Problem(
                    f"No account of the file matches '{pattern}' (given for {name}). Accounts in the file, "
                    f"closest first: {_listing(lines, pattern)}.",
                    file=file,
                    column=f"accounts.{name}",
                )
            )
        problems += [_ambiguous(lines, label, pattern, name, file) for label in _ambiguous_labels(lines, pattern)]
        found += [a for a in hits if a not in found]
    return found


def matching(lines: Mapping[_Account, _Line], pattern: str) -> list[_Account]:
    """The accounts ``pattern`` selects.

    A label matches in full (trimmed, case-insensitive); a trailing ``*`` matches any
    label starting with the rest. A pattern naming a parent account (a header line or its
    "Total for ..." line) selects every account printed under it. ``Parent:Account`` (the
    parent as printed, a colon, the account's label or pattern, as QuickBooks writes an
    account's full name) selects the account under that parent only.
    """
    hits = [a for a in lines if _label_hit(a[0], pattern) or _parent_hit(a[1], pattern)]
    if hits or ":" not in pattern:
        return hits
    for at in (i for i, c in enumerate(pattern) if c == ":"):
        parent, label = pattern[:at], pattern[at + 1 :]
        hits = [a for a in lines if a[1] is not None and _key(a[1]) == _key(parent) and _label_hit(a[0], label)]
        if hits:
            return hits
    return []


def _label_hit(label: str, pattern: str) -> bool:
    wanted, key = _key(pattern), _key(label)
    return key.startswith(wanted[:-1]) if wanted.endswith("*") else key == wanted


def _parent_hit(group: str | None, pattern: str) -> bool:
    if group is None:
        return False
    m = _TOTAL_OF_RE.match(pattern.strip())
    return _label_hit(group, pattern) or bool(m) and _label_hit(group, m.group("group"))


def _ambiguous_labels(lines: Mapping[_Account, _Line], pattern: str) -> list[str]:
    """Labels ``pattern`` names that are printed as two accounts (under different parents,
    or twice with nothing telling them apart): summing them would be a guess."""
    named = [a for a in lines if _label_hit(a[0], pattern) and not _parent_hit(a[1], pattern)]
    out = []
    for label in dict.fromkeys(_key(a[0]) for a in named):
        same = [a for a in lines if _key(a[0]) == label]
        if len(same) > 1 or len(lines[same[0]].rows) > 1:
            out.append(label)
    return out


def _ambiguous(lines: Mapping[_Account, _Line], label: str, pattern: str, name: str, file) -> Problem:
    same = [a for a in lines if _key(a[0]) == label]
    where = " and ".join(_printed_at(a, lines[a]) for a in same)
    named = [f"'{a[1]}:{a[0]}'" for a in same if a[1]]
    how = (
        f"name the one meant with its parent ({' or '.join(named)}), or name a parent to take all its accounts"
        if named
        else "nothing in the report tells them apart (no parent line or 'Total for ...' line above them): "
        "rename one of them in the export"
    )
    return Problem(
        f"'{pattern}' (given for {name}) names '{same[0][0]}', printed as different accounts: {where}; "
        f"summing them would be a guess: {how}.",
        file=file,
        row=min(r for a in same for r in lines[a].rows),
        column=f"accounts.{name}",
    )


def _printed_at(account: _Account, line: _Line) -> str:
    rows = f"row{'s' if len(line.rows) > 1 else ''} {' and '.join(map(str, line.rows))}"
    return f"under '{account[1]}' ({rows})" if account[1] else f"({rows})"


def _twice(chosen: Mapping[str, list[_Account]], file) -> list[Problem]:
    owner: dict[_Account, str] = {}
    out = []
    for name, accounts in chosen.items():
        for account in accounts:
            if account in owner:
                out.append(
                    Problem(
                        f"Account '{account[0]}' is matched by both {owner[account]} and {name}; an account may "
                        "feed one line only (make one of the patterns narrower).",
                        file=file,
                        column=f"accounts.{name}",
                    )
                )
            else:
                owner[account] = name
    return out


def _listing(lines: Mapping[_Account, _Line], near: str, limit: int = 12) -> str:
    labels = list(dict.fromkeys(a[0] for a in lines))
    ranked = sorted(labels, key=lambda a: -difflib.SequenceMatcher(None, _key(near), _key(a)).ratio())
    shown = ", ".join(f"'{a}'" for a in ranked[:limit])
    return shown + (f" and {len(ranked) - limit} more" if len(ranked) > limit else "") if ranked else "none"


def _sum(accounts: pd.DataFrame, chosen: Mapping[str, list[_Account]]) -> pd.DataFrame:
    months = sorted(accounts["month"].unique())
    out = pd.DataFrame({"month": pd.to_datetime(months)})
    keys = pd.Series(list(zip(accounts["account"], _groups(accounts), strict=True)), index=accounts.index)
    for name in sorted(chosen, key=FINANCIAL_LINES.index):
        part = accounts[keys.isin(chosen[name])]
        out[name] = out["month"].map(part.groupby("month")["amount"].sum()).fillna(0.0).astype(float)
    out[ROW] = int(accounts[ROW].min()) if len(accounts) else 0
    return out


def financials_from_cells(
    cells: pd.DataFrame, mapping: Mapping[str, Sequence[str] | str] | None = None, *, file: str | None = None
) -> pd.DataFrame:
    """:func:`read_accounts` then :func:`to_financials`: a P&L sheet to canonical financials."""
    return to_financials(read_accounts(cells, file=file), mapping, file=file)


def _text(cell: object) -> str:
    if cell is None or (isinstance(cell, float) and pd.isna(cell)) or cell is pd.NA:
        return ""
    return str(cell).strip()


def _key(label: str) -> str:
    return re.sub(r"\s+", " ", str(label).strip().lower())
