"""A stream shaped to the bar grid, chunk by chunk: resampled into *ring time* (the engine's rate at the tempo a
live pad's feed is made for), its bar lines found, and kept on them (`stream_lock`). The heavy half of fitting
a live stream, run where the stream arrives (the network process): what it hands on is ring-time audio and,
once found, where a bar line is; `stream_fit` holds that for the pad.

The model plays at a whole BPM (``model_bpm``) at 48 kHz; the pad's feed runs at the project's exact tempo
(``tempo``) at the engine's rate, so one resampling does both: ``rate_out × model_bpm / tempo`` output frames a
second of stream. Frames are counted from the first one handed on after the model's warm-up (``skip_s``), so a
bar line found once stays found: the next ones follow every ``bar_frames``, the stream held to them by a
varispeed of at most ±0.5 % that each bar's measurement steers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from padserver.loops.downbeat import find_downbeat
from padserver.loops.stream_lock import BarLock, CubicVarispeed, beat_phases, fit_line

NOTHING = np.zeros((2, 0), dtype=np.float32)


@dataclass(frozen=True)
class Shape:
    """What a stream is shaped to: from ``model_bpm`` at ``rate_in`` into ring time, ``tempo`` at ``rate_out``,
    its first ``skip_s`` left out. (It travels to the network process as a dict.)"""

    rate_in: int
    rate_out: int
    model_bpm: float
    tempo: float
    beats_per_bar: int = 4
    skip_s: float = 0.0

    @property
    def beat_frames(self) -> float:
        return self.rate_out * 60.0 / self.tempo

    @property
    def bar_frames(self) -> float:
        return self.beat_frames * self.beats_per_bar


class StreamShaper:
    def __init__(self, shape: Shape) -> None:
        import soxr

        self.rate_out = shape.rate_out
        self.tempo = float(shape.tempo)
        self.beats_per_bar = int(shape.beats_per_bar)
        self.beat_frames = shape.beat_frames
        self.bar_frames = shape.bar_frames
        ratio = shape.model_bpm / self.tempo
        self._resampler = soxr.ResampleStream(shape.rate_in, self.rate_out * ratio, 2, "float32", "HQ")
        self._skip = int(round(shape.skip_s * shape.rate_in))  # input frames still to drop (the model settling)
        self.end = 0  # ring-time frames handed on so far
        self.downbeat: float | None = None  # a bar line, in ring-time frames (the others every bar_frames)
        self.lock = BarLock(self.bar_frames)
        self._varispeed = CubicVarispeed()
        self._raw = np.zeros((2, 0), dtype=np.float32)  # the first bars as they came, until the drift is read
        self._recent = np.zeros((2, 0), dtype=np.float32)  # the newest bars, for reading the beats
        self._recent_start = 0
        self._bias = 0.0  # where the beat reader puts a beat, against its attack's first frame
        self._next: float = 0.0  # the next bar line to read, once its bar has arrived

    def add(self, audio: np.ndarray) -> np.ndarray:
        """The next (2, n) frames of the stream as it arrived (48 kHz); the ring-time frames that follow those
        handed on before (none until the first bars are read)."""
        if self._skip > 0:
            drop = min(self._skip, audio.shape[1])
            self._skip -= drop
            audio = audio[:, drop:]
            if audio.shape[1] == 0:
                return NOTHING
        out = self._resampler.resample_chunk(np.ascontiguousarray(audio.T, dtype=np.float32)).T
        if self.downbeat is None:  # the first bars are read as they came, then played at the speed they need
            self._raw = np.concatenate([self._raw, out], axis=1)
            if self._raw.shape[1] >= 2 * self.bar_frames + self.beat_frames:
                return self._find_bars()
            return NOTHING
        shaped = self._append(self._varispeed.process(out, 1.0 / (1.0 + self.lock.correction)))
        reach = self.beat_frames / 4
        while self.end >= self._next + self.bar_frames + reach:
            beats = self._next + self._bias + self.beat_frames * np.arange(self.beats_per_bar)
            phases = beat_phases(self._recent, self._recent_start, beats, self.beat_frames)
            valid = phases[~np.isnan(phases)]
            self.lock.measured(float(np.median(valid)) if len(valid) >= 2 else None)
            self._next += self.bar_frames
        return shaped

    def _append(self, out: np.ndarray) -> np.ndarray:
        self.end += out.shape[1]
        self._recent = np.concatenate([self._recent, out], axis=1)
        extra = self._recent.shape[1] - int(3 * self.bar_frames + self.beat_frames)
        if extra > 0:
            self._recent = self._recent[:, extra:]
            self._recent_start += extra
        return out

    def _find_bars(self) -> np.ndarray:
        """The first bar lines. How fast the stream drifts from the tempo is read from its first bars as they
        came; they are then played at the speed that undoes it (as is all that follows, steered bar by bar),
        and the downbeat is found in them so played, with where the beat reader puts a beat against it."""
        raw, self._raw = self._raw, np.zeros((2, 0), dtype=np.float32)
        line = fit_line(self._phases(raw, find_downbeat(raw, self.rate_out, self.tempo, self.beats_per_bar).frame))
        self.lock.seed(line[1] if line is not None else 0.0, self.beat_frames)
        shaped = self._append(self._varispeed.process(raw, 1.0 / (1.0 + self.lock.correction)))
        recent, first = self._recent, self._recent_start
        found = find_downbeat(recent, self.rate_out, self.tempo, self.beats_per_bar)
        onset = first + _onset_near(recent, int(found.frame))
        line = fit_line(self._phases(recent, found.frame))
        self._bias = first + found.frame + (line[0] if line is not None else 0.0) - onset
        self.downbeat = onset + ((self.end - onset) // self.bar_frames) * self.bar_frames  # the newest bar line
        self._next = self.downbeat
        return shaped

    def _phases(self, audio: np.ndarray, downbeat: float) -> np.ndarray:
        """Where each beat from ``downbeat`` on falls in ``audio`` (frames of it), against the tempo's beats."""
        count = int((audio.shape[1] - downbeat - self.beat_frames / 4) // self.beat_frames) + 1
        return beat_phases(audio, 0, downbeat + self.beat_frames * np.arange(max(0, count)), self.beat_frames)


def _onset_near(audio: np.ndarray, frame: int, reach: int = 96) -> int:
    """The attack's own first frame near ``frame`` (the downbeat search reads 64-frame hops): the first frame of
    the window that reaches half its peak."""
    lo = max(0, frame - reach)
    mono = np.abs(audio[:, lo : frame + reach]).max(axis=0)
    if not len(mono) or mono.max() <= 0:
        return frame
    return lo + int(np.argmax(mono >= 0.5 * mono.max()))
