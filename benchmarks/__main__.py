"""Run the benchmarks: ``python -m benchmarks`` runs every ``bench_*.py``, ``python -m
benchmarks pack kpis`` only those named; ``--quick`` asks each for its smaller run (the
module's ``QUICK_ARGS``; a module without them runs as usual). Each module has a
``main(argv)`` returning an exit code."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


def _names() -> list[str]:
    return sorted(p.stem[len("bench_") :] for p in Path(__file__).parent.glob("bench_*.py"))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    quick = "--quick" in argv
    wanted = [a for a in argv if a != "--quick"] or _names()
    known = _names()
    unknown = [n for n in wanted if n not in known]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(known)}", file=sys.stderr)
        return 2
    status = 0
    for name in wanted:
        print(f"== {name} ==", flush=True)
        module = importlib.import_module(f"benchmarks.bench_{name}")
        args = list(getattr(module, "QUICK_ARGS", [])) if quick else []
        saved, sys.argv = sys.argv, [f"bench_{name}", *args]  # each main() parses its own argv
        try:
            status = max(status, int(module.main(args) or 0))
        finally:
            sys.argv = saved
    return status


if __name__ == "__main__":
    sys.exit(main())
