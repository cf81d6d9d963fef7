"""Keeping a stream on the bar grid (control side): where its beats fall against the grid's, bar after bar,
and a varispeed that plays it a hair faster or slower so they come back (at most ``MAX_CORRECTION``).

A model asked for 120 BPM plays near it, not at it; over 64 bars a 0.3 % difference is a quarter of a beat. The
stream's beats are read from its attacks (an onset function on 64-frame hops, combed at the beat period around
where the grid puts them), one measurement a bar; a proportional-integral loop turns the offsets into a speed,
so a steady tempo difference is followed as well as a jump.
"""

from __future__ import annotations

import numpy as np

from padserver.loops.downbeat import HOP, onset_function

MAX_CORRECTION = 0.005  # the most the stream is sped up or slowed down (±0.5 %: under 9 cents)
_KP = 0.25  # of an offset, taken out a bar (a correction is heard in the bar after next: more would swing)
_KI = 0.03  # of the offsets so far: the steady difference of tempo
_MIN_PULSE = 1.5  # comb contrast under which a bar has no beat to read (a break): no measurement


class CubicVarispeed:
    """A streaming resampler for small, changing speeds: each output frame reads the input at a fractional
    position (Catmull-Rom), the position advancing ``step`` input frames a frame; chunks join seamlessly."""

    KEEP = 4  # input frames kept for the next chunk: a position just past this chunk's last still has its taps

    def __init__(self) -> None:
        self._hist = np.zeros((2, self.KEEP), dtype=np.float32)
        self._pos = 1.0  # the next output's position, counted from the start of _hist

    def process(self, x: np.ndarray, step: float) -> np.ndarray:
        buf = np.concatenate([self._hist, x.astype(np.float32, copy=False)], axis=1)
        last = buf.shape[1] - 3  # the furthest position with its taps in the buffer
        n = int(np.floor((last - self._pos) / step)) + 1 if self._pos <= last else 0
        pos = self._pos + step * np.arange(n)
        pos = pos[pos <= last]
        kept = buf.shape[1] - self.KEEP
        self._hist = buf[:, kept:]
        if not len(pos):
            self._pos -= kept
            return np.zeros((2, 0), dtype=np.float32)
        self._pos = float(pos[-1] + step) - kept
        i = np.floor(pos).astype(np.int64)
        t = (pos - i).astype(np.float32)
        p0, p1, p2, p3 = buf[:, i - 1], buf[:, i], buf[:, i + 1], buf[:, i + 2]
        out = p1 + 0.5 * t * (p2 - p0 + t * (2 * p0 - 5 * p1 + 4 * p2 - p3 + t * (3 * (p1 - p2) + p3 - p0)))
        return out.astype(np.float32, copy=False)


FINE = 8  # frames a hop of the beat reader's onset function (a beat is placed to a fraction of it)


def onsets(mono: np.ndarray) -> np.ndarray:
    """The rise of the differentiated signal's energy per FINE frames against the 64 frames before: high
    where an attack starts."""
    d = np.diff(mono.astype(np.float64), prepend=0.0)
    n = len(d) // FINE
    energy = (d[: n * FINE].reshape(n, FINE) ** 2).sum(axis=1)
    k = 64 // FINE
    before = np.convolve(energy, np.ones(k) / k)[:n]
    before = np.concatenate([[0.0], before[:-1]])
    return np.maximum(0.0, energy - before)


def beat_phases(audio: np.ndarray, start: int, beats: np.ndarray, beat_frames: float) -> np.ndarray:
    """Where each of ``beats`` (frames, on the count ``start`` is the first frame of (2, n) ``audio`` on) falls
    in the music: the offset in frames of the strongest attack within a sixteenth of a beat of it (NaN where
    there is none to read: a break, or the beat outside the audio). The attack is found on 64-frame hops (which
    noise hardly moves) and placed on FINE-frame ones; both read on the count's own grid, so bar after bar
    measures alike."""
    skip = (-start) % HOP
    audio, start = audio[:, skip:], start + skip
    mono = audio.mean(axis=0)
    coarse = onset_function(mono)
    fine = onsets(mono)
    out = np.full(len(beats), np.nan)
    if not len(coarse) or not len(fine):
        return out
    reach = max(2, int(beat_frames / 16 / HOP))
    floor = 0.05 * coarse.max()
    ratio = HOP // FINE
    for k, beat in enumerate(beats):
        at = (beat - start) / HOP
        lo, hi = int(np.floor(at)) - reach, int(np.ceil(at)) + reach + 1
        if lo < 1 or hi + 1 >= len(coarse):
            continue
        window = coarse[lo:hi]
        i = lo + int(np.argmax(window))
        if coarse[i] < floor or coarse[i] < _MIN_PULSE * (np.median(window) + 1e-12):
            continue
        f0, f1 = (i - 1) * ratio, (i + 1) * ratio + 1  # the attack's hop and its neighbours, finely
        j = f0 + int(np.argmax(fine[f0:f1]))
        a, b, c = fine[j - 1], fine[j], fine[j + 1]
        vertex = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) < 0 else 0.0  # (a parabola through the peak)
        out[k] = (j + vertex) * FINE - (beat - start)
    return out


def fit_line(phases: np.ndarray) -> tuple[float, float] | None:
    """(offset at the first beat, drift a beat) of per-beat ``phases``, read through the NaNs and past a stray
    beat (the median of the pairs' slopes); None with too few."""
    k = np.flatnonzero(~np.isnan(phases))
    if len(k) < 3:
        return None
    i, j = np.triu_indices(len(k), 1)
    slope = float(np.median((phases[k[j]] - phases[k[i]]) / (k[j] - k[i])))
    return float(np.median(phases[k] - slope * k)), slope


class BarLock:
    """The speed correction that brings the stream's beats back onto the grid, updated once a bar."""

    def __init__(self, bar_frames: float) -> None:
        self.bar_frames = bar_frames
        self.correction = 0.0  # output frames a frame, over 1: negative plays faster
        self._integral = 0.0
        self.offsets: list[float] = []  # each bar's measurement (frames), the newest last

    def seed(self, drift_per_beat: float, beat_frames: float) -> None:
        """Start at the speed that undoes a drift read before the first measurement."""
        u = max(-MAX_CORRECTION, min(MAX_CORRECTION, -drift_per_beat / beat_frames))
        self.correction = u
        self._integral = -u * self.bar_frames / _KI

    def measured(self, offset: float | None) -> float:
        if offset is not None:
            self.offsets.append(offset)
            del self.offsets[:-64]
            self._integral += offset
            u = -(_KP * offset + _KI * self._integral) / self.bar_frames
            if abs(u) > MAX_CORRECTION:  # (the integral does not wind up past what can be applied)
                self._integral -= offset
                u = max(-MAX_CORRECTION, min(MAX_CORRECTION, u))
            self.correction = u
        return self.correction
