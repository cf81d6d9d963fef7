"""What each instrument plays: the offline generator's parts, written as notes onto a loop.

A part follows the loop's one chord progression (a chord per bar), keeps to
its chord tones (a lead's motif too, so it moves with the harmony), and has
two variations that differ in rhythm, register and voicing, as a musician's
A and B parts do. Drums swing and accent as their genre does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from padserver.providers.offline import sounds

PATTERNS = {  # 16 steps per bar: which drums hit where (variation 0)
    "house": {"kick": [0, 4, 8, 12], "clap": [4, 12], "openhat": [2, 6, 10, 14], "hat": list(range(0, 16, 2))},
    "techno": {"kick": [0, 4, 8, 12], "hat": list(range(16)), "clap": [4, 12], "openhat": [2, 10]},
    "hiphop": {"kick": [0, 7, 10], "snare": [4, 12], "hat": list(range(0, 16, 2))},
    "dnb": {"kick": [0, 10], "snare": [4, 12], "hat": list(range(0, 16, 2)), "openhat": [14]},
    "trap": {"kick": [0, 11], "snare": [8], "hat": list(range(16))},
    "rock": {"kick": [0, 8, 10], "snare": [4, 12], "hat": list(range(0, 16, 2))},
}
PATTERNS_B = {  # variation 1: a top loop, busier, with ghost notes and no kick (it layers over variation 0)
    "house": {"clap": [4, 12], "snare": [15], "openhat": [2, 6, 10, 14], "hat": list(range(16))},
    "techno": {"hat": list(range(0, 16, 2)), "clap": [4, 12], "ghost": [14], "openhat": [2, 6, 10, 14]},
    "hiphop": {"snare": [4, 12], "ghost": [7, 15], "hat": list(range(16))},
    "dnb": {"snare": [4, 12], "ghost": [9, 14], "hat": list(range(16)), "openhat": [14]},
    "trap": {"snare": [8], "hat": list(range(0, 16, 2)), "roll": [12, 13, 14, 15]},
    "rock": {"snare": [4, 12], "ghost": [7], "openhat": list(range(0, 16, 2))},
}
SWING = {"hiphop": 0.14, "house": 0.05, "dnb": 0.03}  # of a 16th: how late the off 16ths land


@dataclass
class Loop:
    """A loop being written: its length, grid, harmony and the samples so far."""

    genre: str
    bpm: float
    bars: int
    rate: int
    chords: list[list[int]]  # MIDI notes of each bar's chord (the progression, repeated)
    rng: np.random.Generator
    variation: int = 0
    out: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.beat = 60.0 / self.bpm
        self.step = self.beat / 4
        self.out = np.zeros(int(round(self.bars * 4 * self.beat * self.rate)), dtype=np.float64)

    def at(self, bar: int, step: float) -> float:
        """Seconds at 16th ``step`` of ``bar``, the off 16ths swung as the genre swings."""
        late = SWING.get(self.genre, 0.0) * self.step if int(step) % 2 else 0.0
        return (bar * 16 + step) * self.step + late

    def chord(self, bar: int) -> list[int]:
        return self.chords[bar % len(self.chords)]

    def add(self, at_s: float, sound: np.ndarray, gain: float = 1.0) -> None:
        """Mix ``sound`` in at ``at_s``; what runs past the end wraps to the start (a seamless loop)."""
        i = int(round(at_s * self.rate)) % len(self.out)
        n = len(sound)
        first = min(n, len(self.out) - i)
        self.out[i : i + first] += sound[:first] * gain
        if first < n:
            rest = min(n - first, len(self.out))
            self.out[:rest] += sound[first : first + rest] * gain


def hz(note: float) -> float:
    return 440.0 * 2 ** ((note - 69) / 12)


def _velocity(loop: Loop, step: int, base: float) -> float:
    """Accents where the groove puts them (the beat, then the off-beat 8th), a little life on top."""
    accent = 1.0 if step % 4 == 0 else 0.8 if step % 2 == 0 else 0.62
    return base * accent * float(1.0 + loop.rng.normal(0.0, 0.04))


def drums(loop: Loop, kit: str = "drums") -> None:
    rng, rate = loop.rng, loop.rate
    pattern = (PATTERNS_B if loop.variation else PATTERNS)[loop.genre]
    kit_sounds = {
        "kick": sounds.kick(rate, rng),
        "snare": sounds.snare(rate, rng),
        "ghost": sounds.snare(rate, rng),
        "clap": sounds.clap(rate, rng),
        "hat": sounds.hat(rate, rng),
        "openhat": sounds.hat(rate, rng, open_=True),
        "roll": sounds.hat(rate, rng),
    }
    level = {"kick": 1.0, "snare": 0.8, "ghost": 0.22, "clap": 0.75, "hat": 0.5, "openhat": 0.4, "roll": 0.35}
    for bar in range(loop.bars):
        last = bar == loop.bars - 1 and loop.bars > 1
        for kind, steps in pattern.items():
            for s in steps:
                if kind == "roll":  # a hat roll in 32nds, every other bar
                    if bar % 2:
                        for half in (0.0, 0.5):
                            loop.add(loop.at(bar, s + half), kit_sounds["roll"], level["roll"] * (0.6 + 0.1 * (s - 12)))
                    continue
                loop.add(loop.at(bar, s), kit_sounds[kind], _velocity(loop, s, level[kind]))
        if loop.variation and last and loop.genre not in ("trap",):  # a fill into the next round
            for k, s in enumerate((13, 14, 15)):
                loop.add(loop.at(bar, s), kit_sounds["snare"], 0.3 + 0.15 * k)


def percussion(loop: Loop) -> None:
    rng, rate = loop.rng, loop.rate
    root = loop.chord(0)[0] % 12
    if loop.variation == 0:  # a shaker in 16ths, a light clap on the backbeat
        shake, clap = sounds.shaker(rate, rng), sounds.clap(rate, rng)
        every = 1 if loop.genre in ("house", "techno", "dnb") else 2
        for bar in range(loop.bars):
            for s in range(0, 16, every):
                loop.add(loop.at(bar, s), shake, _velocity(loop, s + 2, 0.6))
            for s in (4, 12):
                loop.add(loop.at(bar, s), clap, 0.35)
    else:  # congas tuned to the key's root and fifth, in a syncopated figure
        low = sounds.conga(rate, rng, hz(48 + root))
        high = sounds.conga(rate, rng, hz(55 + root))
        figure = [(0, low), (3, high), (6, high), (8, low), (10, high), (13, high), (14, low)]
        for bar in range(loop.bars):
            for s, sound in figure:
                loop.add(loop.at(bar, s), sound, _velocity(loop, s, 0.7))


_BASS_RHYTHM = {  # (steps, length in steps) per genre, variation 0
    "house": ([0, 3, 6, 8, 11, 14], 2),
    "techno": ([2, 5, 8, 11, 14], 2),
    "hiphop": ([0, 7, 10], 5),
    "dnb": ([0, 10], 8),
    "trap": ([0, 11], 10),
    "rock": (list(range(0, 16, 2)), 2),
}


def bass(loop: Loop) -> None:
    """The chord's root in the genre's rhythm over a sine sub an octave under it, held through the bar (a sub
    under every note would pump, and so smear its pitch); variation 1 moves to the fifth and the octave."""
    rng, rate = loop.rng, loop.rate
    steps, length = _BASS_RHYTHM[loop.genre]
    if loop.variation:
        steps, length = ([2, 6, 10, 14], 2) if loop.genre in ("house", "techno") else ([0, 4, 8, 11, 14], 2)
    shape = "sine" if loop.genre in ("trap", "hiphop") else "warm"
    bar_s = 4 * loop.beat
    for bar in range(loop.bars):
        chord = loop.chord(bar)
        root = chord[0] - 12  # C2..B2
        sub = sounds.tone(hz(root - 12), bar_s + 0.01, rate, "sine", 0.01, 4 * bar_s, rng, release=0.01)
        loop.add(bar * bar_s, sub, 0.5)
        for i, s in enumerate(steps):
            note = (root, chord[2] - 12, root + 12)[i % 3] if loop.variation else root  # root, fifth, octave
            seconds = loop.step * length
            # soft edges (10 ms in, 20 ms out): a low note's spectrum stays within its semitone
            top = sounds.tone(hz(note), seconds, rate, shape, 0.01, seconds * 0.7, rng, release=0.02)
            loop.add(loop.at(bar, s), top, _velocity(loop, s, 0.45))


def chords(loop: Loop) -> None:
    """Stabs in the genre's rhythm; variation 1 an inversion an octave up, in a different rhythm."""
    rng, rate = loop.rng, loop.rate
    if loop.variation:
        rhythm = [3, 6, 10, 14] if loop.genre in ("house", "techno") else [0, 6, 12]
        length = 2.0
    else:
        rhythm = [0, 6, 10] if loop.genre in ("house", "techno") else [0, 8]
        length = 3.0 if loop.genre in ("house", "techno") else 6.0
    for bar in range(loop.bars):
        chord = loop.chord(bar)
        voicing = [n + 12 for n in chord] if not loop.variation else [chord[1] + 12, chord[2] + 12, chord[0] + 24]
        for s in rhythm:
            for n in voicing:
                seconds = loop.step * length
                note = sounds.tone(hz(n), seconds, rate, "square", 0.003, seconds * 0.6, rng)
                loop.add(loop.at(bar, s), note, _velocity(loop, s, 0.14))


def pad(loop: Loop) -> None:
    """A bar-long chord with a slow attack; variation 1 open (root, fifth, tenth, octave) and softer."""
    rng, rate = loop.rng, loop.rate
    for bar in range(loop.bars):
        chord = loop.chord(bar)
        voicing = chord if not loop.variation else [chord[0], chord[2], chord[1] + 12, chord[0] + 12]
        shape = "saw" if not loop.variation else "sine"
        for n in voicing:
            note = sounds.tone(hz(n), 4 * loop.beat, rate, shape, loop.beat * 0.8, 8 * loop.beat, rng, release=0.3)
            loop.add(bar * 4 * loop.beat, note, 0.12 if not loop.variation else 0.16)


def arp(loop: Loop) -> None:
    """Chord tones in 16ths going up; variation 1 up and down in 8ths, an octave lower."""
    rng, rate = loop.rng, loop.rate
    for bar in range(loop.bars):
        chord = loop.chord(bar)
        if loop.variation:
            order = chord + [chord[0] + 12, chord[2]]  # up and down: 1 3 5 8 5
            for s in range(0, 16, 2):
                n = order[(s // 2) % len(order)]
                note = sounds.tone(hz(n + 12), loop.step * 1.6, rate, "saw", 0.003, loop.step, rng)
                loop.add(loop.at(bar, s), note, _velocity(loop, s, 0.16))
        else:
            order = chord + [chord[0] + 12]
            for s in range(16):
                n = order[s % len(order)] + 24
                note = sounds.tone(hz(n), loop.step * 0.9, rate, "square", 0.002, loop.step * 0.5, rng)
                loop.add(loop.at(bar, s), note, _velocity(loop, s, 0.18))


def _motif(rng: np.random.Generator) -> list[tuple[int, int, int]]:
    """A two-bar motif: (step in 32, length in steps, chord-tone index 0..3 where 3 is the octave)."""
    starts = sorted(rng.choice(np.arange(0, 32, 2), size=int(rng.integers(5, 8)), replace=False).tolist())
    if starts[0] != 0:
        starts[0] = 0  # it starts on the downbeat
    degrees = [int(rng.integers(0, 3))]
    for _ in starts[1:]:
        degrees.append(int(np.clip(degrees[-1] + rng.choice([-1, 1, 1, 2]), 0, 3)))  # mostly steps, upward
    ends = starts[1:] + [32]
    return [(s, max(1, min(6, e - s)), d) for s, e, d in zip(starts, ends, degrees, strict=True)]


def lead(loop: Loop) -> None:
    """A motif on chord tones that follows the harmony; variation 1 answers it half a bar later, an octave up,
    its contour turned over."""
    rng, rate = loop.rng, loop.rate
    motif = _motif(rng)
    shift, octave = (8, 12) if loop.variation else (0, 0)
    for start_bar in range(0, loop.bars, 2):
        for s, length, degree in motif:
            at = s + shift
            bar = start_bar + at // 16
            if bar >= loop.bars:  # a one-bar loop keeps the motif's first bar
                continue
            chord = loop.chord(bar)
            tones = chord + [chord[0] + 12]
            d = 3 - degree if loop.variation else degree
            n = tones[d] + 24 + octave - 12
            seconds = loop.step * length * 0.95
            note = sounds.tone(hz(n), seconds, rate, "saw", 0.01, seconds * 0.8, rng, release=0.01)
            loop.add(loop.at(bar, at % 16), note, _velocity(loop, at, 0.22))


def fx(loop: Loop) -> None:
    """Variation 0: a riser that ends in its impact on the last bar's downbeat (the bar it lands on rings
    out); variation 1: an impact and a downlifter after it, for the start of a section."""
    rng, rate = loop.rng, loop.rate
    bar_s = 4 * loop.beat
    total = loop.bars * bar_s
    if loop.variation:
        loop.add(0.0, sounds.impact(rate, rng, min(total, 1.5)), 0.9)
        loop.add(0.0, sounds.downlifter(total * 0.9, rate, rng), 0.8)
        return
    lands = (loop.bars - 1) * bar_s if loop.bars > 1 else 3 * loop.beat
    loop.add(0.0, sounds.riser(lands, rate, rng), 1.0)
    loop.add(lands, sounds.impact(rate, rng, min(1.5, total - lands)), 0.9)


PARTS = {
    "drums": drums,
    "percussion": percussion,
    "bass": bass,
    "chords": chords,
    "pad": pad,
    "arp": arp,
    "lead": lead,
    "fx": fx,
}
