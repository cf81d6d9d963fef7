"""Controller mapping files: data describing a device, loaded and validated.

A mapping is an ``info`` block (device, description, MIDI port-name patterns),
``init``/``exit`` messages, an ``leds`` block (how the device lights a control
and which colour each pad state gets) and a flat list of ``controls`` that bind
a note or CC (or a 4×4 ``grid`` template, or a range) to actions. A wrong file
is reported with its path, line and the allowed values; the daemon runs on
without it. MIDI channels are written 1..16, as the devices' manuals do.
"""

from __future__ import annotations

import os
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


def parse_mapping(text: str, path: str) -> Mapping:
    """Parse one mapping file's text; raises MappingError with every problem found."""
    from padserver.control.mapping_parse import parse

    return parse(text, path)


def load_mapping(path: str) -> Mapping:
    with open(path, encoding="utf-8") as fh:
        return parse_mapping(fh.read(), path)


def shipped_dir() -> str:
    """The mappings that come with padserver: beside the source, or installed under share/."""
    import sys

    source = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "mappings")
    if os.path.isdir(source):
        return source
    return os.path.join(sys.prefix, "share", "padserver", "mappings")


def load_all(folders: list[str], log) -> list[Mapping]:
    """Every ``*.yaml`` mapping in ``folders``; later folders override earlier ones by file name.

    A broken file is logged with its problems and skipped; the others load.
    """
    found: dict[str, str] = {}
    for folder in folders:
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            if name.endswith((".yaml", ".yml")):
                found[os.path.splitext(name)[0]] = os.path.join(folder, name)
    mappings = []
    for _, path in sorted(found.items()):
        try:
            mappings.append(load_mapping(path))
        except MappingError as exc:
            log.error("mapping %s is not used:\n  %s", path, "\n  ".join(exc.problems))
        except OSError as exc:
            log.error("mapping %s cannot be read: %s", path, exc.strerror)
    return mappings


def layout_docs(folder: str | None = None) -> str:
    """docs/controllers.md: each shipped mapping's device and the layout picture from its header."""
    folder = folder or shipped_dir()
    lines = [
        "# Controller layouts",
        "",
        "Generated from the comments at the top of each file in `mappings/` by `padserver mappings --docs`;",
        "do not edit by hand. Pads are numbered 1..16 from the top left, as on the tablet.",
        "",
    ]
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".yaml"):
            continue
        with open(os.path.join(folder, name), encoding="utf-8") as fh:
            text = fh.read()
        header = []
        for line in text.splitlines():
            if not line.startswith("#"):
                break
            header.append(line[2:] if line.startswith("# ") else line[1:])
        mapping = parse_mapping(text, name)
        lines += [f"## {mapping.device} (`{name}`)", "", "```", *header, "```", ""]
    return "\n".join(lines)
