"""reportlib.deck.report: the KPI-result cache, parameters, commentary and formatting helpers."""

from __future__ import annotations

import pickle
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from reportlib import format as F
from reportlib.deck import report


class _Company(SimpleNamespace):
    def has(self, name):
        return name in self.frames


def fake_result(path: Path, as_of: str = "2026-09", months: int = 3, **extra):
    company = _Company(
        path=path,
        slug=path.name,
        warnings=[],
        frames={"mrr": pd.DataFrame()},
        sources={},
        config=SimpleNamespace(
            name="Acme", currency="EUR", north_star=["arr"], stage="growth", gtm="sales-led", policies=None
        ),
    )
    kpis = pd.DataFrame(
        [
            dict(
                kpi="arr",
                label="ARR",
                tier="north_star",
                value=1.2e6,
                unit="currency",
                prior_value=1.0e6,
                change=0.2,
                benchmark="",
                status="",
                note="",
            )
        ]
    )
    return SimpleNamespace(
        kpis=kpis,
        tables={},
        company=company,
        window=SimpleNamespace(as_of=pd.Period(as_of, "M"), months=months),
        year_ago={"arr": 8e5},
        narrative={"summary": ["ARR grew 20% to €1.2M."]},
        alerts=[],
        notes=[],
        explanations=[],
        **extra,
    )


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


@pytest.mark.parametrize(
    "change",
    [dict(as_of="2026-06"), dict(window="year"), dict(segment="segment=SMB"), dict(compare="segment=SMB,Enterprise")],
)
def test_cache_miss_on_other_parameters_computes(company, tmp_path, monkeypatch, change):
    out = tmp_path / "pack"
    report.write_cache(fake_result(company), out, company, "2026-09", "quarter", "", "")
    calls = []
    import reportlib.kpis as kpis_mod

    monkeypatch.setattr(kpis_mod, "compute_kpis", lambda *a, **k: calls.append((a, k)) or "computed")
    params = dict(as_of="2026-09", window="quarter", segment="", compare="") | change
    assert report.load_report(str(company), output_dir=str(out), **params) == "computed"
    ((args, kwargs),) = calls
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
    assert report.resolve_company_dir("../data/meridian") == (
        Path(report.__file__).resolve().parents[2] / "data" / "meridian"
    )


def test_commentary_is_split_by_section_heading(company):
    (company / "commentary.md").write_text(
        "# Executive summary\nA strong quarter.\n\n## Revenue quality\nSMB churn.\n\n## Unknown\nignored\n"
        "## KPI hierarchy and leading indicators\nPartner pipeline behind.\n"
    )
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
    assert F.money(850_000, "USD") == "$850k"
    assert F.percent(0.85) == "85%"
    assert report.period_label(res) == "Q3 2026"
    assert report.headline(res, "summary", "x") == "ARR grew 20% to €1.2M"
    assert report.arr_bridge(res) == {"opening": 1.0e6, "closing": 1.2e6}
    html = report.kpi_table(res).to_html()
    assert "€1.2M" in html and "+20%" in html


def test_short_titles_cut_long_sentences_at_a_clause():
    long = "ARR grew 13% in the quarter to €1.5M (+77% vs a year ago); new business was 72% of the ARR added."
    assert report.short(long) == "ARR grew 13% in the quarter to €1.5M (+77% vs a year ago)"
    assert report.short("Short sentence.") == "Short sentence"


# --- the two-segment comparison ------------------------------------------------------------
def _compare_result(company):
    """A result shaped like compute_kpis(..., compare=("segment", ("SMB", "Enterprise")))."""
    kpis = pd.DataFrame(
        [
            dict(
                kpi="arr",
                label="ARR",
                unit="currency",
                SMB=1.28e6,
                Enterprise=1.26e7,
                difference=1.13e7,
                status_SMB="",
                status_Enterprise="",
                note_SMB="",
                note_Enterprise="",
                dimension="segment",
            ),
            dict(
                kpi="nrr",
                label="Net revenue retention",
                unit="ratio",
                SMB=0.67,
                Enterprise=1.15,
                difference=0.48,
                status_SMB="red",
                status_Enterprise="green",
                note_SMB="",
                note_Enterprise="",
                dimension="segment",
            ),
            dict(
                kpi="quick_ratio",
                label="Quick ratio",
                unit="multiple",
                SMB=2.7,
                Enterprise=float("nan"),
                difference=float("nan"),
                status_SMB="red",
                status_Enterprise="",
                note_SMB="",
                note_Enterprise="no churn or contraction in the period",
                dimension="segment",
            ),
            dict(
                kpi="cac",
                label="CAC",
                unit="currency",
                SMB=float("nan"),
                Enterprise=float("nan"),
                difference=float("nan"),
                status_SMB="",
                status_Enterprise="",
                note_SMB="company-wide",
                note_Enterprise="company-wide",
                dimension="segment",
            ),
            dict(
                kpi="grr",
                label="Gross revenue retention",
                unit="ratio",
                SMB=0.64,
                Enterprise=0.96,
                difference=0.32,
                status_SMB="",
                status_Enterprise="",
                note_SMB="",
                note_Enterprise="",
                dimension="segment",
            ),
        ]
    )

    def cohorts(seg, slope):
        return [
            dict(cohort=c, age_months=a, value=1 + slope * a, segment=seg)
            for c in ("<=2025-01", "2025-02", "2025-03")
            for a in range(6)
        ]

    nrr = pd.DataFrame(cohorts("SMB", -0.05) + cohorts("Enterprise", 0.02))
    logo = pd.DataFrame(cohorts("SMB", -0.04) + cohorts("Enterprise", 0.0))
    res = fake_result(company, compare=("segment", ("SMB", "Enterprise")))
    res.tables = {
        "compare_kpis": kpis,
        "compare_cohorts_nrr": nrr,
        "compare_cohorts_logo": logo,
        "compare_cohorts_grr": logo.copy(),
    }
    return res


def test_compare_pack_wires_compare_kpis_and_compare_cohorts(company):
    import matplotlib

    matplotlib.use("Agg")
    from reportlib.deck import charts

    res = _compare_result(company)
    assert report.has_compare(res)
    assert report.compare_segments(res, "segment=SMB,Enterprise") == ["SMB", "Enterprise"]
    assert report.compare_segments(res) == ["SMB", "Enterprise"]  # from the result itself
    t = report.compare_table(res)
    # the page's KPIs in their order; a KPI blank for both segments (CAC) is left out
    assert list(t["kpi"]) == ["arr", "nrr", "grr", "quick_ratio"]
    assert report.compare_title(res) == "SMB vs Enterprise: NRR 67% vs 115%, ARR €1.3M vs €12.6M"
    assert report.compare_cohorts_title(res).startswith("SMB vs Enterprise cohorts: GRR 64% vs 96%")

    ax = charts.segment_compare(t, report.compare_segments(res), "EUR")  # axes-level: its Axes
    texts = " | ".join(x.get_text() for x in ax.texts)
    assert "No comparison" not in texts
    assert "€1.3M" in texts and "€12.6M" in texts and "115%" in texts
    assert "no churn or contraction" in texts  # a blank value says why
    matplotlib.pyplot.close(ax.figure)

    cohorts = report.compare_cohorts(res)
    assert list(cohorts) == ["nrr", "logo"]
    fig = charts.cohort_compare(cohorts, ["SMB", "Enterprise"])
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert titles == [
        "SMB: net revenue retention",
        "Enterprise: net revenue retention",
        "SMB: logo retention",
        "Enterprise: logo retention",
    ]
    assert all(len(ax.lines) >= 3 for ax in fig.axes)  # one curve per cohort (+ the 100% line)
    matplotlib.pyplot.close(fig)


def test_no_comparison_tables_means_no_compare_page(company):
    res = fake_result(company)
    assert not report.has_compare(res)
    assert report.compare_cohorts(res) == {}


def test_kpi_tree_title_is_generated_from_the_north_star_statuses(company):
    res = fake_result(company)
    res.company.config.north_star = ["arr", "nrr", "burn_multiple", "cac_payback_months"]
    res.kpis = pd.DataFrame(
        [
            dict(kpi="arr", label="ARR", tier="north_star", value=1.2e6, unit="currency", status=""),
            dict(kpi="nrr", label="Net revenue retention", tier="north_star", value=1.04, unit="ratio", status="green"),
            dict(
                kpi="burn_multiple",
                label="Burn multiple",
                tier="north_star",
                value=1.6,
                unit="multiple",
                status="amber",
            ),
            dict(
                kpi="cac_payback_months",
                label="CAC payback",
                tier="north_star",
                value=17.0,
                unit="months",
                status="amber",
            ),
        ]
    ).assign(prior_value=float("nan"), change=float("nan"), benchmark="", note="")
    assert report.kpi_tree_title(res) == "KPI tree: Burn multiple and CAC payback are amber; NRR green"
    res.kpis.loc[res.kpis["kpi"] == "burn_multiple", "status"] = "red"
    assert report.kpi_tree_title(res) == "KPI tree: Burn multiple is red; CAC payback amber; NRR green"


def test_engagement_page_title_and_presence(company):
    res = fake_result(company)
    assert not report.has_engagement(res)
    res.kpis = pd.concat(
        [
            res.kpis,
            pd.DataFrame(
                [
                    dict(
                        kpi="dau_mau",
                        label="DAU/MAU",
                        tier="granular",
                        value=0.2647,
                        unit="ratio",
                        prior_value=float("nan"),
                        change=float("nan"),
                        benchmark="",
                        status="",
                        note="",
                    ),
                    dict(
                        kpi="nps",
                        label="NPS",
                        tier="granular",
                        value=29.23,
                        unit="score",
                        prior_value=-10.0,
                        change=39.23,
                        benchmark="",
                        status="",
                        note="",
                    ),
                ]
            ),
        ],
        ignore_index=True,
    )
    assert report.has_engagement(res)
    assert report.engagement_title(res) == "Product usage and NPS: DAU/MAU 26%, NPS 29 (+39 vs prior quarter)"
    assert list(report.engagement_kpis(res)["kpi"]) == ["dau_mau", "nps"]


def test_table_headers_keep_acronyms():
    assert report.header("kpi") == "KPI"
    assert report.header("new_arr") == "New ARR"
    assert report.header("cohort_cac") == "Cohort CAC"
    assert report.header("definition") == "Definition"
    html = report.styled(pd.DataFrame({"kpi": ["ARR"], "definition": ["12 x MRR"], "benchmark": [""]})).to_html()
    assert ">KPI<" in html and ">Kpi<" not in html


# --- the pack's generated page titles ---------------------------------------------------------
def _row(kpi, value, unit="ratio", status="", note="", prior=float("nan")):
    return dict(
        kpi=kpi,
        label=report._label(kpi),
        tier="diagnostic",
        value=value,
        unit=unit,
        prior_value=prior,
        change=float("nan"),
        benchmark="",
        status=status,
        note=note,
    )


def test_segment_pack_titles_name_the_segment(company):
    res = fake_result(company, segment=("segment", "Enterprise"))
    assert report.summary_title(res) == "Enterprise: ARR grew 20% to €1.2M"
    assert report.page_title(fake_result(company), "ARR grew") == "ARR grew"


def test_quick_ratio_title_counts_the_quarters_below_green(company):
    drivers = pd.DataFrame(dict(period=["2026Q1", "2026Q2", "2026Q3"], status=["green", "amber", "red"]))
    res = fake_result(
        company,
    )
    res.tables["mrr_drivers"] = drivers
    res.kpis = pd.concat([res.kpis, pd.DataFrame([_row("quick_ratio", 4.2, "multiple")])], ignore_index=True)
    # amber + red = 2 of 3
    assert report.quick_ratio_title(res) == (
        "Quick ratio 4.2x: MRR added per MRR lost; 2 of the last 3 quarters below green"
    )


def test_net_negative_churn_is_named_and_blank_kpis_are_grouped_by_reason(company, monkeypatch):
    res = fake_result(company)
    note = "segment pack segment=SMB: financials are company-wide"
    res.kpis = pd.concat(
        [
            res.kpis,
            pd.DataFrame(
                [
                    _row("net_mrr_churn_rate", -0.017),
                    _row("burn_multiple", float("nan"), "multiple", note=note),
                    _row("cac", float("nan"), "currency", note=note),
                ]
            ),
        ],
        ignore_index=True,
    )
    html = report.pack_kpi_table(res).to_html()
    assert "(net negative churn)" in html
    assert "Burn multiple" not in html  # blank rows leave the table ...
    shown = []
    monkeypatch.setattr(report, "note", shown.append)
    report.blank_kpi_notes(res)
    # ... and appear once, with the note that says why
    assert shown == [f"Left blank: CAC and Burn multiple ({note})."]  # in the table's order


def test_sensitivity_title_states_the_widest_range(company):
    res = fake_result(company)
    res.tables["sensitivity"] = pd.DataFrame(
        dict(
            kpi=["ltv_cac"] * 2 + ["arr"] * 2,
            policy=["ltv_churn_basis"] * 2 + ["mrr_includes_uncontracted"] * 2,
            policy_value=["period", "monthly", "false", "true"],
            kpi_value=[5.6, 3.1, 1.0e6, 1.01e6],
            in_force=[True, False, True, False],
        )
    )
    # LTV:CAC spreads (5.6 - 3.1) / 5.6 = 45%, ARR 1%: the LTV:CAC range is the title
    assert report.sensitivity_title(res) == "LTV:CAC 3.1x to 5.6x depending on the churn basis; 5.6x as reported"
