"""OSC routes for MIDI: learn, connected controllers."""

from __future__ import annotations

import json

from padserver.control.route import RouteGroup

group = RouteGroup()
route = group.route


@route(
    "/midi/learn",
    "i:pad s:action",
    "MIDI learn: the next note or CC touched does `action` (pad.trigger, pad.stop, pad.gain …; a live pad's "
    "live.weight.1 … live.weight.8, live.density, live.brightness, live.guidance, live.temperature, live.mute_bass …; "
    "pad 0 for global actions, and for live ones the live pad last started); replies `/midi/learned s:mapping s:kind "
    "i:number i:channel s:action i:pad`, saved in learned.yaml.",
)
def _learn(ctx, pad, action):
    midi = ctx.midi
    if midi is None or midi.learn is None:
        raise ValueError("MIDI is off (midi.api: none, or no MIDI system found)")
    number = None if pad in (0, 0.0) else pad
    if number is not None and (
        isinstance(number, bool) or not isinstance(number, (int, float)) or number != int(number)
    ):
        raise ValueError(f"pad must be a whole number 0..16 (got {pad!r})")
    midi.learn.start(None if number is None else int(number), str(action), ctx.sender)
    return [("/midi/learn", ["waiting"])]


@route("/midi/learn/cancel", "", "Stop waiting for a control to learn.")
def _learn_cancel(ctx):
    if ctx.midi is not None and ctx.midi.learn is not None:
        ctx.midi.learn.cancel()


@route("/midi/controllers", "", "Replies `/midi/controllers s:json`: the connected controllers and their ports.")
def _controllers(ctx):
    midi = ctx.midi
    found = (
        []
        if midi is None
        else [
            {"device": c.mapping.device, "mapping": c.mapping.name, "port": port}
            for port, (c, _) in midi.controllers.items()
        ]
    )
    return [("/midi/controllers", [json.dumps(found)])]
