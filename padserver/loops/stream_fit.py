"""A stream made to fit the bar grid (control side, chunk by chunk): resampled into *ring time* (the engine's
rate at the tempo a live pad's feed is made for), its bar lines found, kept on them (`stream_lock`), and held
until the pad plays it.

The model plays at a whole BPM (``model_bpm``) at 48 kHz; the pad's feed runs at the project's exact tempo
(``tempo``) at the engine's rate, so one resampling does both: ``rate_out × model_bpm / tempo`` output frames a
second of stream. Frames are counted from the first one kept after the model's warm-up (``skip_s``), so a bar
line found once stays found: the next ones follow every ``bar_frames``, the stream held to them by a varispeed
of at most ±0.5 % that each bar's measurement steers.
"""

from __future__ import annotations

import collections
import math

import numpy as np

from padserver.loops.downbeat import find_downbeat
from padserver.loops.stream_lock import BarLock, CubicVarispeed, beat_phases, fit_line


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
        self._held: collections.deque[np.ndarray] = collections.deque()  # ring-time frames not yet handed on
        self.held = 0  # how many
        self.start = 0  # the ring-time frame the first of them is
        self.downbeat: float | None = None  # a bar line, in ring-time frames (the others every bar_frames)
        self.lock = BarLock(self.bar_frames)
        self._varispeed = CubicVarispeed()
        self._raw = np.zeros((2, 0), dtype=np.float32)  # the first bars as they came, until the drift is read
        self._recent = np.zeros((2, 0), dtype=np.float32)  # the newest bars, for reading the beats
        self._recent_start = 0
        self._bias = 0.0  # where the beat reader puts a beat, against its attack's first frame
        self._next: float = 0.0  # the next bar line to read, once its bar has arrived

    @property
    def end(self) -> int:
        """The ring-time frame after the last one received."""
        return self.start + self.held

    def add(self, audio: np.ndarray) -> None:
        """The next (2, n) frames of the stream as it arrived (48 kHz)."""
        if self._skip > 0:
            drop = min(self._skip, audio.shape[1])
            self._skip -= drop
            audio = audio[:, drop:]
            if audio.shape[1] == 0:
                return
        out = self._resampler.resample_chunk(np.ascontiguousarray(audio.T, dtype=np.float32)).T
        if self.downbeat is None:  # the first bars are read as they came, then played at the speed they need
            self._raw = np.concatenate([self._raw, out], axis=1)
            if self._raw.shape[1] >= 2 * self.bar_frames + self.beat_frames:
                self._find_bars()
            return
        self._append(self._varispeed.process(out, 1.0 / (1.0 + self.lock.correction)))
        reach = self.beat_frames / 4
        while self.end >= self._next + self.bar_frames + reach:
            beats = self._next + self._bias + self.beat_frames * np.arange(self.beats_per_bar)
            phases = beat_phases(self._recent, self._recent_start, beats, self.beat_frames)
            valid = phases[~np.isnan(phases)]
            self.lock.measured(float(np.median(valid)) if len(valid) >= 2 else None)
            self._next += self.bar_frames

    def _append(self, out: np.ndarray) -> None:
        self._held.append(out)
        self.held += out.shape[1]
        self._recent = np.concatenate([self._recent, out], axis=1)
        extra = self._recent.shape[1] - int(3 * self.bar_frames + self.beat_frames)
        if extra > 0:
            self._recent = self._recent[:, extra:]
            self._recent_start += extra

    def _find_bars(self) -> None:
        """The first bar lines. How fast the stream drifts from the tempo is read from its first bars as they
        came; they are then played at the speed that undoes it (as is all that follows, steered bar by bar),
        and the downbeat is found in them so played, with where the beat reader puts a beat against it."""
        raw, self._raw = self._raw, np.zeros((2, 0), dtype=np.float32)
        line = fit_line(self._phases(raw, find_downbeat(raw, self.rate_out, self.tempo, self.beats_per_bar).frame))
        self.lock.seed(line[1] if line is not None else 0.0, self.beat_frames)
        self._append(self._varispeed.process(raw, 1.0 / (1.0 + self.lock.correction)))
        recent, first = self._recent, self._recent_start
        found = find_downbeat(recent, self.rate_out, self.tempo, self.beats_per_bar)
        onset = first + _onset_near(recent, int(found.frame))
        line = fit_line(self._phases(recent, found.frame))
        self._bias = first + found.frame + (line[0] if line is not None else 0.0) - onset
        self.downbeat = onset + ((self.end - onset) // self.bar_frames) * self.bar_frames  # the newest bar line
        self._next = self.downbeat

    def _phases(self, audio: np.ndarray, downbeat: float) -> np.ndarray:
        """Where each beat from ``downbeat`` on falls in ``audio`` (frames of it), against the tempo's beats."""
        count = int((audio.shape[1] - downbeat - self.beat_frames / 4) // self.beat_frames) + 1
        return beat_phases(audio, 0, downbeat + self.beat_frames * np.arange(max(0, count)), self.beat_frames)

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

    def drop_before(self, first: int) -> None:
        """Let go of every frame held before ring-time frame ``first``."""
        while self._held and self.start < first:
            chunk = self._held[0]
            n = min(chunk.shape[1], first - self.start)
            if n == chunk.shape[1]:
                self._held.popleft()
            else:
                self._held[0] = chunk[:, n:]
            self.held -= n
            self.start += n

    def keep_last(self, frames: int) -> None:
        """Let go of all but the newest ``frames`` (the pad is silent: only a fresh start will need them)."""
        self.drop_before(self.end - int(frames))

    def feed(self, feed, tap=None) -> int:
        """Hand the oldest frames held to ``feed`` (an engine LiveFeed) as far as it has room; how many went.
        ``tap`` hears each part that went, as it went."""
        sent = 0
        while self._held:
            chunk = self._held[0]
            n = feed.write(chunk)
            if tap is not None and n:
                tap(chunk[:, :n])
            sent += n
            if n < chunk.shape[1]:
                self._held[0] = chunk[:, n:]
                self.held -= n
                self.start += n
                break
            self._held.popleft()
            self.held -= n
            self.start += n
        return sent


def _onset_near(audio: np.ndarray, frame: int, reach: int = 96) -> int:
    """The attack's own first frame near ``frame`` (the downbeat search reads 64-frame hops): the first frame of
    the window that reaches half its peak."""
    lo = max(0, frame - reach)
    mono = np.abs(audio[:, lo : frame + reach]).max(axis=0)
    if not len(mono) or mono.max() <= 0:
        return frame
    return lo + int(np.argmax(mono >= 0.5 * mono.max()))
