"""Shared test fixtures: where the demo companies and the real external exports live."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import psutil
import pytest

import reportlib.pack as pack
from reportlib.metrics.periods import Window

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = Path(os.environ.get("REPORTLIB_SHARED", ROOT.parent / "shared"))
EXTERNAL = SHARED / "data" / "external"

SALES_LED = DATA / "meridian"  # sales-led B2B demo company, 36 months, EUR
PRODUCT_LED = DATA / "loopwise"  # product-led demo company, 24 months, USD
DEMO_COMPANIES = [SALES_LED, PRODUCT_LED]


@pytest.fixture(scope="module", autouse=True)
def _module_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A store for a module's own module-scoped fixtures (a pack made once for many tests):
    autouse fixtures come first in their scope, so none of them reaches ~/.cache/reportlib."""
    with pytest.MonkeyPatch.context() as patch:
        folder = tmp_path_factory.mktemp("module-cache")
        patch.setenv("REPORTLIB_CACHE", str(folder))
        yield folder


@pytest.fixture(autouse=True)
def _own_cache(_module_cache: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test has a store of its own (``$REPORTLIB_CACHE``, see reportlib._store): no test
    reads what another wrote, and none touches the user's ~/.cache/reportlib."""
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("REPORTLIB_CACHE", str(folder))
    return folder


needs_external = pytest.mark.skipif(not EXTERNAL.is_dir(), reason="../shared/data/external is absent")


def chromium_available() -> bool:
    return bool(os.environ.get("REPORTLIB_CHROMIUM")) or any(
        shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
    )


def external_company(tmp_path: Path, name: str) -> Path:
    """A company folder for one external export: our company.toml plus copies of the
    untouched files in ../shared/data/external/<name> (copies, not links: a link out of the
    company folder is refused, and the files are under 1 MB)."""
    src = EXTERNAL / name
    company = tmp_path / name
    company.mkdir()
    shutil.copy(FIXTURES / "external" / name / "company.toml", company / "company.toml")
    for f in src.iterdir():
        if f.is_file() and f.name != "company.toml":
            shutil.copy(f, company / f.name)
    return company


# -- a small company for the pack's mechanics (tests/test_pack.py, test_session.py, test_watch.py)
PACK_TOML = """\
[company]
name = "Fixture Co"
currency = "EUR"
stage = "early"
gtm = "sales-led"

[inputs.mrr]
path = "mrr.csv"
columns = { customer_id = "customer", month = "month", mrr = "mrr" }
dimensions = ["segment"]
"""
PACK_CSV = (
    "customer,month,mrr,segment\na,2026-07,100,SMB\na,2026-08,110,SMB\na,2026-09,120,SMB\n"
    "b,2026-07,50,Enterprise\nb,2026-08,50,Enterprise\nb,2026-09,60,Enterprise\n"
)
#: Section notebooks that need no KPIs (the pack's mechanics, not its content).
PACK_NOTEBOOKS = [FIXTURES / "notebooks" / n for n in ("00_cover.ipynb", "01_ok.ipynb", "03_long_table.ipynb")]


@pytest.fixture()
def pack_company(tmp_path: Path) -> Path:
    """``fixture-co``: two customers over three months, with a segment."""
    folder = tmp_path / "fixture-co"
    folder.mkdir()
    (folder / "company.toml").write_text(PACK_TOML)
    (folder / "mrr.csv").write_text(PACK_CSV)
    return folder


@pytest.fixture()
def fake_kpis(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """The pack mechanics are tested with the fixture notebooks, which need no KPIs."""
    calls: list[tuple] = []

    def compute(request, company, as_of):
        calls.append((as_of, request.window, request.segment, request.compare))
        return SimpleNamespace(notes=["a note"], kpis=None, window=Window.of(as_of, request.window))

    def write_tables(result, out, params, cache, keep_record) -> dict:
        (out / "kpis.csv").write_text("kpi\n")
        keep_record()
        return {}

    monkeypatch.setattr(pack, "_compute_kpis", compute)
    monkeypatch.setattr(pack, "_write_tables", write_tables)
    return calls


#: Set on a command a test starts: every process it starts (pool workers, kernels, Chromium)
#: inherits it, so a process still carrying it after the command ended is a leftover.
MARKER = "REPORTLIB_TEST_MARKER"


def marked_processes(marker: str) -> list[psutil.Process]:
    """Live processes carrying ``marker`` (zombies have no environment left and are not counted)."""
    found = []
    for proc in psutil.process_iter(["pid"]):
        try:
            if proc.status() != psutil.STATUS_ZOMBIE and proc.environ().get(MARKER) == marker:
                found.append(proc)
        except psutil.Error:
            continue
    return found


def until(condition, seconds: float, step: float = 0.1) -> bool:
    """Whether ``condition()`` holds within ``seconds`` (asked every ``step`` seconds)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def staging_folders(out: Path) -> list[Path]:
    """The staging folders of packs under way (or left by a killed run) in reports folder ``out``."""
    return sorted(out.glob("*/.*.staging-*"))
