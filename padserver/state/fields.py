"""Every value a musician sets, with its kind and range, declared once.

OSC actions, project and song files and the config read these same declarations, so a value one of them
takes the others take too (a pad gain is 0..2 on a tablet, in a project file and in the config alike).
"""

from __future__ import annotations

from typing import Any

from padserver.engine.clock import MAX_TEMPO, MIN_TEMPO
from padserver.engine.commands import MODES
from padserver.engine.quantum import NAMES, parse_quantum
from padserver.state.keys import normal_key
from padserver.state.project import PAD_COUNT
from padserver.state.song import MAX_TRACKS
from padserver.values import Choice, Flag, Invalid, Kind, Maybe, Number, Span, Text, Whole


class QuantumKind(Kind):
    """A launch quantum (``off``, ``1/16``…``1/2``, ``1``…``8`` bars), and the extra words in ``also``."""

    def __init__(self, also: tuple[str, ...] = ()) -> None:
        self.also = also

    def parse(self, raw: Any) -> str:
        if isinstance(raw, str) and raw.strip().lower() in self.also:
            return raw.strip().lower()
        try:
            return parse_quantum(raw).name
        except (TypeError, ValueError):
            raise Invalid(f"must be one of {self.allowed()} (got {raw!r})") from None

    def allowed(self) -> str:
        return ", ".join((*NAMES, *self.also))


class KeyKind(Kind):
    """A musical key ("Am", "F#", "Eb minor", "C major") or none ("none", ""), kept as padserver writes it."""

    def parse(self, raw: Any) -> str:
        if not isinstance(raw, str):
            raise Invalid(f"must be a key such as Am or F#, or none (got {raw!r})")
        try:
            return normal_key(raw)
        except ValueError:
            raise Invalid(f"must be a key such as Am, F#, Eb minor or C major, or none (got {raw!r})") from None

    def allowed(self) -> str:
        return "a key such as Am, F#, Eb minor or C major, or none"


# a live pad's settings for its model (Lyria RealTime's own ranges; switches 0 or 1)
LIVE_SETTINGS = {
    "density": Number(0.0, 1.0),
    "brightness": Number(0.0, 1.0),
    "guidance": Number(0.0, 6.0),
    "temperature": Number(0.0, 3.0),
    "top_k": Whole(1, 1000),
    "mute_bass": Flag(),
    "mute_drums": Flag(),
    "only_bass_and_drums": Flag(),
}
LIVE_WEIGHT = Number(0.0, 2.0)  # a live prompt's weight, as PromptDJ has them
LIVE_TEXT = Text(200)


MAX_ID = 2**53  # loop, track and clip ids: what SQLite and an OSC float both carry exactly
MAX_BAR = 100_000
MIN_REGION = 1e-4  # the narrowest pad region: a narrower one costs a block's worth of work a cycle

TEMPO = Number(MIN_TEMPO, MAX_TEMPO)
BEATS_PER_BAR = Whole(1, 32)
QUANTUM = QuantumKind()
KEY = KeyKind()
PAD_QUANTUM = QuantumKind(also=("global",))
GAIN = Number(0.0, 2.0)  # pads, tracks, clips, the master and the metronome
PAN = Number(-1.0, 1.0)
FLAG = Flag()
PAD = Whole(1, PAD_COUNT)
MODE = Choice(MODES)
CHOKE = Whole(0, PAD_COUNT)  # 0: no choke group
GROUP = Whole(0, PAD_COUNT)  # 0: in no group
NAME = Text(64)  # pads, tracks, projects
REGION_EDGE = Number(0.0, 1.0)
REGION = Span(REGION_EDGE, MIN_REGION)
ID = Whole(1, MAX_ID)
LOOP_ID = Maybe(ID)
BAR = Whole(1, MAX_BAR)
BARS = Span(BAR)  # a song's loop or punch range
OFFSET = Number(0.0, 4.0 * MAX_BAR)  # beats into a clip's loop
OUTPUT = Choice(("master", "own"))
SCENE = Whole(1, 4)
TRACK = Whole(1, MAX_TRACKS)  # a song track by its place, 1 at the top
