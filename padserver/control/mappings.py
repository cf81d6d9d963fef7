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
    "pad.live",  # the pad becomes a live pad (a loop pad again on the next)
    "pad.capture",  # a live pad's last 4 bars kept as a loop
    "live.mode",  # live mode started (as it was last set, else on all the pads) or stopped
    "layer.live",  # the controls of the live layer take over (faders: the live pad's prompt weights) or let go
    "layer.fx",  # the controls of the effects layer take over (faders: the selected pad's effects) or let go
    "pad.select",  # the pad the effects controls play (also shift + a pad while the effects layer is on)
    "live.mute_bass",  # the live pad's switches, on or off
    "live.mute_drums",
    "live.only_bass_and_drums",
)
LIVE_SLOT_ACTIONS = tuple(f"live.weight.{slot}" for slot in range(1, 9))  # a live pad's prompt weights, by slot
VALUE_ACTIONS = {
    "pad.gain": (0.0, 1.0),
    "pad.pan": (-1.0, 1.0),
    "master.gain": (0.0, 1.0),
    "tempo": (60.0, 180.0),
    **{action: (0.0, 2.0) for action in LIVE_SLOT_ACTIONS},
    "live.density": (0.0, 1.0),
    "live.brightness": (0.0, 1.0),
    "live.guidance": (0.0, 6.0),
    "live.temperature": (0.0, 3.0),
    # the selected pad's effects (else the pad named): the filter's position, its resonance, EQ bands in dB (the
    # bottom kills), the delay's echo level and feedback, the reverb send
    "fx.filter": (-1.0, 1.0),
    "fx.resonance": (0.0, 1.0),
    "fx.eq.low": (-24.0, 6.0),
    "fx.eq.mid": (-24.0, 6.0),
    "fx.eq.high": (-24.0, 6.0),
    "fx.delay.mix": (0.0, 1.0),
    "fx.delay.feedback": (0.0, 1.0),
    "fx.reverb": (0.0, 1.0),
}
# steer a live pad: the one named (``pad:``), else the live pad last started
LIVE_ACTIONS = {a for a in (*PRESS_ACTIONS, *VALUE_ACTIONS) if a.startswith("live.") and a != "live.mode"}
FX_ACTIONS = {a for a in VALUE_ACTIONS if a.startswith("fx.")}  # (the pad named, else the selected pad)
LAYERS = ("live", "fx")  # a control with ``layer: live`` takes over its note or CC while that layer is on
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
    "pad.live",
    "pad.capture",
    "pad.select",
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
    "layer.live",
    "layer.fx",
    "layer.on",  # any layer
    "live.running",
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
    layer: str | None = None  # only while that layer is on (it takes over the note or CC from the one without)

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
    layered: dict[tuple[str, str, int, int], Control] = field(default_factory=dict)  # (layer, kind, channel, n)

    def control_for(self, kind: str, channel: int, number: int, layer: str | None = None) -> Control | None:
        if layer is not None and self.layered:
            found = self.layered.get((layer, kind, channel, number)) or self.layered.get(
                (layer, kind, ANY_CHANNEL, number)
            )
            if found is not None:
                return found
        return self.by_key.get((kind, channel, number)) or self.by_key.get((kind, ANY_CHANNEL, number))

    def add(self, control: Control) -> Control | None:
        """Index ``control`` (a learned one replaces the one on its note or CC in its layer); the one replaced."""
        if control.layer is not None:
            old = self.layered.get((control.layer, *control.key))
            self.layered[(control.layer, *control.key)] = control
        else:
            old = self.by_key.get(control.key)
            self.by_key[control.key] = control
        return old

    def matches(self, port_name: str) -> bool:
        if any(re.search(p, port_name, re.IGNORECASE) for p in self.exclude):
            return False
        return any(re.search(p, port_name, re.IGNORECASE) for p in self.ports)
