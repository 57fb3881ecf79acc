"""Narrative: which diagnostic KPI explains each north star's change, and alerts."""

from __future__ import annotations

import pytest

from reportlib import format as F
from reportlib.kpis import narrative as nar
from reportlib.metrics import Blank


def bridge(new, reactivation, expansion, contraction, churn, arr):
    nna = new + reactivation + expansion - contraction - churn
    return {
        "arr": arr,
        "net_new_arr": nna,
        "new_arr": new,
        "reactivation_arr": reactivation,
        "expansion_arr": expansion,
        "contraction_arr": contraction,
        "churned_arr": churn,
    }


def test_arr_sentence_names_the_component_that_moved_most():
    prior = bridge(200e3, 0, 150e3, 20e3, 80e3, 3.96e6)
    cur = bridge(210e3, 0, 160e3, 20e3, 180e3, 4.13e6)  # churn +100k: the driver
    ex = nar.explain("arr", cur, prior, {"arr": 3.0e6}, "EUR", 3)
    assert ex.driver == "churned_arr"
    assert ex.sentence.startswith("ARR grew ")
    assert "in the quarter to €4.1M" in ex.sentence
    assert "churn rose to €180k from €80k" in ex.sentence
    assert ex.change_prior == pytest.approx(4.13 / 3.96 - 1)
    assert ex.change_year_ago == pytest.approx(4.13 / 3.0 - 1)


def test_arr_sentence_expansion_share_of_net_new():
    prior = bridge(100e3, 0, 100e3, 0, 50e3, 4.0e6)
    cur = bridge(100e3, 0, 240e3, 0, 40e3, 4.2e6)  # expansion +140k drives it
    ex = nar.explain("arr", cur, prior, {}, "EUR", 3)
    assert ex.driver == "expansion_arr"
    # a share of the ARR added (new 100k + expansion 240k = 340k): 240 / 340 = 71%, not of
    # net new ARR (which churn shrinks: 240 / 300 = 80% would leave new business 33%)
    assert "expansion was 71% of the €340k ARR added" in ex.sentence


def test_arr_falling():
    prior = bridge(100e3, 0, 50e3, 0, 50e3, 1.0e6)
    cur = bridge(20e3, 0, 10e3, 10e3, 120e3, 0.9e6)
    ex = nar.explain("arr", cur, prior, {}, "USD", 1)
    assert ex.sentence.startswith("ARR fell ")
    assert "in the month to $900k" in ex.sentence
    assert ex.driver in ("new_arr", "churned_arr")
    assert ex.driver == "new_arr"  # new -80k vs churn -70k


def test_nrr_names_grr_or_expansion():
    prior = {"nrr": 1.06, "grr": 0.91}
    ex = nar.explain("nrr", {"nrr": 1.04, "grr": 0.86}, prior, {"nrr": 1.0}, "EUR")
    assert ex.driver == "grr" and "GRR fell to 86% from 91%" in ex.sentence
    assert "+4 pts vs a year ago" in ex.sentence
    ex = nar.explain("nrr", {"nrr": 1.00, "grr": 0.90}, prior, {}, "EUR")
    assert ex.driver == "mrr_expansion_rate"


def test_nrr_drivers_that_offset_each_other_explain_no_most():
    # prior NRR 104% = GRR 91% + 13 pts; now 104.2% = GRR 90% + 14.2 pts: expansion +1.2 pts,
    # GRR -1 pt, NRR +0.2 pts: neither "explains most" of a change smaller than each
    ex = nar.explain("nrr", {"nrr": 1.042, "grr": 0.90}, {"nrr": 1.04, "grr": 0.91}, {"nrr": 1.0}, "EUR")
    assert ex.driver == "mrr_expansion_rate"
    assert "against the prior quarter, net expansion of retained customers (NRR - GRR) rose to 14.2 pts" in ex.sentence
    assert ex.sentence.endswith("while GRR fell to 90% from 91%, largely offsetting each other.")
    assert "explaining most" not in ex.sentence


def test_burn_multiple_driver():
    prior = {"burn_multiple": 1.3, "burn": 390e3, "net_new_arr": 300e3}
    cur = {"burn_multiple": 400 / 240, "burn": 400e3, "net_new_arr": 240e3}
    ex = nar.explain("burn_multiple", cur, prior, {}, "EUR")
    assert ex.driver == "net_new_arr" and "net new ARR fell 20% to €240k" in ex.sentence
    cur = {"burn_multiple": 2.0, "burn": 600e3, "net_new_arr": 300e3}
    assert nar.explain("burn_multiple", cur, prior, {}, "EUR").driver == "burn"


def test_quick_ratio_names_the_movement_that_moved_it():
    # prior: added 1,230k (1,000 + 30 + 200), lost 330k (50 + 280): 3.7x
    # now:   added 1,430k (985 + 76 + 369), lost 530k (70 + 460): 2.7x
    # log(1430/1230) = +0.15 on the added side, -log(530/330) = -0.47 on the lost side:
    # the lost side drives; within it churn moved 180k, contraction 20k -> churned ARR.
    prior = {
        "quick_ratio": 1230 / 330,
        "new_arr": 1000e3,
        "reactivation_arr": 30e3,
        "expansion_arr": 200e3,
        "contraction_arr": 50e3,
        "churned_arr": 280e3,
    }
    cur = {
        "quick_ratio": 1430 / 530,
        "new_arr": 985e3,
        "reactivation_arr": 76e3,
        "expansion_arr": 369e3,
        "contraction_arr": 70e3,
        "churned_arr": 460e3,
    }
    ex = nar.explain("quick_ratio", cur, prior, {}, "USD")
    assert ex.driver == "churned_arr"
    assert "churned ARR rose to $460k from $280k, the main driver" in ex.sentence
    assert "ARR added rose 16% to $1.4M" in ex.sentence  # 1430 / 1230 - 1 = 16.3%


def test_burn_multiple_blank_keeps_the_note():
    ex = nar.explain("burn_multiple", {"burn_multiple": Blank("the company generated cash")}, {}, {}, "EUR")
    assert ex.driver == "" and "generated cash" in ex.sentence


def test_cac_payback_driver():
    prior = {"cac_payback_months": 14.4, "cac": 9600, "asp": 880, "gross_margin_ttm": 0.76}
    cur = {"cac_payback_months": 17.8, "cac": 12000, "asp": 900, "gross_margin_ttm": 0.75}
    ex = nar.explain("cac_payback_months", cur, prior, {}, "EUR")
    assert ex.driver == "cac"
    assert "lengthened to 17.8 months" in ex.sentence and "CAC rose 25% to €12k" in ex.sentence
    cur = {"cac_payback_months": 20.0, "cac": 9600, "asp": 600, "gross_margin_ttm": 0.76}
    assert nar.explain("cac_payback_months", cur, prior, {}, "EUR").driver == "asp"


def test_generic_north_star_uses_registry_children():
    ex = nar.explain(
        "ltv_cac", {"ltv_cac": 2.0, "ltv": 40e3, "cac": 20e3}, {"ltv_cac": 4.0, "ltv": 40e3, "cac": 10e3}, {}, "EUR"
    )
    assert ex.driver == "cac" and ex.sentence.startswith("LTV:CAC was 2.0x")


def test_journey_alert_on_opposite_moves():
    cur = {"signups": 125, "signup_to_pql": 0.16, "visitors": 1000, "visitor_to_signup": 0.125}
    prior = {"signups": 100, "signup_to_pql": 0.20, "visitors": 1000, "visitor_to_signup": 0.10}
    alerts = nar.journey_alert_sentences(cur, prior, threshold=0.10)
    assert len(alerts) == 1 and alerts[0].startswith("Signups rose 25% while signup-to-PQL fell 20%")
    assert alerts[0].endswith("vs the prior quarter.")
    assert nar.journey_alert_sentences(cur, prior, threshold=0.30) == []


@pytest.mark.parametrize(
    "value, currency, text",
    [
        (4.2e6, "EUR", "€4.2M"),
        (850e3, "USD", "$850k"),
        (-180e3, "EUR", "-€180k"),
        (999.4, "GBP", "£999"),
        (1.25e9, "EUR", "€1.2B"),
        (12e3, "SEK", "SEK 12k"),
        (Blank("x"), "EUR", "n/a"),
    ],
)
def test_fmt_currency(value, currency, text):
    assert F.money(value, currency, context="text") == text


def test_change_convention():
    assert nar.kpi_change("arr", 110.0, 100.0) == pytest.approx(0.10)  # currency: relative
    assert nar.kpi_change("customers", 90, 100) == pytest.approx(-0.10)  # count: relative
    assert nar.kpi_change("nrr", 1.02, 1.00) == pytest.approx(0.02)  # ratio: difference
    assert nar.kpi_change("net_new_arr", 50.0, -100.0) == pytest.approx(1.5)  # against |prior|
    assert nar.kpi_change("arr", 1.0, 0.0) is None
    assert nar.kpi_change("arr", Blank("x"), 1.0) is None


def test_section_sentences_skip_blanks():
    out = nar.section_sentences(
        {"ltv_cac": 3.4, "magic_number": Blank("no S&M"), "nrr": 1.05, "grr": 0.9}, {}, "EUR", "growth", "sales-led"
    )
    assert out["unit_economics"] == ["LTV:CAC 3.4x (green)."]
    assert "90%" in out["cohort_economics"][0]
