"""How the pack and portfolio benchmarks print a figure: value, target, ratio, machine load.

The machine is shared, so every figure carries the load average at the moment it was
measured; ratios measured in the same run are the figures to trust. Each benchmark's header
also gives the cost of fresh memory (:func:`fresh_memory`): on this build machine (a virtual
machine whose idle memory the host takes back) the first touch of a page costs from 0.15 to
more than 3 s per GiB, and a large run pays it for every page it touches first, so the same
command can take twice as long from one minute to the next with no other process running.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field

#: Run in a fresh process (a fresh address space): seconds to first touch 256 MiB.
_PROBE = "import time, numpy as np; t = time.perf_counter(); np.ones(2**25); print(time.perf_counter() - t)"


def load() -> str:
    """``load 1.05 2.90 3.40 on 2 cores`` (1, 5 and 15 minute load averages)."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def fresh_memory() -> str:
    """``fresh memory 0.15 s/GiB``: what a new process pays to first touch its memory now
    (256 MiB written once in a process of its own), the figure that says whether a large run
    was slowed by the machine's memory rather than by the code."""
    try:
        out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=60, check=True)
        return f"fresh memory {float(out.stdout) * 4:.2f} s/GiB"
    except (OSError, ValueError, subprocess.SubprocessError):
        return "fresh memory: not measured"


def figure(name: str, value: float, target: float, unit: str = "s") -> bool:
    """Print ``name: value (target <= target, ratio value/target) ok|OVER [load]``; True when met."""
    ok = value <= target
    print(
        f"{name}: {value:.2f}{unit} (target <= {target:.2f}{unit}, {value / target:.2f}x the target)"
        f" {'ok' if ok else 'OVER'}  [{load()}]",
        flush=True,
    )
    return ok


def _busy_ticks() -> int | None:
    """Busy clock ticks of the whole machine since boot, from ``/proc/stat``: user, nice,
    system, irq and softirq (guest time is inside user); idle, iowait and the steal of the
    virtual machine's host are not work done here."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq = (fields + [0] * 7)[:7]
    return user + nice + system + irq + softirq


@dataclass
class Busy:
    """CPU the whole machine did while the block ran: ``with Busy() as b: ...``, then
    ``b.cpu`` core-seconds over ``b.wall`` seconds, ``b.cores`` busy on average.

    On a quiet machine that is the measured command's own work, every process of it (kernels,
    Chromium, workers). It bounds what more cores could give: ``cpu / cores`` seconds is the
    least the same work can take. ``cpu`` is None where ``/proc/stat`` is not readable."""

    cpu: float | None = None
    wall: float = 0.0
    _start: tuple[float, int | None] = field(default=(0.0, None), repr=False)

    @property
    def cores(self) -> float | None:
        return None if self.cpu is None or not self.wall else self.cpu / self.wall

    def __enter__(self) -> Busy:
        self._start = (time.perf_counter(), _busy_ticks())
        return self

    def __exit__(self, *exc: object) -> None:
        started, before = self._start
        self.wall = time.perf_counter() - started
        after = _busy_ticks()
        if before is not None and after is not None:
            self.cpu = (after - before) / os.sysconf("SC_CLK_TCK")
