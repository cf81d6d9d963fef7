"""The tests' ears on JACK: a capture client in a process of its own that records two ports by JACK frame time,
with JACK's account of every cycle it ran (which frames it never got)."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
import warnings

import numpy as np

from padserver.harness.jack import JackServer, _within


class Capture:
    """Records two input ports into a ring indexed by JACK frame time, from a JACK client in a process of its
    own (`padserver.harness.capture_process`: the test's Python cannot starve it of a cycle).

    Each cycle is stored at JACK's ``last_frame_time`` for that cycle, the frame
    every client of the cycle agrees on, so a MIDI device client and this
    capture can be compared frame for frame.
    """

    def __init__(self, server: JackServer, seconds: float = 30.0, name: str = "capture", latency: int = 0) -> None:
        """``latency``: the playback latency the ports declare, as a sound card's output would (what
        reaches them at frame F is heard at F + latency)."""
        import sys

        from padserver.harness import capture_process as cp

        self.rate = server.rate
        self.size = int(seconds * self.rate)
        fd, self._path = tempfile.mkstemp(prefix="capture-", suffix=".ring")
        os.ftruncate(fd, cp.file_size(self.size))
        os.close(fd)
        self._header, self.ring, self._cycles = cp.layout(self._path, self.size, writable=False)
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "padserver.harness.capture_process", server.name, self._path, str(self.size),
             name, str(latency)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env={**os.environ, **server.env},
        )  # fmt: skip
        ready = self._answer(30.0) or ""
        if not ready.startswith("ready "):
            self._end()
            raise RuntimeError(f"the capture client {name!r} did not join JACK server {server.name}")
        self.name = ready[len("ready ") :]  # (JACK's name for it: another client may have had the one asked)
        self.blocksize = int(self._header[cp.PERIOD])
        import jack

        # (a client that never runs a cycle, for JACK's frame clock: what it is asked cannot be late)
        self._clock = jack.Client(f"{name} clock", no_start_server=True, servername=server.name)

    @property
    def last_frame(self) -> int:
        """One past the last captured frame."""
        from padserver.harness.capture_process import LAST

        return int(self._header[LAST])

    def _answer(self, timeout: float) -> str | None:
        got: list[str] = []
        assert self._proc.stdout is not None
        if not _within(lambda: got.append(self._proc.stdout.readline().strip()), timeout):  # type: ignore[union-attr]
            return None
        return got[0] if got else None

    def connect(self, left: str, right: str) -> None:
        """Connect ``left`` and ``right`` to the capture's inputs (through the clock client: any client may)."""
        self._clock.connect(left, f"{self.name}:in_L")
        self._clock.connect(right, f"{self.name}:in_R")

    def connections(self) -> list[tuple[str, list[str]]]:
        """Each input port's short name and the ports connected to it."""
        return [
            (port, [c.name for c in self._clock.get_all_connections(f"{self.name}:{port}")])
            for port in ("in_L", "in_R")
        ]

    def close(self, timeout: float = 5.0) -> None:
        """Leave JACK; never raises nor hangs (a wedged server: the client process is killed after ``timeout``)."""
        try:
            assert self._proc.stdin is not None
            self._proc.stdin.write("close\n")
            self._proc.stdin.close()
        except (OSError, ValueError):
            pass
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            warnings.warn(f"the test's Capture did not leave JACK within {timeout} s", stacklevel=2)
        self._end()

    def _end(self) -> None:
        clock = getattr(self, "_clock", None)
        if clock is not None:
            _within(clock.close, 1.0)
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        for stream in (self._proc.stdin, self._proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except (OSError, ValueError):
                pass
        try:
            os.unlink(self._path)
        except OSError:
            pass

    def time_lost(self, start: int, end: int) -> float:
        """Milliseconds JACK's frames fell behind the host clock between frames ``start`` and ``end``.

        The dummy driver starts its clock again after a cycle that ran late, losing that time, as no sound
        card does: a sound placed on the host clock before such a loss is heard late by it.
        """
        frames, micros = self._recent_cycles()
        a, b = np.searchsorted(frames, [start, end], side="right") - 1
        a, b = max(0, a), max(0, b)
        return float((micros[b] - micros[a]) - (frames[b] - frames[a]) * 1e6 / self.rate) / 1000.0

    def missed(self, start: int, end: int) -> int:
        """How many of the frames [start, end) this client never received: JACK ran their cycles without it
        (a loaded machine), so what sounded there is unknown. Only frames up to `last_frame` count."""
        end = min(end, self.last_frame)
        if end <= start:
            return 0
        firsts, _ = self._recent_cycles()
        firsts = firsts.astype(np.int64)
        got = np.clip(np.minimum(firsts + self.blocksize, end) - np.maximum(firsts, start), 0, None).sum()
        return int(end - start - got)

    def time_of(self, frame: int) -> float:
        """When ``frame`` reached this client on the host clock, in µs: from the time JACK gave its cycle as that
        cycle ran (JACK's frame → time estimate for an older frame drifts with every cycle the driver ran late)."""
        frames, micros = self._recent_cycles()
        i = max(0, int(np.searchsorted(frames, frame, side="right")) - 1)
        return float(micros[i] + (frame - frames[i]) * 1e6 / self.rate)

    def _recent_cycles(self) -> tuple[np.ndarray, np.ndarray]:
        """The first frames of the cycles the ring still holds, and their times on the host clock in µs."""
        from padserver.harness.capture_process import CYCLES_DONE

        done = int(self._header[CYCLES_DONE])
        slots = len(self._cycles)
        n = min(done, slots - 1, 4 * self.size // max(1, self.blocksize))
        order = np.arange(done - n, done) % slots
        cycles = np.array(self._cycles[order], dtype=np.float64)
        return cycles[:, 0], cycles[:, 1]

    def now(self) -> int:
        """JACK's estimate of the current frame (it may run a little ahead of delivered frames)."""
        return self._clock.frame_time

    def wait_until(self, frame: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self.last_frame < frame:
            if time.monotonic() > deadline:
                raise TimeoutError(f"JACK did not reach frame {frame} (at {self.last_frame})")
            time.sleep(0.01)

    def onset_of(
        self, action, within: int, channel: int = 0, threshold: float = 1e-6, patience_s: float = 10.0
    ) -> tuple[int, int | None]:
        """Run ``action`` (e.g. an OSC send) and find the first sound after it.

        Returns (stream frame just before the action, onset frame or None). The search starts a little before
        "now", which is an estimate that can run ahead of the frames already delivered. It looks ``within``
        frames on, and goes on looking (a tenth of a second at a time, up to ``patience_s``) while nothing has
        sounded: a loaded machine may take that long to act, and how long it took is a benchmark's figure,
        not a test's.
        """
        sent = self.now()
        action()
        end = sent + max(within, int(min(patience_s * self.rate, self.size / 2)))
        t = sent + within
        while True:
            self.wait_until(t)
            onset = self.onset(max(sent - 2048, t - self.size // 2), t, channel, threshold)
            if onset is not None or t >= end:
                return sent, onset
            t = min(end, t + self.rate // 10)

    def frames(self, start: int, end: int) -> np.ndarray:
        """Captured audio for frames [start, end) as (2, n)."""
        assert end - start <= self.size and end <= self.last_frame
        assert start >= self.last_frame - self.size, "that audio was already overwritten"
        idx = np.arange(start, end) % self.size
        return self.ring[:, idx]

    def onset(self, start: int, end: int, channel: int = 0, threshold: float = 1e-6) -> int | None:
        """The frame of the first sample above ``threshold`` in [start, end)."""
        block = self.frames(start, end)[channel]
        hits = np.flatnonzero(np.abs(block) > threshold)
        return start + int(hits[0]) if len(hits) else None

    def sure_onset(self, start: int, end: int, channel: int = 0, threshold: float = 1e-6) -> int | None:
        """The onset of a sound in [start, end), or None when JACK ran the cycle before it without this client:
        the sound may have started in the frames the capture missed. (A sound heard silent on the frame
        before its onset did not start earlier, unless it stopped and started again.)"""
        onset = self.onset(start, end, channel, threshold)
        if onset is not None and onset > start and self.missed(onset - 1, onset):
            return None
        return onset

    def starts_cycle(self, frame: int) -> bool:
        """Whether ``frame`` is the first of a cycle this client ran: where a sound due in a cycle JACK ran
        without its player begins to be heard."""
        firsts, _ = self._recent_cycles()
        return bool(np.isin(frame, firsts.astype(np.int64)))
