"""Unit economics (METRICS.md "Unit economics"): gross margin, S&M spend, CAC, LTV,
magic number, CAC payback, burn, burn multiple, revenue growth, EBITDA margin, Rule of 40.

Financials are monthly P&L rows (``month`` ``period[M]``, money columns float64, maybe with
dimension columns, several rows per month). The revenue side (ARPA, ASP, new customers,
net new ARR, churn) comes from the revenue engine's KPI dict, so both sections agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from reportlib.metrics._noted import Noted, as_months, first_blank, policy
from reportlib.metrics._values import Blank, Value, is_blank, safe_ratio
from reportlib.metrics.churn_basis import ltv_churn
from reportlib.metrics.periods import Window, months_text, period_text
from reportlib.registry import company_wide_note, unallocated_note

#: Money columns that add up across months and dimension rows.
FLOW_COLUMNS = (
    "revenue",
    "cogs",
    "sales_marketing",
    "research_development",
    "general_admin",
    "ebitda",
    "net_cash_flow",
    "revenue_contracted_recurring",
    "revenue_uncontracted_recurring",
    "revenue_one_off",
)
#: Balances (stocks): summed across segment rows like the flows, never across months.
STOCK_COLUMNS = ("cash_balance",)
#: Operating-expense columns subtracted when there is no ebitda column.
OPEX_COLUMNS = ("sales_marketing", "research_development", "general_admin")
#: KPIs that depend on S&M spend (blank in a segment pack without an allocation).
SM_KPIS = ("sm_spend", "cac", "ltv_cac", "magic_number", "cac_payback_months")
MAGIC_NUMBER_BASES = {
    "net_new": ("net_new_arr",),
    "new": ("new_arr", "reactivation_arr"),
    "gross": ("new_arr", "reactivation_arr", "expansion_arr"),
}


# --- financials ------------------------------------------------------------------------


def monthly_financials(financials: pd.DataFrame | None, segment: tuple[str, str] | None = None) -> pd.DataFrame:
    """Financials summed to one row per month, indexed by monthly ``Period``.

    Parameters
    ----------
    financials : DataFrame or None
        Canonical financials (``month`` plus money columns, maybe dimension columns).
    segment : (key, value), optional
        When the financials carry column ``key`` only that segment's rows are kept.

    Returns
    -------
    DataFrame
        Index ``month`` (``PeriodIndex``), the flow columns present.
    """
    if financials is None or financials.empty:
        return pd.DataFrame(index=pd.PeriodIndex([], freq="M", name="month"))
    frame = financials
    if segment is not None and segment[0] in frame.columns:
        frame = frame[(frame[segment[0]].astype("string") == str(segment[1])).fillna(False).astype(bool)]
    cols = [c for c in FLOW_COLUMNS + STOCK_COLUMNS if c in frame.columns]
    out = frame[cols].astype(float).groupby(as_months(frame["month"]).rename("month")).sum(min_count=1)
    return out.sort_index()


def has_segment_dimension(financials: pd.DataFrame | None, segment: tuple[str, str] | None) -> bool:
    """True when the financials can be split by ``segment``'s key."""
    return bool(segment is not None and financials is not None and segment[0] in financials.columns)


def _sum(monthly: pd.DataFrame, column: str, months: pd.PeriodIndex) -> Value:
    """Sum of ``column`` over ``months``; blank when the column or any month is missing."""
    if column not in monthly.columns:
        return Blank(f"financials have no {column} column")
    # month ordinals on the sorted index instead of a reindex: this runs some 15 times per
    # window and policy variant, and a reindex costs more than the sum
    have, want = monthly.index.asi8, months.asi8
    at = np.minimum(np.searchsorted(have, want), max(len(have) - 1, 0))
    column_values = monthly[column].to_numpy(dtype=float)
    values = np.where(have[at] == want, column_values[at], np.nan) if len(have) else np.full(len(want), np.nan)
    missing = months[np.isnan(values)]
    if len(missing):
        return Blank(f"financials do not cover {column} for {months_text(missing)}")
    return float(values.sum())


def _ebitda(monthly: pd.DataFrame, months: pd.PeriodIndex) -> Value:
    """EBITDA over ``months``: the ebitda column, else revenue - cogs - all opex columns."""
    if "ebitda" in monthly.columns:
        return _sum(monthly, "ebitda", months)
    parts = [_sum(monthly, c, months) for c in ("revenue", "cogs")]
    parts += [_sum(monthly, c, months) for c in OPEX_COLUMNS if c in monthly.columns]
    blank = first_blank(*parts)
    if blank is not None:
        return blank
    return float(parts[0] - sum(parts[1:]))


def _gross_margin(monthly: pd.DataFrame, months: pd.PeriodIndex) -> Value:
    revenue, cogs = _sum(monthly, "revenue", months), _sum(monthly, "cogs", months)
    blank = first_blank(revenue, cogs)
    if blank is not None:
        return blank
    return safe_ratio(revenue - cogs, revenue, "no revenue in the period")


def _months(window: Window, lag: int = 0) -> pd.PeriodIndex:
    return window.shift(lag).period_months


# --- KPI functions ----------------------------------------------------------------------


def gross_margin(monthly: pd.DataFrame, window: Window) -> Value:
    """(revenue - cogs) / revenue over the period."""
    return _gross_margin(monthly, _months(window))


def gross_margin_ttm(monthly: pd.DataFrame, window: Window) -> Value:
    """(revenue - cogs) / revenue over the twelve months ending at M."""
    return _gross_margin(monthly, _months(window.ttm()))


def sm_spend(monthly: pd.DataFrame, window: Window, cac_lag_months: int = 0) -> Value:
    """Sales and marketing over the w months ending at M - ``cac_lag_months``."""
    return _sum(monthly, "sales_marketing", _months(window, cac_lag_months))


def cac(spend: Value, new_customers: Value) -> Value:
    """S&M spend per new customer; blank without spend or without new customers."""
    blank = first_blank(spend, new_customers)
    if blank is not None:
        return blank
    if spend <= 0:
        return Blank("no sales and marketing spend in the period: CAC is not meaningful")
    return safe_ratio(spend, new_customers, "no new customers in the period")


def ltv(arpa: Value, gm_ttm: Value, churn_annual: Value, max_lifetime_years: float | None = None) -> Value:
    """12 x ARPA x gross margin (TTM) x customer lifetime in years, lifetime = 1 / annual
    logo churn, capped at ``max_lifetime_years`` when that policy is set."""
    blank = first_blank(arpa, gm_ttm, churn_annual)
    if blank is not None:
        return blank
    yearly_gp = 12.0 * arpa * gm_ttm
    if churn_annual <= 0:
        if max_lifetime_years is None:
            return Blank("no churn in the trailing 12 months: lifetime unbounded; set ltv_max_lifetime_years")
        return Noted(
            yearly_gp * max_lifetime_years,
            f"no churn in the trailing 12 months: lifetime capped at {max_lifetime_years:g} years",
        )
    lifetime = 1.0 / churn_annual
    if max_lifetime_years is not None and lifetime > max_lifetime_years:
        return Noted(
            yearly_gp * max_lifetime_years,
            f"lifetime 1/churn = {lifetime:.1f} years capped at {max_lifetime_years:g} years",
        )
    return yearly_gp / churn_annual


def magic_number(revenue: Mapping[str, Value], spend: Value, basis: str = "net_new") -> Value:
    """ARR added (per ``magic_number_basis``) / S&M spend."""
    try:
        keys = MAGIC_NUMBER_BASES[basis]
    except KeyError:
        return Blank(f"unknown magic_number_basis '{basis}': use net_new, new or gross")
    parts = [revenue.get(k, Blank(f"{k} is not available")) for k in keys]
    blank = first_blank(spend, *parts)
    if blank is not None:
        return blank
    if spend <= 0:
        return Blank("no sales and marketing spend in the period")
    return float(sum(parts)) / spend


def cac_payback_months(cac_value: Value, asp: Value, gm_ttm: Value) -> Value:
    """Months of a new customer's gross profit that repay its CAC: cac / (asp x gm TTM)."""
    blank = first_blank(cac_value, asp, gm_ttm)
    if blank is not None:
        return blank
    if gm_ttm <= 0:
        return Blank("gross margin is not positive: CAC is never paid back")
    return safe_ratio(cac_value, asp * gm_ttm, "no new MRR in the period (ASP is zero)")


def burn(monthly: pd.DataFrame, window: Window) -> Value:
    """Minus net cash flow over the period; blank when the company generated cash."""
    flow = _sum(monthly, "net_cash_flow", _months(window))
    if is_blank(flow):
        return flow
    if flow >= 0:
        return Blank(f"the company generated cash in the period (net cash flow {flow:,.0f}): no burn")
    return -flow


def burn_multiple(burn_value: Value, net_new_arr: Value) -> Value:
    """Burn / net new ARR; blank when ARR did not grow."""
    blank = first_blank(burn_value, net_new_arr)
    if blank is not None:
        return blank
    if net_new_arr <= 0:
        return Blank(f"net new ARR is {net_new_arr:,.0f} (not positive): burn multiple undefined")
    return burn_value / net_new_arr


def cash_balance(monthly: pd.DataFrame, window: Window) -> Value:
    """Cash balance at M."""
    if "cash_balance" not in monthly.columns:
        return Blank("financials have no cash_balance column")
    value = monthly["cash_balance"].get(window.as_of, np.nan)
    if pd.isna(value):
        return Blank(f"financials have no cash balance for {window.as_of}")
    return float(value)


def net_burn_monthly(monthly: pd.DataFrame, window: Window) -> Value:
    """Burn over the 3 months ending at M, per month; blank when the company generated cash."""
    quarter = burn(monthly, Window(window.as_of, 3))
    return quarter if is_blank(quarter) else quarter / 3


def runway_months(cash: Value, monthly_burn: Value) -> Value:
    """Cash balance / monthly net burn."""
    blank = first_blank(cash, monthly_burn)
    return blank if blank is not None else safe_ratio(cash, monthly_burn, "no net burn: runway not limited")


CASH_RUNWAY_COLUMNS = ["month", "cash_balance", "net_burn_monthly", "runway_months"]


def cash_runway_series(
    financials: pd.DataFrame | None, segment: tuple[str, str] | None = None, *, monthly: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Cash balance, monthly net burn and months of runway for every month of the financials.

    ``net_burn_monthly`` is minus the net cash flow averaged over the 3 months ending at the
    month (as :func:`net_burn_monthly`), blank while fewer than 3 months are known and when
    the company generated cash; ``runway_months`` = cash balance / that burn. Empty for a
    segment whose financials are company-wide (an allocated cash balance is not the
    segment's). ``monthly``: ``monthly_financials(financials, segment)`` when the caller has it."""
    empty = pd.DataFrame(columns=CASH_RUNWAY_COLUMNS)
    company_wide = segment is not None and not has_segment_dimension(financials, segment)
    if financials is None or financials.empty or company_wide:
        return empty
    monthly = monthly_financials(financials, segment) if monthly is None else monthly
    if "cash_balance" not in monthly.columns or "net_cash_flow" not in monthly.columns:
        return empty
    # burn over 3 calendar months: a gap in the months leaves the window short, hence blank
    flow = monthly["net_cash_flow"].reindex(pd.period_range(monthly.index.min(), monthly.index.max(), freq="M"))
    burn = (-flow.rolling(3, min_periods=3).sum() / 3).reindex(monthly.index)
    burn = burn.where(burn > 0)
    cash = monthly["cash_balance"]
    out = pd.DataFrame(
        {
            "month": monthly.index,
            "cash_balance": cash.to_numpy(dtype=float),
            "net_burn_monthly": burn.to_numpy(dtype=float),
            "runway_months": (cash / burn).to_numpy(dtype=float),
        }
    )
    return out.reset_index(drop=True)


def revenue_growth_yoy(monthly: pd.DataFrame, window: Window) -> Value:
    """Revenue over TTM / revenue over the twelve months before - 1."""
    now = _sum(monthly, "revenue", _months(window.ttm()))
    before = _sum(monthly, "revenue", _months(window.ttm().shift(12)))
    blank = first_blank(now, before)
    if blank is not None:
        return Blank("fewer than 24 months of revenue: " + blank.note)
    ratio = safe_ratio(now, before, "no revenue in the twelve months a year earlier")
    return ratio if is_blank(ratio) else ratio - 1.0


def ebitda_margin(monthly: pd.DataFrame, window: Window) -> Value:
    """EBITDA over TTM / revenue over TTM."""
    months = _months(window.ttm())
    ebitda, revenue = _ebitda(monthly, months), _sum(monthly, "revenue", months)
    blank = first_blank(ebitda, revenue)
    if blank is not None:
        return blank
    return safe_ratio(ebitda, revenue, "no revenue in the trailing 12 months")


def rule_of_40(growth: Value, margin: Value, arr_growth: Value, history_months: int) -> Value:
    """Revenue growth + EBITDA margin; with under 24 months of revenue (or no revenue
    growth), ARR growth replaces revenue growth and the note says so."""
    if is_blank(margin):
        return margin
    if history_months >= 24 and not is_blank(growth):
        return float(growth) + float(margin)
    if is_blank(arr_growth):
        return Blank("fewer than 24 months of revenue and no ARR growth a year on year either")
    reason = f"only {history_months} months of revenue" if history_months < 24 else "revenue growth unavailable"
    return Noted(
        float(arr_growth) + float(margin),
        f"{reason}: ARR growth year on year used instead of revenue growth",
        basis="ARR growth",
    )


# --- segment packs ----------------------------------------------------------------------

#: What ``sm_allocation`` may allocate company-wide costs by (METRICS.md "Segment packs").
ALLOCATION_BASES = ("new_customers", "new_arr", "arr")


def segment_share(segment_revenue: Mapping[str, Value], company_revenue: Mapping[str, Value]) -> dict[str, Value]:
    """A segment's share of the company's new customers, new ARR and ARR, for ``sm_allocation``.

    Parameters
    ----------
    segment_revenue, company_revenue : dict
        Revenue-engine KPI dicts of the segment and of the whole company, same window.

    Returns
    -------
    dict
        ``{"new_customers": share, "new_arr": share, "arr": share}``; blank when the company
        had none.
    """
    return {
        k: safe_ratio(
            segment_revenue.get(k, Blank("")),
            company_revenue.get(k, Blank("")),
            f"the company had no {k.replace('_', ' ')} in the period",
        )
        for k in ALLOCATION_BASES
    }


def acquisitions_on_rows(company_movements: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """The company's ``new`` movements that fall on ``rows``: a segment's part of the
    company's acquisitions, the basis ``sm_allocation`` shares S&M by.

    A segment pack's own movements are those of its rows, so a customer that moves into the
    segment (SMB in March, Enterprise in April) is new there and churned from its old
    segment, though the company acquired no one: it cost no acquisition spend and takes no
    share of it. Shares of these acquisitions sum to one over the segments.

    Parameters
    ----------
    company_movements : DataFrame
        The whole company's :func:`~.movements.movements` frame.
    rows : DataFrame
        The segment's ``customer_id, month, mrr`` rows (the company's frame filtered).

    Returns
    -------
    DataFrame
        ``customer_id`` (text), ``month`` (period[M]), ``amount``: one row per company
        ``new`` movement on an active row of the segment.
    """
    new = company_movements[company_movements["movement"] == "new"]
    acquired = pd.DataFrame(
        {
            "customer_id": new["customer_id"].astype(str).to_numpy(),
            "month": as_months(new["month"]),
            "amount": new["amount"].to_numpy(dtype=float),
        }
    )
    active = rows[rows["mrr"].to_numpy(dtype=float) > 0]
    mine = pd.DataFrame(
        {"customer_id": active["customer_id"].astype(str).to_numpy(), "month": as_months(active["month"])}
    )
    return acquired.merge(mine.drop_duplicates(), on=["customer_id", "month"])


def acquired_values(acquired: pd.DataFrame, window: Window, segment_revenue: Mapping[str, Value]) -> dict[str, Value]:
    """The allocation bases of a segment over ``window`` on its acquisitions
    (:func:`acquisitions_on_rows`): new customers and 12 x their new MRR; ARR is its own.
    A basis blank in the segment's revenue KPIs (a period before the data) stays blank."""
    inside = acquired[window.contains(acquired["month"])]
    values: dict[str, Value] = {
        "new_customers": float(inside["customer_id"].nunique()),
        "new_arr": 12.0 * float(inside["amount"].sum()),
        "arr": segment_revenue.get("arr", Blank("")),
    }
    return {k: segment_revenue.get(k, v) if is_blank(segment_revenue.get(k, v)) else v for k, v in values.items()}


def acquired_bridge(segment_bridge: pd.DataFrame, acquired: pd.DataFrame) -> pd.DataFrame:
    """The segment's ``mrr_bridge`` with ``new`` and ``new_customers`` counting only its
    acquisitions (:func:`acquisitions_on_rows`), for :func:`allocation_shares`."""
    months = as_months(segment_bridge["month"])
    per_month = acquired.groupby("month")["amount"].agg(["sum", "size"])
    out = segment_bridge.copy()
    out["new"] = per_month["sum"].reindex(months, fill_value=0.0).to_numpy(dtype=float)
    out["new_customers"] = per_month["size"].reindex(months, fill_value=0).to_numpy()
    return out


def _allocated_spend(
    spend: Value,
    financials: pd.DataFrame | None,
    segment: tuple[str, str] | None,
    allocation: str,
    share: Mapping[str, Value] | float | None,
) -> Value:
    """S&M spend attributable to a segment pack (unchanged for a whole-company pack)."""
    if segment is None or has_segment_dimension(financials, segment) or is_blank(spend):
        return spend
    if allocation not in ALLOCATION_BASES:
        return Blank(unallocated_note(segment, "sales & marketing spend", allocation))
    value = share.get(allocation, Blank("")) if isinstance(share, Mapping) else share
    if value is None or is_blank(value):
        return Blank(unallocated_note(segment, "sales & marketing spend", allocation))
    return Noted(
        spend * float(value), f"company S&M allocated by share of {allocation.replace('_', ' ')} ({float(value):.1%})"
    )


# --- the section ------------------------------------------------------------------------


def unit_economics_kpis(
    financials: pd.DataFrame | None,
    revenue: Mapping[str, Value],
    window: Window,
    policies: Any = None,
    *,
    segment: tuple[str, str] | None = None,
    segment_share: Mapping[str, Value] | float | None = None,
    revenue_history_months: int | None = None,
    monthly: pd.DataFrame | None = None,
) -> dict[str, Value]:
    """Every unit-economics KPI of METRICS.md for one window.

    Parameters
    ----------
    financials : DataFrame or None
        Canonical financials; None when the company has none (every KPI blank).
    revenue : dict
        The revenue engine's KPIs for the same window (arpa, asp, new_customers,
        net_new_arr, new_arr, reactivation_arr, expansion_arr, logo_churn_rate_annual,
        arr_growth_yoy and, for ``ltv_churn_basis = "monthly"``,
        ``logo_churn_rate_monthly_annualised``).
    window : Window
    policies : Policies, optional
        ``cac_lag_months``, ``ltv_max_lifetime_years``, ``ltv_churn_basis``,
        ``magic_number_basis``, ``sm_allocation``; METRICS.md defaults when None.
    segment : (key, value), optional
        Set for a segment pack.
    segment_share : dict or float, optional
        The segment's share of the company's ``new_customers`` / ``new_arr`` (see
        :func:`segment_share`), used when ``sm_allocation`` allocates S&M.
    revenue_history_months : int, optional
        Months of revenue data up to M (Rule of 40 falls back to ARR growth under 24);
        default: months of financials up to M.
    monthly : DataFrame, optional
        ``monthly_financials(financials, segment)`` when the caller already has it (a run
        asks for the same financials under many windows and policies).

    Returns
    -------
    dict
        KPI id -> float, :class:`Noted` or :class:`Blank`.
    """
    if financials is None or financials.empty:
        note = "no financials input: add a monthly P&L export (financials) to compute unit economics"
        return {k: Blank(note) for k in UNIT_ECONOMICS_IDS}
    monthly = monthly_financials(financials, segment) if monthly is None else monthly
    company_wide = segment is not None and not has_segment_dimension(financials, segment)
    get = lambda k: revenue.get(k, Blank(f"{k} is not available"))  # noqa: E731

    out: dict[str, Value] = {}
    out["gross_margin"] = gross_margin(monthly, window)
    out["gross_margin_ttm"] = gross_margin_ttm(monthly, window)
    spend = sm_spend(monthly, window, int(policy(policies, "cac_lag_months", 0) or 0))
    out["sm_spend"] = _allocated_spend(
        spend, financials, segment, policy(policies, "sm_allocation", "none"), segment_share
    )
    out["cac"] = cac(out["sm_spend"], get("new_customers"))
    out["ltv"] = ltv(
        get("arpa"),
        out["gross_margin_ttm"],
        ltv_churn(revenue, policy(policies, "ltv_churn_basis", "period")),
        policy(policies, "ltv_max_lifetime_years", None),
    )
    out["ltv_cac"] = _ratio(out["ltv"], out["cac"], "CAC is zero")
    out["magic_number"] = magic_number(revenue, out["sm_spend"], policy(policies, "magic_number_basis", "net_new"))
    out["cac_payback_months"] = cac_payback_months(out["cac"], get("asp"), out["gross_margin_ttm"])
    out["burn"] = burn(monthly, window)
    out["burn_multiple"] = burn_multiple(out["burn"], get("net_new_arr"))
    out["cash_balance"] = cash_balance(monthly, window)
    out["net_burn_monthly"] = net_burn_monthly(monthly, window)
    out["runway_months"] = runway_months(out["cash_balance"], out["net_burn_monthly"])
    out["revenue_growth_yoy"] = revenue_growth_yoy(monthly, window)
    out["ebitda_margin"] = ebitda_margin(monthly, window)
    history = (
        revenue_history_months if revenue_history_months is not None else int((monthly.index <= window.as_of).sum())
    )
    out["rule_of_40"] = rule_of_40(out["revenue_growth_yoy"], out["ebitda_margin"], get("arr_growth_yoy"), history)
    if company_wide:
        _segment_rules(out, segment, policy(policies, "sm_allocation", "none"), segment_share)
    if isinstance(out["sm_spend"], Noted):  # allocated S&M: say so on everything built on it
        for k in ("cac", "ltv_cac", "magic_number", "cac_payback_months"):
            if not is_blank(out[k]) and not isinstance(out[k], Noted):
                out[k] = Noted(out[k], out["sm_spend"].note)
    return out


UNIT_ECONOMICS_IDS = (
    "gross_margin",
    "gross_margin_ttm",
    "sm_spend",
    "cac",
    "ltv",
    "ltv_cac",
    "magic_number",
    "cac_payback_months",
    "burn",
    "burn_multiple",
    "revenue_growth_yoy",
    "ebitda_margin",
    "rule_of_40",
    "cash_balance",
    "net_burn_monthly",
    "runway_months",
)


def _ratio(num: Value, den: Value, note: str) -> Value:
    blank = first_blank(num, den)
    return blank if blank is not None else safe_ratio(num, den, note)


#: Company figures with no meaning for one segment, even allocated (an allocated cash balance
#: over an allocated burn is the company's runway; a share of company revenue has no growth).
_COMPANY_ONLY = (
    "revenue_growth_yoy",
    "ebitda_margin",
    "rule_of_40",
    "cash_balance",
    "net_burn_monthly",
    "runway_months",
)
#: Figures built on company COGS or burn: kept only when costs are allocated to the segment.
_ALLOCATED = ("gross_margin", "gross_margin_ttm", "ltv", "burn", "burn_multiple")


def _segment_rules(
    out: dict[str, Value], segment: tuple[str, str], allocation: str, share: Mapping[str, Value] | float | None
) -> None:
    """A segment pack on company-wide financials (METRICS.md "Segment packs"): every number is
    the segment's own, allocated pro rata by the stated policy, or blank with a note; never
    company costs over segment revenue."""
    for k in _COMPANY_ONLY:
        out[k] = Blank(company_wide_note(segment, ["financials"]))
    value = share.get(allocation) if isinstance(share, Mapping) else share
    if allocation not in ALLOCATION_BASES or value is None or is_blank(value):
        for k in _ALLOCATED:
            out[k] = Blank(unallocated_note(segment, "the cost of revenue and cash burn", allocation, plural=True))
        return
    basis = f"by share of {allocation.replace('_', ' ')} ({float(value):.1%})"
    if not is_blank(out["burn"]):  # burn allocated; the multiple divides it by the segment's own ARR
        out["burn"] = Noted(out["burn"] * float(value), f"company burn allocated {basis}")
        if not is_blank(out["burn_multiple"]):
            out["burn_multiple"] = Noted(out["burn_multiple"] * float(value), f"company burn allocated {basis}")
    for k in ("gross_margin", "gross_margin_ttm", "ltv"):  # revenue and COGS allocated alike
        if not is_blank(out[k]):
            out[k] = Noted(out[k], f"company COGS and revenue allocated {basis}")


# --- series for tables/unit_economics.csv -----------------------------------------------

SERIES_COLUMNS = [
    "period",
    "revenue",
    "cogs",
    "gross_margin",
    "gross_margin_ttm",
    "sm_spend",
    "new_customers",
    "cac",
    "new_arr",
    "net_new_arr",
    "magic_number",
    "asp",
    "cac_payback_months",
    "burn",
    "burn_multiple",
    "ebitda_margin",
]


def unit_economics_series(
    financials: pd.DataFrame | None,
    revenue_series: pd.DataFrame,
    freq: str = "M",
    policies: Any = None,
    opening_month: pd.Period | str | None = None,
    *,
    monthly: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Unit economics per month or quarter (``tables/unit_economics.csv``).

    Parameters
    ----------
    financials : DataFrame or None
    revenue_series : DataFrame
        The revenue engine's ``mrr_bridge`` table (month, opening_mrr, new, reactivation,
        expansion, contraction, churn, closing_mrr, customers, new_customers, ...).
    freq : {"M", "Q"} or a fiscal quarter frequency such as "Q-JAN"
        Monthly, calendar-quarter or fiscal-quarter periods (:func:`~.periods.quarter_freq`,
        labelled ``FY2027 Q3``); a quarter is kept only when all three months are present
        in both inputs.
    policies : Policies, optional
        ``cac_lag_months`` and ``magic_number_basis`` apply as in the KPIs.

    opening_month : Period, optional
        The first month of the MRR data (the opening balance): its new, expansion and
        reactivation MRR and new customers are not flows, so they are blank (NaN), and so
        is every period and ratio built on them.
    monthly : DataFrame, optional
        ``monthly_financials(financials)`` when the caller has it (a run asks for months
        and quarters).

    Returns
    -------
    DataFrame
        One row per period with :data:`SERIES_COLUMNS` (NaN where a value is blank);
        ``gross_margin_ttm`` is the trailing 12 months ending at the period's last month
        (the same basis as ``cac_payback_months``).
    """
    if freq != "M" and not freq.upper().startswith("Q"):
        raise ValueError(f"freq must be 'M' or a quarterly frequency ('Q', 'Q-JAN'), not {freq!r}")
    monthly = monthly_financials(financials) if monthly is None else monthly
    bridge = revenue_series.copy()
    bridge.index = as_months(bridge["month"]).rename("month")
    months = bridge.index.union(monthly.index).sort_values()
    if len(months) == 0:
        return pd.DataFrame(columns=SERIES_COLUMNS)
    full = pd.period_range(months.min(), months.max(), freq="M")
    bridge = bridge.reindex(full)
    if opening_month is not None:  # the opening balance: its movements are not flows
        bridge.loc[bridge.index == pd.Period(opening_month, freq="M"), OPENING_BLANK] = np.nan
    m = _monthly_frame(monthly.reindex(full), bridge, policies)
    grouped = _to_periods(m, freq)
    return _series_ratios(grouped, m, freq, policy(policies, "magic_number_basis", "net_new"))


#: Bridge columns that are not flows in the opening month (the data's first month).
OPENING_BLANK = ["new", "reactivation", "expansion", "new_customers", "opening_mrr"]


def _monthly_frame(fin: pd.DataFrame, bridge: pd.DataFrame, policies: Any) -> pd.DataFrame:
    lag = int(policy(policies, "cac_lag_months", 0) or 0)
    col = lambda f, c: f[c] if c in f.columns else pd.Series(np.nan, index=f.index)  # noqa: E731
    m = pd.DataFrame(index=fin.index)
    m["revenue"], m["cogs"] = col(fin, "revenue"), col(fin, "cogs")
    m["sm_spend"] = col(fin, "sales_marketing").shift(lag)  # S&M of month t - lag drives month t
    m["net_cash_flow"] = col(fin, "net_cash_flow")
    m["ebitda"] = (
        col(fin, "ebitda")
        if "ebitda" in fin.columns
        else (m["revenue"] - m["cogs"] - sum(fin[c].fillna(0) for c in OPEX_COLUMNS if c in fin.columns))
    )
    for c in ("new", "reactivation", "expansion", "new_customers", "opening_mrr", "closing_mrr"):
        m[c] = col(bridge, c)
    gp = (m["revenue"] - m["cogs"]).rolling(12, min_periods=12).sum()
    m["gross_margin_ttm"] = gp / m["revenue"].rolling(12, min_periods=12).sum()
    m["ebitda_ttm"] = m["ebitda"].rolling(12, min_periods=12).sum()
    m["revenue_ttm"] = m["revenue"].rolling(12, min_periods=12).sum()
    return m


def _to_periods(m: pd.DataFrame, freq: str) -> pd.DataFrame:
    flows = ["revenue", "cogs", "sm_spend", "net_cash_flow", "new", "reactivation", "expansion", "new_customers"]
    if freq == "M":
        g = m.copy()
        g["months"] = 1
        return g
    key = m.index.asfreq(freq.upper())
    agg = m[flows].groupby(key).sum(min_count=3)  # a sum is kept only with all three months
    agg["opening_mrr"] = m["opening_mrr"].groupby(key).agg(lambda s: s.iloc[0])  # NaN stays NaN
    last = m.groupby(key).tail(1)
    for c in ("closing_mrr", "gross_margin_ttm", "ebitda_ttm", "revenue_ttm"):
        agg[c] = pd.Series(last[c].to_numpy(), index=last.index.asfreq(freq.upper()))
    agg["months"] = m.groupby(key).size()
    return agg[agg["months"] == 3]


def _series_ratios(g: pd.DataFrame, m: pd.DataFrame, freq: str, basis: str) -> pd.DataFrame:
    nz = lambda s: s.where(s != 0)  # noqa: E731  # a zero denominator gives NaN, never inf
    # the columns gathered, then made a frame at once: each column added to a frame re-creates it
    out: dict[str, Any] = {"period": [period_text(p) for p in g.index], "revenue": g["revenue"], "cogs": g["cogs"]}
    out["gross_margin"] = (g["revenue"] - g["cogs"]) / nz(g["revenue"])
    out["gross_margin_ttm"] = g["gross_margin_ttm"]
    out["sm_spend"] = g["sm_spend"]
    out["new_customers"] = g["new_customers"]
    out["cac"] = nz(g["sm_spend"].where(g["sm_spend"] > 0)) / nz(g["new_customers"])
    out["new_arr"] = 12 * g["new"]
    out["net_new_arr"] = 12 * (g["closing_mrr"] - g["opening_mrr"])
    added = {
        "net_new": out["net_new_arr"],
        "new": 12 * (g["new"] + g["reactivation"]),
        "gross": 12 * (g["new"] + g["reactivation"] + g["expansion"]),
    }.get(basis, out["net_new_arr"])
    out["magic_number"] = added / nz(g["sm_spend"].where(g["sm_spend"] > 0))
    out["asp"] = g["new"] / nz(g["new_customers"])
    out["cac_payback_months"] = out["cac"] / nz(out["asp"] * g["gross_margin_ttm"].where(g["gross_margin_ttm"] > 0))
    out["burn"] = (-g["net_cash_flow"]).where(g["net_cash_flow"] < 0)
    out["burn_multiple"] = out["burn"] / out["net_new_arr"].where(out["net_new_arr"] > 0)
    out["ebitda_margin"] = g["ebitda_ttm"] / nz(g["revenue_ttm"])
    return pd.DataFrame(out, index=g.index)[SERIES_COLUMNS].reset_index(drop=True)


# --- the series of a segment pack on company-wide financials -------------------------------

#: Company money in the series: allocated to the segment pro rata, else blank.
_SERIES_ALLOCATED = ["revenue", "cogs", "sm_spend", "burn"]
#: Company money over the segment's own counts: scaled by the share as the money is.
_SERIES_SCALED = ["cac", "cac_payback_months", "burn_multiple"]
#: Company revenue and COGS allocated alike leave the margins as they are.
_SERIES_MARGINS = ["gross_margin", "gross_margin_ttm"]


def allocation_shares(
    segment_bridge: pd.DataFrame,
    company_bridge: pd.DataFrame,
    freq: str,
    allocation: str,
    opening_month: pd.Period | str | None = None,
) -> pd.Series | None:
    """The segment's share of the company's ``allocation`` basis in each month or quarter.

    Parameters
    ----------
    segment_bridge, company_bridge : DataFrame
        The ``mrr_bridge`` tables of the segment and of the whole company (same months).
    freq : {"M", "Q"}
        Periods as in :func:`unit_economics_series`.
    allocation : str
        Policy ``sm_allocation``: a basis of :data:`ALLOCATION_BASES` (new customers and new
        ARR summed over the period, ARR at its end); anything else allocates nothing.
    opening_month : Period, optional
        The data's first month, whose new customers and new MRR are not flows (no share).

    Returns
    -------
    Series or None
        Share by period label (``"2026-03"``, ``"2026Q1"``), NaN where the company had none of
        the basis; None when ``allocation`` allocates nothing.
    """
    if allocation not in ALLOCATION_BASES:
        return None
    segment, company = (_basis(b, freq, allocation, opening_month) for b in (segment_bridge, company_bridge))
    return segment / company.reindex(segment.index).where(lambda s: s != 0)


def _basis(bridge: pd.DataFrame, freq: str, allocation: str, opening_month: pd.Period | str | None) -> pd.Series:
    months = as_months(bridge["month"])
    if allocation == "arr":  # ARR at the period's end: the closing MRR of its last month
        values = pd.Series(bridge["closing_mrr"].to_numpy(dtype=float), index=months)
    else:
        column = "new_customers" if allocation == "new_customers" else "new"
        values = pd.Series(bridge[column].to_numpy(dtype=float), index=months)
        if opening_month is not None:
            values[values.index == pd.Period(opening_month, freq="M")] = np.nan
    key = values.index if freq == "M" else values.index.asfreq(freq.upper())
    grouped = values.groupby(key)
    # a quarter's flows need its three months, as the series' quarters do (_to_periods)
    out = grouped.last() if allocation == "arr" else grouped.sum(min_count=1 if freq == "M" else 3)
    return out.set_axis([period_text(p) for p in out.index])


def segment_unit_economics_series(series: pd.DataFrame, shares: pd.Series | None) -> pd.DataFrame:
    """``tables/unit_economics.csv`` of a segment pack whose financials are company-wide
    (METRICS.md "Segment packs"), from the series of the segment's own revenue on the
    company's financials (:func:`unit_economics_series`).

    The segment's own columns stay (new customers, new and net new ARR, ASP). Company
    revenue, COGS, S&M and burn are allocated by each period's ``shares``
    (:func:`allocation_shares`), and the ratios built on them follow: CAC, CAC payback and
    the burn multiple scale with the share, the magic number with its inverse, the margins
    stay. Without shares (``sm_allocation`` none), or in a period where the company had none
    of the basis, those are blank, as the pack's KPIs are. The EBITDA margin is the company's
    alone: always blank.
    """
    out = series.copy()
    out["ebitda_margin"] = np.nan
    share = out["period"].map(shares).astype(float) if shares is not None else pd.Series(np.nan, index=out.index)
    for column in _SERIES_ALLOCATED + _SERIES_SCALED:
        out[column] = out[column] * share
    out["magic_number"] = out["magic_number"] / share.where(share > 0)
    out[_SERIES_MARGINS] = out[_SERIES_MARGINS].where(share.notna(), np.nan)
    return out
