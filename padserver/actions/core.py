"""Actions: validate, change the project, command the engine, answer or raise ActionError."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from typing import Any

from padserver.actions import checks
from padserver.actions.checks import ActionError
from padserver.engine import commands as cmd
from padserver.engine import events as ev
from padserver.engine.clock import MAX_TEMPO, MIN_TEMPO
from padserver.engine.mixer import Engine
from padserver.engine.quantum import Quantum, parse_quantum
from padserver.library.db import Loop
from padserver.library.store import LibraryError
from padserver.paths import confine
from padserver.state.history import History
from padserver.state.project import Pad, Project
from padserver.tasks import spawn

log = logging.getLogger("padserver.actions")

TAP_RESET_S = 2.0
TAP_KEEP = 8


class Actions:
    def __init__(
        self,
        project: Project,
        engine: Engine,
        library,
        allowed: list[str],
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.project = project
        self.now = now  # seconds on the audio driver's clock, for timers a musician hears (tap tempo)
        self.engine = engine
        self.library = library
        self.allowed = allowed
        self._taps: list[float] = []
        self.listeners: list = []  # callables(pad_number_or_0, key, value) for feedback
        self.history = History(now=now)
        self.midi: Any = None  # the MIDI manager, when MIDI is on
        self.projects: Any = None  # project actions (padserver.actions.projects)
        self.generation: Any = None  # generating loops (padserver.actions.generate)
        self.loop_settings: dict = {}  # how loops are prepared (padserver.loops.prepare.Settings fields)
        self.refitter: Any = None  # re-stretches loops after tempo changes (padserver.actions.refit)
        self.sync_source = "internal"  # where the tempo comes from: internal, or midi (an external clock)
        self.clock_in: Any = None  # the backend's MIDI clock input (JACK), if it has one
        self.link: Any = None  # the Link session (padserver.sync.link), made when first chosen
        self.make_link: Any = None  # () -> LinkFollower, or None where the audio clock is unknown
        self.song: Any = None  # the song's tracks, clips and transport (padserver.actions.song)
        self.recording: Any = None  # recording input into pads (padserver.actions.record)
        self.performance: Any = None  # recording the pads' performance into the song (padserver.actions.performance)
        self.export_context: Any = None  # (exports folder, engine settings), set by the daemon

    # -- plumbing ----------------------------------------------------------------------------
    def _changed(self, pad: int, key: str, value) -> None:
        for listener in self.listeners:
            listener(pad, key, value)

    def _pad(self, number: object) -> Pad:
        return self.project.pad(checks.pad_number(number))

    def _quantum_of(self, pad: Pad) -> Quantum:
        return parse_quantum(self.project.quantize if pad.quantum == "global" else pad.quantum)

    def _send_gains(self) -> None:
        self.engine.send(cmd.SetPadGains(self.project.pad_gains()))

    def _set_state(self, pad: Pad, state: str) -> None:
        if pad.state != state:
            pad.state = state
            self._changed(pad.number, "state", state)

    # -- playing ---------------------------------------------------------------------------
    def pad_trigger(self, number: object, press: object = 1.0, velocity: int | None = None) -> None:
        """A press (or, with press 0, a release); ``velocity`` 1..127 sets a one-shot's level."""
        pad = self._pad(number)
        pressed = checks.number(press, "press", 0.0, 1.0) > 0.0
        if not pressed:
            self.engine.send(cmd.Release(pad.number - 1))
            return
        self._require_audio(pad)
        gain = 1.0 if velocity is None else checks.whole(velocity, "velocity", 1, 127) / 127.0
        self.engine.send(cmd.Trigger(pad.number - 1, self._quantum_of(pad), gain))

    def send_quanta(self) -> None:
        """Hand the engine every pad's effective quantum (for presses matched on the audio thread)."""
        self.engine.send(cmd.SetPadQuanta(tuple(self._quantum_of(p) for p in self.project.pads)))

    def pad_toggle(self, number: object, what: str) -> None:
        pad = self._pad(number)
        if what == "mute":
            self.pad_mute(pad.number, not pad.mute)
        else:
            self.pad_solo(pad.number, not pad.solo)

    def pad_play(self, number: object) -> None:
        pad = self._pad(number)
        self._require_audio(pad)
        self.engine.send(cmd.Launch(pad.number - 1, self._quantum_of(pad)))

    def pad_stop(self, number: object) -> None:
        pad = self._pad(number)
        self.engine.send(cmd.Stop(pad.number - 1, self._quantum_of(pad)))

    def pads_stop(self) -> None:
        self.engine.send(cmd.StopAll(parse_quantum(self.project.quantize)))

    def pads_panic(self) -> None:
        self.engine.send(cmd.Panic())

    def _require_audio(self, pad: Pad) -> None:
        if pad.state == "error":
            raise ActionError(f"pad {pad.number} has no usable audio: {pad.error}")
        if not pad.has_audio:
            raise ActionError(f"pad {pad.number} is empty: load a loop first")

    def _undoable_pad(self, pad: Pad, field: str, old, setter: str, continuous: bool = False) -> None:
        """Record a pad setting so /undo puts ``old`` back (and /redo the new value)."""
        new = getattr(pad, field)
        if old == new:
            return
        n = pad.number
        fn = getattr(self, setter)
        args = (lambda v: (n, *v)) if isinstance(old, tuple) and field == "region" else (lambda v: (n, v))
        self.history.record(
            f"pad {n} {field}",
            lambda: fn(*args(old)),
            lambda: fn(*args(new)),
            key=f"pad{n}.{field}" if continuous else None,
        )

    def _undoable_global(self, label: str, old, new, setter, continuous: bool = False) -> None:
        if old != new:
            self.history.record(label, lambda: setter(old), lambda: setter(new), key=label if continuous else None)

    # -- pad settings ------------------------------------------------------------------------
    def _mix_setting(self, number: object, field: str, check, setter: str, continuous: bool = False) -> None:
        """Gain, pan, mute or solo: check it (after the pad), set it, make it undoable, send the gains, tell the surfaces."""
        pad = self._pad(number)
        value = check()
        old = getattr(pad, field)
        setattr(pad, field, value)
        self._undoable_pad(pad, field, old, setter, continuous)
        self._send_gains()
        self._changed(pad.number, field, value)

    def pad_gain(self, number: object, gain: object) -> None:
        self._mix_setting(number, "gain", lambda: checks.number(gain, "gain", 0.0, 2.0), "pad_gain", continuous=True)

    def pad_pan(self, number: object, pan: object) -> None:
        self._mix_setting(number, "pan", lambda: checks.number(pan, "pan", -1.0, 1.0), "pad_pan", continuous=True)

    def pad_mute(self, number: object, on: object) -> None:
        self._mix_setting(number, "mute", lambda: checks.flag(on, "mute"), "pad_mute")

    def pad_solo(self, number: object, on: object) -> None:
        self._mix_setting(number, "solo", lambda: checks.flag(on, "solo"), "pad_solo")

    def pad_mode(self, number: object, mode: object) -> None:
        pad = self._pad(number)
        value = checks.text(mode, "mode").strip().lower()
        if value not in cmd.MODES:
            raise ActionError(f"mode must be one of {', '.join(cmd.MODES)} (got {mode!r})")
        old, pad.mode = pad.mode, value
        self._undoable_pad(pad, "mode", old, "pad_mode")
        self.engine.send(cmd.SetMode(pad.number - 1, value))
        self._changed(pad.number, "mode", value)

    def pad_quantize(self, number: object, quantum: object) -> None:
        pad = self._pad(number)
        old = pad.quantum
        if isinstance(quantum, str) and quantum.strip().lower() == "global":
            pad.quantum = "global"
        else:
            try:
                pad.quantum = parse_quantum(quantum).name
            except (TypeError, ValueError) as exc:
                raise ActionError(f"{exc}, or global") from None
        self._undoable_pad(pad, "quantum", old, "pad_quantize")
        self.send_quanta()
        self._changed(pad.number, "quantize", pad.quantum)

    def pad_region(self, number: object, start: object, end: object) -> None:
        pad = self._pad(number)
        s = checks.number(start, "region start", 0.0, 1.0)
        e = checks.number(end, "region end", 0.0, 1.0)
        if e - s < 1e-4:
            raise ActionError(f"region end must be after its start (got {s:g} {e:g})")
        old, pad.region = pad.region, (s, e)
        self._undoable_pad(pad, "region", old, "pad_region", continuous=True)
        self.engine.send(cmd.SetRegion(pad.number - 1, s, e))
        self._changed(pad.number, "region", pad.region)

    def pad_choke(self, number: object, group: object) -> None:
        pad = self._pad(number)
        old = pad.choke
        pad.choke = checks.whole(group, "choke group", 0, 16)
        self._undoable_pad(pad, "choke", old, "pad_choke")
        self.engine.send(cmd.SetChoke(pad.number - 1, pad.choke))
        self._changed(pad.number, "choke", pad.choke)

    def pad_name(self, number: object, name: object) -> None:
        pad = self._pad(number)
        old = pad.name
        pad.name = checks.text(name, "name", 64).strip()
        self._undoable_pad(pad, "name", old, "pad_name")
        self._changed(pad.number, "name", pad.name)

    # -- audio on pads ---------------------------------------------------------------------
    def _allowed_path(self, source: object) -> str:
        where = checks.text(source, "file", 4096).strip()
        if not where:
            raise ActionError("a file path is needed")
        try:
            return confine(where, self.allowed)  # before anything looks at what is there
        except ValueError as exc:
            raise ActionError(str(exc)) from None

    async def import_many(self, source: object) -> list[tuple[Loop, bool]]:
        """Import a file, or every audio file in a folder, from an allowed folder."""
        from padserver.library.store import audio_files

        path = self._allowed_path(source)
        if not os.path.exists(path):
            raise ActionError(f"no such file or folder: {source}")
        files = await asyncio.to_thread(audio_files, [path])
        if not files:
            raise ActionError(f"no audio files (WAV, FLAC, AIFF, OGG, MP3) in {source}")
        return [await self.import_path(f) for f in files]

    async def import_path(self, source: object) -> tuple[Loop, bool]:
        """Import a file from an allowed folder into the library."""
        path = self._allowed_path(source)
        if not os.path.isfile(path):
            raise ActionError(f"no such file: {source}")
        try:
            return await self.library.import_file(path)
        except LibraryError as exc:
            raise ActionError(str(exc)) from None

    async def pad_load(
        self, number: object, source: object, quantum: Quantum | None = None, at_wrap: bool = False
    ) -> Pad:
        """Load a library loop (by id) or a file (imported first) onto a pad; a failure leaves the pad as it was."""
        pad = self._pad(number)
        try:
            if isinstance(source, int) or (isinstance(source, str) and source.strip().isdigit()):
                loop = self.library.get(int(source))
            elif isinstance(source, float) and source == int(source):
                loop = self.library.get(int(source))
            else:
                loop, _ = await self.import_path(source)
            audio, info = await self.library.prepared(loop, self.recipe(loop))
        except LibraryError as exc:
            raise ActionError(str(exc)) from None
        self.give_prepared(pad, audio, info, self._quantum_of(pad) if quantum is None else quantum, at_wrap)
        self._undoable_loop(pad, pad.loop_id, loop.id)
        pad.loop_id = loop.id
        pad.source = loop.name
        pad.bars = info["bars"]
        pad.error = ""
        if not pad.name:
            pad.name = loop.name
            self._changed(pad.number, "name", pad.name)
        if not pad.sounding:
            self._set_state(pad, "loaded")
        self._changed(pad.number, "loop", loop.id)
        log.info(
            "pad %d: loop %d %s (%d bar%s)",
            pad.number,
            loop.id,
            loop.name,
            info["bars"],
            "" if info["bars"] == 1 else "s",
        )
        return pad

    def recipe(self, loop: Loop, bpm: float | None = None) -> dict:
        """How ``loop`` is prepared for the pads now: from its tempo to ``bpm`` (the project's), whole bars."""
        bpm = float(bpm or self.project.tempo)
        known = loop.bpm is not None
        return {
            "source_bpm": float(loop.bpm) if loop.bpm is not None else bpm,
            "bpm": bpm,
            "bars": loop.bars,  # None: the whole bars the audio holds from its downbeat
            "beats_per_bar": self.project.beats_per_bar,
            # loops padserver made start on their downbeat; one without a tempo is taken as it is
            "downbeat_s": 0.0 if loop.source in ("generated", "recorded") or not known else None,
            "settings": dict(self.loop_settings),
        }

    def take_recipe(self, bpm: float, bars: int, downbeat_s: float | None) -> dict:
        """How a new take (generated, recorded) is prepared before it is kept: at its own tempo, N bars."""
        return {
            "source_bpm": float(bpm),
            "bpm": float(bpm),
            "bars": bars,
            "beats_per_bar": self.project.beats_per_bar,
            "downbeat_s": downbeat_s,
            "settings": dict(self.loop_settings),
        }

    def give_prepared(self, pad: Pad, audio, info: dict, quantum: Quantum, at_wrap: bool) -> None:
        """Hand the engine a prepared loop for ``pad``, with its frames per beat (at other tempi it plays resampled)."""
        beat_frames = info["period"] / (info["bars"] * self.project.beats_per_bar)
        self.engine.send(
            cmd.SetBuffer(pad.number - 1, audio, info["period"], quantum, at_wrap=at_wrap, beat_frames=beat_frames)
        )
        pad.prepared_bpm = info["bpm"]

    def pad_clear(self, number: object) -> None:
        pad = self._pad(number)
        self._undoable_loop(pad, pad.loop_id, None)
        self.engine.send(cmd.SetBuffer(pad.number - 1, None, 0.0, parse_quantum("off")))
        pad.loop_id = None
        pad.source = ""
        pad.bars = 0
        pad.error = ""
        pad.sounding = False
        self._set_state(pad, "empty")

    def _undoable_loop(self, pad: Pad, old: int | None, new: int | None) -> None:
        if old == new:
            return
        n = pad.number

        def put(loop_id):
            return self.pad_load(n, loop_id) if loop_id is not None else self.pad_clear(n)

        self.history.record(f"pad {n} loop", lambda: put(old), lambda: put(new))

    async def preview(self, source: object) -> str:
        """Play a library loop on the cue output (``stop`` ends it); the pads are not touched."""
        if isinstance(source, str) and source.strip().lower() == "stop":
            self.engine.send(cmd.Preview(None, 0.0))
            return "stop"
        try:
            loop = self.library.get(checks.whole(source, "loop id", 1, 2**62))
            audio = await self.library.rendition(loop)
        except LibraryError as exc:
            raise ActionError(str(exc)) from None
        self.engine.send(cmd.Preview(audio, float(audio.shape[1])))
        return loop.name

    async def undo(self) -> str:
        label = await self.history.undo()
        if label is None:
            raise ActionError("nothing to undo")
        return label

    async def redo(self) -> str:
        label = await self.history.redo()
        if label is None:
            raise ActionError("nothing to redo")
        return label

    # -- clock -----------------------------------------------------------------------------
    def set_tempo(self, bpm: object) -> float:
        tempo = checks.number(bpm, "tempo", MIN_TEMPO, MAX_TEMPO)
        if self.sync_source == "midi":
            raise ActionError("the tempo follows the midi clock (sync.source); change it there")
        self._undoable_global("tempo", self.project.tempo, tempo, self.set_tempo, continuous=True)
        self.project.tempo = tempo
        self.engine.send(cmd.SetTempo(tempo))
        if self.refitter is not None:
            self.refitter.tempo_changed()
        self._changed(0, "tempo", tempo)
        return tempo

    def set_sync_source(self, name: object) -> str:
        """Where the tempo and the bar grid come from: internal, link (Ableton Link) or midi (an external clock)."""
        source = str(name)
        if source not in ("internal", "midi", "link"):
            raise ActionError(f"the sync source is internal, link or midi (got {source!r})")
        if source == "midi" and self.clock_in is None:
            raise ActionError(
                "following MIDI clock needs padserver:clock_in (JACK audio), or sync.clock_in naming an input "
                "rtmidi can open (MIDI on)"
            )
        if source == "link" and self.link is None:
            if self.make_link is None:
                raise ActionError("Ableton Link is not available here")
            try:
                self.link = self.make_link()
            except ImportError:
                raise ActionError("Ableton Link is not installed (pip install LinkPython-extern)") from None
        self.sync_source = source
        self.engine.send(cmd.SetFreeGrid(source == "internal"))  # another clock's bars are not ours to move
        if self.clock_in is not None:
            self.clock_in.follow = source == "midi"
        if self.link is not None:
            self.link.enable(source == "link")
        self._changed(0, "sync_source", source)
        return source

    def follow_tempo(self, tempo: float, frame: float, beat: float) -> None:
        """An external clock's tempo, and where its beat ``beat`` lies (``frame``); loops follow as for /tempo."""
        changed = abs(tempo - self.project.tempo) >= 0.005
        self.project.tempo = tempo
        self.engine.send(cmd.FollowClock(frame, beat, tempo))
        if changed:
            if self.refitter is not None:
                self.refitter.tempo_changed()
            self._changed(0, "tempo", round(tempo, 2))

    def set_prompt(self, words: object) -> str:
        text = checks.text(words, "prompt", 2000).strip()
        self.project.prompt = text
        self._changed(0, "prompt", text)
        return text

    def tap_tempo(self, now: float | None = None) -> float | None:
        """A tap: the tempo becomes the average of the recent taps (reset after a 2 s pause)."""
        now = self.now() if now is None else now
        if self._taps and now - self._taps[-1] > TAP_RESET_S:
            self._taps.clear()
        self._taps.append(now)
        del self._taps[:-TAP_KEEP]
        if len(self._taps) < 2:
            return None
        interval = (self._taps[-1] - self._taps[0]) / (len(self._taps) - 1)
        return self.set_tempo(min(MAX_TEMPO, max(MIN_TEMPO, 60.0 / interval)))

    def set_timesig(self, beats: object) -> int:
        value = checks.whole(beats, "beats per bar", 1, 32)
        self._undoable_global("time signature", self.project.beats_per_bar, value, self.set_timesig)
        self.project.beats_per_bar = value
        self.engine.send(cmd.SetBeatsPerBar(value))
        self._changed(0, "timesig", value)
        return value

    def set_quantize(self, quantum: object) -> str:
        try:
            name = parse_quantum(quantum).name
        except (TypeError, ValueError) as exc:
            raise ActionError(str(exc)) from None
        self._undoable_global("quantize", self.project.quantize, name, self.set_quantize)
        self.project.quantize = name
        self.send_quanta()
        self._changed(0, "quantize", name)
        return name

    def master_gain(self, gain: object) -> float:
        value = checks.number(gain, "master gain", 0.0, 2.0)
        self._undoable_global("master gain", self.project.master_gain, value, self.master_gain, continuous=True)
        self.project.master_gain = value
        self.engine.send(cmd.SetMasterGain(value))
        self._changed(0, "master_gain", value)
        return value

    # -- engine reports ----------------------------------------------------------------------
    def on_engine_event(self, event: ev.Event) -> None:
        if not 0 <= event.pad < len(self.project.pads):  # the grid, or the cue voice
            return
        pad = self.project.pads[event.pad]
        kind = event.kind
        if kind == ev.RECORDED and self.recording is not None:
            spawn(self.recording.recorded(event.pad), f"pad {event.pad + 1}: keeping the take")
            return
        if self.performance is not None:
            self.performance.on_event(event)
        if kind in (ev.STARTED, ev.SWAPPED):
            pad.sounding = True
            self._set_state(pad, "playing")
        elif kind == ev.STOPPED:
            pad.sounding = False
            self._set_state(
                pad, "loaded" if pad.has_audio or pad.state in ("queued", "stopping", "playing") else pad.state
            )
        elif kind == ev.QUEUED:
            self._set_state(pad, "queued")
        elif kind == ev.STOPPING:
            self._set_state(pad, "stopping")
        elif kind == ev.UNQUEUED:
            self._set_state(pad, "playing" if pad.sounding else ("loaded" if pad.source else "empty"))
