"""One company's board pack: validate -> KPIs -> section notebooks -> PDF -> manifest.

Everything is built in a staging folder next to the target (same filesystem) and swapped
in with a rename at the end, so a pack folder always holds one complete run: a failed run
leaves the previous pack as it was and no partial folder.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
import uuid
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from reportlib.exceptions import ExportError, ParameterError
from reportlib.kpis.restatements import pack_hook as restatement_step
from reportlib.params import parse_compare, parse_segment
from reportlib.resources import notebooks_dir

__all__ = ["PackResult", "build_pack", "pack_folder", "section_notebooks", "NOTEBOOKS_DIR",
           "KPI_CACHE", "MANIFEST"]

#: The section notebooks: ``notebooks/NN_<section>.ipynb`` at the top of the repository.
NOTEBOOKS_DIR = notebooks_dir()
#: Where the pack leaves the computed KpiResult for ``reportlib.deck.report.load_report``
#: (relative to the notebooks' ``output_dir``); removed before the pack is swapped in.
KPI_CACHE = Path("_cache") / "kpi_result.pkl"
MANIFEST = "manifest.json"
PDF_NAME = "board-pack.pdf"

_TITLES = {"cover": "Cover", "summary": "Executive summary", "revenue_quality": "Revenue quality",
           "unit_economics": "Unit economics", "cohort_economics": "Cohort economics",
           "kpi_hierarchy": "KPI hierarchy and leading indicators", "appendix": "Appendix"}


@dataclass(frozen=True)
class PackResult:
    """Where a pack went. ``skipped`` is True when an identical pack was already there."""

    folder: Path
    pdf: Path
    manifest: Path
    skipped: bool = False
    seconds: float = 0.0


# -- parameters ------------------------------------------------------------------------------
def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", str(text)).strip("-.") or "x"


def pack_folder(out: Path | str, slug: str, as_of: Any, segment: Any = None, compare: Any = None) -> Path:
    """``<out>/<slug>/<YYYY-MM>[_<key>-<value>][_compare-<key>-<A>-vs-<B>]``.

    ``as_of`` may be a ``YYYY-MM`` or ``YYYY-MM-DD`` string or a pandas Period/Timestamp;
    the folder always uses the month. ``segment`` is ``(key, value)`` or ``"key=value"``,
    ``compare`` is ``(key, (A, B))`` or ``"key=A,B"``.
    """
    match = re.match(r"^(\d{4})-(\d{1,2})", str(as_of))
    if not match:
        raise ParameterError(f"as-of '{as_of}' is not a month (YYYY-MM)")
    name = f"{match.group(1)}-{int(match.group(2)):02d}"
    seg, cmp_ = parse_segment(segment), parse_compare(compare)
    if seg:
        name += f"_{_safe(seg[0])}-{_safe(seg[1])}"
    if cmp_:
        name += f"_compare-{_safe(cmp_[0])}-{_safe(cmp_[1][0])}-vs-{_safe(cmp_[1][1])}"
    return Path(out).resolve() / _safe(slug) / name


def section_notebooks(folder: Path | None = None) -> list[Path]:
    """The section notebooks ``NN_<section>.ipynb`` of ``folder`` in order."""
    folder = Path(folder or NOTEBOOKS_DIR)
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb") if p.is_file())


def section_title(notebook: Path) -> str:
    """Bookmark title: ``02_revenue_quality`` -> ``Revenue quality``."""
    key = re.sub(r"^\d+_", "", Path(notebook).stem)
    return _TITLES.get(key, key.replace("_", " ").capitalize())


# -- hashing, versions, manifest -----------------------------------------------------------------
def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _input_hashes(company: Any) -> dict[str, str]:
    """sha256 of every file read for the company, plus company.toml and commentary.md."""
    root = Path(company.path)
    files = {Path(p) for paths in company.sources.values() for p in paths}
    files |= {root / n for n in ("company.toml", "commentary.md") if (root / n).is_file()}
    out = {}
    for f in sorted(files):
        f = f if f.is_absolute() else root / f
        try:
            key = str(f.relative_to(root))
        except ValueError:
            key = str(f)
        out[key] = _sha256(f)
    return out


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    from reportlib import __version__

    out = {"reportlib": __version__}
    for name in ("pandas", "papermill", "nbconvert", "matplotlib"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = ""
    return out


def _skip_key(manifest: dict[str, Any]) -> Any:
    return (manifest.get("parameters"), manifest.get("versions", {}).get("reportlib"),
            manifest.get("inputs"), manifest.get("notebooks"))


def _unchanged(folder: Path, key: Any) -> bool:
    try:
        old = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return _skip_key(old) == key and (folder / PDF_NAME).is_file()


# -- staging and the swap -------------------------------------------------------------------------
def _swap_in(staging: Path, folder: Path) -> None:
    """Replace ``folder`` by ``staging``; the old pack is kept until the new one is in place."""
    old = None
    if folder.exists():
        old = folder.with_name(f".{folder.name}.old-{uuid.uuid4().hex[:8]}")
        os.rename(folder, old)
    try:
        os.rename(staging, folder)
    except OSError:
        if old is not None:
            os.rename(old, folder)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _remove_empty_parents(path: Path, stop: Path) -> None:
    for parent in [path, *path.parents]:
        if parent == stop or stop not in parent.parents:
            break
        try:
            parent.rmdir()
        except OSError:
            break


def _relocate(notebook: Path, staging: Path, folder: Path) -> None:
    """Point the executed notebook's ``output_dir`` at the final folder, not the staging one.

    The staging path is unique (it holds a random id), so a plain text replacement of its
    JSON-escaped form touches nothing else.
    """
    old, new = json.dumps(str(staging))[1:-1], json.dumps(str(folder))[1:-1]
    text = notebook.read_text(encoding="utf-8")
    if old in text:
        notebook.write_text(text.replace(old, new), encoding="utf-8")


# -- the steps --------------------------------------------------------------------------------------
def _load(company_dir: Path) -> Any:
    from reportlib.inputs import load_company

    return load_company(company_dir)


def _resolve_as_of(company: Any, as_of: str | None) -> str:
    """``YYYY-MM`` (or the given ``YYYY-MM-DD``, kept for pacing) of the reported month."""
    from reportlib.inputs import resolve_as_of

    month, _date = resolve_as_of(company, as_of)
    text = str(as_of).strip() if as_of is not None else ""
    return text if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text) else str(month)


def _compute(company: Any, as_of: str, window: str, segment: Any, compare: Any) -> Any:
    from reportlib.kpis import compute_kpis

    return compute_kpis(company, as_of=as_of, window=window, segment=segment, compare=compare)


def _write(result: Any, out_dir: Path) -> None:
    from reportlib.kpis import write_kpis

    write_kpis(result, out_dir)


def _write_cache(result: Any, staging: Path, parameters: dict[str, str]) -> None:
    """Leave the KpiResult where ``reportlib.deck.report.load_report`` looks for it, so that the
    section notebooks read it instead of recomputing (one computation per pack)."""
    from reportlib.deck.report import write_cache

    write_cache(result, staging, parameters["company_dir"], parameters["as_of"], parameters["window"],
                parameters["segment"], parameters["compare"])


def _warnings(company: Any, result: Any) -> list[str]:
    items = [str(w) for w in getattr(company, "warnings", [])]
    items += [str(n) for n in getattr(result, "notes", [])]
    return list(dict.fromkeys(items))


class _Printer:
    """Prints sections as their notebooks finish, in one browser started in the background."""

    def __init__(self, pdf_dir: Path, workers: int):
        from reportlib.render.export import Chromium

        self.pdf_dir = pdf_dir
        self.pool = ThreadPoolExecutor(max_workers=max(1, workers))
        self.browser_future: Future = self.pool.submit(Chromium)  # starts during the KPI step
        self.jobs: dict[str, Future] = {}
        self.seconds: dict[str, float] = {}

    def submit(self, notebook: Path) -> None:
        self.jobs[notebook.stem] = self.pool.submit(self._export, notebook)

    def _export(self, notebook: Path) -> Path:
        from reportlib.render.export import export_one

        t0 = time.perf_counter()
        pdf = export_one(notebook, self.pdf_dir, self.browser_future.result(), footer=False)
        self.seconds[notebook.stem] = round(time.perf_counter() - t0, 3)
        return pdf

    def results(self, stems: Sequence[str]) -> list[Path]:
        return [self.jobs[s].result() for s in stems]

    @property
    def version(self) -> str:
        return self.browser_future.result().version

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        fut = self.browser_future
        if fut.done() and fut.exception() is None:
            fut.result().close()


def build_pack(company_dir: Path | str, as_of: str | None = None, window: str = "quarter",
               segment: Any = None, compare: Any = None, out: Path | str = "reports",
               jobs: int | None = None, force: bool = False, executor: Executor | None = None,
               *, notebooks: Sequence[Path] | None = None) -> PackResult:
    """Make one company's board pack.

    Parameters
    ----------
    company_dir : path
        The company folder (company.toml and its input files).
    as_of : str, optional
        ``YYYY-MM`` (or ``YYYY-MM-DD`` for pacing); default the last month of revenue data.
    window : str
        ``month``, ``quarter`` or ``year``.
    segment : (key, value) or "key=value", optional
        Restrict every input that carries the dimension.
    compare : (key, (A, B)) or "key=A,B", optional
        Two values of one dimension shown side by side.
    out : path
        Root of the packs (default ``reports``).
    jobs : int, optional
        Section notebooks run at once (default one per core; 1 = in this process).
    force : bool
        Rebuild even when the existing pack has the same parameters, version and inputs.
    executor : concurrent.futures.Executor, optional
        Runs the section notebooks instead of a new process pool.
    notebooks : sequence of Path, optional
        Section notebooks to use instead of ``notebooks/NN_*.ipynb`` (tests, custom decks).

    Returns
    -------
    PackResult

    Raises
    ------
    InputError
        The inputs do not validate; raised before any notebook starts, nothing is written.
    SectionError
        A section notebook failed; names the section, the cell and the error. Nothing is
        written and a previous pack stays as it was.
    ExportError
        No Chromium, or printing/assembly failed.
    """
    t_start = time.perf_counter()
    timings: dict[str, Any] = {}
    seg, cmp_ = parse_segment(segment), parse_compare(compare)
    sections = [Path(p).resolve() for p in (notebooks if notebooks is not None else section_notebooks())]
    if not sections:
        raise ExportError(f"no section notebooks (NN_<section>.ipynb) in {NOTEBOOKS_DIR}")
    # Kernels take seconds to start and import pandas/matplotlib: when this run cannot be
    # skipped, they warm up while the inputs are validated (on the otherwise idle cores).
    pool = None
    if not _may_skip(out, company_dir, force):
        pool = _pool(executor, jobs, len(sections))
    try:
        return _build_pack(company_dir, as_of, window, seg, cmp_, out, jobs, force, executor, sections,
                           pool, t_start, timings)
    except BaseException:
        if pool is not None:   # an input problem is reported now, not after the warm-up
            pool.shutdown(wait=False, cancel_futures=True)
        raise


def _may_skip(out: Path | str, company_dir: Path | str, force: bool) -> bool:
    """Whether an unchanged earlier pack of this company may exist (then it is checked
    before any kernel starts); False means this run will certainly build."""
    if force:
        return False
    from reportlib.inputs import company_slug

    root = Path(out).resolve() / _safe(company_slug(Path(company_dir).resolve()))
    return root.is_dir() and any(root.glob(f"*/{MANIFEST}"))


def _build_pack(company_dir: Path | str, as_of: str | None, window: str, seg: Any, cmp_: Any,
                out: Path | str, jobs: int | None, force: bool, executor: Executor | None,
                sections: list[Path], pool: Executor | None, t_start: float,
                timings: dict[str, Any]) -> PackResult:
    t0 = time.perf_counter()
    company = _load(Path(company_dir).resolve())
    if seg:
        company.segment(*seg)  # fails early (ParameterError) on an unknown dimension
    as_of_text = _resolve_as_of(company, as_of)
    timings["validate"] = round(time.perf_counter() - t0, 3)

    folder = pack_folder(out, company.slug, as_of_text, seg, cmp_)
    parameters = {
        "company_dir": str(Path(company.path).resolve()), "as_of": as_of_text, "window": window,
        "segment": f"{seg[0]}={seg[1]}" if seg else "",
        "compare": f"{cmp_[0]}={cmp_[1][0]},{cmp_[1][1]}" if cmp_ else "",
    }
    manifest: dict[str, Any] = {
        "parameters": parameters,
        "versions": _versions(),
        "inputs": _input_hashes(company),
        "notebooks": {p.name: _sha256(p) for p in sections},
    }
    if not force and _unchanged(folder, _skip_key(manifest)):
        return PackResult(folder, folder / PDF_NAME, folder / MANIFEST, True,
                          round(time.perf_counter() - t_start, 3))

    from reportlib.render.export import find_chromium

    find_chromium()  # no browser: say so before any notebook runs
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.with_name(f".{folder.name}.staging-{uuid.uuid4().hex[:8]}")
    staging.mkdir()
    # The pool is forked first, before this process starts any thread (the printer's).
    if pool is None:
        pool = _pool(executor, jobs, len(sections))
    printer = _Printer(staging / "_build", workers=len(sections))
    try:
        _build(company, sections, parameters, seg, cmp_, staging, folder, printer, timings,
               manifest, jobs, pool or executor)
        timings["total"] = round(time.perf_counter() - t_start, 3)
        manifest["timings"] = timings
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
        _swap_in(staging, folder)
    finally:
        printer.close()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
            _remove_empty_parents(folder.parent, Path(out).resolve())
    return PackResult(folder, folder / PDF_NAME, folder / MANIFEST, False, timings["total"])


def _last_timings(folder: Path) -> dict[str, float]:
    """Section seconds of the pack already in ``folder`` (empty when there is none)."""
    try:
        return dict(json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["timings"]["sections"])
    except (OSError, ValueError, KeyError, TypeError):
        return {}


_DRAWING = re.compile(r"\bcharts\.\w+\(|\bplt\.(?:show|subplots|figure)\(|\bdisplay\(")


def _estimate(notebook: Path) -> float:
    """Rough seconds a section takes, from what its code draws (charts, tables): used to
    start the heaviest sections first when no earlier pack of this folder has timings."""
    try:
        cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):
        return 0.0
    code = "\n".join("".join(c.get("source", "")) for c in cells if c.get("cell_type") == "code")
    return 0.3 + 0.25 * len(_DRAWING.findall(code))


def _expected(sections: Sequence[Path], folder: Path) -> dict[str, float]:
    """Expected seconds per section: the last pack's timings in ``folder`` where there are
    some, else an estimate from each notebook's code (see :func:`_estimate`)."""
    last = _last_timings(folder)
    if all(s.stem in last for s in sections):
        return last
    return {s.stem: _estimate(s) for s in sections}


def _pool(executor: Executor | None, jobs: int | None, sections: int) -> Executor | None:
    """The pack's own process pool, its kernels warming up while the KPIs are computed;
    None when the caller gave an executor or asked for an in-process run (``jobs=1``)."""
    from concurrent.futures import ProcessPoolExecutor

    from reportlib.render.run import default_jobs, warm_up

    if executor is not None or jobs == 1 or sections < 2:
        return None
    workers = min(jobs or default_jobs(), sections)
    pool = ProcessPoolExecutor(max_workers=workers)
    warm_up(pool, workers)
    return pool


def _build(company: Any, sections: list[Path], parameters: dict[str, str], seg: Any, cmp_: Any,
           staging: Path, folder: Path, printer: _Printer, timings: dict[str, Any],
           manifest: dict[str, Any], jobs: int | None, executor: Executor | None) -> None:
    from reportlib.params import period_label
    from reportlib.render.export import assemble_pdf
    from reportlib.render.run import run_sections

    t0 = time.perf_counter()
    result = _compute(company, parameters["as_of"], parameters["window"], seg, cmp_)
    manifest.update(restatement_step(result, company, folder, staging))  # vs the latest earlier pack
    _write(result, staging)
    _write_cache(result, staging, parameters)
    timings["kpis"] = round(time.perf_counter() - t0, 3)

    t0 = time.perf_counter()
    runs = run_sections(sections, {**parameters, "output_dir": str(staging)}, staging / "notebooks",
                        executor=executor, jobs=jobs, expected=_expected(sections, folder),
                        on_done=lambda run: printer.submit(run.output) if run.ok else None)
    timings["notebooks"] = round(time.perf_counter() - t0, 3)
    timings["sections"] = {r.section: round(r.seconds, 3) for r in runs}
    failed = [r for r in runs if not r.ok and r.attempts > 0]
    if failed:
        failed[0].raise_for_error()

    t0 = time.perf_counter()
    pdfs = printer.results([s.stem for s in sections])
    timings["export_wait"] = round(time.perf_counter() - t0, 3)
    timings["export"] = dict(printer.seconds)

    t0 = time.perf_counter()
    name = company.config.name + (f" ({seg[1]})" if seg else "")
    pages = assemble_pdf(pdfs, staging / PDF_NAME, company=name,
                         period=period_label(parameters["as_of"], parameters["window"]),
                         bookmarks=[section_title(s) for s in sections])
    timings["assemble"] = round(time.perf_counter() - t0, 3)

    for run in runs:
        _relocate(run.output, staging, folder)
    shutil.rmtree(staging / "_build", ignore_errors=True)
    shutil.rmtree(staging / KPI_CACHE.parent, ignore_errors=True)
    manifest["pages"] = pages
    manifest["versions"]["chromium"] = printer.version
    manifest["warnings"] = _warnings(company, result)
    manifest["created"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")

