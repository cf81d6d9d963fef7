"""Stems without a model: a loop split into its percussive and its harmonic part by median filtering of its
spectrogram (harmonic-percussive separation: a drum hit is a vertical line in it, a held note a horizontal one),
so splitting works offline, with nothing to download. The parts add up to the loop exactly: the percussive part
is masked out of the spectrum, and "other" is the loop less that, whatever the masks left.

Runs in the worker pool (numpy only): a 4-bar loop at 120 BPM (8 s of stereo) takes a few hundred ms.
"""

from __future__ import annotations

import numpy as np

FFT = 4096
HOP = FFT // 4
SPAN = 31  # frames (time) and bins (frequency) each median looks over
POWER = 2.0  # the soft masks' exponent (Wiener-like: the stronger part takes more of a bin)


def _stft(x: np.ndarray) -> np.ndarray:
    """(frames, bins) of one channel, padded so every sample is covered by full windows."""
    window = np.hanning(FFT + 1)[:-1].astype(np.float32)
    padded = np.pad(x, (FFT, FFT + HOP))
    frames = np.lib.stride_tricks.sliding_window_view(padded, FFT)[::HOP]
    return np.fft.rfft(frames * window, axis=1)


def _istft(spec: np.ndarray, length: int) -> np.ndarray:
    window = np.hanning(FFT + 1)[:-1]
    frames = np.fft.irfft(spec, n=FFT, axis=1) * window
    out = np.zeros((spec.shape[0] - 1) * HOP + FFT)
    norm = np.zeros_like(out)
    for i, frame in enumerate(frames):
        out[i * HOP : i * HOP + FFT] += frame
        norm[i * HOP : i * HOP + FFT] += window**2
    out /= np.maximum(norm, 1e-8)
    return out[FFT : FFT + length]


def _median(mag: np.ndarray, axis: int) -> np.ndarray:
    """A running median of SPAN along ``axis`` (edges padded by reflection)."""
    pad = [(0, 0), (0, 0)]
    pad[axis] = (SPAN // 2, SPAN // 2)
    view = np.lib.stride_tricks.sliding_window_view(np.pad(mag, pad, mode="reflect"), SPAN, axis=axis)
    return np.median(view, axis=-1)


def split_two(audio: np.ndarray) -> dict[str, np.ndarray]:
    """``{"drums": percussive, "other": the rest}`` of (channels, n) float audio; they sum to it exactly."""
    audio = np.asarray(audio, dtype=np.float32)
    drums = np.zeros_like(audio)
    for c in range(audio.shape[0]):
        spec = _stft(audio[c].astype(np.float64))
        mag = np.abs(spec)
        across_time = _median(mag, axis=0) ** POWER  # held notes: steady along time
        across_bins = _median(mag, axis=1) ** POWER  # hits: broad across frequency
        mask = across_bins / np.maximum(across_time + across_bins, 1e-20)
        drums[c] = _istft(spec * mask, audio.shape[1]).astype(np.float32)
    return {"drums": drums, "other": audio - drums}
