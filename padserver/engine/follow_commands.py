"""Following another clock on the audio thread: its Start (the grid and the song on its bar), its tempo and phase.

Each handler takes the engine, the command and the block's first frame; the engine's `process` calls it
before rendering the block. Audio-thread rules: no allocation that grows, no locks, no I/O, no logging."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from padserver.engine import commands as cmd
from padserver.engine import events as ev

if TYPE_CHECKING:  # (the engine calls these: only its type is imported back)
    from padserver.engine.mixer import Engine


def on_follow_start(e: Engine, c: cmd.FollowStart, f0: int) -> None:
    clock, song = e.clock, e.song
    offset = c.position % clock.beats_per_bar  # the song's bars become the grid's
    clock.reset_grid(c.frame - offset * clock.frames_per_beat)
    e.grid_start = c.frame
    e.events.push(ev.GRID, -1, f0)
    song.stop(clock, f0, c.position)
    song.play(clock, f0, offset)
    bar = clock.beat_at(c.frame) - offset  # the external song's bar the start falls in
    for voice in e.voices:
        voice.retime(f0, clock.frames_per_beat)
        if voice.playing and not voice.stop_pending:  # playing loops start again on that bar, with the song
            voice.schedule_launch(bar, clock.first_frame_at(bar), f0)


def on_follow_clock(e: Engine, c: cmd.FollowClock, f0: int) -> None:
    clock = e.clock
    ends = e.end_beats
    for i, voice in enumerate(e.voices):
        if voice.playing:
            ends[i] = clock.beat_at(voice.cycle_end_exact())
    old = clock.frames_per_beat
    clock.follow(c.frame, c.beat, c.tempo)
    beat = clock.frames_per_beat
    for i, voice in enumerate(e.voices):
        if beat != old:
            voice.retime(f0, beat)
        if voice.playing:  # and the phase a hair off: the cycle still ends on its beat
            voice.rephase(f0, clock.frame_at(ends[i]))


HANDLERS: dict[type, Callable[[Engine, Any, int], None]] = {
    cmd.FollowStart: on_follow_start,
    cmd.FollowClock: on_follow_clock,
}
