"""The offline generator's synthesis: drums per genre, bass and chords in a key, pads, arps, FX.

Pure numpy, deterministic for a seed, exactly ``bars`` bars of 4/4 long. It is
what a new user hears first and what the tests use for real audio, so it aims
for loops that sit together: one key, one tempo, one groove per genre.
"""

from __future__ import annotations

import numpy as np

from padserver.providers.offline import parts
from padserver.state.keys import key_name, parse_key

MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)
GENRES = ("house", "techno", "hiphop", "dnb", "trap", "rock")
INSTRUMENTS = ("drums", "percussion", "bass", "chords", "pad", "arp", "lead", "fx")
DEFAULT_BPM = {"house": 124, "techno": 130, "hiphop": 90, "dnb": 172, "trap": 140, "rock": 120}
_GENRE_WORDS = {
    "house": ("house", "disco", "garage"),
    "techno": ("techno", "industrial", "minimal"),
    "hiphop": ("hip", "boom", "bap", "lofi", "lo-fi", "rap"),
    "dnb": ("dnb", "drum & bass", "drum and bass", "jungle", "breakbeat"),
    "trap": ("trap", "drill"),
    "rock": ("rock", "punk", "indie"),
}
_INSTRUMENT_WORDS = {
    "drums": ("drum", "beat", "kick", "groove", "break"),
    "percussion": ("perc", "shaker", "conga", "bongo", "clap"),
    "bass": ("bass", "sub", "808"),
    "chords": ("chord", "keys", "piano", "rhodes", "stab"),
    "pad": ("pad", "ambient", "drone", "strings"),
    "arp": ("arp",),
    "lead": ("lead", "melody", "hook", "synth"),
    "fx": ("fx", "riser", "impact", "sweep", "noise"),
}


def from_words(text: str, table: dict[str, tuple[str, ...]]) -> str | None:
    lower = text.lower()
    for name, words in table.items():
        if any(w in lower for w in words):
            return name
    return None


MINOR_PROGRESSIONS = ([0, 5, 2, 6], [0, 3, 4, 0], [0, 6, 5, 4], [0, 5, 3, 4])  # i–VI–III–VII, i–iv–v–i, …
MAJOR_PROGRESSIONS = ([0, 4, 5, 3], [0, 3, 4, 4], [0, 5, 3, 4], [0, 3, 5, 4])  # I–V–vi–IV, I–IV–V–V, …


def choose_progression(minor: bool, rng) -> list[int]:
    """Four scale degrees (0 = the tonic), one chord a bar: the loop's, or a whole kit's, harmonic plan."""
    table = MINOR_PROGRESSIONS if minor else MAJOR_PROGRESSIONS
    return list(table[int(rng.integers(len(table)))])


def chords_of(root: int, minor: bool, degrees: list[int]) -> list[list[int]]:
    """The triads (MIDI notes, root in C3..B3) on ``degrees`` of the key."""
    scale = MINOR if minor else MAJOR
    return [[48 + root + scale[(d + k) % 7] + 12 * ((d + k) // 7) for k in (0, 2, 4)] for d in degrees]


def render(
    instrument: str,
    genre: str,
    key: str | None,
    bpm: float,
    bars: int,
    seed: int,
    rate: int = 48000,
    progression: list[int] | None = None,
    variation: int = 0,
) -> np.ndarray:
    """A (2, frames) float32 loop, exactly ``bars`` bars of 4/4 at ``bpm``.

    ``progression`` (scale degrees, a chord a bar) is the harmony every pitched part follows, chosen from
    ``seed`` when not given; ``variation`` 1 is the part's B variation (another rhythm, register, voicing).
    """
    if instrument not in INSTRUMENTS:
        raise ValueError(f"instrument must be one of {', '.join(INSTRUMENTS)} (got {instrument!r})")
    if genre not in GENRES:
        raise ValueError(f"genre must be one of {', '.join(GENRES)} (got {genre!r})")
    root, minor = parse_key(key)
    rng = np.random.default_rng(seed)
    degrees = list(progression) if progression else choose_progression(minor, rng)
    loop = parts.Loop(genre, bpm, bars, rate, chords_of(root, minor, degrees), rng, int(variation) % 2)
    parts.PARTS[instrument](loop)
    out = loop.out
    peak = float(np.max(np.abs(out))) or 1.0
    out = out * (10 ** (-3 / 20) / peak)  # peaks at −3 dBFS: the loudness stage sets the level
    stereo = np.vstack([out, out]).astype(np.float32)
    if instrument in ("pad", "arp", "percussion"):  # a little width, still mono-safe
        stereo[1] = np.roll(out, int(0.006 * rate)).astype(np.float32)
    return stereo


def describe(instrument: str, genre: str, key: str | None, bpm: float) -> str:
    root, minor = parse_key(key)
    return f"{genre} {instrument} in {key_name(root, minor)} at {bpm:g} BPM"
