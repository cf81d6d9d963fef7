"""A stream made to fit the bar grid (control side, chunk by chunk): resampled into *ring time* (the engine's
rate at the tempo a live pad's feed is made for), its bar lines found, and held until the pad plays it.

The model plays at a whole BPM (``model_bpm``) at 48 kHz; the pad's feed runs at the project's exact tempo
(``tempo``) at the engine's rate, so one resampling does both: ``rate_out × model_bpm / tempo`` output frames a
second of stream. Frames are counted from the first one kept after the model's warm-up (``skip_s``), so a bar
line found once stays found: the next ones follow every ``bar_frames``.
"""

from __future__ import annotations

import math

import numpy as np

from padserver.loops.downbeat import find_downbeat


class StreamFit:
    def __init__(
        self,
        rate_in: int,
        rate_out: int,
        model_bpm: float,
        tempo: float,
        beats_per_bar: int = 4,
        skip_s: float = 0.0,
    ) -> None:
        import soxr

        self.rate_out = int(rate_out)
        self.tempo = float(tempo)
        self.beats_per_bar = int(beats_per_bar)
        self.beat_frames = self.rate_out * 60.0 / self.tempo
        self.bar_frames = self.beat_frames * self.beats_per_bar
        self._resampler = soxr.ResampleStream(rate_in, self.rate_out * model_bpm / self.tempo, 2, "float32", "HQ")
        self._skip = int(round(skip_s * rate_in))  # input frames still to drop (the model settling)
        self.pending = np.zeros((2, 0), dtype=np.float32)  # ring-time frames not yet handed on
        self.start = 0  # the ring-time frame pending[:, 0] is
        self.downbeat: float | None = None  # a bar line, in ring-time frames (the others every bar_frames)

    @property
    def end(self) -> int:
        """The ring-time frame after the last one received."""
        return self.start + self.pending.shape[1]

    def add(self, audio: np.ndarray) -> None:
        """The next (2, n) frames of the stream as it arrived (48 kHz)."""
        if self._skip > 0:
            drop = min(self._skip, audio.shape[1])
            self._skip -= drop
            audio = audio[:, drop:]
            if audio.shape[1] == 0:
                return
        out = self._resampler.resample_chunk(np.ascontiguousarray(audio.T, dtype=np.float32))
        if len(out):
            self.pending = np.concatenate([self.pending, out.T], axis=1)
        if self.downbeat is None and self.pending.shape[1] >= 2 * self.bar_frames + self.beat_frames:
            found = find_downbeat(self.pending, self.rate_out, self.tempo, self.beats_per_bar)
            self.downbeat = self.start + _onset_near(self.pending, int(found.frame))

    def bar_to_start(self, lead: int) -> int | None:
        """The latest bar line held with at least ``lead`` frames after it (the freshest start that still has its
        buffer), or None while there is none."""
        if self.downbeat is None:
            return None
        k = math.floor((self.end - lead - self.downbeat) / self.bar_frames)
        bar = self.downbeat + k * self.bar_frames
        if bar < self.start:
            return None
        return int(round(bar))

    def take(self, first: int | None = None) -> np.ndarray:
        """Every frame held from ring-time frame ``first`` (default: the oldest held) on; they are let go."""
        i = 0 if first is None else max(0, first - self.start)
        out = self.pending[:, i:]
        self.pending = np.zeros((2, 0), dtype=np.float32)
        self.start += i + out.shape[1]
        return out

    def put_back(self, audio: np.ndarray) -> None:
        """Frames taken but not used (the feed was full): they are the next to go."""
        if audio.shape[1]:
            self.pending = np.concatenate([audio, self.pending], axis=1)
            self.start -= audio.shape[1]

    def keep_last(self, frames: int) -> None:
        """Let go of all but the newest ``frames`` (the pad is silent: only a fresh start will need them)."""
        extra = self.pending.shape[1] - int(frames)
        if extra > 0:
            self.pending = self.pending[:, extra:].copy()
            self.start += extra


def _onset_near(audio: np.ndarray, frame: int, reach: int = 96) -> int:
    """The attack's own first frame near ``frame`` (the downbeat search reads 64-frame hops): the first frame of
    the window that reaches half its peak."""
    lo = max(0, frame - reach)
    mono = np.abs(audio[:, lo : frame + reach]).max(axis=0)
    if not len(mono) or mono.max() <= 0:
        return frame
    return lo + int(np.argmax(mono >= 0.5 * mono.max()))
