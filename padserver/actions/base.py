"""The actions' base: their services, plumbing, playing pads, pad settings and the engine's reports."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from padserver.actions import checks
from padserver.actions.checks import ActionError
from padserver.engine import commands as cmd
from padserver.engine import events as ev
from padserver.engine.mixer import Engine
from padserver.engine.quantum import Quantum, parse_quantum
from padserver.state import fields
from padserver.state.history import History
from padserver.state.project import Pad, Project
from padserver.tasks import spawn

if TYPE_CHECKING:  # (the services are built around the actions: their types only)
    from padserver.actions.generate import Generation
    from padserver.actions.live import LivePads
    from padserver.actions.live_mode import LiveMode
    from padserver.actions.performance import PerformanceRecorder
    from padserver.actions.projects import Projects
    from padserver.actions.record import Recording
    from padserver.actions.refit import Refitter
    from padserver.actions.song import SongActions
    from padserver.sync.jack_clock import ClockIn
    from padserver.sync.link import LinkFollower
    from padserver.sync.midi_clock_in import RtClockIn

log = logging.getLogger("padserver.actions")


class ActionsBase:
    """The actions' state and plumbing, playing pads, their settings and the engine's reports."""

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
        self.listener_failures = 0
        self.history = History(now=now)
        self.delay_lines: set[tuple[str, int]] = set()  # the effects chains (kind, row) the engine has a line for
        # The services the daemon builds around the actions (each needs the actions, so they are set after):
        self.projects: Projects | None = None  # saving, opening and undoing projects
        self.generation: Generation | None = None  # generating loops
        self.live: LivePads | None = None  # live pads' sessions
        self.live_mode: LiveMode | None = None  # new loops every few bars
        self.loop_settings: dict = {}  # how loops are prepared (padserver.loops.prepare.Settings fields)
        self.levels: dict[str, float] = {}  # dB against the loudness reference, per loop category
        self.refitter: Refitter | None = None  # re-stretches loops after tempo changes
        self.sync_source = "internal"  # where the tempo comes from: internal, or midi (an external clock)
        self.clock_in: ClockIn | RtClockIn | None = None  # the MIDI clock input, if the audio driver has one
        self.link: LinkFollower | None = None  # the Link session, made when first chosen
        self.make_link: Callable[[], LinkFollower] | None = None  # None where the audio clock is unknown
        self.song: SongActions | None = None  # the song's tracks, clips and transport
        self.recording: Recording | None = None  # recording input into pads
        self.performance: PerformanceRecorder | None = None  # recording the pads' performance into the song
        self.export_context: tuple[str, dict] | None = None  # (exports folder, engine settings)

    # -- plumbing ----------------------------------------------------------------------------
    def changed(self, pad: int, key: str, value) -> None:
        """Tell every listener (tablets, lights, the project's saver); one that fails does not stop the others."""
        for listener in self.listeners:
            try:
                listener(pad, key, value)
            except Exception:
                self.listener_failures += 1
                n = self.listener_failures
                if n in (1, 10, 100) or n % 1000 == 0:  # (said, not flooded)
                    log.exception("telling %r of %s failed (%d so far); the others were told", listener, key, n)

    def pad_of(self, number: object) -> Pad:
        return self.project.pad(checks.pad_number(number))

    def quantum_of(self, pad: Pad) -> Quantum:
        return parse_quantum(self.project.quantize if pad.quantum == "global" else pad.quantum)

    def send_gains(self) -> None:
        self.engine.set(cmd.SetPadGains(self.project.pad_gains()))

    def set_pad_state(self, pad: Pad, state: str) -> None:
        if pad.state != state:
            pad.state = state
            self.changed(pad.number, "state", state)

    # -- playing ---------------------------------------------------------------------------
    def pad_trigger(self, number: object, press: object = 1.0, velocity: int | None = None) -> None:
        """A press (or, with press 0, a release); ``velocity`` 1..127 sets a one-shot's level."""
        pad = self.pad_of(number)
        pressed = checks.number(press, "press", 0.0, 1.0) > 0.0
        if pad.mode == cmd.LIVE:  # a press opens or ends its stream; a release does nothing
            if pressed:
                self._live().press(pad.number)
            return
        if not pressed:
            self.engine.send(cmd.Release(pad.number - 1))
            return
        self._require_audio(pad)
        gain = 1.0 if velocity is None else checks.whole(velocity, "velocity", 1, 127) / 127.0
        self.engine.send(cmd.Trigger(pad.number - 1, self.quantum_of(pad), gain))

    def send_quanta(self) -> None:
        """Hand the engine every pad's effective quantum (for presses matched on the audio thread)."""
        self.engine.send(cmd.SetPadQuanta(tuple(self.quantum_of(p) for p in self.project.pads)))

    def pad_toggle(self, number: object, what: str) -> None:
        pad = self.pad_of(number)
        if what == "mute":
            self.pad_mute(pad.number, not pad.mute)
        else:
            self.pad_solo(pad.number, not pad.solo)

    def needed(self, service: str, what: str):
        """A service the daemon builds around the actions (``live``, ``live_mode`` …), or a clear error where
        there is none (the actions alone, as some tests and tools make them)."""
        found = getattr(self, service)
        if found is None:
            raise ActionError(f"{what} not available here")
        return found

    def _live(self) -> LivePads:
        return self.needed("live", "live pads are")

    def pad_play(self, number: object) -> None:
        pad = self.pad_of(number)
        if pad.mode == cmd.LIVE:
            if not self._live().pad(pad.number).wanted:
                self._live().press(pad.number)
            return
        self._require_audio(pad)
        self.engine.send(cmd.Launch(pad.number - 1, self.quantum_of(pad)))

    def pad_stop(self, number: object) -> None:
        pad = self.pad_of(number)
        if pad.mode == cmd.LIVE and self.live is not None and self.live.pad(pad.number).wanted:
            self.live.press(pad.number)
            return
        self.engine.send(cmd.Stop(pad.number - 1, self.quantum_of(pad)))

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
        pad = self.pad_of(number)
        value = check()
        old = getattr(pad, field)
        setattr(pad, field, value)
        self._undoable_pad(pad, field, old, setter, continuous)
        self.send_gains()
        self.changed(pad.number, field, value)

    def pad_gain(self, number: object, gain: object) -> None:
        self._mix_setting(number, "gain", lambda: checks.value(fields.GAIN, gain, "gain"), "pad_gain", continuous=True)

    def pad_pan(self, number: object, pan: object) -> None:
        self._mix_setting(number, "pan", lambda: checks.value(fields.PAN, pan, "pan"), "pad_pan", continuous=True)

    def pad_mute(self, number: object, on: object) -> None:
        self._mix_setting(number, "mute", lambda: checks.value(fields.FLAG, on, "mute"), "pad_mute")

    def pad_solo(self, number: object, on: object) -> None:
        self._mix_setting(number, "solo", lambda: checks.value(fields.FLAG, on, "solo"), "pad_solo")

    def pad_mode(self, number: object, mode: object) -> None:
        pad = self.pad_of(number)
        value = checks.value(fields.MODE, mode, "mode")
        old, pad.mode = pad.mode, value
        self._undoable_pad(pad, "mode", old, "pad_mode")
        self.engine.send(cmd.SetMode(pad.number - 1, value))
        self.changed(pad.number, "mode", value)
        if self.live is not None and (old == cmd.LIVE) != (value == cmd.LIVE):
            self.live.reselect()  # (the live pad the knobs steer)
        if old == cmd.LIVE and value != cmd.LIVE:
            self._leave_live(pad)
        elif value == cmd.LIVE and old != cmd.LIVE and pad.state == "empty":
            self.set_pad_state(pad, "loaded")  # ready to play: a press opens its stream

    def _leave_live(self, pad: Pad) -> None:
        """A live pad back to a loop pad: its session closes and its loop (if it had one) comes back."""
        number = pad.number

        async def back() -> None:
            if self.live is not None:
                await self.live.close(number)
            if pad.loop_id is not None:
                await self.pad_load(number, pad.loop_id)  # type: ignore[attr-defined]  # (Loading's)
            elif pad.state == "loaded":
                self.set_pad_state(pad, "empty")

        spawn(back(), f"pad {number}: leaving live mode")

    def pad_quantize(self, number: object, quantum: object) -> None:
        pad = self.pad_of(number)
        old = pad.quantum
        pad.quantum = checks.value(fields.PAD_QUANTUM, quantum, "quantum")
        self._undoable_pad(pad, "quantum", old, "pad_quantize")
        self.send_quanta()
        self.changed(pad.number, "quantize", pad.quantum)

    def pad_region(self, number: object, start: object, end: object) -> None:
        pad = self.pad_of(number)
        s = checks.value(fields.REGION_EDGE, start, "region start")
        e = checks.value(fields.REGION_EDGE, end, "region end")
        if e - s < fields.MIN_REGION:
            raise ActionError(f"region end must be after its start (got {s:g} {e:g})")
        old, pad.region = pad.region, (s, e)
        self._undoable_pad(pad, "region", old, "pad_region", continuous=True)
        self.engine.send(cmd.SetRegion(pad.number - 1, s, e))
        self.changed(pad.number, "region", pad.region)

    def pad_group(self, number: object, group: object) -> None:
        pad = self.pad_of(number)
        old = pad.group
        pad.group = checks.value(fields.GROUP, group, "group")
        self._undoable_pad(pad, "group", old, "pad_group")
        self.changed(pad.number, "group", pad.group)

    def group_members(self, group: object) -> list[int]:
        """The pads of group ``group`` (1..16), or a clear error when it has none."""
        g = checks.value(fields.GROUP, group, "group")
        members = [p.number for p in self.project.pads if g and p.group == g]
        if not members:
            raise ActionError(f"group {g} has no pads (a split makes one; /pad/n/group puts a pad in one)")
        return members

    def group_launch(self, group: object) -> list[int]:
        """Launch a group's pads together on the global quantum (in phase, as a scene is)."""
        q = parse_quantum(self.project.quantize)
        members = [n for n in self.group_members(group) if self.project.pad(n).has_audio]
        for n in members:
            self.engine.send(cmd.Launch(n - 1, q))
        return members

    def group_stop(self, group: object) -> list[int]:
        q = parse_quantum(self.project.quantize)
        members = self.group_members(group)
        for n in members:
            self.engine.send(cmd.Stop(n - 1, q))
        return members

    def select_fx_pad(self, number: object) -> int:
        from padserver.actions.effects import select

        return select(self, number)  # type: ignore[arg-type]

    def pad_choke(self, number: object, group: object) -> None:
        pad = self.pad_of(number)
        old = pad.choke
        pad.choke = checks.value(fields.CHOKE, group, "choke group")
        self._undoable_pad(pad, "choke", old, "pad_choke")
        self.engine.send(cmd.SetChoke(pad.number - 1, pad.choke))
        self.changed(pad.number, "choke", pad.choke)

    def pad_name(self, number: object, name: object) -> None:
        pad = self.pad_of(number)
        old = pad.name
        pad.name = checks.value(fields.NAME, name, "name").strip()
        self._undoable_pad(pad, "name", old, "pad_name")
        self.changed(pad.number, "name", pad.name)

    def pad_keep(self, number: object, on: object) -> None:
        """Mark a pad that live mode must never retire."""
        pad = self.pad_of(number)
        old = pad.keep
        pad.keep = checks.flag(on, "keep")
        self._undoable_pad(pad, "keep", old, "pad_keep")
        self.changed(pad.number, "keep", pad.keep)

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
        if self.live is not None and pad.mode == cmd.LIVE:
            self.live.on_event(event)
        if kind in (ev.STARTED, ev.SWAPPED):
            pad.sounding = True
            self.set_pad_state(pad, "playing")
        elif kind == ev.STOPPED:
            pad.sounding = False
            self.set_pad_state(
                pad, "loaded" if pad.has_audio or pad.state in ("queued", "stopping", "playing") else pad.state
            )
        elif kind == ev.QUEUED:
            self.set_pad_state(pad, "queued")
        elif kind == ev.STOPPING:
            self.set_pad_state(pad, "stopping")
        elif kind == ev.UNQUEUED:
            self.set_pad_state(pad, "playing" if pad.sounding else ("loaded" if pad.source else "empty"))
        if self.live_mode is not None and self.live_mode.launching:  # (after: the next loop's role sees it playing)
            self.live_mode.on_event(event)
