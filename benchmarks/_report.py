"""How the pack and portfolio benchmarks print a figure: value, target, ratio, machine load.

The machine is shared, so every figure carries the load average at the moment it was
measured; ratios measured in the same run are the figures to trust.
"""

from __future__ import annotations

import os


def load() -> str:
    """``load 1.05 2.90 3.40 on 2 cores`` (1, 5 and 15 minute load averages)."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def figure(name: str, value: float, target: float, unit: str = "s") -> bool:
    """Print ``name: value (target <= target, ratio value/target) ok|OVER [load]``; True when met."""
    ok = value <= target
    print(
        f"{name}: {value:.2f}{unit} (target <= {target:.2f}{unit}, {value / target:.2f}x the target)"
        f" {'ok' if ok else 'OVER'}  [{load()}]",
        flush=True,
    )
    return ok
