"""Notice when the event loop stops turning, and say where it is stuck.

Everything a musician touches (OSC, MIDI lights, the service watchdog) runs on the event loop, so a loop that
hangs is a deaf daemon. A thread of its own looks every ``CHECK_S`` at when the loop last turned; once that is
``STALL_S`` ago it logs where the loop's thread is (its innermost frames), and when the loop turns again it logs
how long the stall lasted. ``longest`` keeps the longest stall seen, for ``/status`` and the benchmarks.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
import traceback

log = logging.getLogger("padserver.loop")

TICK_S = 0.1  # how often the loop marks that it turns
CHECK_S = 0.25
STALL_S = 2.0  # a stall this long is logged, with where the loop is
FRAMES = 6  # innermost frames of the stuck thread in the log


class LoopWatch:
    def __init__(self, stall_s: float = STALL_S) -> None:
        self.stall_s = stall_s
        self.longest = 0.0  # the longest time between two turns, in seconds
        self._turned = time.monotonic()
        self._thread_id: int | None = None
        self._stalled_since: float | None = None
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self._ticker: asyncio.Task | None = None

    def start(self) -> None:
        """On the event loop: start marking turns and watching them."""
        self._thread_id = threading.get_ident()
        self._turned = time.monotonic()
        self._ticker = asyncio.get_running_loop().create_task(self._tick())
        self._watcher = threading.Thread(target=self._watch, name="loop watch", daemon=True)
        self._watcher.start()

    async def _tick(self) -> None:
        while True:
            now = time.monotonic()
            gap = now - self._turned
            self.longest = max(self.longest, gap)
            self._turned = now
            since = self._stalled_since
            if since is not None:
                self._stalled_since = None
                log.warning("the event loop turns again after %.1f s", gap)
            await asyncio.sleep(TICK_S)

    def _watch(self) -> None:
        while not self._stop.wait(CHECK_S):
            gap = time.monotonic() - self._turned
            if gap < self.stall_s or self._stalled_since is not None:
                continue
            self._stalled_since = self._turned
            log.warning("the event loop has not turned for %.1f s; it is in: %s", gap, self.where())

    def where(self) -> str:
        """The loop thread's innermost frames, innermost last, as ``file:line function`` steps."""
        frame = sys._current_frames().get(self._thread_id or 0)
        if frame is None:
            return "(unknown)"
        steps = traceback.extract_stack(frame)[-FRAMES:]
        return " → ".join(f"{'/'.join(s.filename.split('/')[-2:])}:{s.lineno} {s.name}" for s in steps)

    def stop(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.cancel()
