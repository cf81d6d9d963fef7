"""Drum loops with a known tempo, for measuring the tempo estimate (tests and `padserver bench library`)."""

from __future__ import annotations

import numpy as np


def drum_loop(bpm: float, bars: int, rate: int = 44100, seed: int = 0, swing: float = 0.0) -> np.ndarray:
    """A (2, frames) kick/snare/hat loop exactly ``bars`` bars of 4/4 long."""
    rng = np.random.default_rng(seed)
    beat = 60.0 / bpm
    frames = int(round(bars * 4 * beat * rate))
    out = np.zeros(frames, dtype=np.float32)

    def hit(at: float, sound: np.ndarray) -> None:
        i = int(at * rate)
        k = min(len(sound), frames - i)
        if k > 0:
            out[i : i + k] += sound[:k]

    t = np.arange(int(0.25 * rate)) / rate
    kick = (np.sin(2 * np.pi * (50 + 80 * np.exp(-t * 30)) * t) * np.exp(-t * 12)).astype(np.float32)
    snare = (rng.standard_normal(len(t)) * np.exp(-t * 25) * 0.5).astype(np.float32)
    hat = (rng.standard_normal(int(0.05 * rate)) * np.exp(-np.arange(int(0.05 * rate)) / rate * 80) * 0.2).astype(
        np.float32
    )
    pattern = rng.integers(0, 3)
    for b in range(bars * 4):
        start = b * beat
        if b % 4 in (0, 2) or (pattern == 1 and b % 4 == 3 and rng.random() < 0.5):
            hit(start, kick)
        if b % 4 in (1, 3):
            hit(start, snare)
        for e in range(2):
            hit(start + e * beat / 2 + (swing * beat / 2 if e else 0), hat)
    out *= 0.7 / max(1e-6, float(np.abs(out).max()))
    return np.vstack([out, out])
