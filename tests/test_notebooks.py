"""Section notebooks: structure (parameters cell, no outputs, python3 kernel, no arithmetic)
and real runs through papermill for both demo companies, a segment and a comparison."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

import nbformat
import pytest

from conftest import DATA, PRODUCT_LED, ROOT, SALES_LED

NOTEBOOKS = ROOT / "notebooks"
SECTIONS = [
    "00_cover",
    "01_summary",
    "02_revenue_quality",
    "03_unit_economics",
    "04_cohort_economics",
    "05_kpi_hierarchy",
    "06_appendix",
]
PARAMETERS = {"company_dir", "as_of", "window", "segment", "compare", "output_dir"}


def _nb(name):
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


def test_every_section_has_a_notebook():
    assert sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")) == SECTIONS


@pytest.mark.parametrize("name", SECTIONS)
def test_notebook_structure(name):
    nb = _nb(name)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    first = code[0]
    assert "parameters" in first.metadata.get("tags", [])
    assigned = {
        t.id
        for node in ast.parse(first.source).body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    assert assigned == PARAMETERS
    assert 'company_dir = "../data/meridian"' in first.source  # runs interactively from notebooks/
    for c in code:
        assert c.outputs == [] and c.execution_count is None, f"{name}: stored outputs"


def _numeric(node):
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool)


@pytest.mark.parametrize("name", SECTIONS)
def test_notebooks_do_no_arithmetic(name):
    """Library calls and charts only: no binary or unary arithmetic, no augmented
    assignment, no comparisons of numbers (layout sizes passed as literals are fine)."""
    for cell in _nb(name).cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            assert not isinstance(node, (ast.BinOp, ast.AugAssign)), (
                f"{name}: arithmetic in a cell: {ast.unparse(node)}"
            )
            if isinstance(node, ast.UnaryOp) and not _numeric(node.operand):
                assert isinstance(node.op, ast.Not), f"{name}: {ast.unparse(node)}"
            if isinstance(node, ast.Compare):
                pytest.fail(f"{name}: comparison in a cell: {ast.unparse(node)}")


def test_page_titles_start_pages():
    """Every page cell shows a level-2 heading (the exporter breaks pages there)."""
    for name in SECTIONS[1:]:
        pages = [c for c in _nb(name).cells[2:] if c.cell_type == "code"]
        assert pages
        for c in pages:
            # a cell of notes only ("this needs a ... file") adds no page
            notes_only = "report.missing_notes(" in c.source
            assert "report.page(" in c.source or "report.title(" in c.source or notes_only, c.source


# --- real runs ---------------------------------------------------------------------------
RUNS = {
    "meridian": dict(company=SALES_LED),
    "loopwise": dict(company=PRODUCT_LED),
    "meridian-enterprise": dict(company=SALES_LED, segment="segment=Enterprise"),
    "meridian-compare": dict(company=SALES_LED, compare="segment=SMB,Enterprise"),
}


@pytest.fixture(scope="module")
def cached_results(tmp_path_factory):
    """One KPI computation per run, cached as the pack runner does, so that each notebook
    run only pays for its kernel and its charts."""
    from reportlib.deck import report

    out = {}
    for key, run in RUNS.items():
        if not (run["company"] / "company.toml").is_file():
            continue
        folder = tmp_path_factory.mktemp(key)
        seg, cmp_ = run.get("segment", ""), run.get("compare", "")
        result = report.load_report(str(run["company"]), "", "quarter", seg, cmp_)
        report.write_cache(result, folder, run["company"], "", "quarter", seg, cmp_)
        out[key] = folder
    return out


# Every section for each company and the segment; the comparison is drawn by the growth
# section (the two segments' KPIs, early in the pack) and the cohort section, so those are
# the ones the compare run needs.
NOTEBOOK_RUNS = [
    (run, name)
    for run in RUNS
    for name in SECTIONS
    if "compare" not in RUNS[run] or name in ("02_revenue_quality", "04_cohort_economics")
]


@pytest.fixture(scope="module")
def kept_kernel():
    """The notebook runs of this module share one kernel per test worker, reset between
    notebooks, as a pack's workers do (``run_section(..., reuse_kernel=True)``: papermill
    on a kept kernel), so that each run pays for its charts, not for a kernel's start; it
    ends with the module. The nbval test below runs each notebook in a fresh kernel, as an
    analyst opens it."""
    from reportlib.render import run as runner

    yield runner.run_section
    runner.release_kernel()


@pytest.mark.notebooks
@pytest.mark.parametrize("run,name", NOTEBOOK_RUNS)
def test_notebook_runs_with_papermill(name, run, cached_results, kept_kernel, tmp_path):
    spec = RUNS[run]
    if run not in cached_results:
        pytest.skip(f"{spec['company']} is absent")
    folder = cached_results[run]
    params = {
        "company_dir": str(spec["company"]),
        "as_of": "",
        "window": "quarter",
        "segment": spec.get("segment", ""),
        "compare": spec.get("compare", ""),
        "output_dir": str(folder),
    }
    out = tmp_path / f"{name}.ipynb"
    section = kept_kernel(NOTEBOOKS / f"{name}.ipynb", out, params, reuse_kernel=True)
    assert section.ok, section.error
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    # page titles are escaped HTML headings (report.title / report.page; the cover's is level 1)
    shown = "\n".join(str(o.get("data", {}).get(kind, "")) for o in outputs for kind in ("text/html", "text/markdown"))
    assert "<h2>" in shown or "<h1>" in shown, "no page title shown"  # the cover: <h1>


@pytest.mark.notebooks
@pytest.mark.slow
def test_nbval_lax_runs_the_notebooks_with_their_defaults():
    """`pytest --nbval-lax notebooks/`: each notebook runs as an analyst opens it (from
    notebooks/, default parameters pointing at the sales-led demo company)."""
    if not (DATA / "meridian" / "company.toml").is_file():
        pytest.skip("demo data absent")
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--nbval-lax",
            "-o",
            "addopts=",
            "--rootdir",
            str(NOTEBOOKS),
            *[str(NOTEBOOKS / f"{n}.ipynb") for n in SECTIONS],
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
