"""Notice when the event loop stops turning, and say where it is stuck.

Everything a musician touches (OSC, MIDI lights, the service watchdog) runs on the event loop, so a loop that
hangs is a deaf daemon. A thread of its own looks every ``CHECK_S`` at when the loop last turned; once that is
``STALL_S`` ago it logs so, followed on stderr (where the log goes) by the loop thread's stack, and when the
loop turns again it logs how long the stall lasted. ``longest`` keeps the longest stall seen, for ``/status``
and the benchmarks. (The stack is written by faulthandler inside the loop thread itself, on a signal sent to
that thread alone: it works while the thread is stuck in C, and nothing reads the thread states of the audio
driver's threads, which other threads cannot safely walk.)
"""

from __future__ import annotations

import asyncio
import faulthandler
import logging
import signal
import sys
import threading
import time

log = logging.getLogger("padserver.loop")

TICK_S = 0.1  # how often the loop marks that it turns
CHECK_S = 0.25
STALL_S = 2.0  # a stall this long is logged, with where the loop is
STACK_SIGNAL = getattr(signal, "SIGUSR2", None)  # asks the loop thread for its stack (faulthandler answers)


class LoopWatch:
    def __init__(self, stall_s: float = STALL_S) -> None:
        self.stall_s = stall_s
        self.longest = 0.0  # the longest time between two turns, in seconds
        self._turned = time.monotonic()
        self._stalled_since: float | None = None
        self._thread: int | None = None
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self._ticker: asyncio.Task | None = None

    def start(self) -> None:
        """On the event loop: start marking turns and watching them."""
        self._turned = time.monotonic()
        self._thread = None
        if STACK_SIGNAL is not None:
            try:
                faulthandler.register(STACK_SIGNAL, file=sys.stderr, all_threads=False)
                self._thread = threading.get_ident()
            except (OSError, ValueError, AttributeError, RuntimeError):  # (no stderr with a file descriptor)
                pass
        self._ticker = asyncio.get_running_loop().create_task(self._tick())
        self._watcher = threading.Thread(target=self._watch, name="loop watch", daemon=True)
        self._watcher.start()

    async def _tick(self) -> None:
        while True:
            now = time.monotonic()
            gap = now - self._turned
            self.longest = max(self.longest, gap)
            self._turned = now
            if self._stalled_since is not None:
                self._stalled_since = None
                log.warning("the event loop turns again after %.1f s", gap)
            await asyncio.sleep(TICK_S)

    def _watch(self) -> None:
        while not self._stop.wait(CHECK_S):
            gap = time.monotonic() - self._turned
            if gap < self.stall_s or self._stalled_since is not None:
                continue
            self._stalled_since = self._turned
            log.warning("the event loop has not turned for %.1f s; its stack follows", gap)
            if self._thread is not None and STACK_SIGNAL is not None:
                signal.pthread_kill(self._thread, STACK_SIGNAL)

    def stop(self) -> None:
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=2 * CHECK_S)
            if self._watcher.is_alive():
                return  # (the signal's handler stays: a late signal must not find the default, which ends us)
        if self._thread is not None and STACK_SIGNAL is not None:
            faulthandler.unregister(STACK_SIGNAL)
            self._thread = None
        if self._ticker is not None:
            self._ticker.cancel()
