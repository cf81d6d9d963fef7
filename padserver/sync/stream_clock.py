"""When an engine frame is heard, for drivers that do not keep a clock of their own (PortAudio, null).

Each audio callback stamps the frame it starts with and the moment that frame
will leave the speakers: the host clock read in the callback plus how far the
output buffer's first sample is from the DAC (PortAudio's
``outputBufferDacTime − currentTime``, or the stream's latency where a host
API leaves its times at 0); the null driver stamps the time each block is due.
One stamp is as jittery as the callback's wake-up; the control side lays a
line through the last second of stamps (its slope is the sound card's rate on
the host clock, its place the median stamp), which is steady to a few
microseconds.

The host clock is the one Ableton Link keeps time on: CLOCK_MONOTONIC_RAW on
Linux, the monotonic clock (mach_absolute_time) on macOS, the performance
counter on Windows.
"""

from __future__ import annotations

import sys
import time

import numpy as np

if sys.platform.startswith("linux"):

    def host_seconds() -> float:
        return time.clock_gettime(time.CLOCK_MONOTONIC_RAW)
elif sys.platform == "darwin":
    host_seconds = time.monotonic
else:
    host_seconds = time.perf_counter

STAMPS = 256  # about a second of callbacks at 256 frames, more at smaller blocks


class StreamClock:
    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._frames = np.zeros(STAMPS, dtype=np.float64)
        self._heard = np.zeros(STAMPS, dtype=np.float64)  # seconds on the host clock
        self.count = 0

    def reset(self) -> None:
        """Audio thread: an underflow or a new stream; the stamps before it say nothing about the frames
        after it."""
        self.count = 0

    def stamp(self, frame: int, heard: float) -> None:
        """Audio thread: ``frame`` starts a block that is heard at ``heard`` (seconds on the host clock)."""
        i = self.count % STAMPS
        self._heard[i] = heard
        self._frames[i] = frame
        self.count += 1

    def heard(self) -> tuple[int, int] | None:
        """Control thread: (a recent engine frame, microseconds on the host clock when it is heard), or None
        before there are stamps enough to trust."""
        count = self.count
        n = min(count, STAMPS) - 2  # leave out the slots the audio thread may be writing
        if n < 16:
            return None
        newest = (count - 2) % STAMPS
        order = (np.arange(newest - n + 1, newest + 1)) % STAMPS
        frames = self._frames[order]
        heard = self._heard[order]
        t0 = heard[-1]
        x = frames - frames[-1]
        slope = np.polyfit(x, heard - t0, 1)[0] if n > 64 else 1.0 / self.rate
        place = t0 + float(np.median(heard - t0 - slope * x))
        return int(frames[-1]), int(round(place * 1e6))
