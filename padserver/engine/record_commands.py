"""Recording commands on the audio thread: arm a take from a bar line (after a count-in), finish an open-ended one.

Each handler takes the engine, the command and the block's first frame; the engine's `process` calls it
before rendering the block. Audio-thread rules: no allocation that grows, no locks, no I/O, no logging."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from padserver.engine import commands as cmd
from padserver.engine import events as ev
from padserver.engine.pad_commands import nothing_playing
from padserver.engine.quantum import ONE_BAR

if TYPE_CHECKING:  # (the engine calls these: only its type is imported back)
    from padserver.engine.mixer import Engine


def on_record(e: Engine, c: cmd.Record, f0: int) -> None:
    if c.buffer is None:
        e.metronome.count_in(0.0, 0.0)
        old = e.capture.cancel()
        if old is not None:
            e.garbage.append(old)
        return
    clock = e.clock
    if c.count_in and e.free_grid and nothing_playing(e):
        # nothing to play along with: the count-in starts at once, and the grid with it
        clock.reset_grid(f0)
        e.grid_start = f0
        e.events.push(ev.GRID, -1, f0)
    beat, _ = clock.boundary_frame(f0, ONE_BAR)
    start = beat + c.count_in * clock.beats_per_bar
    if c.count_in:
        e.metronome.count_in(beat, start)
    e.capture.arm(c.pad, c.buffer, start, c.channels, c.latency, c.master)


def on_finish_record(e: Engine, c: cmd.FinishRecord, f0: int) -> None:
    if e.capture.buffer is not None:
        beat, _ = e.clock.boundary_frame(f0, ONE_BAR)
        e.capture.finish_beat = beat


HANDLERS: dict[type, Callable[[Engine, Any, int], None]] = {
    cmd.Record: on_record,
    cmd.FinishRecord: on_finish_record,
}
