"""OSC routes for live pads: the stream's state, and steering it with weighted prompts and settings."""

from __future__ import annotations

from padserver.control.route import RouteGroup

group = RouteGroup()
route = group.route


def _live(ctx):
    if ctx.actions.live is None:
        raise ValueError("live pads are not available here")
    return ctx.actions.live


@route(
    "/pad/{n}/live",
    "",
    "Replies `/pad/n/live s`: the live pad's stream (closed, connecting, buffering, playing, underrun).",
)
def _state(ctx, n):
    pad = ctx.actions.pad_of(n)
    return [(f"/pad/{pad.number}/live", [pad.live])]


@route(
    "/pad/{n}/live/prompt",
    "i:slot s:text [f:weight]",
    "One of a live pad's 8 weighted prompts (empty words clear the slot; weight 0..2, as it was if not given); "
    "the model hears the latest prompts and settings at most 5 times a second, those of weight 0 left out.",
)
def _prompt(ctx, n, slot, text, weight=None):
    _live(ctx).set_prompt(n, slot, text, weight)


@route("/pad/{n}/live/weight", "i:slot f:weight", "A live prompt's weight, 0..2 (a knob or fader on it).")
def _weight(ctx, n, slot, weight):
    _live(ctx).set_weight(n, slot, weight)


@route(
    "/pad/{n}/live/set",
    "s:name f:value",
    "A live pad's model setting: density 0..1, brightness 0..1, guidance 0..6, temperature 0..3, top_k 1..1000, "
    "mute_bass, mute_drums, only_bass_and_drums (0 or 1); the whole config is sent each time.",
)
def _set(ctx, n, name, value):
    _live(ctx).set_setting(n, name, value)


@route(
    "/pad/{n}/capture",
    "[i:bars] [i:onto]",
    "Keep the last bars (4 if not given, at most 32) a live pad played, bar-exact from the grid's bar lines, as a "
    "loop in the library (its prompts, settings and model as provenance) on the pad ``onto`` or the next empty "
    "one; a button's 1 captures 4, its 0 nothing; replies `/pad/n/captured i:loop i:pad`.",
)
async def _capture(ctx, n, bars=None, onto=None):
    if isinstance(bars, float) and onto is None and bars in (0.0, 1.0):  # a button: its press, or its release
        if not bars:
            return None
        bars = None
    loop, pad = await _live(ctx).capture(n, 4 if bars is None else bars, onto)
    return [(f"/pad/{int(n)}/captured", [loop, pad])]
