"""A live stream held for its pad (control side): ring-time audio as `stream_shape` hands it on (resampled to
the pad's tempo, kept on the bar grid), with where a bar line is, until the pad plays it. Frames are counted
from the first one handed on, as the shaper counts them, so a bar line it found stays where it said.
"""

from __future__ import annotations

import collections
import math

import numpy as np

from padserver.loops.stream_shape import Shape, StreamShaper


class StreamFit:
    def __init__(self, shape: Shape) -> None:
        self.shape = shape  # (the shaper runs where the stream arrives: the network process, or here)
        self.beat_frames = shape.beat_frames
        self.bar_frames = shape.bar_frames
        self._shaper: StreamShaper | None = None
        self._held: collections.deque[np.ndarray] = collections.deque()  # ring-time frames not yet handed on
        self.held = 0  # how many
        self.start = 0  # the ring-time frame the first of them is
        self.downbeat: float | None = None  # a bar line, in ring-time frames (the others every bar_frames)

    @property
    def end(self) -> int:
        """The ring-time frame after the last one received."""
        return self.start + self.held

    def add(self, audio: np.ndarray) -> None:
        """The next (2, n) frames of the stream as it arrived (48 kHz), shaped here."""
        if self._shaper is None:
            self._shaper = StreamShaper(self.shape)
        self.add_shaped(self._shaper.add(audio), self._shaper.downbeat)

    def add_shaped(self, out: np.ndarray, downbeat: float | None) -> None:
        """Ring-time frames from the shaper, and the bar line it has found (None: not yet)."""
        if out.shape[1]:
            self._held.append(out)
            self.held += out.shape[1]
        self.downbeat = downbeat

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
