"""The offline generator's sounds: drums, tones and effects, each a 1-D float64 array at ``rate``.

Noise-based sounds are band-limited to where such sounds live (a hat at
7–13 kHz, a shaker lower), so nothing spends energy near the Nyquist
frequency; every sound ends at zero, so no note ends with a step.
"""

from __future__ import annotations

import numpy as np


def band(x: np.ndarray, rate: int, lo: float, hi: float) -> np.ndarray:
    """``x`` band-passed between ``lo`` and ``hi`` Hz (smooth edges, zero phase: for short sounds)."""
    n = len(x)
    spectrum = np.fft.rfft(x)
    f = np.fft.rfftfreq(n, 1.0 / rate)
    gain = 1.0 / np.sqrt(1.0 + (lo / np.maximum(f, 1e-9)) ** 8) / np.sqrt(1.0 + (f / hi) ** 8)  # 24 dB an octave
    return np.fft.irfft(spectrum * gain, n)


def _noise(n: int, rate: int, rng, lo: float, hi: float) -> np.ndarray:
    """``n`` frames of noise between ``lo`` and ``hi`` Hz, peaking at 1."""
    x = band(rng.standard_normal(n), rate, lo, hi)
    return x / (np.abs(x).max() or 1.0)


def _env(n: int, rate: int, attack: float, decay: float) -> np.ndarray:
    t = np.arange(n) / rate
    a = np.minimum(1.0, t / max(attack, 1e-4))
    return a * np.exp(-np.maximum(0.0, t - attack) / max(decay, 1e-4))


def _end(x: np.ndarray, rate: int, ms: float = 4.0) -> np.ndarray:
    """The last few ms faded to zero."""
    k = min(len(x), max(1, int(ms * rate / 1000)))
    x[len(x) - k :] *= np.linspace(1.0, 0.0, k)
    return x


def kick(rate: int, rng, low: float = 48.0) -> np.ndarray:
    n = int(0.4 * rate)
    t = np.arange(n) / rate
    sweep = low + 110 * np.exp(-t * 32)
    body = np.sin(2 * np.pi * np.cumsum(sweep) / rate) * np.exp(-t * 7.5)
    click = band(rng.standard_normal(n), rate, 1500, 6000) * np.exp(-t * 400) * 0.25
    return _end(body + click, rate)


def snare(rate: int, rng) -> np.ndarray:
    n = int(0.25 * rate)
    t = np.arange(n) / rate
    body = np.sin(2 * np.pi * 185 * t) * np.exp(-t * 28) * 0.7
    noise = _noise(n, rate, rng, 1200, 9000) * np.exp(-t * 20)
    return _end(body + noise * 0.8, rate)


def clap(rate: int, rng) -> np.ndarray:
    """Three quick bursts, then the room: a clap with body (its noise at 0.8–6 kHz, weight around 1.2 kHz)."""
    n = int(0.3 * rate)
    t = np.arange(n) / rate
    noise = _noise(n, rate, rng, 800, 6000)
    env = np.zeros(n)
    for k, at in enumerate((0.0, 0.011, 0.022)):
        env += (t >= at) * np.exp(-np.maximum(0.0, t - at) * 140) * (0.7 + 0.15 * k)
    env += (t >= 0.022) * np.exp(-np.maximum(0.0, t - 0.022) * 16) * 0.5  # the tail
    body = band(rng.standard_normal(n), rate, 900, 1600) * np.exp(-t * 30)
    return _end(noise * env + body / (np.abs(body).max() or 1.0) * 0.35, rate)


def hat(rate: int, rng, open_: bool = False) -> np.ndarray:
    n = int((0.3 if open_ else 0.06) * rate)
    t = np.arange(n) / rate
    noise = _noise(n, rate, rng, 7000, 13000)
    return _end(noise * np.exp(-t * (10 if open_ else 60)) * 0.5, rate)


def shaker(rate: int, rng) -> np.ndarray:
    n = int(0.09 * rate)
    noise = _noise(n, rate, rng, 4000, 9000)
    return _end(noise * _env(n, rate, 0.012, 0.025) * 0.4, rate)


def conga(rate: int, rng, pitch: float) -> np.ndarray:
    n = int(0.25 * rate)
    t = np.arange(n) / rate
    f = pitch * (1.0 + 0.25 * np.exp(-t * 60))
    body = np.sin(2 * np.pi * np.cumsum(f) / rate) * np.exp(-t * 14)
    slap = band(rng.standard_normal(n), rate, 1500, 5000) * np.exp(-t * 250) * 0.15
    return _end(body + slap, rate)


def tone(
    freq: float, seconds: float, rate: int, shape: str, attack: float, decay: float, rng, release: float = 0.004
) -> np.ndarray:
    """One note: a sine, a soft square, a warm (filtered) or a soft saw (nothing near the Nyquist frequency)."""
    n = max(1, int(seconds * rate))
    t = np.arange(n) / rate
    phase = 2 * np.pi * freq * t + rng.uniform(0, 2 * np.pi)
    top = max(1, min(8, int(rate / 2.5 / max(freq, 1.0))))  # harmonics that stay well under Nyquist
    if shape == "sine":
        wave = np.sin(phase)
    elif shape == "square":
        wave = sum(np.sin(k * phase) / k for k in range(1, top + 1, 2)) * 0.9
    elif shape == "warm":  # a saw through a low-pass: the first harmonics, falling fast
        wave = sum(np.sin(k * phase) / (k * k) for k in range(1, min(top, 4) + 1)) * 0.8
    else:  # saw
        wave = sum(np.sin(k * phase) / k for k in range(1, top + 1)) * 0.6
    env = _env(n, rate, attack, decay)
    return _end(wave * env, rate, release * 1000)


def riser(seconds: float, rate: int, rng) -> np.ndarray:
    """Noise and a tone sweeping up over ``seconds``, loudest at their very end."""
    n = int(seconds * rate)
    t = np.arange(n) / rate
    x = t / max(seconds, 1e-9)
    noise = _noise(n, rate, rng, 500, 9000)
    sweep = np.sin(2 * np.pi * np.cumsum(180 + 1400 * x**2) / rate)
    return noise * x**2.5 * 0.35 + sweep * x**3 * 0.3


def impact(rate: int, rng, seconds: float = 1.5) -> np.ndarray:
    """A boom with a noise crash: where a riser lands."""
    n = int(seconds * rate)
    t = np.arange(n) / rate
    boom = np.sin(2 * np.pi * np.cumsum(40 + 80 * np.exp(-t * 20)) / rate) * np.exp(-t * 3.0)
    crash = _noise(n, rate, rng, 2000, 10000)
    return _end(boom + crash * np.exp(-t * 5.0) * 0.35, rate)


def downlifter(seconds: float, rate: int, rng) -> np.ndarray:
    """Noise sweeping down and fading over ``seconds``: what follows an impact."""
    n = int(seconds * rate)
    t = np.arange(n) / rate
    x = t / max(seconds, 1e-9)
    noise = _noise(n, rate, rng, 300, 7000)
    sweep = np.sin(2 * np.pi * np.cumsum(1500 * (1 - x) ** 2 + 120) / rate)
    return _end((noise * 0.3 + sweep * 0.2) * (1 - x) ** 2, rate)
