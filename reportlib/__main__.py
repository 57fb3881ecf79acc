"""``reportlib`` and ``python -m reportlib``: a pack the folder's server makes
(:mod:`reportlib.serve`) is sent there before anything heavy is imported; everything else
runs :func:`reportlib.cli.main`, with work its arguments call for started meanwhile: a large
company's heap faulted in (:func:`reportlib._memory.warm_heap_for`), a pack's kernel warmed
(:mod:`reportlib.render.ahead`)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from reportlib._command import company_folder
from reportlib._memory import warm_heap_for
from reportlib.serve import forward

_PACK = frozenset({"pack"})


def entry(argv: Sequence[str] | None = None) -> int:
    """Run the command line; the exit code (see :func:`reportlib.cli.main`)."""
    args = list(sys.argv[1:] if argv is None else argv)
    code = forward(args)
    if code is not None:
        return code
    warm_heap_for(args)  # a large company's heap, on the second core while the imports run
    kernels = _kernels_ahead(args)
    from reportlib.cli import main as run_here  # pandas and click: only for a command made here

    try:
        return run_here(args)
    finally:
        if kernels:
            from reportlib.render import ahead

            ahead.discard()  # a pool not taken (a wrong option): ended now; else nothing to do


def _kernels_ahead(args: Sequence[str]) -> bool:
    """Start the kernels of a pack this command makes (not ``--watch``) before importing the
    CLI, which takes about half a second: they warm on the second core meanwhile, and a cold
    pack's first section waited for them (see :mod:`reportlib.render.ahead`). The ``pack``
    verb takes them over. Whether they were started."""
    if "--watch" in args or company_folder(args, _PACK) is None:
        return False
    from reportlib.render import ahead  # concurrent.futures: only for a pack made here

    ahead.start()
    return True


if __name__ == "__main__":
    sys.exit(entry())
