"""Generated sentences: what moved, and which diagnostic KPI explains it.

Pure functions over KPI value dicts (id -> float or ``Blank``) of the current period, the
prior period and the same period a year ago. Nothing here reads files; the builder
(:mod:`reportlib.kpis`) assembles the inputs.

How each north star is explained (METRICS.md "KPI hierarchy"):

* ``arr``: net new ARR is split into new, reactivation, expansion, contraction and churn;
  the component whose signed contribution moved most against the prior period is named.
* ``nrr``: NRR = GRR + net expansion of retained customers (NRR - GRR); the larger mover
  of the two is named.
* ``burn_multiple``: burn / net new ARR; the factor with the larger log change is named.
* ``cac_payback_months``: CAC / (ASP x gross margin); the factor with the largest log
  change (signed so that it lengthens or shortens payback) is named.
* any other north star: the registry child with the largest relative change.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial

from reportlib import format as F
from reportlib import registry as reg
from reportlib.metrics import same_basis
from reportlib.metrics.journey import journey_alerts
from reportlib.params import PERIOD_WORDS
from reportlib.values import finite

Values = Mapping[str, object]

ARR_COMPONENTS: dict[str, tuple[str, int]] = {  # component id -> (words, sign in net new ARR)
    "new_arr": ("new business", 1),
    "reactivation_arr": ("reactivations", 1),
    "expansion_arr": ("expansion", 1),
    "contraction_arr": ("contraction", -1),
    "churned_arr": ("churn", -1),
}


@dataclass(frozen=True)
class Explanation:
    """A north star's change and the sentence explaining it.

    ``driver`` is the KPI id named as explaining most of the change (``""`` when none).
    ``change_prior`` / ``change_year_ago`` follow kpis.csv's ``change`` convention.
    """

    kpi: str
    sentence: str
    driver: str
    change_prior: float | None
    change_year_ago: float | None


# --- numbers and formatting ---------------------------------------------------------------
def kpi_change(kpi_id: str, value: object, prior: object) -> float | None:
    """kpis.csv's ``change``: relative change (value / prior - 1, against |prior|) for
    currency and count KPIs, absolute difference for every other unit; None when either
    side is blank, a relative change has a zero base, or the two were measured on different
    bases (Rule of 40 on revenue growth now, on ARR growth before: ``Noted.basis``)."""
    v, p = finite(value), finite(prior)
    if v is None or p is None or not same_basis(value, prior):
        return None
    if reg.get(kpi_id).unit in reg.RELATIVE_CHANGE_UNITS:
        return None if p == 0 else (v - p) / abs(p)
    return v - p


# Sentences use the text context of the one formatter family (reportlib.format).
_money = partial(F.money, context="text")
_pct = partial(F.percent, context="text")
_pts = partial(F.points, context="text")


def _value(kpi_id: str, value: object, currency: str | None = None) -> str:
    """A KPI value in words according to its registry unit."""
    return F.value(value, reg.get(kpi_id).unit, currency, context="text")


def _change(kpi_id: str, delta: float | None) -> str:
    """A kpis.csv ``change`` in words: "+6%" for money/counts, "+2.1 pts" for ratios."""
    return F.change(delta, reg.get(kpi_id).unit, context="text")


def _lower(label: str) -> str:
    return label[:1].lower() + label[1:]


def _moved(delta: float, up: str = "rose", down: str = "fell", flat: str = "held") -> str:
    return up if delta > 0 else down if delta < 0 else flat


def _vs(kpi_id: str, cur: Values, prior: Values, year_ago: Values, period: str) -> str:
    parts = []
    d_prior = kpi_change(kpi_id, cur.get(kpi_id), prior.get(kpi_id))
    d_year = kpi_change(kpi_id, cur.get(kpi_id), year_ago.get(kpi_id))
    if d_prior is not None:
        parts.append(f"{_change(kpi_id, d_prior)} vs the prior {period}")
    if d_year is not None:
        parts.append(f"{_change(kpi_id, d_year)} vs a year ago")
    return f" ({', '.join(parts)})" if parts else ""


# --- north-star explanations --------------------------------------------------------------
def explain_arr(cur: Values, prior: Values, year_ago: Values, currency: str | None, period: str) -> Explanation:
    """ARR's change, the largest inflow's share of net new ARR, and the component of the
    ARR bridge that moved most against the prior period."""
    arr, nna = finite(cur.get("arr")), finite(cur.get("net_new_arr"))
    d_prior = kpi_change("arr", cur.get("arr"), prior.get("arr"))
    d_year = kpi_change("arr", cur.get("arr"), year_ago.get("arr"))
    if arr is None or nna is None:
        note = getattr(cur.get("arr"), "note", "") or getattr(cur.get("net_new_arr"), "note", "")
        return Explanation(
            "arr", f"ARR cannot be explained this {period}: {note or 'too little history'}.", "", d_prior, d_year
        )
    start = arr - nna
    growth = nna / start if start else None
    head = (
        f"ARR {_moved(nna, 'grew', 'fell', 'was flat')} "
        f"{_pct(abs(growth)) + ' ' if growth and nna else ''}in the {period} to {_money(arr, currency)}"
    )
    yoy = finite(cur.get("arr_growth_yoy"))
    if yoy is not None:
        head += f" ({_pct(yoy, sign=True)} vs a year ago)"
    signed = {k: sign * (finite(cur.get(k)) or 0.0) for k, (_, sign) in ARR_COMPONENTS.items()}
    top, inflow = _top_inflow(signed, nna, currency)
    driver, now, then = _arr_driver(signed, prior)
    moved = ""
    if driver:
        change_words = (
            f"{_moved(now - then)} to {_money(now, currency)} from {_money(then, currency)}, "
            f"the largest change vs the prior {period}"
        )
        # the largest inflow is often the largest mover too: one clause about it, not two
        moved = f"but {change_words}" if driver == top else f"while {ARR_COMPONENTS[driver][0]} {change_words}"
    tail = f"{inflow} {moved}" if inflow and moved else inflow or moved.split(" ", 1)[-1]
    sentence = f"{head}; {tail}." if tail else f"{head}."
    return Explanation("arr", sentence, driver, d_prior, d_year)


def _arr_driver(signed: dict[str, float], prior: Values) -> tuple[str, float, float]:
    """The ARR-bridge component whose signed contribution moved most vs the prior period,
    with its amount now and then ("" when the prior period is unknown or nothing moved)."""
    if any(finite(prior.get(k)) is None for k in ARR_COMPONENTS):
        return "", 0.0, 0.0
    before = {k: sign * finite(prior.get(k)) for k, (_, sign) in ARR_COMPONENTS.items()}  # type: ignore[operator]
    driver = max(signed, key=lambda k: abs(signed[k] - before[k]))
    if signed[driver] == before[driver]:
        return "", 0.0, 0.0
    return driver, abs(signed[driver]), abs(before[driver])


def _top_inflow(signed: dict[str, float], nna: float, currency: str | None) -> tuple[str, str]:
    """The largest inflow of the bridge and its share of the ARR added (every inflow)."""
    inflows = {k: v for k, v in signed.items() if v > 0}
    if not inflows:
        return "", ""
    top = max(inflows, key=inflows.get)  # type: ignore[arg-type]
    words = ARR_COMPONENTS[top][0]
    # a share of the ARR added, not of net new ARR (which churn shrinks: new business could
    # read 82% of it while expansion alone read 38%), the same basis for every company
    gross = sum(inflows.values())
    return top, f"{words} was {_pct(inflows[top] / gross)} of the {_money(gross, currency)} ARR added"


def explain_nrr(cur: Values, prior: Values, year_ago: Values, currency: str | None, period: str) -> Explanation:
    """NRR = GRR + net expansion of retained customers; names whichever moved more."""
    nrr, grr = finite(cur.get("nrr")), finite(cur.get("grr"))
    d_prior = kpi_change("nrr", cur.get("nrr"), prior.get("nrr"))
    d_year = kpi_change("nrr", cur.get("nrr"), year_ago.get("nrr"))
    if nrr is None:
        note = getattr(cur.get("nrr"), "note", "") or "too little history"
        return Explanation("nrr", _blank_sentence("NRR", note, "", "not available"), "", d_prior, d_year)
    head = f"NRR was {_pct(nrr)}{_vs('nrr', cur, prior, year_ago, period)}"
    pnrr, pgrr = finite(prior.get("nrr")), finite(prior.get("grr"))
    if grr is None or pnrr is None or pgrr is None:
        return Explanation("nrr", head + (f"; GRR was {_pct(grr)}." if grr is not None else "."), "", d_prior, d_year)
    exp, pexp = nrr - grr, pnrr - pgrr
    d_grr, d_exp = grr - pgrr, exp - pexp
    # both on NRR's own trailing twelve months (a quarter's expansion rate beside them would
    # mix periods), and against the prior period only, which is what the drivers compare
    exp_words = f"net expansion of retained customers (NRR - GRR) {_moved(d_exp)} to {_pts(exp)[1:]}"
    grr_words = (
        f"GRR held at {_pct(grr)}"
        if _pct(grr) == _pct(pgrr)
        else f"GRR {_moved(d_grr)} to {_pct(grr)} from {_pct(pgrr)}"
    )
    expansion_led = abs(d_exp) > abs(d_grr)
    driver = "mrr_expansion_rate" if expansion_led else "grr"
    lead, other = (exp_words, grr_words) if expansion_led else (grr_words, exp_words)
    if d_grr * d_exp < 0:  # they moved apart: neither explains most of a change smaller than each
        text = f"against the prior {period}, {lead} while {other}, largely offsetting each other"
    else:
        text = f"against the prior {period}, {lead}, explaining most of the change, while {other}"
    return Explanation("nrr", f"{head}; {text}.", driver, d_prior, d_year)


def _log_drivers(factors: dict[str, tuple[object, object, int]]) -> dict[str, float] | None:
    """Signed log contributions of each factor (value, prior, exponent) to a product."""
    out = {}
    for k, (v, p, exponent) in factors.items():
        v, p = finite(v), finite(p)
        if v is None or p is None or v <= 0 or p <= 0:
            return None
        out[k] = exponent * math.log(v / p)
    return out


def _blank_sentence(label: str, note: str, period: str, why: str = "not meaningful") -> str:
    """Why a north star is blank: 'Burn multiple is not shown for SMB: ...' for a segment's
    company-wide figure, else 'Burn multiple is not meaningful this quarter: ...'."""
    if note.startswith("Not shown for "):
        return reg.not_shown(label, note)
    return f"{label} is {why}{f' this {period}' if period else ''}: {note}."


def _multiple_head(
    kpi_id: str, label: str, cur: Values, prior: Values, year_ago: Values, period: str, missing: str
) -> tuple[str | Explanation, float | None, float | None]:
    """ "<Label> was 1.6x (changes)" and the changes; an Explanation instead of the text
    when the value is blank (its note, or ``missing``, says why)."""
    d_prior = kpi_change(kpi_id, cur.get(kpi_id), prior.get(kpi_id))
    d_year = kpi_change(kpi_id, cur.get(kpi_id), year_ago.get(kpi_id))
    value = finite(cur.get(kpi_id))
    if value is None:
        note = getattr(cur.get(kpi_id), "note", "") or missing
        return (
            Explanation(kpi_id, _blank_sentence(label, note, period), "", d_prior, d_year),
            d_prior,
            d_year,
        )
    return (
        f"{label} was {F.multiple(value, context='text')}{_vs(kpi_id, cur, prior, year_ago, period)}",
        d_prior,
        d_year,
    )


def explain_burn_multiple(
    cur: Values, prior: Values, year_ago: Values, currency: str | None, period: str
) -> Explanation:
    """Burn multiple = burn / net new ARR; names the factor with the larger log change."""
    head, d_prior, d_year = _multiple_head(
        "burn_multiple", "Burn multiple", cur, prior, year_ago, period, "burn or net new ARR is missing"
    )
    if isinstance(head, Explanation):
        return head
    logs = _log_drivers(
        {
            "burn": (cur.get("burn"), prior.get("burn"), 1),
            "net_new_arr": (cur.get("net_new_arr"), prior.get("net_new_arr"), -1),
        }
    )
    if logs is None:
        return Explanation("burn_multiple", head + ".", "", d_prior, d_year)
    driver = max(logs, key=lambda k: abs(logs[k]))
    other = "net_new_arr" if driver == "burn" else "burn"
    words = {"burn": "burn", "net_new_arr": "net new ARR"}

    def part(k: str) -> str:
        rel = kpi_change(k, cur.get(k), prior.get(k))
        return f"{words[k]} {_moved(rel or 0)} {_pct(abs(rel or 0))} to {_money(cur.get(k), currency)}"

    return Explanation(
        "burn_multiple", f"{head}: {part(driver)}, the main driver, while {part(other)}.", driver, d_prior, d_year
    )


def explain_cac_payback(cur: Values, prior: Values, year_ago: Values, currency: str | None, period: str) -> Explanation:
    """CAC payback = CAC / (ASP x gross margin); names the factor that moved payback most."""
    kpi = "cac_payback_months"
    d_prior = kpi_change(kpi, cur.get(kpi), prior.get(kpi))
    d_year = kpi_change(kpi, cur.get(kpi), year_ago.get(kpi))
    pb = finite(cur.get(kpi))
    if pb is None:
        note = getattr(cur.get(kpi), "note", "") or "CAC, ASP or gross margin is missing"
        return Explanation(kpi, _blank_sentence("CAC payback", note, period, "not available"), "", d_prior, d_year)
    ppb = finite(prior.get(kpi))
    verb = (
        f"{_moved((pb - ppb) if ppb is not None else 0, 'lengthened', 'shortened', 'was')} to"
        if ppb is not None
        else "was"
    )
    head = f"CAC payback {verb} {F.months(pb, context='text')}" + (f" from {ppb:.1f}" if ppb is not None else "")
    gm = "gross_margin_ttm" if finite(cur.get("gross_margin_ttm")) is not None else "gross_margin"
    logs = _log_drivers(
        {
            "cac": (cur.get("cac"), prior.get("cac"), 1),
            "asp": (cur.get("asp"), prior.get("asp"), -1),
            gm: (cur.get(gm), prior.get(gm), -1),
        }
    )
    if logs is None:
        return Explanation(kpi, head + ".", "", d_prior, d_year)
    driver = max(logs, key=lambda k: abs(logs[k]))
    words = {"cac": "CAC", "asp": "ASP", gm: "gross margin"}

    def part(k: str) -> str:
        return f"{words[k]} {_change(k, kpi_change(k, cur.get(k), prior.get(k)))}"

    others = [part(k) for k in logs if k != driver]
    lead = (
        f"{words[driver]} {_moved(finite(cur.get(driver)) - finite(prior.get(driver)))} "  # type: ignore[operator]
        f"{_change(driver, kpi_change(driver, cur.get(driver), prior.get(driver))).lstrip('+-')} to "
        f"{_value(driver, cur.get(driver), currency)}"
    )
    driver_id = "gross_margin" if driver == gm else driver
    return Explanation(
        kpi, f"{head}; {lead}, the largest driver, while {' and '.join(others)} moved less.", driver_id, d_prior, d_year
    )


def explain_generic(
    kpi_id: str, cur: Values, prior: Values, year_ago: Values, currency: str | None, period: str
) -> Explanation:
    """Any other north star: its value, and the child KPI with the largest relative change."""
    kpi = reg.get(kpi_id)
    d_prior = kpi_change(kpi_id, cur.get(kpi_id), prior.get(kpi_id))
    d_year = kpi_change(kpi_id, cur.get(kpi_id), year_ago.get(kpi_id))
    if finite(cur.get(kpi_id)) is None:
        note = getattr(cur.get(kpi_id), "note", "") or "not available"
        return Explanation(kpi_id, _blank_sentence(kpi.label, note, period, "not available"), "", d_prior, d_year)
    head = f"{kpi.label} was {_value(kpi_id, cur.get(kpi_id), currency)}{_vs(kpi_id, cur, prior, year_ago, period)}"
    moves = {}
    for child in reg.children(kpi_id):
        v, p = finite(cur.get(child)), finite(prior.get(child))
        if v is not None and p not in (None, 0):
            moves[child] = (v - p) / abs(p)  # type: ignore[operator]
    if not moves:
        return Explanation(kpi_id, head + ".", "", d_prior, d_year)
    driver = max(moves, key=lambda k: abs(moves[k]))
    return Explanation(
        kpi_id,
        f"{head}; of its drivers, {reg.get(driver).label} moved most "
        f"({_pct(moves[driver], sign=True)} to "
        f"{_value(driver, cur.get(driver), currency)}).",
        driver,
        d_prior,
        d_year,
    )


_INFLOWS = tuple(k for k in reg.ARR_MOVEMENTS if k not in reg.ARR_OUTFLOWS)
_OUTFLOWS = tuple(k for k in reg.ARR_MOVEMENTS if k in reg.ARR_OUTFLOWS)


def explain_quick_ratio(cur: Values, prior: Values, year_ago: Values, currency: str | None, period: str) -> Explanation:
    """Quick ratio = ARR added / ARR lost: names the side with the larger log change, then
    the movement on that side whose amount changed most (so a small line that doubled does
    not outrank a large one that moved the ratio)."""
    head, d_prior, d_year = _multiple_head(
        "quick_ratio", "Quick ratio", cur, prior, year_ago, period, "no ARR lost in the period"
    )
    if isinstance(head, Explanation):
        return head
    totals = {
        side: tuple(sum(finite(v.get(k)) or 0.0 for k in ids) for v in (cur, prior))
        for side, ids in (("added", _INFLOWS), ("lost", _OUTFLOWS))
    }
    logs = _log_drivers({"added": (*totals["added"], 1), "lost": (*totals["lost"], -1)})
    if logs is None:
        return Explanation("quick_ratio", head + ".", "", d_prior, d_year)
    side = max(logs, key=lambda k: abs(logs[k]))
    ids = _INFLOWS if side == "added" else _OUTFLOWS
    driver = max(ids, key=lambda k: abs((finite(cur.get(k)) or 0.0) - (finite(prior.get(k)) or 0.0)))
    now, before = finite(cur.get(driver)) or 0.0, finite(prior.get(driver)) or 0.0
    other = "lost" if side == "added" else "added"
    rel = (totals[other][0] - totals[other][1]) / totals[other][1] if totals[other][1] else 0.0
    return Explanation(
        "quick_ratio",
        f"{head}: {_lower(reg.get(driver).label)} {_moved(now - before)} to "
        f"{_money(now, currency)} from {_money(before, currency)}, "
        f"the main driver, while ARR {other} {_moved(rel)} "
        f"{_pct(abs(rel))} to {_money(totals[other][0], currency)}.",
        driver,
        d_prior,
        d_year,
    )


_EXPLAINERS = {
    "arr": explain_arr,
    "nrr": explain_nrr,
    "burn_multiple": explain_burn_multiple,
    "cac_payback_months": explain_cac_payback,
    "quick_ratio": explain_quick_ratio,
}


def explain(
    kpi_id: str, cur: Values, prior: Values, year_ago: Values, currency: str | None = None, months: int = 3
) -> Explanation:
    """The explanation of one north star over a window of ``months`` months."""
    period = PERIOD_WORDS.get(months, f"{months} months")
    fn = _EXPLAINERS.get(kpi_id)
    if fn is None:
        return explain_generic(kpi_id, cur, prior, year_ago, currency, period)
    return fn(cur, prior, year_ago, currency, period)


# --- alerts and section sentences ----------------------------------------------------------
def journey_alert_sentences(cur: Values, prior: Values, threshold: float = 0.10, months: int = 3) -> list[str]:
    """Adjacent journey stages moving in opposite directions by more than ``threshold``
    (relative change) against the prior period, e.g. signups up while signup-to-PQL falls
    (:func:`reportlib.metrics.journey.journey_alerts`), as sentences."""
    period = PERIOD_WORDS.get(months, "period")
    return [
        f"{a['message'][:1].upper()}{a['message'][1:]} vs the prior {period}."
        for a in journey_alerts(cur, prior, threshold)
    ]


def _judged(kpi_id: str, cur: Values, stage: str | None, gtm: str | None, currency: str | None) -> str:
    s = reg.status(kpi_id, cur.get(kpi_id), stage, gtm)
    return f"{reg.get(kpi_id).label} {_value(kpi_id, cur.get(kpi_id), currency)}" + (f" ({s})" if s else "")


def section_sentences(
    cur: Values,
    prior: Values,
    currency: str | None,
    stage: str | None,
    gtm: str | None,
    months: int = 3,
    revenue_word: str = "MRR",
) -> dict[str, list[str]]:
    """Short sentences per pack section (revenue_quality, unit_economics, cohort_economics,
    kpi_hierarchy) from the KPI values; a sentence is left out when its KPIs are blank."""
    period = PERIOD_WORDS.get(months, "period")
    has = lambda *ks: all(finite(cur.get(k)) is not None for k in ks)  # noqa: E731
    out: dict[str, list[str]] = {
        "revenue_quality": [],
        "unit_economics": [],
        "cohort_economics": [],
        "kpi_hierarchy": [],
    }
    rq = out["revenue_quality"]
    if has("revenue_share_contracted_recurring", "revenue_share_uncontracted_recurring"):
        recurring = finite(cur["revenue_share_contracted_recurring"]) + finite(
            cur["revenue_share_uncontracted_recurring"]
        )  # type: ignore[operator]
        rq.append(
            f"Recurring revenue was {_pct(recurring)} of revenue in the {period} "
            f"({_pct(finite(cur['revenue_share_contracted_recurring']))} contracted)."
        )
    if has("bookings", "billings", "revenue"):
        rq.append(
            f"Bookings {_money(cur['bookings'], currency)}, billings "
            f"{_money(cur['billings'], currency)} and revenue {_money(cur['revenue'], currency)} "
            f"in the {period}."
        )
    if has("carr", "arr"):
        gap = finite(cur["carr"]) - finite(cur["arr"])  # type: ignore[operator]
        rq.append(
            f"CARR {_money(cur['carr'], currency)} is {_money(abs(gap), currency)} "
            f"{'above' if gap >= 0 else 'below'} ARR: contracts signed but not yet live."
        )
    if has("quick_ratio"):
        rq.append(f"{_judged('quick_ratio', cur, stage, gtm, currency)}: {revenue_word} added per unit lost.")
    ue = [k for k in ("ltv_cac", "cac_payback_months", "magic_number", "burn_multiple", "rule_of_40") if has(k)]
    if ue:
        out["unit_economics"].append("; ".join(_judged(k, cur, stage, gtm, currency) for k in ue) + ".")
    if has("gross_margin", "cac"):
        out["unit_economics"].append(
            f"Gross margin {_pct(finite(cur['gross_margin']))} and CAC "
            f"{_money(cur['cac'], currency)} per new customer in the {period}."
        )
    if has("nrr", "grr"):
        out["cohort_economics"].append(
            f"Of customers active a year ago, {_pct(finite(cur['grr']))} of their "
            f"{revenue_word} was kept (GRR) and {_pct(finite(cur['nrr']))} with "
            f"expansion (NRR)."
        )
    if has("logo_churn_rate"):
        out["cohort_economics"].append(f"Logo churn was {_pct(finite(cur['logo_churn_rate']))} in the {period}.")
    journey = [k for k in ("visitors", "signups", "pqls", "new_customers", "pipeline_created", "win_rate") if has(k)]
    if journey:
        out["kpi_hierarchy"].append(
            "; ".join(
                f"{reg.get(k).label} {_value(k, cur[k], currency)}"
                + (
                    f" ({_change(k, kpi_change(k, cur[k], prior.get(k)))})"
                    if kpi_change(k, cur[k], prior.get(k)) is not None
                    else ""
                )
                for k in journey
            )
            + "."
        )
    return out


def summary(
    north_star: Sequence[str], cur: Values, prior: Values, year_ago: Values, currency: str | None, months: int = 3
) -> list[Explanation]:
    """One :class:`Explanation` per north star, in the company's order."""
    return [explain(k, cur, prior, year_ago, currency, months) for k in north_star]
