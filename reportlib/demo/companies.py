"""Demo companies, generated test portfolios and the ``reportlib demo`` verb.

Two committed demo companies are made by a seeded generator (:mod:`reportlib.demo.generator`):

- ``data/meridian``: Meridian Analytics, sales-led B2B, EUR, growth stage, 36 months of
  contracts, P&L, CRM, targets, leads, traffic, product events and NPS;
- ``data/loopwise``: Loopwise, product-led, USD, early stage, 24 months of a wide Excel
  MRR export, usage charges, P&L, traffic and signups.

Regenerating gives byte-identical files. :func:`generate_company` and
:func:`generate_portfolio` make larger or many companies for benchmarks and tests.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from reportlib.demo import generator as g
from reportlib.pack import build_pack
from reportlib.session import Session

__all__ = ["generate_company", "generate_demo_companies", "generate_portfolio", "run_demo"]

END_MONTH = "2026-10"
_FIXED_TIME = (2026, 11, 2, 8, 0, 0)
_FIXED_ISO = "2026-11-02T08:00:00Z"


# --------------------------------------------------------------------------- writers


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, index=False, lineterminator="\n", float_format="%.2f")


def _write_parquet(table: pa.Table | pd.DataFrame, path: Path) -> None:
    if isinstance(table, pd.DataFrame):
        table = pa.Table.from_pandas(table, preserve_index=False)
    pq.write_table(table, path, compression="zstd")


def _write_xlsx(sheets: dict[str, pd.DataFrame], path: Path) -> None:
    """Write sheets with openpyxl, then pin the zip timestamps and document dates so
    that the bytes depend on the content only."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        for name, df in sheets.items():
            df.to_excel(xl, sheet_name=name, index=False)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>" + _FIXED_ISO.encode(), data)
            dst.writestr(
                zipfile.ZipInfo(item.filename, date_time=_FIXED_TIME), data, compress_type=zipfile.ZIP_DEFLATED
            )
    path.write_bytes(out.getvalue())


def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def _toml_key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k)


def _toml(doc: dict[str, dict], header: str = "") -> str:
    """A small TOML writer for company.toml (tables, inline tables, value maps)."""
    lines = [f"# {h}" for h in header.splitlines()] + ([""] if header else [])
    for table, body in doc.items():
        lines.append(f"[{table}]")
        subtables = {k: v for k, v in body.items() if isinstance(v, dict) and k == "values"}
        for k, v in body.items():
            if k not in subtables:
                lines.append(f"{_toml_key(k)} = {_toml_value(v)}")
        for col, mapping in subtables.get("values", {}).items():
            lines += ["", f"[{table}.values.{col}]"]
            lines += [f"{_toml_key(a)} = {_toml_value(b)}" for a, b in mapping.items()]
        lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------- Meridian


def _meridian(seed: int = 2026) -> tuple[dict[str, object], dict[str, float]]:
    """Meridian's export files (name -> frame or sheets) and the story's figures."""
    rng = lambda k: np.random.default_rng([seed, k])  # noqa: E731
    axis = g.month_axis(END_MONTH, 36)
    c, lines, grid = g.meridian_contracts(rng(1), axis, n_opening=190, base_new=12.0)
    cust_ids = g._ids("ACC-", len(c), 10001)
    # new logos signed in October (a few late September) that go live in Nov / Dec 2026
    ahead = g.signed_not_live(rng(9), c, len(axis))
    signed = pd.concat([lines, g.signed_by(ahead, axis, len(axis))], ignore_index=True)
    contracts = g.contracts_export(signed, c, axis, cust_ids, "%d/%m/%Y")
    mv = g.movements(grid)
    revenue = g.recognised_revenue(lines, grid)
    fin = g.financials(
        rng(2), axis, revenue, mv, payback=17.0, burn_multiple=1.5, gross_margin=0.75, cash_end=11_400_000.0
    )
    pnl = pd.DataFrame(
        {
            "Month": pd.to_datetime(fin.month),
            "Total revenue": fin.revenue,
            "Subscription revenue": fin.subscription,
            "Usage revenue": fin.usage,
            "Services revenue": fin.services,
            "Cost of revenue": fin.cogs,
            "Sales & marketing": fin.sales_marketing,
            "Research & development": fin.research_development,
            "General & administrative": fin.general_admin,
            "Net cash flow": fin.net_cash_flow,
            "Cash balance (EoP)": fin.cash_balance,
        }
    )
    cover = pd.DataFrame(
        {
            "Meridian Analytics GmbH": [
                "Monthly management accounts (EUR)",
                "Source: Datev export, consolidated",
                "Sheet 'P&L' holds the figures",
            ]
        }
    )
    opp = g.opportunities(rng(3), c, pd.concat([lines, ahead], ignore_index=True), axis)
    targets = g.pipeline_targets(rng(4), opp, axis, {"partner": 0.6, "inbound": 1.08, "outbound": 0.97})
    ld = g.leads(
        rng(5),
        axis,
        base=120.0,
        growth=1.025,
        channels=g.CHANNELS,
        channel_p=np.array([0.62, 0.23, 0.15]),
        rates=(0.55, 0.42, 0.3),
        lags=(4.0, 12.0, 35.0),
        dip=("2026Q3", 1.25, 0.7),
        owners=np.array(["Nina Hoffmann", "Paul Lefevre", "Sara Lindqvist"]),
        segments=g.MERIDIAN_SEGMENTS,
        segment_p=np.array([0.6, 0.28, 0.12]),
    )
    leads = pd.DataFrame(
        {
            "Lead ID": g._ids("L-", len(ld), 300001, 6),
            "Created": g._strftime(ld.created.to_numpy(), "%Y-%m-%d"),
            "Trial Started": g._strftime(ld.signup.to_numpy(), "%Y-%m-%d"),
            "PQL Date": g._strftime(ld.pql.to_numpy(), "%Y-%m-%d"),
            "Closed Won Date": g._strftime(ld.customer.to_numpy(), "%Y-%m-%d"),
            "Channel": ld.channel,
            "Lead Owner": ld.owner,
            "segment": ld.segment,
        }
    )
    tr = g.traffic(
        rng(6),
        axis,
        base=9000.0,
        growth=1.018,
        channels={"organic": 0.46, "paid": 0.24, "referral": 0.12, "direct": 0.18},
    )
    traffic = pd.DataFrame({"Month": tr.month.astype(str), "Channel": tr.channel, "Unique Visitors": tr.visitors})
    usage = _meridian_usage(rng(7), axis, grid, c, cust_ids)
    nps = g.nps_responses(rng(8), axis, cust_ids, grid, c.segment, per_quarter=130, dip_quarter="2026Q2", dip_segment=0)
    nps = pd.DataFrame(
        {
            "Submitted At": g._strftime(nps.day.to_numpy(), "%Y-%m-%d"),
            "Account ID": nps.cust,
            "How likely are you to recommend Meridian? (0-10)": nps.score,
        }
    )
    files = {
        "contracts.csv": contracts,
        "financials.xlsx": {"Cover": cover, "P&L": pnl},
        "crm_opportunities.csv": opp,
        "pipeline_targets.csv": targets,
        "leads.csv": leads,
        "web_traffic.csv": traffic,
        "product_events.parquet": usage,
        "nps_responses.csv": nps,
    }
    return files, _meridian_story(axis, grid, c, mv, fin, opp, targets, contracts)


def _meridian_usage(
    rng: np.random.Generator, axis: np.ndarray, grid: np.ndarray, c: g._Customers, cust_ids: np.ndarray
) -> pd.DataFrame:
    active = np.flatnonzero(grid[:, -1] > 0)
    weight = np.array([0.3, 1.0, 1.6])[c.segment[active]]
    pick = np.sort(rng.choice(active, size=min(160, len(active)), replace=False, p=weight / weight.sum()))
    users = np.minimum(rng.poisson(np.array([3.0, 7.0, 14.0])[c.segment[pick]]) + 1, 25)
    ev = g.usage_events(rng, axis, cust_ids[pick], users)
    ev["event_date"] = pd.to_datetime(ev["event_date"]).dt.date
    return ev


def _meridian_story(axis, grid, c, mv, fin, opp, targets, contracts) -> dict[str, float]:
    mrr = grid.sum(0)
    ent, smb = c.segment == 2, c.segment == 0
    aged = grid[:, -13] > 0

    def nrr(mask):
        s = mask & aged
        return grid[s, -1].sum() / grid[s, -13].sum()

    def churn_q(quarter: str, mask) -> float:
        idx = g.quarter_index(axis, quarter)
        base = mask & (grid[:, idx[0] - 1] > 0)
        return (base & (grid[:, idx[-1]] == 0)).sum() / base.sum()

    others = [churn_q(str(q), smb) for q in pd.period_range("2024Q1", "2026Q3", freq="Q") if str(q) != "2026Q2"]
    signed = pd.to_datetime(contracts["Signed On"], format="%d/%m/%Y").dt.to_period("Q").astype(str)
    bq = contracts["Total Contract Value"].groupby(signed).sum()
    created = pd.to_datetime(opp["Created Date"])
    oct_partner = opp[(created >= f"{END_MONTH}-01") & (opp["Lead Source"] == "Partner")]["Amount"].sum()
    tgt = targets[(targets.Quarter == "2026Q4") & (targets.Filter == "source=partner")].Target.iloc[0]
    last_q = slice(-3, None)
    net_new_arr_q = 12 * (mrr[-1] - mrr[-4])
    fin_q = fin.iloc[last_q]
    gm_ttm = 1 - fin.cogs.iloc[-12:].sum() / fin.revenue.iloc[-12:].sum()
    new_q = mv["new_customers"][last_q].sum()
    cac = fin.sales_marketing.iloc[-4:-1].sum() / new_q
    asp = mv["new"][last_q].sum() / new_q
    return {
        "arr": 12 * mrr[-1],
        "arr_year_ago": 12 * mrr[-13],
        "customers": int((grid[:, -1] > 0).sum()),
        "nrr": nrr(np.ones(len(c), bool)),
        "nrr_enterprise": nrr(ent),
        "nrr_smb": nrr(smb),
        "smb_churn_2026q2": churn_q("2026Q2", smb),
        "smb_churn_other_max": max(others),
        "smb_churn_other_mean": float(np.mean(others)),
        "q4_bookings_uplift": bq["2025Q4"] / bq[["2025Q3", "2026Q1"]].mean() - 1,
        "partner_pace": oct_partner / (tgt * 31 / 92),
        "partner_target": tgt,
        "gross_margin_ttm": gm_ttm,
        "cac_payback": cac / (asp * gm_ttm),
        "burn_multiple": -fin_q.net_cash_flow.sum() / net_new_arr_q,
        "reactivations": int(mv["reactivated_customers"].sum()),
        "cash": fin.cash_balance.iloc[-1],
        "monthly_burn": -fin_q.net_cash_flow.mean(),
        "aug_new": mv["new_customers"][axis.astype(int) % 12 == 7].mean(),
        "avg_new": mv["new_customers"][1:].mean(),
    }


MERIDIAN_CONFIG = {
    "company": {"name": "Meridian Analytics", "currency": "EUR", "stage": "growth", "gtm": "sales-led"},
    "policies": {"cac_lag_months": 1},
    "kpis": {"north_star": ["arr", "nrr", "burn_multiple", "cac_payback_months"]},
    "report": {"segments": ["segment=Enterprise", "segment=SMB"], "compare": "segment=SMB,Enterprise"},
    "inputs.contracts": {
        "path": "contracts.csv",
        "date_format": "%d/%m/%Y",
        "columns": {
            "contract_id": "Contract ID",
            "customer_id": "Account ID",
            "signed_date": "Signed On",
            "start_date": "Service Start",
            "end_date": "Service End",
            "tcv": "Total Contract Value",
            "mrr": "Monthly Fee",
            "revenue_type": "Line Type",
            "billing": "Billing Frequency",
            "channel": "Acquisition Channel",
        },
        "dimensions": ["segment"],
        "values": {
            "revenue_type": {
                "Subscription": "contracted_recurring",
                "Usage overage": "uncontracted_recurring",
                "Implementation": "one_off",
            },
            "billing": {"Annual": "annual", "Quarterly": "quarterly", "Monthly": "monthly", "Upfront": "upfront"},
        },
    },
    "inputs.financials": {
        "path": "financials.xlsx",
        "sheet": "P&L",
        "columns": {
            "month": "Month",
            "revenue": "Total revenue",
            "revenue_contracted_recurring": "Subscription revenue",
            "revenue_uncontracted_recurring": "Usage revenue",
            "revenue_one_off": "Services revenue",
            "cogs": "Cost of revenue",
            "sales_marketing": "Sales & marketing",
            "research_development": "Research & development",
            "general_admin": "General & administrative",
            "net_cash_flow": "Net cash flow",
            "cash_balance": "Cash balance (EoP)",
        },
    },
    "inputs.opportunities": {
        "path": "crm_opportunities.csv",
        "columns": {
            "opportunity_id": "Opportunity ID",
            "created_at": "Created Date",
            "closed_at": "Close Date",
            "stage": "Stage",
            "outcome": "Status",
            "amount": "Amount",
            "source": "Lead Source",
            "partner": "Partner",
            "owner": "Opportunity Owner",
        },
        "dimensions": ["segment"],
        "values": {
            "outcome": {"Won": "won", "Lost": "lost", "Open": "open"},
            "source": {"Inbound": "inbound", "Outbound": "outbound", "Partner": "partner"},
        },
    },
    "inputs.targets": {
        "path": "pipeline_targets.csv",
        "columns": {"period": "Quarter", "metric": "Metric", "filter": "Filter", "target": "Target"},
    },
    "inputs.leads": {
        "path": "leads.csv",
        "columns": {
            "lead_id": "Lead ID",
            "created_at": "Created",
            "signup_at": "Trial Started",
            "pql_at": "PQL Date",
            "customer_at": "Closed Won Date",
            "channel": "Channel",
            "owner": "Lead Owner",
        },
        "dimensions": ["segment"],
    },
    "inputs.traffic": {
        "path": "web_traffic.csv",
        "columns": {"month": "Month", "channel": "Channel", "visitors": "Unique Visitors"},
    },
    "inputs.usage": {
        "path": "product_events.parquet",
        "columns": {"user_id": "distinct_id", "account_id": "account_id", "date": "event_date", "feature": "event"},
    },
    "inputs.nps": {
        "path": "nps_responses.csv",
        "columns": {
            "responded_at": "Submitted At",
            "customer_id": "Account ID",
            "score": "How likely are you to recommend Meridian? (0-10)",
        },
    },
}


# --------------------------------------------------------------------------- Loopwise


def _loopwise(seed: int = 2026) -> tuple[dict[str, object], dict[str, float]]:
    rng = lambda k: np.random.default_rng([seed, 100 + k])  # noqa: E731
    axis = g.month_axis(END_MONTH, 24)
    lw = g.loopwise_grid(rng(1), axis, n_opening=90, base_new=28.0)
    ids = g._ids("ws_", len(lw.start), 1001, 5)
    plans = np.array(["Starter", "Team", "Business", "Scale"])
    labels = pd.PeriodIndex(axis.astype(str), freq="M").strftime("%b %Y")
    wide = pd.DataFrame(np.where(lw.grid > 0, lw.grid, np.nan), columns=labels)
    wide.insert(0, "segment", g.LOOPWISE_SEGMENTS[lw.segment])
    wide.insert(0, "plan", plans[lw.plan])
    wide.insert(0, "Customer", ids)
    mrr = lw.grid.sum(0)
    summary = pd.DataFrame({"Month": labels, "Total MRR": np.round(mrr, 2), "Paying customers": (lw.grid > 0).sum(0)})
    metered = lw.plan >= 2
    tx = g.usage_transactions(rng(2), axis, lw.grid, metered, ids)
    tx["Currency"] = "USD"
    usage_rev = np.bincount(_month_index(axis, tx["Charged At"]), tx["Amount"], minlength=24)
    mv = g.movements(lw.grid)
    fin = g.financials(
        rng(3),
        axis,
        {"contracted_recurring": mrr, "uncontracted_recurring": usage_rev, "one_off": np.zeros(24)},
        mv,
        payback=9.0,
        burn_multiple=2.0,
        gross_margin=0.78,
        cash_end=7_900_000.0,
        sm_lag=0,
    )
    financials = pd.DataFrame(
        {
            "month": fin.month,
            "total_revenue": fin.revenue,
            "cost_of_revenue": fin.cogs,
            "sales_and_marketing": fin.sales_marketing,
            "research_and_development": fin.research_development,
            "general_and_administrative": fin.general_admin,
            "net_cash_flow": fin.net_cash_flow,
            "ending_cash": fin.cash_balance,
        }
    )
    tr = g.traffic(
        rng(4),
        axis,
        base=9500.0,
        growth=1.035,
        channels={"organic": 0.5, "paid": 0.2, "referral": 0.1, "community": 0.2},
    )
    traffic = pd.DataFrame({"period": tr.month.astype(str), "source": tr.channel, "visitors": tr.visitors})
    leads = _plg_leads(rng(5), axis, lw)
    files = {
        "mrr_export.xlsx": {"Summary": summary, "MRR": wide},
        "usage_charges.csv": tx,
        "financials.csv": financials,
        "traffic.csv": traffic,
        "signups.csv": leads,
    }
    return files, _loopwise_story(axis, lw, mv, fin)


def _month_index(axis: np.ndarray, stamps: pd.Series) -> np.ndarray:
    months = pd.to_datetime(stamps).to_numpy().astype("datetime64[M]")
    return (months - axis[0]).astype(int)


def _plg_leads(rng: np.random.Generator, axis: np.ndarray, lw: g.LoopwiseData) -> pd.DataFrame:
    """Signups: every new paying workspace came through the funnel; four times as many
    did not convert (yet)."""
    first = g.month_start
    new = np.flatnonzero(~lw.opening)
    days = (first(axis, lw.start[new] + 1) - first(axis, lw.start[new])).astype(int)
    paid = first(axis, lw.start[new]) + (rng.random(len(new)) * days).astype(int)
    pql = paid - rng.gamma(2.0, 4.0, len(new)).astype(int)
    signup = pql - rng.gamma(1.5, 3.0, len(new)).astype(int)
    created = signup - rng.binomial(3, 0.2, len(new))
    lo = first(axis, 0)
    conv = pd.DataFrame(
        {
            "created": np.maximum(created, lo),
            "signup": np.maximum(signup, lo),
            "pql": np.maximum(pql, lo),
            "customer": paid,
        }
    )
    rest = g.leads(
        rng,
        axis,
        base=4 * 28.0,
        growth=1.045,
        channels=np.array(["x"]),
        channel_p=np.array([1.0]),
        rates=(0.92, 0.3, 0.0),
        lags=(0.5, 6.0, 1.0),
    )
    df = pd.concat([conv, rest[["created", "signup", "pql", "customer"]]], ignore_index=True)
    df["channel"] = np.array(["organic", "paid", "referral", "community"])[
        g._pick(rng, np.array([[0.45, 0.25, 0.1, 0.2]]), np.zeros(len(df), int))
    ]
    df = df.sort_values(["created", "signup"], kind="stable").reset_index(drop=True)
    fmt = lambda col: g._strftime(df[col].to_numpy(), "%Y-%m-%d")  # noqa: E731
    return pd.DataFrame(
        {
            "workspace_id": g._ids("sg_", len(df), 1, 6),
            "first_seen_at": fmt("created"),
            "signed_up_at": fmt("signup"),
            "activated_at": fmt("pql"),
            "converted_at": fmt("customer"),
            "utm_channel": df.channel,
        }
    )


def _loopwise_story(axis, lw: g.LoopwiseData, mv, fin) -> dict[str, float]:
    grid = lw.grid
    mrr = grid.sum(0)
    aged = grid[:, -13] > 0

    def nrr(mask):
        s = mask & aged
        return grid[s, -1].sum() / grid[s, -13].sum()

    def churn_q(quarter, mask):
        idx = g.quarter_index(axis, quarter)
        base = mask & (grid[:, idx[0] - 1] > 0)
        return (base & (grid[:, idx[-1]] == 0)).sum() / base.sum()

    q = slice(-3, None)
    gain = (mv["new"] + mv["reactivation"] + mv["expansion"])[q].sum()
    loss = (mv["contraction"] + mv["churn"])[q].sum()
    return {
        "arr": 12 * mrr[-1],
        "arr_year_ago": 12 * mrr[-13],
        "customers": int((grid[:, -1] > 0).sum()),
        "nrr": nrr(np.ones(grid.shape[0], bool)),
        "nrr_assisted": nrr(lw.segment == 1),
        "nrr_self_serve": nrr(lw.segment == 0),
        "churn_ss_q1": churn_q("2026Q1", lw.segment == 0),
        "churn_ss_q3": churn_q("2026Q3", lw.segment == 0),
        "churn_as_q3": churn_q("2026Q3", lw.segment == 1),
        "quick_ratio": gain / loss,
        "burn_multiple": -fin.net_cash_flow.iloc[q].sum() / (12 * (mrr[-1] - mrr[-4])),
        "gross_margin_ttm": 1 - fin.cogs.iloc[-12:].sum() / fin.revenue.iloc[-12:].sum(),
        "reactivations": int(mv["reactivated_customers"].sum()),
        "cash": fin.cash_balance.iloc[-1],
        "monthly_burn": -fin.net_cash_flow.iloc[q].mean(),
        "assisted_share": grid[lw.segment == 1, -1].sum() / mrr[-1],
    }


LOOPWISE_CONFIG = {
    "company": {"name": "Loopwise", "currency": "USD", "stage": "early", "gtm": "product-led"},
    "policies": {"reactivation_window_months": 12},
    "kpis": {"north_star": ["arr", "nrr", "burn_multiple", "quick_ratio"]},
    "report": {"segments": ["segment=self-serve", "segment=assisted"], "compare": "segment=self-serve,assisted"},
    "inputs.mrr": {
        "path": "mrr_export.xlsx",
        "sheet": "MRR",
        "layout": "wide",
        "month_format": "%b %Y",
        "columns": {"customer_id": "Customer"},
        "dimensions": ["plan", "segment"],
    },
    "inputs.transactions": {
        "path": "usage_charges.csv",
        "columns": {"customer_id": "Customer", "date": "Charged At", "amount": "Amount"},
    },
    "inputs.financials": {
        "path": "financials.csv",
        "columns": {
            "month": "month",
            "revenue": "total_revenue",
            "cogs": "cost_of_revenue",
            "sales_marketing": "sales_and_marketing",
            "research_development": "research_and_development",
            "general_admin": "general_and_administrative",
            "net_cash_flow": "net_cash_flow",
            "cash_balance": "ending_cash",
        },
    },
    "inputs.traffic": {
        "path": "traffic.csv",
        "columns": {"month": "period", "channel": "source", "visitors": "visitors"},
    },
    "inputs.leads": {
        "path": "signups.csv",
        "columns": {
            "lead_id": "workspace_id",
            "created_at": "first_seen_at",
            "signup_at": "signed_up_at",
            "pql_at": "activated_at",
            "customer_at": "converted_at",
            "channel": "utm_channel",
        },
    },
}


# --------------------------------------------------------------------------- commentary


def _money(x: float, sym: str) -> str:
    return f"{sym}{x / 1e6:.1f}m" if abs(x) >= 1e6 else f"{sym}{x / 1e3:.0f}k"


def _meridian_commentary(s: dict[str, float]) -> str:
    growth = s["arr"] / s["arr_year_ago"] - 1
    return f"""# Meridian Analytics: analyst commentary (data to October 2026)

## Summary

ARR closed October 2026 at about {_money(s["arr"], "€")}, up {growth:.0%} on a year ago, with
{s["customers"]} paying accounts. Net revenue retention is {s["nrr"]:.0%}: Enterprise keeps
expanding ({s["nrr_enterprise"]:.0%} NRR) while SMB shrinks ({s["nrr_smb"]:.0%}). The quarter's
headline risk is partner pipeline running behind target in 2026Q4 (see Go-to-market); SMB churn
spiked in 2026Q2 (see Revenue quality). Cash of {_money(s["cash"], "€")} at a burn of
about {_money(s["monthly_burn"], "€")} a month gives roughly {s["cash"] / s["monthly_burn"]:.0f} months of runway.

## Revenue quality

Recurring revenue carries the business; implementation fees (one-off) and usage overages
(uncontracted) are a small, stable share. Bookings are seasonal: 2025Q4 signed
{s["q4_bookings_uplift"]:.0%} more contract value than the average of the quarters either side, and new logos dip in
August (about {s["aug_new"]:.0f} against {s["avg_new"]:.0f} in an average month). Billings run ahead of
revenue because most Mid-market and Enterprise contracts are invoiced annually in advance, so
deferred revenue builds in Q4. In 2026Q2 SMB logo churn reached {s["smb_churn_2026q2"]:.0%} of the
quarter's opening SMB accounts, against at most {s["smb_churn_other_max"]:.0%} (average
{s["smb_churn_other_mean"]:.0%}) in every other quarter: a competitor's freemium launch hit the
monthly-billed SMB base. {s["reactivations"]} accounts came back after lapsing.

## Unit economics

Gross margin is about {s["gross_margin_ttm"]:.0%} over the last twelve months, in line with an analytics
product hosted on a public cloud. CAC payback is roughly {s["cac_payback"]:.0f} months (S&M lagged one
month), normal for a sales-led motion with a growing Enterprise share but above the 12-month
green band. The burn multiple for the quarter is about {s["burn_multiple"]:.1f}: acceptable at this
stage for a company still growing its Enterprise base.

## Cohort economics

SMB cohorts decay in their first year (monthly subscribers leave early) and most stay below
their starting MRR. Enterprise cohorts stay at or above their starting MRR and expand
through add-on modules and renewal uplifts. The SMB vs
Enterprise comparison is the key page for the board: the mix shift towards Enterprise is what
keeps company NRR above 100%.

## KPI hierarchy

Pipeline created in 2026Q4 is behind pace in the partner channel (about {s["partner_pace"]:.0%} of the
pace needed for its {_money(s["partner_target"], "€")} quarterly target) after two reseller partners
paused co-selling; inbound and outbound are on track. In 2026Q3 trial signups rose after the paid
campaign while signup-to-PQL conversion fell: more, but weaker, leads. Watch both before
raising the Q1 marketing budget.

## Appendix

Contracts come from the billing system export (dates day-first, end dates inclusive);
the P&L from the monthly management accounts (sheet "P&L"). Accounts that existed before
November 2023 were migrated with a contract starting 1 November 2023, so the first month is the
opening balance. S&M is lagged one month for CAC (policy `cac_lag_months = 1`).
"""


def _loopwise_commentary(s: dict[str, float]) -> str:
    growth = s["arr"] / s["arr_year_ago"] - 1
    return f"""# Loopwise: analyst commentary (data to October 2026)

## Summary

ARR reached about {_money(s["arr"], "$")} in October 2026, up {growth:.0%} year on year, from
{s["customers"]} paying workspaces. Net revenue retention is {s["nrr"]:.0%}, carried by the assisted
accounts ({s["nrr_assisted"]:.0%}) while self-serve retains {s["nrr_self_serve"]:.0%}. The quick ratio
for the quarter is {s["quick_ratio"]:.1f}: growth is bought with high self-serve churn. Cash of
{_money(s["cash"], "$")} at about {_money(s["monthly_burn"], "$")} a month of burn leaves roughly
{s["cash"] / s["monthly_burn"]:.0f} months of runway: the next round should be raised in 2027H1.

## Revenue quality

Subscriptions are the bulk of revenue; metered API usage billed to Business and Scale
workspaces adds a growing uncontracted layer. Assisted accounts are {s["assisted_share"]:.0%} of MRR.
Self-serve logo churn spiked in 2026Q1 ({s["churn_ss_q1"]:.0%} of the quarter's opening self-serve
workspaces, against {s["churn_ss_q3"]:.0%} in 2026Q3) after the January price change. {s["reactivations"]} workspaces came back after lapsing.

## Unit economics

Gross margin is about {s["gross_margin_ttm"]:.0%} over the last twelve months. CAC is low for a
product-led motion, so payback is short, but LTV is capped by self-serve churn. The burn multiple
of about {s["burn_multiple"]:.1f} this quarter is acceptable for an early-stage company, not yet efficient.

## Cohort economics

Self-serve cohorts lose a third of their workspaces in the first six months, then the survivors
upgrade (Starter to Team to Business) and the cohort's revenue flattens. Assisted cohorts expand
from month three onwards as seats are added. The self-serve vs assisted comparison shows where
the next dollar of sales effort pays back.

## KPI hierarchy

Visitors and signups grow with the usual August dip and a Q4 peak; the activation (PQL) rate is
the lever to watch, since paid conversion from activated workspaces is stable.

## Appendix

MRR is the finance team's wide Excel export (sheet "MRR", one row per workspace, months as
"Nov 2024" columns); blank cells mean no MRR in that month. Usage charges come from the payment
processor; the P&L is the monthly management accounts. A gap of up to twelve months counts as a
reactivation (policy `reactivation_window_months = 12`).
"""


# --------------------------------------------------------------------------- writing companies


def _write_files(folder: Path, files: dict[str, object]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, obj in files.items():
        path = folder / name
        if name.endswith(".csv"):
            _write_csv(obj, path)
        elif name.endswith(".xlsx"):
            _write_xlsx(obj, path)
        elif name.endswith(".parquet"):
            _write_parquet(obj, path)
        else:  # pragma: no cover - a programming error
            raise ValueError(name)


def demo_frames(company: Literal["meridian", "loopwise"], seed: int = 2026) -> dict[str, object]:
    """The export files of a demo company as DataFrames (XLSX: a dict of sheets)."""
    return (_meridian if company == "meridian" else _loopwise)(seed)[0]


def generate_demo_companies(data_dir: str | Path = "data", *, seed: int = 2026) -> list[Path]:
    """(Re)write ``data_dir/meridian`` and ``data_dir/loopwise``: inputs, company.toml and
    commentary.md.

    Parameters
    ----------
    data_dir
        Folder that receives one sub-folder per demo company.
    seed
        Seed of the generator; the same seed gives byte-identical files.

    Returns
    -------
    list of Path
        The two company folders.
    """
    data_dir = Path(data_dir)
    out = []
    for slug, make, config, commentary in (
        ("meridian", _meridian, MERIDIAN_CONFIG, _meridian_commentary),
        ("loopwise", _loopwise, LOOPWISE_CONFIG, _loopwise_commentary),
    ):
        files, story = make(seed)
        folder = data_dir / slug
        _write_files(folder, files)
        header = (
            f"{config['company']['name']}: generated demo company (reportlib demo, seed {seed}).\n"
            "Input mappings translate the company's own export columns to reportlib's canonical inputs."
        )
        (folder / "company.toml").write_text(_toml(config, header))
        (folder / "commentary.md").write_text(commentary(story))
        out.append(folder)
    return out


# --------------------------------------------------------------------------- generated companies

Kind = Literal["sales-led", "product-led", "hybrid"]
_DEFECTS = ("negative_mrr", "missing_column", "duplicate_month", "bad_date")
_NAMES = [
    "Arcwise",
    "Brightlane",
    "Cobalt Ledger",
    "Driftwood AI",
    "Everpine",
    "Fathom Metrics",
    "Glasswing",
    "Harborline",
    "Ionfield",
    "Juniper Ops",
    "Kestrel Pay",
    "Lumen Desk",
    "Moonrail",
    "Northstack",
    "Orchard HR",
    "Pinecrest Data",
    "Quarry Labs",
    "Ridgeway CRM",
    "Saltmarsh",
    "Tidewater",
    "Umbra Security",
    "Vantage Grid",
    "Willowtree",
    "Xylo Health",
    "Yardline",
    "Zephyr Cloud",
]


def _mrr_table(m: g.LongMRR, axis: np.ndarray, kind: str, mrr_column: str = "MRR") -> pa.Table:
    """Long MRR rows as an Arrow table, built without per-row Python objects."""
    ids = pa.array(g._ids("C", int(m.cust.max()) + 1 if len(m.cust) else 0, 1, 7))
    months = pa.array(axis.astype(str))
    segments = pa.array(g.PROFILES[kind]["segments"])
    decode = lambda idx, d: pa.DictionaryArray.from_arrays(pa.array(idx), d).dictionary_decode()  # noqa: E731
    return pa.table(
        {
            "customer": decode(m.cust, ids),
            "month": decode(m.t.astype(np.int32), months),
            mrr_column: pa.array(m.mrr),
            "segment": decode(m.segment[m.cust].astype(np.int32), segments),
        }
    )


def _inject(defect: str, table: pa.Table, fin: pd.DataFrame, config: dict) -> tuple[pa.Table, pd.DataFrame, str]:
    """Apply one realistic defect; return the table, financials and a sentence saying what."""
    mid = table.num_rows // 2
    if defect == "negative_mrr":
        mrr = table.column("MRR").to_numpy().copy()
        mrr[mid] = -abs(mrr[mid]) - 1.0
        table = table.set_column(table.schema.get_field_index("MRR"), "MRR", pa.array(mrr))
        return table, fin, f"negative MRR in data row {mid + 1} of the MRR export (a credit note booked as MRR)"
    if defect == "missing_column":
        table = table.rename_columns(["customer", "month", "Recurring revenue", "segment"])
        return table, fin, "company.toml maps mrr to column 'MRR', which the export now calls 'Recurring revenue'"
    if defect == "duplicate_month":
        table = pa.concat_tables([table, table.slice(mid, 1)])
        return table, fin, f"customer-month in data row {mid + 1} appears twice in the MRR export"
    fin = fin.copy()
    fin["month"] = fin["month"].astype(object)
    fin.loc[len(fin) // 2, "month"] = "Q3 close"
    return table, fin, "financials has a month written as 'Q3 close'"


def generate_company(
    out_dir: str | Path,
    *,
    kind: Kind = "sales-led",
    customers: int = 500,
    months: int = 36,
    seed: int = 0,
    currency: str = "EUR",
    end_month: str = END_MONTH,
    name: str | None = None,
    stage: str | None = None,
    mrr_format: str = "parquet",
    defect: str | None = None,
) -> Path:
    """Write a generated company (long MRR export, P&L, company.toml) to ``out_dir``.

    Vectorised and memory-lean: 100,000 customers x 60 months take a few seconds and
    memory proportional to the active customer-months.

    Parameters
    ----------
    out_dir
        Company folder to create (its name is the company's slug).
    kind
        GTM motion: ``"sales-led"`` (SMB / Mid-market / Enterprise), ``"product-led"``
        (self-serve / assisted) or ``"hybrid"``.
    customers
        Number of distinct customers over the whole history.
    months
        Length of the history, ending at ``end_month``.
    seed
        Seed of the generator; the same arguments give identical files.
    currency
        Reporting currency (ISO code).
    end_month
        Last month of data, ``YYYY-MM``.
    name
        Company name (default: from the folder name).
    stage
        ``early``, ``growth`` or ``scale`` (default: from the size).
    mrr_format
        ``"parquet"`` or ``"csv"`` for the MRR export.
    defect
        None, or one of ``negative_mrr``, ``missing_column``, ``duplicate_month``,
        ``bad_date`` to make a broken company for tests.

    Returns
    -------
    Path
        The company folder.
    """
    if kind not in g.PROFILES:
        raise ValueError(f"kind must be one of {sorted(g.PROFILES)}, not {kind!r}")
    if defect is not None and defect not in _DEFECTS:
        raise ValueError(f"defect must be one of {_DEFECTS}, not {defect!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 7])
    axis = g.month_axis(end_month, months)
    m = g.spell_mrr(rng, customers, months, kind, axis=axis)
    mv = g.long_movements(m)
    profile = {"sales-led": (16.0, 1.5, 0.75), "product-led": (9.0, 2.0, 0.8), "hybrid": (13.0, 1.7, 0.77)}[kind]
    fin = g.financials(
        rng,
        axis,
        {"contracted_recurring": mv["mrr"], "uncontracted_recurring": np.zeros(months), "one_off": np.zeros(months)},
        mv,
        payback=profile[0],
        burn_multiple=profile[1],
        gross_margin=profile[2],
        cash_end=float(mv["mrr"][-1] * 18),
    )
    fin = fin.drop(columns=["subscription", "usage", "services"])
    table = _mrr_table(m, axis, kind)
    stage = stage or ("early" if mv["mrr"][-1] * 12 < 3e6 else "growth" if mv["mrr"][-1] * 12 < 3e7 else "scale")
    segments = g.PROFILES[kind]["segments"]
    config = {
        "company": {
            "name": name or out.name.replace("-", " ").title(),
            "currency": currency,
            "stage": stage,
            "gtm": kind,
        },
        "policies": {"cac_lag_months": 1 if kind == "sales-led" else 0},
        "kpis": {
            "north_star": [
                "arr",
                "nrr",
                "burn_multiple",
                "cac_payback_months" if kind != "product-led" else "quick_ratio",
            ]
        },
        "report": {"segments": [f"segment={segments[-1]}"], "compare": f"segment={segments[0]},{segments[-1]}"},
        "inputs.mrr": {
            "path": f"mrr.{mrr_format}",
            "columns": {"customer_id": "customer", "month": "month", "mrr": "MRR"},
            "dimensions": ["segment"],
        },
        "inputs.financials": {"path": "financials.csv"},
    }
    note = ""
    if defect is not None:
        table, fin, note = _inject(defect, table, fin, config)
    if mrr_format == "parquet":
        pq.write_table(table, out / "mrr.parquet", compression="zstd")
    else:
        _write_csv(table.to_pandas(), out / "mrr.csv")
    _write_csv(fin, out / "financials.csv")
    header = f"Generated {kind} company (seed {seed}, {customers} customers, {months} months)."
    if note:
        header += f"\nDeliberately broken for tests: {note}."
    (out / "company.toml").write_text(_toml(config, header))
    return out


def generate_portfolio(out_dir: str | Path, n: int, *, seed: int = 0, broken: int = 2) -> list[Path]:
    """Write ``n`` generated companies under ``out_dir``, ``broken`` of them with a defect.

    Companies vary in stage (early / growth / scale), GTM motion (sales-led /
    product-led / hybrid), currency (EUR / USD / GBP), size and history length. The broken
    ones carry one realistic defect each (negative MRR, a mapped column missing from the
    export, a duplicate customer-month, an unparseable month), in that order. A
    ``portfolio.json`` in ``out_dir`` lists every company with its attributes and defect.

    Parameters
    ----------
    out_dir
        Folder that receives one sub-folder per company.
    n
        Number of companies.
    seed
        Seed; the same arguments give identical portfolios.
    broken
        How many companies get a defect (at most ``n``), spread through the list.

    Returns
    -------
    list of Path
        The company folders, in order.
    """
    if not 0 <= broken <= n:
        raise ValueError(f"broken must be between 0 and n ({n}), not {broken}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 99])
    stages = np.array(["early", "growth", "scale"])
    kinds = np.array(["sales-led", "product-led", "hybrid"])
    currencies = np.array(["EUR", "USD", "GBP"])
    bad = {
        int(i): _DEFECTS[k % len(_DEFECTS)]
        for k, i in enumerate(np.linspace(1, n - 1, broken).round().astype(int) if broken else [])
    }
    sizes = {"early": (60, 200, 18, 25), "growth": (200, 700, 28, 37), "scale": (700, 1600, 36, 49)}
    paths, manifest = [], []
    for i in range(n):
        stage, kind, cur = stages[i % 3], kinds[(i // 3 + i) % 3], currencies[rng.integers(0, 3)]
        lo, hi, mlo, mhi = sizes[stage]
        customers, months = int(rng.integers(lo, hi)), int(rng.integers(mlo, mhi))
        base = _NAMES[i % len(_NAMES)] + (f" {i // len(_NAMES) + 1}" if i >= len(_NAMES) else "")
        slug = re.sub(r"[^a-z0-9]+", "-", base.lower()).strip("-")
        path = generate_company(
            out / slug,
            kind=str(kind),
            customers=customers,
            months=months,
            seed=seed * 1000 + i,
            currency=str(cur),
            name=base,
            stage=str(stage),
            mrr_format="parquet" if i % 2 else "csv",
            defect=bad.get(i),
        )
        paths.append(path)
        manifest.append(
            {
                "path": slug,
                "name": base,
                "stage": str(stage),
                "gtm": str(kind),
                "currency": str(cur),
                "customers": customers,
                "months": months,
                "defect": bad.get(i),
            }
        )
    (out / "portfolio.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return paths


# --------------------------------------------------------------------------- the demo verb


def run_demo(data_dir: str | Path = "data", out: str | Path = "reports", data_only: bool = False) -> int:
    """Regenerate the demo data (``data_only``) or make the demo board packs.

    Without ``data_only`` the committed demo data is used (generated when missing), and
    the packs of both companies, Meridian's Enterprise segment pack and its SMB vs
    Enterprise comparison are written under ``out``, as of the demo data's last month.

    Returns
    -------
    int
        Exit code: 0 when everything asked for was produced, 1 otherwise.
    """
    data_dir, out = Path(data_dir), Path(out)
    folders = [data_dir / "meridian", data_dir / "loopwise"]
    if data_only or not all((f / "company.toml").is_file() for f in folders):
        for folder in generate_demo_companies(data_dir):
            print(f"Generated demo company {folder}")
        if data_only:
            return 0
    runs = [
        (folders[0], None, None),
        (folders[1], None, None),
        (folders[0], ("segment", "Enterprise"), None),
        (folders[0], None, ("segment", ("SMB", "Enterprise"))),
    ]
    failed = 0
    with Session() as session:  # one start of the kernels and the browser for the four packs
        for folder, segment, compare in runs:
            try:
                result = build_pack(folder, as_of=END_MONTH, segment=segment, compare=compare, out=out, session=session)
            except Exception as exc:  # noqa: BLE001 - one failing pack must not stop the others
                failed += 1
                print(f"FAILED {folder.name}{_label(segment, compare)}: {exc}")
                continue
            print(f"Wrote {result.pdf}")
    return 1 if failed else 0


def _label(segment, compare) -> str:
    if segment:
        return f" ({segment[0]}={segment[1]})"
    return f" ({compare[0]}={','.join(compare[1])})" if compare else ""
