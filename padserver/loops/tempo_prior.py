"""Which tempos a loop is likely at: half and double tempo fit a loop's rhythm almost equally well.

An estimate picks among tempos an octave apart by where music of the kind
is made: most loops at 70–160 BPM, a genre's usual range when the loop's
name or folder names one, the tempo written in its name when that fits the
audio (``Loop_124bpm_Am.wav``). A generated take's requested tempo is not
estimated at all.
"""

from __future__ import annotations

import math
import re

LIKELY = (70.0, 160.0)  # most loops
GENRE_TEMPOS: dict[str, tuple[float, float]] = {
    "house": (115.0, 132.0),
    "techno": (120.0, 150.0),
    "trance": (125.0, 150.0),
    "hiphop": (70.0, 110.0),
    "boombap": (80.0, 100.0),
    "lofi": (60.0, 95.0),
    "dnb": (155.0, 185.0),
    "jungle": (155.0, 180.0),
    "dubstep": (135.0, 150.0),
    "trap": (125.0, 160.0),
    "rock": (90.0, 160.0),
    "funk": (90.0, 125.0),
    "disco": (110.0, 130.0),
    "reggaeton": (85.0, 105.0),
    "ambient": (60.0, 100.0),
}
_GENRE_WORDS = {
    "hiphop": ("hiphop", "hip-hop", "hip hop", "hip_hop"),
    "boombap": ("boombap", "boom bap", "boom-bap"),
    "lofi": ("lofi", "lo-fi", "lo fi"),
    "dnb": ("dnb", "d&b", "drum and bass", "drum & bass", "drumnbass", "drum_and_bass", "liquid"),
}
_OUTSIDE_OCTAVES = 0.08  # how fast belief falls outside the range (a tenth at 0.17 octave out)
_BPM_IN_NAME = re.compile(r"(?<![\d.])(\d{2,3}(?:\.\d+)?)\s*(?:bpm\b|bpm(?=[_\W\d]|$))", re.IGNORECASE)


def genre_in(text: str) -> str | None:
    """The genre a loop's name or path names, if any (whole words)."""
    lower = text.lower()
    for genre, words in _GENRE_WORDS.items():
        if any(w in lower for w in words):
            return genre
    for genre in GENRE_TEMPOS:
        if re.search(rf"(?<![a-z]){re.escape(genre)}(?![a-z])", lower):
            return genre
    return None


def bpm_in(text: str) -> float | None:
    """A tempo written in a loop's name or path ("124bpm", "87.5 BPM"), if any and plausible."""
    for match in _BPM_IN_NAME.finditer(text):
        bpm = float(match.group(1))
        if 40.0 <= bpm <= 300.0:
            return bpm
    return None


def likely_range(text: str = "", genre: str | None = None) -> tuple[float, float]:
    """The tempo range to believe for a loop called ``text`` (a genre given wins over one in the name)."""
    genre = genre if genre in GENRE_TEMPOS else genre_in(text)
    return GENRE_TEMPOS[genre] if genre else LIKELY


def belief(bpm: float, likely: tuple[float, float] = LIKELY) -> float:
    """How much to believe ``bpm``: 1 inside ``likely``, falling with each octave outside it, and a
    slight lean toward the range's middle inside it (two tempos an octave apart may both lie within)."""
    lo, hi = likely
    out = max(0.0, math.log2(lo / bpm), math.log2(bpm / hi))
    centre = math.log2(bpm / math.sqrt(lo * hi))
    return math.exp(-0.5 * (out / _OUTSIDE_OCTAVES) ** 2) * math.exp(-0.5 * (centre / 0.7) ** 2)
