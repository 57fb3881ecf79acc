"""A progress bar for portfolio runs: companies done / failed / running, elapsed, remaining.

A thin wrapper over tqdm writing to stderr, so that stdout keeps only the final table. When
stderr is not a terminal (a log file, CI) there is no bar: one plain line per finished pack,
never the bar's redraw frames.
"""

from __future__ import annotations

import sys
from typing import Any

from tqdm.auto import tqdm


class Progress:
    """Count finished tasks and show them as one tqdm bar on stderr.

    Parameters
    ----------
    total
        Number of tasks (company and segment packs) in the run.
    enabled
        ``False`` draws nothing (the counters still work).
    """

    def __init__(self, total: int, enabled: bool = True):
        self.done = self.skipped = self.failed = self.running = 0
        self.total = total
        self._bar: Any = None
        self._plain = enabled and not sys.stderr.isatty()
        if enabled and total and not self._plain:
            self._bar = tqdm(
                total=total,
                desc="portfolio",
                unit="pack",
                file=sys.stderr,
                dynamic_ncols=True,
                leave=True,
                bar_format="{desc}: {n}/{total} |{bar}| {postfix} [{elapsed} elapsed, {remaining} left]",
            )
            self._show()

    def started(self, running: int) -> None:
        """Record how many tasks are running now."""
        self.running = running
        self._show()

    def finished(self, status: str, running: int) -> None:
        """Record one finished task (``done``, ``skipped`` or ``failed``)."""
        if status == "failed":
            self.failed += 1
        elif status == "skipped":
            self.skipped += 1
        else:
            self.done += 1
        self.running = running
        if self._bar is not None:
            self._bar.update(1)
        elif self._plain:
            print(
                f"portfolio: {self.done + self.skipped + self.failed}/{self.total} ({status}); "
                f"done {self.done}, skipped {self.skipped}, failed {self.failed}",
                file=sys.stderr,
                flush=True,
            )
        self._show()

    def close(self) -> None:
        """Leave the finished bar on screen."""
        if self._bar is not None:
            self.running = 0
            self._show()
            self._bar.close()
            self._bar = None

    def _show(self) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(
                f"done {self.done}, skipped {self.skipped}, failed {self.failed}, running {self.running}", refresh=True
            )
