"""The null backend: no sound card, the engine paced by a clock at real-time speed."""

from __future__ import annotations

import threading
import time

from padserver.drivers.backend import Backend, BackendInfo
from padserver.sync.stream_clock import StreamClock, host_seconds


class NullBackend(Backend):
    name = "null"

    def __init__(self, config, reason: str) -> None:
        super().__init__()
        audio = config.audio
        self.info = BackendInfo(
            "null", reason, int(audio.sample_rate), int(audio.block_size), device="(none: clock-paced)"
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.stream_clock = self._stamps = StreamClock(self.info.sample_rate)  # the pacing clock (MIDI clock in, Link)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="padserver-null-audio", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        # each block is due at a time of the host clock's; that time is when the block "is heard"
        block = self.info.block_size
        period = block / self.info.sample_rate
        due = host_seconds()
        while not self._stop.is_set():
            self._stamps.stamp(self.engine.frame, due)
            self._render(block)
            due += period
            wait = due - host_seconds()
            if wait > 0:
                time.sleep(wait)
            elif wait < -period:  # fell behind by more than a block: count it, and skip the blocks missed,
                # as a sound card's clock would go on (the frames stay on the clock: MIDI clock in, Link)
                self.engine.meters.xruns += 1
                missed = int(-wait / period)
                self.engine.frame += missed * block
                due += missed * period

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
