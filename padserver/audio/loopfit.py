"""Fitting audio to whole bars so every loop pad stays on the bar grid."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Below this a sample counts as silence: a cut or pad there cannot click.
_QUIET = 1e-3


@dataclass(frozen=True)
class FittedLoop:
    audio: np.ndarray  # (2, frames) float32
    bars: int
    period: float  # exact loop length in frames (bars × frames per bar)
    source_frames: int


def bars_for(frames: int, frames_per_bar: float) -> int:
    """Whole bars closest to ``frames`` (at least one); exactly half a bar over rounds up, keeping the audio."""
    return max(1, math.floor(frames / frames_per_bar + 0.5))


def fit_to_bars(audio: np.ndarray, frames_per_bar: float, fade: int, bars: int | None = None) -> FittedLoop:
    """Pad with silence or cut ``audio`` to whole bars; the seam gets a short fade if needed."""
    frames = audio.shape[1]
    bars = bars_for(frames, frames_per_bar) if bars is None else max(1, int(bars))
    period = bars * frames_per_bar
    length = math.ceil(period - 1e-6)
    out = np.zeros((2, length), dtype=np.float32)
    keep = min(frames, length)
    out[:, :keep] = audio[:, :keep]
    # A cut (or audio that simply stops) mid-sound would click at the loop seam.
    if fade > 0 and np.max(np.abs(out[:, keep - 1])) > _QUIET:
        k = min(fade, keep)
        ramp = (0.5 + 0.5 * np.cos(np.pi * (np.arange(k) + 0.5) / k)).astype(np.float32)
        out[:, keep - k : keep] *= ramp
    return FittedLoop(out, bars, period, frames)
