"""A voice's speed and phase: the read position on the buffer, the cycle's length at the current speed, and
following a tempo change (varispeed) or a clock's phase moving a hair (a nudge), so every cycle ends on its beat.

Part of `PadVoice` (its attributes live in the voice's slots). Audio-thread rules as in the voice.
"""

from __future__ import annotations

import math

INF = 1 << 62  # (a frame never reached)
EPS = 1e-6
MIN_CYCLE = 256.0  # a loop cycle's fewest buffer frames (5 ms at 48 kHz): a narrower region plays this much, so
# a block never wraps more than once whatever the region (a 1e-4 one cost ~50 times a normal pad per block)
MAX_NUDGE = 0.01  # the most a voice's speed is nudged to follow another clock's phase (17 cents)


class Varispeed:
    # (no slots of its own: the voice keeps them)
    # (the voice's slots these methods use)
    playing: bool
    exact: bool
    read0: int
    cycle_start: int
    cycle_end: int
    anchor: float
    speed: float
    region: tuple[float, float]
    period: float
    out_beat: float
    beat_frames: float
    origin: float
    nudged: bool

    def _read_index(self, t: int) -> int:
        if self.exact:
            return self.read0 + (t - self.cycle_start)
        return self.read0 + int(math.floor((t - self.anchor) * self.speed))

    def _region_frames(self) -> float:
        """The current region's length in buffer frames (never shorter than MIN_CYCLE)."""
        return max(MIN_CYCLE, (self.region[1] - self.region[0]) * self.period)

    def _cycle_frames(self) -> float:
        """The current region's length in output frames at the current speed."""
        return self._region_frames() / self.speed

    def retime(self, t: int, out_beat: float) -> None:
        """The tempo changed at frame ``t``: play on at the speed that keeps each cycle on its beats."""
        self.out_beat = out_beat
        old = self.speed
        self._set_speed()
        if not self.playing or self.speed == old:
            return
        pos = self.read0 + (t - self.anchor) * old  # where the read is now, in buffer frames
        left = self.read0 + self._region_frames() - pos
        end = t + max(0.0, left) / self.speed  # the cycle still ends on the same beat
        self.anchor = t - (pos - self.read0) / self.speed
        self.cycle_end = max(t, math.ceil(end - EPS))
        self.origin = end - self._cycle_frames()
        self.exact = self.speed == 1.0 and self.anchor == math.floor(self.anchor)

    def cycle_end_exact(self) -> float:
        """The exact frame the current cycle ends on."""
        return self.origin + self._cycle_frames()

    def rephase(self, t: int, end: float) -> None:
        """The clock's phase moved a hair at frame ``t`` (following Link or MIDI clock): play the rest of
        this cycle a hair faster or slower, so it ends at ``end``, its beat's new frame; the next cycle
        plays at the tempo's speed again."""
        if not self.playing or end <= t:
            return
        pos = self.read0 + (t - self.anchor) * self.speed
        left = self.read0 + self._region_frames() - pos
        if left <= 0.0:
            return
        speed = left / (end - t)
        if abs(speed / self.speed - 1.0) > MAX_NUDGE:
            return  # not a hair: a jump the next launch or tempo change will settle
        self.speed = speed
        self.nudged = True
        self.anchor = t - (pos - self.read0) / speed
        self.cycle_end = max(t, math.ceil(end - EPS))
        self.origin = end - self._cycle_frames()
        self.exact = False

    def _set_speed(self) -> None:
        bf = self.beat_frames
        self.speed = bf / self.out_beat if bf > 0.0 and self.out_beat > 0.0 else 1.0
