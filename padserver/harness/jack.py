"""A real JACK server on the dummy driver, and a client that captures what padserver plays."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid

import numpy as np


class JackServer:
    def __init__(self, rate: int = 48000, period: int = 128, name: str | None = None) -> None:
        self.rate = rate
        self.period = period
        self.name = name or f"pstest-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> JackServer:
        if shutil.which("jackd") is None:
            raise RuntimeError("jackd is not installed (apt-get install jackd2)")
        self.proc = subprocess.Popen(
            ["jackd", "--no-realtime", "-n", self.name, "-d", "dummy", "-r", str(self.rate), "-p", str(self.period)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import jack

        jack.set_error_function(lambda m: None)
        jack.set_info_function(lambda m: None)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                probe = jack.Client("probe", no_start_server=True, servername=self.name)
                probe.close()
                return self
            except jack.JackOpenError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("jackd did not come up")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    @property
    def env(self) -> dict:
        return {"JACK_DEFAULT_SERVER": self.name}


class Capture:
    """Records two input ports into a ring indexed by stream frame.

    A stream frame counts every frame the JACK graph has delivered to this
    client since it started, so it advances exactly as padserver's engine does
    (JACK's own frame clock may be re-estimated by the server and jump).
    """

    def __init__(self, server: JackServer, seconds: float = 30.0, name: str = "capture") -> None:
        import jack

        self.client = jack.Client(name, no_start_server=True, servername=server.name)
        self.inputs = [self.client.inports.register("in_L"), self.client.inports.register("in_R")]
        self.size = int(seconds * self.client.samplerate)
        self.ring = np.zeros((2, self.size), dtype=np.float32)
        self.last_frame = 0  # stream frames captured so far
        self._cycle = (0, 0)  # (stream frame, JACK frame time) at the start of the last cycle
        self.client.set_process_callback(self._process)
        self.client.activate()

    def _process(self, frames: int) -> None:
        t = self.last_frame
        self._cycle = (t, self.client.last_frame_time)
        for c, port in enumerate(self.inputs):
            data = port.get_array()
            i = t % self.size
            k = min(frames, self.size - i)
            self.ring[c, i : i + k] = data[:k]
            if k < frames:
                self.ring[c, : frames - k] = data[k:]
        self.last_frame = t + frames

    def connect(self, left: str, right: str) -> None:
        self.client.connect(left, self.inputs[0].name)
        self.client.connect(right, self.inputs[1].name)

    def now(self) -> int:
        """The current stream frame (estimated within the running cycle)."""
        stream, jack_time = self._cycle
        return stream + max(0, self.client.frame_time - jack_time)

    def wait_until(self, frame: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self.last_frame < frame:
            if time.monotonic() > deadline:
                raise TimeoutError(f"JACK did not reach frame {frame} (at {self.last_frame})")
            time.sleep(0.01)

    def onset_of(self, action, within: int, channel: int = 0, threshold: float = 1e-6) -> tuple[int, int | None]:
        """Run ``action`` (e.g. an OSC send) and find the first sound after it.

        Returns (stream frame just before the action, onset frame or None). The
        search starts a little before "now", which is an estimate that can run
        ahead of the frames already delivered.
        """
        sent = self.now()
        action()
        self.wait_until(sent + within)
        return sent, self.onset(sent - 2048, sent + within, channel, threshold)

    def frames(self, start: int, end: int) -> np.ndarray:
        """Captured audio for stream frames [start, end) as (2, n)."""
        assert end - start <= self.size and end <= self.last_frame
        assert start >= self.last_frame - self.size, "that audio was already overwritten"
        idx = np.arange(start, end) % self.size
        return self.ring[:, idx]

    def onset(self, start: int, end: int, channel: int = 0, threshold: float = 1e-6) -> int | None:
        """The stream frame of the first sample above ``threshold`` in [start, end)."""
        block = self.frames(start, end)[channel]
        hits = np.flatnonzero(np.abs(block) > threshold)
        return start + int(hits[0]) if len(hits) else None

    def close(self) -> None:
        try:
            self.client.deactivate()
            self.client.close()
        except Exception:
            pass
