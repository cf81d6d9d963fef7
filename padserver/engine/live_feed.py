"""A live pad's stream on its way to the audio thread: one preallocated ring of audio in *ring time*.

Ring time is the stream as the pad plays it at the tempo the feed was made for (``beat_frames`` frames per
beat): the voice plays the ring as a loop of its whole length from the launch on, resampled to the clock's
tempo like any loop, so ring frame ``i`` (counted from the launch, across laps) always sounds on the same
beat after the launch. The writer (the control side) fills it ahead of the voice and advances ``written``;
the voice advances ``played``. Each side only moves its own count: no lock. The writer keeps
``written - played`` under the ring's length, so it never overwrites what has not been heard; a voice that
would read past ``written`` has run dry (an underrun) and fades out.
"""

from __future__ import annotations

import numpy as np


class LiveFeed:
    def __init__(self, frames: int, beat_frames: float) -> None:
        self.ring = np.zeros((2, int(frames)), dtype=np.float32)
        self.beat_frames = float(beat_frames)
        self.written = 0  # ring frames filled since the launch (the writer's)
        self.played = 0  # ring frames the voice has read since the launch (the voice's)

    @property
    def frames(self) -> int:
        return self.ring.shape[1]

    # -- the writer --------------------------------------------------------------------------------
    def room(self, margin: int = 0) -> int:
        """Frames the writer may add now without overwriting what the voice has not read yet."""
        return max(0, self.frames - margin - (self.written - self.played))

    def write(self, audio: np.ndarray) -> int:
        """Append (2, n) ``audio`` as far as there is room; returns the frames taken."""
        n = min(audio.shape[1], self.room())
        i = self.written % self.frames
        k = min(n, self.frames - i)
        self.ring[:, i : i + k] = audio[:, :k]
        if k < n:
            self.ring[:, : n - k] = audio[:, k:n]
        self.written += n  # (after the frames are in: the voice reads only below it)
        return n

    @property
    def ahead(self) -> int:
        """Frames written and not yet heard: how much the stream may stall before the pad runs dry."""
        return self.written - self.played
