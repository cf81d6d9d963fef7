"""Finding a loop's first downbeat at a known tempo (worker side).

The onset function is the rise of short-term energy of the differentiated
signal (attacks) on a fine grid (64 frames), precise to about a millisecond.
A comb at the beat period finds the beat phase from all the beats at once;
the beat that starts a bar is the one with the strongest attacks on average
(accented clicks, kicks, chord changes); the first downbeat is then placed on
the attack nearest to where the grid puts it. Material with no clear pulse
(pads, drones) starts at its first sound.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

HOP = 64
_ANALYSE_BARS = 8  # the comb reads this many bars from the start (a loop's tempo may be a little off)
_MIN_PULSE = 2.0  # comb contrast (best phase over the median phase) below which there is no beat to read
_MIN_ACCENT = 1.12  # how much stronger the bar's first beat must be to count as the downbeat
_SNAP_S = 0.012  # how far the first downbeat may move onto a real attack


@dataclass(frozen=True)
class Downbeat:
    frame: float  # the first downbeat, in frames of the audio given
    confidence: float  # 0..1
    how: str  # "beat" (found on the grid), "start" (first sound)


def onset_function(mono: np.ndarray) -> np.ndarray:
    """Energy rise per HOP frames: high where something starts."""
    d = np.diff(mono.astype(np.float64), prepend=0.0)  # silence before the audio: a sound at frame 0 rises
    n = len(d) // HOP
    if n < 8:
        return np.zeros(max(0, n))
    energy = (d[: n * HOP].reshape(n, HOP) ** 2).sum(axis=1)
    before = np.convolve(energy, np.ones(4) / 4.0)[:n]  # the mean of the 4 hops before each hop
    before = np.concatenate([[0.0], before[:-1]])  # silence before the audio: a sound at frame 0 is an attack
    rise = np.maximum(0.0, energy - before)
    return rise / (rise.max() or 1.0)


def first_sound(mono: np.ndarray, threshold_db: float = -40.0) -> int:
    peak = float(np.max(np.abs(mono))) if len(mono) else 0.0
    if peak <= 0:
        return 0
    above = np.flatnonzero(np.abs(mono) >= peak * 10 ** (threshold_db / 20))
    return int(above[0]) if len(above) else 0


def _sample(odf: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """``odf`` at fractional ``positions`` (zero outside), linearly interpolated."""
    i = np.floor(positions).astype(np.int64)
    frac = positions - i
    ok = (i >= 0) & (i + 1 < len(odf))
    i = np.where(ok, i, 0)
    return np.where(ok, odf[i] * (1 - frac) + odf[i + 1] * frac, 0.0)


def find_downbeat(audio: np.ndarray, rate: int, bpm: float, beats_per_bar: int = 4) -> Downbeat:
    """The first downbeat of (channels, frames) ``audio`` whose tempo is ``bpm``."""
    mono = audio.mean(axis=0) if audio.ndim == 2 else audio
    start = first_sound(mono)
    beat = rate * 60.0 / bpm / HOP  # the beat period in hops
    span = int(beat * beats_per_bar * _ANALYSE_BARS + start / HOP + beat * beats_per_bar)
    odf = onset_function(mono[: span * HOP])
    if len(odf) < beat * 2:
        return Downbeat(float(start), 0.0, "start")
    smooth = np.convolve(odf, np.array([0.25, 0.5, 1.0, 0.5, 0.25]) / 2.5, mode="same")
    count = max(1, int((len(smooth) - 1) / beat))
    phases = np.arange(0.0, beat, 0.25)
    grid = phases[:, None] + beat * np.arange(count)[None, :]
    hits = _sample(smooth, grid)  # (phase, beat)
    score = hits.sum(axis=1)
    best = int(np.argmax(score))
    contrast = float(score[best] / (np.median(score) + 1e-12))
    if contrast < _MIN_PULSE:
        return Downbeat(float(start), 0.0, "start")
    per_beat = hits[best]
    accents = np.array([per_beat[b::beats_per_bar].mean() if b < len(per_beat) else 0.0 for b in range(beats_per_bar)])
    first_beat = phases[best]
    # the grid's first beat at or after the first sound (a few ms early is the same beat)
    lead = start - 0.02 * rate  # a few ms before the first sound is the same beat
    while first_beat * HOP < lead:
        first_beat += beat
    while (first_beat - beat) * HOP >= lead:  # a phase just under a whole beat is a beat at the start
        first_beat -= beat
    first_index = int(round((first_beat - phases[best]) / beat))
    order = np.argsort(accents)[::-1]
    accented = len(order) > 1 and accents[order[0]] >= _MIN_ACCENT * accents[order[1]]
    if beats_per_bar > 1 and accented:
        b = int(order[0])
        k = (b - first_index) % beats_per_bar
        candidate = first_beat + k * beat
        how_sure = min(1.0, accents[order[0]] / (accents[order[1]] + 1e-12) - 1.0)
    else:  # no accent says which beat starts the bar: the first beat that sounds
        candidate = first_beat
        how_sure = 0.3
    frame = _snap(odf, candidate, rate) * HOP
    return Downbeat(float(frame), float(min(1.0, how_sure * min(1.0, contrast / 4.0))), "beat")


def _snap(odf: np.ndarray, position: float, rate: int) -> float:
    """The attack nearest ``position`` (in hops) if there is a clear one close by."""
    reach = max(1, int(_SNAP_S * rate / HOP))
    lo = max(0, int(position) - reach)
    hi = min(len(odf), int(position) + reach + 2)
    if hi <= lo:
        return position
    window = odf[lo:hi]
    peak = int(np.argmax(window))
    if window[peak] < 0.1:
        return position
    return float(lo + peak)
