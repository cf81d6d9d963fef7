"""The offline driver: renders the engine as fast as the CPU allows.

Used by tests (deterministic, frame-exact) and later by song export. The same
`Engine.process` runs here as under JACK or PortAudio.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from padserver.engine.mixer import Engine


class OfflineRenderer:
    """Drive an engine block by block and collect its master (and stems)."""

    def __init__(self, engine: Engine, block: int = 128) -> None:
        if not 1 <= block <= engine.max_block:
            raise ValueError(f"block must be in range 1..{engine.max_block}")
        self.engine = engine
        self.block = block

    def render(
        self,
        frames: int,
        stems: bool = False,
        before_block: Callable[[int], None] | None = None,
        interleaved: bool = False,
    ) -> Any:
        """Render ``frames`` frames: the master as (2, frames), plus (pads, 2, frames) stems.

        ``before_block(frame)`` is called before each block, where a test can
        send commands that the engine applies at that block's first frame.
        With ``interleaved`` the master is kept frame by frame, as audio files
        hold it (the (2, frames) returned is a view of it: ``.T`` is the file's).
        """
        engine = self.engine
        master = np.empty((frames, 2), dtype=np.float32).T if interleaved else np.zeros((2, frames), dtype=np.float32)
        stem_out = np.zeros((engine.pads, 2, frames), dtype=np.float32) if stems else None
        done = 0
        while done < frames:
            n = min(self.block, frames - done)
            if before_block is not None:
                before_block(engine.frame)
            master[:, done : done + n] = engine.process(n)
            if stem_out is not None:
                stem_out[:, :, done : done + n] = engine.stems()
            done += n
        return (master, stem_out) if stems else master

    def run_until(self, frame: int) -> None:
        """Advance the engine (discarding output) until its next block starts at ``frame``."""
        engine = self.engine
        while engine.frame < frame:
            engine.process(min(self.block, frame - engine.frame))
