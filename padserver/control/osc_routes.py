"""The OSC address table: every request address, its arguments and what it does.

Dispatch and the documentation (`padserver osc-docs`) both read this table,
so the two cannot drift apart.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from padserver import __version__


@dataclass(frozen=True)
class Route:
    pattern: str  # e.g. /pad/{n}/gain
    args: str  # e.g. "f:gain" or "[f:press]"; "" for none
    doc: str
    handler: Any
    regex: re.Pattern

    def arg_specs(self) -> list[tuple[str, str, bool]]:
        """(type, name, optional) for each argument."""
        specs = []
        for token in self.args.split():
            optional = token.startswith("[")
            kind, _, name = token.strip("[]").partition(":")
            specs.append((kind, name, optional))
        return specs

    @property
    def variadic(self) -> bool:
        return "*:" in self.args


ROUTES: list[Route] = []


def route(pattern: str, args: str, doc: str):
    regex = re.compile("^" + re.escape(pattern).replace(r"\{n\}", r"([^/]+)") + "$")

    def deco(fn):
        ROUTES.append(Route(pattern, args, doc, fn, regex))
        return fn

    return deco


def find(address: str) -> tuple[Route, list[str]] | None:
    for r in ROUTES:
        m = r.regex.match(address)
        if m:
            return r, list(m.groups())
    return None


# Handlers take (ctx, *address parts, *args) and return replies [(address, [args])] or None.


@route("/ping", "", "Replies `/pong s:version`.")
def _ping(ctx):
    return [("/pong", [__version__])]


@route(
    "/register",
    "[s:host] [i:port]",
    "Feedback and replies to this client (default: the sender); `/unregister` stops it.",
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


@route("/unregister", "", "Stop feedback to this client.")
def _unregister(ctx):
    ctx.server.unregister(ctx.sender)


@route(
    "/status",
    "",
    "Replies `/status s:json`: tempo, time signature, sync, transport, every pad, meters, xruns, latency.",
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


@route("/pad/{n}/mode", "s:mode", "loop, oneshot or gate.")
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


@route(
    "/library/import",
    "s:path",
    "Import a file, or a folder's audio files, from an allowed folder; replies `/library/imported i:loop s:name i:new` for each.",
)
async def _library_import(ctx, path):
    imported = await ctx.actions.import_many(path)
    return [("/library/imported", [loop.id, loop.name, int(new)]) for loop, new in imported]


@route(
    "/library/preview",
    "s:loop",
    "Play a library loop (its id) on the cue output, looping; `stop` ends it. The pads are not touched.",
)
async def _library_preview(ctx, loop):
    return [("/library/preview", [await ctx.actions.preview(loop)])]


SEARCH_OPTIONS = {
    "category": str,
    "source": str,
    "bpm_min": float,
    "bpm_max": float,
    "key": str,
    "bars": int,
    "limit": int,
}


@route(
    "/library/search",
    "[s:text] [*:options]",
    "Search names, tags and prompts; options category= source= bpm_min= bpm_max= key= bars= limit=; "
    "replies `/library/result s:json` (id, name, category, bpm, key, bars, duration, source, tags, path).",
)
def _library_search(ctx, *args):
    filters: dict = {}
    words = []
    for arg in args:
        key, sep, value = str(arg).partition("=")
        if not sep:
            words.append(str(arg))
            continue
        if key not in SEARCH_OPTIONS:
            raise ValueError(f"unknown search option {key!r} (allowed: {', '.join(SEARCH_OPTIONS)})")
        try:
            filters[key] = SEARCH_OPTIONS[key](value)
        except ValueError:
            raise ValueError(f"{key} must be a {SEARCH_OPTIONS[key].__name__} (got {value!r})") from None
    filters["limit"] = max(1, min(filters.get("limit", 50), 500))
    loops = ctx.actions.library.search(text=" ".join(words), **filters)
    data = ctx.actions.library.data_dir
    return [("/library/result", [json.dumps([loop.summary(data) for loop in loops], separators=(",", ":"))])]


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


@route("/master/gain", "[f:gain]", "Master gain, linear 0..2; with no argument replies `/master/gain f`.")
def _master_gain(ctx, gain=None):
    if gain is None:
        return [("/master/gain", [float(ctx.actions.project.master_gain)])]
    ctx.actions.master_gain(gain)


@route(
    "/midi/learn",
    "i:pad s:action",
    "MIDI learn: the next note or CC touched does `action` (pad.trigger, pad.stop, pad.gain …; pad 0 for global actions); replies `/midi/learned s:mapping s:kind i:number i:channel s:action i:pad`, saved in learned.yaml.",
)
def _learn(ctx, pad, action):
    midi = ctx.actions.midi
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
    if ctx.actions.midi is not None and ctx.actions.midi.learn is not None:
        ctx.actions.midi.learn.cancel()


@route("/midi/controllers", "", "Replies `/midi/controllers s:json`: the connected controllers and their ports.")
def _controllers(ctx):
    midi = ctx.actions.midi
    found = (
        []
        if midi is None
        else [
            {"device": c.mapping.device, "mapping": c.mapping.name, "port": port}
            for port, (c, _) in midi.controllers.items()
        ]
    )
    return [("/midi/controllers", [json.dumps(found)])]


@route(
    "/pad/{n}/generate",
    "s:prompt [*:options]",
    "Make a loop for the pad: options provider= bars= bpm= key= genre= instrument= mood= takes= seed= instrumental=; "
    "asynchronous, replies `/job/started i:job i:pad`; progress on `/job/{id}`, `/pad/{n}/generating`, `/pad/{n}/progress`.",
)
def _generate(ctx, n, prompt, *options):
    job = ctx.actions.generation.generate(n, prompt, list(options), who=ctx.sender)
    return [("/job/started", [job.id, job.pad])]


@route("/pad/{n}/regenerate", "", "The pad's last request again, with a new seed; replies `/job/started i:job i:pad`.")
def _regenerate(ctx, n):
    job = ctx.actions.generation.regenerate(n, who=ctx.sender)
    return [("/job/started", [job.id, job.pad])]


@route(
    "/pad/{n}/vary",
    "s:variation",
    "A new take from the pad's loop, same tempo, key and bars: more_complex, simpler, different_instrument, "
    "different_rhythm, different_melody, or words of your own; replies `/job/started i:job i:pad`.",
)
def _vary(ctx, n, variation):
    job = ctx.actions.generation.vary(n, variation, who=ctx.sender)
    return [("/job/started", [job.id, job.pad])]


@route(
    "/pad/{n}/take",
    "i:index",
    "Put take `index` (from 1) of the pad's last generation on the pad, at its next loop boundary.",
)
async def _take(ctx, n, index):
    loop = await ctx.actions.generation.take(n, index)
    return [(f"/pad/{n}/loaded", [ctx.actions.project.pad(int(n)).bars, loop])]


@route("/pad/{n}/cancel", "", "Cancel the pad's running generation (the pad keeps what it had).")
def _cancel(ctx, n):
    ctx.actions.generation.cancel(n)


@route("/undo", "", "Undo the last change (a fader sweep is one step); replies `/undo s:what`.")
async def _undo(ctx):
    return [("/undo", [await ctx.actions.undo()])]


@route("/redo", "", "Redo what was undone; replies `/redo s:what`.")
async def _redo(ctx):
    return [("/redo", [await ctx.actions.redo()])]


def _projects(ctx):
    if ctx.actions.projects is None:
        raise ValueError("projects are not available")
    return ctx.actions.projects


@route("/project/new", "", "Start a new project (the current one is saved first); replies `/project/loaded s:name`.")
async def _project_new(ctx):
    projects = _projects(ctx)
    await projects.new()
    return [("/project/loaded", [projects.name])]


@route(
    "/project/save", "[s:name]", "Save the open project (under a new name if given); replies `/project/saved s:name`."
)
def _project_save(ctx, name=None):
    return [("/project/saved", [_projects(ctx).save(name)])]


@route(
    "/project/save_as",
    "s:name",
    "Save the open project under a new name and keep working in it; replies `/project/saved s:name`.",
)
def _project_save_as(ctx, name):
    return [("/project/saved", [_projects(ctx).save_as(name)])]


@route(
    "/project/load",
    "s:name",
    "Open a saved project; playing pads change on the next bar; replies `/project/loaded s:name i:problems`.",
)
async def _project_load(ctx, name):
    projects = _projects(ctx)
    problems = await projects.load(name)
    return [("/project/loaded", [projects.name, len(problems)])]


@route("/project/delete", "s:name", "Delete a saved project (not the open one).")
def _project_delete(ctx, name):
    _projects(ctx).delete(name)
    return [("/project/deleted", [str(name)])]


@route("/project/list", "", "Replies `/project/list s:json`: the saved projects, and which is open.")
def _project_list(ctx):
    return [("/project/list", [json.dumps(_projects(ctx).names())])]


def markdown() -> str:
    """The request namespace as a Markdown table (docs/osc.md is generated from it)."""
    lines = [
        "# OSC requests",
        "",
        "Generated from `padserver/control/osc_routes.py` by `padserver osc-docs`; do not edit by hand.",
        "`{n}` is a pad, 1..16 row-major from the top left. Numbers may be sent as int or float,",
        "booleans as 0/1. Every failing request gets `/error s:address s:message` back.",
        "",
        "| address | args | does |",
        "|---|---|---|",
    ]
    for r in ROUTES:
        args = " ".join(f"`{a}`" for a in r.args.split()) or ""
        lines.append(f"| `{r.pattern}` | {args} | {r.doc} |")
    from padserver.control.osc_feedback import FEEDBACK

    lines += [
        "",
        "# OSC feedback",
        "",
        "Sent to every registered client (`/register`, or any client that sends something while",
        "`osc.auto_register` is on) when the value changes; a new client gets the full state at once.",
        "",
        "| address | args | |",
        "|---|---|---|",
    ]
    lines += [f"| `{address}` | `{args}` | {doc} |" for address, args, doc in FEEDBACK]
    return "\n".join(lines) + "\n"


def feedback_match(address: str) -> bool:
    from padserver.control.osc_feedback import FEEDBACK

    patterns = [re.compile("^" + re.escape(a).replace(r"\{n\}", r"([0-9]+)") + "$") for a, _, _ in FEEDBACK]
    return any(p.match(address) for p in patterns)
