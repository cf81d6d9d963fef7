"""Controller mapping files: data describing a device, loaded and validated.

A mapping is an ``info`` block (device, description, MIDI port-name patterns),
``init``/``exit`` messages, an ``leds`` block (how the device lights a control
and which colour each pad state gets) and a flat list of ``controls`` that bind
a note or CC (or a 4×4 ``grid`` template, or a range) to actions. A wrong file
is reported with its path, line and the allowed values; the daemon runs on
without it. MIDI channels are written 1..16, as the devices' manuals do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

PRESS_ACTIONS = (
    "pad.trigger",
    "pad.play",
    "pad.stop",
    "pad.clear",
    "pad.mute",
    "pad.solo",
    "pads.stop",
    "pads.panic",
    "tempo.tap",
    "undo",
    "redo",
    "pad.regenerate",
    "pad.cancel",
    "shift",
    "transport.play",
    "transport.stop",
    "transport.record",
    "transport.metronome",
    "scene.1",
    "scene.2",
    "scene.3",
    "scene.4",
)
VALUE_ACTIONS = {"pad.gain": (0.0, 1.0), "pad.pan": (-1.0, 1.0), "master.gain": (0.0, 1.0), "tempo": (60.0, 180.0)}
PAD_ACTIONS = {
    "pad.trigger",
    "pad.play",
    "pad.stop",
    "pad.clear",
    "pad.mute",
    "pad.solo",
    "pad.gain",
    "pad.pan",
    "pad.regenerate",
    "pad.cancel",
}
LED_WHEN = (
    "playing",
    "loaded",
    "muted",
    "soloed",
    "shift",
    "queued",
    "song.playing",
    "song.recording",
    "metronome",
    "beat",
)
SONG_LEDS = ("song.playing", "song.recording", "metronome", "beat")  # lit by the song transport, not a pad
LED_MODES = ("static", "flash", "pulse")
PAD_LED_STATES = (
    "empty",
    "loaded",
    "queued",
    "playing",
    "stopping",
    "generating",
    "next",
    "error",
    "failed",
)
PROTOCOLS = ("launchpad", "note")
ANY_CHANNEL = -1  # a mapping with `channel: any` answers on every channel


class MappingError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Colour:
    value: int
    mode: str = "static"


@dataclass(frozen=True)
class LedRule:
    """A control lit by a condition: ``when`` the pad (or shift, or the song) is so, ``colour``, else ``else``.

    ``beat`` is lit on the song's odd beats (the first in ``accent`` where given), so one light counts the bar.
    """

    when: str
    on: Colour
    off: Colour
    accent: Colour | None = None


@dataclass
class Control:
    kind: str  # note or cc
    channel: int  # 0..15 on the wire
    number: int
    press: str | None = None
    shift: str | None = None
    value: str | None = None
    pad: int | None = None  # 1..16
    shift_pad: int | None = None
    led: str | LedRule | None = None  # "pad" or a rule
    lo: float = 0.0
    hi: float = 1.0
    relative: bool = False
    step: float = 0.01

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.kind, self.channel, self.number)


@dataclass
class Leds:
    protocol: str = "note"
    sysex: bytes = b""
    channels: dict[str, int] = field(default_factory=lambda: {"static": 0, "flash": 0, "pulse": 0})
    pad: dict[str, Colour] = field(default_factory=dict)


@dataclass
class Mapping:
    name: str
    path: str
    device: str
    description: str
    ports: list[str]
    exclude: list[str]
    clock: bool
    velocity_gain: bool
    fallback: bool  # only for ports no other mapping claims (the generic mapping)
    init: list[bytes]
    exit: list[bytes]
    leds: Leds | None
    controls: list[Control]
    by_key: dict[tuple[str, int, int], Control] = field(default_factory=dict)

    def control_for(self, kind: str, channel: int, number: int) -> Control | None:
        return self.by_key.get((kind, channel, number)) or self.by_key.get((kind, ANY_CHANNEL, number))

    def matches(self, port_name: str) -> bool:
        if any(re.search(p, port_name, re.IGNORECASE) for p in self.exclude):
            return False
        return any(re.search(p, port_name, re.IGNORECASE) for p in self.ports)
