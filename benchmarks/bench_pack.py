"""Seconds for a full board pack of the sales-led demo company beside the toolchain floor.

The floor is measured in the same run on the same machine: papermill runs of empty
notebooks (one per section) plus one Chromium start-and-print of a one-page HTML. Target:
pack <= 1.5 x floor.

The floor's notebooks run exactly as the pack runs its sections: the same runner
(``reportlib.render.run.run_sections``), a process pool of the same size, and one kernel per
worker reused (reset) from notebook to notebook. The pack's kernel reuse therefore is not
counted as a gain over the floor; what the ratio shows is the work of the pack itself
(inputs, KPIs, charts, tables, printing real pages). For reference the papermill-default
floor (a fresh kernel per notebook) is printed too.

``python -m benchmarks pack`` (or ``python benchmarks/bench_pack.py [--repeat N]``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMPANY = ROOT / "data" / "meridian"
TARGET = 1.5


def _empty_notebook(path: Path) -> Path:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(
        cells=[new_code_cell('as_of = ""', metadata={"tags": ["parameters"]})],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )
    nbformat.write(nb, str(path))
    return path


def _papermill(src: str, dst: str) -> None:
    from reportlib.render.run import run_section

    # papermill's default: a new kernel for the notebook (over IPC, like the pack's kernels)
    run = run_section(src, dst, {"as_of": "2026-09"}, reuse_kernel=False)
    assert run.ok, run.error


def floor_seconds(sections: int, jobs: int, work: Path) -> tuple[float, float, float]:
    """(papermill seconds with the pack's runner, chromium seconds, papermill seconds with
    a fresh kernel per notebook) for the toolchain alone."""
    from reportlib.render.chromium import Chromium
    from reportlib.render.run import run_sections

    nbs = [_empty_notebook(work / f"{i:02d}_empty.ipynb") for i in range(sections)]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        runs = run_sections(nbs, {"as_of": "2026-09"}, work / "floor-out", executor=pool, reuse_kernels=True)
    assert all(r.ok for r in runs), [r.error for r in runs if not r.ok]
    papermill_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(_papermill, map(str, nbs), [str(p.with_suffix(".out.ipynb")) for p in nbs]))
    fresh_s = time.perf_counter() - t0

    html = work / "page.html"
    html.write_text("<html><body><h1>One page</h1><p>Board pack floor.</p></body></html>")
    t0 = time.perf_counter()
    with Chromium() as browser:
        browser.print_pdf(html, {"paperWidth": 13.333, "paperHeight": 7.5, "printBackground": True})
    return papermill_s, time.perf_counter() - t0, fresh_s


def pack_seconds(out: Path, jobs: int) -> tuple[float, dict]:
    import json

    from reportlib.pack import build_pack

    t0 = time.perf_counter()
    result = build_pack(COMPANY, out=out, jobs=jobs, force=True)
    seconds = time.perf_counter() - t0
    return seconds, json.loads(result.manifest.read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_pack")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the best is kept")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)

    from reportlib.pack import section_notebooks
    from reportlib.render.run import default_jobs

    if not (COMPANY / "company.toml").is_file():
        print(f"no demo company at {COMPANY}: run `reportlib demo --data-only` first", file=sys.stderr)
        return 1
    sections, jobs = len(section_notebooks()), default_jobs()
    floors, packs = [], []
    with tempfile.TemporaryDirectory(prefix="bench-pack-") as tmp:
        work = Path(tmp)
        for _ in range(max(1, args.repeat)):
            floors.append(floor_seconds(sections, jobs, work))
            packs.append(pack_seconds(work / "reports", jobs))
    papermill_s, chromium_s, fresh_s = min(floors, key=lambda f: f[0] + f[1])
    floor = papermill_s + chromium_s
    pack, manifest = min(packs, key=lambda p: p[0])
    ratio = pack / floor
    t = manifest.get("timings", {})
    print(f"sections: {sections}, workers: {jobs}, pages: {manifest.get('pages')}")
    print(
        f"floor: {floor:6.2f} s  (papermill {sections} empty notebooks, {jobs} workers, warm kernels reused"
        f" as in the pack {papermill_s:.2f} s + one Chromium print {chromium_s:.2f} s)"
    )
    print(
        f"       [papermill default, a fresh kernel per notebook: {fresh_s:.2f} s;"
        f" that floor would be {fresh_s + chromium_s:.2f} s, ratio {pack / (fresh_s + chromium_s):.2f}x]"
    )
    print(
        f"pack:  {pack:6.2f} s  (validate {t.get('validate')} s, kpis {t.get('kpis')} s, notebooks "
        f"{t.get('notebooks')} s, export wait {t.get('export_wait')} s, assemble {t.get('assemble')} s)"
    )
    print(f"ratio: {ratio:.2f}x the floor (target <= {TARGET}x): {'ok' if ratio <= TARGET else 'over'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
