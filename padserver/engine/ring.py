"""One ring buffer type for every hand-over between the audio thread and another: engine events, tick frames of
a MIDI clock, a driver's time stamps, the master on its way to a file.

One writer and one reader: the writer fills a row (or a run of rows) and only then advances ``written``; the
reader advances ``read``. Each side only ever moves its own count, so neither needs a lock. Rows are
preallocated: ``width`` values of ``dtype`` each (``width`` 0: one value a row).
"""

from __future__ import annotations

import numpy as np


class Ring:
    def __init__(self, capacity: int, width: int = 0, dtype=np.float64) -> None:
        self.capacity = int(capacity)
        self.rows = np.zeros((self.capacity,) if width == 0 else (self.capacity, width), dtype=dtype)
        self.written = 0  # advanced only by the writer
        self.read = 0  # advanced only by the reader

    # -- the writer --------------------------------------------------------------------------------
    def slot(self) -> int:
        """Where the next row goes (fill it, then `commit`)."""
        return self.written % self.capacity

    def commit(self, n: int = 1) -> None:
        self.written += n

    def room(self) -> int:
        """Rows the writer may fill before it would overwrite what the reader has not read."""
        return self.capacity - (self.written - self.read)

    def push_block(self, block: np.ndarray) -> None:
        """Copy a (width, n) block in as n rows, wrapping at the end (slices only: nothing is allocated)."""
        n = block.shape[1]
        i = self.slot()
        k = min(n, self.capacity - i)
        self.rows[i : i + k] = block[:, :k].T
        if k < n:
            self.rows[: n - k] = block[:, k:].T
        self.commit(n)

    # -- the reader --------------------------------------------------------------------------------
    def at(self, index: int):
        """Row ``index`` counted from the first ever written (it holds that row while within ``capacity``)."""
        return self.rows[index % self.capacity]

    def unread(self) -> range:
        """The indexes not read yet, the newest ``capacity`` of them at most (older ones were overwritten)."""
        return range(max(self.read, self.written - self.capacity), self.written)

    def newest(self, n: int, skip: int = 0) -> np.ndarray:
        """Positions in ``rows`` of the newest ``n`` rows (oldest first), leaving out the ``skip`` newest."""
        end = self.written - skip
        return np.arange(end - n, end) % self.capacity
