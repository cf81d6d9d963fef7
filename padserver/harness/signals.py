"""Test audio files with features that are easy to find in what comes out."""

from __future__ import annotations

import numpy as np


def write_click(path: str, rate: int = 48000, seconds: float = 2.0, burst_ms: float = 10.0, level: float = 0.8) -> str:
    """A loop with a short flat burst at its very start and silence after."""
    import soundfile as sf

    audio = np.zeros((int(round(rate * seconds)), 2), dtype=np.float32)
    audio[: int(rate * burst_ms / 1000)] = level
    sf.write(path, audio, rate, subtype="FLOAT" if path.endswith(".wav") else "PCM_24")
    return path


def write_tone(
    path: str, rate: int = 44100, seconds: float = 2.0, freq: float = 220.0, level: float = 0.5, channels: int = 1
) -> str:
    import soundfile as sf

    t = np.arange(int(round(rate * seconds))) / rate
    tone = (level * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    data = tone if channels == 1 else np.column_stack([tone] * channels)
    sf.write(path, data, rate)
    return path
