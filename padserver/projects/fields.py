"""Reading a project document's values one by one: a value of the wrong kind or out of range is reported
(naming its key) and replaced by its default, and the rest of the project loads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from padserver.engine.clock import MAX_TEMPO, MIN_TEMPO
from padserver.engine.commands import MODES
from padserver.engine.quantum import NAMES as QUANTA
from padserver.state.project import PAD_COUNT, Pad, Project
from padserver.state.song import MAX_TRACKS, Clip, Song, Track

MIN_REGION = 1e-4  # the narrowest pad region (as /pad/n/region takes it): a narrower one costs a block's worth a cycle
MAX_BAR = 100_000
MAX_ID = 2**53


def number(lo: float, hi: float) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{value!r} is not a number")
        if not lo <= float(value) <= hi:  # (NaN is in no range)
            raise ValueError(f"{value!r} is outside {lo:g}..{hi:g}")
        return float(value)

    return check


def whole(lo: int, hi: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        v = number(lo, hi)(value)
        if v != int(v):
            raise ValueError(f"{value!r} is not a whole number")
        return int(v)

    return check


def choice(options: tuple) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if value not in options:
            raise ValueError(f"{value!r} is not one of {', '.join(map(str, options))}")
        return value

    return check


def flag(value: Any) -> bool:
    if value in (True, False, 0, 1):
        return bool(value)
    raise ValueError(f"{value!r} is not true or false")


def text(limit: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or len(value) > limit:
            raise ValueError(f"{str(value)[:40]!r} is not text of at most {limit} characters")
        return value

    return check


def region(value: Any) -> tuple[float, float]:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError(f"{value!r} is not [start, end]")
    start, end = number(0.0, 1.0)(value[0]), number(0.0, 1.0)(value[1])
    if end - start < MIN_REGION:
        raise ValueError(f"{value!r} does not run from a start to a later end")
    return start, end


def loop_id(value: Any) -> int | None:
    return None if value is None else whole(1, MAX_ID)(value)


def bar_range(value: Any) -> tuple[int, int] | None:
    if value is None:
        return None
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError(f"{value!r} is not [from bar, to bar]")
    start, end = whole(1, MAX_BAR)(value[0]), whole(1, MAX_BAR)(value[1])
    if start >= end:
        raise ValueError(f"{value!r} does not run from a bar to a later one")
    return start, end


class FieldReader:
    """Reads values with their checks; ``problems`` says which were replaced, and why."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def get(self, raw: Any, key: str, default: Any, check: Callable[[Any], Any], where: str = "") -> Any:
        if not isinstance(raw, dict) or key not in raw:
            return default
        try:
            return check(raw[key])
        except (TypeError, ValueError, OverflowError) as exc:
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
            tempo=self.get(doc, "tempo", 120.0, number(MIN_TEMPO, MAX_TEMPO)),
            beats_per_bar=self.get(doc, "beats_per_bar", 4, whole(1, 32)),
            quantize=self.get(doc, "quantize", "1", choice(QUANTA)),
            master_gain=self.get(doc, "master_gain", 1.0, number(0.0, 2.0)),
        )
        for i, raw in enumerate(self.items(doc, "pads")[:PAD_COUNT]):
            number_ = self.get(raw, "number", None, whole(1, PAD_COUNT), f"pads[{i}].")
            if number_ is None:
                self.problems.append(f"pads[{i}]: no pad number 1..{PAD_COUNT}; left out")
                continue
            self.pad(project.pad(number_), raw, f"pads[{i}].")
        project.song = self.song(doc.get("song"))
        return project

    def pad(self, pad: Pad, raw: dict, where: str) -> None:
        pad.name = self.get(raw, "name", "", text(200), where)
        pad.mode = self.get(raw, "mode", "loop", choice(MODES), where)
        pad.gain = self.get(raw, "gain", 1.0, number(0.0, 2.0), where)
        pad.pan = self.get(raw, "pan", 0.0, number(-1.0, 1.0), where)
        pad.mute = self.get(raw, "mute", False, flag, where)
        pad.solo = self.get(raw, "solo", False, flag, where)
        pad.quantum = self.get(raw, "quantum", "global", choice(("global", *QUANTA)), where)
        pad.choke = self.get(raw, "choke", 0, whole(0, 16), where)
        pad.region = self.get(raw, "region", (0.0, 1.0), region, where)
        pad.loop_id = self.get(raw, "loop", None, loop_id, where)

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
        song.loop = self.get(raw, "loop", None, bar_range, "song.")
        song.punch = self.get(raw, "punch", None, bar_range, "song.")
        ids = [t.id for t in song.tracks] + [c.id for t in song.tracks for c in t.clips]
        song.next_id = max([self.get(raw, "next_id", 1, whole(1, MAX_ID), "song."), *(i + 1 for i in ids)])
        return song

    def track(self, raw: Any, where: str) -> Track | None:
        track_id = self.get(raw, "id", None, whole(1, MAX_ID), where)
        if track_id is None:
            self.problems.append(f"{where[:-1]}: no track id; left out")
            return None
        track = Track(
            id=track_id,
            name=self.get(raw, "name", "", text(200), where),
            gain=self.get(raw, "gain", 1.0, number(0.0, 2.0), where),
            pan=self.get(raw, "pan", 0.0, number(-1.0, 1.0), where),
            mute=self.get(raw, "mute", False, flag, where),
            solo=self.get(raw, "solo", False, flag, where),
            output=self.get(raw, "output", "master", choice(("master", "own")), where),
        )
        for j, c in enumerate(self.items(raw, "clips", where)):
            clip = self.clip(c, f"{where}clips[{j}].")
            if clip is not None:
                track.clips.append(clip)
        return track

    def clip(self, raw: Any, where: str) -> Clip | None:
        before = len(self.problems)
        clip = Clip(
            id=self.get(raw, "id", 0, whole(1, MAX_ID), where),
            loop_id=self.get(raw, "loop_id", 0, whole(1, MAX_ID), where),
            start=self.get(raw, "start", 0, whole(1, MAX_BAR), where),
            bars=self.get(raw, "bars", 0, whole(1, MAX_BAR), where),
            offset=self.get(raw, "offset", 0.0, number(0.0, 4.0 * MAX_BAR), where),
            gain=self.get(raw, "gain", None, lambda v: None if v is None else number(0.0, 2.0)(v), where),
            pan=self.get(raw, "pan", None, lambda v: None if v is None else number(-1.0, 1.0)(v), where),
        )
        if 0 in (clip.id, clip.loop_id, clip.start, clip.bars) or not isinstance(raw, dict):
            del self.problems[before:]
            self.problems.append(f"{where[:-1]}: needs id, loop_id, start and bars; the clip left out")
            return None
        return clip
