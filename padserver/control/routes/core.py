"""OSC routes for the server itself, the pads, tempo and the master."""

from __future__ import annotations

import json

from padserver import __version__
from padserver.control.route import RouteGroup

group = RouteGroup()
route = group.route

# Handlers take (ctx, *address parts, *args) and return replies [(address, [args])] or None.


@route("/ping", "", "Replies `/pong s:version`.")
def _ping(ctx):
    return [("/pong", [__version__])]


@route(
    "/register",
    "[s:host] [i:port]",
    "Feedback and replies to this client (default: the sender), starting with the whole state, each time (a "
    "layout opened again shows the truth at once); `/unregister` stops it.",
)
def _register(ctx, host=None, port=None):
    if (host is None) != (port is None):
        raise ValueError("register takes no arguments, or a host and a port")
    if port is not None:
        if isinstance(port, bool) or not isinstance(port, (int, float)) or not 1 <= port <= 65535 or port != int(port):
            raise ValueError(f"port must be a whole number in range 1..65535 (got {port!r})")
        if not isinstance(host, str) or not host:
            raise ValueError("host must be text such as 192.168.1.20")
    target = ctx.server.register(ctx.sender, host, port)
    return [("/registered", [target[0], target[1]])]


@route(
    "/clients",
    "",
    "Replies `/clients s:json`: the OSC clients waiting to be paired (host, port, first heard, messages) and "
    "those paired (`osc.pairing`).",
)
def _clients(ctx):
    pairing = ctx.server.pairing
    listing = pairing.listing() if pairing is not None else {"waiting": [], "paired": [], "pairing": "off"}
    return [("/clients", [json.dumps(listing, separators=(",", ":"))])]


@route(
    "/clients/allow",
    "[s:host]",
    "Pair a waiting client (default: the one that asked last); only from padserver's own machine. "
    "Replies `/clients/allowed s:host`.",
)
def _clients_allow(ctx, host=None):
    pairing = ctx.server.pairing
    if pairing is None:
        raise ValueError("pairing is off (osc.pairing): every client in osc.allow may play")
    if not pairing.this_machine(ctx.sender[0]):
        raise ValueError("clients are paired from padserver's own machine (padserver clients allow HOST)")
    if host is not None and not isinstance(host, str):
        raise ValueError("host must be text such as 192.168.1.20")
    return [("/clients/allowed", [pairing.allow(host)])]


@route("/unregister", "", "Stop feedback to this client.")
def _unregister(ctx):
    ctx.server.unregister(ctx.sender)


@route(
    "/status",
    "",
    "Replies `/status s:json`: tempo, time signature, sync, transport, every pad, meters, xruns, latency, "
    "the audio callback's load (`audio_callback`), OSC packets' handling time (`osc_handled_us`) and the event "
    "loop's longest stall (`event_loop_longest_stall_s`).",
)
def _status(ctx):
    return [("/status", [json.dumps(ctx.status(), separators=(",", ":"))])]


@route(
    "/pad/{n}/trigger",
    "[f:press]",
    "Press: launch if stopped, stop if playing (per mode); 0.0 is the release (gate pads stop).",
)
def _trigger(ctx, n, press=1.0):
    ctx.actions.pad_trigger(n, press)


@route("/pad/{n}/play", "", "Launch (or relaunch from the region start) on the pad's quantum.")
def _play(ctx, n):
    ctx.actions.pad_play(n)


@route("/pad/{n}/stop", "", "Stop on the pad's quantum.")
def _stop(ctx, n):
    ctx.actions.pad_stop(n)


@route("/pad/{n}/gain", "f:gain", "Pad gain, linear 0..2 (1 = unity).")
def _gain(ctx, n, gain):
    ctx.actions.pad_gain(n, gain)


@route("/pad/{n}/pan", "f:pan", "Pan −1..1, constant power (centre −3 dB each side).")
def _pan(ctx, n, pan):
    ctx.actions.pad_pan(n, pan)


@route("/pad/{n}/mute", "i:on", "Mute 0/1.")
def _mute(ctx, n, on):
    ctx.actions.pad_mute(n, on)


@route("/pad/{n}/solo", "i:on", "Solo 0/1 (solo in place across pads).")
def _solo(ctx, n, on):
    ctx.actions.pad_solo(n, on)


@route(
    "/pad/{n}/mode",
    "s:mode",
    "loop, oneshot, gate or live (a press opens a Lyria RealTime session and plays its stream on the pad, "
    "from the next quantum; the next press fades it out).",
)
def _mode(ctx, n, mode):
    ctx.actions.pad_mode(n, mode)


@route("/pad/{n}/quantize", "s:quantum", "Per-pad launch quantum: off, 1/16, 1/8, 1/4, 1/2, 1, 2, 4, 8, or global.")
def _pad_quantize(ctx, n, quantum):
    ctx.actions.pad_quantize(n, quantum)


@route(
    "/pad/{n}/region", "f:start f:end", "Loop region as fractions 0..1 of the loop (from the next cycle while playing)."
)
def _region(ctx, n, start, end):
    ctx.actions.pad_region(n, start, end)


@route(
    "/pad/{n}/group",
    "i:group",
    "Group 1..16 (0 = none): a scene launch takes a pad's whole group with it, and `/group/n/play|stop` move "
    "them together (a split puts its stems in a group of their own).",
)
def _group(ctx, n, group):
    ctx.actions.pad_group(n, group)


@route("/group/{n}/play", "", "Launch a group's pads together on the global quantum; replies `/group/n/pads i …`.")
def _group_play(ctx, n):
    return [(f"/group/{int(n)}/pads", ctx.actions.group_launch(n))]


@route("/group/{n}/stop", "", "Stop a group's pads together on the global quantum; replies `/group/n/pads i …`.")
def _group_stop(ctx, n):
    return [(f"/group/{int(n)}/pads", ctx.actions.group_stop(n))]


@route("/pad/{n}/choke", "i:group", "Choke group 1..16 (0 = none): pads in one group stop each other on launch.")
def _choke(ctx, n, group):
    ctx.actions.pad_choke(n, group)


@route("/pad/{n}/name", "s:name", "Pad name.")
def _name(ctx, n, name):
    ctx.actions.pad_name(n, name)


@route(
    "/pad/{n}/load",
    "s:source",
    "Load a library loop (its id) or an audio file (WAV, FLAC, AIFF, OGG, MP3) from an allowed folder, "
    "imported into the library first; replies `/pad/{n}/loaded i:bars i:loop`.",
)
async def _load(ctx, n, source):
    pad = await ctx.actions.pad_load(n, source)
    return [(f"/pad/{pad.number}/loaded", [pad.bars, pad.loop_id])]


@route("/pad/{n}/clear", "", "Remove the pad's audio.")
def _clear(ctx, n):
    ctx.actions.pad_clear(n)


@route("/pads/stop", "", "Stop every pad on the global quantum.")
def _pads_stop(ctx):
    ctx.actions.pads_stop()


@route("/pads/panic", "", "Stop everything now (with a few-ms fade).")
def _pads_panic(ctx):
    ctx.actions.pads_panic()


@route("/tempo", "[f:bpm]", "Set the tempo, 20..300 BPM; with no argument replies `/tempo f`.")
def _tempo(ctx, bpm=None):
    value = ctx.actions.project.tempo if bpm is None else ctx.actions.set_tempo(bpm)
    return [("/tempo", [float(value)])] if bpm is None else None


@route(
    "/tempo/tap",
    "",
    "Tap tempo: the average of recent taps (reset after a 2 s pause); replies `/tempo f` once it has two taps.",
)
def _tap(ctx):
    tempo = ctx.actions.tap_tempo()
    return None if tempo is None else [("/tempo", [float(tempo)])]


@route("/timesig", "[i:beats]", "Beats per bar (x/4), from the next bar line; with no argument replies `/timesig i`.")
def _timesig(ctx, beats=None):
    if beats is None:
        return [("/timesig", [ctx.actions.project.beats_per_bar])]
    ctx.actions.set_timesig(beats)


@route("/quantize", "[s:quantum]", "Global launch quantum; with no argument replies `/quantize s`.")
def _quantize(ctx, quantum=None):
    if quantum is None:
        return [("/quantize", [ctx.actions.project.quantize])]
    ctx.actions.set_quantize(quantum)


@route(
    "/key",
    "[s:key]",
    "The project's key (`Am`, `F#`, `Eb minor`, `none`), for live pads and generation without one of their "
    "own; with no argument replies `/key s`.",
)
def _key(ctx, key=None):
    if key is None:
        return [("/key", [ctx.actions.project.key or "none"])]
    ctx.actions.set_key(key)


@route("/master/gain", "[f:gain]", "Master gain, linear 0..2; with no argument replies `/master/gain f`.")
def _master_gain(ctx, gain=None):
    if gain is None:
        return [("/master/gain", [float(ctx.actions.project.master_gain)])]
    ctx.actions.master_gain(gain)
