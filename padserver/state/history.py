"""Undo and redo: every change records how to undo and redo itself (commands as data, not snapshots).

A run of changes to one continuous control (a fader sweep) within a moment of
each other is one step. Nothing is recorded while a step is being undone or
redone.
"""

from __future__ import annotations

import inspect
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class Step:
    label: str
    undo: Callable
    redo: Callable
    key: str | None
    at: float


class History:
    def __init__(self, depth: int = 200, coalesce_s: float = 1.0, now: Callable[[], float] = time.monotonic) -> None:
        # a fader sweep: changes to one control less than ``coalesce_s`` apart are one step
        self.depth = depth
        self.coalesce_s = coalesce_s
        self.now = now  # the clock a sweep is timed on (the audio driver's)
        self.past: deque[Step] = deque(maxlen=depth)
        self.future: list[Step] = []
        self._replaying = False

    def record(self, label: str, undo: Callable, redo: Callable, key: str | None = None) -> None:
        if self._replaying:
            return
        now = self.now()
        last = self.past[-1] if self.past else None
        if key is not None and last is not None and last.key == key and now - last.at < self.coalesce_s:
            last.redo, last.at = redo, now  # the sweep goes on: one step from where it started
        else:
            self.past.append(Step(label, undo, redo, key, now))
        self.future.clear()

    async def _run(self, fn: Callable) -> None:
        self._replaying = True
        try:
            result = fn()
            if inspect.isawaitable(result):
                await result
        finally:
            self._replaying = False

    async def undo(self) -> str | None:
        if not self.past:
            return None
        step = self.past.pop()
        await self._run(step.undo)
        self.future.append(step)
        return step.label

    async def redo(self) -> str | None:
        if not self.future:
            return None
        step = self.future.pop()
        await self._run(step.redo)
        step.at = 0.0  # a redone step never swallows the next change
        self.past.append(step)
        return step.label

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Changes made inside are not steps (opening a project, for one)."""
        before, self._replaying = self._replaying, True
        try:
            yield
        finally:
            self._replaying = before

    def clear(self) -> None:
        self.past.clear()
        self.future.clear()
