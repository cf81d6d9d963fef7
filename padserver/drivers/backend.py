"""What every audio driver shares, and choosing one (``auto``)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np

from padserver.drivers.recorder import Recorder
from padserver.engine.mixer import Engine
from padserver.sync.stream_clock import StreamClock

log = logging.getLogger(__name__)

BACKENDS = ("auto", "jack", "portaudio", "null", "stepped")  # (stepped: for tests; never chosen by auto)


class BackendError(RuntimeError):
    """The chosen audio backend cannot run here (with the reason)."""


@dataclass
class BackendInfo:
    name: str
    reason: str
    sample_rate: int
    block_size: int
    outputs: list[str] = field(default_factory=list)
    device: str = ""
    output_latency: int = 0  # frames from the block we render to the speaker
    connections: list[str] = field(default_factory=list)


class Backend:
    """A driver calls `Engine.process` once per block and delivers the result."""

    name = "?"

    def __init__(self) -> None:
        self.engine: Engine = None  # type: ignore[assignment]  # set by attach() before start()
        self.recorder: Recorder | None = None
        self.stream_clock: StreamClock | None = None  # when each block is heard (drivers without a clock)
        self.info: BackendInfo

    @property
    def connected(self) -> bool:
        return True

    def attach(self, engine: Engine, recorder: Recorder | None = None) -> None:
        self.engine = engine
        self.recorder = recorder

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def now(self) -> float:
        """Seconds on the clock that musical timers read (tap tempo, a fader sweep's undo step): the host's,
        except on a driver that keeps time of its own (stepped)."""
        return time.monotonic()

    def input_latency(self) -> int:
        """Frames from a sound the player heard to it reaching the inputs (compensated when recording)."""
        return 0

    def track_outputs(self, rows: tuple[int, ...]) -> bool:
        """Control thread: give these song tracks (rows) outputs of their own; False where there are none."""
        return False

    def clock_map(self) -> tuple[int, int, int] | None:
        """Control thread: (an engine frame, when it is in microseconds on the audio clock, frames until the
        master is heard), where known. Drivers without a clock of their own stamp their blocks (`stream_clock`);
        the stamps already count the way to the DAC."""
        heard = self.stream_clock.heard() if self.stream_clock is not None else None
        return None if heard is None else (heard[0], heard[1], 0)

    def output_latencies(self) -> dict[str, int]:
        """Control thread: frames from a rendered block to where each output is heard (the DAW's offset)."""
        return {"master": self.info.output_latency}

    def click_output(self) -> bool:
        """Control thread: give the metronome outputs of its own; False where there are none."""
        return False

    def supervise(self) -> str | None:
        """Called about once a second from the control side; returns a message to log."""
        return None

    def _render(self, frames: int) -> np.ndarray:
        """Audio thread: one block of the master; silence if the engine fails."""
        try:
            mix = self.engine.process(frames)
        except Exception as exc:  # a bug must not stop the audio (the engine's own parts are guarded within)
            self.engine.faults.note(exc, "engine")
            return self.engine.silence(frames)
        if self.recorder is not None:
            self.recorder.push(mix)
        return mix
