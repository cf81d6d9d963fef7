"""A voice's tails: the audio a stop, a restart, a swap or a wrap to elsewhere leaves behind keeps reading where
it was and fades out (two at a time), so the change is a short crossfade, never a click.

Part of `PadVoice` (its attributes live in the voice's slots). Audio-thread rules as in the voice.
"""

from __future__ import annotations

import numpy as np

from padserver.engine.dsp import Fades, copy_looped

TAILS = 2


class Tails:
    # (no slots of its own: the voice keeps them)
    # (the voice's slots these methods use)
    fades: Fades
    buffer: np.ndarray | None
    tail_buf: list[np.ndarray | None]
    tail_pos: list[int]
    tail_left: list[int]
    tail_from: list[int]

    def _start_tail(self, index: int, offset: int) -> None:
        length = self.fades.length
        if length == 0 or self.buffer is None:
            return
        slot = 0 if self.tail_left[0] <= self.tail_left[1] else 1
        if self.tail_left[slot] > 0:  # both busy: the older one is cut short
            slot = 0 if self.tail_left[0] < self.tail_left[1] else 1
        self.tail_buf[slot] = self.buffer
        self.tail_pos[slot] = index
        self.tail_left[slot] = length
        self.tail_from[slot] = offset

    def _render_tails(self, row: np.ndarray, n: int) -> None:
        fades = self.fades
        length = fades.length
        for s in range(TAILS):
            left = self.tail_left[s]
            a = self.tail_from[s]
            k = min(n - a, left)
            if k <= 0:
                continue
            scratch = fades.scratch[:, :k]
            tail = self.tail_buf[s]
            assert tail is not None
            copy_looped(scratch, tail, self.tail_pos[s])
            done = length - left
            scratch *= fades.fade_out[done : done + k]
            row[:, a : a + k] += scratch
            self.tail_pos[s] += k
            self.tail_left[s] = left - k
            if self.tail_left[s] <= 0:
                self.tail_buf[s] = None
