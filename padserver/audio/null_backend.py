"""The null backend: no sound card, the engine paced by a clock at real-time speed."""

from __future__ import annotations

import threading
import time

from padserver.audio.backend import Backend, BackendInfo


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

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="padserver-null-audio", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        block = self.info.block_size
        period = block / self.info.sample_rate
        deadline = time.monotonic()
        while not self._stop.is_set():
            self._render(block)
            deadline += period
            wait = deadline - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            elif wait < -period:  # fell behind by more than a block: count it, catch up
                self.engine.meters.xruns += 1
                deadline = time.monotonic()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
