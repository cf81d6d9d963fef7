"""DSP primitives the realtime world shares: raised-cosine fades, a varispeed reader, a looping copy.

Audio-thread rules: everything is preallocated at construction; reading and copying use slices and ``out=``.
"""

from __future__ import annotations

import numpy as np


class Resampler:
    """Preallocated rows for varispeed reads, shared by the voices (the audio thread renders one at a time)."""

    def __init__(self, max_block: int) -> None:
        self.ramp = np.arange(max_block, dtype=np.float64)
        self.pos = np.zeros(max_block, dtype=np.float64)
        self.floor = np.zeros(max_block, dtype=np.float64)
        self.idx = np.zeros(max_block, dtype=np.int64)
        self.idx1 = np.zeros(max_block, dtype=np.int64)
        self.frac = np.zeros(max_block, dtype=np.float32)
        self.a = np.zeros(max_block, dtype=np.float32)
        self.b = np.zeros(max_block, dtype=np.float32)

    def read(self, dst: np.ndarray, buf: np.ndarray, pos0: float, speed: float) -> None:
        """Fill the (2, k) ``dst`` from ``buf`` starting at fractional frame ``pos0``, ``speed`` frames a frame."""
        k = dst.shape[1]
        pos = self.pos[:k]
        floor = self.floor[:k]
        idx = self.idx[:k]
        idx1 = self.idx1[:k]
        frac = self.frac[:k]
        a = self.a[:k]
        b = self.b[:k]
        np.multiply(self.ramp[:k], speed, out=pos)
        pos += pos0
        np.floor(pos, out=floor)
        np.copyto(idx, floor, casting="unsafe")
        np.subtract(pos, floor, out=frac, casting="same_kind")
        np.add(idx, 1, out=idx1)
        for c in range(2):
            row = buf[c]
            np.take(row, idx, out=a, mode="wrap")
            np.take(row, idx1, out=b, mode="wrap")
            b -= a
            b *= frac
            np.add(a, b, out=dst[c])


class Fades:
    """Preallocated fade-in/fade-out curves (raised cosine, summing to one)."""

    def __init__(self, length: int) -> None:
        self.length = max(0, int(length))
        k = (np.arange(self.length, dtype=np.float64) + 0.5) / max(1, self.length)
        fade_in = 0.5 - 0.5 * np.cos(np.pi * k)
        self.fade_in = fade_in.astype(np.float32)
        self.fade_out = (1.0 - fade_in).astype(np.float32)
        # A tail never outlasts the fade, so one fade-long block serves every tail.
        self.scratch = np.zeros((2, max(1, self.length)), dtype=np.float32)


def copy_looped(dst: np.ndarray, buf: np.ndarray, index: int) -> None:
    """Copy the (2, k) block ``dst`` from ``buf`` at ``index``, continuing at its start."""
    total = buf.shape[1]
    n = dst.shape[1]
    i = index % total
    done = 0
    while done < n:
        k = min(n - done, total - i)
        dst[:, done : done + k] = buf[:, i : i + k]
        done += k
        i = 0


def planar(audio: np.ndarray) -> bool:
    """Whether ``audio`` is laid out as the C kernels read it: a C-contiguous (2, frames) float32 array."""
    return audio.dtype == np.float32 and audio.ndim == 2 and audio.shape[0] == 2 and audio.flags.c_contiguous


def point_row(row: np.ndarray, audio: np.ndarray | None) -> None:
    """Point a C kernel's table ``row`` (int64: address, frames) at ``audio`` when it is `planar`; None or any
    other array leaves the row at (0, 0), which the kernels skip. The caller keeps ``audio`` alive while the
    row points at it."""
    if audio is not None and planar(audio):
        row[0] = audio.__array_interface__["data"][0]
        row[1] = audio.shape[1]
    else:
        row[0] = row[1] = 0
