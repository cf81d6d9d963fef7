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

from padserver.engine.ring import Ring

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
        self.stamps = Ring(STAMPS, 2)  # (engine frame, when it is heard in seconds on the host clock)

    def reset(self) -> None:
        """Audio thread: an underflow or a new stream; the stamps before it say nothing about the frames
        after it."""
        self.stamps.written = 0

    def stamp(self, frame: int, heard: float) -> None:
        """Audio thread: ``frame`` starts a block that is heard at ``heard`` (seconds on the host clock)."""
        stamps = self.stamps
        row = stamps.rows[stamps.slot()]
        row[0] = frame
        row[1] = heard
        stamps.commit()

    def heard(self) -> tuple[int, int] | None:
        """Control thread: (a recent engine frame, microseconds on the host clock when it is heard), or None
        before there are stamps enough to trust."""
        stamps = self.stamps
        n = min(stamps.written, STAMPS) - 2  # leave out the slots the audio thread may be writing
        if n < 16:
            return None
        rows = stamps.rows[stamps.newest(n, skip=1)]
        frames, heard = rows[:, 0], rows[:, 1]
        t0 = heard[-1]
        x = frames - frames[-1]
        slope = np.polyfit(x, heard - t0, 1)[0] if n > 64 else 1.0 / self.rate
        place = t0 + float(np.median(heard - t0 - slope * x))
        return int(frames[-1]), int(round(place * 1e6))
