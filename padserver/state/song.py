"""The song arrangement as plain data: tracks of clips on a bar grid, a loop region.

Bars are counted from 1, as a musician reads them. A clip places a library loop
at a start bar for a length in bars: longer than the loop, it repeats; shorter,
it is cut; ``offset`` (in beats) starts it inside the loop. Tracks are numbered
from 1 in the order they were added; clip ids are never reused. Clips on one track
never overlap: a placement that would overlap is refused, naming the clip in
the way.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

MAX_TRACKS = 32


class SongError(ValueError):
    """An edit the arrangement cannot take, said plainly."""


@dataclass
class Clip:
    id: int
    loop_id: int
    start: int  # bar (from 1)
    bars: int
    offset: float = 0.0  # beats into the loop
    gain: float | None = None  # overrides the track's when set
    pan: float | None = None

    @property
    def end(self) -> int:
        return self.start + self.bars


@dataclass
class Track:
    id: int
    name: str
    gain: float = 1.0
    pan: float = 0.0
    mute: bool = False
    solo: bool = False
    output: str = "master"  # master, or "own": its own output pair
    clips: list[Clip] = field(default_factory=list)
    fx: dict = field(default_factory=dict)  # its effects' settings that are not off (state.effects.DEFAULTS)


@dataclass
class Song:
    tracks: list[Track] = field(default_factory=list)
    loop: tuple[int, int] | None = None  # (start bar, end bar): playback cycles in it
    punch: tuple[int, int] | None = None  # (in bar, out bar): a performance recording keeps only these bars
    next_id: int = 1

    # -- reading ----------------------------------------------------------------------------------
    def track(self, number: int) -> Track:
        if 1 <= number <= len(self.tracks):
            return self.tracks[number - 1]
        raise SongError(f"no track {number} (the song has {len(self.tracks)}; /song/track/add makes one)")

    def clip(self, clip_id: int) -> tuple[Track, Clip]:
        for t in self.tracks:
            for c in t.clips:
                if c.id == clip_id:
                    return t, c
        raise SongError(f"no clip {clip_id}")

    def length_bars(self) -> int:
        """Bars up to the end of the last clip (0 for an empty song)."""
        return max((c.end - 1 for t in self.tracks for c in t.clips), default=0)

    # -- editing ----------------------------------------------------------------------------------
    def _id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def add_track(self, name: str = "") -> Track:
        if len(self.tracks) >= MAX_TRACKS:
            raise SongError(f"a song has at most {MAX_TRACKS} tracks")
        track = Track(len(self.tracks) + 1, name or f"track {len(self.tracks) + 1}")
        self.tracks.append(track)
        return track

    def _check_place(self, track: Track, start: int, bars: int, ignore: int | None = None) -> None:
        if start < 1:
            raise SongError(f"clips start at bar 1 or later (got {start})")
        if bars < 1:
            raise SongError(f"a clip is at least 1 bar long (got {bars})")
        for c in track.clips:
            if c.id != ignore and start < c.end and c.start < start + bars:
                raise SongError(
                    f"bars {start}..{start + bars - 1} overlap clip {c.id} (bars {c.start}..{c.end - 1}) on {track.name}"
                )

    def add_clip(self, track_id: int, loop_id: int, start: int, bars: int, offset: float = 0.0) -> Clip:
        track = self.track(track_id)
        self._check_place(track, start, bars)
        if not math.isfinite(offset) or offset < 0:
            raise SongError(f"offset is beats into the loop, 0 or more (got {offset})")
        clip = Clip(self._id(), int(loop_id), int(start), int(bars), float(offset))
        track.clips.append(clip)
        track.clips.sort(key=lambda c: c.start)
        return clip

    def move_clip(self, clip_id: int, start: int, track_id: int | None = None) -> Clip:
        track, clip = self.clip(clip_id)
        target = self.track(track_id) if track_id is not None else track
        self._check_place(target, start, clip.bars, ignore=clip.id)
        track.clips.remove(clip)
        clip.start = int(start)
        target.clips.append(clip)
        target.clips.sort(key=lambda c: c.start)
        return clip

    def resize_clip(self, clip_id: int, bars: int) -> Clip:
        track, clip = self.clip(clip_id)
        self._check_place(track, clip.start, bars, ignore=clip.id)
        clip.bars = int(bars)
        return clip

    def copy_clip(self, clip_id: int, start: int, track_id: int | None = None) -> Clip:
        track, clip = self.clip(clip_id)
        target = track_id if track_id is not None else track.id
        copy = self.add_clip(target, clip.loop_id, start, clip.bars, clip.offset)
        copy.gain, copy.pan = clip.gain, clip.pan
        return copy

    def delete_clip(self, clip_id: int) -> Clip:
        track, clip = self.clip(clip_id)
        track.clips.remove(clip)
        return clip

    def set_loop(self, start: int | None, end: int | None) -> None:
        self.loop = _bar_range("a loop region", start, end)

    def set_punch(self, start: int | None, end: int | None) -> None:
        self.punch = _bar_range("a punch range", start, end)

    # -- documents ----------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "tracks": [asdict(t) for t in self.tracks],
            "loop": list(self.loop) if self.loop else None,
            "punch": list(self.punch) if self.punch else None,
            "next_id": self.next_id,
        }

    @classmethod
    def from_dict(cls, raw: dict | None) -> Song:
        if not raw:
            return cls()
        song = cls(next_id=int(raw.get("next_id", 1)))
        for t in raw.get("tracks", []):
            clips = [Clip(**c) for c in t.get("clips", [])]
            song.tracks.append(Track(**{**t, "clips": clips}))
        loop = raw.get("loop")
        song.loop = (int(loop[0]), int(loop[1])) if loop else None
        punch = raw.get("punch")
        song.punch = (int(punch[0]), int(punch[1])) if punch else None
        return song

    def snapshot(self) -> dict:
        """A deep copy as a document (for undo)."""
        return self.to_dict()


def _bar_range(what: str, start: int | None, end: int | None) -> tuple[int, int] | None:
    """(start, end) bars, end exclusive; None when either is None (the range is off)."""
    if start is None or end is None:
        return None
    if not 1 <= start < end:
        raise SongError(f"{what} runs from a bar to a later one (got {start}..{end})")
    return int(start), int(end)
