"""Kernels and a browser kept warm from one pack to the next.

A pack on its own starts its toolchain and ends it: two ``python3`` kernels (Python,
pandas, matplotlib and the deck imported: seconds of CPU each) and one Chromium. Whoever
makes packs one after another pays that once with a :class:`Session`:

- the analyst who re-makes a company's pack while writing its commentary
  (``reportlib pack --watch``, :func:`reportlib.pack.build_pack` with ``session=``);
- a portfolio worker, which makes one company's pack after another.

The session owns what it starts and ends it in :meth:`Session.close` (or at the end of
its ``with`` block); a pack given a session leaves both running. A browser that died is
started again on the next pack; the kernels of a failed pack are replaced, never reused.
"""

from __future__ import annotations

import threading
from concurrent.futures import Executor, Future, ProcessPoolExecutor, wait

from reportlib import processes
from reportlib.exceptions import ExportError
from reportlib.render.chromium import Chromium
from reportlib.render.run import release_kernel, warm_up

__all__ = ["Session"]


class Session:
    """Warm kernels and one Chromium shared by the packs made with it.

    Parameters
    ----------
    jobs : int, optional
        Section notebooks run at once, as for :func:`reportlib.pack.build_pack` (default one
        per core). ``jobs=1``: the notebooks run from this process, in this thread's kept
        kernel (:mod:`reportlib.render.run`), and the session keeps only the browser.
    sections : int
        The number of section notebooks of a pack (no more workers than sections).

    Examples
    --------
    >>> with Session() as session:                                 # doctest: +SKIP
    ...     build_pack("data/meridian", session=session)
    ...     build_pack("data/meridian", session=session)  # no kernel or browser start
    """

    def __init__(self, jobs: int | None = None, sections: int = 7):
        self.jobs = jobs
        self.workers = min(jobs or processes.default_jobs(), max(1, sections))
        self._pool: ProcessPoolExecutor | None = None
        self._browser: Chromium | None = None
        self._warm_browser: Chromium | None = None  # the browser that printed its first page
        self._warming: list[Future] = []
        self._lock = threading.Lock()
        self.browsers_started = 0

    @property
    def inline(self) -> bool:
        """Whether the packs run their notebooks from this process (``jobs=1``)."""
        return self.workers < 2 or self.jobs == 1

    def executor(self) -> Executor | None:
        """The process pool whose workers keep one warm kernel each (started, and its
        kernels warmed up, on first use); None for ``jobs=1``."""
        if self.inline:
            return None
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(max_workers=self.workers, initializer=processes.die_with_parent)
                self._warming = warm_up(self._pool, self.workers)
            return self._pool

    def wait_warm(self, timeout: float | None = None, theme_css: str = "") -> None:
        """Start the kernels and the browser if need be, have the browser print its first
        page (:func:`reportlib.render.export.warm_printing`, in the look ``theme_css``) while
        the kernels warm, and wait (at most ``timeout`` seconds) until they are warm: a pack
        made now starts with its first section and prints at the browser's full speed."""
        from reportlib.render.export import warm_printing  # nbconvert: only once a session prints

        self.executor()
        browser = self.browser()
        if browser is not self._warm_browser:
            try:
                warm_printing(browser, theme_css)
                self._warm_browser = browser
            except ExportError:  # the pack names a browser that cannot print, with its remedy
                pass
        wait(self._warming, timeout)

    def browser(self) -> Chromium:
        """The session's Chromium, started now if there is none or the last one died.

        Started without waiting for its first answer (the pack checks it before the
        notebooks run). The browser ends with the thread that started it (Linux), so a
        session is used from one long-lived thread.
        """
        with self._lock:
            if self._browser is not None and not self._browser.alive:
                self._browser.close()
                self._browser = None
            if self._browser is None:
                self._browser = Chromium(wait=False)
                self.browsers_started += 1
            return self._browser

    def close(self) -> None:
        """End the kernels and the browser (for ``jobs=1``, the kept kernel of the
        thread that closes the session, the one its packs ran in)."""
        with self._lock:
            pool, browser = self._pool, self._browser
            self._pool = self._browser = None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        elif self.inline:
            release_kernel()
        if browser is not None:
            browser.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
