"""``reportlib`` and ``python -m reportlib``: a pack the folder's server makes
(:mod:`reportlib.serve`) is sent there before anything heavy is imported; everything else
runs :func:`reportlib.cli.main`, with work its arguments call for started meanwhile: a large
company's heap faulted in (:func:`reportlib._memory.warm_heap_for`), a pack's kernel warmed
(:mod:`reportlib.render.ahead`). The program then ends without tearing its modules down
(:func:`run`)."""

from __future__ import annotations

import atexit
import os
import sys
import threading
from collections.abc import Sequence
from typing import NoReturn

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


def run() -> NoReturn:
    """The ``reportlib`` program: :func:`entry`, then the process ends as Python ends it,
    minus the teardown of every module and object.

    That teardown frees pandas, nbconvert, pyarrow and the rest one object at a time: 0.2-0.25
    s at the end of every command (0.08 s for pandas alone), which the operating system does
    at once when the process ends. Everything a normal exit does that anyone can see is done
    first: threads are joined and their exit callbacks run (``threading``'s own, as at a normal
    exit), then the ``atexit`` handlers (logging, multiprocessing, temporary folders), then
    the standard streams are flushed. An exception, ``SystemExit`` included, leaves the usual
    way."""
    code = entry()
    threading._shutdown()  # type: ignore[attr-defined]  # what Python runs first at exit
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that went away (| head), a closed stream
            code = code or 1
    os._exit(code)


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
    run()
