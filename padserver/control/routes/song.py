"""OSC routes for the song: tracks, clips, the loop region and the transport."""

from __future__ import annotations

import json

from padserver.actions import checks
from padserver.control.route import RouteGroup

group = RouteGroup()
route = group.route


@route("/transport/play", "", "Play the song from its position (at once, or on the next bar line while pads play).")
def _play(ctx):
    ctx.actions.song.play()


@route("/transport/pause", "", "Pause the song where it is (a performance recording ends there).")
async def _pause(ctx):
    await ctx.actions.song.halt(to_start=False)


@route(
    "/transport/stop",
    "",
    "Stop the song and return to its start (or the loop region's start); a performance recording ends; pads play on.",
)
async def _stop(ctx):
    await ctx.actions.song.halt(to_start=True)


@route("/transport/locate", "f:bar", "Move the song to a bar (from 1).")
def _locate(ctx, bar):
    ctx.actions.song.locate(bar)


@route("/transport/rewind", "", "Back one bar (to the start of the bar the song is in, and one more).")
def _rewind(ctx):
    ctx.actions.song.nudge(-1)


@route("/transport/forward", "", "On to the next bar line.")
def _forward(ctx):
    ctx.actions.song.nudge(1)


@route(
    "/transport/loop",
    "i:on [f:start_bar] [f:end_bar]",
    "The loop region playback cycles in: bars start..end, end exclusive (`1 5` is bars 1–4); `0` turns it off.",
)
async def _loop(ctx, on, start=None, end=None):
    await ctx.actions.song.loop_set(on, start, end)


@route(
    "/transport/record",
    "i:on",
    "Record the performance into the song: from now every pad launch and stop becomes a clip on that pad's track "
    "at the bar it sounded (a stopped song starts after a count-in of `song.count_in_bars`, see "
    "`/transport/countin`); with a punch range (`/transport/punch`) only its bars are kept; `0` ends it.",
)
async def _record_song(ctx, on):
    if checks.flag(on, "on"):
        ctx.actions.performance.start()
    else:
        await ctx.actions.performance.stop()


@route(
    "/transport/metronome",
    "i:on",
    "Click on the beat (accented downbeat) while the song plays; on the master or on `click_L/R` "
    "(`song.metronome_output`).",
)
def _metronome(ctx, on):
    ctx.actions.song.metronome(on)


@route(
    "/transport/metronome/gain", "[f:gain]", "The click's level (linear 0..2); replies `/transport/metronome/gain f`."
)
def _metronome_gain(ctx, gain=None):
    song = ctx.actions.song
    return [("/transport/metronome/gain", [song.metronome_gain if gain is None else song.metronome_level(gain)])]


@route(
    "/transport/countin",
    "[i:bars]",
    "Bars of clicks before a recording that starts from silence (the song from stop; a pad recording with nothing "
    "playing), 0..4; replies `/transport/countin i`.",
)
def _count_in(ctx, bars=None):
    song = ctx.actions.song
    if bars is not None:
        song.count_in_bars = checks.whole(bars, "count-in bars", 0, 4)
    return [("/transport/countin", [song.count_in_bars])]


@route(
    "/transport/punch",
    "i:on [f:in_bar] [f:out_bar]",
    "The bars a performance recording keeps: in..out, out exclusive (`9 13` is bars 9–12); `0` records everywhere.",
)
async def _punch(ctx, on, start=None, end=None):
    await ctx.actions.song.punch_set(on, start, end)


@route(
    "/scene/{n}/launch",
    "",
    "Launch scene n (row n of the grid, 1..4, with every pad in a group with one of them) together on the "
    "global quantum; pads outside it stop (song.scene_stops_others).",
)
def _scene(ctx, n):
    ctx.actions.song.launch_scene(n)


@route("/song", "", "Replies `/song s:json`: tracks, clips and the loop region.")
def _song(ctx):
    return [("/song", [json.dumps(ctx.actions.project.song.to_dict())])]


@route("/song/track/add", "[s:name]", "Add a track; replies `/song/track/added i:track`.")
async def _track_add(ctx, name=""):
    return [("/song/track/added", [await ctx.actions.song.track_add(name)])]


def _track_setting(field: str, kind: str, doc: str):
    @route(f"/song/track/{{n}}/{field}", kind, doc)
    async def _set(ctx, n, value):
        await ctx.actions.song.track_set(n, field, value)

    return _set


_track_setting("gain", "f:gain", "A track's gain, linear 0..2.")
_track_setting("pan", "f:pan", "A track's pan, -1..1 (constant power).")
_track_setting("mute", "i:on", "Mute a track.")
_track_setting("solo", "i:on", "Solo a track (in place, across tracks).")
_track_setting("name", "s:name", "Name a track.")


@route(
    "/song/track/{n}/output",
    "s:where",
    "`master`, or `own`: the track plays on JACK ports of its own, `track01_L`/`track01_R` … (for recording stems "
    "in a DAW), not in the master; elsewhere it stays on the master.",
)
async def _track_output(ctx, n, where):
    await ctx.actions.song.track_output(n, where)


@route(
    "/song/clip/add",
    "i:track s:loop f:start_bar f:length_bars [*:options]",
    "Place a library loop (its id, or a file in an allowed folder, imported first) on a track from a bar for a "
    "number of bars (longer than the loop repeats it, shorter cuts it); `offset=beats` starts inside the loop. "
    "Clips on a track never overlap: an overlap is refused. Replies `/song/clip/added i:track i:clip`.",
)
async def _clip_add(ctx, track, loop, start, bars, *options):
    offset = checks.key_values(options, {"offset": float}, "clip").get("offset", 0.0)
    clip = await ctx.actions.song.clip_add(track, loop, start, bars, offset)
    return [("/song/clip/added", [int(track), clip])]


@route("/song/clip/move", "i:track i:clip f:start_bar [i:to_track]", "Move a clip to a bar (and to another track).")
async def _clip_move(ctx, track, clip, start, to_track=None):
    await ctx.actions.song.clip_move(track, clip, start, to_track)


@route("/song/clip/resize", "i:track i:clip f:length_bars", "Make a clip this many bars long.")
async def _clip_resize(ctx, track, clip, bars):
    await ctx.actions.song.clip_resize(track, clip, bars)


@route(
    "/song/clip/copy",
    "i:track i:clip f:start_bar [i:to_track]",
    "Copy a clip to a bar (and another track); replies `/song/clip/added i:track i:clip`.",
)
async def _clip_copy(ctx, track, clip, start, to_track=None):
    copy = await ctx.actions.song.clip_copy(track, clip, start, to_track)
    return [("/song/clip/added", [int(to_track if to_track is not None else track), copy])]


@route("/song/clip/delete", "i:track i:clip", "Delete a clip.")
async def _clip_delete(ctx, track, clip):
    await ctx.actions.song.clip_delete(track, clip)


@route(
    "/song/export",
    "s:file [*:options]",
    "Render the song faster than real time in the background, exactly as it plays: options format=wav|flac|mp3 "
    "bits=16|24|32 rate= region=song|loop tail=seconds normalize=LUFS stems=1 (also each track alone, before the "
    "limiter, as name-01-track.ext …); a name without a folder goes to the data "
    "folder's exports/. The file appears complete or not at all; while it renders the sender and every tablet get "
    "`/song/export/progress f:0..1 s:path` a few times a second; replies `/song/exported s:path`. Beside it, "
    "`<file>.sources.json`: every clip in it and where its loop came from (provider, model, request, seed, "
    "watermark, the loop a stem was split from).",
)
async def _export(ctx, name, *options):
    from padserver.actions.song import export

    def report(fraction: float, path: str) -> None:
        ctx.actions.changed(0, "export", (fraction, path))  # the tablets
        feedback = getattr(ctx.server, "feedback", None)
        if ctx.server is not None and (feedback is None or tuple(ctx.sender[:2]) not in feedback.clients):
            ctx.server.send(ctx.sender, "/song/export/progress", [fraction, path])

    folder, settings = ctx.actions.export_context
    done = await export(ctx.actions, name, list(options), folder, settings, report)
    return [("/song/exported", [done["path"]])]


@route(
    "/pad/{n}/record",
    "[i:bars] [*:options]",
    "Record audio input into the pad from the next bar line for `bars` bars (default 4; `0`: until the pad is asked "
    "to record again, then to the next bar line); `inputs=1,2` picks the "
    "input ports (JACK in_1 …, or the PortAudio device's); `count=N` counts in N bars first (default: "
    "`/transport/countin` bars when nothing plays, else none). Input latency is compensated; the take lands in the "
    "library (source recorded) and on the pad. Replies `/pad/{n}/recording i:bars`.",
)
def _record(ctx, n, bars=4, *options):
    taken = ctx.actions.recording.record(n, bars, options)
    return [(f"/pad/{int(n)}/recording", [taken])]


@route(
    "/pad/{n}/resample",
    "[i:bars]",
    "Record the master output itself into the pad from the next bar line for `bars` bars (default 4); the take lands "
    "in the library and on the pad. Replies `/pad/{n}/recording i:bars`.",
)
def _resample(ctx, n, bars=4):
    taken = ctx.actions.recording.resample(n, bars)
    return [(f"/pad/{int(n)}/recording", [taken])]


@route(
    "/sync/source",
    "[s:source]",
    "Where tempo and bars come from: `internal`, or `midi` (follow the MIDI clock on padserver:clock_in: its "
    "tempo, its Start/Stop/Continue and song position drive the song; JACK audio). Replies `/sync/source s`.",
)
def _sync_source(ctx, source=None):
    actions = ctx.actions
    return [("/sync/source", [actions.sync_source if source is None else actions.set_sync_source(source)])]
