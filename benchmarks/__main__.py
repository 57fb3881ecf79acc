"""Run the benchmarks: ``python -m benchmarks`` runs every ``bench_*.py``, ``python -m
benchmarks pack kpis`` only those named. Each module has a ``main()`` returning an exit code."""
from __future__ import annotations

import importlib
import sys
from pathlib import Path


def _names() -> list[str]:
    return sorted(p.stem[len("bench_"):] for p in Path(__file__).parent.glob("bench_*.py"))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    known = _names()
    wanted = argv or known
    unknown = [n for n in wanted if n not in known]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(known)}", file=sys.stderr)
        return 2
    status = 0
    for name in wanted:
        print(f"== {name} ==", flush=True)
        module = importlib.import_module(f"benchmarks.bench_{name}")
        saved, sys.argv = sys.argv, [f"bench_{name}"]   # each main() parses its own (empty) argv
        try:
            status = max(status, int(module.main() or 0))
        finally:
            sys.argv = saved
    return status


if __name__ == "__main__":
    sys.exit(main())
