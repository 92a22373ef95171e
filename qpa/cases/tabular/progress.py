"""Telling a caller how far a read has gone: `on_progress(rows_done, rows_total_estimate)`."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[int, int], None]

PROGRESS_EVERY = 1000  # rows between two calls


class ProgressCounter:
    """Counts rows given out and calls `on_progress` every `every` rows and once at the
    end. The total is an estimate (from the file's size or dimensions) that can be
    revised as sheets are loaded; a call never gives a total below the rows done."""

    def __init__(self, on_progress: Progress | None, total: int, every: int = PROGRESS_EVERY):
        self.on_progress = on_progress
        self.total = total
        self.every = every
        self.done = 0

    def step(self) -> None:
        self.done += 1
        if self.on_progress is not None and self.done % self.every == 0:
            self.on_progress(self.done, max(self.total, self.done))

    def advance(self, rows: int) -> None:
        """``rows`` more rows given out at once: the same calls as as many steps."""
        done, self.done = self.done, self.done + rows
        if self.on_progress is not None:
            for mark in range(done - done % self.every + self.every, self.done + 1, self.every):
                self.on_progress(mark, max(self.total, mark))

    def finish(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.done, self.done)
