"""OSC routes for effects: each pad's and the master's filter, EQ, delay and reverb (`actions.effects`)."""

from __future__ import annotations

from padserver.control.route import RouteGroup

group = RouteGroup()
route = group.route

SETTINGS = (
    ("filter", "f:position", "The DJ filter: -1..1, 0 off (passes the sound untouched), left a low-pass closing "
     "from 20 kHz to 40 Hz, right a high-pass opening from 20 Hz to 10 kHz."),
    ("resonance", "f:amount", "The filter's resonance, 0..1 (0.3)."),
    ("eq/low", "f:dB", "The isolator EQ's low band (below 250 Hz) in dB, up to +6; -24 or lower kills it."),
    ("eq/mid", "f:dB", "The EQ's mid band (250 Hz..2.5 kHz) in dB; -24 or lower kills it."),
    ("eq/high", "f:dB", "The EQ's high band (above 2.5 kHz) in dB; -24 or lower kills it."),
    ("delay/time", "s:note", "The delay's time as a note value: 1/16, 1/8, 1/4, 1/2, 1 (a bar), dotted (1/8.) or "
     "triplet (1/8t); it follows the tempo, gliding to a new one."),
    ("delay/feedback", "f:amount", "How much of each echo comes back, 0..1 (0.35)."),
    ("delay/mix", "f:level", "The echoes' level over the dry sound, 0..1 (0: the delay is off; its echoes ring out)."),
    ("reverb", "f:send", "The send to the shared reverb, 0..1, after the pad's fader (the master's: the reverb's "
     "return level, 1 at first)."),
)  # fmt: skip


def _routes(name: str, args: str, doc: str) -> None:
    from padserver.actions.effects import set_fx

    @route(f"/pad/{{n}}/fx/{name}", args, doc + " Fed back on the same address; undoable (a sweep is one step).")
    def _pad(ctx, n, value):
        set_fx(ctx.actions, n, name, value)

    @route(f"/master/fx/{name}", args, "The master's: " + doc[0].lower() + doc[1:])
    def _master(ctx, value):
        set_fx(ctx.actions, "master", name, value)

    @route(f"/song/track/{{n}}/fx/{name}", args, "A song track's (after its fader): " + doc[0].lower() + doc[1:])
    def _track(ctx, n, value):
        set_fx(ctx.actions, ("track", n), name, value)

    @route(f"/fx/{name}", args, "The selected pad's (`/fx/pad`): " + doc[0].lower() + doc[1:])
    def _selected(ctx, value):
        set_fx(ctx.actions, ctx.actions.project.fx_pad, name, value)


for _name, _args, _doc in SETTINGS:
    _routes(_name, _args, _doc)


@route("/pad/{n}/fx/reset", "", "Every effect of the pad off (one undo step).")
def _reset(ctx, n):
    from padserver.actions.effects import reset

    reset(ctx.actions, n)


@route("/master/fx/reset", "", "Every effect of the master off (one undo step).")
def _master_reset(ctx):
    from padserver.actions.effects import reset

    reset(ctx.actions, "master")


@route(
    "/fx/pad", "i:pad", "Select the pad the `/fx/…` controls play; feeds back `/fx/pad i` and its settings on `/fx/…`."
)
def _select(ctx, pad):
    ctx.actions.select_fx_pad(pad)


@route("/pad/{n}/fx/select", "[f:press]", "Select this pad for the `/fx/…` controls (a tablet's button).")
def _select_button(ctx, n, press=1.0):
    if press >= 0.5:
        ctx.actions.select_fx_pad(n)


@route("/fx/delay/time/{n}", "[f:press]", "The selected pad's delay time by number (a tablet's button): 1 1/16, "
       "2 1/8t, 3 1/8, 4 1/8., 5 1/4t, 6 1/4, 7 1/4., 8 1/2, 9 a bar.")  # fmt: skip
def _time_button(ctx, n, press=1.0):
    from padserver.actions.effects import NOTES, set_fx

    if press < 0.5:
        return
    i = int(n) if str(n).isdigit() else 0
    if not 1 <= i <= len(NOTES):
        raise ValueError(f"delay time buttons are numbered 1..{len(NOTES)} (got {n})")
    set_fx(ctx.actions, ctx.actions.project.fx_pad, "delay/time", NOTES[i - 1])


@route("/fx/reset", "[f:press]", "Every effect of the selected pad off (one undo step).")
def _selected_reset(ctx, press=1.0):
    from padserver.actions.effects import reset

    if press >= 0.5:
        reset(ctx.actions, ctx.actions.project.fx_pad)


@route("/song/track/{n}/fx/reset", "", "Every effect of a song track off (one undo step).")
def _track_reset(ctx, n):
    from padserver.actions.effects import reset

    reset(ctx.actions, ("track", n))
