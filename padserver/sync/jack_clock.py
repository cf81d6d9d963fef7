"""MIDI clock out on JACK: 24 ticks per beat, each written at its own frame, with the song's transport.

Written in the audio callback after the engine rendered the block, so the
ticks follow the tempo the block was rendered at. The song's start is Start
(from its beginning) or Song Position Pointer + Continue (from elsewhere), at
the frame the song starts, before that frame's tick, so a follower counts the
tick as the first of the song; a stop or pause is Stop at its frame; a jump of
the playing song (a locate, the loop region's wrap) is Stop, Song Position and
Continue at the jump's frame, so a follower relocates and goes on with the tick.
"""

from __future__ import annotations

import collections
import math

from padserver.engine import commands as cmd
from padserver.engine.ring import Ring
from padserver.sync.messages import STOP, TICK, TICKS_PER_BEAT, TransportReader, jump_messages, start_messages

_TICK, _STOP = (TICK,), (STOP,)


def tick_offsets(clock, f0: int, frames: int):
    """The offsets in [0, frames) of the MIDI clock ticks falling in frames [f0, f0 + frames)."""
    tick = math.ceil(clock.beat_at(f0) * TICKS_PER_BEAT - 1e-9)
    last = clock.beat_at(f0 + frames) * TICKS_PER_BEAT
    while tick < last:
        offset = clock.first_frame_at(tick / TICKS_PER_BEAT) - f0
        if 0 <= offset < frames:
            yield offset
        tick += 1


class ClockOut:
    def __init__(self, port) -> None:
        self.port = port  # jack.OwnMidiPort

    def process(self, frames: int, engine) -> None:
        """Audio thread, after ``engine.process(frames)``: this block's transport messages and ticks, in the
        order of their frames (JACK refuses an event before one already written)."""
        port = self.port
        port.clear_buffer()
        f0 = engine.frame - frames
        end = f0 + frames
        song = engine.song
        stop = song.stopped_at - f0 if f0 <= song.stopped_at < end else frames
        jump = song.jumped_at - f0 if f0 <= song.jumped_at < end else frames
        start = song.started_at - f0 if f0 <= song.started_at < end else frames
        for offset in tick_offsets(engine.clock, f0, frames):
            if stop <= offset:
                self._write(stop, _STOP)
                stop = frames
            if jump <= offset:
                self._write(jump, jump_messages(song.jumped_to))
                jump = frames
            if start <= offset:
                self._write(start, start_messages(song.started_from))
                start = frames
            self._write(offset, _TICK)
        if stop < frames:
            self._write(stop, _STOP)
        if jump < frames:
            self._write(jump, jump_messages(song.jumped_to))
        if start < frames:
            self._write(start, start_messages(song.started_from))

    def _write(self, offset: int, messages: tuple[bytes, ...]) -> None:
        for message in messages:
            try:
                self.port.write_midi_event(offset, message)
            except Exception:  # the period's MIDI buffer is full: the follower misses this one
                pass


class ClockIn:
    """Follows an external MIDI clock on ``padserver:clock_in`` (audio thread side).

    Each tick's engine frame goes into a ring the control side reads to measure
    the tempo and lock the phase (`padserver.sync.follow`). Start, Continue,
    Stop and Song Position act on the song here, on their own frames: after
    Start (or Continue) the song starts on the next tick, which is where the
    external song's beat lies, and the bar grid starts with it.
    """

    RING = 4096
    commands_here = True  # Start/Stop reach the engine from the callback, on their own frames
    stamped = False  # each tick on its own frame (not a MIDI driver's timestamp)

    def __init__(self, port, follow: bool = False) -> None:
        self.port = port  # jack.OwnMidiPort
        self.follow = follow  # act on the transport (sync.source is midi)
        self.ticks = Ring(self.RING)  # the frame of every tick received (the follower reads them)
        self.events: collections.deque = collections.deque(maxlen=256)  # (what, frame, value) for the control side
        self.transport = TransportReader()
        self._frame = -1  # the frame of the last message, and which realtime messages came on it (a bit each)
        self._seen = 0

    def prepare(self) -> None:
        """Control side, before the follower reads: the callback wrote engine frames already."""

    def process(self, frames: int, engine) -> None:
        """Audio thread, before ``engine.process(frames)``."""
        f0 = engine.frame
        ticks = self.ticks
        for offset, data in self.port.incoming_midi_events():
            status = ord(data[0])  # (JACK-Client gives the bytes as a buffer: one item is a one-byte bytes)
            frame = f0 + offset
            if frame != self._frame:
                self._frame, self._seen = frame, 0
            bit = 1 << (status & 0x0F) if status >= 0xF0 else 0
            if self._seen & bit:
                # the same realtime message twice on one frame: JACK delivered a late sender's cycle twice (no
                # clock sends two ticks, or two Starts, at once)
                continue
            self._seen |= bit
            if status == 0xF8:
                ticks.rows[ticks.slot()] = frame
                ticks.commit()
                start = self.transport.take_start() if self.follow else None
                if start is not None:
                    engine.send(cmd.FollowStart(frame, start))
                    self.events.append(("start", frame, start))
                continue
            what = self.transport.read(
                status, ord(data[1]) if len(data) > 1 else 0, ord(data[2]) if len(data) > 2 else 0
            )
            if what is not None and self.follow:
                if what == "stop":
                    engine.send(cmd.Transport("pause"))
                self.events.append((what, frame, self.transport.position if what == "position" else 0.0))
