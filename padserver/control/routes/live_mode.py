"""OSC routes for live mode: a new loop every few bars on a set of pads; pads it must never retire."""

from __future__ import annotations

import json

from padserver.control.route import RouteGroup

group = RouteGroup()
route = group.route


def _mode(ctx):
    return ctx.actions.needed("live_mode", "live mode is")


@route(
    "/live/start",
    "[*:options]",
    "Live mode: while music plays, every `every=` bars (4) a new `bars=`-bar loop (4) that fits what plays (the "
    "project's key and tempo, a role not yet playing: drums, bass, chords, lead, texture; the playing loops as "
    "context) from `provider=` (the default) with `prompt=` words (the prompt field's), launched on a bar line on "
    "the next free pad of `pads=` (e.g. 5-8 or 1,2,3; all if not given), retiring the pad it filled "
    "longest ago when none is free; kept pads (`/pad/n/keep`) never. With `voice=` (a voice's id or name, or 1 "
    'for the speech engine\'s own) each new loop is announced (its role and the key: "bass, A minor") as a '
    "one-shot on `voice_pad=` (the last pad of the set, then kept out of it), on the loop's bar line. "
    "A button's 1 starts it as it was last "
    "started, its 0 does nothing. Replies `/live/started s:json`; `/live/next i` shows the pad the next loop goes to.",
)
def _start(ctx, *options):
    mode = _mode(ctx)
    if len(options) == 1 and isinstance(options[0], (int, float)):  # a button: as it was last started
        if not options[0]:
            return None
        options = tuple(mode.last_options)
    status = mode.start(list(options), who=ctx.sender)
    return [("/live/started", [json.dumps(status, separators=(",", ":"))])]


@route("/live/stop", "", "Live mode asks for no more loops (one being made is cancelled; the music plays on).")
def _stop(ctx):
    _mode(ctx).stop()


@route("/live/mode", "", "Replies `/live/mode s:json`: running or stopped, every, bars, pads, provider, next pad.")
def _status(ctx):
    return [("/live/mode", [json.dumps(_mode(ctx).status(), separators=(",", ":"))])]


@route("/pad/{n}/keep", "i:on", "Keep 0/1: live mode never retires the pad (saved with the project).")
def _keep(ctx, n, on):
    ctx.actions.pad_keep(n, on)
