"""One run of one engine of :mod:`benchmarks.bench_kpis`, in a fresh process of its own:
``python -m benchmarks._kpis_child ENGINE FOLDER OUT`` prints its figures as JSON.

This module imports nothing heavy before the run starts, so that the engine's imports
(pandas, pyarrow, the library) are this process's first, as in the command, and are timed
apart; ``kpis`` warms the company's heap before them, as ``reportlib kpis`` does
(:func:`reportlib._memory.warm_heap_for`).
"""

from __future__ import annotations

import importlib
import json
import resource
import sys
import time
from pathlib import Path

THREADS = 2

DUCKDB_BRIDGE_SQL = """
WITH src AS (
  SELECT "Customer" AS c,
         CAST(substr("Month", 1, 4) AS INTEGER) * 12 + CAST(substr("Month", 6, 2) AS INTEGER) - 1 AS m,
         "MRR" AS mrr
  FROM read_parquet($path) WHERE "MRR" > 0
), span AS (SELECT min(m) AS m0, max(m) AS m1 FROM src),
seq AS (
  SELECT c, m, mrr, lag(m) OVER w AS pm, lag(mrr) OVER w AS pmrr, lead(m) OVER w AS nm
  FROM src WINDOW w AS (PARTITION BY c ORDER BY m)
), moves AS (
  SELECT m, mrr,
         CASE WHEN m = m0 THEN 'opening' WHEN pm IS NULL THEN 'new'
              WHEN pm < m - 1 THEN 'reactivation' WHEN mrr > pmrr THEN 'expansion'
              WHEN mrr < pmrr THEN 'contraction' ELSE 'flat' END AS kind,
         CASE WHEN pm IS NULL OR pm < m - 1 THEN mrr ELSE abs(mrr - pmrr) END AS amount
  FROM seq, span
  UNION ALL  -- churn: the month after the last month of a spell, inside the data
  SELECT m + 1, 0.0, 'churn', mrr FROM seq, span WHERE (nm IS NULL OR nm > m + 1) AND m < m1
)
SELECT m,
       coalesce(sum(amount) FILTER (kind = 'new'), 0) AS new,
       coalesce(sum(amount) FILTER (kind = 'reactivation'), 0) AS reactivation,
       coalesce(sum(amount) FILTER (kind = 'expansion'), 0) AS expansion,
       coalesce(sum(amount) FILTER (kind = 'contraction'), 0) AS contraction,
       coalesce(sum(amount) FILTER (kind = 'churn'), 0) AS churn,
       sum(mrr) AS closing_mrr,
       count(*) FILTER (mrr > 0) AS customers
FROM moves GROUP BY m ORDER BY m
"""


def run_kpis(folder: Path, out: Path) -> None:
    """The CLI's `kpis` command, start to finish, computed (not read back from the store)."""
    from reportlib.cli import main

    if main(["kpis", str(folder), "--out", str(out), "--no-cache"]) != 0:
        raise RuntimeError("reportlib kpis failed")


def run_duckdb(folder: Path, out: Path) -> None:
    """The SQL bridge from the same Parquet file, written as CSV for the cross-check."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = {THREADS}")
    con.execute("SET enable_progress_bar = false")
    bridge = con.execute(DUCKDB_BRIDGE_SQL, {"path": str(folder / "mrr.parquet")}).df()
    out.mkdir(parents=True, exist_ok=True)
    bridge.to_csv(out / "duckdb_bridge.csv", index=False)


# what each engine imports before its timer starts (and prints as its import seconds)
IMPORTS = {"kpis": ("reportlib.cli", "reportlib.kpis"), "duckdb": ("duckdb", "pandas")}


def _child(engine: str, folder: Path, out: Path) -> None:
    """Run one engine once in this fresh process, its imports done first (as a warm CLI
    would have them) and timed apart; print JSON with wall and CPU seconds (all threads),
    the import seconds and the peak RSS."""
    run = {"kpis": run_kpis, "duckdb": run_duckdb}[engine]
    i0 = time.perf_counter()
    if engine == "kpis":  # as the command does before its imports (reportlib.__main__)
        from reportlib._memory import warm_heap_for

        warm_heap_for(["kpis", str(folder)])
    for module in IMPORTS[engine]:
        importlib.import_module(module)
    imports = time.perf_counter() - i0
    w0, c0 = time.perf_counter(), time.process_time()
    run(folder, out)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    print(
        json.dumps(
            {
                "engine": engine,
                "seconds": wall,
                "cpu_seconds": cpu,
                "peak_gib": peak / 2**30,
                "import_seconds": imports,
                "whole_seconds": imports + wall,
                "whole_cpu_seconds": time.process_time(),  # every thread since the process began
            }
        )
    )


if __name__ == "__main__":
    _child(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]))
