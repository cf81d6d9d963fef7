"""Transport and song commands on the audio thread: play (with a count-in), pause, stop, locate; the song, the
metronome, tempo and metre, the free grid.

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


def on_set_song(e: Engine, c: cmd.SetSong, f0: int) -> None:
    song = e.song
    old = song.clips
    song.clips = c.clips
    song.tracks = len(c.gains)
    song.gains[: len(c.gains)] = c.gains
    song.loop = c.loop
    song.set_own(c.own)
    e.garbage.append(old)  # freed on the control side


def on_set_metronome(e: Engine, c: cmd.SetMetronome, f0: int) -> None:
    e.metronome.on = c.on
    e.metronome.set_gain(c.gain)
    e.metronome.to_master = c.to_master


def on_transport(e: Engine, c: cmd.Transport, f0: int) -> None:
    song, clock = e.song, e.clock
    if c.action == "play":
        if song.active:
            return
        if e.free_grid and nothing_playing(e):
            # the song's bar lines become the grid's: the position's bar starts here
            bpb = clock.beats_per_bar
            clock.reset_grid(f0 - (song.position % bpb) * clock.frames_per_beat)
            e.grid_start = f0
            e.events.push(ev.GRID, -1, f0)
            if c.count_in:
                bar = clock.beat_at(f0) - song.position % bpb  # the count-in starts now
                start = bar + c.count_in * bpb
                e.metronome.count_in(bar, start)
                song.play(clock, f0, start + song.position % bpb)
            else:
                song.play(clock, f0, None)
        else:  # pads are playing: join their grid on the next bar line (after the count-in)
            beat, _ = clock.boundary_frame(f0, ONE_BAR)
            start = beat + c.count_in * clock.beats_per_bar
            if c.count_in:
                e.metronome.count_in(beat, start)
            song.play(clock, f0, start)
    elif c.action == "pause":
        e.metronome.count_in(0.0, 0.0)
        song.stop(clock, f0)
    elif c.action == "stop":
        e.metronome.count_in(0.0, 0.0)
        song.stop(clock, f0, c.beat)
    elif c.action == "locate":
        song.locate(clock, f0, c.beat)


def on_set_free_grid(e: Engine, c: cmd.SetFreeGrid, f0: int) -> None:
    e.free_grid = c.free


def on_set_tempo(e: Engine, c: cmd.SetTempo, f0: int) -> None:
    e.clock.set_tempo(c.bpm, f0)
    beat = e.clock.frames_per_beat
    for voice in e.voices:  # loops keep to their beats: varispeed until a re-stretched buffer arrives
        voice.retime(f0, beat)


def on_set_beats_per_bar(e: Engine, c: cmd.SetBeatsPerBar, f0: int) -> None:
    e.clock.set_beats_per_bar(c.beats, f0)


HANDLERS: dict[type, Callable[[Engine, Any, int], None]] = {
    cmd.SetSong: on_set_song,
    cmd.Transport: on_transport,
    cmd.SetMetronome: on_set_metronome,
    cmd.SetFreeGrid: on_set_free_grid,
    cmd.SetTempo: on_set_tempo,
    cmd.SetBeatsPerBar: on_set_beats_per_bar,
}
