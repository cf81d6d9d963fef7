"""Effects a musician plays: per pad and on the master, the DJ filter, the isolator EQ, the tempo delay and the
reverb send (the master's: the reverb's return). Values are kept as a musician gives them (the filter -1..1,
EQ in dB, the delay time as a note value such as 1/8, 1/8. or 1/8t), saved with the project, undoable (a
sweep is one step), fed back on the address they came in on; the engine gets them in its own terms
(`engine.effects`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from padserver.actions import checks
from padserver.actions.checks import ActionError
from padserver.engine import commands as cmd
from padserver.engine import effects as fx
from padserver.state.effects import DEFAULTS, KILL_DB, checked, note_beats

if TYPE_CHECKING:
    from padserver.actions.core import Actions

INDEX = {"filter": fx.FILTER, "resonance": fx.RESONANCE, "eq/low": fx.LOW, "eq/mid": fx.MID, "eq/high": fx.HIGH,
         "delay/time": fx.BEATS, "delay/feedback": fx.FEEDBACK, "delay/mix": fx.ECHO, "reverb": fx.SEND}  # fmt: skip


def engine_value(name: str, value: object, beats_per_bar: int) -> float:
    """What the engine is given for a setting's value (gains linear, the time in beats)."""
    if name == "delay/time":
        try:
            return note_beats(value, beats_per_bar)
        except ValueError as exc:
            raise ActionError(str(exc)) from None
    v = float(value)  # type: ignore[arg-type]
    if name.startswith("eq/"):
        return 0.0 if v <= KILL_DB else 10.0 ** (v / 20.0)
    return v


def _target(a: Actions, where: object):
    """(the engine's chain index: -1 the master, the pad's state dict) of ``where``: a pad number or "master"."""
    if where == "master":
        return -1, a.project.master_fx
    pad = a.pad_of(where)
    return pad.number - 1, pad.fx


def _address(index: int, name: str) -> tuple[int, str]:
    """(pad for `changed`, key): pad 0's keys are the master's."""
    return (0, f"master_fx/{name}") if index < 0 else (index + 1, f"fx/{name}")


def set_fx(a: Actions, where: object, name: str, raw: object, record: bool = True) -> object:
    """Set one effect setting of a pad (or the master); the value as kept (and fed back)."""
    if not fx.AVAILABLE:
        raise ActionError("the effects are not built here: reinstall padserver with a C compiler (pip install -e .)")
    index, state = _target(a, where)
    try:
        value = checked(name, checks.text(raw, "delay time", 12) if name == "delay/time" else raw)
    except ValueError as exc:
        raise ActionError(str(exc)) from None
    engine = engine_value(name, value, a.project.beats_per_bar)  # (checked before anything changes)
    old = state.get(name, DEFAULTS[name])
    state[name] = value
    _send(a, index, name, engine, state)
    if record and old != value:
        a.history.record(
            f"{'master' if index < 0 else f'pad {index + 1}'} {name.replace('/', ' ')}",
            lambda: set_fx(a, where, name, old, record=False),
            lambda: set_fx(a, where, name, value, record=False),
            key=f"fx{index}.{name}",  # (a sweep is one step)
        )
    a.changed(*_address(index, name), value)
    return value


def _send(a: Actions, index: int, name: str, engine: float, state: dict) -> None:
    if name == "delay/mix" and engine > 0.0 and index not in a.delay_lines:  # a line, the first time it echoes
        frames = int(fx.MAX_DELAY_S * a.engine.sample_rate) + 4
        a.engine.send(cmd.SetFxLine(index, np.zeros((2, frames), dtype=np.float32)))
        a.delay_lines.add(index)
    a.engine.send(cmd.SetFx(index, INDEX[name], float(engine)))


NOTES = ("1/16", "1/8t", "1/8", "1/8.", "1/4t", "1/4", "1/4.", "1/2", "1")  # the tablets' delay times, by number


def select(a: Actions, number: object) -> int:
    """The pad the effects controls play (the tablets' `/fx/…`, a controller's effects layer)."""
    pad = a.pad_of(number)
    a.project.fx_pad = pad.number
    a.changed(0, "fx_pad", pad.number)
    return pad.number


def value_of(a: Actions, where: object, name: str) -> object:
    """A pad's (or the master's) setting as it is now (its default when it was never set)."""
    return _target(a, where)[1].get(name, DEFAULTS[name])


def reset(a: Actions, where: object) -> None:
    """Every effect of a pad (or the master) back to off: one undo step."""
    index, state = _target(a, where)
    before = dict(state)
    with a.history.paused():
        for name in DEFAULTS:
            set_fx(a, where, name, DEFAULTS[name], record=False)
    state.clear()

    def back() -> None:
        for name, value in before.items():
            set_fx(a, where, name, value, record=False)

    a.history.record(f"{'master' if index < 0 else f'pad {index + 1}'} effects reset", back, lambda: reset(a, where))


def apply(a: Actions, where: object) -> None:
    """Send a pad's (or the master's) kept settings to the engine (a project opened, a new one)."""
    index, state = _target(a, where)
    if not fx.AVAILABLE:
        return
    for name in DEFAULTS:
        value = state.get(name, DEFAULTS[name])
        _send(a, index, name, engine_value(name, value, a.project.beats_per_bar), state)
        a.changed(*_address(index, name), value)


def retime(a: Actions) -> None:
    """The delays' times again after the time signature changed (a bar's beats)."""
    for where in ["master", *range(1, len(a.project.pads) + 1)]:
        index, state = _target(a, where)
        if "delay/time" in state:
            _send(a, index, "delay/time", note_beats(state["delay/time"], a.project.beats_per_bar), state)
