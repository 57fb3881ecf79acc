"""The accounts-layout P&L parser (reportlib.inputs._accounts) on small hand-made grids."""

from __future__ import annotations

import pandas as pd
import pytest
from inputs_helpers import make

from reportlib.exceptions import InputError
from reportlib.inputs import load_company
from reportlib.inputs._accounts import parse_amount, period_of, read_accounts, to_financials

# Older QuickBooks layout: company first, "Jan 2026" headers, "Total Income", a Total column,
# months out of order, a parent account closed by its total, accountants' numbers.
GRID = [
    ["Acme Ltd", None, None, None, None],
    ["Profit and Loss", None, None, None, None],
    [None, "Feb 2026", "Jan 2026", "Mar 2026", "Total"],
    ["Income", None, None, None, None],
    ["  4000 Sales", "1,000.00", "$900.00", "1,100.00", "3,000.00"],
    ["Total Income", "1,000.00", "900.00", "1,100.00", "3,000.00"],
    ["Cost of Sales", None, None, None, None],
    ["5000 Hosting", "100", "-", "(50.00)", "50"],
    ["Total Cost of Sales", "100", "", "(50.00)", "50"],
    ["Gross Profit", "900", "900", "1,150", "2,950"],
    ["Expenses", None, None, None, None],
    ["6000 Marketing", None, None, None, None],
    ["   6010 Ads", "200", "150", "250", "600"],
    ["   6020 Events", "", "300", "", "300"],
    ["Total 6000 Marketing", "200", "450", "250", "900"],
    ["6500 Dormant account", None, None, None, None],  # no activity: printed without figures
    ["Sales Salaries", "500", "500", "500", "1,500"],
    ["Rent", "80", "80", "80", "240"],
    ["Total Expenses", "780", "1,030", "830", "2,640"],
    ["Net Income", "120", "-130", "320", "310"],
    ["Cash Basis Friday, 3 April 2026", None, None, None, None],
]


def cells(grid=GRID) -> pd.DataFrame:
    frame = pd.DataFrame(grid, dtype=object)
    frame["__row__"] = range(1, len(frame) + 1)
    return frame


def test_periods_and_amounts_as_accountants_print_them():
    assert period_of("Jan 2026") == pd.Timestamp("2026-01-01")
    assert period_of("January 2026") == pd.Timestamp("2026-01-01")
    assert period_of("30 Jun 26") == pd.Timestamp("2026-06-01")  # Xero API header form
    assert period_of("2026-01") == pd.Timestamp("2026-01-01")
    assert period_of("Total") is None and period_of("Distribution account") is None
    assert parse_amount("(1,234.00)") == -1234.0
    assert parse_amount("($18,200.00)") == -18200.0
    assert parse_amount("-9,765.00") == -9765.0
    assert parse_amount("-") is None and parse_amount("") is None
    assert pd.isna(parse_amount("n/a"))


def test_sections_subtotals_and_total_column_are_not_double_counted():
    fin = to_financials(
        read_accounts(cells()), {"sales_marketing": ["6000 Marketing", "Sales Salaries"], "general_admin": ["Rent"]}
    )
    # months ascending although printed Feb, Jan, Mar; the Total column is not a month
    assert [m.strftime("%Y-%m") for m in fin["month"]] == ["2026-01", "2026-02", "2026-03"]
    # revenue = the Income section's one account: Jan 900, Feb 1,000, Mar 1,100 (not + Total Income)
    assert fin["revenue"].tolist() == [900, 1000, 1100]
    # cogs: Jan "-" = 0, Feb 100, Mar (50.00) = -50
    assert fin["cogs"].tolist() == [0, 100, -50]
    # S&M = parent 6000 (6010 + 6020) + Sales Salaries: Jan 150+300+500 = 950; Feb 200+0+500 = 700;
    # Mar 250+0+500 = 750 (the "Total 6000 Marketing" line is not added again)
    assert fin["sales_marketing"].tolist() == [950, 700, 750]
    assert fin["general_admin"].tolist() == [80, 80, 80]
    # the dormant header-only account did not swallow the accounts printed after it
    assert read_accounts(cells()).query("account == 'Rent'")["group"].isna().all()


def test_patterns_and_total_lines_select_the_same_accounts():
    acc = read_accounts(cells())
    by_pattern = to_financials(acc, {"sales_marketing": ["60*", "sales salaries"]})
    by_total = to_financials(acc, {"sales_marketing": ["Total 6000 Marketing", "SALES SALARIES "]})
    assert by_pattern["sales_marketing"].tolist() == by_total["sales_marketing"].tolist() == [950, 700, 750]


def test_unmatched_name_lists_the_file_accounts_closest_first():
    with pytest.raises(InputError) as err:
        to_financials(read_accounts(cells()), {"sales_marketing": ["Sales Salary"]})
    (problem,) = err.value.problems
    assert "'Sales Salary'" in problem.message
    listing = problem.message.split("closest first: ")[1]
    assert listing.startswith("'Sales Salaries'")


def test_account_matched_by_two_lines_is_an_error():
    with pytest.raises(InputError) as err:
        to_financials(read_accounts(cells()), {"sales_marketing": ["6*"], "general_admin": ["6010*", "Rent"]})
    assert any(
        "'6010 Ads' is matched by both sales_marketing and general_admin" in p.message for p in err.value.problems
    )


def test_missing_required_line_and_unreadable_amount_are_reported():
    with pytest.raises(InputError) as err:
        to_financials(read_accounts(cells()), {})
    assert "No accounts give sales_marketing" in err.value.problems[0].message
    bad = [list(r) for r in GRID]
    bad[16][2] = "five hundred"
    with pytest.raises(InputError) as err:
        read_accounts(cells(bad))
    (problem,) = err.value.problems
    assert (problem.row, problem.column) == (17, "Jan 2026") and "'five hundred'" in problem.message


def test_no_period_header_says_what_is_expected():
    with pytest.raises(InputError, match="No header row of months"):
        read_accounts(cells([["Account", "Amount"], ["Sales", "100"]]))


def test_a_decimal_comma_is_read_and_an_open_point_is_an_error():
    # '40.000,00' as most of Europe prints forty thousand: it was read as 40.0, 1,000x off
    assert parse_amount("40.000,00") == 40_000.0
    assert parse_amount("1.234.567,89") == 1_234_567.89
    assert parse_amount("12,50") == 12.5 and parse_amount("(6.100,00)") == -6_100.0
    assert parse_amount("1,234") == 1234.0 and parse_amount("0.125") == 0.125  # as before
    # '1.200': one point two, or twelve hundred? never guessed
    assert pd.isna(parse_amount("1.200"))


@pytest.mark.parametrize("label", ["Subtotal", "Income Subtotal", "Sub-total Income", "Sum of Income", "Summe Erlöse"])
def test_a_subtotal_line_however_labelled_is_not_an_account(label):
    # QuickBooks' "Total Income" relabelled: counted as an account it doubled revenue
    grid = [row if row[0] != "Total Income" else [label, *row[1:]] for row in GRID]
    fin = to_financials(
        read_accounts(cells(grid)), {"sales_marketing": ["6000 Marketing", "Sales Salaries"], "general_admin": ["Rent"]}
    )
    assert fin["revenue"].tolist() == [900, 1000, 1100]


def parent_sums_grid(indent: str) -> list[list]:
    """Parents printing their children's sum above them, with no total line of their own;
    children indented by ``indent`` (a CSV) or not at all (an XLSX loses the indentation).
    The sections' totals (Income 1,200 / 1,300, Expenses 13,000 / 13,500) count the children,
    not the parents: without indentation they are what proves a parent (a flat line equal to
    the next two is often an account: fixed monthly costs)."""
    return [
        [None, "Jan 2026", "Feb 2026"],
        ["Income", None, None],
        ["Subscriptions", "1,200.00", "1,300.00"],
        [f"{indent}Monthly plans", "800.00", "900.00"],
        [f"{indent}Annual plans", "400.00", "400.00"],
        ["Total Income", "1,200.00", "1,300.00"],
        ["Cost of Sales", None, None],
        ["Hosting", "50", "60"],
        ["Expenses", None, None],
        ["Sales & Marketing", "12,000", "12,500"],
        [f"{indent}Salaries", "8,000", "8,000"],
        [f"{indent}Ads", "4,000", "4,500"],
        ["Rent", "1,000", "1,000"],
        ["Total Expenses", "13,000", "13,500"],
    ]


@pytest.mark.parametrize("indent", ["", "   "])
@pytest.mark.parametrize("named", [["Sales & Marketing"], ["Salaries", "Ads"], ["Sal*"], ["Sales & Marketing", "Ads"]])
def test_a_parent_printing_its_childrens_sum_is_not_counted_again(indent, named):
    # Revenue = Monthly 800 + Annual 400 = 1,200 in Jan, 900 + 400 = 1,300 in Feb: the
    # "Subscriptions" line above them is their sum (it was 2,400 and 2,600 with it counted).
    # S&M = Salaries 8,000 + Ads 4,000 = 12,000 in Jan, 8,000 + 4,500 = 12,500 in Feb, whether
    # the mapping names the parent, the children, a pattern matching both ("Sal*": it was
    # 20,000) or the parent and a child. Rent (1,000) below them is nobody's child.
    fin = to_financials(
        read_accounts(cells(parent_sums_grid(indent))), {"sales_marketing": named, "general_admin": "Rent"}
    )
    assert fin["revenue"].tolist() == [1200, 1300]
    assert fin["sales_marketing"].tolist() == [12000, 12500]
    assert fin["general_admin"].tolist() == [1000, 1000]


def test_an_indented_single_child_and_a_parent_of_parents_are_summed_once():
    # Indented (CSV): "Operating costs" 4,500 = "Sales & Marketing" 3,000 (= Salaries 2,000 +
    # Ads 1,000) + "Research & Development" 1,500 (= its one child Engineering 1,500). Each
    # parent prints a sum: S&M 3,000, R&D 1,500, total expenses 4,500, not 4,500 x 3 levels.
    grid = [
        [None, "Jan 2026"],
        ["Income", None],
        ["Sales", "9,000"],
        ["Expenses", None],
        ["Operating costs", "4,500"],
        ["  Sales & Marketing", "3,000"],
        ["    Salaries", "2,000"],
        ["    Ads", "1,000"],
        ["  Research & Development", "1,500"],
        ["    Engineering", "1,500"],
    ]
    acc = read_accounts(cells(grid))
    assert sorted(acc["account"]) == ["Ads", "Engineering", "Salaries", "Sales"]
    fin = to_financials(
        acc, {"cogs": [], "sales_marketing": ["Sales & Marketing"], "research_development": ["Research & Development"]}
    )
    assert (fin["sales_marketing"].tolist(), fin["research_development"].tolist()) == ([3000], [1500])


# "Salaries" twice: 500 / 600 under Sales & Marketing (row 8) and 300 / 300 under Research &
# Development (row 12), each parent closed by its "Total for" line as QuickBooks prints it.
TWO_SALARIES = [
    [None, "Jan 2026", "Feb 2026"],
    ["Income", None, None],
    ["Sales", "1,000", "1,000"],
    ["Cost of Sales", None, None],
    ["Hosting", "50", "50"],
    ["Expenses", None, None],
    ["Sales & Marketing", None, None],
    ["   Salaries", "500", "600"],
    ["   Ads", "100", "100"],
    ["Total for Sales & Marketing", "600", "700"],
    ["Research & Development", None, None],
    ["   Salaries", "300", "300"],
    ["   Tools", "20", "20"],
    ["Total for Research & Development", "320", "320"],
]


def test_a_label_printed_under_two_parents_is_an_error_naming_both_rows():
    # sales_marketing = ["Salaries", "Ads"] summed both Salaries: 500 + 300 + 100 = 900 in Jan
    # instead of 600, and R&D lost its 300 without a word.
    with pytest.raises(InputError) as err:
        to_financials(read_accounts(cells(TWO_SALARIES)), {"sales_marketing": ["Salaries", "Ads"]})
    (problem,) = err.value.problems
    assert (problem.row, problem.column) == (8, "accounts.sales_marketing")
    assert "under 'Sales & Marketing' (row 8) and under 'Research & Development' (row 12)" in problem.message
    assert "'Sales & Marketing:Salaries' or 'Research & Development:Salaries'" in problem.message
    # a pattern taking the label in both groups is as ambiguous
    with pytest.raises(InputError, match="printed as different accounts"):
        to_financials(read_accounts(cells(TWO_SALARIES)), {"sales_marketing": ["Sal*", "Ads"]})


@pytest.mark.parametrize(
    "mapping",
    [
        {
            "sales_marketing": ["Sales & Marketing:Salaries", "Ads"],
            "research_development": ["research & development: salaries", "Tools"],
        },
        {"sales_marketing": ["Sales & Marketing"], "research_development": ["Total for Research & Development"]},
    ],
)
def test_an_account_is_named_under_its_parent_or_by_its_parent(mapping):
    # S&M = Salaries 500 + Ads 100 = 600 in Jan, 600 + 100 = 700 in Feb; R&D = Salaries 300 +
    # Tools 20 = 320 both months (naming the parents gave S&M 900 / 1,000 and R&D 20 / 20: the
    # R&D Salaries line was taken for the S&M one).
    fin = to_financials(read_accounts(cells(TWO_SALARIES)), mapping)
    assert fin["sales_marketing"].tolist() == [600, 700]
    assert fin["research_development"].tolist() == [320, 320]


def test_a_label_printed_twice_with_nothing_telling_them_apart_is_an_error():
    # No total lines: the header lines above may be parents or accounts without activity, so
    # the two Salaries lines (rows 8 and 11, 500 and 300 in Jan) cannot be told apart.
    grid = [row for row in TWO_SALARIES if not str(row[0]).startswith("Total for")]
    with pytest.raises(
        InputError, match=r"'Salaries', printed as different accounts: \(rows 8 and 11\).*rename one of them"
    ):
        to_financials(read_accounts(cells(grid)), {"sales_marketing": ["Salaries", "Ads"]})


def test_a_mapped_pnl_keeps_its_total_for_lines_to_tell_parents_apart(tmp_path):
    # The TWO_SALARIES report as a CSV under layout = "accounts" (no source): the generic
    # total-row guard used to drop its "Total for ..." lines first, so the two Salaries could
    # not be told apart and "Total for Research & Development" matched nothing. S&M = 500 +
    # 100 = 600 (Jan), 600 + 100 = 700 (Feb); R&D = 300 + 20 = 320 both months.
    body = "".join(",".join(f'"{c}"' if c else "" for c in row) + "\n" for row in TWO_SALARIES)
    toml = (
        '[inputs.financials]\npath = "pnl.csv"\nlayout = "accounts"\n[inputs.financials.accounts]\n'
        'sales_marketing = ["Sales & Marketing:Salaries", "Ads"]\n'
        'research_development = ["Total for Research & Development"]\n'
    )
    company = load_company(make(tmp_path, toml, {"pnl.csv": body}))
    fin = company.frames["financials"]
    assert fin["sales_marketing"].tolist() == [600, 700] and fin["research_development"].tolist() == [320, 320]
    assert not [w for w in company.warnings if w.file == "pnl.csv"]


# Fixed monthly costs in a flat report (a Xero CSV, any XLSX): Computer Software 1,500 equals
# Consulting 1,000 + Insurance 500 below it every month, and is an account.
FIXED_COSTS = [
    [None, "Jan 2026", "Feb 2026"],
    ["Trading Income", None, None],
    ["Subscription Revenue", "36,000", "38,000"],
    ["Operating Expenses", None, None],
    ["Bank Fees", "55", "60"],
    ["Computer Software", "1,500", "1,500"],
    ["Consulting & Accounting", "1,000", "1,000"],
    ["Insurance", "500", "500"],
    ["Rent", "2,500", "2,500"],
    ["Total Operating Expenses", "5,555", "5,560"],
]
FIXED_COSTS_GA = {
    "cogs": [],
    "sales_marketing": [],
    "general_admin": ["Bank Fees", "Computer Software", "Consulting & Accounting", "Insurance", "Rent"],
}


@pytest.mark.parametrize("total", [True, False])
def test_a_flat_line_equal_to_the_next_two_is_an_account_without_a_total_proving_it_a_parent(total):
    # G&A = 55 + 1,500 + 1,000 + 500 + 2,500 = 5,555 in Jan, 60 + ... = 5,560 in Feb, as the
    # section's total prints (it was 4,055 / 4,060: Computer Software taken for the parent of
    # Consulting and Insurance). Without the total line nothing proves a parent: an account too.
    grid = FIXED_COSTS if total else FIXED_COSTS[:-1]
    fin = to_financials(read_accounts(cells(grid)), FIXED_COSTS_GA)
    assert fin["general_admin"].tolist() == [5555, 5560]


def test_an_indented_line_equal_to_its_children_is_an_account_when_the_section_total_counts_it():
    # Indented, Computer Software 1,500 prints the sum of Consulting 1,000 + Insurance 500, but
    # "Total Operating Expenses" 5,555 = 55 + 1,500 + 1,000 + 500 + 2,500 counts it: an account
    # with sub-accounts' amounts equal by chance. G&A 5,555 (it was 4,055).
    grid = [[f"   {r[0]}" if r[0] in ("Consulting & Accounting", "Insurance") else r[0], *r[1:]] for r in FIXED_COSTS]
    fin = to_financials(read_accounts(cells(grid)), FIXED_COSTS_GA)
    assert fin["general_admin"].tolist() == [5555, 5560]


# QuickBooks: a parent account with postings of its own (500 a month) printed on its line,
# its sub-accounts indented below, closed by its "Total for" line: 500 + 22,000 + 1,800 = 24,300.
PARENT_WITH_POSTINGS = [
    [None, "January 2026", "February 2026"],
    ["Income", None, None],
    ["4000 Subscription Revenue", "40,000.00", "42,000.00"],
    ["Total for Income", "$40,000.00", "$42,000.00"],
    ["Expenses", None, None],
    ["7000 Research & Development", "500.00", "500.00"],
    ["   7010 Engineering Salaries", "22,000.00", "22,000.00"],
    ["   7020 Software & Tools", "1,800.00", "1,900.00"],
    ["Total for 7000 Research & Development", "$24,300.00", "$24,400.00"],
    ["8000 Rent", "4,000.00", "4,000.00"],
    ["Total for Expenses", "$28,300.00", "$28,400.00"],
]


@pytest.mark.parametrize("named", ["7000 Research & Development", "Total for 7000 Research & Development"])
def test_a_parent_with_postings_of_its_own_takes_them_and_its_accounts(named):
    # R&D = 500 + 22,000 + 1,800 = 24,300 (Jan), 500 + 22,000 + 1,900 = 24,400 (Feb). Naming the
    # parent gave 500 (its children dropped silently); naming its "Total for" line was an error.
    fin = to_financials(
        read_accounts(cells(PARENT_WITH_POSTINGS)),
        {"cogs": [], "sales_marketing": ["8000 Rent"], "research_development": [named]},
    )
    assert fin["research_development"].tolist() == [24300, 24400]
    assert fin["sales_marketing"].tolist() == [4000, 4000]


@pytest.mark.parametrize("own, expected", [("23,800.00", 23800), ("500.00", 24300)])
def test_a_flat_parent_closed_by_a_formula_total_is_its_accounts_sum_or_has_postings(own, expected):
    # An XLSX (no indentation) whose "Total for" lines are formulas saved without values
    # (QuickBooks' XLSX): "=SUM(B7:B9)" must not read as 79. R&D's line prints 23,800, the sum
    # of Engineering 22,000 + Tools 1,800 (not an account: R&D = 23,800, not 47,600), or 500 of
    # its own postings (an account of the group: R&D = 500 + 22,000 + 1,800 = 24,300; naming
    # the parent gave 500). Its "Total for" line is what closes the group either way.
    grid = [
        [None, "January 2026"],
        ["Income", None],
        ["4000 Subscription Revenue", "40,000.00"],
        ["Expenses", None],
        ["7000 Research & Development", own],
        ["7010 Engineering Salaries", "22,000.00"],
        ["7020 Software & Tools", "1,800.00"],
        ["Total for 7000 Research & Development", "=SUM(B7:B9)"],
        ["8000 Rent", "4,000.00"],
        ["Total for Expenses", "=SUM(B7:B11)"],
    ]
    mapping = {"cogs": [], "sales_marketing": ["8000 Rent"], "research_development": ["7000 Research & Development"]}
    fin = to_financials(read_accounts(cells(grid)), mapping)
    assert fin["research_development"].tolist() == [expected]
    assert pd.isna(parse_amount("=SUM(B7:B9)"))
