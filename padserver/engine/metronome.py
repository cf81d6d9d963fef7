"""The metronome: a click on every beat while the song plays, and a count-in before a recording.

Clicks are preallocated waveforms added at their beat's first frame, the bar's
first beat accented; one that spans a block boundary carries on in the next
block, and one due in frames the driver skipped (a cycle it dropped) sounds on
from where it would be by then, so a dropout does not cost a beat of count-in.
They go into the master, or into a buffer of their own that the backend sends
to ``click_L``/``click_R`` (so a DAW can record the song without them). A count-in clicks on clock beats ``[count_from, count_to)`` whether or
not the metronome is on: it is what tells a player when the take begins.
"""

from __future__ import annotations

import math

import numpy as np


class Metronome:
    def __init__(self, sample_rate: int, max_block: int) -> None:
        n = int(0.03 * sample_rate)
        t = np.arange(n) / sample_rate
        env = np.exp(-t * 120.0)
        self._accent = (np.sin(2 * np.pi * 1760.0 * t) * env).astype(np.float32)
        self._beat = (0.6 * np.sin(2 * np.pi * 1320.0 * t) * env).astype(np.float32)
        self.accent = self._accent.copy()  # scaled by the gain, in place when it changes
        self.beat = self._beat.copy()
        self.on = False  # clicks while the song plays
        self.to_master = True  # else into ``out`` (the click ports)
        self.out = np.zeros((2, max_block), dtype=np.float32)
        self.count_from = 0.0  # a count-in: clock beats [count_from, count_to)
        self.count_to = 0.0
        self.set_gain(0.5)
        self._playing: np.ndarray | None = None  # the click sounding across a block boundary
        self._pos = 0
        self._dirty = False  # ``out`` holds clicks from the last block

    def set_gain(self, gain: float) -> None:
        self.gain = float(gain)
        np.multiply(self._accent, self.gain, out=self.accent)
        np.multiply(self._beat, self.gain, out=self.beat)

    def count_in(self, start: float, end: float) -> None:
        """Click clock beats [start, end) (start on a bar line), or none when end <= start."""
        self.count_from, self.count_to = float(start), float(end)

    def busy(self, song_playing: bool) -> bool:
        """Something to click (or to clear from the click ports) in this block."""
        return (self.on and song_playing) or self.count_to > self.count_from or self._playing is not None or self._dirty

    def render(self, mix: np.ndarray, f0: int, n: int, clock, song, skipped: int = 0) -> bool:
        """Add the clicks of frames [f0, f0 + n) to ``mix`` (or to ``out``); True when the master got any.
        ``skipped``: frames just before ``f0`` that the driver dropped (a click in them sounds on after)."""
        target = mix
        if not self.to_master:
            target = self.out[:, :n]
            if self._dirty:
                target.fill(0.0)
                self._dirty = False
        added = self._playing is not None
        if self._playing is not None:
            self._pos = self._add(target, 0, self._playing, self._pos + skipped)
        bpb = clock.beats_per_bar
        since = f0 - min(skipped, len(self.beat))  # (a click due longer ago is over)
        if self.on and song.playing:
            added |= self._clicks(target, f0, n, since, clock, song.origin, -math.inf, math.inf, bpb)
        elif self.count_to > self.count_from:
            added |= self._clicks(target, f0, n, since, clock, self.count_from, self.count_from, self.count_to, bpb)
            if clock.first_frame_at(self.count_to) <= f0 + n:
                self.count_to = self.count_from  # the count-in is over
        if not self.to_master:
            self._dirty = added
            return False
        return added

    def _clicks(
        self, target, f0: int, n: int, since: int, clock, origin: float, lo: float, hi: float, bpb: int
    ) -> bool:
        """Clicks on beats origin + k within [lo, hi) due in frames [since, f0 + n), the accent where k is a
        bar's first beat; one due before ``f0`` (in skipped frames) sounds from where it would be at ``f0``."""
        added = False
        beat = math.ceil(clock.beat_at(since) - origin - 1e-9)
        while True:
            at = clock.first_frame_at(origin + beat)
            if at >= f0 + n or origin + beat >= hi:
                break
            if at >= since and origin + beat >= lo:
                click = self.accent if beat % bpb == 0 else self.beat
                self._playing = click
                self._pos = self._add(target, max(0, at - f0), click, max(0, f0 - at))
                added = True
            beat += 1
        return added

    def _add(self, target: np.ndarray, offset: int, click: np.ndarray, pos: int) -> int:
        k = min(target.shape[1] - offset, len(click) - pos)
        if k > 0:
            seg = click[pos : pos + k]
            target[0, offset : offset + k] += seg
            target[1, offset : offset + k] += seg
        pos += max(0, k)
        if pos >= len(click):
            self._playing = None
        return pos
