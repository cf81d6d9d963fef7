"""Reading a project document's values one by one: a value of the wrong kind or out of range is reported
(naming its key) and replaced by its default, and the rest of the project loads."""

from __future__ import annotations

from typing import Any

from padserver.state import fields as f
from padserver.state.project import LIVE_SLOTS, PAD_COUNT, Pad, Project
from padserver.state.song import MAX_TRACKS, Clip, Song, Track
from padserver.values import Invalid, Kind, Maybe


class FieldReader:
    """Reads values with their checks; ``problems`` says which were replaced, and why."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def get(self, raw: Any, key: str, default: Any, kind: Kind, where: str = "") -> Any:
        if not isinstance(raw, dict) or key not in raw:
            return default
        try:
            return kind.parse(raw[key])
        except Invalid as exc:
            self.problems.append(f"{where}{key}: {exc}; {default!r} used instead")
            return default

    def items(self, raw: Any, key: str, where: str = "") -> list:
        value = raw.get(key) if isinstance(raw, dict) else None
        if value is None:
            return []
        if not isinstance(value, list):
            self.problems.append(f"{where}{key}: {str(value)[:40]!r} is not a list; left out")
            return []
        return value

    def project(self, doc: dict) -> Project:
        project = Project(
            tempo=self.get(doc, "tempo", 120.0, f.TEMPO),
            beats_per_bar=self.get(doc, "beats_per_bar", 4, f.BEATS_PER_BAR),
            quantize=self.get(doc, "quantize", "1", f.QUANTUM),
            key=self.get(doc, "key", "", f.KEY),
            master_gain=self.get(doc, "master_gain", 1.0, f.GAIN),
        )
        project.master_fx = self.effects(doc.get("master_fx"), "master_fx.")
        for i, raw in enumerate(self.items(doc, "pads")[:PAD_COUNT]):
            number_ = self.get(raw, "number", None, f.PAD, f"pads[{i}].")
            if number_ is None:
                self.problems.append(f"pads[{i}]: no pad number 1..{PAD_COUNT}; left out")
                continue
            self.pad(project.pad(number_), raw, f"pads[{i}].")
        project.song = self.song(doc.get("song"))
        return project

    def effects(self, raw: Any, where: str) -> dict:
        """Effect settings, each checked: a bad one is left out (off) and said."""
        from padserver.state.effects import checked

        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self.problems.append(f"{where[:-1]}: {str(raw)[:40]!r} is not a table of settings; left out")
            return {}
        out = {}
        for name, value in raw.items():
            try:
                out[str(name)] = checked(str(name), value)
            except ValueError as exc:
                self.problems.append(f"{where}{name}: {exc}; left off")
        return out

    def pad(self, pad: Pad, raw: dict, where: str) -> None:
        pad.name = self.get(raw, "name", "", f.NAME, where)
        pad.mode = self.get(raw, "mode", "loop", f.MODE, where)
        pad.gain = self.get(raw, "gain", 1.0, f.GAIN, where)
        pad.pan = self.get(raw, "pan", 0.0, f.PAN, where)
        pad.mute = self.get(raw, "mute", False, f.FLAG, where)
        pad.solo = self.get(raw, "solo", False, f.FLAG, where)
        pad.quantum = self.get(raw, "quantum", "global", f.PAD_QUANTUM, where)
        pad.choke = self.get(raw, "choke", 0, f.CHOKE, where)
        pad.group = self.get(raw, "group", 0, f.GROUP, where)
        pad.keep = self.get(raw, "keep", False, f.FLAG, where)
        pad.fx = self.effects(raw.get("fx") if isinstance(raw, dict) else None, where + "fx.")
        pad.region = self.get(raw, "region", (0.0, 1.0), f.REGION, where)
        pad.loop_id = self.get(raw, "loop", None, f.LOOP_ID, where)
        live = raw.get("live") if isinstance(raw, dict) else None
        if isinstance(live, dict):
            self.live(pad, live, where + "live.")

    def live(self, pad: Pad, raw: dict, where: str) -> None:
        prompts = self.items(raw, "prompts", where)[:LIVE_SLOTS]
        for i, item in enumerate(prompts):
            if isinstance(item, list) and len(item) == 2:
                text = self.get({"text": item[0]}, "text", "", f.LIVE_TEXT, f"{where}prompts[{i}].")
                weight = self.get({"weight": item[1]}, "weight", 1.0, f.LIVE_WEIGHT, f"{where}prompts[{i}].")
                pad.live_prompts[i] = (text, weight)
            else:
                self.problems.append(f"{where}prompts[{i}]: not [text, weight]; left empty")
        settings = raw.get("settings")
        if isinstance(settings, dict):
            for name in settings:
                kind = f.LIVE_SETTINGS.get(name)
                if kind is None:
                    self.problems.append(f"{where}settings.{name}: no such setting; left out")
                    continue
                got = self.get(settings, name, None, kind, f"{where}settings.")
                if got is not None:
                    pad.live_settings[name] = got

    def song(self, raw: Any) -> Song:
        if not raw:
            return Song()
        if not isinstance(raw, dict):
            self.problems.append(f"song: {str(raw)[:40]!r} is not a song; an empty one used instead")
            return Song()
        song = Song()
        tracks = self.items(raw, "tracks", "song.")
        if len(tracks) > MAX_TRACKS:
            self.problems.append(f"song.tracks: {len(tracks)} tracks, at most {MAX_TRACKS}; the rest left out")
        for i, t in enumerate(tracks[:MAX_TRACKS]):
            track = self.track(t, f"song.tracks[{i}].")
            if track is not None:
                song.tracks.append(track)
        song.loop = self.get(raw, "loop", None, f.BARS, "song.")
        song.punch = self.get(raw, "punch", None, f.BARS, "song.")
        ids = [t.id for t in song.tracks] + [c.id for t in song.tracks for c in t.clips]
        song.next_id = max([self.get(raw, "next_id", 1, f.ID, "song."), *(i + 1 for i in ids)])
        return song

    def track(self, raw: Any, where: str) -> Track | None:
        track_id = self.get(raw, "id", None, f.ID, where)
        if track_id is None:
            self.problems.append(f"{where[:-1]}: no track id; left out")
            return None
        track = Track(
            id=track_id,
            name=self.get(raw, "name", "", f.NAME, where),
            gain=self.get(raw, "gain", 1.0, f.GAIN, where),
            pan=self.get(raw, "pan", 0.0, f.PAN, where),
            mute=self.get(raw, "mute", False, f.FLAG, where),
            solo=self.get(raw, "solo", False, f.FLAG, where),
            output=self.get(raw, "output", "master", f.OUTPUT, where),
            fx=self.effects(raw.get("fx") if isinstance(raw, dict) else None, where + "fx."),
        )
        for j, c in enumerate(self.items(raw, "clips", where)):
            clip = self.clip(c, f"{where}clips[{j}].")
            if clip is not None:
                track.clips.append(clip)
        return track

    def clip(self, raw: Any, where: str) -> Clip | None:
        before = len(self.problems)
        clip = Clip(
            id=self.get(raw, "id", 0, f.ID, where),
            loop_id=self.get(raw, "loop_id", 0, f.ID, where),
            start=self.get(raw, "start", 0, f.BAR, where),
            bars=self.get(raw, "bars", 0, f.BAR, where),
            offset=self.get(raw, "offset", 0.0, f.OFFSET, where),
            gain=self.get(raw, "gain", None, Maybe(f.GAIN), where),
            pan=self.get(raw, "pan", None, Maybe(f.PAN), where),
        )
        if 0 in (clip.id, clip.loop_id, clip.start, clip.bars) or not isinstance(raw, dict):
            del self.problems[before:]
            self.problems.append(f"{where[:-1]}: needs id, loop_id, start and bars; the clip left out")
            return None
        return clip
