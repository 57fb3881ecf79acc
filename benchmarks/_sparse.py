"""A sparse, realistic generated company for the KPI benchmark, cached under benchmarks/out/.

Customers start at staggered months (some before the data: the opening balance), churn,
come back after a gap, expand and contract; only active customer-months are rows, as a
billing-system export has them. Ids and months are strings in Parquet (``Customer``,
``Month`` = ``YYYY-MM``, ``MRR``), rows sorted by month then customer as exports usually are.

320,000 customers over 60 months give about 6M customer-months; 64,000 give about 1.2M.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

OUT = Path(__file__).resolve().parent / "out"
FIRST_YEAR = 2021
CHURN, RETURN, CHANGE = 0.053, 0.02, 0.05  # monthly probabilities
VERSION = 1  # bump when the generator changes

COMPANY_TOML = """
[company]
name = "Benchmark {n:,} customers x {t} months"
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


def month_labels(n_months: int) -> np.ndarray:
    """``YYYY-MM`` strings of the n months from January of FIRST_YEAR."""
    k = np.arange(n_months)
    return np.array([f"{FIRST_YEAR + i // 12}-{i % 12 + 1:02d}" for i in k])


def simulate(n_customers: int, n_months: int, seed: int = 11) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(customer number, month index, mrr) of every active customer-month.

    A two-state chain per customer (active / away) from its start month; while active the
    price steps up or down now and then. Vectorised over customers, a loop over months.
    """
    rng = np.random.default_rng(seed)
    start = rng.integers(-n_months // 3, n_months, n_customers)  # before 0: opening customers
    price = np.round(rng.lognormal(5.5, 1.0, n_customers), 2)
    active = np.zeros(n_customers, dtype=bool)
    cust, month, mrr = [], [], []
    for m in range(n_months):
        u = rng.random(n_customers)
        started = start == m if m > 0 else start <= 0
        was_on = start < m if m > 0 else np.zeros(n_customers, dtype=bool)
        active = np.where(started, True, np.where(active, u >= CHURN, was_on & (u < RETURN)))
        step = rng.random(n_customers) < CHANGE
        factor = rng.choice(np.array([0.7, 0.9, 1.1, 1.25, 1.5]), n_customers)
        price = np.where(step & active, np.round(price * factor, 2), price)
        on = np.flatnonzero(active)
        cust.append(on)
        month.append(np.full(len(on), m, dtype=np.int16))
        mrr.append(price[on])
    return np.concatenate(cust), np.concatenate(month), np.concatenate(mrr)


def company_folder(n_customers: int, n_months: int = 60) -> Path:
    """The cached company folder for this size, generated on first use."""
    folder = OUT / f"sparse-v{VERSION}-{n_customers}x{n_months}"
    if (folder / "company.toml").is_file():
        return folder
    tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    cust, month, mrr = simulate(n_customers, n_months)
    # ids in an order unrelated to the start month, so sorting them is real work
    numbers = np.random.default_rng(5).permutation(n_customers)
    ids = np.char.add("cus_", np.char.zfill(numbers.astype(str), 7)).astype(object)
    table = pa.table(
        {
            "Customer": pa.array(ids[cust], type=pa.string()),
            "Month": pa.array(month_labels(n_months).astype(object)[month], type=pa.string()),
            "MRR": pa.array(mrr, type=pa.float64()),
        }
    )
    pq.write_table(table, tmp / "mrr.parquet")
    revenue = np.round(np.bincount(month, weights=mrr, minlength=n_months), 2)
    with open(tmp / "pnl.csv", "w") as f:
        f.write("Month,Revenue,COGS,S&M,Cash flow\n")
        for label, r in zip(month_labels(n_months), revenue, strict=False):
            f.write(f"{label},{r:.2f},{0.25 * r:.2f},{0.45 * r:.2f},{-0.2 * r:.2f}\n")
    (tmp / "company.toml").write_text(COMPANY_TOML.format(n=n_customers, t=n_months))
    tmp.rename(folder)
    return folder


def rows(folder: Path) -> int:
    """Customer-months in a company folder's mrr.parquet."""
    return pq.ParquetFile(folder / "mrr.parquet").metadata.num_rows
