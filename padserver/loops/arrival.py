"""How a stream arrives: the spread of its chunks' lateness, which the jitter buffer must cover.

A stream made in real time arrives on a schedule: after ``s`` seconds of audio, ``s`` seconds after the first
chunk. Each chunk's lateness is when it came less when that schedule says, and its delay how much later than
the earliest recent chunk before it that is: a buffer that holds the largest delay of the recent chunks plays
through every late chunk of that size. A model that runs ahead (a burst at the start, or a fake that streams
faster than real time) only moves the earliest: its chunks are never late. Whatever their timing, a stream in
chunks plays one out before the next comes: what is held must cover a chunk as well as the delays. A stall is forgotten once it has
left the window (the stream then comes on its new schedule, with the buffer filled again behind it).
"""

from __future__ import annotations

import collections


class Arrival:
    """The largest delay of the recent chunks, in seconds (0 while none came late)."""

    def __init__(self, window: int = 30) -> None:
        self._first: float | None = None
        self._audio_s = 0.0  # audio received before the newest chunk
        self._lateness: collections.deque[float] = collections.deque(maxlen=window)
        self._sizes: collections.deque[float] = collections.deque(maxlen=window)

    def add(self, at: float, seconds: float) -> None:
        """A chunk of ``seconds`` of audio came at ``at`` (seconds, any monotonic clock)."""
        if self._first is None:
            self._first = at
        self._lateness.append(at - self._first - self._audio_s)
        self._sizes.append(seconds)
        self._audio_s += seconds

    @property
    def chunk_s(self) -> float:
        """The largest recent chunk: what a stream coming on time plays out before the next comes."""
        return max(self._sizes, default=0.0)

    def needed_s(self, margin: float = 1.25) -> float:
        """What must be held ahead after a chunk has come for the stream never to run dry: the next chunk's
        wait (the largest chunk, and the largest delay with a margin)."""
        return self.chunk_s + margin * self.jitter_s

    @property
    def jitter_s(self) -> float:
        worst, earliest = 0.0, float("inf")
        for lateness in self._lateness:
            earliest = min(earliest, lateness)
            worst = max(worst, lateness - earliest)
        return worst
