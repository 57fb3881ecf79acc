"""Benchmark of the revenue engine: movements + MRR bridge + revenue KPIs + cohorts on
generated MRR of 20,000 and 100,000 customers x 60 months, beside the same movement
computation written directly in DuckDB SQL.

Run: ``python -m benchmarks.bench_kpis`` (or through ``python -m benchmarks``). Each
engine and size runs in its own subprocess, so peak memory (max RSS, input included) is
measured per run. Targets (issue 3): 6M customer-months in < 10 s and < 4 GiB on 2 cores,
and no slower than 1.5x the DuckDB reference.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

import numpy as np
import pandas as pd

SIZES = [(20_000, 60), (100_000, 60)]
THREADS = 2
REPEATS = 3
TARGET_SECONDS, TARGET_GIB, TARGET_RATIO = 10.0, 4.0, 1.5


def generate_mrr(n_customers: int, n_months: int, seed: int = 7) -> pd.DataFrame:
    """Dense long MRR frame (n_customers x n_months rows, 0 = inactive, as a melted wide
    export): staggered starts, monthly churn ~2.5%, some reactivations, expansions and
    contractions. Vectorised; a few hundred ms for 6M rows."""
    rng = np.random.default_rng(seed)
    shape = (n_customers, n_months)
    start = rng.integers(-n_months // 2, n_months, n_customers)  # before the data = opening
    base = np.round(rng.lognormal(6.0, 1.0, n_customers), 2)
    # churn / return as a two-state chain: a loop over the 60 months, vectorised over customers
    flips = rng.random(shape)
    active = np.zeros(shape, dtype=bool)
    state = np.ones(n_customers, dtype=bool)
    for m in range(n_months):
        state = np.where(state, flips[:, m] >= 0.02, flips[:, m] < 0.03)
        active[:, m] = state & (m >= start)
    step = np.where(rng.random(shape) < 0.04, rng.choice([0.8, 1.1, 1.25, 1.5], shape), 1.0)
    mrr = np.round(base[:, None] * np.cumprod(step, axis=1), 2) * active
    ids = pd.array(np.char.add("cus_", np.arange(n_customers).astype(str)), dtype="string")
    return pd.DataFrame({
        "customer_id": ids[np.repeat(np.arange(n_customers), n_months)],
        "month": pd.PeriodIndex.from_ordinals(np.tile(ordinal_2021() + np.arange(n_months), n_customers), freq="M"),
        "mrr": mrr.ravel(),
    })


def ordinal_2021() -> int:
    return pd.Period("2021-01", freq="M").ordinal


def run_reportlib(mrr: pd.DataFrame) -> dict:
    """The full revenue-engine run the kpis builder does."""
    from reportlib.metrics import Window, cohorts, movements, mrr_bridge, revenue_kpis

    as_of = mrr["month"].max()
    mov = movements(mrr)
    bridge = mrr_bridge(mov)
    kpis = revenue_kpis(mov, Window(as_of, 3))
    by_month, by_quarter = cohorts(mov, "M"), cohorts(mov, "Q")
    return {"rows": len(mov), "closing": float(bridge["closing_mrr"].iloc[-1]),
            "nrr": float(kpis["nrr"]), "cohorts": len(by_month["nrr"]) + len(by_quarter["nrr"])}


COMPANY_TOML = """
[company]
name = "Benchmark {n} x {t}"
currency = "EUR"
stage = "growth"
gtm = "sales-led"

[inputs.mrr]
path = "mrr.parquet"
columns = {{ customer_id = "Customer", month = "Month", mrr = "MRR" }}

[inputs.financials]
path = "pnl.csv"
columns = {{ month = "Month", revenue = "Revenue", cogs = "COGS", sales_marketing = "S&M", net_cash_flow = "Cash flow" }}
"""


def write_company(mrr: pd.DataFrame, folder: str) -> str:
    """The dense frame as a company folder an analyst would have: a Parquet MRR export
    (zero rows included, as a melted spreadsheet) and a monthly P&L."""
    os.makedirs(folder, exist_ok=True)
    n, t = mrr["customer_id"].nunique(), mrr["month"].nunique()
    pd.DataFrame({"Customer": mrr["customer_id"].astype(str), "Month": mrr["month"].astype(str),
                  "MRR": mrr["mrr"]}).to_parquet(os.path.join(folder, "mrr.parquet"), index=False)
    revenue = mrr.groupby("month")["mrr"].sum()
    pd.DataFrame({"Month": revenue.index.astype(str), "Revenue": revenue.round(2).to_numpy(),
                  "COGS": (0.25 * revenue).round(2).to_numpy(), "S&M": (0.45 * revenue).round(2).to_numpy(),
                  "Cash flow": (-0.2 * revenue).round(2).to_numpy()}).to_csv(
        os.path.join(folder, "pnl.csv"), index=False)
    with open(os.path.join(folder, "company.toml"), "w") as f:
        f.write(COMPANY_TOML.format(n=n, t=t))
    return folder


def run_full(folder: str, out: str) -> dict:
    """What `reportlib kpis DIR --out OUT` does: load and validate the files, every KPI
    and table, write kpis.csv and tables/."""
    from reportlib.kpis import compute_kpis, write_kpis

    result = compute_kpis(folder)
    write_kpis(result, out)
    return {"rows": int(result.tables["mrr_bridge"]["customers"].iloc[-1]),
            "kpis": int(result.kpis["value"].notna().sum())}


DUCKDB_SQL = """
WITH g AS (
  SELECT customer_id, m, mrr,
         LAG(mrr, 1, 0) OVER w AS prev,
         COALESCE(MAX(mrr) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) > 0 AS seen,
         ROW_NUMBER() OVER w = 1 AND m = (SELECT MIN(m) FROM grid) AS opening
  FROM grid WINDOW w AS (PARTITION BY customer_id ORDER BY m)
), mv AS (
  SELECT m, mrr, prev,
    CASE WHEN opening THEN 'opening'
         WHEN prev = 0 AND mrr > 0 AND NOT seen THEN 'new'
         WHEN prev = 0 AND mrr > 0 THEN 'reactivation'
         WHEN prev > 0 AND mrr = 0 THEN 'churn'
         WHEN mrr > prev THEN 'expansion'
         WHEN mrr < prev THEN 'contraction'
         ELSE 'flat' END AS movement
  FROM g WHERE mrr > 0 OR prev > 0
)
SELECT m, movement, COUNT(*) AS n,
       SUM(CASE WHEN movement IN ('new', 'reactivation') THEN mrr
                WHEN movement = 'churn' THEN prev
                ELSE abs(mrr - prev) END) AS amount,
       SUM(mrr) AS closing
FROM mv GROUP BY ALL
"""


def run_duckdb(mrr: pd.DataFrame) -> dict:
    """Reference: movements on the dense grid in DuckDB SQL (LAG per customer ordered by
    month, CASE for the movement), aggregated to the monthly bridge."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = {THREADS}")
    con.execute("SET enable_progress_bar = false")
    frame = pd.DataFrame({"customer_id": mrr["customer_id"].astype(str),
                          "m": mrr["month"].array.asi8, "mrr": mrr["mrr"].to_numpy()})
    t0 = time.perf_counter()
    con.register("frame", frame)
    con.execute("CREATE TABLE grid AS SELECT * FROM frame")
    load = time.perf_counter() - t0
    out = con.execute(DUCKDB_SQL).df()
    return {"rows": int(out["n"].sum()), "load_s": load}


def _child(engine: str, n: int, t: int, repeats: int = REPEATS) -> None:
    """Run one engine on one size in this process, ``repeats`` times; print JSON with the
    best wall and CPU seconds (other processes on a shared machine only ever add time) and
    the peak RSS."""
    if hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0))[:THREADS]
        os.sched_setaffinity(0, cpus)
    mrr = generate_mrr(n, t)
    if engine == "full":
        import tempfile

        tmp = tempfile.mkdtemp(prefix="bench-kpis-")
        folder = write_company(mrr, os.path.join(tmp, "company"))
        del mrr  # the full run starts from the files, like the CLI
        run = lambda: run_full(folder, os.path.join(tmp, "out"))  # noqa: E731
    elif engine == "reportlib":
        run = lambda: run_reportlib(mrr)  # noqa: E731
    else:
        run = lambda: run_duckdb(mrr)  # noqa: E731
    walls, cpus_s = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        result = run()
        walls.append(time.perf_counter() - w0)
        cpus_s.append(time.process_time() - c0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    print(json.dumps({"engine": engine, "customers": n, "months": t, "seconds": min(walls),
                      "cpu_seconds": min(cpus_s), "peak_gib": peak / 2**30, **result}))


def _spawn(engine: str, n: int, t: int) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS=str(THREADS), OPENBLAS_NUM_THREADS=str(THREADS))
    proc = subprocess.run([sys.executable, "-m", "benchmarks.bench_kpis", "--child", engine,
                           str(n), str(t)], capture_output=True, text=True, env=env,
                          cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if proc.returncode != 0:
        raise RuntimeError(f"{engine} {n}x{t} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    """Run every size on both engines and print a table; non-zero exit if a target fails."""
    print("engine = movements + bridge + revenue_kpis + cohorts (M and Q) on an in-memory frame;")
    print("full = `reportlib kpis` from the files: load + validate + every KPI and table + write")
    print(f"best of {REPEATS} runs, {THREADS} cores; peak = max RSS including the input frame")
    print(f"{'customer-months':>16} {'engine':>10} {'seconds':>8} {'cpu s':>7} {'peak GiB':>9} "
          f"{'vs duckdb':>9}")
    ok = True
    for n, t in SIZES:
        ours, full, ref = (_spawn(e, n, t) for e in ("reportlib", "full", "duckdb"))
        ratio = ours["seconds"] / ref["seconds"]
        for r in (ours, full, ref):
            rel = f"{r['seconds'] / ref['seconds']:.2f}x" if r is not ref else ""
            name = "engine" if r is ours else r["engine"]
            print(f"{n * t:>16,} {name:>10} {r['seconds']:>8.2f} {r['cpu_seconds']:>7.2f} "
                  f"{r['peak_gib']:>9.2f} {rel:>9}")
        if n * t >= 6_000_000:
            ok &= all(r["seconds"] < TARGET_SECONDS and r["peak_gib"] < TARGET_GIB for r in (ours, full)) \
                and ratio <= TARGET_RATIO
    print(f"targets (6M: engine and full < {TARGET_SECONDS:.0f} s and < {TARGET_GIB:.0f} GiB, engine "
          f"<= {TARGET_RATIO}x DuckDB): {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(main())
