"""Restatements: an earlier pack's figures recomputed now, each difference with its cause."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import pytest

import reportlib.pack as pack
from conftest import FIXTURES, chromium_available
from reportlib import __version__
from reportlib._store import Mode
from reportlib.cli import main
from reportlib.inputs import load_company
from reportlib.kpis import builder, compute_kpis, write_kpis
from reportlib.kpis import restatements as restated
from reportlib.kpis._cache import result_key
from reportlib.kpis.restatements import (
    FINGERPRINT,
    RESTATEMENT_COLUMNS,
    brief_cause,
    cause_headline,
    find_earlier_pack,
    fingerprint,
    restatements,
    write_record,
)

V1 = [str(p) for p in pd.period_range("2025-07", "2026-06", freq="M")]
V2 = [str(p) for p in pd.period_range("2025-07", "2026-09", freq="M")]
SM = {"2026-03": 300.0, "2026-04": 400.0, "2026-05": 500.0, "2026-06": 600.0}


def company(folder: Path, months: list[str], backdated_churn: bool = False, policies: str = "") -> Path:
    """A 100 and B 200 every month, C new 2026-02 at 50. P&L: revenue 1,000, cogs 100, S&M 100
    a month except :data:`SM`. ``backdated_churn``: B's 2026-06 row is gone (B churned a
    month earlier than the first export said) and B stays gone."""
    rows = [("A", m, 100.0) for m in months] + [("C", m, 50.0) for m in months if m >= "2026-02"]
    rows += [("B", m, 200.0) for m in months if not backdated_churn or m < "2026-06"]
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows, columns=["customer_id", "month", "mrr"]).to_csv(folder / "mrr.csv", index=False)
    pd.DataFrame(
        {"month": months, "revenue": 1000.0, "cogs": 100.0, "sales_marketing": [SM.get(m, 100.0) for m in months]}
    ).to_csv(folder / "pnl.csv", index=False)
    (folder / "company.toml").write_text(
        f'[company]\nname = "Restate"\ncurrency = "EUR"\n[policies]\n{policies}\n'
        '[inputs.mrr]\npath = "mrr.csv"\n[inputs.financials]\npath = "pnl.csv"\n',
        encoding="utf-8",
    )
    return folder


def issue(folder: Path, out: Path, as_of: str) -> Path:
    """What a pack leaves for the next one: kpis.csv, tables, manifest, the input record."""
    target = out / "restate" / as_of
    company_ = load_company(folder)
    write_kpis(compute_kpis(company_, as_of=as_of), target)
    manifest = {
        "parameters": {"as_of": as_of, "window": "quarter", "segment": ""},
        "versions": {"reportlib": __version__},
        **write_record(company_, target),
    }
    (target / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return target


def test_backdated_churn_and_a_policy_change_are_named(tmp_path):
    folder = company(tmp_path / "restate", V1)
    earlier = issue(folder, tmp_path / "reports", "2026-06")
    company(folder, V2, backdated_churn=True, policies="cac_lag_months = 1")
    table, summary = restatements(earlier, load_company(folder))
    assert list(table.columns) == RESTATEMENT_COLUMNS
    got = table.set_index(["period", "kpi"])
    churn = "input changed: mrr customer B 2026-06: 200.00 -> none (-200.00)"
    # ARR at 2026-06: 12 x (100 + 200 + 50) = 4,200 before; 12 x (100 + 50) = 1,800 now.
    assert got.loc[("Q2 2026", "arr")].tolist() == [4200.0, 1800.0, -2400.0, churn]
    # The 2026-06 bridge: B's 200 now churns, closing MRR 350 -> 150.
    assert got.loc[("2026-06", "mrr_bridge.churn")].tolist() == [0.0, 200.0, 200.0, churn]
    assert got.loc[("2026-06", "mrr_bridge.closing_mrr")].tolist() == [350.0, 150.0, -200.0, churn]
    # S&M for Q2 with cac_lag 0: Apr-Jun 400 + 500 + 600 = 1,500; with lag 1: Mar-May 300 + 400
    # + 500 = 1,200. For Q1: Jan-Mar 100 + 100 + 300 = 500 -> Oct-Dec 300.
    policy = "policy changed: cac_lag_months 0 -> 1"
    assert got.loc[("Q2 2026", "sm_spend")].tolist() == [1500.0, 1200.0, -300.0, policy]
    assert got.loc[("Q1 2026", "sm_spend")].tolist() == [500.0, 300.0, -200.0, policy]
    # Nothing before 2026-06 changed in the revenue bridge.
    assert not any(p < "2026-06" for p in table["period"] if p[:2] == "20")
    assert len(summary) == 2
    assert summary[0].startswith("The mrr input changed for customer B in 2026-06 (200.00 -> none, -200.00): ")
    # the largest figure each cause restated, in its unit and the company's currency
    assert summary[0].endswith("among them ARR for Q2 2026 (€4.2k -> €1.8k).")
    assert summary[1].startswith("Policy cac_lag_months changed from 0 to 1: ")
    assert summary[1].endswith("among them S&M spend for Q2 2026 (€1.5k -> €1.2k).")


def test_the_earlier_periods_figures_are_those_of_a_whole_result(tmp_path):
    """period_figures (what a restatement compares) gives kpis.csv's rows and the bridges
    exactly as compute_kpis does, for the company and a segment, without the rest."""
    folder = company(tmp_path / "restate", V2)
    whole = load_company(folder)
    kpis, tables = builder.period_figures(whole, "2026-06", 3)
    full = compute_kpis(whole, as_of="2026-06", window="quarter")
    pd.testing.assert_frame_equal(kpis, full.kpis)
    assert set(tables) == {"mrr_bridge", "revenue_bridge"}
    pd.testing.assert_frame_equal(tables["mrr_bridge"], full.tables["mrr_bridge"])
    pd.testing.assert_frame_equal(tables["revenue_bridge"], full.tables["revenue_bridge"])
    # the 2026-06 closing MRR: A 100 + B 200 + C 50
    assert tables["mrr_bridge"].set_index("month").loc[pd.Period("2026-06"), "closing_mrr"] == 350.0


def test_the_earlier_periods_figures_come_from_the_store(tmp_path, monkeypatch):
    """A whole result stored for the period (the earlier pack's own, same inputs) is read
    back, "quarter" and 3 months being one key; else the figures alone are computed once
    and stored."""
    folder = company(tmp_path / "restate", V2)
    whole = load_company(folder, cache=Mode.USE)
    assert result_key(whole, None, None, "2026-06", "quarter") == result_key(whole, None, None, "2026-06", 3)
    computed = builder.period_figures(whole, "2026-06", 3, cache=Mode.USE)  # nothing stored: computed
    monkeypatch.setattr(builder, "_figures", lambda *a: pytest.fail("computed again"))
    again = builder.period_figures(whole, "2026-06", 3, cache=Mode.USE)
    pd.testing.assert_frame_equal(again[0], computed[0])
    full = compute_kpis(whole, as_of="2026-09", window="quarter", cache=Mode.USE)  # a pack's, stored
    stored = builder.period_figures(whole, "2026-09", 3, cache=Mode.USE)
    pd.testing.assert_frame_equal(stored[0], full.kpis)


@pytest.mark.parametrize("cache", [Mode.OFF, Mode.REFRESH])
def test_the_pack_step_makes_todays_record_once(tmp_path, monkeypatch, cache):
    """The pack's restatement step compares today's record with the earlier pack's and then
    keeps it for the next pack: one fingerprint of the rows, not two, whatever the store."""
    folder = company(tmp_path / "restate", V1)
    reports = tmp_path / "reports"
    issue(folder, reports, "2026-06")
    company(folder, V2, backdated_churn=True)
    whole = load_company(folder, cache=cache)
    made = []
    monkeypatch.setattr(restated, "fingerprint", lambda c: made.append(c) or fingerprint(c))
    result = compute_kpis(whole, as_of="2026-09")
    staging = tmp_path / "staging"
    entries, keep = restated.pack_hook(result, whole, reports / "restate" / "2026-09", staging, cache)
    assert entries["policies"] == asdict(whole.config.policies)
    assert entries["compared_with"]["folder"] == "2026-06"
    keep()
    assert len(made) == 1
    assert "2026-06" in set(result.tables["restatements"]["period"])  # B's backdated churn
    kept = pd.read_csv(staging / FINGERPRINT, dtype={"entity": str, "month": str, "digest": str})
    assert kept.set_index(["input", "entity", "month"]).loc[("mrr", "C", "2026-09"), "amount"] == 50.0


def test_a_first_pack_leaves_its_record_to_be_written_while_its_notebooks_run(tmp_path, monkeypatch):
    """Without an earlier pack nothing needs today's record before the pages: the step
    makes none, and its call makes and writes it (the pack runs it beside the notebooks)."""
    folder = company(tmp_path / "restate", V1)
    whole = load_company(folder)
    made = []
    monkeypatch.setattr(restated, "fingerprint", lambda c: made.append(c) or fingerprint(c))
    result = compute_kpis(whole, as_of="2026-06")
    staging = tmp_path / "staging"
    _, keep = restated.pack_hook(result, whole, tmp_path / "reports" / "restate" / "2026-06", staging)
    assert made == [] and "restatements" not in result.tables and not (staging / FINGERPRINT).exists()
    keep()
    assert len(made) == 1 and (staging / FINGERPRINT).is_file()


def test_an_earlier_pack_with_nothing_restated_leaves_the_record_to_the_notebooks_time(tmp_path, monkeypatch):
    """With an earlier pack whose figures all hold (the same inputs a month on), no cause is
    looked for: the step makes no record (a tenth of a second on a demo company), says that
    nothing was restated, and its call makes and writes the record, byte for byte the one a
    comparison would have kept."""
    folder = company(tmp_path / "restate", V2)
    reports = tmp_path / "reports"
    issue(folder, reports, "2026-06")
    whole = load_company(folder)
    made = []
    monkeypatch.setattr(restated, "fingerprint", lambda c: made.append(c) or fingerprint(c))
    result = compute_kpis(whole, as_of="2026-09")
    staging = tmp_path / "staging"
    _, keep = restated.pack_hook(result, whole, reports / "restate" / "2026-09", staging)
    assert made == [] and result.tables["restatements"].empty
    assert result.narrative["restatements"] == ["Nothing the 2026-06 pack reported has been restated."]
    keep()
    assert len(made) == 1
    assert (staging / FINGERPRINT).read_bytes() == (reports / "restate" / "2026-06" / FINGERPRINT).read_bytes()


def test_record_and_earlier_pack(tmp_path):
    folder = company(tmp_path / "restate", V1)
    record = fingerprint(load_company(folder))
    mrr = record[record["input"] == "mrr"].set_index(["entity", "month"])
    assert mrr.loc[("B", "2026-06"), ["rows", "amount"]].tolist() == [1, 200.0]
    pnl = record[record["input"] == "financials"].set_index(["entity", "month"])
    assert pnl.loc[("sales_marketing", "2026-04"), "amount"] == 400.0
    out = tmp_path / "reports" / "restate"
    for name in ("2026-03", "2026-06", "2026-06_segment-SMB", "2026-09"):
        (out / name).mkdir(parents=True)
        (out / name / "manifest.json").write_text("{}")
    assert find_earlier_pack(out / "2026-09") == out / "2026-06"
    assert find_earlier_pack(out / "2026-09_segment-SMB") == out / "2026-06_segment-SMB"
    assert find_earlier_pack(out / "2026-03") is None


@pytest.mark.chromium
@pytest.mark.skipif(not chromium_available(), reason="no Chromium installed")
def test_restatement_through_the_cli(tmp_path, monkeypatch):
    """reportlib pack, a backdated churn in the export, the next quarter's pack: the bridge names it."""
    notebooks = FIXTURES / "notebooks"
    monkeypatch.setattr(
        pack, "section_notebooks", lambda folder=None: [notebooks / "00_cover.ipynb", notebooks / "01_ok.ipynb"]
    )
    folder, out = company(tmp_path / "restate", V1), tmp_path / "reports"
    assert main(["pack", str(folder), "--out", str(out)]) == 0
    assert (out / "restate" / "2026-06" / FINGERPRINT).is_file()
    assert json.loads((out / "restate" / "2026-06" / "manifest.json").read_text())["policies"]["cac_lag_months"] == 0
    company(folder, V2, backdated_churn=True)
    assert main(["pack", str(folder), "--out", str(out)]) == 0
    table = pd.read_csv(out / "restate" / "2026-09" / "restatements.csv")
    arr = table[(table["period"] == "Q2 2026") & (table["kpi"] == "arr")].iloc[0]
    assert (arr["reported_before"], arr["now"], arr["change"]) == (4200.0, 1800.0, -2400.0)
    assert arr["cause"] == "input changed: mrr customer B 2026-06: 200.00 -> none (-200.00)"


def _with_override(folder: Path, period: str, value: float) -> None:
    toml = folder / "company.toml"
    toml.write_text(
        toml.read_text()
        + f'\n[[overrides]]\nkpi = "arr"\nperiod = "{period}"\nvalue = {value}\nreason = "CFO restated the quarter"\n'
    )


def test_the_prior_value_is_the_override_the_board_was_told(tmp_path):
    # Q2 2026 as computed: ARR 12 x (100 + 200 + 50) = 4,200; the analyst reported 5,000
    folder = company(tmp_path / "restate", V2)
    _with_override(folder, "2026Q2", 5000)
    later = compute_kpis(folder, as_of="2026-09").kpis.set_index("kpi")
    assert later.at["arr", "prior_value"] == 5000.0  # not 4,200: the figure the Q2 pack gave
    assert later.at["arr", "change"] == pytest.approx(4200 / 5000 - 1)  # Q3 4,200 against it


def test_a_removed_override_is_named_as_the_cause(tmp_path):
    folder = company(tmp_path / "restate", V1)
    _with_override(folder, "2026Q2", 5000)
    earlier = issue(folder, tmp_path / "reports", "2026-06")
    company(folder, V2)  # the same data, one quarter longer, and the override gone
    table, summary = restatements(earlier, load_company(folder))
    row = table.set_index(["period", "kpi"]).loc[("Q2 2026", "arr")]
    assert (row["reported_before"], row["now"]) == (5000.0, 4200.0)
    # neither "input changed" (nothing did) nor "no row record" (the earlier pack kept one)
    assert (
        row["cause"] == "override removed: the 2026-06 pack reported the analyst's 5,000.00 (CFO restated the quarter)"
    )
    assert summary[0].startswith("The analyst's 2026-06 override of ARR changed: 1 figure restated")


def test_restated_figures_show_the_digits_that_changed_and_the_largest_first():
    from reportlib.deck._appendix import _largest_first, _restated

    # 1,488,370 -> 1,491,430 would read '€1.5M -> €1.5M'; 53.01% -> 53.32% '53% -> 53%'
    assert _restated(1_488_370, 1_491_430, 3_060, "currency", "EUR") == ("€1.488M", "€1.491M", "+€3.06k")
    assert _restated(0.5301, 0.5332, 0.0031, "ratio", None) == ("53.0%", "53.3%", "+0.3 pts")
    assert _restated(1_500_000, 1_600_000, 100_000, "currency", "EUR") == ("€1.5M", "€1.6M", "+€100k")
    t = pd.DataFrame(
        {
            "kpi": ["mrr", "bookings", "customers"],
            "reported_before": [1_488_370.0, 4_877_720.0, 0.0],
            "change": [3_060.0, 61_200.0, 1.0],
        }
    )
    # a figure that appeared first, then +1.25% before +0.21%
    assert _largest_first(t)["kpi"].tolist() == ["customers", "bookings", "mrr"]


#: The contracts columns of DESIGN.md (tcv, not mrr).
CONTRACT_COLUMNS = "contract_id customer_id start_date end_date signed_date tcv revenue_type billing".split()
#: A's 12,000 a year and B's 24,000 a year, both 2026 and signed 2025-12-15; A's one-off setup fee
#: of 1,000 on 2026-05-01 (no end date: recognised in May alone).
CONTRACTS = [
    ["a1", "A", "2026-01-01", "2026-12-31", "2025-12-15", 12000.0, "contracted_recurring", "annual"],
    ["b1", "B", "2026-01-01", "2026-12-31", "2025-12-15", 24000.0, "contracted_recurring", "annual"],
    ["a2", "A", "2026-05-01", "", "2026-05-01", 1000.0, "one_off", "upfront"],
]


def contracts_company(folder: Path, rows: list[list[object]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows, columns=CONTRACT_COLUMNS).to_csv(folder / "contracts.csv", index=False)
    (folder / "company.toml").write_text(
        '[company]\nname = "Restate"\ncurrency = "EUR"\n[inputs.contracts]\npath = "contracts.csv"\n', encoding="utf-8"
    )
    return folder


def restated_contracts(tmp_path: Path) -> pd.DataFrame:
    """The 2026-06 pack, then: B's contract restated 24,000 -> 36,000 a year, A's one-off fee
    1,000 -> 1,500, and D's 6,000 a year signed 2026-05-20 that starts 2026-08-01."""
    folder = contracts_company(tmp_path / "restate", CONTRACTS)
    earlier = issue(folder, tmp_path / "reports", "2026-06")
    now = [list(r) for r in CONTRACTS]
    now[1][5], now[2][5] = 36000.0, 1500.0
    now.append(["d1", "D", "2026-08-01", "2027-07-31", "2026-05-20", 6000.0, "contracted_recurring", "annual"])
    contracts_company(folder, now)
    return restatements(earlier, load_company(folder))[0].set_index(["period", "kpi"])


B = "input changed: contracts customer B contracted_recurring 2026-01 (signed 2025-12): 24,000.00 -> 36,000.00 (+12,000.00)"
FEE = "input changed: contracts customer A one_off 2026-05: 1,000.00 -> 1,500.00 (+500.00)"
D = "input changed: contracts customer D contracted_recurring 2026-08 (signed 2026-05): none -> 6,000.00 (+6,000.00)"


def test_each_figure_names_the_input_changes_it_reads(tmp_path):
    got = restated_contracts(tmp_path)
    # ARR at 2026-06: 12,000 + 24,000 = 36,000 -> 12,000 + 36,000 = 48,000. B moved it; A's fee is
    # one-off revenue, which ARR ignores, and D starts after June: neither is named.
    assert got.loc[("Q2 2026", "arr")].tolist() == [36000.0, 48000.0, 12000.0, B]
    # Recognised revenue of June: 1,000 + 2,000 -> 1,000 + 3,000; the fee is May's alone.
    assert got.loc[("2026-06", "revenue_bridge.revenue")].tolist() == [3000.0, 4000.0, 1000.0, B]
    # May: the fee (1,000 -> 1,500) and B (2,000 -> 3,000): 4,000 -> 5,500; largest change first
    assert got.loc[("2026-05", "revenue_bridge.revenue")].tolist() == [4000.0, 5500.0, 1500.0, f"{B}; {FEE}"]
    # Bookings of 2025-12: A 12,000 + B 24,000 -> 12,000 + 36,000; B is signed then, though it
    # starts in 2026-01.
    assert got.loc[("2025-12", "revenue_bridge.bookings")].tolist() == [36000.0, 48000.0, 12000.0, B]


def test_a_contract_signed_in_the_period_that_starts_after_it_is_named(tmp_path):
    got = restated_contracts(tmp_path)
    # Bookings Q2: the fee 1,000 -> the fee 1,500 + D's 6,000 = 7,500; B was signed in 2025-12.
    assert got.loc[("Q2 2026", "bookings")].tolist() == [1000.0, 7500.0, 6500.0, f"{D}; {FEE}"]
    # CARR at 2026-06: ARR 36,000 -> 48,000 plus D's 6,000 signed and not started = 54,000;
    # A's one-off fee is not recurring.
    assert got.loc[("Q2 2026", "carr")].tolist() == [36000.0, 54000.0, 18000.0, f"{B}; {D}"]
    # Deferred revenue at 2026-06 reads the contracts started by then: B, the fee, not D.
    assert "customer D" not in got.loc[("Q2 2026", "deferred_revenue"), "cause"]


def test_a_figure_whose_reads_are_not_declared_says_so(tmp_path):
    # The one-off share of Q2 revenue: 1,000 / 10,000 -> 1,500 / 13,500; its reads are not
    # declared, so every contracts change up to 2026-06 is listed, and the cause says so.
    row = restated_contracts(tmp_path).loc[("Q2 2026", "revenue_share_one_off")]
    assert row["cause"] == f"{B}; {D}; {FEE}; reads not declared: every change of its inputs to 2026-06 listed"


def test_an_earlier_record_kept_before_parts_is_compared_at_its_grain(tmp_path):
    """A pack made before the record had parts kept one row per input x entity x month: today's
    record summed to that grain compares with it, and B's backdated churn is still named."""
    folder = company(tmp_path / "restate", V1)
    earlier = issue(folder, tmp_path / "reports", "2026-06")
    record = pd.read_csv(earlier / FINGERPRINT, dtype={"digest": str})
    record[["input", "entity", "month", "rows", "amount", "digest"]].to_csv(earlier / FINGERPRINT, index=False)
    company(folder, V2, backdated_churn=True)
    got = restatements(earlier, load_company(folder))[0].set_index(["period", "kpi"])
    # ARR at 2026-06: 12 x (100 + 200 + 50) = 4,200 -> 12 x (100 + 50) = 1,800
    assert got.loc[("Q2 2026", "arr")].tolist() == [
        4200.0,
        1800.0,
        -2400.0,
        "input changed: mrr customer B 2026-06: 200.00 -> none (-200.00)",
    ]


def test_the_manifest_names_the_pack_compared_with(tmp_path):
    folder = company(tmp_path / "restate", V1)
    reports = tmp_path / "reports"
    earlier = issue(folder, reports, "2026-06")
    manifest = json.loads((earlier / "manifest.json").read_text())
    (earlier / "manifest.json").write_text(json.dumps({**manifest, "created": "2026-07-02T09:00:00+0000"}))
    company(folder, V2, backdated_churn=True)
    whole = load_company(folder)
    entries, _ = restated.pack_hook(
        compute_kpis(whole, as_of="2026-09"), whole, reports / "restate" / "2026-09", tmp_path
    )
    assert entries["compared_with"] == {
        "folder": "2026-06",
        "as_of": "2026-06",
        "created": "2026-07-02T09:00:00+0000",
        "kpis_sha256": hashlib.sha256((earlier / "kpis.csv").read_bytes()).hexdigest(),
    }


def test_a_cause_on_the_page_is_brief_and_the_title_names_causes_in_plain_words():
    b = "input changed: contracts customer B contracted_recurring 2026-01 (signed 2025-12): 24,000.00 -> 36,000.00 (+12,000.00)"
    a = "input changed: contracts customer A one_off 2026-05: 1,000.00 -> 1,500.00 (+500.00)"
    d = "input changed: contracts customer D contracted_recurring 2026-08 (signed 2026-05): none -> 6,000.00 (+6,000.00)"
    undeclared = "reads not declared: every change of its inputs to 2026-06 listed"
    # the label and the signed change go (the row's own before and now are beside it); the
    # revenue type in words; at most two rows, the rest counted with the CSV's own "more"
    assert brief_cause(f"{b}; {a}") == (
        "contracts customer B recurring 2026-01 (signed 2025-12): 24,000.00 -> 36,000.00; "
        "contracts customer A one-off 2026-05: 1,000.00 -> 1,500.00"
    )
    assert brief_cause(f"{b}; {a}; {d}; and 4 more changed rows; {undeclared}").endswith(
        "1,000.00 -> 1,500.00; +5 more"
    )
    assert brief_cause("policy changed: cac_lag_months 0 -> 1") == "policy changed: cac_lag_months 0 -> 1"
    # B restates 3 figures, the policy 2, an override 1: most figures first
    causes = [b, b, f"{b}; policy changed: cac_lag_months 0 -> 1", "policy changed: cac_lag_months 0 -> 1"]
    causes.append("override removed: the 2026-06 pack reported the analyst's 5,000.00 (CFO restated)")
    assert cause_headline(causes) == [
        "the contracts input changed",
        "policy cac_lag_months changed",
        "an analyst's override changed",
    ]
    assert cause_headline(["no input, policy, FX or version change found for it", undeclared]) == ["no cause found"]


def test_the_earlier_periods_as_of_warning_stays_out_of_this_packs_warnings(tmp_path):
    # The latest signature is 2026-05 (D's, in the restated contracts); the earlier pack is as
    # of 2026-06 and this one 2026-09: both months come after it. This pack warns of its own
    # month only, not of the 2026-06 its restatements recompute.
    restated_contracts(tmp_path)
    whole = load_company(tmp_path / "restate")
    entries, _ = restated.pack_hook(
        compute_kpis(whole, as_of="2026-09"), whole, tmp_path / "reports" / "restate" / "2026-09", tmp_path
    )
    assert entries["compared_with"]["as_of"] == "2026-06"
    said = [w.message for w in whole.warnings if "after the latest contract signature" in w.message]
    assert len(said) == 1 and said[0].startswith("--as-of 2026-09 ")
