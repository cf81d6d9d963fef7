"""OSC routes for live pads: the stream's state, and steering it with weighted prompts and settings."""

from __future__ import annotations

from padserver.control.route import RouteGroup

group = RouteGroup()
route = group.route

# the model's settings a tablet has a fader for (the switches and top_k are set with /pad/n/live/set)
STEERED_SETTINGS = {"density": "0..1", "brightness": "0..1", "guidance": "0..6", "temperature": "0..3"}


def _live(ctx):
    return ctx.actions.needed("live", "live pads are")


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


# -- the live pad knobs and tablets steer (the one last started, else the first): one address per control ------
@route(
    "/live/pad",
    "[i:pad]",
    "The live pad the `/live/…` faders and knobs without a pad of their own steer (the one last started, else "
    "the first live pad); with no argument replies `/live/pad i` (0: none).",
)
def _steered(ctx, pad=None):
    live = _live(ctx)
    if pad is not None:
        live.reselect(live.steered_pad(ctx.actions.pad_of(pad).number))
    return None if pad is not None else [("/live/pad", [ctx.actions.project.live_pad])]


@route("/live/weight/{n}", "f:weight", "The steered live pad's prompt weight in slot n (1..8), 0..2: a fader each.")
def _steered_weight(ctx, slot, weight):
    live = _live(ctx)
    live.set_weight(live.steered_pad(), slot, weight)


def _setting_route(name: str, span: str) -> None:
    @route(f"/live/{name}", "f:value", f"The steered live pad's {name} ({span}).")
    def _handler(ctx, value):
        live = _live(ctx)
        live.set_setting(live.steered_pad(), name, value)


for _name, _span in STEERED_SETTINGS.items():
    _setting_route(_name, _span)


@route(
    "/live/capture",
    "[i:bars]",
    "Keep the steered live pad's last bars (4 if not given; a button's 1 is 4, its 0 nothing) on the next empty "
    "pad; replies `/pad/n/captured i:loop i:pad`.",
)
async def _steered_capture(ctx, bars=None):
    live = _live(ctx)
    number = live.steered_pad()
    return await _capture(ctx, number, bars)
