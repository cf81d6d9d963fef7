"""Parsing and checking mapping files: every problem with its file, line and the allowed values."""

from __future__ import annotations

import difflib
import math
import os
import re

from padserver.actions import fields
from padserver.control.mappings import (
    ANY_CHANNEL,
    LAYERS,
    LED_MODES,
    LED_WHEN,
    LIVE_SLOT_ACTIONS,
    PAD_ACTIONS,
    PAD_LED_STATES,
    PRESS_ACTIONS,
    PROTOCOLS,
    VALUE_ACTIONS,
    Colour,
    Control,
    LedRule,
    Leds,
    Mapping,
    MappingError,
)
from padserver.values import Invalid, Kind, Whole

CHANNEL = Whole(1, 16)
DATA = Whole(0, 127)  # a note or controller number, a colour

# -- YAML with line numbers ------------------------------------------------------------------


def _load_yaml(text: str):
    import yaml

    class LineLoader(yaml.SafeLoader):
        pass

    def construct_mapping(loader, node, deep=False):
        mapping = LineDict(loader.construct_mapping(node, deep=deep))
        mapping.line = node.start_mark.line + 1
        return mapping

    LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    return yaml.load(text, Loader=LineLoader)  # noqa: S506 - SafeLoader subclass


class LineDict(dict):
    line = 0


# -- parsing -----------------------------------------------------------------------------------


class Reader:
    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[str] = []

    def fail(self, node, where: str, message: str) -> None:
        line = getattr(node, "line", 0)
        self.problems.append(f"{self.path}:{line}: {where}: {message}" if line else f"{self.path}: {where}: {message}")

    def keys(self, node, where: str, allowed: tuple[str, ...]) -> None:
        for key in node:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f" (did you mean {close[0]}?)" if close else f" (allowed: {', '.join(allowed)})"
                self.fail(node, where, f"unknown key {key!r}{hint}")

    def bytes_list(self, node, raw, where: str) -> list[bytes]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.fail(node, where, "must be a list of MIDI messages such as 'F0 00 20 29 02 0C 0E 01 F7'")
            return []
        out = []
        for i, item in enumerate(raw):
            data = self.message(node, item, f"{where}[{i}]")
            if data is not None:
                out.append(data)
        return out

    def message(self, node, item, where: str) -> bytes | None:
        try:
            if isinstance(item, str):
                data = bytes(int(b, 16) for b in item.split())
            elif isinstance(item, list) and all(isinstance(b, int) and not isinstance(b, bool) for b in item):
                data = bytes(item)
            else:
                raise ValueError
        except ValueError:
            self.fail(
                node,
                where,
                f"{item!r} is not a MIDI message (hex bytes such as 'F0 7E F7', or a list of numbers 0..255)",
            )
            return None
        if not data or data[0] < 0x80:
            self.fail(node, where, "a MIDI message starts with a status byte (0x80..0xFF)")
            return None
        if data[0] == 0xF0 and data[-1] != 0xF7:
            self.fail(node, where, "a SysEx message must end with F7")
            return None
        return data

    def colour(self, node, raw, where: str) -> Colour | None:
        parts = str(raw).split()
        try:
            value = int(parts[0], 0)
        except (ValueError, IndexError):
            self.fail(
                node, where, f"colour must be a number 0..127, optionally followed by flash or pulse (got {raw!r})"
            )
            return None
        mode = parts[1] if len(parts) > 1 else "static"
        if not 0 <= value <= 127 or mode not in LED_MODES or len(parts) > 2:
            self.fail(node, where, f"colour must be 0..127 and the mode one of {', '.join(LED_MODES)} (got {raw!r})")
            return None
        return Colour(value, mode)

    def value(self, node, kind: Kind, raw, where: str, what: str = ""):
        """``raw`` parsed as ``kind``, or None with the problem noted (``what`` names it in the message)."""
        try:
            return kind.parse(raw)
        except Invalid as exc:
            self.fail(node, where, f"{what} {exc}" if what else str(exc))
            return None

    def channel(self, node, raw, where: str) -> int | None:
        channel = self.value(node, CHANNEL, raw, where, "channel")
        return None if channel is None else channel - 1


def _parse_leds(r: Reader, node) -> Leds | None:
    if node is None:
        return None
    if not isinstance(node, dict):
        r.fail(node, "leds", "must be a mapping with protocol, pad colours …")
        return None
    r.keys(node, "leds", ("protocol", "sysex", "channels", "pad"))
    leds = Leds()
    protocol = node.get("protocol", "note")
    if protocol not in PROTOCOLS:
        r.fail(node, "leds.protocol", f"must be one of {', '.join(PROTOCOLS)} (got {protocol!r})")
    leds.protocol = protocol
    if protocol == "launchpad":
        try:
            header = bytes(int(b, 16) for b in str(node.get("sysex", "")).split())
        except ValueError:
            header = b""
        if not header or header[0] != 0xF0 or 0xF7 in header:
            r.fail(
                node, "leds.sysex", "the launchpad protocol needs the device's SysEx header, e.g. 'F0 00 20 29 02 0C'"
            )
        else:
            leds.sysex = header
    channels = node.get("channels", {}) or {}
    if not isinstance(channels, dict):
        r.fail(node, "leds.channels", "must map static/flash/pulse to a channel 1..16")
        channels = {}
    r.keys(channels, "leds.channels", LED_MODES)
    for mode in LED_MODES:
        ch = r.channel(channels, channels.get(mode, 1), f"leds.channels.{mode}")
        if ch is not None:
            leds.channels[mode] = ch
    pad = node.get("pad", {}) or {}
    if not isinstance(pad, dict):
        r.fail(node, "leds.pad", "must map pad states to colours")
        pad = {}
    states = PAD_LED_STATES + tuple(f"{s}_{flag}" for s in PAD_LED_STATES for flag in ("muted", "soloed"))
    r.keys(pad, "leds.pad", states)
    for key, raw in pad.items():
        colour = r.colour(pad, raw, f"leds.pad.{key}")
        if colour is not None:
            leds.pad[key] = colour
    for state in ("empty", "loaded", "playing"):
        if state not in leds.pad:
            r.fail(pad or node, "leds.pad", f"needs a colour for {state!r}")
    return leds


def _addresses(r: Reader, node, where: str, default_channel: int) -> list[tuple[str, int, int, int | None]]:
    """(kind, channel, number, pad offset) for each control a ``controls`` entry stands for."""
    channel = default_channel
    if "channel" in node:
        ch = r.channel(node, node["channel"], f"{where}.channel")
        channel = default_channel if ch is None else ch
    if "grid" in node:
        grid = node["grid"]
        if not isinstance(grid, dict):
            r.fail(node, f"{where}.grid", "must be {note|cc: first, across: step, down: step}")
            return []
        r.keys(grid, f"{where}.grid", ("note", "cc", "across", "down", "channel"))
        kind = "note" if "note" in grid else "cc"
        first = grid.get(kind)
        across, down = grid.get("across", 1), grid.get("down", -4)
        if "channel" in grid:
            ch = r.channel(grid, grid["channel"], f"{where}.grid.channel")
            channel = channel if ch is None else ch
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (first, across, down)):
            r.fail(grid, f"{where}.grid", "first (note or cc), across and down must be whole numbers")
            return []
        out: list[tuple[str, int, int, int | None]] = []
        for i in range(16):
            number = first + (i % 4) * across + (i // 4) * down
            if not 0 <= number <= 127:
                r.fail(grid, f"{where}.grid", f"pad {i + 1} lands on {kind} {number}, outside 0..127")
                return []
            out.append((kind, channel, number, i))
        return out
    kinds = [k for k in ("note", "cc") if k in node]
    if len(kinds) != 1:
        r.fail(node, where, "needs exactly one of note, cc or grid")
        return []
    kind = kinds[0]
    raw = node[kind]
    if isinstance(raw, list) and len(raw) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in raw):
        lo, hi = raw
        if not (0 <= lo <= 127 and 0 <= hi <= 127):  # (checked before the range is built: it may be huge)
            r.fail(node, f"{where}.{kind}", f"must be in range 0..127 (got {raw!r})")
            return []
        numbers = list(range(lo, hi + 1)) if lo <= hi else list(range(lo, hi - 1, -1))
    elif isinstance(raw, int) and not isinstance(raw, bool):
        numbers = [raw]
    else:
        r.fail(node, f"{where}.{kind}", f"must be a number 0..127 or a range [first, last] (got {raw!r})")
        return []
    if any(not 0 <= n <= 127 for n in numbers):
        r.fail(node, f"{where}.{kind}", f"must be in range 0..127 (got {raw!r})")
        return []
    many = len(numbers) > 1
    return [(kind, channel, n, i if many else None) for i, n in enumerate(numbers)]


CONTROL_KEYS = (
    "grid",
    "note",
    "cc",
    "channel",
    "press",
    "shift",
    "value",
    "pad",
    "shift_pad",
    "led",
    "range",
    "relative",
    "step",
    "layer",
)


def parse_control(r: Reader, node, i: int, default_channel: int) -> list[Control]:
    where = f"controls[{i}]"
    if not isinstance(node, dict):
        r.fail(node, where, "must be a mapping (grid/note/cc plus press/value …)")
        return []
    r.keys(node, where, CONTROL_KEYS)
    for key, allowed in (("press", PRESS_ACTIONS), ("shift", PRESS_ACTIONS), ("value", tuple(VALUE_ACTIONS))):
        action = node.get(key)
        if action is not None and action not in allowed:
            close = difflib.get_close_matches(str(action), allowed, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            r.fail(node, f"{where}.{key}", f"unknown action {action!r} ({hint}allowed: {', '.join(allowed)})")
            return []
    if not any(k in node for k in ("press", "value")):
        r.fail(node, where, "needs a press or a value action")
        return []
    led = node.get("led")
    rule: str | LedRule | None = None
    if led == "pad":
        rule = "pad"
    elif isinstance(led, dict):
        # (not on/off: YAML reads those words as true/false)
        r.keys(led, f"{where}.led", ("when", "colour", "else", "accent"))
        when = led.get("when")
        if when not in LED_WHEN:
            r.fail(led, f"{where}.led.when", f"must be one of {', '.join(LED_WHEN)} (got {when!r})")
        on = r.colour(led, led.get("colour", 127), f"{where}.led.colour")
        off = r.colour(led, led.get("else", 0), f"{where}.led.else")
        accent = r.colour(led, led["accent"], f"{where}.led.accent") if "accent" in led else None
        if when in LED_WHEN and on is not None and off is not None:
            rule = LedRule(when, on, off, accent)
    elif led is not None:
        r.fail(node, f"{where}.led", f"must be 'pad' or {{when, colour, else}} (got {led!r})")
    value = node.get("value")
    lo, hi = VALUE_ACTIONS.get(str(value), (0.0, 1.0))
    if "range" in node:
        rng = node["range"]
        if not (
            isinstance(rng, list)
            and len(rng) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in rng)
        ):
            r.fail(node, f"{where}.range", f"must be [low, high] (got {rng!r})")
        else:
            lo, hi = float(rng[0]), float(rng[1])
    step = node.get("step", 0.01)
    if isinstance(step, bool) or not isinstance(step, (int, float)) or not 0 < step < math.inf:
        r.fail(node, f"{where}.step", f"must be a positive number (got {step!r})")
        return []
    for key in ("pad", "shift_pad"):
        if key in node and r.value(node, fields.PAD, node[key], f"{where}.{key}") is None:
            return []
    layer = node.get("layer")
    if layer is not None and layer not in LAYERS:
        r.fail(node, f"{where}.layer", f"must be one of {', '.join(LAYERS)} (got {layer!r})")
        return []
    out = []
    for kind, channel, number, offset in _addresses(r, node, where, default_channel):
        pad = node.get("pad")
        shift_pad = node.get("shift_pad")
        action = value
        if offset is not None and value in LIVE_SLOT_ACTIONS:  # a range of weights: one slot each
            slot = LIVE_SLOT_ACTIONS.index(value) + offset
            if slot >= len(LIVE_SLOT_ACTIONS):
                r.fail(node, where, f"a live pad has {len(LIVE_SLOT_ACTIONS)} prompt weights: the range runs past")
                return []
            action = LIVE_SLOT_ACTIONS[slot]
        elif offset is not None:
            pad = (pad or 1) + offset
            shift_pad = None if shift_pad is None else shift_pad + offset
        uses_pad = node.get("press") in PAD_ACTIONS or node.get("shift") in PAD_ACTIONS or value in PAD_ACTIONS
        if uses_pad and not (isinstance(pad, int) and 1 <= pad <= 16):
            r.fail(node, where, f"pad actions need pad 1..16 (got {pad!r}; a grid or range numbers them itself)")
            return []
        out.append(
            Control(
                kind=kind,
                channel=channel,
                number=number,
                press=node.get("press"),
                shift=node.get("shift"),
                value=action,
                pad=pad,
                shift_pad=shift_pad,
                led=rule,
                lo=lo,
                hi=hi,
                relative=bool(node.get("relative", False)),
                step=step,
                layer=layer,
            )
        )
    return out


def parse(text: str, path: str) -> Mapping:
    """Parse one mapping file's text; raises MappingError with every problem found."""
    import yaml

    r = Reader(path)
    try:
        data = _load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise MappingError([f"{path}{line}: not valid YAML ({getattr(exc, 'problem', exc)})"]) from None
    if not isinstance(data, dict):
        raise MappingError([f"{path}: a mapping file is a mapping with info, leds and controls"])
    r.keys(data, "(top)", ("info", "channel", "init", "exit", "leds", "controls"))
    info = data.get("info")
    if not isinstance(info, dict):
        raise MappingError([f"{path}: needs an info block with device and ports"])
    r.keys(info, "info", ("device", "description", "author", "ports", "exclude", "clock", "velocity_gain", "fallback"))
    ports = info.get("ports") or []
    exclude = info.get("exclude") or []
    for key, patterns in (("ports", ports), ("exclude", exclude)):
        if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
            r.fail(info, f"info.{key}", "must be a list of port-name patterns (regular expressions)")
            continue
        for p in patterns:
            try:
                re.compile(p)
            except re.error as exc:
                r.fail(info, f"info.{key}", f"{p!r} is not a valid pattern ({exc})")
    if not ports:
        r.fail(info, "info.ports", "needs at least one port-name pattern")
    default_channel = 0
    if data.get("channel") == "any":
        default_channel = ANY_CHANNEL
    elif "channel" in data:
        ch = r.channel(data, data["channel"], "channel")
        default_channel = 0 if ch is None else ch
    controls: list[Control] = []
    raw_controls = data.get("controls") or []
    if not isinstance(raw_controls, list):
        r.fail(data, "controls", "must be a list")
        raw_controls = []
    for i, node in enumerate(raw_controls):
        controls += parse_control(r, node, i, default_channel)
    mapping = Mapping(
        name=os.path.splitext(os.path.basename(path))[0],
        path=path,
        device=str(info.get("device", "")),
        description=str(info.get("description", "")),
        ports=list(ports) if isinstance(ports, list) else [],
        exclude=list(exclude) if isinstance(exclude, list) else [],
        clock=bool(info.get("clock", False)),
        velocity_gain=bool(info.get("velocity_gain", False)),
        fallback=bool(info.get("fallback", False)),
        init=r.bytes_list(data, data.get("init"), "init"),
        exit=r.bytes_list(data, data.get("exit"), "exit"),
        leds=_parse_leds(r, data.get("leds")),
        controls=controls,
    )
    for c in controls:
        if mapping.add(c) is not None:
            kind = "note" if c.kind == "note" else "CC"
            layer = f" in the {c.layer} layer" if c.layer else ""
            r.problems.append(f"{path}: {kind} {c.number} on channel {c.channel + 1} is bound twice{layer}")
    if r.problems:
        raise MappingError(r.problems)
    return mapping
