"""The live project: pads and global musical settings (plain data, no I/O)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from padserver.state.song import Song

PAD_COUNT = 16
PAD_STATES = ("empty", "loaded", "queued", "playing", "stopping", "error")
LIVE_SLOTS = 8  # weighted prompts a live pad steers its stream with


@dataclass
class Pad:
    """One pad's settings and its visible state; ``number`` counts 1..16 row-major from the top left."""

    number: int
    name: str = ""
    mode: str = "loop"
    gain: float = 1.0
    pan: float = 0.0
    mute: bool = False
    solo: bool = False
    region: tuple[float, float] = (0.0, 1.0)
    quantum: str = "global"
    choke: int = 0
    group: int = 0  # pads that move together: a scene launch and /group/n/play|stop take all of them (0 = none)
    keep: bool = False  # live mode never retires it
    fx: dict = field(default_factory=dict)  # its effects' settings that are not off (state.effects.DEFAULTS)
    loop_id: int | None = None  # the library loop on the pad
    source: str = ""  # the loop's name, for people reading the state
    bars: int = 0
    state: str = "empty"
    error: str = ""
    generating: bool = False  # a generation job for this pad is running
    sounding: bool = False  # the engine reported it playing
    prepared_bpm: float = 0.0  # the tempo its buffer is fitted to (elsewhere it plays resampled)
    next_up: bool = False  # live mode's next loop goes here (the grid shows it)
    live: str = "closed"  # a live pad's stream: closed, connecting, buffering, playing, underrun
    # a live pad's steering: up to LIVE_SLOTS weighted prompts ((text, weight), "" for an empty slot) and the
    # model's settings (density, brightness, …)
    live_prompts: list = field(default_factory=lambda: [("", 1.0)] * LIVE_SLOTS)
    live_settings: dict = field(default_factory=dict)

    @property
    def has_audio(self) -> bool:
        return self.state not in ("empty", "error")

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("sounding")
        d.pop("prepared_bpm")
        d.pop("live")
        d.pop("next_up")
        d["live_prompts"] = [list(p) for p in self.live_prompts]
        d["region"] = list(self.region)
        return d


@dataclass
class Project:
    tempo: float = 120.0
    beats_per_bar: int = 4
    quantize: str = "1"
    key: str = ""  # the project's key ("Am", "F#"; "" for none): live pads and generation use it
    master_gain: float = 1.0
    master_fx: dict = field(default_factory=dict)  # the master's effects (the reverb's return under "reverb")
    prompt: str = ""  # what the tablets' prompt field holds: pads generate from it when given no words
    song: Song = field(default_factory=Song)  # the arrangement
    transport: str = "stopped"  # the song transport: playing, paused, stopped, recording (not saved)
    metronome: bool = False  # (not saved)
    beat: int = 0  # the song's beat in its bar from 1 while it plays, else 0 (not saved)
    live_mode: str = "stopped"  # live mode: running or stopped (not saved)
    live_next: int = 0  # the pad live mode's next loop goes to, 0 for none (not saved)
    fx_pad: int = 1  # the pad the tablets' and controllers' effects controls play (not saved)
    live_pad: int = 0  # the live pad knobs and tablets steer: the one last started, else the first (not saved)
    pads: list[Pad] = field(default_factory=lambda: [Pad(i) for i in range(1, PAD_COUNT + 1)])

    def pad(self, number: int) -> Pad:
        return self.pads[number - 1]

    def pad_gains(self) -> np.ndarray:
        """Effective left/right gain of every pad: gain, constant-power pan, mute, solo-in-place."""
        gains = np.zeros((len(self.pads), 2), dtype=np.float32)
        any_solo = any(p.solo for p in self.pads)
        for i, p in enumerate(self.pads):
            if p.mute or (any_solo and not p.solo):
                continue
            theta = (p.pan + 1.0) * math.pi / 4.0  # centre: −3 dB each side; hard pan: 0 dB one side
            gains[i] = (p.gain * math.cos(theta), p.gain * math.sin(theta))
        return gains
