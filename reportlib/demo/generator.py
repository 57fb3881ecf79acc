"""Seeded generator of synthetic SaaS company exports (private; see :mod:`reportlib.demo`).

Everything here is vectorised with a :class:`numpy.random.Generator`: loops run over
months or contract generations, never over customers. Each function returns plain
DataFrames in the *export* layout (the column names a billing system, CRM or analytics
tool would use); :mod:`reportlib.demo` writes them to files with a company.toml that maps
them to the canonical inputs.

The companies tell a story a board recognises: Q4 bookings peak and an August dip, cohorts
that decay then expand (Enterprise net retention above 100%), a quarter where SMB churn
spikes (2026Q2), partner pipeline behind pace in the current quarter (2026Q4) and a few
reactivations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: New-business seasonality by calendar month (Jan..Dec): Q4 peak, August dip.
SEASON = np.array([0.85, 0.9, 1.05, 0.95, 1.0, 1.1, 0.9, 0.6, 1.05, 1.1, 1.25, 1.4])

MERIDIAN_SEGMENTS = np.array(["SMB", "Mid-market", "Enterprise"])
LOOPWISE_SEGMENTS = np.array(["self-serve", "assisted"])
CHANNELS = np.array(["inbound", "outbound", "partner"])
PARTNERS = np.array(
    ["Northwind Consulting", "Baltic Data Partners", "Cloudreach EU", "Datalytics GmbH", "Sagefield Advisory"]
)
OWNERS = {
    0: np.array(["Lena Fischer", "Tom Berger", "Aisha Khan"]),
    1: np.array(["Marco Rossi", "Sophie Martin"]),
    2: np.array(["Jonas Weber", "Claire Dubois"]),
}


# --------------------------------------------------------------------------- time axis


def month_axis(end_month: str, months: int) -> np.ndarray:
    """Return the ``months`` calendar months ending at ``end_month`` as ``datetime64[M]``."""
    end = np.datetime64(end_month, "M")
    return end - np.arange(months - 1, -1, -1)


def month_start(axis: np.ndarray, t: np.ndarray | int) -> np.ndarray:
    """First day of month index ``t`` (may run past the axis) as ``datetime64[D]``."""
    return (axis[0] + np.asarray(t)).astype("datetime64[D]")


def seasonality(axis: np.ndarray) -> np.ndarray:
    """Seasonal multiplier of each month of ``axis``."""
    return SEASON[axis.astype(int) % 12]


def quarter_index(axis: np.ndarray, quarter: str) -> np.ndarray:
    """Month indexes of ``axis`` that fall in ``quarter`` (e.g. ``"2026Q2"``)."""
    q = pd.Period(quarter, freq="Q")
    first = np.datetime64(q.start_time.strftime("%Y-%m"), "M")
    return np.flatnonzero((axis >= first) & (axis < first + 3))


def _pick(rng: np.random.Generator, probs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Draw one category per element, ``probs[rows[i]]`` giving element i's distribution."""
    cum = np.cumsum(probs, axis=1)[rows]
    return (rng.random(len(rows))[:, None] > cum[:, :-1]).sum(axis=1)


def _lognormal(rng: np.random.Generator, median: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    return median * np.exp(sigma * rng.standard_normal(len(median)))


def _strftime(days: np.ndarray, fmt: str) -> pd.Series:
    """Format ``datetime64[D]`` values (NaT -> missing) the way an export writes them."""
    return pd.Series(pd.to_datetime(days)).dt.strftime(fmt)


def _ids(prefix: str, n: int, start: int = 1, width: int = 5) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(np.arange(start, start + n).astype(str), width))


# --------------------------------------------------------------------------- grids


def spells_to_grid(
    cust: np.ndarray, start: np.ndarray, end: np.ndarray, value: np.ndarray, n_customers: int, months: int
) -> np.ndarray:
    """Sum spells (``start`` inclusive, ``end`` exclusive month index) into a dense
    customers x months array. Used at demo scale only."""
    end = np.minimum(end, months)
    length = np.maximum(end - start, 0)
    rows = np.repeat(np.arange(len(cust)), length)
    offset = np.arange(len(rows)) - np.repeat(np.cumsum(length) - length, length)
    grid = np.zeros((n_customers, months))
    np.add.at(grid, (cust[rows], start[rows] + offset), value[rows])
    return grid


def movements(grid: np.ndarray) -> dict[str, np.ndarray]:
    """Per-month MRR movements of a customers x months grid (METRICS.md definitions)."""
    prev, cur = grid[:, :-1], grid[:, 1:]
    was, now = prev > 0, cur > 0
    seen = np.maximum.accumulate(grid > 0, axis=1)[:, :-1]
    out = {
        "new": np.where(~was & now & ~seen, cur, 0).sum(0),
        "new_customers": (~was & now & ~seen).sum(0),
        "reactivation": np.where(~was & now & seen, cur, 0).sum(0),
        "reactivated_customers": (~was & now & seen).sum(0),
        "expansion": np.where(was & now & (cur > prev), cur - prev, 0).sum(0),
        "contraction": np.where(was & now & (cur < prev), prev - cur, 0).sum(0),
        "churn": np.where(was & ~now, prev, 0).sum(0),
        "churned_customers": (was & ~now).sum(0),
    }
    return {k: np.concatenate([[0], v]) for k, v in out.items()}


# --------------------------------------------------------------------------- Meridian


@dataclass
class _Customers:
    start: np.ndarray  # month index of first month
    segment: np.ndarray  # index into MERIDIAN_SEGMENTS
    channel: np.ndarray  # index into CHANNELS
    mrr: np.ndarray  # initial monthly value
    opening: np.ndarray  # already a customer in the first month
    monthly: np.ndarray  # open-ended monthly subscription (SMB)

    def __len__(self) -> int:
        return len(self.start)


def _meridian_customers(
    rng: np.random.Generator, axis: np.ndarray, n_opening: int, base_new: float, growth: float
) -> _Customers:
    t = np.arange(len(axis) + 6)  # 6 future months feed open pipeline
    ext = axis[0] + t
    lam = base_new * growth**t * SEASON[ext.astype(int) % 12]
    counts = rng.poisson(lam)
    counts[0] = n_opening
    start = np.repeat(t, counts)
    n = len(start)
    opening = start == 0
    year_end = np.isin(ext[start].astype(int) % 12, [10, 11])  # Nov, Dec: budget flush
    mix = np.select(
        [opening[:, None], year_end[:, None]], [[[0.5, 0.33, 0.17]], [[0.45, 0.32, 0.23]]], [[0.56, 0.30, 0.14]]
    )
    segment = (rng.random(n)[:, None] > np.cumsum(mix, axis=1)[:, :-1]).sum(1)
    channel = _pick(rng, np.array([[0.7, 0.15, 0.15], [0.4, 0.4, 0.2], [0.15, 0.55, 0.3]]), segment)
    median = np.array([350.0, 1700.0, 5500.0])[segment]
    sigma = np.array([0.45, 0.4, 0.5])[segment]
    mrr = np.maximum(np.round(_lognormal(rng, median, sigma), -1), 90.0)
    monthly = (segment == 0) & (rng.random(n) < 0.7)
    return _Customers(start, segment, channel, mrr, opening, monthly)


def _draw_terms(rng: np.random.Generator, segment: np.ndarray) -> np.ndarray:
    terms = np.array([12, 24, 36])
    probs = np.array([[1.0, 0, 0], [0.9, 0.1, 0], [0.5, 0.25, 0.25]])
    return terms[_pick(rng, probs, segment)]


def _draw_billing(rng: np.random.Generator, segment: np.ndarray) -> np.ndarray:
    kinds = np.array(["annual", "quarterly", "monthly", "upfront"])
    probs = np.array([[0.6, 0, 0.4, 0], [0.5, 0.35, 0.15, 0], [0.85, 0, 0, 0.15]])
    return kinds[_pick(rng, probs, segment)]


def _contract_rows(cust, start, end, mrr, signed, billing, line, given_as_mrr=None) -> pd.DataFrame:
    n = len(cust)
    return pd.DataFrame(
        {
            "cust": cust,
            "start_t": start,
            "end_t": end,
            "mrr": mrr,
            "signed_lag": signed,
            "billing": billing,
            "line": np.broadcast_to(np.asarray(line), n),
            "as_mrr": np.zeros(n, bool) if given_as_mrr is None else given_as_mrr,
        }
    )


def _term_contracts(
    rng: np.random.Generator, c: _Customers, idx: np.ndarray, months: int, spike: np.ndarray
) -> pd.DataFrame:
    """Term contracts (annual, multi-year) of customers ``idx``, renewal by renewal."""
    seg = c.segment[idx]
    start = c.start[idx].copy()
    stub = np.where(rng.random(len(idx)) < 0.4, 2 + 12 * (seg == 2), rng.integers(1, np.where(seg == 2, 25, 13)))
    term = np.where(c.opening[idx], stub, _draw_terms(rng, seg))  # many renew at year end
    mrr = c.mrr[idx].copy()
    signed = np.where(c.opening[idx], -1, rng.integers(2, 40, len(idx)))
    renewal_no = np.zeros(len(idx), int)
    cust = idx.copy()
    out: list[pd.DataFrame] = []
    while len(cust):
        end = start + term
        out.append(_contract_rows(cust, start, end, mrr, signed, _draw_billing(rng, seg), "subscription"))
        # mid-term add-on (expansion), co-terminous with the main contract
        p_add = 1 - (1 - np.array([0.0, 0.015, 0.045])[seg]) ** term
        add_t = start + rng.integers(2, np.maximum(term - 1, 3))
        has_add = (rng.random(len(cust)) < p_add) & (term >= 4) & (add_t < np.minimum(end, months))
        add_mrr = np.round(mrr * rng.uniform(0.15, 0.45, len(cust)), -1) * has_add
        out.append(
            _contract_rows(
                cust[has_add],
                add_t[has_add],
                end[has_add],
                add_mrr[has_add],
                rng.integers(0, 20, has_add.sum()),
                _draw_billing(rng, seg[has_add]),
                "subscription",
            )
        )
        # renewal, churn or (after a gap) reactivation
        total = mrr + add_mrr
        due = end < months
        p_churn = np.array([0.2, 0.11, 0.05])[seg] + 0.05 * (renewal_no == 0)
        p_churn = np.where((seg == 0) & np.isin(end, spike), 0.6, p_churn)
        churn = due & (rng.random(len(cust)) < p_churn)
        renew = due & ~churn
        gap = rng.integers(3, 10, len(cust))
        react = churn & (seg < 2) & (rng.random(len(cust)) < 0.12) & (end + gap < months)
        uplift = np.exp(np.array([0.0, 0.04, 0.1])[seg] + 0.08 * rng.standard_normal(len(cust)))
        uplift = np.where((seg < 2) & (rng.random(len(cust)) < 0.12), rng.uniform(0.7, 0.9, len(cust)), uplift)
        nxt = renew | react
        start = np.where(renew, end, end + gap)[nxt]
        mrr = np.round(np.where(renew, total * uplift, total * rng.uniform(0.8, 1.05, len(cust))), -1)[nxt]
        renewal_no = np.where(renew, renewal_no + 1, 0)[nxt]
        cust, seg = cust[nxt], seg[nxt]
        term = _draw_terms(rng, seg)
        signed = rng.integers(0, 45, len(cust))
    return pd.concat(out, ignore_index=True)


def _monthly_subscriptions(
    rng: np.random.Generator, c: _Customers, idx: np.ndarray, months: int, spike: np.ndarray
) -> pd.DataFrame:
    """Open-ended monthly subscriptions: churn hazard, upgrades and comebacks month by month."""
    n = len(idx)
    active = np.zeros(n, bool)
    cur_start = np.full(n, -1)
    cur_mrr = c.mrr[idx].copy()
    comeback = np.full(n, -1)
    hazard = np.full(months, 0.02)
    hazard[spike] = 0.085
    out: list[pd.DataFrame] = []
    for t in range(months):
        born = c.start[idx] == t
        returning = comeback == t
        if t > 0:
            age = t - cur_start
            p = hazard[t] + 0.02 * (age <= 3)
            churn = active & (rng.random(n) < p)
            upgrade = active & ~churn & (rng.random(n) < 0.012)
            ended = churn | upgrade
            out.append(
                _contract_rows(
                    idx[ended],
                    cur_start[ended],
                    np.full(ended.sum(), t),
                    cur_mrr[ended],
                    np.where(cur_start[ended] == 0, -1, rng.integers(0, 6, ended.sum())),
                    np.full(ended.sum(), "monthly"),
                    "subscription",
                    np.ones(ended.sum(), bool),
                )
            )
            active &= ~churn
            comeback = np.where(churn & (rng.random(n) < 0.08), t + rng.integers(2, 9, n), comeback)
            cur_start = np.where(upgrade, t, cur_start)
            cur_mrr = np.where(upgrade, np.round(cur_mrr * 1.6, -1), cur_mrr)
        cur_mrr = np.where(returning, np.round(cur_mrr * rng.uniform(0.8, 1.1, n), -1), cur_mrr)
        cur_start = np.where(born | returning, t, cur_start)
        active |= born | returning
    out.append(
        _contract_rows(
            idx[active],
            cur_start[active],
            np.full(active.sum(), 10**6),
            cur_mrr[active],
            np.where(cur_start[active] == 0, -1, rng.integers(0, 6, active.sum())),
            np.full(active.sum(), "monthly"),
            "subscription",
            np.ones(active.sum(), bool),
        )
    )
    return pd.concat(out, ignore_index=True)


def _one_offs_and_overages(
    rng: np.random.Generator, c: _Customers, subs: pd.DataFrame, grid: np.ndarray
) -> pd.DataFrame:
    first = subs[(subs.start_t == c.start[subs.cust]) & ~c.opening[subs.cust]].drop_duplicates("cust")
    seg = c.segment[first.cust.to_numpy()]
    has_fee = rng.random(len(first)) < np.array([0.0, 0.6, 0.9])[seg]
    fee = np.round(first.mrr.to_numpy() * rng.uniform(1.0, 2.5, len(first)), -2)
    fees = _contract_rows(
        first.cust.to_numpy()[has_fee],
        first.start_t.to_numpy()[has_fee],
        np.full(has_fee.sum(), -1),
        fee[has_fee],
        first.signed_lag.to_numpy()[has_fee],
        np.full(has_fee.sum(), "upfront"),
        "implementation",
    )
    prone = (c.segment > 0) & (rng.random(len(c)) < 0.35)
    ci, ti = np.nonzero((grid > 0) & prone[:, None])
    hit = rng.random(len(ci)) < 0.35
    ci, ti = ci[hit], ti[hit]
    amount = np.round(grid[ci, ti] * rng.uniform(0.04, 0.15, len(ci)), 2)
    over = _contract_rows(ci, ti, ti + 1, amount, np.full(len(ci), -1), np.full(len(ci), "monthly"), "overage")
    return pd.concat([fees, over], ignore_index=True)


def meridian_contracts(
    rng: np.random.Generator,
    axis: np.ndarray,
    *,
    n_opening: int = 230,
    base_new: float = 13.0,
    growth: float = 1.022,
    spike_quarter: str = "2026Q2",
) -> tuple[_Customers, pd.DataFrame, np.ndarray]:
    """Customers, contract lines (month-index form) and the contracted MRR grid."""
    months = len(axis)
    c = _meridian_customers(rng, axis, n_opening, base_new, growth)
    spike = quarter_index(axis, spike_quarter)
    live = c.start < months
    term_idx = np.flatnonzero(live & ~c.monthly)
    sub_idx = np.flatnonzero(live & c.monthly)
    subs = pd.concat(
        [_term_contracts(rng, c, term_idx, months, spike), _monthly_subscriptions(rng, c, sub_idx, months, spike)],
        ignore_index=True,
    )
    subs = subs[subs.start_t < months].reset_index(drop=True)
    grid = spells_to_grid(
        subs.cust.to_numpy(), subs.start_t.to_numpy(), subs.end_t.to_numpy(), subs.mrr.to_numpy(), len(c), months
    )
    lines = pd.concat([subs, _one_offs_and_overages(rng, c, subs, grid)], ignore_index=True)
    return c, lines, grid


def signed_not_live(rng: np.random.Generator, c: _Customers, months: int, ahead: int = 2) -> pd.DataFrame:
    """First contracts of the new logos that go live in the ``ahead`` months after the axis.

    These deals were closed before going live: term contracts are signed 2-39 days ahead
    of their start (Mid-market and Enterprise billed annually, a few Enterprise upfront),
    with an implementation fee starting with them; monthly subscriptions 0-5 days ahead.
    Every line is returned, also those signed after the last month: the caller keeps the
    signed ones in the contract export (they make CARR exceed ARR and show in bookings)
    and passes all of them to :func:`opportunities`, whose close dates match. A separate
    ``rng`` keeps the rest of the company's history unchanged.
    """
    idx = np.flatnonzero((c.start >= months) & (c.start < months + ahead))
    seg, monthly = c.segment[idx], c.monthly[idx]
    term = np.where(monthly, 10**6 - c.start[idx], _draw_terms(rng, seg))
    kinds = np.array(["annual", "quarterly", "monthly", "upfront"])
    billing = kinds[_pick(rng, np.array([[0.6, 0, 0.4, 0], [0.8, 0.2, 0, 0], [0.85, 0, 0, 0.15]]), seg)]
    billing = np.where(monthly, "monthly", billing)
    lag = np.where(monthly, rng.integers(0, 6, len(idx)), rng.integers(2, 40, len(idx)))
    start = c.start[idx]
    subs = _contract_rows(idx, start, start + term, c.mrr[idx], lag, billing, "subscription", monthly)
    has_fee = ~monthly & (rng.random(len(idx)) < np.array([0.0, 0.6, 0.9])[seg])
    fee = np.round(c.mrr[idx] * rng.uniform(1.0, 2.5, len(idx)), -2)
    fees = _contract_rows(
        idx[has_fee],
        start[has_fee],
        np.full(has_fee.sum(), -1),
        fee[has_fee],
        lag[has_fee],
        np.full(has_fee.sum(), "upfront"),
        "implementation",
    )
    return pd.concat([subs, fees], ignore_index=True)


def signed_by(lines: pd.DataFrame, axis: np.ndarray, months: int) -> pd.DataFrame:
    """Lines signed on or before the last day of month index ``months - 1`` (opening
    lines, with no signed date, are kept)."""
    signed = month_start(axis, lines.start_t.to_numpy()) - np.maximum(lines.signed_lag.to_numpy(), 0)
    return lines[signed < month_start(axis, months)]


def contracts_export(
    lines: pd.DataFrame, c: _Customers, axis: np.ndarray, cust_ids: np.ndarray, date_format: str
) -> pd.DataFrame:
    """Contract lines as a billing system exports them (inclusive end dates)."""
    start = month_start(axis, lines.start_t.to_numpy())
    open_ended = (lines.end_t.to_numpy() >= 10**6) | (lines.end_t.to_numpy() < 0)
    end = np.where(open_ended, np.datetime64("NaT"), month_start(axis, np.minimum(lines.end_t, 10**4)) - 1)
    lag = lines.signed_lag.to_numpy()
    signed = np.where(lag < 0, np.datetime64("NaT"), start - np.maximum(lag, 0))
    term = lines.end_t.to_numpy() - lines.start_t.to_numpy()
    as_mrr = lines.as_mrr.to_numpy()
    line = lines.line.to_numpy()
    tcv = np.where(line == "subscription", lines.mrr * term, lines.mrr)
    df = pd.DataFrame(
        {
            "Account ID": cust_ids[lines.cust],
            "Signed On": _strftime(signed, date_format),
            "Service Start": _strftime(start, date_format),
            "Service End": _strftime(end, date_format),
            "Total Contract Value": np.where(as_mrr, np.nan, np.round(tcv, 2)),
            "Monthly Fee": np.where(as_mrr, lines.mrr, np.nan),
            "Line Type": pd.Series(line).map(
                {"subscription": "Subscription", "overage": "Usage overage", "implementation": "Implementation"}
            ),
            "Billing Frequency": pd.Series(lines.billing.to_numpy()).str.capitalize(),
            "segment": MERIDIAN_SEGMENTS[c.segment[lines.cust]],
            "Acquisition Channel": CHANNELS[c.channel[lines.cust]],
            "Currency": "EUR",
        }
    )
    order = np.lexsort((lines.cust.to_numpy(), line, start))
    df = df.iloc[order].reset_index(drop=True)
    df.insert(0, "Contract ID", _ids("MER-", len(df), 100001, 6))
    return df


def recognised_revenue(lines: pd.DataFrame, grid: np.ndarray) -> dict[str, np.ndarray]:
    """Monthly recognised revenue by tier, from the contract lines (month-index form)."""
    months = grid.shape[1]
    one = lines[lines.line == "implementation"]
    over = lines[lines.line == "overage"]
    return {
        "contracted_recurring": grid.sum(0),
        "uncontracted_recurring": np.bincount(over.start_t, over.mrr, minlength=months)[:months],
        "one_off": np.bincount(one.start_t, one.mrr, minlength=months)[:months],
    }


def financials(
    rng: np.random.Generator,
    axis: np.ndarray,
    revenue: dict[str, np.ndarray],
    mv: dict[str, np.ndarray],
    *,
    payback: float,
    burn_multiple: float,
    gross_margin: float,
    cash_end: float,
    sm_lag: int = 1,
) -> pd.DataFrame:
    """A plausible monthly P&L and cash flow consistent with the MRR story.

    S&M is set so that CAC payback is about ``payback`` months, burn so that the burn
    multiple is about ``burn_multiple`` on the trend of net new ARR, and R&D / G&A close
    the gap between gross profit, S&M and burn.
    """
    m = len(axis)
    total = sum(revenue.values())
    gm = gross_margin + 0.02 * np.linspace(-1, 1, m) + 0.006 * rng.standard_normal(m)
    cogs = total * (1 - gm)
    first = mv["new"].copy()
    first[0] = first[1]  # the opening month has no movements
    new = pd.Series(first).rolling(3, min_periods=1).mean().to_numpy()
    lead = np.concatenate([new[sm_lag:], np.repeat(new[-1], sm_lag)])
    sm = payback * gross_margin * lead * (1 + 0.04 * rng.standard_normal(m))
    net_new = 12 * (mv["new"] + mv["reactivation"] + mv["expansion"] - mv["contraction"] - mv["churn"])
    trend = np.polyval(np.polyfit(np.arange(1, m), net_new[1:], 1), np.arange(m))
    burn = burn_multiple * np.maximum(trend, 0.3 * net_new[1:].mean()) * (1 + 0.05 * rng.standard_normal(m))
    opex = total - cogs - sm + burn
    rd = 0.62 * opex
    ga = opex - rd
    flow = -burn
    cash = cash_end - np.concatenate([np.cumsum(flow[::-1])[::-1][1:], [0.0]])
    r = lambda x: np.round(x, 2)  # noqa: E731
    return pd.DataFrame(
        {
            "month": axis.astype(str),
            "revenue": r(total),
            "subscription": r(revenue["contracted_recurring"]),
            "usage": r(revenue["uncontracted_recurring"]),
            "services": r(revenue["one_off"]),
            "cogs": r(cogs),
            "sales_marketing": r(sm),
            "research_development": r(rd),
            "general_admin": r(ga),
            "net_cash_flow": r(flow),
            "cash_balance": r(cash),
        }
    )


# --------------------------------------------------------------------------- CRM


def opportunities(
    rng: np.random.Generator,
    c: _Customers,
    lines: pd.DataFrame,
    axis: np.ndarray,
    *,
    slow_source: int = 2,
    slow_factor: float = 0.45,
) -> pd.DataFrame:
    """Won deals = new logos (and future logos, still open); lost deals around them."""
    horizon = month_start(axis, len(axis)) - 1
    first = lines[(lines.line == "subscription")].sort_values("start_t").drop_duplicates("cust")
    new = ~c.opening
    cust = np.flatnonzero(new)
    start = month_start(axis, c.start[cust])
    lag = pd.Series(first.signed_lag.to_numpy(), index=first.cust.to_numpy()).reindex(cust).fillna(10).to_numpy()
    closed = start - lag.astype(int)
    seg = c.segment[cust]
    cycle = np.maximum(rng.gamma(2.0, np.array([11.0, 28.0, 55.0])[seg]), 3).astype(int)
    amount = 12 * c.mrr[cust] * rng.uniform(0.95, 1.1, len(cust))
    won = dict(
        seg=seg,
        src=c.channel[cust],
        created=closed - cycle,
        closed=closed,
        amount=amount,
        outcome=np.full(len(cust), "won"),
    )
    wr = np.array([0.34, 0.27, 0.22])[seg]
    k = rng.poisson((1 - wr) / wr)
    rep = np.repeat(np.arange(len(cust)), k)
    created = closed[rep] - cycle[rep] + rng.integers(-25, 25, len(rep))
    lost = dict(
        seg=seg[rep],
        src=c.channel[cust][rep],
        created=created,
        closed=created + (cycle[rep] * rng.uniform(0.4, 1.1, len(rep))).astype(int),
        amount=amount[rep] * np.exp(0.3 * rng.standard_normal(len(rep))),
        outcome=np.full(len(rep), "lost"),
    )
    opp = pd.DataFrame({k: np.concatenate([won[k], lost[k]]) for k in won})
    opp["u"] = rng.random(len(opp))  # drawn per deal, so that other deals keep theirs
    opp = opp[opp.created <= horizon]
    still_open = opp.closed > horizon
    opp.loc[still_open, "outcome"] = "open"
    opp.loc[still_open, "closed"] = np.datetime64("NaT")
    last = month_start(axis, len(axis) - 1)
    thin = (opp.src == slow_source) & (opp.created >= last) & (opp.outcome != "won")
    opp = opp[~thin | (opp.u > slow_factor)].drop(columns="u")
    return _opportunity_export(rng, opp.sort_values(["created", "closed"], kind="stable").reset_index(drop=True))


def _opportunity_export(rng: np.random.Generator, opp: pd.DataFrame) -> pd.DataFrame:
    n = len(opp)
    seg = opp.seg.to_numpy()
    outcome = opp.outcome.to_numpy()
    open_stage = np.array(["Discovery", "Demo", "Proposal", "Negotiation"])[
        _pick(rng, np.array([[0.35, 0.3, 0.2, 0.15]]), np.zeros(n, int))
    ]
    stage = np.select([outcome == "won", outcome == "lost"], ["Closed Won", "Closed Lost"], open_stage)
    owner = np.empty(n, object)
    for s, names in OWNERS.items():
        mask = seg == s
        owner[mask] = names[rng.integers(0, len(names), mask.sum())]
    src = opp.src.to_numpy()
    partner = np.where(src == 2, PARTNERS[rng.integers(0, len(PARTNERS), n)], "")
    return pd.DataFrame(
        {
            "Opportunity ID": _ids("OPP-", n, 200001, 6),
            "Created Date": _strftime(opp.created.to_numpy(), "%Y-%m-%d"),
            "Close Date": _strftime(opp.closed.to_numpy(), "%Y-%m-%d"),
            "Stage": stage,
            "Status": pd.Series(outcome).str.capitalize(),
            "Amount": np.round(opp.amount.to_numpy(), -2),
            "Lead Source": pd.Series(CHANNELS[src]).str.capitalize(),
            "Partner": partner,
            "Opportunity Owner": owner.astype(str),
            "segment": MERIDIAN_SEGMENTS[seg],
        }
    )


def pipeline_targets(
    rng: np.random.Generator, opp: pd.DataFrame, axis: np.ndarray, current_pace: dict[str, float]
) -> pd.DataFrame:
    """Quarterly pipeline_created targets by source: past quarters near attainment, the
    current quarter set so that each source runs at ``current_pace`` at the last month."""
    created = pd.to_datetime(opp["Created Date"])
    q = created.dt.to_period("Q")
    src = opp["Lead Source"].str.lower()
    actual = opp.groupby([q, src])["Amount"].sum()
    first_full = pd.Period(str(axis[0]), "M").asfreq("Q")
    if pd.Period(str(axis[0]), "M") != first_full.asfreq("M", "start"):
        first_full += 1
    current = pd.Period(str(axis[-1]), "M").asfreq("Q")
    end_day = pd.Period(str(axis[-1]), "M").end_time.normalize()
    elapsed = ((end_day - current.start_time).days + 1) / ((current.end_time.normalize() - current.start_time).days + 1)
    rows = []
    for period in pd.period_range(first_full, current, freq="Q"):
        for s in CHANNELS:
            a = actual.get((period, s), 0.0)
            factor = 1 / (elapsed * current_pace.get(s, 1.0)) if period == current else rng.uniform(0.9, 1.15)
            rows.append((str(period), "pipeline_created", f"source={s}", round(a * factor, -4)))
    t = pd.DataFrame(rows, columns=["Quarter", "Metric", "Filter", "Target"])
    total = t.groupby("Quarter", sort=False)["Target"].sum().reset_index()
    total["Metric"], total["Filter"] = "pipeline_created", "all"
    return pd.concat([t, total[t.columns]], ignore_index=True).sort_values(["Quarter", "Filter"], kind="stable")


def leads(
    rng: np.random.Generator,
    axis: np.ndarray,
    *,
    base: float,
    growth: float,
    channels: np.ndarray,
    channel_p: np.ndarray,
    rates: tuple[float, float, float],
    lags: tuple[float, float, float],
    dip: tuple[str, float, float] | None = None,
    owners: np.ndarray | None = None,
    segments: np.ndarray | None = None,
    segment_p: np.ndarray | None = None,
) -> pd.DataFrame:
    """Lead records with stage dates (NaT when not reached or not reached yet).

    ``dip`` = (quarter, signup multiplier, signup->pql multiplier): a quarter where the
    top of the funnel rises while the next stage converts worse.
    """
    m = len(axis)
    lam = base * growth ** np.arange(m) * seasonality(axis)
    n_month = rng.poisson(lam)
    t = np.repeat(np.arange(m), n_month)
    n = len(t)
    days = (month_start(axis, t + 1) - month_start(axis, t)).astype(int)
    created = month_start(axis, t) + (rng.random(n) * days).astype(int)
    r_signup = np.full(n, rates[0])
    r_pql = np.full(n, rates[1])
    if dip is not None:
        in_q = np.isin(t, quarter_index(axis, dip[0]))
        r_signup = np.where(in_q, np.minimum(r_signup * dip[1], 0.95), r_signup)
        r_pql = np.where(in_q, r_pql * dip[2], r_pql)
    signup = np.where(rng.random(n) < r_signup, created + rng.gamma(1.0, lags[0], n).astype(int), np.datetime64("NaT"))
    pql = np.where(
        ~np.isnat(signup) & (rng.random(n) < r_pql),
        signup + rng.gamma(1.5, lags[1] / 1.5, n).astype(int),
        np.datetime64("NaT"),
    )
    cust = np.where(
        ~np.isnat(pql) & (rng.random(n) < rates[2]),
        pql + rng.gamma(2.0, lags[2] / 2, n).astype(int),
        np.datetime64("NaT"),
    )
    horizon = month_start(axis, m) - 1
    signup, pql, cust = (np.where(d > horizon, np.datetime64("NaT"), d) for d in (signup, pql, cust))
    df = pd.DataFrame(
        {
            "created": created,
            "signup": signup,
            "pql": pql,
            "customer": cust,
            "channel": channels[_pick(rng, channel_p[None, :], np.zeros(n, int))],
        }
    )
    if owners is not None:
        df["owner"] = owners[rng.integers(0, len(owners), n)]
    if segments is not None:
        df["segment"] = segments[_pick(rng, segment_p[None, :], np.zeros(n, int))]
    return df.sort_values("created", kind="stable").reset_index(drop=True)


def traffic(
    rng: np.random.Generator, axis: np.ndarray, *, base: float, growth: float, channels: dict[str, float]
) -> pd.DataFrame:
    """Monthly unique visitors by channel."""
    m = len(axis)
    total = base * growth ** np.arange(m) * (0.5 + 0.5 * seasonality(axis))
    share = np.array(list(channels.values()))
    v = np.round(total[:, None] * share[None, :] * np.exp(0.06 * rng.standard_normal((m, len(share)))))
    return pd.DataFrame(
        {
            "month": np.repeat(axis.astype(str), len(share)),
            "channel": np.tile(list(channels), m),
            "visitors": v.ravel().astype(int),
        }
    )


def usage_events(
    rng: np.random.Generator, axis: np.ndarray, accounts: np.ndarray, users_per_account: np.ndarray, months: int = 3
) -> pd.DataFrame:
    """Daily feature events of the users of ``accounts`` over the last ``months`` months."""
    features = np.array(["dashboards", "reports", "alerts", "data_connectors", "sharing", "api"])
    weights = np.array([0.34, 0.24, 0.14, 0.12, 0.1, 0.06])
    first = month_start(axis, len(axis) - months)
    days = np.arange(first, month_start(axis, len(axis)))
    weekday = ((days.astype(int) + 3) % 7) < 5
    acc = np.repeat(accounts, users_per_account)
    uidx = np.concatenate([np.arange(k) for k in users_per_account]) + 1
    propensity = rng.beta(2.0, 4.0, len(acc))
    p = propensity[:, None] * np.where(weekday, 1.0, 0.2)[None, :]
    ui, di = np.nonzero(rng.random((len(acc), len(days))) < p)
    k = 1 + rng.binomial(2, 0.35, len(ui))
    rep = np.repeat(np.arange(len(ui)), k)
    pick = _pick(rng, weights[None, :], np.zeros(len(rep), int))
    # Each account adopts a subset of the features (dashboards always); an event of a
    # feature the account never adopted is a dashboards event. A stream of its own keeps
    # every other generated table unchanged.
    adopt_rng = np.random.default_rng([2026, len(accounts)])
    adopted = adopt_rng.random((len(accounts), len(features))) < np.array([1.0, 0.85, 0.6, 0.45, 0.35, 0.2])
    account_of_user = np.repeat(np.arange(len(accounts)), users_per_account)
    pick = np.where(adopted[account_of_user[ui[rep]], pick], pick, 0)
    feat = features[pick]
    df = pd.DataFrame(
        {
            "distinct_id": np.char.add(np.char.add(acc[ui[rep]], "-u"), uidx[ui[rep]].astype(str)),
            "account_id": acc[ui[rep]],
            "event_date": days[di[rep]],
            "event": feat,
        }
    )
    return df.drop_duplicates().reset_index(drop=True)


def nps_responses(
    rng: np.random.Generator,
    axis: np.ndarray,
    cust_ids: np.ndarray,
    grid: np.ndarray,
    segment: np.ndarray,
    *,
    per_quarter: int,
    dip_quarter: str,
    dip_segment: int,
) -> pd.DataFrame:
    """Quarterly NPS survey responses of active customers (score 0-10)."""
    rows = []
    for i in range(1, len(axis), 3):  # a survey in every third month
        active = np.flatnonzero(grid[:, i] > 0)
        who = rng.choice(active, size=min(per_quarter, len(active)), replace=False)
        base = np.where(segment[who] == 2, 8.4, 7.9)
        if i in quarter_index(axis, dip_quarter):
            base = np.where(segment[who] == dip_segment, base - 1.2, base)
        score = np.clip(np.round(base + 1.7 * rng.standard_normal(len(who))), 0, 10).astype(int)
        day = month_start(axis, i) + rng.integers(0, 25, len(who))
        rows.append(pd.DataFrame({"day": day, "cust": cust_ids[who], "score": score}))
    return pd.concat(rows, ignore_index=True).sort_values(["day", "cust"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- Loopwise


@dataclass
class LoopwiseData:
    grid: np.ndarray
    segment: np.ndarray
    plan: np.ndarray
    start: np.ndarray
    opening: np.ndarray


def loopwise_grid(
    rng: np.random.Generator,
    axis: np.ndarray,
    *,
    n_opening: int = 140,
    base_new: float = 45.0,
    growth: float = 1.045,
    spike_quarter: str = "2026Q1",
) -> LoopwiseData:
    """Product-led MRR month by month: high self-serve churn, upgrades, assisted expansion."""
    m = len(axis)
    lam = base_new * growth ** np.arange(m) * seasonality(axis)
    counts = rng.poisson(lam)
    counts[0] = n_opening
    start = np.repeat(np.arange(m), counts)
    n = len(start)
    segment = (rng.random(n) < np.where(start == 0, 0.2, 0.13)).astype(int)  # 1 = assisted
    prices = np.array([29.0, 99.0, 299.0])
    plan = np.where(segment == 1, 3, _pick(rng, np.array([[0.5, 0.35, 0.15]]), np.zeros(n, int)))
    seats = rng.geometric(0.45, n)
    mrr0 = np.where(
        segment == 1,
        np.round(_lognormal(rng, np.full(n, 1400.0), np.full(n, 0.5)), -1),
        prices[np.minimum(plan, 2)] * np.where(plan == 0, 1, seats),
    )
    spike = quarter_index(axis, spike_quarter)
    grid = np.zeros((n, m))
    cur = np.zeros(n)
    away = np.full(n, -1)
    for t in range(m):
        born = start == t
        if t > 0:
            active = cur > 0
            age = t - start
            h = np.where(segment == 1, 0.01, 0.05 + 0.03 * (age <= 3) + 0.03 * (t in spike))
            churn = active & (rng.random(n) < h)
            u = rng.random(n)
            up_ss = active & ~churn & (segment == 0) & (u < 0.03)
            seats = np.where(up_ss & (plan == 2), seats + 1, seats)
            plan = np.where(up_ss, np.minimum(plan + 1, 2), plan)
            grow = np.where(up_ss, prices[np.minimum(plan, 2)] * np.where(plan == 0, 1, seats), cur)
            exp_as = active & ~churn & (segment == 1) & (u < 0.09)
            grow = np.where(exp_as, np.round(cur * rng.uniform(1.1, 1.4, n), -1), grow)
            con = active & ~churn & (u > 0.985)
            grow = np.where(con, np.round(cur * 0.7, 0), grow)
            away = np.where(churn, t, away)
            back = (cur == 0) & (away >= 0) & (t - away <= 8) & (segment == 0) & (rng.random(n) < 0.03)
            cur = np.where(churn, 0.0, np.where(back, np.where(mrr0 > 0, mrr0, 29.0), grow))
            away = np.where(back, -1, away)
        cur = np.where(born, mrr0, cur)
        grid[:, t] = cur
    return LoopwiseData(grid=np.round(grid, 2), segment=segment, plan=plan, start=start, opening=start == 0)


def usage_transactions(
    rng: np.random.Generator, axis: np.ndarray, grid: np.ndarray, metered: np.ndarray, cust_ids: np.ndarray
) -> pd.DataFrame:
    """Metered-usage charges of customers on metered plans (a charge in most active months)."""
    ci, ti = np.nonzero((grid > 0) & metered[:, None])
    hit = rng.random(len(ci)) < 0.7
    ci, ti = ci[hit], ti[hit]
    days = (month_start(axis, ti + 1) - month_start(axis, ti)).astype(int)
    when = month_start(axis, ti).astype("datetime64[s]") + (rng.random(len(ci)) * days * 86400).astype(int)
    amount = np.round(grid[ci, ti] * rng.gamma(2.0, 0.08, len(ci)), 2)
    df = pd.DataFrame(
        {
            "Customer": cust_ids[ci],
            "Charged At": pd.to_datetime(when).strftime("%Y-%m-%d %H:%M:%S"),
            "Amount": amount,
            "Currency": "usd",
            "Description": "Metered usage: API calls",
        }
    )
    return df.sort_values(["Charged At", "Customer"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- generic (benchmarks, portfolios)

#: Per GTM motion: segment names, mix, median MRR, MRR spread, monthly churn, monthly
#: expansion and contraction probability.
PROFILES = {
    "sales-led": dict(
        segments=["SMB", "Mid-market", "Enterprise"],
        mix=[0.55, 0.3, 0.15],
        median=[450.0, 2300.0, 8500.0],
        sigma=[0.45, 0.4, 0.5],
        churn=[0.025, 0.012, 0.006],
        expand=[0.01, 0.02, 0.035],
        contract=[0.01, 0.008, 0.005],
    ),
    "product-led": dict(
        segments=["self-serve", "assisted"],
        mix=[0.85, 0.15],
        median=[60.0, 1200.0],
        sigma=[0.6, 0.5],
        churn=[0.05, 0.015],
        expand=[0.03, 0.06],
        contract=[0.015, 0.01],
    ),
    "hybrid": dict(
        segments=["self-serve", "Mid-market", "Enterprise"],
        mix=[0.6, 0.28, 0.12],
        median=[90.0, 2000.0, 7500.0],
        sigma=[0.5, 0.4, 0.5],
        churn=[0.04, 0.012, 0.006],
        expand=[0.025, 0.02, 0.035],
        contract=[0.012, 0.008, 0.005],
    ),
}


@dataclass
class LongMRR:
    """Customer-month MRR rows sorted by customer then month (no dense grid)."""

    cust: np.ndarray  # int32 customer index
    t: np.ndarray  # int16 month index
    mrr: np.ndarray  # float64, rounded to cents
    segment: np.ndarray  # int8 segment index per customer
    months: int


def spell_mrr(
    rng: np.random.Generator,
    customers: int,
    months: int,
    kind: str,
    *,
    opening_share: float = 0.25,
    growth: float = 1.03,
    reactivation: float = 0.08,
    axis: np.ndarray | None = None,
) -> LongMRR:
    """Simulate ``customers`` customers over ``months`` months as spells of activity.

    Vectorised over customers: each spell has a geometric lifetime, and its MRR follows a
    sparse random walk of expansions and contractions. Memory is proportional to the
    number of active customer-months, never customers x months.
    """
    p = PROFILES[kind]
    t_axis = np.arange(months)
    w = growth**t_axis * (SEASON[axis.astype(int) % 12] if axis is not None else 1.0)
    w[0] = 0
    later = rng.choice(months, size=customers, p=w / w.sum()) if months > 1 else np.zeros(customers, int)
    start = np.sort(np.where(rng.random(customers) < opening_share, 0, later))
    seg = _pick(rng, np.array([p["mix"]]), np.zeros(customers, int)).astype(np.int8)
    mrr0 = np.maximum(np.round(_lognormal(rng, np.array(p["median"])[seg], np.array(p["sigma"])[seg]), 0), 5.0)
    churn = np.array(p["churn"])[seg]
    life = rng.geometric(churn)
    end = start + life
    back = (end < months) & (rng.random(customers) < reactivation)
    start2 = end + 1 + rng.geometric(0.3, customers)
    back &= start2 < months
    sp_cust = np.concatenate([np.arange(customers), np.flatnonzero(back)]).astype(np.int32)
    sp_start = np.concatenate([start, start2[back]])
    sp_len = np.minimum(np.concatenate([life, rng.geometric(churn[back])]), months - sp_start)
    sp_mrr = np.concatenate([mrr0, np.round(mrr0[back] * rng.uniform(0.8, 1.1, back.sum()), 0)])
    order = np.lexsort((sp_start, sp_cust))
    sp_cust, sp_start, sp_len, sp_mrr = sp_cust[order], sp_start[order], sp_len[order], sp_mrr[order]
    first_row = np.cumsum(sp_len) - sp_len
    spell = np.repeat(np.arange(len(sp_cust)), sp_len)
    offset = np.arange(len(spell)) - first_row[spell]
    s = seg[sp_cust[spell]]
    u = rng.random(len(spell))
    step = np.abs(0.15 + 0.07 * rng.standard_normal(len(spell)))
    inc = np.where(u < np.array(p["expand"])[s], step, np.where(u > 1 - np.array(p["contract"])[s], -step, 0.0))
    inc[first_row] = 0.0
    cum = np.cumsum(inc)
    cum -= cum[first_row][spell]
    mrr = np.round(sp_mrr[spell] * np.exp(cum), 2)
    return LongMRR(
        cust=sp_cust[spell], t=(sp_start[spell] + offset).astype(np.int16), mrr=mrr, segment=seg, months=months
    )


def long_movements(m: LongMRR) -> dict[str, np.ndarray]:
    """Monthly MRR movements of long rows (METRICS.md), without a dense grid."""
    same_prev = np.concatenate([[False], m.cust[1:] == m.cust[:-1]])
    contiguous = same_prev & np.concatenate([[False], m.t[1:] == m.t[:-1] + 1])
    prev_mrr = np.concatenate([[0.0], m.mrr[:-1]])
    last_of_run = np.concatenate([~contiguous[1:], [True]])
    churn_t = m.t.astype(np.int64) + 1
    counts = lambda mask, w=None: np.bincount(m.t[mask], w if w is None else w[mask], minlength=m.months)  # noqa: E731
    diff = m.mrr - prev_mrr
    entering = ~contiguous & (m.t > 0)
    churned = last_of_run & (churn_t < m.months)
    out = {
        "new": counts(entering & ~same_prev, m.mrr),
        "new_customers": counts(entering & ~same_prev),
        "reactivation": counts(entering & same_prev, m.mrr),
        "expansion": counts(contiguous & (diff > 0), diff),
        "contraction": counts(contiguous & (diff < 0), -diff),
        "churn": np.bincount(churn_t[churned], m.mrr[churned], minlength=m.months)[: m.months],
        "mrr": counts(np.ones(len(m.t), bool), m.mrr),
    }
    out["churn"][0] = 0.0
    return out
