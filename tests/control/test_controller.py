"""A controller's logic with real actions and a real engine (no audio driver needed)."""

import asyncio

import pytest

from padserver.actions import Actions
from padserver.control.controller import Controller
from padserver.control.leds import pad_colour
from padserver.control.mapping_files import load_mapping, parse_mapping, shipped_dir
from padserver.control.mappings import Colour
from padserver.engine import commands as cmd
from padserver.engine.mixer import Engine
from padserver.state.project import Project


@pytest.fixture
def actions():
    return Actions(Project(), Engine(48000, 1024), library=None, allowed=[])


def controller(actions, name="apc-mini-mk2", text=None):
    mapping = parse_mapping(text, "t.yaml") if text else load_mapping(f"{shipped_dir()}/{name}.yaml")
    sent: list[bytes] = []
    return Controller(mapping, actions, sent.append, "test port"), sent


def test_faders_set_gain_and_shift_moves_them_to_the_other_pads(actions):
    c, _ = controller(actions)
    c.on_midi(bytes.fromhex("B0 30 7F"))  # fader 1 (CC 48) up
    assert actions.project.pad(1).gain == 1.0
    c.on_midi(bytes.fromhex("B0 31 40"))  # fader 2 half way
    assert actions.project.pad(2).gain == pytest.approx(64 / 127, abs=1e-4)
    c.on_midi(bytes.fromhex("90 7A 7F"))  # shift (note 122) held
    c.on_midi(bytes.fromhex("B0 30 00"))
    assert actions.project.pad(9).gain == 0.0 and actions.project.pad(1).gain == 1.0
    c.on_midi(bytes.fromhex("80 7A 00"))
    c.on_midi(bytes.fromhex("B0 38 7F"))  # master fader
    assert actions.project.master_gain == 1.0


RELATIVE = """
info: {device: Encoders, ports: [Enc]}
controls:
  - {cc: 20, value: pad.pan, pad: 3, relative: true, step: 0.1}
  - {cc: 21, value: tempo, range: [60, 180]}
"""


def test_relative_encoders_step_and_ranges_scale(actions):
    c, _ = controller(actions, text=RELATIVE)
    for _ in range(3):
        c.on_midi(bytes.fromhex("B0 14 01"))  # +1 step each
    assert actions.project.pad(3).pan == pytest.approx(0.3)
    c.on_midi(bytes.fromhex("B0 14 7E"))  # -2 steps (two's complement)
    assert actions.project.pad(3).pan == pytest.approx(0.1)
    for _ in range(30):
        c.on_midi(bytes.fromhex("B0 14 01"))
    assert actions.project.pad(3).pan == 1.0  # clamped to the range
    c.on_midi(bytes.fromhex("B0 15 7F"))
    assert actions.project.tempo == 180.0


def test_buttons_toggle_mute_and_solo_and_shift_clears(actions):
    c, _ = controller(actions)
    c.on_midi(bytes.fromhex("90 3C 7F"))  # note 60: mute pad 1
    assert actions.project.pad(1).mute
    c.on_midi(bytes.fromhex("90 3C 7F"))
    assert not actions.project.pad(1).mute
    c.on_midi(bytes.fromhex("90 1C 7F"))  # note 28: solo pad 1
    assert actions.project.pad(1).solo
    actions.project.pad(1).state = "loaded"
    c.on_midi(bytes.fromhex("90 7A 7F"))  # shift
    c.on_midi(bytes.fromhex("90 38 7F"))  # shift + pad 1: clear
    assert actions.project.pad(1).state == "empty"


def test_pad_presses_become_engine_triggers_with_velocity_where_the_mapping_says(actions):
    actions.project.pad(1).state = "loaded"
    c, _ = controller(actions, "mpd218")
    c.on_midi(bytes.fromhex("99 30 40"))
    c.on_midi(bytes.fromhex("89 30 00"))
    queued = list(actions.engine.commands)
    trigger = next(q for q in queued if isinstance(q, cmd.Trigger))
    assert trigger.pad == 0 and trigger.gain == pytest.approx(64 / 127)
    assert any(isinstance(q, cmd.Release) and q.pad == 0 for q in queued)


def test_led_precedence_and_dimmed_muted_pads():
    mapping = load_mapping(f"{shipped_dir()}/launchpad-x.yaml")
    pad = Project().pad(1)
    pad.state = "playing"
    assert pad_colour(mapping, pad) == Colour(21)
    pad.mute = True
    assert pad_colour(mapping, pad) == Colour(23)  # dimmed green
    pad.generating = True
    assert pad_colour(mapping, pad) == Colour(53, "pulse")  # generating over playing
    assert pad_colour(mapping, pad, failed=True) == Colour(5, "flash")  # a failed job over that
    pad.state = "error"
    assert pad_colour(mapping, pad, failed=True) == Colour(5)  # error over everything
    pad.state, pad.generating, pad.mute = "queued", False, False
    assert pad_colour(mapping, pad) == Colour(21, "flash")


def test_lights_follow_state_changes_with_few_messages(actions):
    c, sent = controller(actions, "launchpad-x")
    c.connect()
    assert sent[0] == bytes.fromhex("F0 00 20 29 02 0C 0E 01 F7")
    assert len(sent) == 2  # the init, then the whole grid in one SysEx
    sent.clear()
    actions.project.pad(7).state = "playing"
    c.on_change(7, "state", "playing")
    # pad 7 (note 73) green, its stop button (note 33), and the tap (CC 91) and stop-all (CC 92) buttons
    assert sent == [bytes.fromhex("F0 00 20 29 02 0C 03 00 49 15 00 21 07 00 5B 03 00 5C 05 F7")]
    sent.clear()
    c.on_change(7, "state", "playing")
    assert sent == []  # nothing changed: nothing sent
    c.set_failed(7, True)
    assert sent == [bytes.fromhex("F0 00 20 29 02 0C 03 01 49 00 05 F7")]


@pytest.mark.parametrize(
    "junk", [b"", b"\x90", b"\x90\x30", b"\xf0\x01\x02", b"\xb0\x07", b"\x30\x40\x50", b"\xf8", b"\xe0\x00\x40"]
)
def test_malformed_or_unbound_messages_change_nothing(actions, junk):
    c, _ = controller(actions)
    before = (actions.project.pad(1).gain, actions.project.master_gain, len(actions.engine.commands))
    c.on_midi(junk)
    assert (actions.project.pad(1).gain, actions.project.master_gain, len(actions.engine.commands)) == before


def test_scene_buttons_launch_their_row_and_the_transport_buttons_light(actions):
    from padserver.actions.song import SongActions
    from padserver.engine import commands as cmd

    actions.song = SongActions(actions)
    for n in (5, 6, 9):
        actions.project.pad(n).state = "loaded"
    c, sent = controller(actions)  # APC mini mk2: scene buttons 112..115 beside the pad rows
    actions.listeners.append(c.on_change)  # as the daemon wires every connected controller
    c.connect()
    c.on_midi(bytes.fromhex("90 71 7F"))  # note 113: scene 2
    launched = [command.pad for command in actions.engine.commands if isinstance(command, cmd.Launch)]
    assert launched == [4, 5]  # pads 5 and 6 (row 2), not pad 9
    sent.clear()
    c.on_midi(bytes.fromhex("90 6A 7F"))  # note 106: metronome
    assert actions.project.metronome and bytes.fromhex("96 6A 01") in sent  # its light on (channel 7: full)


def test_a_listener_that_fails_does_not_keep_the_lights_dark(actions, caplog):
    # (one surface's fault stopped feedback for every surface after it, and the event pump with it)
    c, sent = controller(actions)
    actions.listeners.insert(0, lambda pad, key, value: 1 / 0)
    actions.listeners.append(c.on_change)
    before = len(sent)
    actions.pad_mute(1, 1)
    assert actions.project.pad(1).mute and actions.listener_failures == 1
    assert len(sent) > before  # the controller still heard of it: its mute light
    assert "telling" in caplog.text and "ZeroDivisionError" in caplog.text


class LossyTransport:
    """A MIDI transport that may lose what it sends (rtmidi's JACK API, when the device misses a cycle)."""

    may_lose = True

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def open(self, *args):
        return object()

    def send(self, link, message: bytes) -> None:
        self.sent.append(message)

    def alive(self, link) -> bool:
        return True


def test_a_controller_on_a_transport_that_may_lose_messages_gets_its_set_up_once_more(actions):
    from padserver.control.midi import MidiManager

    manager = MidiManager([load_mapping(f"{shipped_dir()}/launchpad-x.yaml")], actions, LossyTransport())
    ports = (["Launchpad X:LPX MIDI Out"], ["Launchpad X:LPX MIDI In"])
    asyncio.run(manager.scan(ports))
    first = list(manager.transport.sent)
    assert first and first[0].startswith(bytes.fromhex("F0 00 20 29"))  # programmer mode, then the lights
    asyncio.run(manager.scan(ports))
    asyncio.run(manager.scan(ports))
    assert manager.transport.sent == first * 2  # once more on the next scan, and no more


def test_a_waiting_osc_client_blinks_the_shift_key_and_a_press_pairs_it(actions, tmp_path):
    from padserver.control.pairing import Pairing

    pairing = Pairing(str(tmp_path))
    pairing.refused(("10.0.0.20", 9000))  # a tablet on the venue's Wi-Fi asked
    c, sent = controller(actions, "launchpad-x")
    c.pairing = pairing
    c.connect()
    sent.clear()
    c.blink = True  # (the MIDI manager's blink, while a client waits)
    c.refresh()
    assert sent == [bytes.fromhex("F0 00 20 29 02 0C 03 00 13 03 F7")]  # the shift key (19) lit: colour 3
    sent.clear()
    c.blink = False
    c.refresh()
    assert sent == [bytes.fromhex("F0 00 20 29 02 0C 03 00 13 01 F7")]  # and back: colour 1
    c.on_midi(bytes.fromhex("B0 13 7F"))  # shift pressed
    assert pairing.admits("10.0.0.20") and not pairing.waiting
    assert Pairing(str(tmp_path)).admits("10.0.0.20")  # remembered


def test_the_live_layer_puts_the_faders_on_a_live_pads_weights_and_gives_the_gains_back(actions):
    from padserver.actions.live import LivePads

    actions.live = LivePads(actions)
    c, sent = controller(actions)
    actions.pad_mode(5, "live")
    c.on_midi(bytes.fromhex("B0 30 7F"))  # fader 1: pad 1's gain, as always
    assert actions.project.pad(1).gain == 1.0
    sent.clear()
    c.on_midi(bytes.fromhex("90 74 7F"))  # scene button 116: the live layer on, its light with it
    assert bytes.fromhex("96 74 01") in sent
    c.on_midi(bytes.fromhex("B0 30 40"))  # fader 1: the live pad's first prompt weight (0..2)
    c.on_midi(bytes.fromhex("B0 37 7F"))  # fader 8: its eighth
    weights = [w for _, w in actions.project.pad(5).live_prompts]
    assert weights[0] == pytest.approx(2 * 64 / 127, abs=1e-3) and weights[7] == 2.0
    assert actions.project.pad(1).gain == 1.0 and actions.project.pad(8).gain == 1.0  # the gains untouched
    c.on_midi(bytes.fromhex("B0 38 00"))  # fader 9 stays the master
    assert actions.project.master_gain == 0.0
    sent.clear()
    c.on_midi(bytes.fromhex("90 74 7F"))  # off again: the faders are the gains'
    assert bytes.fromhex("96 74 00") in sent
    c.on_midi(bytes.fromhex("B0 30 20"))
    assert actions.project.pad(1).gain == pytest.approx(32 / 127, abs=1e-4)
    assert actions.project.pad(5).live_prompts[0][1] == pytest.approx(2 * 64 / 127, abs=1e-3)


def test_shift_and_a_solo_button_make_a_live_pad_and_back_and_knobs_steer_the_pad_they_name(actions):
    from padserver.actions.live import LivePads

    actions.live = LivePads(actions)
    c, _ = controller(actions)
    c.on_midi(bytes.fromhex("90 7A 7F"))  # shift held
    c.on_midi(bytes.fromhex("90 15 7F"))  # + pad 6's solo button (note 21)
    assert actions.project.pad(6).mode == "live" and not actions.project.pad(6).solo

    async def back() -> None:  # (leaving live mode ends its session: a task)
        c.on_midi(bytes.fromhex("90 15 7F"))

    asyncio.run(back())
    assert actions.project.pad(6).mode == "loop"
    c.on_midi(bytes.fromhex("80 7A 00"))
    knobs = """
info: {device: Knobs, ports: [Knobs]}
controls:
  - {cc: 20, value: live.density, pad: 3}
  - {cc: 21, value: live.weight.2, pad: 3, relative: true, step: 0.1}
  - {note: 40, press: live.mute_drums, pad: 3}
"""
    k, _ = controller(actions, text=knobs)
    k.on_midi(bytes.fromhex("B0 14 40"))  # pad 3 is no live pad: refused, nothing changes
    assert actions.project.pad(3).live_settings == {}
    actions.pad_mode(3, "live")
    k.on_midi(bytes.fromhex("B0 14 7F"))
    k.on_midi(bytes.fromhex("B0 15 03"))  # three steps up from 1.0
    k.on_midi(bytes.fromhex("90 28 7F"))
    assert actions.project.pad(3).live_settings == {"density": 1.0, "mute_drums": 1}
    assert actions.project.pad(3).live_prompts[1][1] == pytest.approx(1.3)
    k.on_midi(bytes.fromhex("90 28 7F"))
    assert actions.project.pad(3).live_settings["mute_drums"] == 0


def test_a_range_of_weights_numbers_the_slots_and_may_not_run_past_the_eighth():
    from padserver.control.mappings import MappingError

    mapping = parse_mapping("info: {device: F, ports: [F]}\ncontrols:\n  - {cc: [1, 4], value: live.weight.5}\n", "f")
    assert [c.value for c in mapping.controls] == [f"live.weight.{n}" for n in (5, 6, 7, 8)]
    with pytest.raises(MappingError, match="8 prompt weights"):
        parse_mapping("info: {device: F, ports: [F]}\ncontrols:\n  - {cc: [1, 5], value: live.weight.5}\n", "f")
    with pytest.raises(MappingError, match="layer"):
        parse_mapping("info: {device: F, ports: [F]}\ncontrols:\n  - {cc: 1, value: pad.gain, pad: 1, layer: x}\n", "f")


def test_midi_learn_puts_a_knob_on_a_live_prompt_weight_and_keeps_it(actions, tmp_path):
    from padserver.actions.live import LivePads
    from padserver.control.learn import Learn

    actions.live = LivePads(actions)
    actions.pad_mode(7, "live")
    c, _ = controller(actions, "launchpad-x")
    learn = Learn(str(tmp_path / "learned.yaml"))
    learn.start(0, "live.weight.3", None)  # no pad: the live pad last started (else the first)
    assert learn.hook(c, "cc", 0, 70)
    c.on_midi(bytes.fromhex("B0 46 7F"))
    assert actions.project.pad(7).live_prompts[2][1] == 2.0
    saved = (tmp_path / "learned.yaml").read_text()
    assert "live.weight.3" in saved and "cc: 70" in saved
    with pytest.raises(ValueError, match="action must be one of"):
        learn.start(0, "live.weight.9", None)


@pytest.mark.skipif(not __import__("padserver.engine.effects", fromlist=["x"]).AVAILABLE, reason="effects not built")
def test_the_effects_layer_puts_the_faders_on_the_selected_pads_effects_and_leaves_the_gains(actions):
    c, sent = controller(actions)
    c.on_midi(bytes.fromhex("90 7A 7F"))  # shift held
    c.on_midi(bytes.fromhex("90 74 7F"))  # + scene button 116: the effects layer on, the button lit
    c.on_midi(bytes.fromhex("80 74 00"))
    assert bytes.fromhex("96 74 01") in sent
    c.on_midi(bytes.fromhex("90 3A 7F"))  # shift + pad 3 (note 58, top row): selected, not cleared
    c.on_midi(bytes.fromhex("80 7A 00"))  # shift let go
    assert actions.project.fx_pad == 3
    c.on_midi(bytes.fromhex("B0 30 00"))  # fader 1: the filter, all the way left
    c.on_midi(bytes.fromhex("B0 32 00"))  # fader 3: EQ low at the bottom: killed
    c.on_midi(bytes.fromhex("B0 35 7F"))  # fader 6: the delay's echoes, full
    c.on_midi(bytes.fromhex("B0 37 40"))  # fader 8: the reverb send, half way
    assert actions.project.pad(3).fx == {"filter": -1.0, "eq/low": -96.0, "delay/mix": 1.0,
                                         "reverb": pytest.approx(64 / 127, abs=1e-3)}  # fmt: skip
    assert all(p.gain == 1.0 for p in actions.project.pads)  # the gains untouched
    c.on_midi(bytes.fromhex("90 74 7F"))  # (without shift) the button switches to the live layer
    assert c.layer == "live"
    c.on_midi(bytes.fromhex("90 74 7F"))  # and off: the faders are the gains'
    c.on_midi(bytes.fromhex("B0 30 20"))
    assert actions.project.pad(1).gain == pytest.approx(32 / 127, abs=1e-4)


@pytest.mark.skipif(not __import__("padserver.engine.effects", fromlist=["x"]).AVAILABLE, reason="effects not built")
def test_midi_learn_puts_a_knob_on_a_pads_filter(actions, tmp_path):
    from padserver.control.learn import Learn

    c, _ = controller(actions, "launchpad-x")
    learn = Learn(str(tmp_path / "learned.yaml"))
    learn.start(5, "fx.filter", None)
    assert learn.hook(c, "cc", 0, 71)
    c.on_midi(bytes.fromhex("B0 47 7F"))
    assert actions.project.pad(5).fx["filter"] == 1.0
    assert "fx.filter" in (tmp_path / "learned.yaml").read_text()
