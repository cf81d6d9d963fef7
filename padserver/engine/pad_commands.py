"""Pad commands on the audio thread: trigger, release, launch and stop on a quantum, choke, buffers, modes and
regions, the cue voice.

Each handler takes the engine, the command and the block's first frame; the engine's `process` calls it
before rendering the block. Audio-thread rules: no allocation that grows, no locks, no I/O, no logging."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from padserver.engine import commands as cmd
from padserver.engine import events as ev

if TYPE_CHECKING:  # (the engine calls these: only its type is imported back)
    from padserver.engine.mixer import Engine
    from padserver.engine.quantum import Quantum
    from padserver.engine.voice import PadVoice


def nothing_playing(e: Engine) -> bool:
    return not e.song.active and not any(v.busy for v in e.voices)


def launch(e: Engine, voice: PadVoice, quantum: Quantum, f0: int) -> None:
    if voice.buffer is None and voice.next_buffer is None:
        return
    if voice.choke:
        for other in e.voices:
            if other is not voice and other.choke == voice.choke and other.launch_pending and not other.playing:
                other.cancel_launch(f0)
    if e.free_grid and nothing_playing(e):
        e.clock.reset_grid(f0)
        e.grid_start = f0
        e.events.push(ev.GRID, -1, f0)
        voice.schedule_launch(None, f0, f0)
        return
    if quantum.off:
        voice.schedule_launch(None, f0, f0)
        return
    if not voice.playing and f0 - e.grid_start < e.together and voice.next_buffer is None:
        # Pads pressed together with the one that started the grid join it.
        if voice.buffer is not None:
            voice.start_at(e.clock.frame_at(0.0), f0)
            return
    beat, first = e.clock.boundary_frame(f0, quantum)
    voice.schedule_launch(beat, first, f0)


def stop(e: Engine, voice: PadVoice, quantum: Quantum, f0: int) -> None:
    if quantum.off or not voice.playing:
        voice.schedule_stop(None, f0, f0)
        return
    beat, first = e.clock.boundary_frame(f0, quantum)
    voice.schedule_stop(beat, first, f0)


def trigger(e: Engine, voice: PadVoice, quantum: Quantum, now: int, gain: float) -> None:
    if voice.mode == cmd.LIVE:  # (its presses are the control side's: they open and end the stream)
        return
    if voice.playing and voice.stop_pending:
        voice.cancel_stop(now)
    elif voice.launch_pending and not voice.playing:
        voice.cancel_launch(now)
    elif voice.playing and voice.mode == cmd.LOOP:
        stop(e, voice, quantum, now)
    else:  # silent pads launch; one-shots and gates retrigger
        voice.gain = gain if voice.mode == cmd.ONESHOT else 1.0
        launch(e, voice, quantum, now)


def release(e: Engine, voice: PadVoice, now: int) -> None:
    if voice.mode != cmd.GATE:
        return
    if voice.playing:
        voice.schedule_stop(None, now, now)  # on the release's own frame
    elif voice.launch_pending:
        voice.cancel_launch(now)


def on_trigger(e: Engine, c: cmd.Trigger, f0: int) -> None:
    trigger(e, e.voices[c.pad], c.quantum, f0, c.gain)


def on_release(e: Engine, c: cmd.Release, f0: int) -> None:
    release(e, e.voices[c.pad], f0)


def on_preview(e: Engine, c: cmd.Preview, f0: int) -> None:
    voice = e.cue_voice
    voice.halt(f0)
    if c.buffer is not None:
        voice.set_buffer(c.buffer, c.period)
        voice.schedule_launch(None, f0, f0)


def on_set_pad_quanta(e: Engine, c: cmd.SetPadQuanta, f0: int) -> None:
    e.pad_quanta = c.quanta


def on_launch(e: Engine, c: cmd.Launch, f0: int) -> None:
    launch(e, e.voices[c.pad], c.quantum, f0)


def on_take_over(e: Engine, c: cmd.TakeOver, f0: int) -> None:
    source = e.voices[c.source]
    if not source.playing:  # nothing to be in phase with: they wait, loaded
        return
    beat, first = e.clock.boundary_frame(f0, c.quantum)
    length = source._cycle_frames()
    # the cycle the source is in at the boundary (its loops are whole periods from its origin)
    origin = source.origin + ((first - source.origin) // length) * length if length > 0 else float(first)
    for pad in c.pads:
        voice = e.voices[pad]
        if voice.buffer is None and voice.next_buffer is None:
            continue
        voice.schedule_launch(beat, first, f0)
        voice.join_origin = origin
    source.schedule_stop(beat, first, f0)


def on_stop(e: Engine, c: cmd.Stop, f0: int) -> None:
    stop(e, e.voices[c.pad], c.quantum, f0)


def on_stop_all(e: Engine, c: cmd.StopAll, f0: int) -> None:
    for voice in e.voices:
        if voice.busy:
            stop(e, voice, c.quantum, f0)


def on_panic(e: Engine, c: cmd.Panic, f0: int) -> None:
    for voice in e.voices:
        voice.halt(f0)
    for chain in e.fx:  # (the delays' and the reverb's tails too: silence now)
        chain.clear()
    e.master_fx.clear()
    e.reverb.clear()


def on_set_buffer(e: Engine, c: cmd.SetBuffer, f0: int) -> None:
    voice = e.voices[c.pad]
    if voice.set_buffer(c.buffer, c.period, c.beat_frames):
        if c.at_wrap and voice.mode != cmd.ONESHOT:
            voice.swap_at_wrap = True
        elif c.quantum.off:
            voice.schedule_launch(None, f0, f0)
        else:
            beat, first = e.clock.boundary_frame(f0, c.quantum)
            voice.schedule_launch(beat, first, f0)


def on_set_live_feed(e: Engine, c: cmd.SetLiveFeed, f0: int) -> None:
    e.voices[c.pad].set_feed(c.feed, f0)


def on_set_mode(e: Engine, c: cmd.SetMode, f0: int) -> None:
    e.voices[c.pad].mode = c.mode


def on_set_region(e: Engine, c: cmd.SetRegion, f0: int) -> None:
    e.voices[c.pad].set_region(c.start, c.end)


def on_set_choke(e: Engine, c: cmd.SetChoke, f0: int) -> None:
    e.voices[c.pad].choke = c.group
    e.choke_groups = any(v.choke for v in e.voices)


HANDLERS: dict[type, Callable[[Engine, Any, int], None]] = {
    cmd.Trigger: on_trigger,
    cmd.Release: on_release,
    cmd.Launch: on_launch,
    cmd.TakeOver: on_take_over,
    cmd.Stop: on_stop,
    cmd.StopAll: on_stop_all,
    cmd.Panic: on_panic,
    cmd.SetBuffer: on_set_buffer,
    cmd.SetMode: on_set_mode,
    cmd.SetLiveFeed: on_set_live_feed,
    cmd.SetRegion: on_set_region,
    cmd.SetChoke: on_set_choke,
    cmd.SetPadQuanta: on_set_pad_quanta,
    cmd.Preview: on_preview,
}
