"""Mapping files: every shipped one loads, a broken one says what is wrong and where."""

import os

import pytest

from padserver.control.mapping_files import layout_docs, load_mapping, parse_mapping, shipped_dir
from padserver.control.mappings import MappingError

SHIPPED = sorted(n for n in os.listdir(shipped_dir()) if n.endswith(".yaml"))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_the_required_devices_are_shipped():
    for name in (
        "launchpad-x",
        "launchpad-mini-mk3",
        "launchpad-pro-mk3",
        "launchpad-mk2",
        "apc-mini-mk2",
        "apc-mini",
        "mpd218",
        "generic-16",
    ):
        assert f"{name}.yaml" in SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_mapping_loads_and_reaches_all_sixteen_pads(name):
    mapping = load_mapping(os.path.join(shipped_dir(), name))
    triggered = {c.pad for c in mapping.controls if c.press == "pad.trigger"}
    assert triggered == set(range(1, 17))
    assert mapping.ports


def test_grids_place_pads_by_position():
    mpd = load_mapping(os.path.join(shipped_dir(), "mpd218.yaml"))
    notes = {c.pad: c.number for c in mpd.controls if c.press == "pad.trigger"}
    assert notes[1] == 48 and notes[4] == 51 and notes[13] == 36 and notes[16] == 39
    assert all(c.channel == 9 for c in mpd.controls)  # channel 10 in the file
    lpx = load_mapping(os.path.join(shipped_dir(), "launchpad-x.yaml"))
    notes = {c.pad: c.number for c in lpx.controls if c.press == "pad.trigger"}
    assert notes[1] == 81 and notes[16] == 54


def test_eight_by_eight_grids_reach_the_useful_controls_from_the_device():
    for name in ("launchpad-x", "launchpad-mk2", "apc-mini-mk2", "apc-mini"):
        m = load_mapping(os.path.join(shipped_dir(), f"{name}.yaml"))
        actions = {c.press for c in m.controls} | {c.shift for c in m.controls} | {c.value for c in m.controls}
        for needed in (
            "pad.trigger",
            "pad.stop",
            "pads.stop",
            "tempo.tap",
            "shift",
            "pad.clear",
            "pad.mute",
            "pad.solo",
        ):
            assert needed in actions, f"{name} lacks {needed}"


BROKEN = """\
info:
  device: Broken Pad
  ports: ["Broken["]
leds:
  protocol: lamps
  pad: {empty: 0, loaded: 200, playing: 21 blink}
controls:
  - grid: {note: 81, across: 1, down: -10}
    press: pad.trig
  - {cc: 19, channel: 17, press: shift}
  - {note: 3, press: pads.stop, led: {when: sometimes, colour: 1}}
  - {cc: 7, value: pad.gain}
"""


def test_a_broken_mapping_reports_every_problem_with_file_line_and_allowed_values():
    with pytest.raises(MappingError) as err:
        parse_mapping(BROKEN, "broken.yaml")
    text = str(err.value)
    assert "broken.yaml:2: info.ports: 'Broken[' is not a valid pattern" in text
    assert "leds.protocol: must be one of launchpad, note (got 'lamps')" in text
    assert "leds.pad.loaded: colour must be 0..127" in text and "leds.pad.playing" in text
    assert "broken.yaml:8: controls[0].press: unknown action 'pad.trig' (did you mean pad.trigger?" in text
    assert "controls[1].channel: channel must be in range 1..16 (got 17)" in text
    assert "controls[2].led.when: must be one of playing, loaded, muted, soloed, shift, queued" in text
    assert "controls[3]: pad actions need pad 1..16" in text


GENERIC = open(os.path.join(shipped_dir(), "generic-16.yaml"), encoding="utf-8").read()


@pytest.mark.parametrize(
    "added,problem",
    [
        ("  - cc: 20\n    value: pad.gain\n    pad: 1\n    step: abc\n", "controls[1].step: must be a positive number"),
        (
            "  - note: [60, 63]\n    press: pad.trigger\n    pad: x\n",
            "controls[1].pad: must be a number in range 1..16 (got 'x')",
        ),
        ("init: [[{}]]\n", "init[0]: [{}] is not a MIDI message"),
        ("init: [[144, 300, 1]]\n", "is not a MIDI message"),
        # (checked before the range is built: built whole, it took all the machine's memory)
        (
            "  - note: [0, 1000000000]\n    press: pad.trigger\n    pad: 1\n",
            "controls[1].note: must be in range 0..127",
        ),
    ],
)
def test_values_of_the_wrong_kind_are_problems_not_crashes(added, problem):
    with pytest.raises(MappingError) as err:
        parse_mapping(GENERIC + added, "user.yaml")
    assert problem in str(err.value)


def test_a_mapping_that_is_not_utf8_is_a_problem_not_a_crash(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(GENERIC.replace("any MIDI device", "caf\xe9").encode("latin-1"))
    with pytest.raises(MappingError, match="not UTF-8 text"):
        load_mapping(str(path))


def test_a_broken_user_mapping_is_skipped_and_the_daemon_runs_on(tmp_path):
    from padserver.harness.daemon import DaemonProcess

    user = tmp_path / "maps"
    user.mkdir()
    (user / "broken.yaml").write_text(BROKEN)
    d = DaemonProcess(["--audio", "null"], config=f"midi:\n  api: jack\n  mappings: {user}\n", data_dir=str(tmp_path))
    try:
        d.wait_ready()
        log = d.log()
        assert f"mapping {user}/broken.yaml is not used" in log and "unknown action 'pad.trig'" in log
    finally:
        d.terminate()


def test_layout_docs_are_generated_from_the_mappings():
    with open(os.path.join(ROOT, "docs", "controllers.md")) as fh:
        assert fh.read() == layout_docs(), (
            "docs/controllers.md is stale: run `padserver mappings --docs > docs/controllers.md`"
        )
