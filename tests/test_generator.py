"""The seeded demo generator: determinism, size, the story, generated companies and portfolios."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from reportlib.demo import companies as demo
from reportlib.demo import generator as g

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    return demo.generate_demo_companies(tmp_path_factory.mktemp("demo"))[0].parent


@pytest.fixture(scope="module")
def meridian() -> dict:
    return demo.demo_frames("meridian")


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _assert_same_contents(committed: Path, fresh: Path) -> None:
    """CSV and text files byte for byte; XLSX and Parquet by their contents, so that
    another openpyxl / pyarrow version (other zip or Parquet metadata bytes) still passes."""
    names = sorted(p.relative_to(committed).as_posix() for p in committed.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(fresh).as_posix() for p in fresh.rglob("*") if p.is_file())
    for name in names:
        a, b = committed / name, fresh / name
        if a.suffix == ".xlsx":
            sa, sb = (
                pd.read_excel(a, sheet_name=None, engine="openpyxl"),
                pd.read_excel(b, sheet_name=None, engine="openpyxl"),
            )
            assert list(sa) == list(sb), name
            for sheet in sa:
                pd.testing.assert_frame_equal(sa[sheet], sb[sheet], obj=f"{name} [{sheet}]")
        elif a.suffix == ".parquet":
            pd.testing.assert_frame_equal(pd.read_parquet(a), pd.read_parquet(b), obj=name)
        else:
            assert a.read_bytes() == b.read_bytes(), f"{name} differs"


def _monthly_grid(contracts: pd.DataFrame) -> pd.DataFrame:
    """Customer x month MRR of subscription lines serving the month's last day (METRICS.md)."""
    c = contracts[contracts["Line Type"] == "Subscription"].copy()
    start = pd.to_datetime(c["Service Start"], format="%d/%m/%Y")
    end = pd.to_datetime(c["Service End"], format="%d/%m/%Y").fillna(pd.Timestamp("2026-10-31"))
    months = pd.period_range("2023-11", "2026-10", freq="M")
    term = ((end.dt.to_period("M") - start.dt.to_period("M")).apply(lambda d: d.n) + 1).to_numpy()
    monthly = c["Monthly Fee"].fillna(c["Total Contract Value"] / term)
    rows = []
    for m in months:
        last = m.to_timestamp(how="end").normalize()
        live = (start <= last) & (end >= last)
        rows.append(monthly[live].groupby(c.loc[live, "Account ID"]).sum().rename(str(m)))
    return pd.concat(rows, axis=1).fillna(0.0)


def test_same_seed_gives_same_frames():
    a, b = demo.demo_frames("meridian", seed=5), demo.demo_frames("meridian", seed=5)
    for name in a:
        if isinstance(a[name], dict):
            for sheet in a[name]:
                pd.testing.assert_frame_equal(a[name][sheet], b[name][sheet])
        else:
            pd.testing.assert_frame_equal(a[name], b[name])
    other = demo.demo_frames("meridian", seed=6)
    assert not a["contracts.csv"].equals(other["contracts.csv"])


def test_regenerating_gives_identical_files(demo_dir, tmp_path):
    again = demo.generate_demo_companies(tmp_path)[0].parent
    for company in ("meridian", "loopwise"):
        assert _digest(demo_dir / company) == _digest(again / company)


def test_committed_demo_data_is_current(demo_dir):
    for company in ("meridian", "loopwise"):
        committed = ROOT / "data" / company
        if not committed.is_dir():
            pytest.skip("data/ not generated yet")
        try:
            _assert_same_contents(committed, demo_dir / company)
        except AssertionError as exc:
            raise AssertionError(f"data/{company} is stale: run `reportlib demo --data-only` ({exc})") from None


def test_demo_data_fits_the_size_budget(demo_dir):
    size = sum(p.stat().st_size for p in demo_dir.rglob("*") if p.is_file())
    assert size < 5 * 1024 * 1024


def test_demo_folders_hold_config_and_commentary(demo_dir):
    import tomllib

    for company in ("meridian", "loopwise"):
        cfg = tomllib.loads((demo_dir / company / "company.toml").read_text())
        for spec in (v for k, v in cfg["inputs"].items()):
            assert (demo_dir / company / spec["path"]).is_file()
        headings = [
            ln[3:] for ln in (demo_dir / company / "commentary.md").read_text().splitlines() if ln.startswith("## ")
        ]
        assert headings == [
            "Summary",
            "Revenue quality",
            "Unit economics",
            "Cohort economics",
            "KPI hierarchy",
            "Appendix",
        ]


def test_meridian_smb_churn_spikes_in_2026q2(meridian):
    grid = _monthly_grid(meridian["contracts.csv"])
    seg = meridian["contracts.csv"].drop_duplicates("Account ID").set_index("Account ID")["segment"]
    smb = grid[seg.reindex(grid.index).eq("SMB").to_numpy()]
    rates = {}
    for q in pd.period_range("2024Q1", "2026Q3", freq="Q"):
        months = pd.period_range(q.asfreq("M", "start"), q.asfreq("M", "end"), freq="M")
        before = str(months[0] - 1)
        base = smb[before] > 0
        rates[str(q)] = ((smb.loc[base, str(months[-1])] == 0).sum()) / base.sum()
    spike = rates.pop("2026Q2")
    assert spike > 1.5 * max(rates.values())


def test_meridian_enterprise_expands_and_smb_decays(meridian):
    grid = _monthly_grid(meridian["contracts.csv"])
    seg = meridian["contracts.csv"].drop_duplicates("Account ID").set_index("Account ID")["segment"]
    seg = seg.reindex(grid.index)
    for name, above in (("Enterprise", True), ("SMB", False)):
        cohort = grid[(seg == name).to_numpy() & (grid["2025-10"] > 0).to_numpy()]
        nrr = cohort["2026-10"].sum() / cohort["2025-10"].sum()
        assert (nrr > 1.0) == above, (name, nrr)


def test_meridian_q4_bookings_peak_and_partner_behind(meridian):
    c = meridian["contracts.csv"]
    q = pd.to_datetime(c["Signed On"], format="%d/%m/%Y").dt.to_period("Q").astype(str)
    bookings = c["Total Contract Value"].groupby(q).sum()
    assert bookings["2025Q4"] > max(bookings["2025Q3"], bookings["2026Q1"])
    opp, targets = meridian["crm_opportunities.csv"], meridian["pipeline_targets.csv"]
    october = opp[pd.to_datetime(opp["Created Date"]) >= "2026-10-01"]
    for source, behind in (("partner", True), ("inbound", False)):
        target = targets[(targets.Quarter == "2026Q4") & (targets.Filter == f"source={source}")].Target.iloc[0]
        pace = october.loc[october["Lead Source"] == source.capitalize(), "Amount"].sum() / (target * 31 / 92)
        assert (pace < 0.9) == behind, (source, pace)
    assert {"2024Q1", "2026Q4"} <= set(targets.Quarter)


def test_meridian_exports_use_their_own_vocabulary(meridian):
    c = meridian["contracts.csv"]
    assert set(c["Billing Frequency"]) == {"Annual", "Quarterly", "Monthly", "Upfront"}
    assert set(c["Line Type"]) == {"Subscription", "Usage overage", "Implementation"}
    assert set(c["segment"]) == {"SMB", "Mid-market", "Enterprise"}
    assert (c["Total Contract Value"].isna() != c["Monthly Fee"].isna()).all()
    start = pd.to_datetime(c["Service Start"], format="%d/%m/%Y")
    end = pd.to_datetime(c["Service End"], format="%d/%m/%Y")
    assert (end.isna() | (end >= start)).all()
    signed = pd.to_datetime(c["Signed On"], format="%d/%m/%Y")
    assert signed.max() == pd.Timestamp("2026-10-31")  # the export's as-of month is its latest signature
    assert start.max() <= pd.Timestamp("2026-12-01")
    assert (c.loc[c["Line Type"] == "Subscription", "Total Contract Value"] > 12 * 5000).any()  # multi-year


def test_meridian_signed_not_live_deals_lift_carr_above_arr(meridian):
    c = meridian["contracts.csv"]
    signed = pd.to_datetime(c["Signed On"], format="%d/%m/%Y")
    start = pd.to_datetime(c["Service Start"], format="%d/%m/%Y")
    end = pd.to_datetime(c["Service End"], format="%d/%m/%Y")
    oct_end = pd.Timestamp("2026-10-31")
    ahead = c[start > oct_end]
    assert signed[ahead.index].notna().all() and (signed[ahead.index] <= oct_end).all()
    assert (signed[ahead.index] >= "2026-09-15").all() and (signed[ahead.index] < "2026-10-01").sum() >= 2
    assert set(start[ahead.index].dt.strftime("%Y-%m")) == {"2026-11", "2026-12"}
    # all new logos: none of these accounts has a contract starting by October
    assert not set(ahead["Account ID"]) & set(c.loc[start <= oct_end, "Account ID"])
    subs = ahead[ahead["Line Type"] == "Subscription"]
    assert subs.segment.isin(["Mid-market", "Enterprise"]).mean() > 0.6
    assert (ahead["Line Type"] == "Implementation").sum() >= 10
    big = subs[subs.segment != "SMB"]
    assert (big["Billing Frequency"] == "Annual").mean() > 0.6
    months = ((end - start).dt.days / 365.25 * 12).round()[subs.index]
    annual = (subs["Total Contract Value"] / months * 12).fillna(12 * subs["Monthly Fee"]).sum()
    arr = 12 * _monthly_grid(c)["2026-10"].sum()
    assert 0.03 < annual / arr < 0.08, annual / arr
    october = signed.dt.to_period("M") == pd.Period("2026-10")
    assert c.loc[october, "Total Contract Value"].sum() > 1_000_000  # October bookings show them
    opp = meridian["crm_opportunities.csv"]
    won = opp[(opp.Status == "Won") & (pd.to_datetime(opp["Close Date"]) >= "2026-09-15")]
    first = c[c["Line Type"] == "Subscription"].assign(start=start).sort_values("start").drop_duplicates("Account ID")
    new_logos = first[signed[first.index] >= "2026-09-15"]
    assert sorted(won["Close Date"]) == sorted(signed[new_logos.index].dt.strftime("%Y-%m-%d"))


def test_demo_companies_load_and_validate(demo_dir):
    inputs = pytest.importorskip("reportlib.inputs")
    for company in ("meridian", "loopwise"):
        report = inputs.validate_company(demo_dir / company)
        assert not report.errors, [str(p) for p in report.errors]
    lw = inputs.load_company(demo_dir / "loopwise")
    assert set(lw.frames["mrr"]["segment"].dropna()) == {"self-serve", "assisted"}
    assert str(lw.frames["mrr"]["month"].max()) == "2026-10"


def test_generate_company_has_the_requested_shape(tmp_path):
    folder = demo.generate_company(
        tmp_path / "acme",
        kind="product-led",
        customers=300,
        months=18,
        seed=3,
        currency="GBP",
        end_month="2026-06",
        name="Acme",
    )
    mrr = pq.read_table(folder / "mrr.parquet").to_pandas()
    assert mrr["customer"].nunique() == 300
    assert sorted(mrr["month"].unique())[0] == "2025-01" and mrr["month"].max() == "2026-06"
    assert not mrr.duplicated(["customer", "month"]).any() and (mrr["MRR"] > 0).all()
    assert set(mrr["segment"]) <= {"self-serve", "assisted"}
    fin = pd.read_csv(folder / "financials.csv")
    assert len(fin) == 18 and fin["revenue"].gt(0).all()
    text = (folder / "company.toml").read_text()
    assert 'name = "Acme"' in text and 'currency = "GBP"' in text
    again = demo.generate_company(
        tmp_path / "acme2",
        kind="product-led",
        customers=300,
        months=18,
        seed=3,
        currency="GBP",
        end_month="2026-06",
        name="Acme",
    )
    assert (again / "mrr.parquet").read_bytes() == (folder / "mrr.parquet").read_bytes()


def test_long_movements_satisfy_the_bridge_identity():
    axis = g.month_axis("2026-10", 24)
    m = g.spell_mrr(np.random.default_rng(1), 2000, 24, "hybrid", axis=axis)
    mv = g.long_movements(m)
    flow = mv["new"] + mv["reactivation"] + mv["expansion"] - mv["contraction"] - mv["churn"]
    np.testing.assert_allclose(np.diff(mv["mrr"]), flow[1:], atol=1e-6)
    assert mv["reactivation"].sum() > 0


def test_generate_portfolio_is_varied_and_broken_ones_are_broken(tmp_path):
    paths = demo.generate_portfolio(tmp_path, 8, seed=1, broken=2)
    manifest = json.loads((tmp_path / "portfolio.json").read_text())
    assert [tmp_path / e["path"] for e in manifest] == paths and len(paths) == 8
    assert {e["stage"] for e in manifest} == {"early", "growth", "scale"}
    assert {e["gtm"] for e in manifest} == {"sales-led", "product-led", "hybrid"}
    assert len({e["currency"] for e in manifest}) >= 2
    assert len({e["customers"] for e in manifest}) == 8
    broken = [e for e in manifest if e["defect"]]
    assert [e["defect"] for e in broken] == ["negative_mrr", "missing_column"]
    inputs = pytest.importorskip("reportlib.inputs")
    for e in manifest:
        report = inputs.validate_company(tmp_path / e["path"])
        assert bool(report.errors) == bool(e["defect"]), (e, [str(p) for p in report.errors])
    messages = {
        e["defect"]: " ".join(str(p) for p in inputs.validate_company(tmp_path / e["path"]).errors) for e in broken
    }
    assert "negative" in messages["negative_mrr"]
    assert "MRR" in messages["missing_column"]


@pytest.mark.slow
def test_generate_company_scales_to_a_benchmark(tmp_path):
    import time

    t0 = time.perf_counter()
    folder = demo.generate_company(tmp_path / "big", customers=100_000, months=60, seed=1)
    assert time.perf_counter() - t0 < 30
    meta = pq.read_metadata(folder / "mrr.parquet")
    assert meta.num_rows > 1_000_000
