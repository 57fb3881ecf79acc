"""Printed sections reused while nothing they read changed (reportlib.render.reuse, and the
pack's steps around it).

The story: an analyst packs Fixture Co with three sections (one shows a table the analyst
keeps beside the inputs, ``plan.txt``; one shows the commentary's risks; one shows a fixed
page), then edits the highlights, then the risks, then the plan. Each pack must show exactly
what a pack from scratch shows, and run only the sections whose reads changed.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

import reportlib.pack as pack
from conftest import chromium_available
from reportlib._store import Mode, file_digest
from reportlib.render import reuse
from reportlib.session import Session

needs_chromium = pytest.mark.skipif(not chromium_available(), reason="no Chromium installed")
PARAMETERS = 'company_dir = ""\nas_of = ""\nwindow = "quarter"\nsegment = ""\ncompare = ""\noutput_dir = ""'
COMMENTARY = "## Highlights\n\nARR grew.\n\n## Risks\n\nOne customer is half of ARR.\n"


def _record(files: list[tuple[Path, str]] = ()) -> str:
    return json.dumps({"version": 1, "commentary": [], "files": [[str(p), sha] for p, sha in files], "folders": []})


def test_a_section_is_kept_and_given_back_only_as_the_mode_allows(tmp_path: Path) -> None:
    nb = tmp_path / "01_x.ipynb"
    nb.write_text("{}")
    key = reuse.section_key(nb, ("context", 1))
    assert key == reuse.section_key(nb, ("context", 1)) != reuse.section_key(nb, ("context", 2))

    reuse.keep(key, Mode.OFF, _record(), b"notebook", b"%PDF")  # --no-cache: nothing stored
    assert reuse.reusable(key, Mode.USE) is None
    reuse.keep(key, Mode.USE, None, b"notebook", b"%PDF")  # reads unknown: never stored
    assert reuse.reusable(key, Mode.USE) is None

    reuse.keep(key, Mode.REFRESH, _record(), b"notebook", b"%PDF")  # --force stores what ran
    stored = reuse.reusable(key, Mode.USE)
    assert (stored.notebook, stored.pdf) == (b"notebook", b"%PDF")
    assert reuse.reusable(key, Mode.REFRESH) is None and reuse.reusable(key, Mode.OFF) is None

    nb.write_text('{"edited": 1}')  # another notebook: another key
    assert reuse.reusable(reuse.section_key(nb, ("context", 1)), Mode.USE) is None


def test_a_stored_section_whose_reads_changed_is_not_reused(tmp_path: Path) -> None:
    nb, plan = tmp_path / "01_x.ipynb", tmp_path / "plan.txt"
    nb.write_text("{}")
    plan.write_text("old")
    key = reuse.section_key(nb, "context")
    reuse.keep(key, Mode.USE, _record([(plan, file_digest(plan))]), b"nb", b"%PDF")
    assert reuse.reusable(key, Mode.USE) is not None
    plan.write_text("new")
    assert reuse.reusable(key, Mode.USE) is None


@pytest.mark.parametrize(
    "code, plain",
    [
        ("from reportlib.deck import charts, report\nimport matplotlib.pyplot as plt\nfrom pathlib import Path", True),
        ("from IPython.display import Markdown, display\nimport json, csv", True),
        ("import pandas as pd", False),  # pd.read_parquet reads in native code: unseen
        ("import duckdb", False),
        ("from datetime import date", False),  # the clock: a page of today is not reusable
        ("!ls", False),
        ("%time 1 + 1", False),
        ("__import__('os').system('true')", False),
        ("exec('import os')", False),
        ("from . import mine", False),
    ],
)
def test_only_plain_notebooks_are_kept(tmp_path: Path, code: str, plain: bool) -> None:
    assert reuse.plain_notebook(_notebook(tmp_path / "01_x.ipynb", code)) is plain


def test_a_notebook_is_judged_plain_without_nbformat_s_schema_validator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # compiling the validator took 0.03 s of the pack's main process before its first
    # notebook could start; a version 4 notebook is read as JSON (its lines joined)
    def no_validator(*args, **kwargs):
        raise AssertionError("the schema validator was asked for")

    code = "from reportlib.deck import charts\nimport json\n\nprint(json.dumps(1))"
    plain, other = _notebook(tmp_path / "01_x.ipynb", code), _notebook(tmp_path / "02_y.ipynb", code + "\nimport os")
    assert isinstance(json.loads(plain.read_text())["cells"][0]["source"], list)  # lines, as Jupyter writes them
    monkeypatch.setattr(nbformat.validator, "get_validator", no_validator)
    assert reuse.plain_notebook(plain) is True
    assert reuse.plain_notebook(other) is False


def test_an_older_notebook_format_is_converted_to_be_judged(tmp_path: Path) -> None:
    from nbformat import v3

    for name, code, plain in (("01_old.ipynb", "import json", True), ("02_old.ipynb", "import os", False)):
        old = v3.new_notebook(worksheets=[v3.new_worksheet(cells=[v3.new_code_cell(input=code)])])
        path = tmp_path / name
        path.write_text(nbformat.writes(old, version=3), encoding="utf-8")
        assert json.loads(path.read_text())["nbformat"] == 3
        assert reuse.plain_notebook(path) is plain


def test_the_built_in_sections_are_plain() -> None:
    assert pack.section_notebooks() and all(reuse.plain_notebook(nb) for nb in pack.section_notebooks())


def _notebook(path: Path, code: str) -> Path:
    nb = new_notebook(
        cells=[new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}), new_code_cell(code)],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )
    nbformat.write(nb, str(path))
    return path


@pytest.fixture()
def sections(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    show = "from IPython.display import Markdown, display\n"
    return [
        _notebook(
            folder / "01_plan.ipynb",
            show + "from pathlib import Path\n"
            'display(Markdown("## The plan\\n\\n" + Path(company_dir, "plan.txt").read_text()))',
        ),
        _notebook(
            folder / "02_risks.ipynb",
            show + "from reportlib.deck import report\n"
            "result = report.load_report(company_dir, as_of, window, segment, compare, output_dir)\n"
            'display(Markdown("## Risks\\n\\n" + report.commentary(result, "risks")))',
        ),
        _notebook(folder / "03_fixed.ipynb", show + 'display(Markdown("## A fixed page\\n\\nNothing to read."))'),
    ]


def _text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def _pack(company: Path, out: Path, sections: list[Path], session: Session) -> tuple[list[str], str]:
    made = pack.build_pack(company, out=out, notebooks=sections, session=session)
    assert not made.skipped
    manifest = json.loads(made.manifest.read_text())
    scratch = pack.build_pack(
        company, out=out.with_name(out.name + "-scratch"), notebooks=sections, cache=False, force=True, session=session
    )
    assert _text(made.pdf) == _text(scratch.pdf)  # exactly what a pack from scratch shows
    return manifest["reused_sections"], _text(made.pdf)


@pytest.mark.chromium
@pytest.mark.slow
@needs_chromium
def test_only_sections_whose_reads_changed_run_again(pack_company: Path, tmp_path: Path, sections) -> None:
    """In a Session (``reportlib pack --watch``, a portfolio worker): warm kernels, quick packs."""
    (pack_company / "plan.txt").write_text("Hire two sellers.")
    (pack_company / "commentary.md").write_text(COMMENTARY)
    out = tmp_path / "reports"
    with Session(2, len(sections)) as session:
        _story(pack_company, tmp_path, out, sections, session)


def _story(company: Path, tmp_path: Path, out: Path, sections: list[Path], session: Session) -> None:
    reused, text = _pack(company, out, sections, session)
    assert reused == [] and "Hire two sellers." in text and "One customer is half of ARR." in text
    manifest = json.loads((out / "fixture-co" / "2026-09" / "manifest.json").read_text())
    assert [f[0] for f in manifest["reads"]["01_plan"]["files"]] == [str(company / "plan.txt")]
    assert [c[3] for c in manifest["reads"]["02_risks"]["commentary"]] == ["risks"]
    # the reused section's notebook points at the pack's folder, as one that ran
    assert ".staging-" not in (out / "fixture-co" / "2026-09" / "notebooks" / "01_plan.ipynb").read_text()

    (company / "commentary.md").write_text(COMMENTARY.replace("ARR grew.", "ARR grew 40%."))
    reused, _ = _pack(company, out, sections, session)  # no section shows the highlights
    assert reused == ["01_plan", "02_risks", "03_fixed"]

    (company / "commentary.md").write_text(COMMENTARY.replace("half of ARR", "a third of ARR"))
    reused, text = _pack(company, out, sections, session)
    assert reused == ["01_plan", "03_fixed"] and "One customer is a third of ARR." in text

    # plan.txt is no input of the company: the pack is remade because a section read it
    (company / "plan.txt").write_text("Hire three sellers.")
    reused, text = _pack(company, out, sections, session)
    assert reused == ["02_risks", "03_fixed"] and "Hire three sellers." in text
    assert pack.build_pack(company, out=out, notebooks=sections, session=session).skipped

    forced = pack.build_pack(company, out=out, notebooks=sections, force=True, session=session)
    assert json.loads(forced.manifest.read_text())["reused_sections"] == []

    # without the store as well: the pack is skipped unless a file a section read changed
    plain = tmp_path / "plain"
    assert not pack.build_pack(company, out=plain, notebooks=sections, cache=False, session=session).skipped
    assert pack.build_pack(company, out=plain, notebooks=sections, cache=False, session=session).skipped
    (company / "plan.txt").write_text("Hire four sellers.")
    again = pack.build_pack(company, out=plain, notebooks=sections, cache=False, session=session)
    assert not again.skipped and "Hire four sellers." in _text(again.pdf)


@pytest.mark.chromium
@pytest.mark.slow
@needs_chromium
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_pack_with_kernels_of_its_own_reuses_sections_too(pack_company: Path, tmp_path: Path, sections, jobs) -> None:
    """A one-off ``reportlib pack``: its own pool's kernels, or for one job this thread's kept
    kernel, record the reads as well."""
    (pack_company / "plan.txt").write_text("Hire two sellers.")
    (pack_company / "commentary.md").write_text(COMMENTARY)
    out = tmp_path / "reports"
    first = pack.build_pack(pack_company, out=out, notebooks=sections, jobs=jobs)
    assert json.loads(first.manifest.read_text())["reused_sections"] == []
    (pack_company / "commentary.md").write_text(COMMENTARY.replace("half of ARR", "a third of ARR"))
    again = pack.build_pack(pack_company, out=out, notebooks=sections, jobs=jobs)
    assert json.loads(again.manifest.read_text())["reused_sections"] == ["01_plan", "03_fixed"]
    assert "One customer is a third of ARR." in _text(again.pdf)


def _warm_ups(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The kernels each pack warms ahead, one entry per pack that warms any."""
    warmed: list[int] = []
    real_warm_up = pack.warm_up
    monkeypatch.setattr(pack, "warm_up", lambda pool, workers: warmed.append(workers) or real_warm_up(pool, workers))
    return warmed


def _plan_and_commentary(company: Path) -> None:
    (company / "plan.txt").write_text("Hire two sellers.")
    (company / "commentary.md").write_text(COMMENTARY)


@pytest.mark.chromium
@pytest.mark.slow
@needs_chromium
def test_a_re_run_whose_kpis_are_stored_warms_none_of_the_workers_asked_for_ahead(
    pack_company: Path, tmp_path: Path, sections, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kernels warm up beside the KPI computation; a re-run whose KPIs come from the store
    (an edit of the commentary) on the two workers asked for starts a kernel only for a
    section that runs."""
    from reportlib.inputs import load_company
    from reportlib.kpis.builder import is_stored

    warmed = _warm_ups(monkeypatch)
    _plan_and_commentary(pack_company)
    out = tmp_path / "reports"
    company = load_company(pack_company, cache=Mode.USE)
    assert not is_stored(company, "2026-09")

    pack.build_pack(pack_company, out=out, notebooks=sections, jobs=2)  # the first pack
    assert warmed == [2] and is_stored(company, "2026-09") and not is_stored(company, "2026-09", cache=Mode.REFRESH)
    (pack_company / "commentary.md").write_text(COMMENTARY.replace("half of ARR", "a third of ARR"))
    again = pack.build_pack(pack_company, out=out, notebooks=sections, jobs=2)
    assert warmed == [2] and json.loads(again.manifest.read_text())["reused_sections"] == ["01_plan", "03_fixed"]
    assert "One customer is a third of ARR." in _text(again.pdf)

    (pack_company / "mrr.csv").write_text((pack_company / "mrr.csv").read_text().replace("120", "125"))
    pack.build_pack(pack_company, out=out, notebooks=sections, jobs=2)  # new data: KPIs computed
    assert warmed == [2, 2]


@pytest.mark.chromium
@pytest.mark.slow
@needs_chromium
def test_a_re_run_warms_its_one_kernel_ahead_and_runs_its_sections_there(
    pack_company: Path, tmp_path: Path, sections, monkeypatch: pytest.MonkeyPatch
) -> None:
    """By default a pack warms one kernel ahead (one per core, less the pack's own), whether
    its KPIs compute or come from the store: the re-run's section runs on that kernel."""
    monkeypatch.setattr(pack.processes, "default_jobs", lambda: 2)  # the pack_workers of two cores: one
    warmed = _warm_ups(monkeypatch)
    _plan_and_commentary(pack_company)
    out = tmp_path / "reports"
    pack.build_pack(pack_company, out=out, notebooks=sections)  # the first pack: KPIs computed
    (pack_company / "commentary.md").write_text(COMMENTARY.replace("half of ARR", "a third of ARR"))
    again = pack.build_pack(pack_company, out=out, notebooks=sections)  # KPIs from the store
    assert warmed == [1, 1]
    assert json.loads(again.manifest.read_text())["reused_sections"] == ["01_plan", "03_fixed"]
    assert "One customer is a third of ARR." in _text(again.pdf)


@pytest.mark.chromium
@pytest.mark.slow
@needs_chromium
def test_a_re_run_whose_every_page_is_reused_ends_its_kernel_warmed_ahead_at_once(
    pack_company: Path, tmp_path: Path, sections, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edit no section shows (the highlights): every page comes from the store, and the
    kernel warmed ahead for nothing is ended at once (killed), not waited for politely."""
    monkeypatch.setattr(pack.processes, "default_jobs", lambda: 2)
    warmed = _warm_ups(monkeypatch)
    ended: list[object] = []
    real_end = pack.processes.end_pool
    monkeypatch.setattr(pack.processes, "end_pool", lambda pool: ended.append(pool) if pool else real_end(pool))
    _plan_and_commentary(pack_company)
    out = tmp_path / "reports"
    pack.build_pack(pack_company, out=out, notebooks=sections)
    assert warmed == [1] and ended == []  # its section ran: the pool ended politely
    (pack_company / "commentary.md").write_text(COMMENTARY.replace("ARR grew.", "ARR grew fast."))
    again = pack.build_pack(pack_company, out=out, notebooks=sections)
    assert json.loads(again.manifest.read_text())["reused_sections"] == ["01_plan", "02_risks", "03_fixed"]
    assert warmed == [1, 1] and len(ended) == 1  # the re-run's pool, ended at once
    real_end(ended[0])
