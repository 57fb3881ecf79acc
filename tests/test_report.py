"""reportlib.report: the KPI-result cache, parameters, commentary and formatting helpers."""
from __future__ import annotations

import pickle
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from reportlib import report


class _Company(SimpleNamespace):
    def has(self, name):
        return name in self.frames


def fake_result(path: Path, as_of: str = "2026-09", months: int = 3, **extra):
    company = _Company(path=path, slug=path.name, warnings=[], frames={"mrr": pd.DataFrame()},
                              sources={}, config=SimpleNamespace(name="Acme", currency="EUR", north_star=["arr"],
                                                                 stage="growth", gtm="sales-led", policies=None))
    kpis = pd.DataFrame([dict(kpi="arr", label="ARR", tier="north_star", value=1.2e6, unit="currency",
                              prior_value=1.0e6, change=0.2, benchmark="", status="", note="")])
    return SimpleNamespace(kpis=kpis, tables={}, company=company,
                           window=SimpleNamespace(as_of=pd.Period(as_of, "M"), months=months),
                           year_ago={"arr": 8e5}, narrative={"summary": ["ARR grew 20% to €1.2M."]},
                           alerts=[], notes=[], explanations=[], **extra)


@pytest.fixture
def company(tmp_path):
    d = tmp_path / "acme"
    d.mkdir()
    (d / "company.toml").write_text("[company]\nname='Acme'\ncurrency='EUR'\n")
    return d


def test_cache_hit_returns_the_pickled_result_without_computing(company, tmp_path, monkeypatch):
    out = tmp_path / "pack"
    res = fake_result(company)
    report.write_cache(res, out, company, "2026-09", "quarter", "", "")
    import reportlib.kpis as kpis_mod

    monkeypatch.setattr(kpis_mod, "compute_kpis", lambda *a, **k: pytest.fail("computed despite the cache"))
    got = report.load_report(str(company), "2026-09", "quarter", "", "", str(out))
    assert got.kpis.equals(res.kpis)
    # the default as-of ("") matches a cache written for a resolved month
    assert report.load_report(str(company), "", "quarter", "", "", str(out)) is not None


def test_bare_pickle_from_the_pack_runner_is_used_when_it_matches(company, tmp_path, monkeypatch):
    out = tmp_path / "pack"
    (out / "_cache").mkdir(parents=True)
    with open(out / "_cache" / "kpi_result.pkl", "wb") as f:
        pickle.dump(fake_result(company, segment=None, compare=None), f)
    import reportlib.kpis as kpis_mod

    monkeypatch.setattr(kpis_mod, "compute_kpis", lambda *a, **k: pytest.fail("computed despite the cache"))
    assert report.load_report(str(company), "2026-09", "quarter", "", "", str(out)).company.path == company


@pytest.mark.parametrize("change", [dict(as_of="2026-06"), dict(window="year"), dict(segment="segment=SMB"),
                                    dict(compare="segment=SMB,Enterprise")])
def test_cache_miss_on_other_parameters_computes(company, tmp_path, monkeypatch, change):
    out = tmp_path / "pack"
    report.write_cache(fake_result(company), out, company, "2026-09", "quarter", "", "")
    calls = []
    import reportlib.kpis as kpis_mod

    monkeypatch.setattr(kpis_mod, "compute_kpis", lambda *a, **k: calls.append((a, k)) or "computed")
    params = dict(as_of="2026-09", window="quarter", segment="", compare="") | change
    assert report.load_report(str(company), output_dir=str(out), **params) == "computed"
    (args, kwargs), = calls
    assert args[0] == str(company.resolve())
    assert kwargs["segment"] == report.parse_segment(params["segment"])
    assert kwargs["compare"] == report.parse_compare(params["compare"])


def test_no_output_dir_or_corrupt_cache_computes(company, tmp_path, monkeypatch):
    import reportlib.kpis as kpis_mod

    monkeypatch.setattr(kpis_mod, "compute_kpis", lambda *a, **k: "computed")
    assert report.load_report(str(company)) == "computed"
    out = tmp_path / "pack"
    (out / "_cache").mkdir(parents=True)
    (out / "_cache" / "kpi_result.pkl").write_bytes(b"not a pickle")
    assert report.load_report(str(company), output_dir=str(out)) == "computed"


def test_parameters_parse():
    assert report.parse_segment("segment=Enterprise") == ("segment", "Enterprise")
    assert report.parse_segment("") is None
    assert report.parse_compare("segment=SMB,Enterprise") == ("segment", ("SMB", "Enterprise"))
    from reportlib.exceptions import ParameterError

    with pytest.raises(ParameterError):
        report.parse_compare("segment=SMB")


def test_relative_company_dir_resolves_from_the_notebooks_folder(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert report.resolve_company_dir("../data/meridian") == (Path(report.__file__).resolve().parents[1]
                                                                / "data" / "meridian")


def test_commentary_is_split_by_section_heading(company):
    (company / "commentary.md").write_text(
        "# Executive summary\nA strong quarter.\n\n## Revenue quality\nSMB churn.\n\n## Unknown\nignored\n"
        "## KPI hierarchy and leading indicators\nPartner pipeline behind.\n")
    assert report.commentary(company, "summary") == "A strong quarter."
    assert report.commentary(company, "revenue_quality") == "SMB churn."
    assert report.commentary(company, "kpi_hierarchy") == "Partner pipeline behind."
    assert report.commentary(company, "appendix") == ""
    assert report.commentary(fake_result(company), "summary") == "A strong quarter."


def test_kpi_row_and_formatting(company):
    res = fake_result(company)
    assert report.kpi_row(res, "arr")["value"] == 1.2e6
    assert report.kpi_row(res, "nope")["note"] == "not computed"
    assert report.fmt_kpi(res, "arr") == "€1.2M"
    assert report.fmt_money(850_000, "USD") == "$850k"
    assert report.fmt_pct(0.85) == "85%"
    assert report.period_label(res) == "Q3 2026"
    assert report.headline(res, "summary", "x") == "ARR grew 20% to €1.2M"
    assert report.arr_bridge(res) == {"opening": 1.0e6, "closing": 1.2e6}
    html = report.kpi_table(res).to_html()
    assert "€1.2M" in html and "+20%" in html


def test_short_titles_cut_long_sentences_at_a_clause():
    long = "ARR grew 13% in the quarter to €1.5M (+77% vs a year ago); new business was 72% of the ARR added."
    assert report.short(long) == "ARR grew 13% in the quarter to €1.5M (+77% vs a year ago)"
    assert report.short("Short sentence.") == "Short sentence"
