"""The offline generator's synthesis: drums per genre, bass and chords in a key, pads, arps, FX.

Pure numpy, deterministic for a seed, exactly ``bars`` bars of 4/4 long. It is
what a new user hears first and what the tests use for real audio, so it aims
for loops that sit together: one key, one tempo, one groove per genre.
"""

from __future__ import annotations

import re

import numpy as np

NOTES = {
    "c": 0,
    "c#": 1,
    "db": 1,
    "d": 2,
    "d#": 3,
    "eb": 3,
    "e": 4,
    "f": 5,
    "f#": 6,
    "gb": 6,
    "g": 7,
    "g#": 8,
    "ab": 8,
    "a": 9,
    "a#": 10,
    "bb": 10,
    "b": 11,
}
MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)
GENRES = ("house", "techno", "hiphop", "dnb", "trap", "rock")
INSTRUMENTS = ("drums", "percussion", "bass", "chords", "pad", "arp", "lead", "fx")
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


def parse_key(key: str | None) -> tuple[int, bool]:
    """(root pitch class, minor) from "Am", "F#", "Eb minor", "C major"; A minor when absent."""
    if not key:
        return 9, True
    m = re.fullmatch(r"\s*([a-gA-G])([#b]?)\s*(m|min|minor|maj|major)?\s*", key)
    if not m:
        raise ValueError(f"key must look like Am, F#, Eb minor or C major (got {key!r})")
    root = NOTES[(m.group(1) + m.group(2)).lower()]
    return root, (m.group(3) or "").lower() in ("m", "min", "minor")


def key_name(root: int, minor: bool) -> str:
    names = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
    return names[root] + ("m" if minor else "")


def from_words(text: str, table: dict[str, tuple[str, ...]]) -> str | None:
    lower = text.lower()
    for name, words in table.items():
        if any(w in lower for w in words):
            return name
    return None


def _midi_hz(note: float) -> float:
    return 440.0 * 2 ** ((note - 69) / 12)


class _Canvas:
    def __init__(self, frames: int, rate: int) -> None:
        self.rate = rate
        self.out = np.zeros(frames, dtype=np.float64)

    def add(self, at_s: float, sound: np.ndarray, gain: float = 1.0) -> None:
        """Mix ``sound`` in at ``at_s``; what runs past the end wraps to the start (a seamless loop)."""
        i = int(round(at_s * self.rate)) % len(self.out)
        n = len(sound)
        first = min(n, len(self.out) - i)
        self.out[i : i + first] += sound[:first] * gain
        if first < n:
            rest = min(n - first, len(self.out))
            self.out[:rest] += sound[first : first + rest] * gain


def _env(n: int, rate: int, attack: float, decay: float) -> np.ndarray:
    t = np.arange(n) / rate
    a = np.minimum(1.0, t / max(attack, 1e-4))
    return a * np.exp(-np.maximum(0.0, t - attack) / max(decay, 1e-4))


def _tone(freq: float, seconds: float, rate: int, shape: str, attack: float, decay: float, rng) -> np.ndarray:
    n = max(1, int(seconds * rate))
    t = np.arange(n) / rate
    phase = 2 * np.pi * freq * t + rng.uniform(0, 2 * np.pi)
    if shape == "sine":
        wave = np.sin(phase)
    elif shape == "square":
        wave = np.sign(np.sin(phase)) * 0.6 + 0.4 * np.sin(phase)
    else:  # a soft saw: a few harmonics, no aliasing
        wave = sum(np.sin(k * phase) / k for k in range(1, 8)) * 0.6
    # release in the last few ms, so no note ends with a step
    tail = min(n, int(0.004 * rate))
    env = _env(n, rate, attack, decay)
    env[n - tail :] *= np.linspace(1, 0, tail)
    return wave * env


def _drum(kind: str, rate: int, rng) -> np.ndarray:
    if kind == "kick":
        n = int(0.35 * rate)
        t = np.arange(n) / rate
        sweep = 45 + 110 * np.exp(-t * 35)
        return np.sin(2 * np.pi * np.cumsum(sweep) / rate) * np.exp(-t * 9)
    if kind in ("snare", "clap"):
        n = int(0.22 * rate)
        t = np.arange(n) / rate
        noise = rng.standard_normal(n)
        noise = np.diff(noise, prepend=0) * 0.6  # brighter
        body = np.sin(2 * np.pi * 190 * t) * np.exp(-t * 30) if kind == "snare" else 0
        return (noise * np.exp(-t * (22 if kind == "snare" else 30)) * 0.7 + body * 0.6) * 0.9
    n = int((0.25 if kind == "openhat" else 0.05) * rate)
    t = np.arange(n) / rate
    noise = np.diff(np.diff(rng.standard_normal(n + 2)))  # high-passed
    return noise * np.exp(-t * (12 if kind == "openhat" else 70)) * 0.18


PATTERNS = {  # 16 steps per bar: which drums hit where
    "house": {"kick": [0, 4, 8, 12], "clap": [4, 12], "openhat": [2, 6, 10, 14], "hat": list(range(0, 16, 2))},
    "techno": {"kick": [0, 4, 8, 12], "hat": list(range(16)), "clap": [4, 12], "openhat": [2, 10]},
    "hiphop": {"kick": [0, 7, 10], "snare": [4, 12], "hat": list(range(0, 16, 2))},
    "dnb": {"kick": [0, 10], "snare": [4, 12], "hat": list(range(0, 16, 2)), "openhat": [14]},
    "trap": {"kick": [0, 11], "snare": [8], "hat": list(range(16))},
    "rock": {"kick": [0, 8, 10], "snare": [4, 12], "hat": list(range(0, 16, 2))},
}
DEFAULT_BPM = {"house": 124, "techno": 130, "hiphop": 90, "dnb": 172, "trap": 140, "rock": 120}


def progression(root: int, minor: bool, rng) -> list[list[int]]:
    """Four chords (MIDI notes) in the key: i–VI–III–VII or I–V–vi–IV, with a seeded variation."""
    scale = MINOR if minor else MAJOR
    degrees = [[0, 5, 2, 6], [0, 3, 4, 0], [0, 6, 5, 4]] if minor else [[0, 4, 5, 3], [0, 3, 4, 4], [0, 5, 3, 4]]
    chosen = degrees[int(rng.integers(len(degrees)))]
    chords = []
    for d in chosen:
        notes = [48 + root + scale[(d + k) % 7] + 12 * ((d + k) // 7) for k in (0, 2, 4)]
        chords.append(notes)
    return chords


def render(
    instrument: str,
    genre: str,
    key: str | None,
    bpm: float,
    bars: int,
    seed: int,
    rate: int = 48000,
) -> np.ndarray:
    """A (2, frames) float32 loop, exactly ``bars`` bars of 4/4 at ``bpm``."""
    if instrument not in INSTRUMENTS:
        raise ValueError(f"instrument must be one of {', '.join(INSTRUMENTS)} (got {instrument!r})")
    if genre not in GENRES:
        raise ValueError(f"genre must be one of {', '.join(GENRES)} (got {genre!r})")
    root, minor = parse_key(key)
    scale = MINOR if minor else MAJOR
    rng = np.random.default_rng(seed)
    beat = 60.0 / bpm
    step = beat / 4
    frames = int(round(bars * 4 * beat * rate))
    canvas = _Canvas(frames, rate)
    chords = progression(root, minor, rng)
    swing = 0.12 if genre in ("hiphop",) else 0.0
    if instrument in ("drums", "percussion"):
        pattern = PATTERNS[genre]
        kinds = ["kick", "snare", "clap", "hat", "openhat"] if instrument == "drums" else ["hat", "clap", "openhat"]
        sounds = {k: _drum(k, rate, rng) for k in kinds}
        for b in range(bars):
            for kind in kinds:
                for s in pattern.get(kind, []):
                    if instrument == "percussion" and rng.random() < 0.3:
                        continue
                    late = swing * step if s % 2 else 0.0
                    vel = 0.8 + 0.2 * rng.random()
                    canvas.add(b * 4 * beat + s * step + late, sounds[kind], vel)
            if instrument == "drums" and rng.random() < 0.35:  # a ghost note, seeded
                canvas.add(b * 4 * beat + int(rng.integers(16)) * step, sounds["hat"], 0.5)
    elif instrument == "bass":
        for b in range(bars):
            chord = chords[b % 4]
            low = chord[0] - 12
            hits = [0, 3, 6, 8, 11, 14] if genre in ("house", "techno") else [0, 6, 8, 10]
            for i, s in enumerate(hits):
                note = low + (12 if (i % 3 == 2 and genre != "trap") else 0)
                length = step * (2 if genre != "trap" else 6)
                canvas.add(
                    b * 4 * beat + s * step,
                    _tone(_midi_hz(note), length, rate, "saw" if genre != "trap" else "sine", 0.004, length * 0.6, rng),
                    0.5,
                )
    elif instrument in ("chords", "pad"):
        for b in range(bars):
            chord = chords[b % 4]
            if instrument == "pad":
                for n in chord:
                    canvas.add(b * 4 * beat, _tone(_midi_hz(n), 4 * beat, rate, "saw", beat * 0.8, 8 * beat, rng), 0.12)
            else:
                for s in [0, 6, 10] if genre in ("house", "techno") else [0, 8]:
                    for n in chord:
                        canvas.add(
                            b * 4 * beat + s * step,
                            _tone(_midi_hz(n + 12), step * 3, rate, "square", 0.003, step * 2, rng),
                            0.12,
                        )
    elif instrument in ("arp", "lead"):
        for b in range(bars):
            chord = chords[b % 4]
            if instrument == "arp":
                order = chord + [chord[0] + 12]
                for s in range(16):
                    n = order[s % len(order)] + 12
                    canvas.add(
                        b * 4 * beat + s * step,
                        _tone(_midi_hz(n), step * 0.9, rate, "square", 0.002, step * 0.5, rng),
                        0.18,
                    )
            else:
                for s in range(0, 16, 2):
                    if rng.random() < 0.35:
                        continue
                    degree = int(rng.integers(7))
                    n = 72 + root + scale[degree]
                    canvas.add(
                        b * 4 * beat + s * step, _tone(_midi_hz(n), step * 1.8, rate, "saw", 0.01, step * 1.5, rng), 0.2
                    )
    else:  # fx: a riser over the loop into an impact on its downbeat
        t = np.arange(frames) / rate
        span = frames / rate
        noise = np.diff(rng.standard_normal(frames + 1))
        rise = noise * (t / span) ** 2 * 0.3
        sweep = np.sin(2 * np.pi * np.cumsum(200 + 1800 * (t / span) ** 2) / rate) * (t / span) ** 3 * 0.2
        canvas.out += rise + sweep
        canvas.add(0.0, _drum("kick", rate, rng), 0.9)
    out = canvas.out
    peak = float(np.max(np.abs(out))) or 1.0
    out = out * (10 ** (-3 / 20) / peak)  # peaks at −3 dBFS: headroom for sixteen pads
    stereo = np.vstack([out, out]).astype(np.float32)
    if instrument in ("pad", "arp", "percussion"):  # a little width, still mono-safe
        shift = int(0.006 * rate)
        stereo[1] = np.roll(out, shift).astype(np.float32)
    return stereo


def describe(instrument: str, genre: str, key: str | None, bpm: float) -> str:
    root, minor = parse_key(key)
    return f"{genre} {instrument} in {key_name(root, minor)} at {bpm:g} BPM"
