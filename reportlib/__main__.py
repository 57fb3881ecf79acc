"""``reportlib`` and ``python -m reportlib``: a pack the folder's server makes
(:mod:`reportlib.serve`) is sent there before anything heavy is imported; everything else
runs :func:`reportlib.cli.main`, a large company's heap faulted in meanwhile
(:func:`reportlib._memory.warm_heap_for`)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from reportlib._memory import warm_heap_for
from reportlib.serve import forward


def entry(argv: Sequence[str] | None = None) -> int:
    """Run the command line; the exit code (see :func:`reportlib.cli.main`)."""
    args = list(sys.argv[1:] if argv is None else argv)
    code = forward(args)
    if code is not None:
        return code
    warm_heap_for(args)  # a large company's heap, on the second core while the imports run
    from reportlib.cli import main as run_here  # pandas and click: only for a command made here

    return run_here(args)


if __name__ == "__main__":
    sys.exit(entry())
