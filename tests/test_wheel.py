"""The wheel is the product: built, installed into a fresh virtualenv, it makes a pack.

Offline and quick: the wheel is built without build isolation (hatchling comes with the
test extra) and installed without dependencies into a new virtualenv that sees this
environment's packages through a ``.pth`` line (not its editable reportlib: a plain path
line does not run the editable install's hook) and its Jupyter data files through
``JUPYTER_PATH``. The pack then runs from a folder outside
the repository, so nothing can come from the checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from conftest import PRODUCT_LED, ROOT, chromium_available

pytestmark = [
    pytest.mark.slow,
    pytest.mark.chromium,
    pytest.mark.notebooks,
    pytest.mark.skipif(not chromium_available(), reason="no Chromium installed"),
]


def _build_wheel(dist: Path) -> Path:
    source = dist / "src"  # a clean copy: the build sees no caches or outputs of the checkout
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "reports", "__pycache__", ".pytest_cache", "*.egg-info", "data", "tests", "benchmarks"
        ),
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(source),
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--quiet",
            "--wheel-dir",
            str(dist),
        ],
        check=True,
        timeout=120,
    )
    (wheel,) = dist.glob("reportlib-*.whl")
    return wheel


def _fresh_venv(where: Path, wheel: Path) -> Path:
    venv.EnvBuilder(with_pip=False).create(where)
    python = where / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # this environment's dependencies, by a plain path line (no editable reportlib hook)
    (site / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            "--quiet",
            str(wheel),
        ],
        check=True,
        timeout=120,
    )
    return where / "bin"


def test_a_wheel_installed_in_a_fresh_virtualenv_makes_a_pack(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path / "dist")
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {n for n in names if n.startswith("reportlib/_data/")}
    for notebook in sorted((ROOT / "notebooks").rglob("*.ipynb")):
        assert f"reportlib/_data/notebooks/{notebook.relative_to(ROOT / 'notebooks').as_posix()}" in shipped
    for template in sorted(p for p in (ROOT / "templates").rglob("*") if p.is_file()):
        assert f"reportlib/_data/templates/{template.relative_to(ROOT / 'templates').as_posix()}" in shipped

    bin_dir = _fresh_venv(tmp_path / "venv", wheel)
    elsewhere = tmp_path / "analyst"
    company = elsewhere / "loopwise"
    shutil.copytree(PRODUCT_LED, company)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    # nbconvert's base templates are data files of its wheel (<prefix>/share/jupyter), which
    # the .pth line does not bring along: point Jupyter at this environment's
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
    where = subprocess.run(
        [
            str(bin_dir / "python"),
            "-c",
            "import reportlib, reportlib.resources as r; print(reportlib.__file__); print(r.notebooks_dir())",
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert all(Path(p).is_relative_to(tmp_path / "venv") for p in where), where

    proc = subprocess.run(
        [str(bin_dir / "reportlib"), "pack", "loopwise", "--out", "reports"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    pdfs = list((elsewhere / "reports" / "loopwise").glob("*/board-pack.pdf"))
    assert len(pdfs) == 1 and pdfs[0].stat().st_size > 10_000
