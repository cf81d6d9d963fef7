"""The shipped TouchOSC and Open Stage Control layouts: valid for their apps, speaking only the daemon's OSC,
showing everything a new client is told, and their scripts running as TouchOSC runs Lua."""

import json
import os
import re
import subprocess
import sys

import pytest

from padserver.control import tablets
from padserver.control.mapping_files import shipped_dir
from padserver.control.osc_feedback import OscFeedback
from padserver.control.osc_routes import feedback_match, find
from padserver.state.project import Project

TOSC = "padserver.tosc"
PHONE = "padserver-phone.tosc"
OSC_SESSION = "padserver-open-stage-control.json"
# what a new client is told and a layout leaves out on purpose: the loop id, region and choke group are for
# scripts and editors, the pad's mode and quantum and the sync source are set elsewhere; a live pad's stream
# shows in its state and colour, and live mode's next pad in its colour (and `/live/next`); each live pad's own
# prompts and settings are steered through the live pad the `/live/…` controls follow
NOT_SHOWN = {"loop", "region", "choke", "group", "mode", "quantize", "generating", "live", "/sync/source", "/master/level",
             "next", "prompt", "set"}  # fmt: skip
# every chain's effects are told to a new client; the tablets show the selected pad's (on `/fx/…`) and the
# master's filter and reverb return
EFFECTS_SHOWN = {"/master/fx/filter", "/master/fx/reverb"}


def _shown_elsewhere(address: str) -> bool:
    return "/fx/" in address and not address.startswith("/fx/") and address not in EFFECTS_SHOWN


def udp_losses() -> dict[str, int]:
    """The kernel's count of UDP datagrams it dropped on arrival (a full socket buffer) and of other UDP
    errors, machine-wide: said when a replay misses a message, so a lost datagram is told from a lost handling."""
    with open("/proc/net/snmp") as fh:
        names, values = [line.split()[1:] for line in fh if line.startswith("Udp:")][:2]
    counts = dict(zip(names, map(int, values), strict=True))
    return {k: counts.get(k, 0) for k in ("RcvbufErrors", "InErrors", "SndbufErrors")}


def shipped(name: str) -> bytes:
    with open(os.path.join(shipped_dir(), name), "rb") as fh:
        return fh.read()


LAYOUTS = {
    TOSC: lambda data: tablets.touchosc_addresses(data),
    PHONE: lambda data: tablets.touchosc_addresses(data),
    OSC_SESSION: lambda data: tablets.open_stage_control_addresses(data.decode()),
}


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_every_address_a_layout_uses_exists(name):
    controls = [(a, s) for a, s in LAYOUTS[name](shipped(name)) if not a.endswith("_caption")]
    for address, sends in controls:
        if sends:
            assert find(address) is not None, f"{name} sends {address}, which the daemon does not answer"
        else:
            assert feedback_match(address) or find(address), (
                f"{name} listens on {address}, which the daemon never sends"
            )
    sent = {a for a, s in controls if s}
    assert {f"/pad/{n}/trigger" for n in range(1, 17)} <= sent
    assert {"/tempo", "/tempo/tap", "/master/gain", "/pads/stop", "/transport/play", "/transport/stop"} <= sent
    if name == PHONE:  # pads, transport, tempo and tap, master: what fits a phone
        return
    assert len(controls) > 16 * 8
    for n in range(1, 17):
        assert {f"/pad/{n}/{what}" for what in ("trigger", "gain", "pan", "mute", "solo", "generate")} <= sent
    assert {"/tempo", "/tempo/tap", "/master/gain", "/pads/stop", "/pads/panic", "/undo", "/redo"} <= sent
    assert {f"/scene/{row}/launch" for row in range(1, 5)} <= sent


def _told_to_a_new_client() -> set[str]:
    feedback = OscFeedback(server=None, project=Project(), auto_register=False)
    return {address for address, _ in feedback.full_state()} | {"/master/level/left", "/master/level/right", "/error"}


# what each layout shows of it: the tablets everything but NOT_SHOWN; the phone its pads (colour and name),
# transport, tempo, master and the last error
SHOWN_BY = {
    TOSC: lambda a: True,
    OSC_SESSION: lambda a: True,
    PHONE: lambda a: (
        a.rsplit("/", 1)[1] in ("color", "name", "trigger")
        or a in {"/transport/state", "/transport/position", "/tempo", "/master/gain", "/error"}
        or a.startswith("/master/level/")
    ),
}


def _listens(name: str) -> set[str]:
    """What an Open Stage Control session shows: every widget shows what arrives on its address (a fader or
    button too), and every OSC listener in its properties."""
    return {a for a, _ in LAYOUTS[name](shipped(name)) if not a.endswith("_caption")}


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_each_layout_shows_everything_a_new_client_is_told(name):
    listens = tablets.touchosc_listens(shipped(name)) if name != OSC_SESSION else _listens(name)
    missing = {
        a
        for a in _told_to_a_new_client()
        if SHOWN_BY[name](a)
        and a not in listens
        and a not in NOT_SHOWN
        and a.rsplit("/", 1)[1] not in NOT_SHOWN
        and not _shown_elsewhere(a)
    }
    assert missing == set()
    shown = ("state", "color", "name", "level", "progress") if name != PHONE else ("color", "name")
    for n in range(1, 17):
        assert {f"/pad/{n}/{what}" for what in shown} <= listens
    for address in listens:
        assert feedback_match(address) or find(address), f"{name} listens on {address}, which padserver never sends"


@pytest.mark.parametrize("name", [TOSC, PHONE])
def test_touchosc_file_is_valid_for_two_independent_readers(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(shipped(name))
    checked = subprocess.run(
        [sys.executable, "-m", "py2tosc.cli", "validate", str(path)], capture_output=True, text=True
    )
    assert checked.returncode == 0 and "error" not in checked.stdout, checked.stdout
    import tosclib

    root = tosclib.load(str(path))
    names = {node.findtext("properties/property[key='name']/value") for node in root.iter("node")}
    assert {f"pad{n}" for n in range(1, 17)} <= names and "song_play_caption" in names


def _lua(script: str, driver: str) -> str:
    """Run ``script`` under Lua 5.1 with stubs of what TouchOSC gives a control's script, then ``driver``."""
    stubs = """
sent = {}
function sendOSC(path, ...) table.insert(sent, path) end
function Color(r, g, b, a) return {r = r, g = g, b = b, a = a} end
self = {values = {text = ''}, color = nil}
"""
    run = subprocess.run(["lua5.1", "-"], input=stubs + script + "\n" + driver, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return run.stdout.strip()


def test_every_script_is_lua_5_1_and_does_what_it_says(tmp_path):
    scripts = tablets.touchosc_scripts(shipped(TOSC))
    assert {"padserver", "pad1", "pad16", "position", "last_error"} <= set(scripts)
    for name, script in scripts.items():
        path = tmp_path / f"{name}.lua"
        path.write_text(script)
        checked = subprocess.run(["luac5.1", "-p", str(path)], capture_output=True, text=True)
        assert checked.returncode == 0, (name, checked.stderr)
    assert _lua(scripts["padserver"], "init() print(sent[1])") == "/register"
    coloured = _lua(
        scripts["pad7"],
        "print(onReceiveOSC({'/pad/7/color', {{tag = 's', value = '#00E050'}}}, {true}))\n"
        "print(onReceiveOSC({'/pad/8/color', {{tag = 's', value = '#FF0000'}}}, {true}))\n"
        "print(string.format('%.3f %.3f %.3f', self.color.r, self.color.g, self.color.b))",
    )
    assert coloured.split("\n") == ["true", "false", "0.000 0.878 0.314"]
    shown = _lua(
        scripts["position"],
        "onReceiveOSC({'/transport/position', {{value = 5}, {value = 3}}}, {}) print(self.values.text)",
    )
    assert shown == "5.3"
    said = _lua(
        scripts["last_error"],
        "onReceiveOSC({'/error', {{value = '/tempo'}, {value = 'out of range'}}}, {}) print(self.values.text)",
    )
    assert said == "/tempo: out of range"


def _osc_session() -> dict:
    return json.loads(shipped(OSC_SESSION))


def _valid_value(value, kind: str) -> bool:
    """Whether ``value`` is of an Open Stage Control property type (``number|string``, ``*``, …)."""
    if isinstance(value, str) and re.search(r"(@|OSC|JS|#|VAR)\{", value):
        return True  # resolved when the session runs
    checks = {
        "*": lambda v: True,
        "boolean": lambda v: isinstance(v, bool),
        "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "percentage": lambda v: isinstance(v, str) and v.endswith("%"),
        "string": lambda v: isinstance(v, str),
        "script": lambda v: isinstance(v, str),
        "array": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, dict),
        "null": lambda v: v is None,
    }
    return any(checks[k](value) for k in kind.split("|"))


def test_open_stage_control_session_has_only_properties_its_widgets_have():
    """Every property of every widget is one its type has in Open Stage Control 1.x, with a value of its
    type and among its choices (the table: tests/control/open_stage_control_1_26.json, from the app's
    widget declarations and properties reference)."""
    with open(os.path.join(os.path.dirname(__file__), "open_stage_control_1_26.json")) as fh:
        table = json.load(fh)["widgets"]
    session = _osc_session()
    assert session["type"] == "session" and session["version"].startswith("1.")
    problems = []
    for w in [session["content"], *session["content"]["tabs"], *tablets.osc_widgets(session)]:
        props = table.get(w["type"])
        if props is None:
            problems.append(f"{w['id']}: no widget type {w['type']!r} in the table")
            continue
        for key, value in w.items():
            if key not in props:
                problems.append(f"{w['id']}: {w['type']} has no property {key!r}")
            elif not _valid_value(value, props[key]["type"]):
                problems.append(f"{w['id']}.{key} = {value!r}: not {props[key]['type']}")
            elif "choices" in props[key] and value not in props[key]["choices"]:
                problems.append(f"{w['id']}.{key} = {value!r}: not one of {props[key]['choices']}")
    assert problems == []


def test_open_stage_control_widgets_take_what_padserver_sends():
    session = _osc_session()
    root = session["content"]
    # it sends to padserver on this machine, and registers as it opens (so it shows the truth at once)
    assert root["target"] == "127.0.0.1:9000" and "'/register'" in root["onCreate"]
    widgets = {w["id"]: w for w in tablets.osc_widgets(session)}
    for w in widgets.values():  # widgets do not inherit a target: each takes the root's, and only that
        if w["type"] in ("button", "fader", "input") and not w.get("bypass"):
            assert w["target"] == "@{parent.target}" and w["ignoreDefaults"] is True, w["id"]
    for n in range(1, 17):
        pad = widgets[f"pad{n}"]
        assert pad["mode"] == "push"  # press and release: a gate pad stops on the release
        assert pad["colorWidget"].startswith(f"OSC{{/pad/{n}/color,")  # lit as the grid lights it
        assert widgets[f"pad{n}_name"]["css"] == "pointer-events: none;"  # a press on the name plays the pad
    assert widgets["master_left"]["address"] == "/master/level/left" and widgets["master_left"]["bypass"]
    for w in widgets.values():
        if w["type"] == "button" and w["label"] is not False:
            assert not w["label"].startswith(("pad", "_", "l1")), w["id"]  # captions, not ids


@pytest.mark.parametrize("name", sorted(tablets.FILES))
def test_shipped_layouts_are_what_the_generator_makes(name):
    assert shipped(name) == tablets.FILES[name](), (
        f"mappings/{name} is stale: run python -m padserver.control.tablets mappings"
    )


def _sent_by_touchosc(name: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """(address, [(type, value)] in the order a player sends them) of every message a TouchOSC control
    sends: a button's or toggle's press then release (one float each), a fader from one end to the other."""
    import xml.etree.ElementTree as ET
    import zlib

    root = ET.fromstring(zlib.decompress(shipped(name)))
    out = []
    for node in root.iter("node"):
        for osc in node.findall("messages/osc"):
            if osc.findtext("send") == "1":
                lo = float(osc.findtext("arguments/partial/scaleMin") or 0)
                hi = float(osc.findtext("arguments/partial/scaleMax") or 1)
                values = [lo, hi] if node.get("type") == "FADER" else [hi, lo]
                out.append((osc.findtext("path/partial/value"), [("f", str(v)) for v in values]))
    return out


def _sent_by_open_stage_control() -> list[tuple[str, list[tuple[str, str]]]]:
    """The same for the Open Stage Control session (as its server sends them: numbers as floats): a button's
    on then off, a fader from one end to the other, the prompt field's words."""
    out = []
    for w in tablets.osc_widgets(_osc_session()):
        if w["type"] == "button":
            out.append((w["address"], [("f", str(float(w["on"]))), ("f", str(float(w["off"])))]))
        elif w["type"] == "fader" and not w.get("bypass"):
            out.append((w["address"], [("f", str(float(w["range"][k]))) for k in ("min", "max")]))
        elif w["type"] == "input":
            out.append((w["address"], [("s", "dusty drums")]))
    return out


def test_the_phone_sends_nothing_the_tablet_does_not():
    # (so the daemon test below, replaying the tablet's controls, covers the phone's)
    assert set(map(repr, _sent_by_touchosc(PHONE))) <= set(map(repr, _sent_by_touchosc(TOSC)))


def test_every_control_of_each_layout_works_on_a_daemon_with_the_starter_kit(tmp_path):
    """Each control's messages as TouchOSC and Open Stage Control send them (a button's press then its
    release, a fader's two ends, words in the prompt field), sent with liblo's oscsend to a daemon playing
    the --demo kit: no /error, and the state is what the last value of each control says."""
    from padserver.harness.daemon import DaemonProcess
    from padserver.harness.wait import wait_for
    from tests.control.conftest import Dump

    daemon = DaemonProcess(["--audio", "null", "--demo"], data_dir=str(tmp_path))
    daemon.wait_ready(60)
    dump = Dump()
    try:
        subprocess.run(
            ["oscsend", "localhost", str(daemon.port), "/register", "si", "127.0.0.1", str(dump.port)], check=True
        )
        subprocess.run(["oscsend", "localhost", str(daemon.port), "/prompt", "s", "dusty drums"], check=True)
        subprocess.run(["oscsend", "localhost", str(daemon.port), "/pad/16/mode", "s", "live"], check=True)
        losses = udp_losses()
        sent = {repr(m): m for m in _sent_by_touchosc(TOSC) + _sent_by_open_stage_control()}  # once each
        # the generate buttons last: the loops they make land a moment later, and a change between an undo
        # and its redo (a loop landing) rightly leaves nothing to redo
        for address, values in sorted(sent.values(), key=lambda m: m[0].endswith("/generate")):
            for kind, value in values:
                subprocess.run(["oscsend", "localhost", str(daemon.port), address, kind, value], check=True)
        status = {}

        def settled() -> bool:
            status.update(daemon.osc.status())
            return all(not p["generating"] for p in status["pads"])

        wait_for(settled, 60, "the generate buttons' jobs to finish")
        # the live pad's own: no Lyria key here, so it cannot play, nor be captured; nor is it a pad to generate on
        refused = {
            "/pad/16/trigger": "no Google API key",
            "/live/capture": "not playing a stream",
            "/pad/16/generate": "is a live pad",
        }
        errors = [line for _, line in dump.lines if line.startswith("/error")]
        lost = {k: v - losses[k] for k, v in udp_losses().items()}
        errors.append(f"(UDP datagrams the kernel dropped meanwhile, machine-wide: {lost})")
        assert [e for e in errors[:-1] if e.split('"')[1] not in refused] == [], errors
        assert {e.split('"')[1] for e in errors[:-1] if refused.get(e.split('"')[1], "?") in e} == set(refused), errors
        pads = status["pads"]
        assert all(p["gain"] == 2.0 and p["pan"] == 1.0 and p["mute"] is False and p["solo"] is False for p in pads)
        assert all(p["keep"] is False for p in pads) and status["live_mode"]["state"] == "stopped"
        steered = pads[15]  # the tablet's live faders steered the live pad: each at its bottom, then its top
        assert [w for _, w in steered["live_prompts"]] == [2.0] * 8
        assert steered["live_settings"] == {"density": 1.0, "brightness": 1.0, "guidance": 6.0, "temperature": 3.0}
        assert status["tempo"] == 300.0 and status["master_gain"] == 2.0
    finally:
        dump.close()
        daemon.terminate()
