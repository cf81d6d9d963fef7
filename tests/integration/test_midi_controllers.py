"""Controllers played over JACK MIDI: virtual ports named like the real devices stand in for them."""

import math
import os
import time

import numpy as np
import pytest

from padserver.harness.capture import Capture
from padserver.harness.daemon import DaemonProcess
from padserver.harness.jack import MidiDevice
from padserver.harness.launchpad import LPX, led_specs, lit
from padserver.harness.signals import write_click
from padserver.harness.wait import wait_for

# the levels measured here are the pads' gain, pan and velocity, not the loops' loudness
CONFIG = "audio:\n  jack:\n    connect: []\nloops:\n  normalize: false\n"
BAR = 96000


@pytest.fixture
def daemon(jack_server, tmp_path):
    d = DaemonProcess(["--audio", "jack"], env=jack_server.env, config=CONFIG, data_dir=str(tmp_path))
    yield d
    d.terminate()


@pytest.fixture
def capture(jack_server):
    cap = Capture(jack_server)
    yield cap
    cap.close()


def press_heard(
    device: MidiDevice, capture: Capture, message: bytes, channel: int = 0, tries: int = 4
) -> tuple[int, int | None]:
    """Press ``message`` until its sound is heard; (the press's frame, the onset). A press is made again only
    when nothing was heard and JACK's account says a cycle about it ran without the device or padserver (its
    MIDI then never reached padserver): a press in clean cycles that is not heard fails the test."""
    for _ in range(tries):
        pressed = device.press(message)
        capture.wait_until(pressed + 4800)
        onset = capture.onset(pressed - 2048, pressed + 4800, channel=channel)
        if onset is not None or device.clean(pressed, pressed + 4800):
            break
        time.sleep(1.0)
    return pressed, onset


def assert_on_its_frame(device: MidiDevice, capture: Capture, pressed: int, channel: int = 0) -> None:
    """The sound a press started begins on the press's own frame — unless JACK's account says a cycle about the
    press ran late (the device's or padserver's, whose cycle's events then come late): then within that."""
    onset = capture.onset(pressed - 2048, pressed + 4800, channel=channel)
    period = device.client.blocksize
    if device.on_time(pressed) and not device.xruns_between(pressed - 2 * period, pressed + 9600):
        assert onset == pressed
    else:
        assert onset is not None and pressed <= onset <= pressed + 4 * period, (onset, pressed, device.missed)


def test_launchpad_x_plays_pads_on_their_frame_and_its_lights_follow(jack_server, daemon, capture, tmp_path):
    pad = MidiDevice(jack_server, "Launchpad X", "LPX MIDI Out", "LPX MIDI In")
    daw = MidiDevice(jack_server, "Launchpad X DAW", "LPX DAW Out", "LPX DAW In")  # must be left alone
    try:
        daemon.wait_ready()
        pad.wait_for(lambda m: m == LPX + bytes.fromhex("0E 01 F7"))  # programmer mode
        pad.wait_for(lit(81, (0, 0)))  # the whole grid lit from the state: pad 1 empty
        capture.connect("padserver:master_L", "padserver:master_R")
        click = write_click(str(tmp_path / "click.wav"))
        daemon.osc.request("/pad/1/load", click, reply="/pad/1/loaded")
        daemon.osc.request("/pad/2/load", click, reply="/pad/2/loaded")
        pad.wait_for(lit(81, (0, 13)))  # loaded
        daemon.osc.send("/pad/1/pan", -1.0)
        daemon.osc.send("/pad/2/pan", 1.0)

        # Nothing plays: pad 2 starts on the very frame its note arrives.
        pressed, _ = press_heard(pad, capture, bytes.fromhex("90 52 7F"), channel=1)  # note 82 = pad 2
        assert_on_its_frame(pad, capture, pressed, channel=1)
        pad.wait_for(lit(82, (0, 21)))  # pad 2 playing: green

        # With pad 2 playing and a 1-bar quantum, pad 1 flashes queued, then plays on the bar.
        time.sleep(0.3)
        since = len(pad.received)
        pressed = pad.press_until(bytes.fromhex("90 51 7F"), lit(81, (1, 0, 21)), since)
        frame, _ = pad.wait_for(lit(81, (1, 0, 21)), since=since)  # flashing green
        on_bar, _ = pad.wait_for(lit(81, (0, 21)), timeout=4, since=since)
        capture.wait_until(pressed + BAR + 4800)
        started = capture.onset(pressed - 2048, pressed + BAR + 4800, channel=0)
        # The bar line is where pad 2's one-bar loop starts again (pad 2 started the grid). Pad 1
        # starts in that very block, on that very frame — compared within one block, not across
        # seconds of JACK's frame counter, which on a non-realtime dummy server can step by periods …
        assert started == capture.onset(started - 2400, started + 2400, channel=1)
        # … and it is the next bar line after the press, not a later one.
        assert 0 < started - pressed <= BAR
        # the order a musician sees; how fast (note → light) is measured by `padserver bench midi`
        assert pressed <= frame < started, "queued shows as soon as the pad is pressed, before the bar"
        assert started <= on_bar < started + 48000, "playing shows once the bar line has come"
        pad.send(bytes.fromhex("80 51 00"))

        # A note that is not mapped and a CC flood change nothing and break nothing.
        for _ in range(200):
            pad.send(bytes.fromhex("90 0B 40"))
            pad.send(bytes.fromhex("B0 70 10"))
        assert daemon.osc.request("/ping", reply="/pong")
        assert not daw.received, "the DAW port is not a controller port"
    finally:
        daemon.terminate()
        try:
            try:
                pad.wait_for(lambda m: m == LPX + bytes.fromhex("0E 00 F7"), timeout=3)  # exit: device layout back
            except AssertionError as exc:
                raise AssertionError(f"{exc}\n--- daemon log ---\n{daemon.log()[-3000:]}") from None
        finally:
            pad.close()
            daw.close()


def test_mpd218_by_position_with_velocity(jack_server, daemon, capture, tmp_path):
    mpd = MidiDevice(jack_server, "MPD218", "MPD218 Port A")
    try:
        daemon.wait_ready()
        wait_for(lambda: "Akai MPD218 connected" in daemon.log(), 10, "the MPD218 connected")
        capture.connect("padserver:master_L", "padserver:master_R")
        click = write_click(str(tmp_path / "click.wav"))
        daemon.osc.request("/pad/1/load", click, reply="/pad/1/loaded")
        daemon.osc.send("/pad/1/mode", "oneshot")
        daemon.osc.request("/ping", reply="/pong")
        pressed, start = press_heard(mpd, capture, bytes.fromhex("99 30 40"))  # note 48, top left, velocity 64
        assert_on_its_frame(mpd, capture, pressed)
        level = capture.frames(start + 200, start + 300)[0].max()
        assert level == pytest.approx(0.8 * math.cos(math.pi / 4) * 64 / 127, abs=1e-3)
    finally:
        mpd.close()


def test_apc_mini_lights_by_velocity_and_hot_plug_restores_them(jack_server, daemon, tmp_path):
    apc = MidiDevice(jack_server, "APC MINI", "APC MINI MIDI 1 out", "APC MINI MIDI 1 in")
    try:
        daemon.wait_ready()
        click = write_click(str(tmp_path / "click.wav"))
        daemon.osc.request("/pad/1/load", click, reply="/pad/1/loaded")
        apc.wait_for(lambda m: m == bytes.fromhex("90 38 05"))  # note 56 (pad 1) yellow = loaded
        apc.close()
        gone = "controller Akai APC mini (APC MINI:APC MINI MIDI 1 out) is gone"
        wait_for(lambda: gone in daemon.log(), 10, "the APC mini gone")
        apc = MidiDevice(jack_server, "APC MINI", "APC MINI MIDI 1 out", "APC MINI MIDI 1 in")
        # lit again as it was (how soon: `padserver bench midi`'s target, 2 s)
        apc.wait_for(lambda m: m == bytes.fromhex("90 38 05"), timeout=30)
        since = len(apc.received)
        apc.press_until(bytes.fromhex("90 38 7F"), lambda m: m == bytes.fromhex("90 38 01"), since)  # pad 1: green
    finally:
        apc.close()


def test_midi_learn_binds_the_next_note_and_survives_a_restart(jack_server, capture, tmp_path):
    device = MidiDevice(jack_server, "Launchpad X", "LPX MIDI Out", "LPX MIDI In")
    d = None
    try:
        d = DaemonProcess(["--audio", "jack"], env=jack_server.env, config=CONFIG, data_dir=str(tmp_path))
        d.wait_ready()
        device.wait_for(lambda m: m == LPX + bytes.fromhex("0E 01 F7"))
        assert d.osc.request("/midi/learn", 5, "pad.trigger", reply="/midi/learn") == ["waiting"]
        device.send(bytes.fromhex("90 0B 7F"))  # note 11: normally "stop pad 13"
        assert d.osc.request("/ping", reply="/midi/learned", timeout=3) == [
            "launchpad-x",
            "note",
            11,
            1,
            "pad.trigger",
            5,
        ]
        assert os.path.isfile(tmp_path / "config" / "padserver" / "learned.yaml")
        d.terminate()
        # after a restart the learned note still plays pad 5, on its own frame
        since = len(device.received)  # (before it starts: it sets the device up as it connects, then clocks it)
        d = DaemonProcess(["--audio", "jack"], env=jack_server.env, config=CONFIG, data_dir=str(tmp_path))
        d.wait_ready()
        assert "1 learned binding(s) added to launchpad-x" in d.log()
        device.wait_for(lambda m: m == LPX + bytes.fromhex("0E 01 F7"), since=since)
        capture.connect("padserver:master_L", "padserver:master_R")
        click = write_click(str(tmp_path / "click.wav"))
        d.osc.request("/pad/5/load", click, reply="/pad/5/loaded")
        pressed, _ = press_heard(device, capture, bytes.fromhex("90 0B 7F"))
        assert_on_its_frame(device, capture, pressed)
    finally:
        if d is not None:
            d.terminate()
        device.close()


def test_rtmidi_path_when_audio_is_not_on_jack(jack_server, tmp_path):
    """Audio on the null backend, MIDI through mido/python-rtmidi (its JACK API here; ALSA or CoreMIDI elsewhere)."""
    device = MidiDevice(jack_server, "Launchpad X", "LPX MIDI Out", "LPX MIDI In")
    d = DaemonProcess(["--audio", "null"], env=jack_server.env, config="midi:\n  api: jack\n", data_dir=str(tmp_path))
    try:
        d.wait_ready()
        device.wait_for(lambda m: m == LPX + bytes.fromhex("0E 01 F7"))
        assert "MIDI: rtmidi (jack)" in d.log()
        click = write_click(str(tmp_path / "click.wav"))
        d.osc.request("/pad/1/load", click, reply="/pad/1/loaded")
        device.wait_for(lit(81, (0, 13)))
        device.press_until(bytes.fromhex("90 51 7F"), lit(81, (0, 21)))  # playing
        # MIDI clock goes out to it too (its tempo through rtmidi: a target of `padserver bench sync`)
        since = len(device.received)
        wait_for(lambda: sum(m == b"\xf8" for _, m in device.received[since:]) >= 48, 30, "two beats of clock ticks")
        d.terminate()
        device.wait_for(lambda m: m == LPX + bytes.fromhex("0E 00 F7"))  # out of programmer mode as it closed
    finally:
        d.terminate()
        device.close()


def test_launchpad_x_runs_the_song_transport_and_shows_the_beat(jack_server, daemon, capture, tmp_path):
    pad = MidiDevice(jack_server, "Launchpad X", "LPX MIDI Out", "LPX MIDI In")
    try:
        daemon.wait_ready()
        pad.wait_for(lit(96, (0, 1)))  # play: dim while the song is stopped
        capture.connect("padserver:master_L", "padserver:master_R")
        click = write_click(str(tmp_path / "click.wav"))
        daemon.osc.request("/song/track/add", reply="/song/track/added")
        daemon.osc.request("/song/clip/add", 1, click, 1, 8, reply="/song/clip/added")
        since = len(pad.received)
        pressed = pad.press_until(bytes.fromhex("B0 60 7F"), lit(96, (0, 21)), since)  # CC 96: play; green
        capture.wait_until(pressed + 9600)
        assert capture.onset(pressed - 2048, pressed + 9600) is not None  # the song sounds
        # the beat light: red on the bar's first beat, off on the second, green on the third, off on the fourth
        # (two bars of it: the test's device, a client at normal priority on a busy machine, can miss a cycle,
        # and the message in it, as a USB device never does)
        time.sleep(5.0)
        beat_light = []  # (frame, colour) of each change (a light written twice, resent after an xrun, is one)
        for frame, m in pad.received[since:]:
            if m.startswith(LPX + b"\x03") and 39 in led_specs(m):
                colour = led_specs(m)[39][1]
                if not beat_light or beat_light[-1][1] != colour:
                    beat_light.append((frame, colour))
        colours = [c for _, c in beat_light]
        bars = [i for i in range(len(colours)) if colours[i : i + 5] == [5, 0, 21, 0, 5]]
        assert bars, (beat_light, pad.missed)
        frames = [f for f, _ in beat_light[bars[0] : bars[0] + 5]]
        steps = list(np.diff(frames))
        assert all(abs(step - BAR // 4) < BAR // 16 for step in steps), steps  # a beat apart (lights at 30 Hz)
        since = len(pad.received)
        # (a press in a cycle JACK ran without the device or padserver may be lost: made again then)
        pad.press_until(bytes.fromhex("B0 31 7F"), lit(49, (0, 13)), since)  # CC 49: metronome
        pad.press_until(bytes.fromhex("B0 62 7F"), lit(98, (0, 5)), since)  # CC 98: record the performance
        assert daemon.osc.status()["transport"] == "recording"
        since = len(pad.received)
        pad.press_until(bytes.fromhex("B0 61 7F"), lit(96, (0, 1)), since)  # CC 97: stop (the recording ends)
        pad.wait_for(lit(98, (0, 7)), since=since)
        pad.wait_for(lit(39, (0, 0)), since=since)
        assert daemon.osc.status()["transport"] == "stopped"
    finally:
        pad.close()
