"""The tablet layouts that ship in ``mappings/``: TouchOSC (.tosc) and Open Stage Control (.json).

Both are generated from one description of the surface, so they cannot drift
apart, and a test checks every address they use against the daemon's tables.
Run ``python -m padserver.control.tablets mappings/`` to write them again.
"""

from __future__ import annotations

import json
import os
import re
import sys
import uuid
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Callable
from dataclasses import dataclass

WIDTH, HEIGHT = 1024, 768


@dataclass(frozen=True)
class Widget:
    """One control: ``kind`` is button (sends its press and its release), toggle, fader, label (shows the
    text padserver sends), meter (shows a value), or text (the prompt field: shows it; editable where the
    app can edit). ``caption`` is written on it; ``script`` names the Lua a TouchOSC control runs (below)."""

    kind: str
    name: str
    address: str
    x: int
    y: int
    w: int
    h: int
    lo: float = 0.0
    hi: float = 1.0
    text: str = ""
    caption: str = ""
    script: str = ""


def _grid(cell: int, gap: int, left: int, top: int) -> list[tuple[int, int, int]]:
    """(pad, x, y) of the 16 pads, 4 × 4 from the top left, as on the grid controllers."""
    return [(n, left + (n - 1) % 4 * (cell + gap), top + (n - 1) // 4 * (cell + gap)) for n in range(1, 17)]


def surface() -> list[Widget]:
    """The tablet surface (1024 × 768, landscape): 16 pads coloured by state with name, state, meter, gain,
    pan, mute, solo and generate; scene buttons per row; transport with record, metronome, position, time
    signature and quantize; tempo, tap, stop all, panic, undo, redo; master with a stereo meter; the prompt;
    the last error."""
    out: list[Widget] = []
    cell, gap, left, top = 150, 8, 10, 60
    for n, x, y in _grid(cell, gap, left, top):
        out += [
            Widget("button", f"pad{n}", f"/pad/{n}/trigger", x, y, cell, 84, script="pad_colour"),
            Widget("label", f"pad{n}_name", f"/pad/{n}/name", x + 4, y + 2, cell - 8, 22, text=""),
            Widget("label", f"pad{n}_state", f"/pad/{n}/state", x + 4, y + 58, cell - 8, 22, text=""),
            Widget("meter", f"pad{n}_level", f"/pad/{n}/level", x, y + 86, cell, 6),
            Widget("meter", f"pad{n}_progress", f"/pad/{n}/progress", x, y + 93, cell, 3),
            Widget("fader", f"pad{n}_gain", f"/pad/{n}/gain", x, y + 98, cell - 42, 22, 0.0, 2.0),
            Widget("fader", f"pad{n}_pan", f"/pad/{n}/pan", x, y + 122, cell - 42, 20, -1.0, 1.0),
            Widget("toggle", f"pad{n}_mute", f"/pad/{n}/mute", x + cell - 40, y + 98, 40, 22, caption="M"),
            Widget("toggle", f"pad{n}_solo", f"/pad/{n}/solo", x + cell - 40, y + 122, 40, 20, caption="S"),
            Widget("button", f"pad{n}_generate", f"/pad/{n}/generate", x + 4, y + 28, 40, 26, caption="GEN"),
            Widget("toggle", f"pad{n}_keep", f"/pad/{n}/keep", x + cell - 44, y + 28, 40, 26, caption="KEEP"),
        ]
    for row in range(1, 5):
        out.append(
            Widget("button", f"scene{row}", f"/scene/{row}/launch", left + 4 * (cell + gap), top + (row - 1) * (cell + gap),
                   36, 84, caption=f"▶{row}")
        )  # fmt: skip
    right = 700
    out += [
        Widget("label", "transport", "/transport/state", 10, 10, 130, 40, text=""),
        Widget("button", "song_play", "/transport/play", 145, 10, 70, 40, caption="PLAY"),
        Widget("button", "song_stop", "/transport/stop", 220, 10, 70, 40, caption="STOP"),
        Widget("toggle", "song_record", "/transport/record", 295, 10, 70, 40, caption="REC"),
        Widget("toggle", "metronome", "/transport/metronome", 370, 10, 70, 40, caption="CLICK"),
        Widget("label", "position", "/transport/position", 445, 10, 90, 40, text="", script="position"),
        Widget("label", "timesig", "/timesig", 540, 10, 60, 40, text=""),
        Widget("label", "quantize", "/quantize", 605, 10, 80, 40, text=""),
        Widget("label", "key", "/key", right, 10, 100, 40, text=""),
        Widget("fader", "tempo", "/tempo", right, top, 314, 40, 20.0, 300.0),
        Widget("label", "tempo_value", "/tempo", right, top + 44, 150, 40, text=""),
        Widget("button", "tap", "/tempo/tap", right + 164, top + 44, 150, 40, caption="TAP"),
        Widget("button", "stop_all", "/pads/stop", right, top + 92, 150, 50, caption="STOP ALL"),
        Widget("button", "panic", "/pads/panic", right + 164, top + 92, 150, 50, caption="PANIC"),
        Widget("button", "undo", "/undo", right, top + 150, 150, 40, caption="UNDO"),
        Widget("button", "redo", "/redo", right + 164, top + 150, 150, 40, caption="REDO"),
        Widget("label", "master_caption", "", right, top + 198, 314, 20, text="MASTER"),
        Widget("fader", "master", "/master/gain", right, top + 220, 314, 40, 0.0, 2.0),
        Widget("meter", "master_left", "/master/level/left", right, top + 264, 314, 12),
        Widget("meter", "master_right", "/master/level/right", right, top + 280, 314, 12),
        # the words the pads' generate buttons use; the daemon echoes them to every tablet
        Widget("text", "prompt", "/prompt", right, top + 300, 314, 80, text=""),
        Widget("label", "last_error", "/error", right, top + 390, 314, 60, text="", script="error"),
    ]
    return out + _live_section(right, 520)


def _live_section(left: int, top: int) -> list[Widget]:
    """Live mode (start, stop, the next pad) and the steered live pad (the one last started): its eight prompt
    weights under their words, its density, brightness, guidance and temperature, and capture."""
    out = [
        Widget("label", "live_caption", "", left, top, 50, 28, text="LIVE"),
        Widget("label", "live_mode", "/live/mode", left + 52, top, 80, 28, text=""),
        Widget("button", "live_start", "/live/start", left + 136, top, 88, 28, caption="START"),
        Widget("button", "live_stop", "/live/stop", left + 226, top, 88, 28, caption="STOP"),
        Widget("label", "live_next_caption", "", left, top + 32, 36, 24, text="next"),
        Widget("label", "live_next", "/live/next", left + 36, top + 32, 30, 24, text=""),
        Widget("label", "live_pad_caption", "", left + 70, top + 32, 60, 24, text="live pad"),
        Widget("label", "live_pad", "/live/pad", left + 130, top + 32, 30, 24, text=""),
        Widget("button", "live_capture", "/live/capture", left + 164, top + 32, 150, 24, caption="CAPTURE 4"),
    ]
    for slot in range(1, 9):
        x, y = left + (slot - 1) // 4 * 159, top + 62 + (slot - 1) % 4 * 27
        out += [
            Widget("fader", f"live_weight{slot}", f"/live/weight/{slot}", x, y, 155, 24, 0.0, 2.0),
            Widget("label", f"live_prompt{slot}", f"/live/prompt/{slot}", x + 4, y, 147, 24, text=""),
        ]
    spans = {"density": 1.0, "brightness": 1.0, "guidance": 6.0, "temperature": 3.0}
    for i, (name, hi) in enumerate(spans.items()):
        x, y = left + i % 2 * 159, top + 172 + i // 2 * 26
        out.append(Widget("fader", f"live_{name}", f"/live/{name}", x, y, 155, 22, 0.0, hi, caption=name))
    return out


def effects_surface() -> list[Widget]:
    """The tablet's effects page: the pad the controls play (picked on a small grid, shown), its DJ filter and
    resonance, its EQ (the bottom of a band kills it), its delay (time as note values, feedback, mix) and its
    reverb send; reset; and the master's filter and reverb return."""
    out = [Widget("label", "fx_caption", "", 10, 10, 120, 40, text="EFFECTS"),
           Widget("label", "fx_pad_caption", "", 140, 10, 60, 40, text="pad"),
           Widget("label", "fx_pad", "/fx/pad", 200, 10, 60, 40, text=""),
           Widget("button", "fx_reset", "/fx/reset", 270, 10, 120, 40, caption="RESET")]  # fmt: skip
    for n, x, y in _grid(70, 6, 10, 60):
        out.append(Widget("button", f"fx_select{n}", f"/pad/{n}/fx/select", x, y, 70, 56, caption=str(n)))
    left, width = 330, 680
    faders = (("filter", "filter", -1.0, 1.0), ("resonance", "resonance", 0.0, 1.0),
              ("eq/low", "EQ low", -24.0, 6.0), ("eq/mid", "EQ mid", -24.0, 6.0), ("eq/high", "EQ high", -24.0, 6.0),
              ("delay/feedback", "delay feedback", 0.0, 1.0), ("delay/mix", "delay mix", 0.0, 1.0),
              ("reverb", "reverb send", 0.0, 1.0))  # fmt: skip
    for i, (name, caption, lo, hi) in enumerate(faders):
        y = 60 + i * 58
        out.append(Widget("fader", f"fx_{name.replace('/', '_')}", f"/fx/{name}", left, y, width, 50, lo, hi,
                          caption=caption))  # fmt: skip
    y = 60 + len(faders) * 58
    out += [Widget("label", "fx_time_caption", "", 10, y, 120, 40, text="delay time"),
            Widget("label", "fx_time", "/fx/delay/time", 130, y, 80, 40, text="")]  # fmt: skip
    from padserver.actions.effects import NOTES  # (the buttons' numbers are the route's)

    for i, note in enumerate(NOTES, 1):
        out.append(Widget("button", f"fx_time{i}", f"/fx/delay/time/{i}", 220 + (i - 1) * 88, y, 84, 40, caption=note))
    y += 60
    out += [Widget("label", "master_fx_caption", "", 10, y, 120, 40, text="MASTER"),
            Widget("fader", "master_fx_filter", "/master/fx/filter", 130, y, 430, 40, -1.0, 1.0, caption="filter"),
            Widget("fader", "master_fx_reverb", "/master/fx/reverb", 580, y, 430, 40, 0.0, 1.0,
                   caption="reverb return")]  # fmt: skip
    return out


PAGES = (("PLAY", surface), ("EFFECTS", effects_surface))  # the tablet's pages, in tab order
TAB_BAR = 40  # TouchOSC's tab bar above the pages

PHONE_WIDTH, PHONE_HEIGHT = 390, 844


def phone_surface() -> list[Widget]:
    """The phone surface (390 × 844, portrait): the 16 pads coloured by state with their names, transport,
    tempo with tap, stop all, master gain and meter."""
    out: list[Widget] = []
    cell, gap, left, top = 90, 6, 6, 110
    for n, x, y in _grid(cell, gap, left, top):
        out += [
            Widget("button", f"pad{n}", f"/pad/{n}/trigger", x, y, cell, cell, script="pad_colour"),
            Widget("label", f"pad{n}_name", f"/pad/{n}/name", x + 2, y + 2, cell - 4, 20, text=""),
        ]
    out += [
        Widget("label", "transport", "/transport/state", 6, 10, 120, 40, text=""),
        Widget("button", "song_play", "/transport/play", 132, 10, 80, 40, caption="PLAY"),
        Widget("button", "song_stop", "/transport/stop", 218, 10, 80, 40, caption="STOP"),
        Widget("label", "position", "/transport/position", 304, 10, 80, 40, text="", script="position"),
        Widget("label", "tempo_value", "/tempo", 6, 58, 120, 44, text=""),
        Widget("button", "tap", "/tempo/tap", 132, 58, 124, 44, caption="TAP"),
        Widget("button", "stop_all", "/pads/stop", 262, 58, 122, 44, caption="STOP ALL"),
        Widget("fader", "tempo", "/tempo", 6, 500, 378, 44, 20.0, 300.0),
        Widget("label", "master_caption", "", 6, 552, 378, 20, text="MASTER"),
        Widget("fader", "master", "/master/gain", 6, 574, 378, 50, 0.0, 2.0),
        Widget("meter", "master_left", "/master/level/left", 6, 630, 378, 12),
        Widget("meter", "master_right", "/master/level/right", 6, 646, 378, 12),
        Widget("label", "last_error", "/error", 6, 670, 378, 60, text="", script="error"),
    ]
    return out


_JOINED = """
function onReceiveOSC(message, connections)
  local args = message[2]
  if message[1] == '{path}' and args[2] ~= nil then
    self.values.text = tostring(args[1].value) .. '{joiner}' .. tostring(args[2].value)
    return true
  end
  return false
end
"""

SCRIPTS = {  # Lua 5.1, as TouchOSC runs it: what a control does with what it receives
    "pad_colour": """
function onReceiveOSC(message, connections)
  local path, args = message[1], message[2]
  if path == '/pad/{n}/color' and args[1] ~= nil then
    local hex = tostring(args[1].value)
    local r = tonumber(string.sub(hex, 2, 3), 16)
    local g = tonumber(string.sub(hex, 4, 5), 16)
    local b = tonumber(string.sub(hex, 6, 7), 16)
    if r and g and b then
      self.color = Color(r / 255, g / 255, b / 255, 1)
    end
    return true
  end
  return false
end
""",
    # a label that shows a message's two values joined: the song's place as 5.3, an error as "/tempo: …"
    "position": _JOINED.replace("{path}", "/transport/position").replace("{joiner}", "."),
    "error": _JOINED.replace("{path}", "/error").replace("{joiner}", ": "),
    "register": """
function init()
  sendOSC('/register')
end
""",
}


def script_for(w: Widget) -> str:
    """The Lua a control runs, with its pad filled in."""
    if not w.script:
        return ""
    n = w.name[3:] if w.name.startswith("pad") else ""
    return SCRIPTS[w.script].replace("{n}", n).strip() + "\n"


# -- TouchOSC ------------------------------------------------------------------------------------

_TOSC_TYPES = {
    "button": "BUTTON",
    "toggle": "BUTTON",
    "fader": "FADER",
    "label": "LABEL",
    "meter": "FADER",
    "text": "TEXT",
}
_PANEL = (0.16, 0.16, 0.18, 1.0)  # a control's resting colour (pads take theirs from padserver)


def _prop(parent, kind: str, key: str, value=None, **fields) -> None:
    prop = ET.SubElement(parent, "property", type=kind)
    ET.SubElement(prop, "key").text = key
    val = ET.SubElement(prop, "value")
    if fields:
        for k, v in fields.items():
            ET.SubElement(val, k).text = str(v)
    else:
        val.text = "" if value is None else str(value)


def _colour(parent, key: str, rgba: tuple[float, float, float, float]) -> None:
    _prop(parent, "c", key, r=rgba[0], g=rgba[1], b=rgba[2], a=rgba[3])


def _partial(parent, kind: str, conversion: str, value: str, lo: float = 0.0, hi: float = 1.0) -> None:
    partial = ET.SubElement(parent, "partial")
    for key, text in (("type", kind), ("conversion", conversion), ("value", value), ("scaleMin", lo), ("scaleMax", hi)):
        ET.SubElement(partial, key).text = str(text)


def _osc_message(messages, address: str, key: str | None, sends: bool, receives: bool, conversion: str, lo, hi):
    osc = ET.SubElement(messages, "osc")
    for tag, text in (("enabled", 1), ("send", int(sends)), ("receive", int(receives)), ("feedback", 0)):
        ET.SubElement(osc, tag).text = str(text)
    ET.SubElement(osc, "connections").text = "00001"
    triggers = ET.SubElement(osc, "triggers")
    if key is not None:
        trigger = ET.SubElement(triggers, "trigger")
        ET.SubElement(trigger, "var").text = key
        ET.SubElement(trigger, "condition").text = "ANY"
    path = ET.SubElement(osc, "path")
    _partial(path, "CONSTANT", "STRING", address)
    args = ET.SubElement(osc, "arguments")
    if key is not None:
        _partial(args, "VALUE", conversion, key, lo, hi)


def _tosc_node(parent, w: Widget, seed: int, heard: Callable[[str], bool]) -> None:
    node = ET.SubElement(parent, "node", ID=str(uuid.UUID(int=seed)), type=_TOSC_TYPES[w.kind])
    props = ET.SubElement(node, "properties")
    _prop(props, "s", "name", w.name)
    _prop(props, "r", "frame", x=w.x, y=w.y, w=w.w, h=w.h)
    if w.kind in ("button", "toggle", "fader", "meter"):
        _colour(props, "color", _PANEL if w.kind != "meter" else (0.1, 0.8, 0.3, 1.0))
    if w.kind == "toggle":
        _prop(props, "i", "buttonType", 1)  # toggles on release
    if w.kind == "meter":
        _prop(props, "b", "interactive", 0)  # shows, never sends
    if w.kind in ("label", "text"):
        _prop(props, "i", "textSize", 13 if w.kind == "label" else 15)
        _colour(props, "textColor", (0.92, 0.92, 0.92, 1.0))
    script = script_for(w)
    if script:
        _prop(props, "s", "script", script)
    values = ET.SubElement(node, "values")
    key = "text" if w.kind in ("label", "text") else "x"
    value = ET.SubElement(values, "value")
    ET.SubElement(value, "key").text = key
    ET.SubElement(value, "default").text = w.text if key == "text" else "0"
    messages = ET.SubElement(node, "messages")
    if w.address:
        sends = w.kind in ("button", "toggle", "fader")
        conversion = "STRING" if key == "text" else "FLOAT"
        _osc_message(messages, w.address, key, sends, heard(w.address), conversion, w.lo, w.hi)
    if w.script == "pad_colour":  # the colour arrives on an address of its own: the script reads it
        _osc_message(messages, w.address.replace("/trigger", "/color"), None, False, True, "STRING", 0.0, 1.0)
    ET.SubElement(node, "children")


def _caption(w: Widget) -> Widget:
    """A label over ``w`` with its caption (TouchOSC buttons and faders carry no text of their own)."""
    return Widget("label", f"{w.name}_caption", "", w.x, w.y, w.w, w.h, text=w.caption)


def _container(parent, kind: str, seed: int, name: str, frame: tuple[int, int, int, int]):
    """A GROUP or PAGER node with its frame: (its properties, its children)."""
    node = ET.SubElement(parent, "node", ID=str(uuid.UUID(int=seed)), type=kind)
    props = ET.SubElement(node, "properties")
    _prop(props, "s", "name", name)
    _prop(props, "r", "frame", x=frame[0], y=frame[1], w=frame[2], h=frame[3])
    ET.SubElement(node, "values")
    ET.SubElement(node, "messages")
    return props, node


def _controls(children, widgets: list[Widget], seed: int) -> int:
    from padserver.control.osc_routes import feedback_match

    for w in widgets:
        _tosc_node(children, w, seed, lambda address: bool(feedback_match(address)))
        seed += 1
        if w.caption:  # drawn over the control, touches pass through to it
            _tosc_node(children, _caption(w), seed, lambda address: False)
            seed += 1
    return seed


def touchosc(widgets: list[Widget] | list[tuple[str, list[Widget]]], size: tuple[int, int] = (WIDTH, HEIGHT)) -> bytes:
    """A .tosc of one page of ``widgets``, or of several (``(tab label, widgets)`` each) under a tab bar."""
    pages = widgets if widgets and isinstance(widgets[0], tuple) else None
    height = size[1] + (TAB_BAR if pages else 0)
    root = ET.Element("lexml", version="3")
    props, top = _container(root, "GROUP", 1, "padserver", (0, 0, size[0], height))
    _colour(props, "color", (0.06, 0.06, 0.07, 1.0))
    _prop(props, "s", "script", SCRIPTS["register"].strip() + "\n")  # feedback from the moment it opens
    children = ET.SubElement(top, "children")
    if pages is None:
        _controls(children, widgets, 1000)  # type: ignore[arg-type]
    else:  # (a pager inside the root: TouchOSC pages a pager only below the canvas)
        props, pager = _container(children, "PAGER", 2, "pages", (0, 0, size[0], height))
        _prop(props, "b", "tabbar", 1)
        _prop(props, "i", "tabbarSize", TAB_BAR)
        _prop(props, "b", "tabLabels", 1)
        _prop(props, "i", "orientation", 0)  # (the tabs on top)
        _colour(props, "color", (0.06, 0.06, 0.07, 1.0))
        held = ET.SubElement(pager, "children")
        seed = 1000
        for i, (label, page) in enumerate(pages):
            props, group = _container(held, "GROUP", 10 + i, label.lower(), (0, TAB_BAR, size[0], size[1]))
            _prop(props, "s", "tabLabel", label)
            for key, colour in (("tabColorOff", (0.25, 0.25, 0.25, 1.0)), ("tabColorOn", (0.5, 0.5, 0.5, 1.0)),
                                ("textColorOff", (1.0, 1.0, 1.0, 1.0)), ("textColorOn", (1.0, 1.0, 1.0, 1.0))):  # fmt: skip
                _colour(props, key, colour)
            _prop(props, "b", "interactive", 0)
            _prop(props, "b", "outline", 0)
            seed = _controls(ET.SubElement(group, "children"), page, seed)
    return zlib.compress(ET.tostring(root, encoding="UTF-8", xml_declaration=True), 9)


def touchosc_addresses(data: bytes) -> list[tuple[str, bool]]:
    """(address, sends) of every OSC message in a .tosc file (a message that only receives: False)."""
    root = ET.fromstring(zlib.decompress(data))
    out = []
    for osc in root.iter("osc"):
        value = osc.find("path/partial/value")
        if value is not None and value.text:
            out.append((value.text, osc.findtext("send") == "1"))
    return out


def touchosc_listens(data: bytes) -> set[str]:
    """Every address a .tosc file's controls receive on."""
    root = ET.fromstring(zlib.decompress(data))
    return {osc.findtext("path/partial/value") or "" for osc in root.iter("osc") if osc.findtext("receive") == "1"}


def touchosc_scripts(data: bytes) -> dict[str, str]:
    """Control name → its Lua script."""
    root = ET.fromstring(zlib.decompress(data))
    out = {}
    for node in root.iter("node"):
        name, script = None, None
        for prop in node.findall("properties/property"):
            if prop.findtext("key") == "name":
                name = prop.findtext("value")
            elif prop.findtext("key") == "script":
                script = prop.findtext("value")
        if name and script:
            out[name] = script
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
TARGET = "127.0.0.1:9000"  # padserver's default OSC port on this machine
# Open Stage Control widgets do not inherit a target: each sending widget takes its parent's (the root's), so
# pointing the session at another machine is one property; and each ignores the server's default targets, so
# padserver's messages go to padserver only (and once) whatever else that server sends to.
_SENDS_TO = {"target": "@{parent.target}", "ignoreDefaults": True}
# the session registers when it opens, so padserver sends it the whole state before anything is touched
_REGISTER = "send(getProp('this', 'target'), '/register')"
_JOINERS = {"position": ".", "error": ": "}
_PAD_OFF = "#262a33"  # an empty pad before padserver has said anything


def _osc_item(w: Widget) -> dict:
    item: dict = {"type": _OSC_TYPES[w.kind], "id": w.name, "left": w.x, "top": w.y, "width": w.w, "height": w.h}
    item["address"] = w.address or "/" + w.name  # a caption's own address, which nothing sends
    if w.kind in ("button", "toggle"):
        # push: the press (1) and the release (0), as a gate pad needs; toggle: on and off, lit from feedback
        item.update({"mode": "push" if w.kind == "button" else "toggle", "on": 1, "off": 0, **_SENDS_TO})
        item["label"] = w.caption or False  # pads show their name and state in the texts over them
        if w.script == "pad_colour":  # lit as the grid lights it: the colour padserver sends for the pad
            n = w.address.split("/")[2]
            item.update({"colorWidget": f"OSC{{/pad/{n}/color, {_PAD_OFF}, false}}", "alphaFillOff": 0.85})
    elif w.kind == "fader":
        item.update({"range": {"min": w.lo, "max": w.hi}, "horizontal": True, **_SENDS_TO})
    elif w.kind == "meter":  # shows what padserver sends, sends nothing
        item.update({"range": {"min": w.lo, "max": w.hi}, "horizontal": True, "design": "compact"})
        item.update({"interaction": False, "bypass": True})
    elif w.kind == "text":
        item.update(_SENDS_TO)
    elif w.kind == "label":
        item["css"] = "pointer-events: none;"  # a press on a pad's name or state is a press on the pad
        if w.script in _JOINERS:  # two values shown as one: the song's place as 5.3, an error as "/tempo: …"
            item["onValue"] = f"if (Array.isArray(value)) set('this', value.join('{_JOINERS[w.script]}'))"
        if w.text:
            item["default"] = w.text
    return item


def open_stage_control(pages: list[tuple[str, list[Widget]]]) -> str:
    """The session: a tab per page, each with its widgets."""
    tabs = [{"type": "tab", "id": label.lower(), "label": label, "widgets": [_osc_item(w) for w in widgets]}
            for label, widgets in pages]  # fmt: skip
    session = {
        "createdWith": "open-stage-control",
        "version": "1.26.2",
        "type": "session",
        "content": {
            "type": "root",
            "id": "root",
            "width": WIDTH,
            "height": HEIGHT,
            "target": TARGET,
            "onCreate": _REGISTER,
            "widgets": [],
            "tabs": tabs,
        },
    }
    return json.dumps(session, indent=1, ensure_ascii=False) + "\n"


def open_stage_control_addresses(text: str) -> list[tuple[str, bool]]:
    """(address, sends) of every widget (texts and meters only show what arrives), and (address, False) of
    every OSC listener written in a property (a pad's colour)."""
    session = json.loads(text)
    out = []
    for w in osc_widgets(session):
        sends = w["type"] in ("button", "fader", "input") and not w.get("bypass", False)
        out.append((w["address"], sends))
        out += [(a, False) for v in w.values() if isinstance(v, str) for a in re.findall(r"OSC\{\s*(/[^,}\s]*)", v)]
    return out


def osc_widgets(session: dict) -> list[dict]:
    """Every widget of an Open Stage Control session, its tabs' included."""
    content = session["content"]
    return [*content["widgets"], *(w for tab in content.get("tabs", []) for w in tab["widgets"])]


def _pages() -> list[tuple[str, list[Widget]]]:
    return [(label, make()) for label, make in PAGES]


FILES: dict[str, Callable[[], bytes]] = {
    "padserver.tosc": lambda: touchosc(_pages()),
    "padserver-phone.tosc": lambda: touchosc(phone_surface(), (PHONE_WIDTH, PHONE_HEIGHT)),
    "padserver-open-stage-control.json": lambda: open_stage_control(_pages()).encode(),
}


def write(folder: str) -> None:
    for name, make in FILES.items():
        with open(os.path.join(folder, name), "wb") as fh:
            fh.write(make())


if __name__ == "__main__":
    write(sys.argv[1] if len(sys.argv) > 1 else "mappings")
