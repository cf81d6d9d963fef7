"""Effects commands on the audio thread: a chain's settings and its delay line (see `engine.effects`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from padserver.engine import commands as cmd
from padserver.engine.effects import SEND

if TYPE_CHECKING:
    from padserver.engine.mixer import Engine


def on_set_fx(e: Engine, c: cmd.SetFx, f0: int) -> None:
    if c.pad < 0 and c.what == SEND:
        e.reverb.level = c.value
        return
    chain = e.master_fx if c.pad < 0 else e.fx[c.pad]
    chain.targets[c.what] = c.value
    chain.active = True
    if c.what == SEND:
        _count_sends(e)
    e.fx_on = True


def _count_sends(e: Engine) -> None:
    """How many chains send to the reverb, pads' and tracks' (a command: not every block)."""
    e.reverb.sends = sum(1 for ch in (*e.fx, *e.song.fx) if ch.targets[SEND] != 0.0)


def on_set_track_fx(e: Engine, c: cmd.SetTrackFx, f0: int) -> None:
    chain = e.song.fx[c.track]
    chain.targets[c.what] = c.value
    chain.active = True
    e.song.fx_rows |= 1 << c.track
    if c.what == SEND:
        _count_sends(e)
    e.fx_on = True


def on_set_track_fx_line(e: Engine, c: cmd.SetTrackFxLine, f0: int) -> None:
    chain = e.song.fx[c.track]
    old, chain.line = chain.line, c.line
    chain.active = True
    if old is not None:
        e.garbage.append(old)  # (looked at again at the end of the block: whether any chain or tail is left busy)


def on_set_fx_line(e: Engine, c: cmd.SetFxLine, f0: int) -> None:
    chain = e.master_fx if c.pad < 0 else e.fx[c.pad]
    old, chain.line = chain.line, c.line
    chain.active = True
    if old is not None:
        e.garbage.append(old)  # (freed by the control side, not here)


HANDLERS: dict[type, Callable[[Engine, Any, int], None]] = {
    cmd.SetFx: on_set_fx,
    cmd.SetFxLine: on_set_fx_line,
    cmd.SetTrackFx: on_set_track_fx,
    cmd.SetTrackFxLine: on_set_track_fx_line,
}
