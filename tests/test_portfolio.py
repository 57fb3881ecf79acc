"""Portfolio runs: failures isolated, killed workers, idempotent re-runs, Dask, fx, summary.

Most tests inject a fast kpis-only ``pack_fn`` (no notebooks, no Chromium) so that the
runner itself is what is tested; one test runs the real ``build_pack`` end to end.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from pypdf import PdfReader

from conftest import chromium_available
from reportlib import registry as reg
from reportlib.exceptions import InputError, ParameterError, Problem
from reportlib.portfolio import (
    FxTable,
    find_companies,
    gather_kpis,
    load_fx,
    load_summary,
    run_portfolio,
    summarize,
)

CURRENCIES = ["EUR", "USD", "GBP"]


# --------------------------------------------------------------------------------------
# a test portfolio: reportlib.demo.generate_portfolio when it exists, else a small one here


def _has(module: str, name: str) -> bool:
    try:
        return hasattr(__import__(module, fromlist=[name]), name)
    except ImportError:
        return False


HAVE_GENERATOR = _has("reportlib.demo", "generate_portfolio")
HAVE_KPIS = _has("reportlib.kpis", "compute_kpis")
HAVE_PACK = _has("reportlib.pack", "build_pack")


def make_portfolio(root: Path, n: int = 6, broken: int = 2) -> list[Path]:
    """``n`` company folders under ``root``, the last ``broken`` of them with bad data."""
    if HAVE_GENERATOR and HAVE_KPIS:
        from reportlib.demo import generate_portfolio

        return generate_portfolio(root, n, seed=0, broken=broken)
    return [_local_company(root, i, broken=i >= n - broken) for i in range(n)]


def _local_company(root: Path, i: int, broken: bool) -> Path:
    folder = root / f"co{i:02d}"
    folder.mkdir(parents=True)
    (folder / "company.toml").write_text(
        f'[company]\nname = "Company {i}"\ncurrency = "{CURRENCIES[i % 3]}"\n'
        '[report]\nsegments = ["segment=SMB"]\n'
        '[inputs.mrr]\npath = "mrr.csv"\n'
        'columns = { customer_id = "Customer", month = "Month", mrr = "MRR" }\n'
    )
    months = pd.period_range("2025-01", "2026-09", freq="M").astype(str)
    rows = [(f"c{c}", m, 100.0 * (c + 1) + 10 * i + k) for c in range(4) for k, m in enumerate(months)]
    if broken:
        rows[3] = (rows[3][0], rows[3][1], -50.0)
    pd.DataFrame(rows, columns=["Customer", "Month", "MRR"]).to_csv(folder / "mrr.csv", index=False)
    return folder


# --------------------------------------------------------------------------------------
# fast kpis-only packs (module level: they are pickled into worker processes)


def fast_pack(
    company_dir,
    as_of=None,
    window="quarter",
    segment=None,
    compare=None,
    out="reports",
    jobs=None,
    force=False,
    executor=None,
):
    """A pack without notebooks or PDF: kpis.csv + manifest, skipped when unchanged."""
    company_dir = Path(company_dir)
    digest = hashlib.sha256(json.dumps([as_of, window, segment]).encode())
    for f in sorted(company_dir.iterdir()):
        digest.update(f.name.encode() + f.read_bytes())
    if HAVE_KPIS:
        from reportlib.kpis import compute_kpis, write_kpis

        result = compute_kpis(company_dir, as_of=as_of, window=window, segment=segment)
        month = str(result.window.as_of)
        kpis = None
    else:
        month, kpis = _fake_kpis(company_dir, as_of)
    seg = f"_{segment[0]}-{segment[1]}" if segment else ""
    folder = Path(out) / company_dir.name / f"{month}{seg}"
    manifest = folder / "manifest.json"
    if not force and manifest.is_file() and json.loads(manifest.read_text())["hash"] == digest.hexdigest():
        return SimpleNamespace(folder=folder, pdf=None, manifest=manifest, skipped=True)
    folder.mkdir(parents=True, exist_ok=True)
    if kpis is None:
        write_kpis(result, folder)
    else:
        kpis.to_csv(folder / "kpis.csv", index=False)
    manifest.write_text(json.dumps({"hash": digest.hexdigest()}))
    return SimpleNamespace(folder=folder, pdf=None, manifest=manifest, skipped=False)


def _fake_kpis(company_dir: Path, as_of):
    mrr = pd.read_csv(company_dir / "mrr.csv")
    bad = mrr.index[mrr["MRR"] < 0]
    if len(bad):
        raise InputError([Problem("MRR is negative", file="mrr.csv", row=int(bad[0]) + 2, column="MRR")])
    month = as_of or mrr["Month"].max()
    arr = 12 * mrr.loc[mrr["Month"] == month, "MRR"].sum()
    arr_ago = 12 * mrr.loc[mrr["Month"] == str(pd.Period(month, "M") - 12), "MRR"].sum()
    k = int(company_dir.name[-1]) if company_dir.name[-1].isdigit() else 0
    rows = [
        ("arr", "ARR", "north_star", arr, "currency", ""),
        ("arr_growth_yoy", "ARR growth YoY", "diagnostic", arr / arr_ago - 1, "ratio", ""),
        ("nrr", "NRR", "north_star", 0.85 + 0.05 * k, "ratio", "red" if k == 0 else "green"),
        ("grr", "GRR", "diagnostic", 0.8 + 0.02 * k, "ratio", ""),
        ("burn_multiple", "Burn multiple", "north_star", 0.5 + 0.5 * k, "multiple", "amber"),
        ("magic_number", "Magic number", "diagnostic", 0.6 + 0.1 * k, "multiple", ""),
        ("cac_payback_months", "CAC payback", "north_star", 8 + 3 * k, "months", "green"),
        ("customers", "Customers", "diagnostic", 4, "count", ""),
    ]
    df = pd.DataFrame(rows, columns=["kpi", "label", "tier", "value", "unit", "status"])
    for col in ("prior_value", "change", "benchmark", "note"):
        df[col] = ""
    return month, df[["kpi", "label", "tier", "value", "unit", "prior_value", "change", "benchmark", "status", "note"]]


def dying_pack(company_dir, **kwargs):
    """Kills its own worker process for the company folder named ``co01``."""
    if Path(company_dir).name == "co01":
        os.kill(os.getpid(), signal.SIGKILL)
    return fast_pack(company_dir, **kwargs)


def exiting_pack(company_dir, **kwargs):
    if Path(company_dir).name == "co00":
        os._exit(3)
    return fast_pack(company_dir, **kwargs)


def late_exiting_pack(company_dir, **kwargs):
    """co01 writes its pack, then co00's worker exits before co01's result is sent back."""
    company_dir = Path(company_dir)
    flag = company_dir.parent / "co01-written"
    if company_dir.name == "co00":
        while not flag.exists():
            time.sleep(0.01)
        os._exit(3)
    result = fast_pack(company_dir, **kwargs)
    if company_dir.name == "co01" and not flag.exists():
        flag.touch()
        time.sleep(3)  # the pool breaks meanwhile: this result is lost
    return result


# --------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def portfolio_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("portfolio") / "data"
    make_portfolio(root, n=6, broken=2)
    return root


def _run(data: Path, out: Path, **kwargs):
    kwargs.setdefault("pack_fn", fast_pack)
    kwargs.setdefault("summary", False)
    kwargs.setdefault("progress", False)
    return run_portfolio(data, out=out, **kwargs)


def _rename_local(root: Path) -> None:
    """The killed-worker tests name companies co00, co01...; the generator may not."""
    for i, folder in enumerate(find_companies(root)):
        if folder.name != f"co{i:02d}":
            folder.rename(folder.parent / f"co{i:02d}")


# --------------------------------------------------------------------------------------
# tests


def test_find_companies_is_recursive_and_sorted(tmp_path):
    for rel in ("b", "a", "nested/fund2/c", ".hidden/x"):
        (tmp_path / rel).mkdir(parents=True)
        (tmp_path / rel / "company.toml").write_text("")
    (tmp_path / "not-a-company").mkdir()
    assert [p.relative_to(tmp_path).as_posix() for p in find_companies(tmp_path)] == ["a", "b", "nested/fund2/c"]


def test_two_broken_companies_do_not_stop_the_others(portfolio_dir, tmp_path):
    out = tmp_path / "reports"
    result = _run(portfolio_dir, out, jobs=2)
    table = result.table()
    assert list(table.columns) == ["company", "segment", "status", "seconds", "reason"]
    assert not result.ok
    failed = table[table["status"] == "failed"]
    assert len(failed) == 2 and (table["status"] == "done").sum() == 4
    assert all("input problem" in r for r in failed["reason"])
    for row in result.rows:
        if row.status == "done":
            assert list((out / row.company).glob("*/kpis.csv"))
    kpis = pd.read_csv(result.kpis_csv)
    assert list(kpis.columns[:3]) == ["company", "currency", "kpi"]
    assert set(kpis["company"]) == set(table.loc[table["status"] == "done", "company"])
    summary = load_summary(result.kpis_csv.parent)
    assert len(summary.companies) == 4
    assert set(summary.runs["status"]) == {"done", "failed"}


def test_second_run_skips_unchanged_companies(portfolio_dir, tmp_path):
    out = tmp_path / "reports"
    first = _run(portfolio_dir, out, jobs=2)
    second = _run(portfolio_dir, out, jobs=2)
    status = {r.company: r.status for r in second.rows}
    done = [r.company for r in first.rows if r.status == "done"]
    assert all(status[c] == "skipped" for c in done)
    assert second.kpis_csv.read_text() == first.kpis_csv.read_text()
    forced = _run(portfolio_dir, out, jobs=2, force=True)
    assert all(r.status == "done" for r in forced.rows if r.company in done)


def test_a_changed_company_is_recomputed(tmp_path):
    data = tmp_path / "data"
    make_portfolio(data, n=3, broken=0)
    out = tmp_path / "reports"
    _run(data, out, jobs=2)
    changed = find_companies(data)[1]
    (changed / "commentary.md").write_text("# Summary\nA good quarter.\n")
    again = _run(data, out, jobs=2)
    assert {r.company: r.status for r in again.rows}[changed.name] == "done"
    assert sum(r.status == "skipped" for r in again.rows) == 2


@pytest.mark.parametrize("pack_fn", [dying_pack, exiting_pack])
def test_a_killed_worker_is_reported_and_the_others_complete(tmp_path, pack_fn):
    data = tmp_path / "data"
    make_portfolio(data, n=5, broken=0)
    _rename_local(data)
    result = _run(data, tmp_path / "reports", jobs=2, pack_fn=pack_fn)
    by = {r.company: r for r in result.rows}
    victim = "co01" if pack_fn is dying_pack else "co00"
    assert by[victim].status == "failed" and by[victim].reason == "worker process died"
    assert all(r.status == "done" for c, r in by.items() if c != victim)
    assert not result.ok


def test_a_pack_written_before_its_result_was_lost_is_made_again_not_skipped(tmp_path):
    data = tmp_path / "data"
    make_portfolio(data, n=2, broken=0)
    _rename_local(data)
    result = _run(data, tmp_path / "reports", jobs=2, pack_fn=late_exiting_pack)
    by = {r.company: (r.status, r.reason) for r in result.rows}
    assert by == {"co00": ("failed", "worker process died"), "co01": ("done", "")}


def test_any_executor_can_be_passed(portfolio_dir, tmp_path):
    with ThreadPoolExecutor(2) as pool:
        result = _run(portfolio_dir, tmp_path / "reports", executor=pool)
        assert pool.submit(lambda: 1).result() == 1  # not shut down by the run
    assert sum(r.status == "failed" for r in result.rows) == 2


def test_segments_make_one_task_per_configured_segment(tmp_path):
    data = tmp_path / "data"
    folder = _local_company(data, 0, broken=False)
    calls = []

    def record(company_dir, segment=None, **kwargs):
        calls.append(segment)
        return SimpleNamespace(folder=None, pdf=None, skipped=False)

    with ThreadPoolExecutor(1) as pool:
        result = _run(data, tmp_path / "reports", segments=True, executor=pool, pack_fn=record)
    assert folder.name in {r.company for r in result.rows}
    assert calls == [None, ("segment", "SMB")]
    assert [r.segment for r in result.rows] == ["", "segment=SMB"]


@pytest.mark.slow
def test_dask_local_cluster(portfolio_dir, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        result = _run(portfolio_dir, tmp_path / "reports", scheduler=cluster.scheduler_address)
    table = result.table()
    assert (table["status"] == "done").sum() == 4
    assert (table["status"] == "failed").sum() == 2
    assert result.kpis_csv.is_file()


def test_fx_table_rates_and_fund_currency():
    fx = load_fx(
        pd.DataFrame(
            {
                "currency": ["usd", "USD", "GBP", "EUR"],
                "month": ["2026-06", "2026-09", "2026-01-31", "2026-09"],
                "rate": ["0.9", "0.8", "1.2", "1"],
            }
        )
    )
    assert fx.fund_currency == "EUR"
    assert fx.rate("USD", "2026-09") == 0.8
    assert fx.rate("USD", "2026-08") == 0.9  # latest month before
    assert fx.rate("GBP", "2026-09") == 1.2
    assert fx.rate("EUR", "2020-01") == 1.0
    assert pd.isna(fx.rate("USD", "2026-01"))  # no rate yet
    assert pd.isna(fx.rate("JPY", "2026-09"))


def test_fx_converts_sums_and_arr_but_keeps_values(tmp_path):
    kpis = pd.DataFrame(
        {
            "company": ["a", "a", "b", "b", "c"],
            "currency": ["EUR", "EUR", "USD", "USD", "JPY"],
            "kpi": ["arr", "nrr", "arr", "nrr", "arr"],
            "label": ["ARR", "NRR", "ARR", "NRR", "ARR"],
            "tier": ["north_star"] * 5,
            "value": [1000.0, 1.1, 2000.0, 0.8, 5000.0],
            "unit": ["currency", "ratio", "currency", "ratio", "currency"],
            "prior_value": None,
            "change": None,
            "benchmark": "",
            "status": ["", "green", "", "red", ""],
            "note": "",
        }
    )
    fx = FxTable(pd.DataFrame({"currency": ["USD"], "month": [pd.Period("2026-09", "M")], "rate": [0.5]}), "EUR")
    s = summarize(kpis, fx=fx, as_of="2026-09")
    arr = s.totals[s.totals["kpi"] == "arr"].set_index(["scope", "currency"])
    fund = arr.loc[("fund", "EUR")]
    assert fund["value"] == 2000.0 and fund["companies"] == 2  # 1000 + 0.5 x 2000, JPY left out
    assert "JPY" in fund["note"]
    assert arr.loc[("currency", "USD"), "value"] == 2000.0  # own-currency sums kept
    assert arr.loc[("currency", "EUR"), "value"] == 1000.0
    comp = s.companies.set_index("company")
    assert comp.loc["b", "arr"] == 2000.0 and comp.loc["b", "arr_fund"] == 1000.0
    assert comp.loc["b", "behind"] and "NRR" in comp.loc["b", "behind_reasons"]
    assert not comp.loc["a", "behind"]
    no_fx = summarize(kpis, as_of="2026-09")
    assert no_fx.fund_currency is None and "arr_fund" not in no_fx.companies


def test_gather_kpis_stacks_each_company(tmp_path):
    for slug in ("x", "y"):
        (tmp_path / slug).mkdir()
        pd.DataFrame(
            {
                "kpi": ["arr"],
                "label": ["ARR"],
                "tier": ["north_star"],
                "value": [1.0],
                "unit": ["currency"],
                "prior_value": [""],
                "change": [""],
                "benchmark": [""],
                "status": [""],
                "note": [""],
            }
        ).to_csv(tmp_path / slug / "kpis.csv", index=False)
    kpis = gather_kpis({"x": tmp_path / "x", "y": tmp_path / "y"}, {"x": "EUR", "y": "USD"})
    assert list(kpis["company"]) == ["x", "y"] and list(kpis["currency"]) == ["EUR", "USD"]


@pytest.mark.chromium
@pytest.mark.slow
@pytest.mark.skipif(not (HAVE_PACK and HAVE_GENERATOR), reason="build_pack / generate_portfolio not built yet")
@pytest.mark.skipif(not chromium_available(), reason="no Chromium")
def test_real_packs_and_summary_pdf(tmp_path, capsys, monkeypatch):
    from reportlib.cli import main

    data = tmp_path / "data"
    make_portfolio(data, n=3, broken=1)
    out = tmp_path / "reports"
    # one worker: the second company's pack runs in the kernel and browser the first one used
    assert main(["portfolio", str(data), "--jobs", "1", "--out", str(out)]) == 1
    printed = capsys.readouterr().out
    assert "failed" in printed and "done" in printed
    packs = sorted(out.glob("*/*/board-pack.pdf"))
    assert len(packs) == 2
    for pdf in packs:  # each pack whole: every section's first page names the section
        text = "".join(page.extract_text() or "" for page in PdfReader(pdf).pages)
        assert "Growth and revenue quality · " in text and "Appendix · " in text, pdf
    summary = next((out / "portfolio").glob("*/portfolio-summary.pdf"))
    assert summary.stat().st_size > 10_000
    stamp = summary.stat().st_mtime_ns
    again = run_portfolio(data, out=out, jobs=2, progress=False)
    assert sorted(r.status for r in again.rows) == ["failed", "skipped", "skipped"]
    assert again.summary_pdf == summary and summary.stat().st_mtime_ns == stamp
    # the summary's code edited under the same version: drawn again
    import reportlib.portfolio.summary as summary_module

    monkeypatch.setattr(summary_module, "code_digest", lambda: "edited code")
    run_portfolio(data, out=out, jobs=1, progress=False)
    assert summary.stat().st_mtime_ns != stamp


def _kpi_rows(company: str, currency: str, values: dict[str, float]) -> list[dict]:
    units = {
        "arr": "currency",
        "customers": "count",
        "nrr": "ratio",
        "arr_growth_yoy": "ratio",
        "runway_months": "months",
        **dict.fromkeys(("net_new_arr", *reg.ARR_MOVEMENTS), "currency"),
    }
    return [
        {
            "company": company,
            "currency": currency,
            "kpi": k,
            "label": k.upper(),
            "tier": "north_star" if k in ("arr", "nrr") else "diagnostic",
            "value": v,
            "unit": units[k],
            "prior_value": None,
            "change": None,
            "benchmark": "",
            "status": "",
            "note": "",
        }
        for k, v in values.items()
    ]


def test_the_portfolio_totals_show_every_movement_of_the_net_new_arr():
    from reportlib.deck import portfolio_charts as pc

    # a: new 1,000, reactivation 200, expansion 300, contraction 100, churned 400: net new
    # 1,000. b: new 500, churned 200: net new 300. Summed: new 1,500, reactivation 200,
    # expansion 300, contraction 100, churned 600; 1,500 + 200 + 300 - 100 - 600 = 1,300, the
    # net new ARR. The totals showed net new, new and churned only: 1,500 - 600 = 900.
    a = {"new_arr": 1000.0, "reactivation_arr": 200.0, "expansion_arr": 300.0, "contraction_arr": 100.0}
    kpis = pd.DataFrame(
        _kpi_rows("a", "EUR", {**a, "churned_arr": 400.0, "net_new_arr": 1000.0})
        + _kpi_rows("b", "EUR", {"new_arr": 500.0, "churned_arr": 200.0, "net_new_arr": 300.0})
    )
    meta = pd.DataFrame(
        {"company": ["a", "b"], "name": ["A", "B"], "stage": "early", "gtm": "hybrid", "last_month": "2026-09"}
    )
    totals = summarize(kpis, meta, as_of="2026-09").totals.set_index("kpi")["value"]
    assert totals.to_dict() == {
        "net_new_arr": 1300.0,
        "new_arr": 1500.0,
        "reactivation_arr": 200.0,
        "expansion_arr": 300.0,
        "contraction_arr": 100.0,
        "churned_arr": 600.0,
    }
    shown = pc.totals_markdown(summarize(kpis, meta, as_of="2026-09").totals, None)
    assert "| **REACTIVATION\\_ARR** | €200 (1) |" in shown and "| **CONTRACTION\\_ARR** | €100 (1) |" in shown


def test_summary_flags_stale_data_and_formats_counts_by_unit():
    from reportlib.deck import portfolio_charts as pc

    kpis = pd.DataFrame(
        _kpi_rows("a", "EUR", {"arr": 1000.0, "customers": 637.0, "runway_months": 14.0})
        + _kpi_rows("b", "EUR", {"arr": 500.0, "customers": 3.0, "runway_months": 8.0})
    )
    meta = pd.DataFrame(
        {
            "company": ["a", "b"],
            "name": ["A", "B"],
            "stage": "early",
            "gtm": "hybrid",
            "last_month": ["2026-09", "2026-04"],
        }
    )
    s = summarize(kpis, meta, as_of="2026-10")
    # a: 2026-10 - 2026-09 = 1 month (not stale); b: 6 months before the as-of (stale)
    assert s.companies.set_index("company")["stale"].to_dict() == {"a": False, "b": True}
    assert "B (data to Apr 2026)" in pc.headline_markdown(s.companies, s.runs, s.as_of)
    totals = pc.totals_markdown(s.totals, None)
    assert "| **CUSTOMERS** | 640 (2) |" in totals  # 637 + 3 customers, no currency sign
    assert "| **ARR** | €1.5k (2) |" in totals  # 1000 + 500 EUR
    # without fx, one line says why the sums stop at each currency, in words (no command:
    # the fund's partners read this page)
    assert "Sums are per currency: no exchange rates were given." in totals
    hint = totals.split("\n\n")[-1]
    assert hint.startswith("Sums are per currency") and not any(c in hint for c in ("`", "--", "reportlib"))
    assert s.companies.set_index("company").loc["b", "runway_months"] == 8.0


def test_scatter_caption_corner_follows_the_axes():
    from reportlib.portfolio.summary import best_corner, scatter_caption

    # x = ARR growth (higher is better: right), y = burn multiple (lower is better: bottom)
    assert best_corner("arr_growth_yoy", "burn_multiple") == "bottom right"
    assert best_corner("nrr", "grr") == "top right"
    assert "top left corner is the weakest" in scatter_caption("arr_growth_yoy", "burn_multiple")


def test_gather_history_keeps_the_last_four_packs_up_to_the_as_of(tmp_path):
    from reportlib.deck import portfolio_charts as pc
    from reportlib.portfolio.gather import gather_history

    company = tmp_path / "a"
    for i, month in enumerate(["2025-10", "2026-01", "2026-04", "2026-07", "2026-10", "2027-01"]):
        (company / month).mkdir(parents=True)
        pd.DataFrame({"kpi": ["arr", "nrr", "customers"], "value": [100.0 * (i + 1), 1.0 + i / 100, 9]}).to_csv(
            company / month / "kpis.csv", index=False
        )
    history = gather_history({"a": company / "2026-10"}, {"a": ["arr", "nrr"]})
    # packs up to 2026-10 (2027-01 was issued later), the last four of them: 2026-01 .. 2026-10
    assert sorted(set(history["as_of"])) == ["2026-01", "2026-04", "2026-07", "2026-10"]
    assert set(history["kpi"]) == {"arr", "nrr"}
    arr = history[history["kpi"] == "arr"].set_index("as_of")["value"]
    assert arr["2026-01"] == 200.0 and arr["2026-10"] == 500.0  # packs 2 and 5: 100 x 2, 100 x 5
    companies = pd.DataFrame({"company": ["a"], "name": ["A"], "currency": ["USD"], "north_star": ["arr,nrr"]})
    kpis = pd.DataFrame(_kpi_rows("a", "USD", {"arr": 500.0, "nrr": 1.04}))
    table = pc.history_markdown(history, companies, kpis)
    assert "Oct 2026</span> | $500 | 104% |" in table  # nrr 1 + 4/100


def test_scatter_title_names_the_leader_on_each_axis():
    from reportlib.portfolio.summary import scatter_title

    companies = pd.DataFrame(
        {"name": ["A", "B", "C"], "arr_growth_yoy": [1.17, 0.51, None], "burn_multiple": [1.7, 1.6, 0.9]}
    )
    # C has no growth: left out. Growth: higher is better (A, 117%); burn multiple: lower (B, 1.6x)
    assert scatter_title(companies, "arr_growth_yoy", "burn_multiple") == (
        "A leads on ARR growth (YoY) at 117%, B on burn multiple at 1.6x"
    )
    companies.loc[0, "burn_multiple"] = 1.2  # A now leads on both
    assert scatter_title(companies, "arr_growth_yoy", "burn_multiple") == (
        "A leads on both ARR growth (YoY) at 117% and burn multiple at 1.2x"
    )


# --- the summary's pages: titles that state their message, dots that mean what they say ----------


def _summary_of(values: dict[str, dict], statuses: dict[str, dict] | None = None, **meta_columns):
    """A summary of companies ``values`` ({company: {kpi: value}}, EUR), with ``statuses``
    ({company: {kpi: status}}) and north stars arr, nrr."""
    rows = []
    for company, kpis in values.items():
        for row in _kpi_rows(company, "EUR", kpis):
            row["status"] = (statuses or {}).get(company, {}).get(row["kpi"], "")
            rows.append(row)
    meta = pd.DataFrame({"company": list(values), "name": [c.upper() for c in values], **meta_columns})
    return summarize(pd.DataFrame(rows), meta, as_of="2026-10")


def test_headline_title_states_the_arr_and_who_is_falling_behind():
    from reportlib.portfolio.summary import headline_title

    s = _summary_of({"a": {"arr": 3000.0, "nrr": 1.1}, "b": {"arr": 1500.0, "nrr": 0.8}}, {"b": {"nrr": "red"}})
    # 3,000 + 1,500 EUR; b's north star NRR is red: b is behind
    assert headline_title(s) == "ARR €4.5k across 2 companies; B falling behind"
    runs = pd.DataFrame({"company": ["c"], "segment": [""], "status": ["failed"], "seconds": [0.1], "reason": ["x"]})
    s.runs = runs
    assert headline_title(s).endswith("; 1 pack failed")


def test_league_title_names_the_companies_with_a_north_star_below_benchmark():
    from reportlib.portfolio.summary import league_title

    s = _summary_of({"a": {"arr": 1.0, "nrr": 1.1}, "b": {"arr": 1.0, "nrr": 0.8}}, {"b": {"nrr": "red"}})
    assert league_title(s.kpis, s.companies) == "B has a north star below benchmark: NRR"
    s = _summary_of({"a": {"arr": 1.0, "nrr": 0.7}, "b": {"arr": 1.0, "nrr": 0.8}}, {c: {"nrr": "red"} for c in "ab"})
    assert league_title(s.kpis, s.companies) == "2 companies have a north star below benchmark: A and B"
    s = _summary_of({"a": {"arr": 1.0, "nrr": 1.1}}, {"a": {"nrr": "green"}})
    assert league_title(s.kpis, s.companies) == "No company has a north star below benchmark"


def test_failures_title_counts_the_packs_left_out():
    from reportlib.portfolio.summary import failures_title

    runs = pd.DataFrame({"status": ["done", "failed", "failed"]})
    assert failures_title(runs) == "2 packs failed and are left out of this summary"
    assert failures_title(runs.iloc[:2]) == "1 pack failed and is left out of this summary"


def test_scatter_title_crowns_neither_a_stale_company_nor_one_not_judged_on_the_axis():
    from reportlib.portfolio.summary import scatter_title

    companies = pd.DataFrame(
        {
            "name": ["Fresh", "Stale", "Plg"],
            "arr_growth_yoy": [0.5, 1.2, 0.4],
            "arr_growth_yoy_status": ["green", "green", "green"],
            "magic_number": [1.1, 0.9, 1.7],
            # METRICS.md bands: the magic number is not judged for a product-led company
            "magic_number_status": ["green", "amber", ""],
            "stale": [False, True, False],
        }
    )
    # Stale's 120% is August's figure, not October's: Fresh leads; Plg's 1.7x is not judged.
    # Both are plotted, so the title says why neither leads (it used to crown Fresh at 1.1x
    # beside a 1.7x dot, as if the chart were wrong)
    assert scatter_title(companies, "arr_growth_yoy", "magic_number") == (
        "Fresh leads on both ARR growth (YoY) at 50% and magic number at 1.1x "
        "(Stale at 120%: older data; Plg at 1.7x: not judged)"
    )


def test_dot_area_is_proportional_to_arr_and_a_company_without_it_is_a_ring():
    from reportlib.deck import portfolio_charts as pc

    data = pd.DataFrame({"arr_fund": [19_536_000.0, 4_526_462.0, None]})
    areas = pc._dot_areas(data, "EUR")
    assert areas[0] / areas[1] == pytest.approx(19_536_000 / 4_526_462)  # area, not its square root
    assert pd.isna(areas[2])  # no fx rate: drawn as a ring, never as the smallest dot
    assert pc._dot_areas(data, None).nunique() == 1  # without fx every dot is alike


def test_three_close_labels_take_three_rows():
    import matplotlib.pyplot as plt

    from reportlib.deck import portfolio_charts as pc

    fig, ax = plt.subplots()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    offsets = pc._label_offsets(ax, pd.Series([0.5, 0.5, 0.51]), pd.Series([0.5, 0.5, 0.5]))
    plt.close(fig)
    assert len({dy for _dx, dy in offsets}) == 3


def test_an_fx_table_must_say_the_fund_currency():
    table = pd.DataFrame({"currency": ["USD", "GBP"], "month": ["2026-09", "2026-09"], "rate": ["0.9", "1.2"]})
    with pytest.raises(ParameterError, match="which currency the fund reports in"):
        load_fx(table)
    assert load_fx(table, fund_currency="eur").fund_currency == "EUR"  # fund.toml's [fund] currency
    column = table.assign(fund_currency="CHF")
    assert load_fx(column, fund_currency="EUR").fund_currency == "CHF"  # the table's own column first


# --- periods: a summary never mixes periods silently ----------------------------------------------


def _pack(folder: Path, as_of: str, values: dict[str, float], fiscal_start: int | None = None, **manifest) -> Path:
    """A pack folder: kpis.csv of ``values`` as of ``as_of`` and a manifest with the policy
    ``fiscal_year_start_month`` (and any other ``manifest`` keys)."""
    folder.mkdir(parents=True)
    rows = [
        {"kpi": k, "label": k.upper(), "tier": "north_star", "value": v, "unit": "currency", "as_of": as_of}
        for k, v in values.items()
    ]
    pd.DataFrame(rows).to_csv(folder / "kpis.csv", index=False)
    policies = {"fiscal_year_start_month": fiscal_start} if fiscal_start else {}
    (folder / "manifest.json").write_text(json.dumps({"policies": policies, **manifest}))
    return folder


def _period_rows(company: str, currency: str, as_of: str, period: str, values: dict[str, float]) -> list[dict]:
    return [dict(row, as_of=as_of, period=period) for row in _kpi_rows(company, currency, values)]


def test_portfolio_kpis_keep_each_rows_as_of_and_period(tmp_path):
    from reportlib.portfolio.gather import KPI_COLUMNS

    # Run at 2026-09: Cal reports Jul-Sep 2026 (Q3 2026); Feb starts its fiscal year in
    # February, so its last completed quarter is May-Jul 2026, FY2027 Q2 (the fiscal year
    # Feb 2026 - Jan 2027 is named after 2027), and its kpis.csv is as of 2026-07
    cal = _pack(tmp_path / "cal" / "2026-09", "2026-09", {"arr": 1000.0})
    feb = _pack(tmp_path / "feb" / "2026-09", "2026-07", {"arr": 500.0}, fiscal_start=2)
    kpis = gather_kpis({"cal": cal, "feb": feb}, {"cal": "USD", "feb": "USD"}, "quarter")
    assert list(kpis.columns[:12]) == KPI_COLUMNS[:12]  # the columns before kept as they were
    rows = kpis.set_index("company")
    assert rows.loc["cal", ["as_of", "period"]].tolist() == ["2026-09", "Q3 2026"]
    assert rows.loc["feb", ["as_of", "period"]].tolist() == ["2026-07", "FY2027 Q2"]


def _mixed_summary(as_of_b: str = "2026-07", period_b: str = "FY2027 Q2", fx: FxTable | None = None):
    # A reports Q3 2026 (ARR 1,000 USD at 2026-09); B, on a February year, FY2027 Q2
    # (ARR 500 USD at 2026-07)
    kpis = pd.DataFrame(
        _period_rows("a", "USD", "2026-09", "Q3 2026", {"arr": 1000.0})
        + _period_rows("b", "USD", as_of_b, period_b, {"arr": 500.0})
    )
    meta = pd.DataFrame({"company": ["a", "b"], "name": ["A", "B"], "stage": "early", "gtm": "hybrid"})
    return summarize(kpis, meta, fx, as_of="2026-09", window="quarter")


def test_summary_names_the_companies_of_another_period_and_the_sums_that_mix_them():
    from reportlib.deck import portfolio_charts as pc

    s = _mixed_summary()
    comp = s.companies.set_index("company")
    assert comp["other_period"].to_dict() == {"a": False, "b": True}
    assert comp.loc["b", "period"] == "FY2027 Q2 (May–Jul 2026)"  # the 3 months ending 2026-07
    assert s.period == "Q3 2026 (Jul–Sep 2026)"
    head = pc.headline_markdown(s.companies, s.runs, s.as_of, s.period).replace("\\", "")  # markdown escapes
    assert "**Other periods**: B reports FY2027 Q2 (May–Jul 2026); the summary is of Q3 2026 (Jul–Sep 2026)." in head
    # the USD ARR 1,000 + 500 = 1,500 adds September's ARR to July's: it says so, once
    arr = s.totals[s.totals["kpi"] == "arr"].iloc[0]
    assert arr["value"] == 1500.0 and arr["note"] == "mixes periods: B's figure is of FY2027 Q2 (May–Jul 2026)"
    totals = pc.totals_markdown(s.totals, None)
    assert totals.count("mixes periods") == 1
    # the same two companies in one period: no note, no line, nothing else changes
    same = _mixed_summary("2026-09", "Q3 2026")
    assert not same.companies["other_period"].any() and (same.totals["note"] == "").all()
    assert "Other periods" not in pc.headline_markdown(same.companies, same.runs, same.as_of, same.period)


def test_fx_converts_each_figure_at_the_rate_of_its_own_month():
    # USD is worth 0.5 EUR in July 2026 and 0.8 in September. A's ARR 1,000 USD is of
    # September: 800 EUR; B's 500 USD is of July: 250 EUR (400 at September's rate). Fund ARR
    # 800 + 250 = 1,050 EUR (it was 800 + 400 = 1,200)
    rates = pd.DataFrame(
        {"currency": ["USD", "USD"], "month": pd.PeriodIndex(["2026-07", "2026-09"], freq="M"), "rate": [0.5, 0.8]}
    )
    s = _mixed_summary(fx=FxTable(rates, "EUR"))
    assert s.companies.set_index("company")["arr_fund"].to_dict() == {"a": 800.0, "b": 250.0}
    fund = s.totals[(s.totals["kpi"] == "arr") & (s.totals["scope"] == "fund")].iloc[0]
    assert fund["value"] == 1050.0 and fund["note"].startswith("mixes periods: B's")


def test_a_fiscal_company_is_stale_only_when_its_data_ends_before_its_own_period():
    # Summary at 2026-09, quarters. Calendar companies report Jul-Sep: data to 2026-08 is
    # current (one month behind), to 2026-07 stale. February-year companies report May-Jul
    # 2026: data to 2026-07 is current (it was 'data to Jul 2026': 2 months before 2026-09),
    # to 2026-06 stale
    kpis = pd.DataFrame([row for c in ("cal8", "cal7", "feb7", "feb6") for row in _kpi_rows(c, "USD", {"arr": 1.0})])
    meta = pd.DataFrame(
        {
            "company": ["cal8", "cal7", "feb7", "feb6"],
            "last_month": ["2026-08", "2026-07", "2026-07", "2026-06"],
            "fiscal_start": [1, 1, 2, 2],
        }
    )
    s = summarize(kpis, meta, as_of="2026-09", window="quarter")
    assert s.companies.set_index("company")["stale"].to_dict() == {
        "cal8": False,
        "cal7": True,
        "feb7": False,
        "feb6": True,
    }


def test_a_packs_data_last_month_is_the_one_its_manifest_records(tmp_path):
    from reportlib.portfolio.gather import pack_data_last_month

    # A contracts company signed its last contract in July; run at 2026-09, its MRR bridge
    # runs on to September (open-ended contracts serve on), the manifest says July
    pack = _pack(tmp_path / "c" / "2026-09", "2026-09", {"arr": 1.0}, data_last_month="2026-07")
    (pack / "tables").mkdir()
    pd.DataFrame({"month": ["2026-08", "2026-09"], "closing_mrr": [1.0, 1.0]}).to_csv(
        pack / "tables" / "mrr_bridge.csv", index=False
    )
    assert pack_data_last_month(pack) == "2026-07"
    (pack / "manifest.json").write_text("{}")  # a pack made before the manifest said: its bridge
    assert pack_data_last_month(pack) == "2026-09"


def test_a_contracts_companys_data_ends_at_its_latest_signature(tmp_path):
    from inputs_helpers import make

    from reportlib.inputs import load_company
    from reportlib.inputs.company import data_last_month

    # two open-ended contracts signed 2026-01-05 and 2026-07-20 (starting August): the
    # export stops at the July signature, whatever month the contracts serve to
    body = (
        "contract_id,customer_id,start_date,end_date,signed_date,mrr\n"
        "K1,A,2026-01-01,,2026-01-05,1000\nK2,B,2026-08-01,,2026-07-20,500\n"
    )
    toml = (
        '[inputs.contracts]\npath = "c.csv"\n'
        'defaults = { revenue_type = "contracted_recurring", billing = "monthly" }\n'
    )
    assert data_last_month(load_company(make(tmp_path, toml, {"c.csv": body}))) == "2026-07"


def test_scatter_title_says_a_tie_rather_than_crowning_one():
    from reportlib.portfolio.summary import scatter_title

    # Meridian and Meridian UK show NRR 104% and GRR 90% both: neither leads
    companies = pd.DataFrame(
        {"name": ["Meridian", "Meridian UK", "Loop"], "nrr": [1.04, 1.04, 0.95], "grr": [0.9, 0.9, 0.85]}
    )
    assert scatter_title(companies, "nrr", "grr") == "Meridian and Meridian UK tie on both NRR at 104% and GRR at 90%"
    companies.loc[2, "grr"] = 0.95  # Loop now leads on GRR
    assert scatter_title(companies, "nrr", "grr") == (
        "Meridian and Meridian UK tie on NRR at 104%, Loop leads on GRR at 95%"
    )


def test_history_rows_are_named_by_the_period_their_figures_are_of(tmp_path):
    from reportlib.deck import portfolio_charts as pc
    from reportlib.portfolio.gather import gather_history

    # A February-year company's packs made at 2026-08 and 2026-09 are both of May-Jul 2026,
    # FY2027 Q2 (kpis.csv as of 2026-07); they were labelled 'Aug 2026' and 'Sep 2026'
    for month in ("2026-08", "2026-09"):
        _pack(tmp_path / "feb" / month, "2026-07", {"arr": 500.0}, fiscal_start=2)
    history = gather_history({"feb": tmp_path / "feb" / "2026-09"}, {"feb": ["arr"]}, window="quarter")
    assert history["period"].tolist() == ["FY2027 Q2", "FY2027 Q2"]
    companies = pd.DataFrame({"company": ["feb"], "name": ["Feb"], "currency": ["USD"], "north_star": ["arr"]})
    kpis = pd.DataFrame({"kpi": ["arr"], "unit": ["currency"], "label": ["ARR"]})
    table = pc.history_markdown(history, companies, kpis)
    assert "FY2027 Q2" in table and "Sep 2026" not in table


def test_a_missing_fx_rate_is_said_on_stderr(capsys):
    from reportlib.portfolio.runner import _print_fx_gaps

    # no GBP rate at 2026-09: the UK company's ARR is left out of the fund sum
    rates = pd.DataFrame({"currency": ["USD"], "month": [pd.Period("2026-09", "M")], "rate": [0.9]})
    kpis = pd.DataFrame(_kpi_rows("uk", "GBP", {"arr": 100.0}) + _kpi_rows("us", "USD", {"arr": 100.0}))
    s = summarize(kpis, fx=FxTable(rates, "EUR"), as_of="2026-09")
    _print_fx_gaps(s.totals)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no fx rate for GBP at 2026-09" in err
