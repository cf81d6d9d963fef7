"""The shipped TouchOSC and Open Stage Control layouts: valid for their apps, speaking only the daemon's OSC,
showing everything a new client is told, and their scripts running as TouchOSC runs Lua."""

import os
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
# scripts and editors, the pad's mode and quantum and the sync source are set elsewhere
NOT_SHOWN = {"loop", "region", "choke", "mode", "quantize", "generating", "/sync/source", "/master/level"}


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


def test_touchosc_shows_everything_a_new_client_is_told():
    listens = tablets.touchosc_listens(shipped(TOSC))
    missing = {
        a
        for a in _told_to_a_new_client()
        if a not in listens and a not in NOT_SHOWN and a.rsplit("/", 1)[1] not in NOT_SHOWN
    }
    assert missing == set()
    for n in range(1, 17):
        assert {f"/pad/{n}/{what}" for what in ("state", "color", "name", "level", "progress")} <= listens
    for address in listens:
        assert feedback_match(address), f"{TOSC} listens on {address}, which padserver never sends"


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


def test_open_stage_control_widgets_take_what_padserver_sends():
    import json

    session = json.loads(shipped(OSC_SESSION))
    assert session["content"]["target"] == ["127.0.0.1:9000"]
    widgets = {w["id"]: w for w in session["content"]["widgets"]}
    for n in range(1, 17):
        assert widgets[f"pad{n}"]["mode"] == "push"  # press and release: a gate pad stops on the release
    assert widgets["master_left"]["address"] == "/master/level/left" and widgets["master_left"]["type"] == "fader"
    for w in widgets.values():
        if w["type"] == "text":
            assert not {"label", "interaction", "bypass"} & set(w), w["id"]  # not text widgets' properties
        if w["type"] in ("button", "fader"):
            assert w["label"] is False or not w["label"].startswith(("pad", "_", "l1")), w["id"]


@pytest.mark.parametrize("name", sorted(tablets.FILES))
def test_shipped_layouts_are_what_the_generator_makes(name):
    assert shipped(name) == tablets.FILES[name](), (
        f"mappings/{name} is stale: run python -m padserver.control.tablets mappings"
    )


def _sent_by_touchosc() -> list[tuple[str, list[float]]]:
    """(address, values in the order a player sends them) of every message a TouchOSC control sends: a
    button's or toggle's press then release, a fader from one end to the other."""
    import xml.etree.ElementTree as ET
    import zlib

    root = ET.fromstring(zlib.decompress(shipped(TOSC)))
    out = []
    for node in root.iter("node"):
        for osc in node.findall("messages/osc"):
            if osc.findtext("send") == "1":
                lo = float(osc.findtext("arguments/partial/scaleMin") or 0)
                hi = float(osc.findtext("arguments/partial/scaleMax") or 1)
                values = [lo, hi] if node.get("type") == "FADER" else [hi, lo]
                out.append((osc.findtext("path/partial/value"), values))
    return out


def test_every_touchosc_control_works_on_a_daemon_with_the_starter_kit(tmp_path):
    """Each control's messages as TouchOSC sends them (one float; a button's press then its release, a
    fader's two ends), sent with liblo's oscsend to a daemon playing the --demo kit: no /error, and the
    state is what the last value of each control says."""
    import json

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
        # the generate buttons last: the loops they make land a moment later, and a change between an undo
        # and its redo (a loop landing) rightly leaves nothing to redo
        for address, values in sorted(_sent_by_touchosc(), key=lambda sent: sent[0].endswith("/generate")):
            for value in values:
                subprocess.run(["oscsend", "localhost", str(daemon.port), address, "f", str(value)], check=True)
        status = {}

        def settled() -> bool:
            status.update(json.loads(daemon.osc.request("/status", reply="/status")[0]))
            return all(not p["generating"] for p in status["pads"])

        wait_for(settled, 60, "the generate buttons' jobs to finish")
        errors = [line for _, line in dump.lines if line.startswith("/error")]
        assert errors == [], errors
        pads = status["pads"]
        assert all(p["gain"] == 2.0 and p["pan"] == 1.0 and p["mute"] is False and p["solo"] is False for p in pads)
        assert status["tempo"] == 300.0 and status["master_gain"] == 2.0
    finally:
        dump.close()
        daemon.terminate()
