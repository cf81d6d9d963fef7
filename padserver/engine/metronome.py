"""The metronome: a click on every beat while the song plays, the bar's first beat accented.

Clicks are preallocated waveforms added at their beat's first frame; one that
spans a block boundary carries on in the next block.
"""

from __future__ import annotations

import math

import numpy as np


class Metronome:
    def __init__(self, sample_rate: int) -> None:
        n = int(0.03 * sample_rate)
        t = np.arange(n) / sample_rate
        env = np.exp(-t * 120.0)
        self._accent = (np.sin(2 * np.pi * 1760.0 * t) * env).astype(np.float32)
        self._beat = (0.6 * np.sin(2 * np.pi * 1320.0 * t) * env).astype(np.float32)
        self.accent = self._accent.copy()  # scaled by the gain, in place when it changes
        self.beat = self._beat.copy()
        self.on = False
        self.set_gain(0.5)
        self._playing: np.ndarray | None = None  # the click sounding across a block boundary
        self._pos = 0

    def set_gain(self, gain: float) -> None:
        self.gain = float(gain)
        np.multiply(self._accent, self.gain, out=self.accent)
        np.multiply(self._beat, self.gain, out=self.beat)

    def render(self, mix: np.ndarray, f0: int, n: int, clock, song_origin: float, beats_per_bar: int) -> None:
        """Add the clicks of frames [f0, f0 + n) for a song whose beat 0 is clock beat ``song_origin``."""
        if self._playing is not None:
            self._pos = self._add(mix, 0, self._playing, self._pos)
        b = clock.beat_at(f0) - song_origin
        beat = math.ceil(b - 1e-9)
        while True:
            at = clock.first_frame_at(song_origin + beat)
            if at >= f0 + n:
                break
            if at >= f0:
                click = self.accent if beat % beats_per_bar == 0 else self.beat
                self._playing = click
                self._pos = self._add(mix, at - f0, click, 0)
            beat += 1

    def _add(self, mix: np.ndarray, offset: int, click: np.ndarray, pos: int) -> int:
        k = min(mix.shape[1] - offset, len(click) - pos)
        if k > 0:
            seg = click[pos : pos + k]
            mix[0, offset : offset + k] += seg
            mix[1, offset : offset + k] += seg
        pos += max(0, k)
        if pos >= len(click):
            self._playing = None
        return pos
