"""`reportlib kpis DIR --as-of --window --out`: kpis.csv and tables/ with exact columns."""

from __future__ import annotations

import ast
import csv
import inspect
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from inputs_helpers import make
from test_kpis import DESIGN_TABLES, tiny_company

from conftest import SALES_LED
from reportlib import cli
from reportlib import registry as reg
from reportlib.cli import main
from reportlib.exceptions import InputError
from reportlib.inputs import load_company
from reportlib.kpis import KPI_COLUMNS, compute_kpis
from reportlib.kpis.builder import EXTRA_COLUMNS


@pytest.fixture(scope="module")
def meridian(tmp_path_factory) -> Path:
    if (SALES_LED / "company.toml").is_file():
        return SALES_LED
    from reportlib.demo import generate_demo_companies

    out = tmp_path_factory.mktemp("demo")
    generate_demo_companies(out)
    return out / "meridian"


@pytest.fixture(scope="module")
def quarter_run(meridian, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("kpis")
    assert main(["kpis", str(meridian), "--as-of", "2026Q3", "--window", "quarter", "--out", str(out)]) == 0
    return out / "meridian" / "2026-09"  # like `pack`: OUT/<company>/<as_of>/


def test_writes_kpis_csv_with_exact_columns(quarter_run):
    with open(quarter_run / "kpis.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == [*KPI_COLUMNS, *EXTRA_COLUMNS]  # DESIGN.md's columns first, in order
    assert [r[0] for r in rows[1:]] == reg.ids()
    for r in rows[1:]:
        value, note = r[3], r[9]
        assert value.lower() not in ("nan", "inf", "-inf", "none")
        if value == "":
            assert note, f"{r[0]} is blank without a note"
        else:
            float(value)


@pytest.mark.parametrize("table", sorted(DESIGN_TABLES))
def test_writes_design_tables(quarter_run, table):
    frame = pd.read_csv(quarter_run / "tables" / f"{table}.csv")
    assert list(frame.columns)[: len(DESIGN_TABLES[table])] == DESIGN_TABLES[table]


def test_writes_every_table_and_no_temp_files(quarter_run):
    names = {p.stem for p in (quarter_run / "tables").glob("*.csv")}
    assert {"revenue_tiers", "unit_economics", "funnel", "kpi_tree", "mrr_drivers", "arpa_drivers"} <= names
    assert not [p for p in quarter_run.rglob(".*") if p.is_file()]


def test_values_as_fractions(quarter_run):
    kpis = pd.read_csv(quarter_run / "kpis.csv").set_index("kpi")
    assert 0.5 < kpis.loc["nrr", "value"] < 2.0
    assert 0.0 < kpis.loc["gross_margin", "value"] < 1.0


def test_segment_run(meridian, tmp_path, capsys):
    assert (
        main(["kpis", str(meridian), "--as-of", "2026-09", "--segment", "segment=Enterprise", "--out", str(tmp_path)])
        == 0
    )
    kpis = pd.read_csv(tmp_path / "meridian" / "2026-09_segment-Enterprise" / "kpis.csv").set_index("kpi")
    assert "segment" in kpis.loc["cac", "note"]
    assert "Wrote" in capsys.readouterr().out


def test_bad_segment_exits_1(tmp_path, capsys):
    company = tiny_company(tmp_path / "tiny")
    assert main(["kpis", str(company), "--segment", "segment=Nowhere", "--out", str(tmp_path / "o")]) == 1
    assert "Nowhere" in capsys.readouterr().err


def test_as_of_outside_the_data_exits_1(tmp_path, capsys):
    company = tiny_company(tmp_path / "tiny")
    assert main(["kpis", str(company), "--as-of", "2030-01", "--out", str(tmp_path / "o")]) == 1
    assert "outside" in capsys.readouterr().err


def test_kpis_verb_does_not_load_the_pack_stack():
    """`reportlib kpis` writes CSV and XLSX only: the notebook, chart and PDF libraries the
    pack needs (some 2.5 CPU seconds of imports) stay unloaded."""
    verb = ast.parse(inspect.getsource(cli.kpis.callback).lstrip())
    modules = sorted({n.module for n in ast.walk(verb) if isinstance(n, ast.ImportFrom)})
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in modules + ["reportlib.cli"])
        + "heavy = {'matplotlib', 'nbconvert', 'papermill', 'pypdf', 'IPython'} & set(sys.modules)\n"
        + "print(sorted(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert modules and out.stdout.strip() == "[]", (modules, out.stdout, out.stderr)


# -- the whole-table checks run beside the KPIs (compute_kpis from a folder) ------------------
_MRR_TOML = '[inputs.mrr]\npath = "mrr.csv"\ncolumns = { customer_id = "Customer", month = "Month", mrr = "MRR" }\n'


def test_an_error_of_the_checks_run_beside_fails_the_run_like_a_load(tmp_path, capsys):
    """Customer a repeats 2024-02 (rows 2 and 3): the duplicate check, run on another thread
    while the KPIs are computed, fails the run with exactly the problems load_company
    raises, and nothing is written."""
    rows = "Customer,Month,MRR\na,2024-01,100\na,2024-02,100\na,2024-02,120\nb,2024-01,50\nb,2024-02,50\n"
    folder = make(tmp_path, _MRR_TOML, {"mrr.csv": rows})
    with pytest.raises(InputError) as loaded:
        load_company(folder)
    with pytest.raises(InputError) as computed:
        compute_kpis(folder)
    assert computed.value.problems == loaded.value.problems
    assert computed.value.warnings == loaded.value.warnings
    assert any("repeat customer_id a and month 2024-02" in p.message for p in computed.value.problems)
    assert main(["kpis", str(folder), "--out", str(tmp_path / "out")]) == 1
    assert "repeat" in capsys.readouterr().err
    assert not list((tmp_path / "out").glob("**/*.csv"))


def test_the_warnings_of_the_checks_run_beside_are_those_of_a_load(tmp_path):
    """b has MRR in 2024-01 only (a one-month customer, not in the last month) and a's MRR
    goes 100 -> 1,000 in 2024-03 (10x the month before: a jump): the same warnings, in the
    same order, as load_company gives."""
    rows = (
        "Customer,Month,MRR\na,2024-01,100\na,2024-02,100\na,2024-03,1000\nb,2024-01,50\n"
        "c,2024-01,10\nc,2024-02,10\nc,2024-03,10\n"
    )
    folder = make(tmp_path, _MRR_TOML, {"mrr.csv": rows})
    loaded = load_company(folder).warnings
    computed = compute_kpis(folder).company.warnings
    assert computed == loaded
    assert any("only one month" in p.message for p in loaded) and any("10x" in p.message for p in loaded)


def test_kpis_counts_the_input_warnings_it_does_not_list(tmp_path, capsys):
    # Contracts whose start dates are all the 1st (01/02/2024): no date shows day or month
    # first, so validate warns once per date column (start_date, end_date): 2 warnings, which
    # `kpis` used to keep to itself while printing month-first figures.
    folder = make(
        tmp_path,
        '[inputs.contracts]\npath = "c.csv"\n'
        'defaults = { revenue_type = "contracted_recurring", billing = "monthly" }\n',
        {
            "c.csv": "contract_id,customer_id,start_date,end_date,mrr\n"
            "C1,a,01/02/2024,01/06/2024,100\nC2,b,01/03/2024,01/09/2024,75\n"
        },
    )
    assert main(["kpis", str(folder), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert f"2 input warnings: run reportlib validate {folder} to see them" in out
    # Said on purpose (dayfirst = true), nothing is left to warn about: no line.
    toml = folder / "company.toml"
    toml.write_text(toml.read_text() + "dayfirst = true\n")
    assert main(["kpis", str(folder), "--out", str(tmp_path / "out")]) == 0
    assert "input warning" not in capsys.readouterr().out
