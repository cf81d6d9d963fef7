"""Engine commands: what the control world asks of the realtime world.

Commands are small immutable values put on the engine's queue by the control
thread and applied by the audio callback at the start of a block. Audio
buffers handed over in a command are never written again by anyone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from padserver.engine.live_feed import LiveFeed
from padserver.engine.quantum import Quantum

LOOP, ONESHOT, GATE, LIVE = "loop", "oneshot", "gate", "live"
MODES = (LOOP, ONESHOT, GATE, LIVE)  # live: the pad plays a stream (a LiveFeed), launched and stopped by the
# control side (a press there opens or ends the stream), never by a press matched on the audio thread


@dataclass(frozen=True, slots=True)
class Trigger:
    """A press: launch if stopped, stop if playing (per the pad's mode).

    ``gain`` scales the voice (a velocity-sensitive one-shot); 1.0 otherwise.
    """

    pad: int
    quantum: Quantum
    gain: float = 1.0


@dataclass(frozen=True, slots=True)
class Release:
    """A release: gate pads stop at once; other modes ignore it."""

    pad: int


@dataclass(frozen=True, slots=True)
class Launch:
    """Launch (or relaunch from the region start) on the next boundary."""

    pad: int
    quantum: Quantum


@dataclass(frozen=True, slots=True)
class Stop:
    pad: int
    quantum: Quantum


@dataclass(frozen=True, slots=True)
class TakeOver:
    """``pads`` start on the next boundary in phase with ``source`` (where it is in its loop), which stops there:
    stems taking over from the loop they were split from (their periods are its)."""

    pads: tuple[int, ...]
    source: int
    quantum: Quantum


@dataclass(frozen=True, slots=True)
class StopAll:
    quantum: Quantum


@dataclass(frozen=True, slots=True)
class Panic:
    """Stop every pad now (with the short fade, so even panic does not click)."""


@dataclass(frozen=True, slots=True)
class SetBuffer:
    """Give a pad new audio: at once if it is silent, else on the next boundary.

    ``period`` is the loop's exact length in frames (bars × frames per bar),
    which may be fractional; the buffer holds at least ``ceil(period)`` frames.
    """

    pad: int
    buffer: np.ndarray | None
    period: float
    quantum: Quantum
    at_wrap: bool = False  # a playing pad takes it at its own next loop boundary (a generated replacement)
    beat_frames: float = 0.0  # the buffer's frames per beat: at other tempi it plays resampled (0: as it is)


@dataclass(frozen=True, slots=True)
class SetLiveFeed:
    """Give a live pad its stream (None: take it away, silencing the pad). The ring plays from its first frame
    at the pad's next launch; the feed's own counts start again from there."""

    pad: int
    feed: LiveFeed | None


@dataclass(frozen=True, slots=True)
class SetMode:
    pad: int
    mode: str


@dataclass(frozen=True, slots=True)
class SetRegion:
    pad: int
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class SetChoke:
    pad: int
    group: int


@dataclass(frozen=True, slots=True)
class SetPadGains:
    """Effective left/right gains for every pad (gain, pan, mute, solo resolved)."""

    gains: np.ndarray  # (pads, 2) float32


@dataclass(frozen=True, slots=True)
class SetMasterGain:
    gain: float


@dataclass(frozen=True, slots=True)
class SetLimiter:
    enabled: bool
    ceiling_db: float


@dataclass(frozen=True, slots=True)
class SetTempo:
    bpm: float


@dataclass(frozen=True, slots=True)
class SetBeatsPerBar:
    beats: int


@dataclass(frozen=True, slots=True)
class Preview:
    """Play ``buffer`` on the cue voice at once, looping (None stops it), without touching the pads."""

    buffer: np.ndarray | None
    period: float


@dataclass(frozen=True, slots=True)
class SetPadQuanta:
    """Each pad's effective launch quantum, for presses matched on the audio thread."""

    quanta: tuple[Quantum, ...]


@dataclass(frozen=True, slots=True)
class SetSong:
    """The arrangement as the audio thread plays it: clips, each track's left/right gain, the loop region."""

    clips: tuple  # of engine.song.SongClip
    gains: np.ndarray  # (tracks, 2)
    loop: tuple[float, float] | None  # song beats
    own: tuple[int, ...] = ()  # rows of the tracks that play on their own outputs, not the master


@dataclass(frozen=True, slots=True)
class SetFreeGrid:
    """Whether the grid restarts at a launch when nothing plays (internal sync); not when another clock leads."""

    free: bool


@dataclass(frozen=True, slots=True)
class FollowStart:
    """An external clock started (or continued) its song: song beat ``position`` is at ``frame``, a bar
    grid with it."""

    frame: int
    position: float


@dataclass(frozen=True, slots=True)
class FollowClock:
    """An external clock's timeline: clock beat ``beat`` at ``frame`` (fractional), ``tempo`` from there."""

    frame: float
    beat: float
    tempo: float


@dataclass(frozen=True, slots=True)
class Transport:
    """play (from the position; on the next bar if pads are playing), pause, stop (to ``beat``), locate."""

    action: str
    beat: float = 0.0
    count_in: int = 0  # play: bars of count-in clicks before the song starts


@dataclass(frozen=True, slots=True)
class SetMetronome:
    """Clicks on the beat while the song plays (accented downbeat), at ``gain`` (linear)."""

    on: bool
    gain: float = 0.5
    to_master: bool = True  # else on the click ports


@dataclass(frozen=True, slots=True)
class Record:
    """Record input ``channels`` into ``buffer`` (2, frames) from the next bar line, reading ``latency``
    frames later so the take lines up with what was heard; None buffer cancels."""

    pad: int
    buffer: np.ndarray | None
    channels: tuple[int, int] = (0, 1)
    latency: int = 0
    master: bool = False  # resample: record the master output instead of the inputs
    count_in: int = 0  # bars of count-in clicks before the take starts


@dataclass(frozen=True, slots=True)
class FinishRecord:
    """End the open-ended recording on the next bar line (so the take is whole bars)."""


@dataclass(frozen=True, slots=True)
class SetFx:
    """One setting of a pad's effects chain (``pad`` -1: the master's), by its index in `engine.effects.NAMES`;
    the master's send is the reverb's return level."""

    pad: int
    what: int
    value: float


@dataclass(frozen=True, slots=True)
class SetFxLine:
    """A delay line for a chain (made on the control side the first time its delay is turned on)."""

    pad: int
    line: np.ndarray


@dataclass(frozen=True, slots=True)
class SetTrackFx:
    """One setting of a song track's effects chain (by its row), as `SetFx`."""

    track: int
    what: int
    value: float


@dataclass(frozen=True, slots=True)
class SetTrackFxLine:
    """A delay line for a song track's chain."""

    track: int
    line: np.ndarray
