"""[[overrides]] in company.toml: the analyst's value, the computed one and the reason kept,
and every KPI it feeds saying so."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from test_kpis import tiny_company

from reportlib.cli import main

OVERRIDE = """
[[overrides]]
kpi = "new_arr"
period = "2026Q1"
value = 900
reason = "A February deal was booked in March by the CRM; CFO confirmed"
"""


def _kpis(out: Path) -> pd.DataFrame:
    path = next(out.glob("tiny/*/kpis.csv"))
    return pd.read_csv(path, keep_default_na=False, na_values=[""]).set_index("kpi")


def test_an_override_keeps_both_values_and_the_reason(tmp_path: Path, capsys) -> None:
    company = tiny_company(tmp_path / "tiny")
    (company / "company.toml").write_text((company / "company.toml").read_text() + OVERRIDE)
    assert main(["kpis", str(company), "--as-of", "2026Q1", "--out", str(tmp_path / "out")]) == 0
    kpis = _kpis(tmp_path / "out")
    # C is new in 2026-02 at 50 a month: computed new ARR of Q1 = 50 * 12 = 600
    assert kpis.loc["new_arr", "value"] == 900 and kpis.loc["new_arr", "computed_value"] == 600
    assert kpis.loc["new_arr", "override_reason"].startswith("A February deal")
    assert "Overridden by the analyst" in kpis.loc["new_arr", "note"]
    for fed in ("arr", "net_new_arr", "quick_ratio"):  # new_arr's parents in the registry
        assert "Uses an overridden input (new_arr)" in kpis.loc[fed, "note"], fed
    assert pd.isna(kpis.loc["arr", "computed_value"]) and pd.isna(kpis.loc["arr", "override_reason"])  # blank cells
    # another quarter is not overridden
    assert main(["kpis", str(company), "--as-of", "2025-12", "--out", str(tmp_path / "q4")]) == 0
    assert _kpis(tmp_path / "q4")["override_reason"].isna().all()


def test_an_override_without_a_reason_is_refused(tmp_path: Path, capsys) -> None:
    company = tiny_company(tmp_path / "tiny")
    (company / "company.toml").write_text(
        (company / "company.toml").read_text() + '\n[[overrides]]\nkpi = "new_ar"\nperiod = "Q1"\nvalue = "lots"\n'
    )
    assert main(["validate", str(company)]) == 1
    out = capsys.readouterr().out
    for expected in ("Did you mean 'new_arr'", "overrides[1].period", "overrides[1].value", "overrides[1].reason"):
        assert expected in out, expected


def test_an_override_names_a_fiscal_quarter_as_the_pack_does(tmp_path: Path) -> None:
    # Tiny's fiscal year starts in October: FY2026 runs Oct 2025 - Sep 2026, so FY2026 Q2 is
    # Jan-Mar 2026, the quarter `--as-of FY2026Q2` reports. The analyst names it the same way.
    company = tiny_company(tmp_path / "tiny")
    toml = (company / "company.toml").read_text() + "\n[policies]\nfiscal_year_start_month = 10\n"
    (company / "company.toml").write_text(toml + OVERRIDE.replace('"2026Q1"', '"FY2026Q2"'))
    assert main(["kpis", str(company), "--as-of", "FY2026Q2", "--out", str(tmp_path / "out")]) == 0
    kpis = _kpis(tmp_path / "out")
    # by hand: C is new in 2026-02 at 50 a month -> computed new ARR of Jan-Mar 2026 = 600
    assert kpis.loc["new_arr", "value"] == 900 and kpis.loc["new_arr", "computed_value"] == 600
