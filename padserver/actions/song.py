"""Song actions: tracks and clips (every edit undoable, saved with the project), the transport."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

import numpy as np

from padserver.actions import checks
from padserver.actions.checks import ActionError
from padserver.engine import commands as cmd
from padserver.engine.quantum import parse_quantum
from padserver.engine.song import SongClip
from padserver.library.store import LibraryError
from padserver.paths import confine
from padserver.state import fields
from padserver.state.song import Song, SongError

log = logging.getLogger("padserver.song")

TRACK_FIELDS = {"gain": fields.GAIN, "pan": fields.PAN, "mute": fields.FLAG, "solo": fields.FLAG}


def track_gains(song: Song) -> np.ndarray:
    """Each track's left/right gain: gain, constant-power pan, mute, solo-in-place (as the pads)."""
    gains = np.zeros((len(song.tracks), 2), dtype=np.float32)
    any_solo = any(t.solo for t in song.tracks)
    for i, t in enumerate(song.tracks):
        if t.mute or (any_solo and not t.solo):
            continue
        theta = (t.pan + 1.0) * math.pi / 4.0
        gains[i] = (t.gain * math.cos(theta), t.gain * math.sin(theta))
    return gains


class SongActions:
    def __init__(self, actions) -> None:
        self.actions = actions
        self._buffers: dict[tuple[int, float], tuple[np.ndarray, dict]] = {}  # (loop, tempo) → prepared
        self._fx_rows: set[int] = set()  # the song's rows the engine was given effects for
        self.metronome_on = False
        self.track_ports: Callable[[tuple[int, ...]], bool] | None = (
            None  # callable(rows) → bool: the backend gives tracks outputs of their own
        )
        self.metronome_gain = 0.5
        self.click_to_master = True  # else on the backend's click ports
        self.count_in_bars = 1  # before a recording that starts from silence
        self.scene_stops_others = True

    @property
    def song(self) -> Song:
        return self.actions.project.song

    # -- edits ----------------------------------------------------------------------------------------
    async def _edit(self, label: str, change) -> object:
        """Apply ``change(song)``; record it for undo; hand the engine the new arrangement."""
        before = self.song.snapshot()
        try:
            result = change(self.song)
        except SongError as exc:
            raise ActionError(str(exc)) from None
        after = self.song.snapshot()
        await self.push()
        self.actions.history.record(label, lambda: self._restore(before), lambda: self._restore(after))
        self.actions.changed(0, "song", label)
        return result

    async def _restore(self, doc: dict) -> None:
        self.actions.project.song = Song.from_dict(doc)
        await self.push()
        self.actions.changed(0, "song", "restored")

    async def track_add(self, name: object = "") -> int:
        text = checks.value(fields.NAME, name, "name").strip()
        await self._edit("add track", lambda s: s.add_track(text))
        return len(self.song.tracks)

    async def track_set(self, track: object, field: str, value: object) -> None:
        tid = checks.value(fields.TRACK, track, "track")
        if field == "name":
            text = checks.value(fields.NAME, value, "name").strip()
            await self._edit(f"track {tid} name", lambda s: setattr(s.track(tid), "name", text))
            return
        typed = checks.value(TRACK_FIELDS[field], value, field)
        await self._edit(f"track {tid} {field}", lambda s: setattr(s.track(tid), field, typed))

    async def track_output(self, track: object, where: object) -> None:
        tid = checks.value(fields.TRACK, track, "track")
        value = checks.value(fields.OUTPUT, where, "a track's output")
        await self._edit(f"track {tid} output", lambda s: setattr(s.track(tid), "output", value))

    def _on_track(self, track: object, clip: object) -> int:
        """The clip's id, after checking it is on that track (as the request says)."""
        t = checks.value(fields.TRACK, track, "track")
        cid = checks.value(fields.ID, clip, "clip")
        try:
            on = self.song.clip(cid)[0]
            self.song.track(t)
        except SongError as exc:
            raise ActionError(str(exc)) from None
        if on is not self.song.tracks[t - 1]:
            raise ActionError(f"clip {cid} is on track {self.song.tracks.index(on) + 1}, not track {t}")
        return cid

    async def clip_add(self, track: object, source: object, start: object, bars: object, offset: object = 0.0) -> int:
        """Place a library loop (by id, or a file imported first) at a bar; offset in beats into the loop."""
        tid = checks.value(fields.TRACK, track, "track")
        if isinstance(source, str) and not source.strip().isdigit():
            loop, _ = await self.actions.import_path(source)
            lid = loop.id
        else:
            lid = checks.value(fields.ID, source, "loop")
            try:
                self.actions.library.get(lid)
            except LibraryError as exc:
                raise ActionError(str(exc)) from None
        b0 = checks.value(fields.BAR, start, "start bar")
        n = checks.value(fields.BAR, bars, "length in bars")
        off = checks.value(fields.OFFSET, offset, "offset")
        clip = await self._edit("add clip", lambda s: s.add_clip(tid, lid, b0, n, off))
        return clip.id  # type: ignore[attr-defined]

    async def clip_move(self, track: object, clip: object, start: object, to_track: object = None) -> None:
        cid = self._on_track(track, clip)
        b0 = checks.value(fields.BAR, start, "start bar")
        to = None if to_track is None else checks.value(fields.TRACK, to_track, "track")
        await self._edit(f"move clip {cid}", lambda s: s.move_clip(cid, b0, to))

    async def clip_resize(self, track: object, clip: object, bars: object) -> None:
        cid = self._on_track(track, clip)
        n = checks.value(fields.BAR, bars, "length in bars")
        await self._edit(f"resize clip {cid}", lambda s: s.resize_clip(cid, n))

    async def clip_copy(self, track: object, clip: object, start: object, to_track: object = None) -> int:
        cid = self._on_track(track, clip)
        b0 = checks.value(fields.BAR, start, "start bar")
        to = None if to_track is None else checks.value(fields.TRACK, to_track, "track")
        copy = await self._edit(f"copy clip {cid}", lambda s: s.copy_clip(cid, b0, to))
        return copy.id  # type: ignore[attr-defined]

    async def clip_delete(self, track: object, clip: object) -> None:
        cid = self._on_track(track, clip)
        await self._edit(f"delete clip {cid}", lambda s: s.delete_clip(cid))

    async def loop_set(self, on: object, start: object = None, end: object = None) -> None:
        """The loop region: on with bars start..end (end exclusive), or off."""
        await self._bar_range("loop", "loop region", on, start, end, self.song.loop, Song.set_loop)

    async def punch_set(self, on: object, start: object = None, end: object = None) -> None:
        """The punch range a performance recording keeps: on with bars start..end (end exclusive), or off."""
        await self._bar_range("punch", "punch range", on, start, end, self.song.punch, Song.set_punch)

    async def _bar_range(self, name: str, what: str, on: object, start: object, end: object, current, setter) -> None:
        if not checks.value(fields.FLAG, on, "on"):
            await self._edit(f"{what} off", lambda s: setter(s, None, None))
            return
        if start is None or end is None:
            if current is None:
                raise ActionError(f"a {what} needs its start and end bars the first time")
            b0, b1 = current
        else:
            b0 = checks.value(fields.BAR, start, f"{name} start bar")
            b1 = checks.whole(end, f"{name} end bar", 2, fields.MAX_BAR)
        await self._edit(what, lambda s: setter(s, b0, b1))

    # -- the engine's copy ------------------------------------------------------------------------------
    async def push(self) -> None:
        """Prepare every clip's loop at the project tempo and hand the engine the arrangement."""
        a = self.actions
        tempo = a.project.tempo
        bpb = a.project.beats_per_bar
        song = self.song
        clips = []
        for row, track in enumerate(song.tracks):
            for c in track.clips:
                key = (c.loop_id, tempo)
                if key not in self._buffers:
                    try:
                        loop = a.library.get(c.loop_id)
                        self._buffers[key] = await a.library.prepared(loop, a.recipe(loop))
                    except LibraryError as exc:
                        log.warning("song: clip %d's loop %d cannot be played: %s", c.id, c.loop_id, exc)
                        continue
                audio, info = self._buffers[key]
                start = (c.start - 1) * bpb
                clips.append(
                    SongClip(row, audio, float(start), float(start + c.bars * bpb), start - c.offset, info["period"])
                )
        for key in [k for k in self._buffers if k[1] != tempo]:
            del self._buffers[key]
        loop = None if song.loop is None else ((song.loop[0] - 1) * bpb, (song.loop[1] - 1) * bpb)
        own = tuple(i for i, t in enumerate(song.tracks) if t.output == "own")
        if own and not (self.track_ports is not None and self.track_ports(own)):
            own = ()  # no ports of their own here (PortAudio, null): those tracks play on the master
        a.engine.send(cmd.SetSong(tuple(clips), track_gains(song), loop, own))
        # the tracks' effects by row (rows move when tracks do): set where there are some, off where there were
        from padserver.actions import effects

        rows = {i for i, t in enumerate(song.tracks) if t.fx}
        for row in rows | (self._fx_rows - rows):
            if row < len(song.tracks):
                effects.apply(a, ("track", row + 1))
            else:
                for what, value in enumerate(effects.NEUTRAL):
                    a.engine.send(cmd.SetTrackFx(row, what, value))
        self._fx_rows = rows

    # -- transport ----------------------------------------------------------------------------------------
    def play(self, count_in: int = 0, state: str = "playing") -> None:
        """Play from the position (after ``count_in`` bars of clicks)."""
        if self.actions.project.transport == "recording":
            return  # already playing (or counting in) and recording
        self.actions.engine.send(cmd.Transport("play", count_in=count_in))
        self.set_state(state)

    async def halt(self, to_start: bool) -> None:
        """Stop (to the start) or pause; a performance recording ends first, where the song stopped."""
        performance = getattr(self.actions, "performance", None)
        if performance is not None and performance.on:
            await performance.stop()
        if to_start:
            self.stop()
        else:
            self.pause()

    def pause(self) -> None:
        self.actions.engine.send(cmd.Transport("pause"))
        self.set_state("paused")

    def stop(self) -> None:
        """Stop and return to the loop start (with a loop region) or the song's start."""
        song = self.song
        bar = song.loop[0] if song.loop else 1
        self.actions.engine.send(cmd.Transport("stop", float((bar - 1) * self.actions.project.beats_per_bar)))
        self.set_state("stopped")

    def set_state(self, state: str) -> None:
        self.actions.project.transport = state
        if state not in ("playing", "recording"):
            self.actions.project.beat = 0
        self.actions.changed(0, "transport", state)

    def metronome(self, on: object) -> bool:
        value = checks.value(fields.FLAG, on, "on")
        self.metronome_on = value
        self.actions.project.metronome = value
        self._send_metronome()
        self.actions.changed(0, "metronome", int(value))
        return value

    def metronome_level(self, gain: object) -> float:
        self.metronome_gain = checks.value(fields.GAIN, gain, "metronome gain")
        self._send_metronome()
        return self.metronome_gain

    def _send_metronome(self) -> None:
        self.actions.engine.set(cmd.SetMetronome(self.metronome_on, self.metronome_gain, self.click_to_master))

    def launch_scene(self, number: object) -> list[int]:
        """Launch a scene's pads together (row n of the grid, and the groups its pads are in), on the global
        quantum; stop the others if set to."""
        n = checks.value(fields.SCENE, number, "scene")
        a = self.actions
        q = parse_quantum(a.project.quantize)
        row = range(4 * (n - 1) + 1, 4 * n + 1)
        groups = {a.project.pad(p).group for p in row} - {0}
        members = sorted(set(row) | {p.number for p in a.project.pads if p.group in groups})
        launched = []
        for pad in a.project.pads:
            if pad.number in members and pad.has_audio:
                a.engine.send(cmd.Launch(pad.number - 1, q))
                launched.append(pad.number)
            elif pad.number not in members and self.scene_stops_others and pad.sounding:
                a.engine.send(cmd.Stop(pad.number - 1, q))
        return launched

    def locate(self, bar: object) -> None:
        b = checks.number(bar, "bar", 1, fields.MAX_BAR)
        self.actions.engine.send(cmd.Transport("locate", float((b - 1) * self.actions.project.beats_per_bar)))

    def nudge(self, bars: int) -> None:
        """Rewind (-1) or fast-forward (+1) by whole bars from where the song is."""
        e = self.actions.engine
        bpb = self.actions.project.beats_per_bar
        now = e.song.song_beat(e.clock, e.frame)
        target = max(0.0, (math.floor(now / bpb + 1e-9) + bars) * bpb)
        e.send(cmd.Transport("locate", float(target)))

    def position(self) -> tuple[int, float]:
        """(bar from 1, beat in the bar from 1) of the song now."""
        e = self.actions.engine
        bpb = self.actions.project.beats_per_bar
        beat = e.song.song_beat(e.clock, e.frame)
        bar = math.floor(beat / bpb + 1e-9)
        return bar + 1, beat - bar * bpb + 1


EXPORT_PROGRESS_S = 0.25  # how often a running export reports
EXPORT_OPTIONS = {
    "format": str,
    "bits": int,
    "rate": int,
    "region": str,
    "tail": float,
    "normalize": float,
    "stems": int,
}
EXPORT_RANGES = (("tail", "tail (seconds after the end)", 0.0, 60.0), ("normalize", "normalize (LUFS)", -70.0, 0.0))


def _write_sources(actions, path: str, region: tuple[int, int], loops: list) -> str:
    """Beside an export, ``<file>.sources.json``: every clip in it and where its loop came from (provider, model,
    request, seed, watermark, the loop a stem was split from; a file's import)."""
    import json
    import os

    from padserver.files import atomic_file

    by_id = {loop.id: loop for loop in loops}
    clips = []
    for track in actions.song.song.tracks:
        for clip in track.clips:
            if clip.end <= region[0] or clip.start >= region[1]:
                continue
            loop = by_id[clip.loop_id]
            clips.append(
                {
                    "track": track.id,
                    "track_name": track.name,
                    "clip": clip.id,
                    "start_bar": clip.start,
                    "bars": clip.bars,
                    "offset_beats": clip.offset,
                    "loop": {
                        "id": loop.id,
                        "name": loop.name,
                        "source": loop.source,
                        "file": loop.file,
                        "provenance": loop.provenance,
                    },
                }  # fmt: skip
            )
    sources = path + ".sources.json"
    document = {"file": os.path.basename(path), "bars": list(region), "tempo": actions.project.tempo, "clips": clips}
    with atomic_file(sources, "w") as fh:
        json.dump(document, fh, indent=1, default=str)
    return sources


async def export(actions, name: object, options: list, exports_dir: str, engine_settings: dict, report=None) -> dict:
    """Render the song (or its loop region) to a file in the worker pool; returns what was written.

    ``report(fraction, path)`` hears the progress a few times a second.
    """
    import asyncio
    import os
    import tempfile

    from padserver.loops.export import FORMATS, ExportError, export_song, read_progress, subtype

    song_actions: SongActions = actions.song
    song = song_actions.song
    text = checks.text(name, "file name", 4096).strip()
    if not text:
        raise ActionError("an export needs a file name")
    opts = checks.key_values(options, EXPORT_OPTIONS, "export")
    for key, what, lo, hi in EXPORT_RANGES:
        if key in opts:
            opts[key] = checks.number(opts[key], what, lo, hi)
    if "rate" in opts:
        opts["rate"] = checks.whole(opts["rate"], "rate", 8000, 192000)
    fmt = opts.get("format") or os.path.splitext(text)[1].lstrip(".").lower() or "wav"
    if fmt not in FORMATS:
        raise ActionError(f"format is one of {', '.join(FORMATS)} (got {fmt!r})")
    bits = opts.get("bits", 32 if fmt == "wav" else 24)
    try:
        subtype(fmt, bits)
    except ExportError as exc:
        raise ActionError(str(exc)) from None
    if not text.lower().endswith("." + fmt):
        text += "." + fmt
    if os.path.isabs(text):
        path = actions.allowed_path(text)
    else:
        try:
            path = confine(os.path.join(exports_dir, text), [os.path.realpath(exports_dir)])
        except ValueError:
            raise ActionError(
                f"an export's name stays in the exports folder (got {text!r}); a full path may name an allowed folder"
            ) from None
    length = song.length_bars()
    if length == 0:
        raise ActionError("the song is empty: add clips first (/song/clip/add)")
    region = (1, length + 1)
    if opts.get("region") == "loop":
        if song.loop is None:
            raise ActionError("region=loop needs a loop region (/transport/loop)")
        region = song.loop
    elif opts.get("region") not in (None, "song"):
        raise ActionError(f"region is song or loop (got {opts['region']!r})")
    ids = list(dict.fromkeys(c.loop_id for track in song.tracks for c in track.clips))
    try:  # each loop prepared (or found in the cache) at once; the worker reads their audio itself
        wanted = [actions.library.get(i) for i in ids]
        infos = await asyncio.gather(*(actions.library.prepared_info(loop, actions.recipe(loop)) for loop in wanted))
    except LibraryError as exc:
        raise ActionError(str(exc)) from None
    loops = {i: {"path": info["path"], "period": info["period"]} for i, info in zip(ids, infos, strict=True)}
    os.makedirs(exports_dir, exist_ok=True)
    job = {
        "rate": actions.engine.sample_rate,
        "tempo": actions.project.tempo,
        "beats_per_bar": actions.project.beats_per_bar,
        "master_gain": actions.project.master_gain,
        "master_fx": dict(actions.project.master_fx),
        **engine_settings,
        "song": song.to_dict(),
        "gains": track_gains(song).tolist(),
        "loops": loops,
        "region": region,
        "tail": opts.get("tail", 0.0),
        "format": fmt,
        "bits": bits,
        "out_rate": opts.get("rate"),
        "normalize": opts.get("normalize"),
        "stems": bool(opts.get("stems", 0)),
        "path": path,
    }
    fd, job["progress"] = tempfile.mkstemp(prefix="export-", suffix=".progress")
    os.close(fd)
    running = asyncio.ensure_future(actions.library.pool.run(export_song, job))
    try:
        shown = -1.0
        while not running.done():
            await asyncio.wait([running], timeout=EXPORT_PROGRESS_S)
            fraction = read_progress(job["progress"])
            if report is not None and not running.done() and fraction - shown >= 0.01:
                shown = fraction
                report(round(fraction, 3), path)
        done = running.result()
        done["sources"] = _write_sources(actions, path, region, wanted)
        if report is not None:
            report(1.0, path)
        return done
    except ExportError as exc:
        raise ActionError(str(exc)) from None
    finally:
        os.unlink(job["progress"])
