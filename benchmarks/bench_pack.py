"""Seconds for a full board pack of each demo company beside the toolchain floor.

The floor is measured in the same run on the same machine: papermill runs of empty
notebooks (one per section) plus one Chromium start-and-print of a one-page HTML, by the
browser the pack prints with (:func:`reportlib.render.chromium.find_chromium`: a headless
shell where one is installed, which makes the floor lower than a full browser's). Targets
(issue 16): pack <= 1.5 x floor, and the pack's fixed overhead -- its ``validate`` and
``kpis`` steps (load and validate the inputs; compute the KPIs, restatements, tables and
workbook) from the manifest's timings -- under 0.5 s, for both demo companies
(``data/meridian``, sales-led, and ``data/loopwise``, product-led).

Each company is measured twice, on a copy of its folder and with a store of its own
(``$REPORTLIB_CACHE`` in the benchmark's temporary folder): *cold*, ``--force`` (inputs
loaded and KPIs computed from scratch, as a first run), then *warm*, the analyst's re-run
after an edit of ``commentary.md``: the pack is remade (its commentary changed) but the
validated inputs and the KPI result are read back from the store (``reportlib._store``), so
only the notebooks, printing and assembly run again -- and of those only the sections whose
notebook or reads changed (:mod:`reportlib.render.reuse`; the edit adds a sentence to the
revenue quality commentary, which the executive summary shows, so the summary runs again and
the six other sections are copied from the store). *Next month* is the pack every month after
a company's first: last month's pack lies beside it, so the pack restates last month's
figures (``--force``: inputs loaded and both months' figures computed afresh, as after a new
export). A third figure is that re-run in
``reportlib pack --watch`` (:mod:`reportlib.watch`): the same pack made in a
:class:`reportlib.session.Session` whose kernels and browser are already running (the
watch's first pack started them), as the analyst sees it after saving the commentary (plus
at most the watch's poll and settle time, printed, to notice the save). Two more are the
cold pack and the re-run as ``reportlib pack`` commands while ``reportlib serve``
(:mod:`reportlib.serve`) runs in their folder, its kernels warm: the command's own start is
counted, the server's start is not. The last two are the same as commands with no server:
the command's start and imports counted, its kernel warmed ahead of them
(:mod:`reportlib.render.ahead`), as an analyst without ``--watch`` or a server waits.

The floor's notebooks run as the pack runs its sections: the same runner
(``reportlib.render.run.run_sections``), a process pool of one worker per core (the pool of a
served pack; a one-off pack warms one kernel fewer, :func:`reportlib.pack.pack_workers`,
which only makes the floor the quicker of the two), and one kernel per worker reused (reset) from notebook to
notebook. The pack's kernel reuse therefore is not counted as a gain over the floor; what the
ratio shows is the work of the pack itself (inputs, KPIs, charts, tables, printing real
pages). For reference the papermill-default floor (a fresh kernel per notebook) is printed
too. The one-off packs are made without ``jobs``, as ``reportlib pack`` makes them.

Every figure is printed against its target with the ratio and the machine's load
average at the time (the machine is shared: the ratio to the floor measured in the same
run is the figure to trust).

Each pack and the floor also print the CPU the machine did meanwhile (``/proc/stat``, every
process: the pack's, its kernels', Chromium's) and the least time that work could take on
this machine's cores (CPU seconds / cores), as a multiple of the floor: a pack whose work
alone is more than 1.5x the floor's time cannot meet the target on these cores, however its
steps are arranged.

``python -m benchmarks pack`` (``--quick``: meridian only) or
``python benchmarks/bench_pack.py [--repeat N] [--companies meridian loopwise]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

from benchmarks._report import Busy, figure, fresh_memory, load
from reportlib.watch import POLL_SECONDS, SETTLE_SECONDS

ROOT = Path(__file__).resolve().parents[1]
COMPANIES = ["meridian", "loopwise"]
TARGET = 1.5
TARGET_OVERHEAD = 0.5
QUICK_ARGS = ["--companies", "meridian"]  # what `python -m benchmarks --quick` passes


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


class Floor(NamedTuple):
    """The toolchain alone: papermill seconds with the pack's runner, one Chromium print's
    seconds, papermill seconds with a fresh kernel per notebook, and the CPU seconds of the
    first two (None where ``/proc/stat`` is not readable)."""

    papermill: float
    chromium: float
    fresh: float
    cpu: float | None

    @property
    def seconds(self) -> float:
        return self.papermill + self.chromium


class Measured(NamedTuple):
    """One pack: seconds, its manifest, and the CPU seconds the machine did meanwhile."""

    seconds: float
    manifest: dict
    cpu: float | None


def floor_seconds(sections: int, jobs: int, work: Path) -> Floor:
    """The toolchain alone, measured here (:class:`Floor`)."""
    from reportlib.render.chromium import Chromium
    from reportlib.render.run import run_sections

    nbs = [_empty_notebook(work / f"{i:02d}_empty.ipynb") for i in range(sections)]
    with Busy() as papermill, ProcessPoolExecutor(max_workers=jobs) as pool:
        runs = run_sections(nbs, {"as_of": "2026-09"}, work / "floor-out", executor=pool, reuse_kernels=True)
    assert all(r.ok for r in runs), [r.error for r in runs if not r.ok]

    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(_papermill, map(str, nbs), [str(p.with_suffix(".out.ipynb")) for p in nbs]))
    fresh_s = time.perf_counter() - t0

    html = work / "page.html"
    html.write_text("<html><body><h1>One page</h1><p>Board pack floor.</p></body></html>")
    with Busy() as chromium, Chromium() as browser:
        browser.print_pdf(html, {"paperWidth": 13.333, "paperHeight": 7.5, "printBackground": True})
    cpu = None if papermill.cpu is None or chromium.cpu is None else papermill.cpu + chromium.cpu
    return Floor(papermill.wall, chromium.wall, fresh_s, cpu)


def pack_seconds(company: Path, out: Path, **options: Any) -> Measured:
    """One ``build_pack`` (``options``: ``jobs``, ``force``, ``session``), measured."""
    import json

    from reportlib.pack import build_pack

    with Busy() as busy:
        result = build_pack(company, out=out, **options)
    assert not result.skipped, "the pack was skipped: nothing was measured"
    return Measured(busy.wall, json.loads(result.manifest.read_text()), busy.cpu)


def _edit_commentary(company: Path, sentence: str) -> None:
    """The analyst's edit: a sentence added to the revenue quality commentary (a block the
    pack shows, on the summary's "by area" page), else at the end of the file."""
    path = company / "commentary.md"
    text = path.read_text(encoding="utf-8")
    heading = "## Revenue quality\n"
    edited = text.replace(heading, f"{heading}\n{sentence}\n", 1) if heading in text else f"{text}\n{sentence}\n"
    path.write_text(edited, encoding="utf-8")


def cold_and_warm(company: Path, work: Path, run: int) -> tuple[Measured, Measured]:
    """The pack of a copy of ``company`` from scratch (``force``), then again after an edit of
    its commentary (the store reused). The copy keeps the folder name, so the pack folder is
    the same. No ``jobs``, as ``reportlib pack`` makes them: the pack picks its kernels."""
    copy = work / "companies" / str(run) / company.name
    shutil.copytree(company, copy)
    cold = pack_seconds(copy, work / "reports", force=True)
    _edit_commentary(copy, f"A sentence the analyst added on re-run {run}.")
    return cold, pack_seconds(copy, work / "reports", force=False)


def next_month(company: Path, work: Path, run: int) -> Measured:
    """The month's pack of a copy of ``company`` with last month's pack beside it, as every
    pack after a company's first is made: the pack restates last month's figures
    (:mod:`reportlib.kpis.restatements`). ``force``, as after a new export: the inputs are
    loaded, and this month's and last month's figures computed, afresh."""
    from reportlib.inputs import load_company, resolve_as_of

    copy = work / "next-month" / str(run) / company.name
    shutil.copytree(company, copy)
    month, _ = resolve_as_of(load_company(copy), None)
    pack_seconds(copy, work / "next-month-reports", as_of=str(month - 1))
    return pack_seconds(copy, work / "next-month-reports", force=True)


def watched(company: Path, work: Path, jobs: int, run: int) -> Measured:
    """The re-make of a copy of ``company`` after a commentary edit, in a session whose
    kernels and browser its first pack started (``reportlib pack --watch``)."""
    from reportlib.pack import section_notebooks
    from reportlib.session import Session

    copy = work / "watched" / str(run) / company.name
    shutil.copytree(company, copy)
    with Session(jobs, len(section_notebooks())) as session:
        pack_seconds(copy, work / "watched-reports", session=session)
        _edit_commentary(copy, f"A sentence the analyst saved while watching, run {run}.")
        return pack_seconds(copy, work / "watched-reports", session=session)


def _pack_command(copy: Path, env: dict[str, str] | None, *options: str) -> Measured:
    """``reportlib pack`` of the company folder ``copy`` as a command run beside it, measured
    as the analyst sees it (the command's own start included; the CPU of every process, a
    server's too)."""
    import json
    import subprocess

    command = [sys.executable, "-m", "reportlib", "pack", copy.name, "--out", "reports", *options]
    with Busy() as busy:
        done = subprocess.run(command, cwd=copy.parent, env=env, stdout=subprocess.DEVNULL)
    assert done.returncode == 0, f"`reportlib pack {' '.join(options)}` failed"
    manifest = next((copy.parent / "reports" / copy.name).glob("*/manifest.json"))
    return Measured(busy.wall, json.loads(manifest.read_text()), busy.cpu)


def _cold_then_edited(
    copy: Path, env: dict[str, str] | None, sentence: str, *options: str
) -> tuple[Measured, Measured]:
    """:func:`_pack_command` from scratch (``--force``), then again after ``sentence`` was
    added to the commentary."""
    cold = _pack_command(copy, env, "--force", *options)
    _edit_commentary(copy, sentence)
    return cold, _pack_command(copy, env, *options)


def served(company: Path, work: Path, run: int) -> tuple[Measured, Measured]:
    """``reportlib pack`` commands made by a running ``reportlib serve`` (:mod:`reportlib.serve`),
    seconds as the analyst sees them (the command's own start included): the pack of a copy of
    ``company`` from scratch (``--force``), then again after an edit of its commentary."""
    import subprocess

    folder = work / "served" / str(run)
    copy = folder / company.name
    shutil.copytree(company, copy)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(work / "run"), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "reportlib"]
    server = subprocess.Popen([*command, "serve"], cwd=folder, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline().startswith("Serving"), "the server did not start"  # its kernels warm
        return _cold_then_edited(copy, env, f"A sentence the analyst added, served run {run}.")
    finally:
        subprocess.run([*command, "serve", "--stop"], cwd=folder, env=env, capture_output=True)
        server.wait(60)


def commands(company: Path, work: Path, run: int) -> tuple[Measured, Measured]:
    """The cold pack and the re-run after a commentary edit as ``reportlib pack`` commands
    with no server (``--no-server``), seconds as the analyst sees them: the command's start,
    its imports and its kernel warmed ahead of them (:mod:`reportlib.render.ahead`)
    included."""
    copy = work / "commands" / str(run) / company.name
    shutil.copytree(company, copy)
    return _cold_then_edited(copy, None, f"A sentence the analyst added before the command, run {run}.", "--no-server")


def _print_pack(label: str, pack: Measured, floor: Floor, machine_cores: int) -> bool:
    t = pack.manifest.get("timings", {})
    overhead = float(t.get("validate", 0.0)) + float(t.get("kpis", 0.0))
    reused = pack.manifest.get("reused_sections") or []
    print(
        f"{label}: pack {pack.seconds:6.2f} s, {pack.manifest.get('pages')} pages, {len(reused)} sections reused"
        f"  (validate {t.get('validate')} s, kpis"
        f" {t.get('kpis')} s, notebooks {t.get('notebooks')} s, export wait {t.get('export_wait')} s,"
        f" assemble {t.get('assemble')} s)"
    )
    if pack.cpu is not None:
        least = pack.cpu / machine_cores
        print(
            f"  CPU {pack.cpu:.1f} s ({pack.cpu / pack.seconds:.2f} cores busy): on {machine_cores} cores this work"
            f" takes at least {least:.2f} s, {least / floor.seconds:.2f}x the floor"
        )
    ok = figure(f"{label}: pack / floor", pack.seconds / floor.seconds, TARGET, "x")
    return figure(f"{label}: fixed overhead (validate + kpis)", overhead, TARGET_OVERHEAD, " s") and ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_pack")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the best is kept")
    parser.add_argument("--companies", nargs="+", default=COMPANIES, help="demo companies under data/")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)

    from reportlib.pack import pack_workers, section_notebooks
    from reportlib.processes import default_jobs
    from reportlib.render.chromium import find_chromium

    companies = [ROOT / "data" / name for name in args.companies]
    missing = [c for c in companies if not (c / "company.toml").is_file()]
    if missing:
        print(f"no demo company at {missing[0]}: run `reportlib demo --data-only` first", file=sys.stderr)
        return 1
    sections, jobs = len(section_notebooks()), default_jobs()
    floors, cold, warm = [], {c.name: [] for c in companies}, {c.name: [] for c in companies}
    watch: dict[str, list] = {c.name: [] for c in companies}
    serve_cold: dict[str, list] = {c.name: [] for c in companies}
    serve_warm: dict[str, list] = {c.name: [] for c in companies}
    command_cold: dict[str, list] = {c.name: [] for c in companies}
    command_warm: dict[str, list] = {c.name: [] for c in companies}
    following: dict[str, list] = {c.name: [] for c in companies}
    saved = os.environ.get("REPORTLIB_CACHE")
    with tempfile.TemporaryDirectory(prefix="bench-pack-") as tmp:
        work = Path(tmp)
        os.environ["REPORTLIB_CACHE"] = str(work / "cache")  # not the user's store: cold is cold
        try:
            for run in range(max(1, args.repeat)):
                floors.append(floor_seconds(sections, jobs, work))
                for company in companies:
                    first, again = cold_and_warm(company, work, run)
                    cold[company.name].append(first)
                    warm[company.name].append(again)
                    following[company.name].append(next_month(company, work, run))
                    watch[company.name].append(watched(company, work, jobs, run))
                    first, again = served(company, work, run)
                    serve_cold[company.name].append(first)
                    serve_warm[company.name].append(again)
                    first, again = commands(company, work, run)
                    command_cold[company.name].append(first)
                    command_warm[company.name].append(again)
        finally:
            os.environ.pop("REPORTLIB_CACHE") if saved is None else os.environ.update(REPORTLIB_CACHE=saved)
    floor = min(floors, key=lambda f: f.seconds)
    machine_cores = default_jobs()  # the cores this process may run on
    print(
        f"sections: {sections}; workers: the floor and served packs {jobs}, one-off packs {pack_workers(True)}"
        f"  [{load()}, {fresh_memory()}]"
    )
    print(
        f"floor: {floor.seconds:6.2f} s  (papermill {sections} empty notebooks, {jobs} workers, warm kernels"
        f" reused as in the pack {floor.papermill:.2f} s + one print by {find_chromium().name} {floor.chromium:.2f} s)"
        + ("" if floor.cpu is None else f", CPU {floor.cpu:.1f} s")
    )
    print(
        f"       [papermill default, a fresh kernel per notebook: {floor.fresh:.2f} s;"
        f" that floor: {floor.fresh + floor.chromium:.2f} s]"
    )
    ok = True
    for name in cold:
        for label, runs in (
            ("cold", cold),
            ("warm (commentary edited)", warm),
            ("next month (last month's pack beside it, --force)", following),
            ("--watch (commentary saved)", watch),
            ("cold, `reportlib serve` running", serve_cold),
            ("CLI re-run (commentary edited), `reportlib serve` running", serve_warm),
            ("cold as a command (`reportlib pack --force`, its start included)", command_cold),
            ("CLI re-run (commentary edited) as a command, no server", command_warm),
        ):
            ok &= _print_pack(f"{name} {label}", min(runs[name], key=lambda p: p.seconds), floor, machine_cores)
    print(
        f"  (--watch notices a save within {POLL_SECONDS + SETTLE_SECONDS:.2f} s: it looks every {POLL_SECONDS} s"
        f" and waits {SETTLE_SECONDS} s for the files to settle)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
