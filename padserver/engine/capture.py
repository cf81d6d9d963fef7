"""Recording audio input into a take on the audio thread: from an exact frame, for a fixed length.

The control side hands over a preallocated (2, frames) buffer and the input
channels to read; the audio thread copies the input into it from the start
frame plus the input latency (so the take lines up with what was heard), and
says when it is full. Slices and ``out=`` only, as everywhere in the callback.
"""

from __future__ import annotations

import numpy as np


class InputCapture:
    def __init__(self) -> None:
        self.buffer: np.ndarray | None = None
        self.pad = -1
        self.channels = (0, 1)
        self.start_beat = 0.0
        self.start = -1  # the first input frame that belongs to the take (set when the start beat is known)
        self.filled = 0
        self.latency = 0
        self.master = False  # resampling: the engine's own master instead of the inputs
        self.finish_beat: float | None = None  # an open-ended take ends on this beat (a bar line)
        self.length = 0  # frames the take holds: the buffer's, or up to the finish

    @property
    def active(self) -> bool:
        return self.buffer is not None

    def arm(
        self, pad: int, buffer: np.ndarray, start_beat: float, channels: tuple[int, int], latency: int, master: bool
    ) -> None:
        self.pad, self.buffer, self.start_beat = pad, buffer, start_beat
        self.channels, self.latency, self.master = channels, int(latency), master
        self.start, self.filled = -1, 0
        self.finish_beat, self.length = None, buffer.shape[1]

    def cancel(self) -> np.ndarray | None:
        """Stop; the take so far (up to its finish when it has one), or None."""
        buffer, self.buffer = self.buffer, None
        return None if buffer is None else buffer[:, : self.length]

    def process(self, inputs, f0: int, n: int, clock) -> bool:
        """Copy what of [f0, f0 + n) belongs to the take; True when the take is complete."""
        buffer = self.buffer
        if buffer is None:
            return False
        if self.start < 0:
            self.start = clock.first_frame_at(self.start_beat) + self.latency
        if self.finish_beat is not None:
            end = clock.first_frame_at(self.finish_beat) + self.latency - self.start
            self.length = max(0, min(buffer.shape[1], end))
            self.finish_beat = None
        a = max(f0, self.start + self.filled)
        b = min(f0 + n, self.start + self.length)
        if b > a and inputs is not None:
            i = a - self.start
            for side, channel in enumerate(self.channels):
                if 0 <= channel < len(inputs):
                    buffer[side, i : i + (b - a)] = inputs[channel][a - f0 : b - f0]
            self.filled = b - self.start
        return self.filled >= self.length
