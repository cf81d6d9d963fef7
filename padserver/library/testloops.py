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


def click_song(bpm: float, bars: int, rate: int = 48000, offset_s: float = 0.0, seed: int = 0) -> np.ndarray:
    """Music-like material with a known tempo and first downbeat: a (2, frames) array.

    Noise throughout (from frame 0, so the downbeat is not simply the first
    sound), chords struck on every bar and changing with it, and a metronome
    click on every beat whose downbeat click is higher and louder. The first
    downbeat is at ``offset_s``; the music goes on past ``bars`` for another bar.
    """
    rng = np.random.default_rng(seed)
    beat = 60.0 / bpm
    total = int(round((offset_s + (bars + 1) * 4 * beat) * rate))
    out = (0.03 * rng.standard_normal((2, total))).astype(np.float32)
    chords = ((57, 60, 64), (53, 57, 60), (55, 59, 62), (52, 55, 59))  # Am F G Em
    bar_frames = 4 * beat * rate
    t = np.arange(int(bar_frames)) / rate
    for b in range(bars + 1):
        i = int(round(offset_s * rate + b * bar_frames))
        notes = chords[(b + seed) % len(chords)]
        tone = sum(np.sin(2 * np.pi * 440 * 2 ** ((m - 69) / 12) * t + rng.uniform(0, 6.28)) for m in notes)
        env = np.minimum(1.0, t / 0.01) * np.exp(-t * 1.5)
        piece = (0.08 * tone * env).astype(np.float32)
        n = min(len(piece), total - i)
        out[:, i : i + n] += piece[:n]
    k = np.arange(int(0.02 * rate))
    for n in range((bars + 1) * 4):
        i = int(round(offset_s * rate + n * beat * rate))
        down = n % 4 == 0
        click = (
            (0.9 if down else 0.45)
            * np.sin(2 * np.pi * (2000 if down else 1200) * k / rate)
            * np.exp(-k / (0.002 * rate))
        )
        m = min(len(k), total - i)
        if m > 0:
            out[:, i : i + m] += click[:m].astype(np.float32)
    return out


def accented_clicks(bpm: float, bars: int, rate: int = 48000, accent_db: float = 7.2) -> np.ndarray:
    """A drum loop's shape with a known crest factor and accent: quiet chords under a 1 kHz click on every
    beat, the bar's first ``accent_db`` louder; a bar more than ``bars`` follows (what a stretch reads past)."""
    beat = rate * 60.0 / bpm
    frames = int(round((bars + 1) * 4 * beat))
    t = np.arange(frames) / rate
    audio = 0.02 * (np.sin(2 * np.pi * 220 * t) + np.sin(2 * np.pi * 277.2 * t) + np.sin(2 * np.pi * 329.6 * t))
    n = int(0.01 * rate)
    click = np.sin(2 * np.pi * 1000 * np.arange(n) / rate) * np.exp(-np.arange(n) / (rate / 600))
    for k in range((bars + 1) * 4):
        at = int(round(k * beat))
        audio[at : at + n] += 0.3 * (10 ** (accent_db / 20) if k % 4 == 0 else 1.0) * click
    return np.vstack([audio, audio]).astype(np.float32)


def crest_db(audio: np.ndarray) -> float:
    """Peak over RMS, in dB."""
    return 20 * float(np.log10(np.max(np.abs(audio)) / np.sqrt(np.mean(np.square(audio, dtype=np.float64)))))


def beat_peaks(audio: np.ndarray, rate: int, bpm: float, beats: int) -> np.ndarray:
    """The peak in each beat's first 10 ms."""
    beat = rate * 60.0 / bpm
    reach = int(0.01 * rate)
    return np.array(
        [np.max(np.abs(audio[0, int(round(k * beat)) : int(round(k * beat)) + reach])) for k in range(beats)]
    )


def accent_db(audio: np.ndarray, rate: int, bpm: float) -> float:
    """How much louder each bar's first beat is than its others (their peaks' means)."""
    peaks = beat_peaks(audio, rate, bpm, int(audio.shape[1] // (rate * 60.0 / bpm)))
    downs = peaks[::4]
    others = np.delete(peaks, np.arange(0, len(peaks), 4))
    return 20 * float(np.log10(np.mean(downs) / np.mean(others)))
