"""The tablet layouts that ship in ``mappings/``: TouchOSC (.tosc) and Open Stage Control (.json).

Both are generated from one description of the surface, so they cannot drift
apart, and a test checks every address they use against the daemon's tables.
Run ``python -m padserver.control.tablets mappings/`` to write them again.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Callable
from dataclasses import dataclass

WIDTH, HEIGHT = 1024, 768


@dataclass(frozen=True)
class Widget:
    kind: str  # button, toggle, fader, label, meter, text (an editable field that sends its words)
    name: str
    address: str
    x: int
    y: int
    w: int
    h: int
    lo: float = 0.0
    hi: float = 1.0
    text: str = ""


def surface() -> list[Widget]:
    """16 pads with names and states, gain and pan per pad, tempo with tap, master gain and meter."""
    out: list[Widget] = []
    cell, gap, top = 150, 10, 60
    for n in range(1, 17):
        row, col = divmod(n - 1, 4)
        x, y = 10 + col * (cell + gap), top + row * (cell + gap)
        out.append(Widget("button", f"pad{n}", f"/pad/{n}/trigger", x, y, cell, 90))
        out.append(Widget("label", f"pad{n}_name", f"/pad/{n}/name", x, y + 2, cell, 24, text=f"pad {n}"))
        out.append(Widget("label", f"pad{n}_state", f"/pad/{n}/state", x, y + 64, cell, 24, text="empty"))
        out.append(Widget("fader", f"pad{n}_gain", f"/pad/{n}/gain", x, y + 94, cell, 24, 0.0, 2.0))
        out.append(Widget("fader", f"pad{n}_pan", f"/pad/{n}/pan", x, y + 122, cell, 22, -1.0, 1.0))
        out.append(Widget("toggle", f"pad{n}_mute", f"/pad/{n}/mute", x + cell - 40, y + 30, 36, 28))
        out.append(Widget("button", f"pad{n}_generate", f"/pad/{n}/generate", x + 4, y + 30, 36, 28))
    right = 660
    out += [
        Widget("label", "transport", "/transport/state", 10, 10, 300, 40, text="stopped"),
        Widget("button", "song_play", "/transport/play", 320, 10, 80, 40),
        Widget("button", "song_stop", "/transport/stop", 405, 10, 80, 40),
        Widget("toggle", "song_record", "/transport/record", 490, 10, 80, 40),
        Widget("toggle", "metronome", "/transport/metronome", 575, 10, 80, 40),
        Widget("fader", "tempo", "/tempo", right, top, 340, 40, 20.0, 300.0),
        Widget("label", "tempo_value", "/tempo", right, top + 44, 160, 30, text="120"),
        Widget("button", "tap", "/tempo/tap", right + 180, top + 44, 160, 60),
        Widget("button", "stop_all", "/pads/stop", right, top + 120, 160, 60),
        Widget("button", "panic", "/pads/panic", right + 180, top + 120, 160, 60),
        Widget("fader", "master", "/master/gain", right, top + 200, 340, 40, 0.0, 2.0),
        Widget("meter", "master_level", "/master/level", right, top + 250, 340, 24),
        # the words the pads' generate buttons use; the daemon echoes them to every tablet
        Widget("text", "prompt", "/prompt", right, top + 300, 340, 80, text="dusty boom bap drums"),
    ]
    return out


# -- TouchOSC ------------------------------------------------------------------------------------

_TOSC_TYPES = {
    "button": "BUTTON",
    "toggle": "BUTTON",
    "fader": "FADER",
    "label": "LABEL",
    "meter": "FADER",
    "text": "TEXT",
}


def _prop(parent, kind: str, key: str, value=None, **fields) -> None:
    prop = ET.SubElement(parent, "property", type=kind)
    ET.SubElement(prop, "key").text = key
    val = ET.SubElement(prop, "value")
    if fields:
        for k, v in fields.items():
            ET.SubElement(val, k).text = str(v)
    else:
        val.text = "" if value is None else str(value)


def _partial(parent, kind: str, conversion: str, value: str, lo: float = 0.0, hi: float = 1.0) -> None:
    partial = ET.SubElement(parent, "partial")
    for key, text in (("type", kind), ("conversion", conversion), ("value", value), ("scaleMin", lo), ("scaleMax", hi)):
        ET.SubElement(partial, key).text = str(text)


def _tosc_node(parent, w: Widget, seed: int):
    node = ET.SubElement(parent, "node", ID=str(uuid.UUID(int=seed)), type=_TOSC_TYPES[w.kind])
    props = ET.SubElement(node, "properties")
    _prop(props, "s", "name", w.name)
    _prop(props, "r", "frame", x=w.x, y=w.y, w=w.w, h=w.h)
    if w.kind == "toggle":
        _prop(props, "i", "buttonType", 1)  # toggle release
    if w.kind == "meter":
        _prop(props, "b", "interactive", 0)
    if w.kind in ("label", "text"):
        _prop(props, "s", "textSize", 14)
    if w.kind == "text":
        _prop(props, "b", "editable", 1)
    values = ET.SubElement(node, "values")
    key = "text" if w.kind in ("label", "text") else "x"
    value = ET.SubElement(values, "value")
    ET.SubElement(value, "key").text = key
    ET.SubElement(value, "default").text = w.text if w.kind in ("label", "text") else "0"
    messages = ET.SubElement(node, "messages")
    osc = ET.SubElement(messages, "osc")
    sends = w.kind not in ("label", "meter")
    for key2, text in (("enabled", 1), ("send", int(sends)), ("receive", 1), ("feedback", 0), ("connections", "00001")):
        ET.SubElement(osc, key2).text = str(text)
    triggers = ET.SubElement(osc, "triggers")
    trigger = ET.SubElement(triggers, "trigger")
    ET.SubElement(trigger, "var").text = key
    ET.SubElement(trigger, "condition").text = "ANY"
    path = ET.SubElement(osc, "path")
    _partial(path, "CONSTANT", "STRING", w.address)
    args = ET.SubElement(osc, "arguments")
    conversion = "STRING" if w.kind in ("label", "text") else "FLOAT"
    _partial(args, "VALUE", conversion, key, w.lo, w.hi)
    ET.SubElement(node, "children")
    return node


def touchosc(widgets: list[Widget]) -> bytes:
    root = ET.Element("lexml", version="3")
    top = ET.SubElement(root, "node", ID=str(uuid.UUID(int=1)), type="GROUP")
    props = ET.SubElement(top, "properties")
    _prop(props, "s", "name", "padserver")
    _prop(props, "r", "frame", x=0, y=0, w=WIDTH, h=HEIGHT)
    ET.SubElement(top, "values")
    ET.SubElement(top, "messages")
    children = ET.SubElement(top, "children")
    for i, w in enumerate(widgets):
        _tosc_node(children, w, 1000 + i)
    return zlib.compress(ET.tostring(root, encoding="UTF-8", xml_declaration=True), 9)


def touchosc_addresses(data: bytes) -> list[tuple[str, bool]]:
    """(address, sends) of every control in a .tosc file."""
    root = ET.fromstring(zlib.decompress(data))
    out = []
    for osc in root.iter("osc"):
        value = osc.find("path/partial/value")
        if value is not None and value.text:
            out.append((value.text, osc.findtext("send") == "1"))
    return out


# -- Open Stage Control ----------------------------------------------------------------------------

_OSC_TYPES = {
    "button": "button",
    "toggle": "button",
    "fader": "fader",
    "label": "text",
    "meter": "fader",
    "text": "input",
}


def open_stage_control(widgets: list[Widget]) -> str:
    items = []
    for w in widgets:
        item = {
            "type": _OSC_TYPES[w.kind],
            "id": w.name,
            "address": w.address,
            "left": w.x,
            "top": w.y,
            "width": w.w,
            "height": w.h,
            "label": w.text or w.name,
            "preArgs": [],
            "target": [],
        }
        if w.kind in ("button", "toggle"):
            item.update({"mode": "momentary" if w.kind == "button" else "toggle", "on": 1, "off": 0})
        if w.kind in ("fader", "meter"):
            item.update({"range": {"min": w.lo, "max": w.hi}, "horizontal": True})
        if w.kind == "text":
            item["value"] = w.text
        if w.kind in ("label", "meter"):
            item["interaction"] = False
            item["bypass"] = True  # shows what the daemon sends, sends nothing itself
        items.append(item)
    session = {
        "createdWith": "open-stage-control",
        "version": "1.26.0",
        "type": "session",
        "content": {"type": "root", "id": "root", "width": WIDTH, "height": HEIGHT, "widgets": items, "tabs": []},
    }
    return json.dumps(session, indent=1) + "\n"


def open_stage_control_addresses(text: str) -> list[tuple[str, bool]]:
    session = json.loads(text)
    return [(w["address"], not w.get("bypass", False)) for w in session["content"]["widgets"]]


FILES: dict[str, Callable[[], bytes]] = {
    "padserver.tosc": lambda: touchosc(surface()),
    "padserver-open-stage-control.json": lambda: open_stage_control(surface()).encode(),
}


def write(folder: str) -> None:
    for name, make in FILES.items():
        with open(os.path.join(folder, name), "wb") as fh:
            fh.write(make())


if __name__ == "__main__":
    write(sys.argv[1] if len(sys.argv) > 1 else "mappings")
