"""Engine events: what the realtime world reports back, without allocating.

Events are rows in a preallocated ring written by the audio thread and read by
the control thread. With one writer and one reader the two counters are enough:
each side only ever advances its own.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from padserver.engine.ring import Ring

QUEUED = 1  # launch pending since `frame`; value = frame it will start
STARTED = 2  # pad produced its first frame at `frame`
STOPPING = 3  # stop pending since `frame`; value = frame it will stop
STOPPED = 4  # pad fell silent at `frame` (stop, choke, one-shot end, clear)
UNQUEUED = 5  # a pending launch was cancelled
SWAPPED = 6  # new audio took over at `frame`
GRID = 7  # the bar grid (bar 1) started at `frame`
RECORDED = 8  # a take recorded into `pad` is complete at `frame`
UNDERRUN = 9  # a live pad's stream ran dry at `frame`: it faded out (STOPPED follows)

NAMES = {
    QUEUED: "queued",
    STARTED: "started",
    STOPPING: "stopping",
    STOPPED: "stopped",
    UNQUEUED: "unqueued",
    SWAPPED: "swapped",
    GRID: "grid",
    RECORDED: "recorded",
    UNDERRUN: "underrun",
}


class Event(NamedTuple):
    kind: int
    pad: int
    frame: int
    value: int

    @property
    def name(self) -> str:
        return NAMES.get(self.kind, str(self.kind))


class EventRing:
    """A single-producer, single-consumer ring of (kind, pad, frame, value) rows."""

    def __init__(self, capacity: int = 1024) -> None:
        self.ring = Ring(capacity, 4, np.int64)
        self.dropped = 0

    @property
    def written(self) -> int:
        return self.ring.written

    def push(self, kind: int, pad: int, frame: int, value: int = 0) -> None:
        """Audio thread: record one event (overwrites the oldest if the reader stalls)."""
        ring = self.ring
        row = ring.rows[ring.slot()]
        row[0] = kind
        row[1] = pad
        row[2] = frame
        row[3] = value
        ring.commit()

    def drain(self) -> list[Event]:
        """Control thread: every event written since the last drain."""
        ring = self.ring
        unread = ring.unread()
        self.dropped += unread.start - ring.read
        out = []
        for i in unread:
            k, p, f, v = (int(x) for x in ring.at(i))
            out.append(Event(k, p, f, v))
        ring.read = unread.stop
        return out
