"""Effects a musician plays: per pad and on the master, the DJ filter, the isolator EQ, the tempo delay and the
reverb send (the master's: the reverb's return). Values are kept as a musician gives them (the filter -1..1,
EQ in dB, the delay time as a note value such as 1/8, 1/8. or 1/8t), saved with the project, undoable (a
sweep is one step), fed back on the address they came in on; the engine gets them in its own terms
(`engine.effects`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from padserver.actions import checks
from padserver.actions.checks import ActionError
from padserver.engine import commands as cmd
from padserver.engine import effects as fx
from padserver.state.effects import DEFAULTS, MASTER_DEFAULTS, checked, note_beats
from padserver.state.effects import engine_value as settings_value

if TYPE_CHECKING:
    from padserver.actions.core import Actions

INDEX = {"filter": fx.FILTER, "resonance": fx.RESONANCE, "eq/low": fx.LOW, "eq/mid": fx.MID, "eq/high": fx.HIGH,
         "delay/time": fx.BEATS, "delay/feedback": fx.FEEDBACK, "delay/mix": fx.ECHO, "reverb": fx.SEND}  # fmt: skip


def engine_value(name: str, value: object, beats_per_bar: int) -> float:
    """What the engine is given for a setting's value (gains linear, the time in beats)."""
    try:
        return settings_value(name, value, beats_per_bar)
    except ValueError as exc:
        raise ActionError(str(exc)) from None


@dataclass(frozen=True)
class Target:
    """Whose effects: a pad's (``index`` its engine row), a song track's (its row), or the master's (-1)."""

    kind: str  # pad, track, master
    index: int
    state: dict

    @property
    def defaults(self) -> dict:
        return MASTER_DEFAULTS if self.kind == "master" else DEFAULTS

    @property
    def label(self) -> str:
        return "master" if self.kind == "master" else f"{self.kind} {self.index + 1}"

    def address(self, name: str) -> tuple[int, str]:
        """(pad for `changed`, key): pad 0's keys are the master's and the tracks'."""
        if self.kind == "pad":
            return self.index + 1, f"fx/{name}"
        return 0, (f"master_fx/{name}" if self.kind == "master" else f"track_fx/{self.index + 1}/{name}")

    def send(self, a: Actions, name: str, engine: float) -> None:
        line_key = (self.kind, self.index)
        if name == "delay/mix" and engine > 0.0 and line_key not in a.delay_lines:  # a line, when it first echoes
            line = np.zeros((2, int(fx.MAX_DELAY_S * a.engine.sample_rate) + 4), dtype=np.float32)
            a.engine.send(
                cmd.SetTrackFxLine(self.index, line) if self.kind == "track" else cmd.SetFxLine(self.index, line)
            )
            a.delay_lines.add(line_key)
        what = INDEX[name]
        a.engine.send(
            cmd.SetTrackFx(self.index, what, engine) if self.kind == "track" else cmd.SetFx(self.index, what, engine)
        )


def _target(a: Actions, where: object) -> Target:
    """``where``: a pad number, "master", or ("track", its number)."""
    if where == "master":
        return Target("master", -1, a.project.master_fx)
    if isinstance(where, tuple):
        from padserver.state.song import SongError

        try:
            number = checks.whole(where[1], "track", 1, 1000)
            return Target("track", number - 1, a.project.song.track(number).fx)
        except SongError as exc:
            raise ActionError(str(exc)) from None
    pad = a.pad_of(where)
    return Target("pad", pad.number - 1, pad.fx)


def set_fx(a: Actions, where: object, name: str, raw: object, record: bool = True) -> object:
    """Set one effect setting of a pad, a song track or the master; the value as kept (and fed back)."""
    if not fx.AVAILABLE:
        raise ActionError("the effects are not built here: reinstall padserver with a C compiler (pip install -e .)")
    target = _target(a, where)
    try:
        value = checked(name, checks.text(raw, "delay time", 12) if name == "delay/time" else raw)
    except ValueError as exc:
        raise ActionError(str(exc)) from None
    engine = engine_value(name, value, a.project.beats_per_bar)  # (checked before anything changes)
    old = target.state.get(name, target.defaults[name])
    target.state[name] = value
    target.send(a, name, float(engine))
    if record and old != value:
        a.history.record(
            f"{target.label} {name.replace('/', ' ')}",
            lambda: set_fx(a, where, name, old, record=False),
            lambda: set_fx(a, where, name, value, record=False),
            key=f"fx{target.kind}{target.index}.{name}",  # (a sweep is one step)
        )
    a.changed(*target.address(name), value)
    return value


NEUTRAL = fx.NEUTRAL  # (a chain all off, as the engine takes it)
NOTES = ("1/16", "1/8t", "1/8", "1/8.", "1/4t", "1/4", "1/4.", "1/2", "1")  # the tablets' delay times, by number


def select(a: Actions, number: object) -> int:
    """The pad the effects controls play (the tablets' `/fx/…`, a controller's effects layer)."""
    pad = a.pad_of(number)
    a.project.fx_pad = pad.number
    a.changed(0, "fx_pad", pad.number)
    return pad.number


def value_of(a: Actions, where: object, name: str) -> object:
    """A pad's (or a track's, the master's) setting as it is now (its default when it was never set)."""
    target = _target(a, where)
    return target.state.get(name, target.defaults[name])


def reset(a: Actions, where: object) -> None:
    """Every effect of a pad (or a track, the master) back to off: one undo step."""
    target = _target(a, where)
    state = target.state
    before = dict(state)
    with a.history.paused():
        for name in DEFAULTS:
            set_fx(a, where, name, target.defaults[name], record=False)
    state.clear()

    def back() -> None:
        for name, value in before.items():
            set_fx(a, where, name, value, record=False)

    a.history.record(f"{target.label} effects reset", back, lambda: reset(a, where))


def apply(a: Actions, where: object) -> None:
    """Send a pad's (or a track's, the master's) kept settings to the engine (a project opened, a new one)."""
    target = _target(a, where)
    if not fx.AVAILABLE:
        return
    for name in DEFAULTS:
        value = target.state.get(name, target.defaults[name])
        target.send(a, name, engine_value(name, value, a.project.beats_per_bar))
        a.changed(*target.address(name), value)


def retime(a: Actions) -> None:
    """The delays' times again after the time signature changed (a bar's beats)."""
    tracks = [("track", n) for n in range(1, len(a.project.song.tracks) + 1)]
    for where in ["master", *range(1, len(a.project.pads) + 1), *tracks]:
        target = _target(a, where)
        if "delay/time" in target.state:
            target.send(a, "delay/time", note_beats(target.state["delay/time"], a.project.beats_per_bar))
