"""Each audio backend, run as the daemon runs it, and what it puts out."""

import math
import os
import time

import numpy as np
import pytest
import soundfile as sf

from padserver.harness.capture import Capture
from padserver.harness.daemon import DaemonProcess
from padserver.harness.jack import Player
from padserver.harness.signals import write_click, write_tone
from padserver.harness.wait import wait_for

# the levels measured here are the pads' gain, pan and velocity, not the loops' loudness
LEVELS_AS_THEY_ARE = "loops:\n  normalize: false\n"
NO_CONNECT = "audio:\n  jack:\n    connect: []\n" + LEVELS_AS_THEY_ARE


def wait_log(d, text, timeout=15.0):
    wait_for(lambda: text in d.log() or d.proc.poll() is not None, timeout, f"{text!r} in the log")
    assert text in d.log(), d.log()


def test_auto_picks_jack_when_a_server_runs_and_says_why(jack_server, tmp_path):
    d = DaemonProcess([], env=jack_server.env, config=NO_CONNECT, data_dir=str(tmp_path))
    try:
        d.wait_ready()
        log = d.log()
        assert "audio: jack (a JACK server is running), 48000 Hz, 128-frame blocks" in log
        assert "ports padserver:master_L, padserver:master_R" in log
        assert f"OSC: 127.0.0.1:{d.port}" in log and f"data: {tmp_path}" in log
    finally:
        d.terminate()


def test_auto_falls_back_to_null_and_says_why(tmp_path):
    d = DaemonProcess([], env={"JACK_DEFAULT_SERVER": "no-such-server"}, data_dir=str(tmp_path))
    try:
        d.wait_ready()
        assert "audio: null (no JACK server and no audio output device" in d.log()
    finally:
        d.terminate()


def test_jack_without_a_server_is_a_clear_startup_error(tmp_path):
    d = DaemonProcess(["--audio", "jack"], env={"JACK_DEFAULT_SERVER": "no-such-server"}, data_dir=str(tmp_path))
    code = d.proc.wait(20)
    assert code == 1
    assert "audio: no JACK server 'no-such-server' is running" in d.log()


def test_pad_outputs_carry_each_pad_on_its_own_ports(jack_server, tmp_path):
    config = "audio:\n  jack:\n    connect: []\n    pad_outputs: true\nloops:\n  normalize: false\n"
    d = DaemonProcess(["--audio", "jack"], env=jack_server.env, config=config, data_dir=str(tmp_path))
    cap = None
    try:
        d.wait_ready()
        assert "and 32 pad outputs" in d.log()
        cap = Capture(jack_server, name="stems")
        cap.connect("padserver:pad03_L", "padserver:pad01_R")
        click = write_click(str(tmp_path / "click.wav"))
        d.osc.request("/pad/3/load", click, reply="/pad/3/loaded")
        _, start = cap.onset_of(lambda: d.osc.send("/pad/3/play"), 9600, channel=0)
        assert start is not None
        block = cap.frames(start + 200, start + 400)
        assert block[0].max() == pytest.approx(0.8 * math.cos(math.pi / 4), abs=1e-4)  # pad 3, centre pan
        assert np.all(block[1] == 0.0)  # pad 1 is silent
    finally:
        if cap is not None:
            cap.close()
        d.terminate()


def test_portaudio_backend_plays_through_the_jack_host_api(jack_server, tmp_path):
    d = DaemonProcess(["--audio", "portaudio"], env=jack_server.env, config=LEVELS_AS_THEY_ARE, data_dir=str(tmp_path))
    cap = None
    try:
        d.wait_ready()
        assert "audio: portaudio (chosen in the config or on the command line)" in d.log()
        cap = Capture(jack_server, name="pacapture")
        cap.connect("PortAudio:out_0", "PortAudio:out_1")
        click = write_click(str(tmp_path / "click.wav"))
        d.osc.request("/pad/1/load", click, reply="/pad/1/loaded")
        _, start = cap.onset_of(lambda: d.osc.send("/pad/1/play"), 48000, channel=1)
        assert start is not None, d.log()
        burst = cap.frames(start + 200, start + 400)
        assert burst.max() == pytest.approx(0.8 * math.cos(math.pi / 4), abs=1e-3)
    finally:
        if cap is not None:
            cap.close()
        d.terminate()


def test_portaudio_inputs_record_into_a_pad(jack_server, tmp_path):
    # (MIDI off: rtmidi's own JACK client beside PortAudio's duplex JACK client starves both on this machine)
    config = LEVELS_AS_THEY_ARE + "midi:\n  api: none\n"
    d = DaemonProcess(["--audio", "portaudio"], env=jack_server.env, config=config, data_dir=str(tmp_path))
    player = None
    try:
        d.wait_ready()
        player = Player(jack_server, np.full(4800, 0.5, dtype=np.float32), name="singer")
        player.connect("PortAudio:in_0")
        now = player.client.frame_time
        player.play_at([now + k * 24000 for k in range(1, 20)])  # a 0.1 s note every half second, for 10 s
        asked = player.client.frame_time
        assert d.osc.request("/pad/1/record", 1, "inputs=1", "count=0", reply="/pad/1/recording") == [1]
        take = d.recorded_take(1)
        landed = player.client.frame_time
        assert take.shape[1] == 96000  # one bar at 120 BPM, exactly
        rises = np.flatnonzero(np.diff((np.abs(take[0]) > 0.25).astype(int)) == 1)
        # (a cycle JACK dropped inside a note cuts it in two: a rise within a note's length of the last is its own)
        notes = np.array([r for i, r in enumerate(rises) if i == 0 or r - rises[i - 1] > 4800 + 256])
        gaps = np.diff(notes)
        # the notes, half a second apart: PortAudio does not say when JACK dropped one of its cycles, so a gap
        # with xruns in it comes short by the periods dropped (256 frames each); so may one next to a note the
        # test's player played late (by JACK's account of the player's cycles); the others are exact
        xruns = d.osc.status()["xruns"]
        # (PortAudio's client may lose a cycle without telling padserver: JACK tells every client, the player too)
        xruns = max(xruns, player.xruns_between(asked, landed))
        late = sum(1 for f in player.at if asked <= f <= landed and not player.on_time(f))
        exact = np.abs(gaps - 24000) <= 2
        assert len(notes) >= 3 and np.count_nonzero(~exact) <= xruns + 2 * late, (notes, xruns, player.missed)
        slack = 256 * xruns + jack_server.period * late
        assert all(24000 - slack - 2 <= g <= 24002 + jack_server.period * late for g in gaps), (notes, xruns, late)
    finally:
        if player is not None:
            player.close()
        d.terminate()


def test_record_writes_the_master_to_a_file(tmp_path):
    out = str(tmp_path / "set.flac")
    d = DaemonProcess(["--audio", "null", "--record", out], config=LEVELS_AS_THEY_ARE, data_dir=str(tmp_path))
    try:
        d.wait_ready()
        tone = write_tone(os.path.join(str(tmp_path), "tone.wav"), rate=48000, seconds=2.0, level=0.5)
        d.osc.request("/pad/1/load", tone, reply="/pad/1/loaded")
        d.osc.send("/pad/1/play")
        time.sleep(1.5)
    finally:
        code, _ = d.terminate()
    assert code == 0
    data, rate = sf.read(out)
    assert rate == 48000
    assert data.shape[1] == 2 and data.shape[0] > 1.2 * 48000
    assert np.max(np.abs(data[:, 0])) == pytest.approx(0.5 * math.cos(math.pi / 4), abs=2e-3)
    assert "recorded" in d.log()


def test_bad_record_path_is_a_clear_startup_error(tmp_path):
    d = DaemonProcess(["--audio", "null", "--record", str(tmp_path / "x.mp3")], data_dir=str(tmp_path))
    assert d.proc.wait(20) == 1
    assert "--record: record file must end in .wav or .flac" in d.log()


def test_preview_plays_a_library_loop_on_the_cue_outputs_only(jack_server, tmp_path):
    d = DaemonProcess(["--audio", "jack"], env=jack_server.env, config=NO_CONNECT, data_dir=str(tmp_path))
    cue = master = None
    try:
        d.wait_ready()
        assert "preview on padserver:cue_L, padserver:cue_R" in d.log()
        cue = Capture(jack_server, name="cue")
        cue.connect("padserver:cue_L", "padserver:cue_R")
        master = Capture(jack_server, name="master")
        master.connect("padserver:master_L", "padserver:master_R")
        click = write_click(str(tmp_path / "click.wav"))
        loop = d.osc.request("/library/import", click, reply="/library/imported")[0]
        _, start = cue.onset_of(lambda: d.osc.send("/library/preview", str(loop)), 9600)
        assert start is not None
        assert cue.frames(start + 200, start + 400)[0].max() == pytest.approx(0.8, abs=1e-4)  # unity, not panned
        master.wait_until(start + 9600)
        assert np.all(master.frames(start - 2048, start + 9600) == 0.0)  # the pads and the master are untouched
        assert all(p["state"] == "empty" for p in d.osc.status()["pads"])
        assert d.osc.request("/library/preview", "stop", reply="/library/preview") == ["stop"]
        later = cue.now() + 4800
        cue.wait_until(later + 48000)
        assert np.all(cue.frames(later, later + 48000) == 0.0)
    finally:
        for c in (cue, master):
            if c is not None:
                c.close()
        d.terminate()


def test_portaudio_puts_master_and_pads_on_the_chosen_output_pairs(tmp_path):
    from padserver.harness.jack import JackServer

    server = JackServer(outputs=8).start()  # an 8-output interface
    config = LEVELS_AS_THEY_ARE + "audio:\n  master_channels: 3\n  pad_channels: 5\n  inputs: 0\nmidi:\n  api: none\n"
    d = DaemonProcess(["--audio", "portaudio"], env=server.env, config=config, data_dir=str(tmp_path))
    caps = []
    try:
        d.wait_ready()
        status = d.osc.status()
        assert status["audio"]["outputs"][:3] == [
            "master on outputs 3/4",
            "pad01 on outputs 5/6",
            "pad02 on outputs 7/8",
        ]
        for name, (left, right) in (("c12", (0, 1)), ("c34", (2, 3)), ("c56", (4, 5)), ("c78", (6, 7))):
            cap = Capture(server, name=name)
            cap.connect(f"PortAudio:out_{left}", f"PortAudio:out_{right}")
            caps.append(cap)
        click = write_click(str(tmp_path / "click.wav"))
        d.osc.request("/pad/2/load", click, reply="/pad/2/loaded")
        _, start = caps[1].onset_of(lambda: d.osc.send("/pad/2/play"), 48000)
        assert start is not None, d.log()
        for cap in caps:
            cap.wait_until(start + 4800)
        heard = [np.abs(cap.frames(start - 2048, start + 4800)).max() for cap in caps]
        assert heard[0] == 0.0 and heard[1] > 0.1 and heard[2] == 0.0 and heard[3] > 0.1, heard  # master, pad 2
        bad = "audio:\n  master_channels: 9\nmidi:\n  api: none\n"
        d.terminate()
        d = DaemonProcess(["--audio", "portaudio"], env=server.env, config=bad, data_dir=str(tmp_path / "b"))
        with pytest.raises(RuntimeError, match="exited with 1"):  # it says why and stops
            d.wait_ready(10)
        assert "audio.master_channels 9: 'system' has 8 outputs, not 9/10" in d.log()
    finally:
        for cap in caps:
            cap.close()
        d.terminate()
        server.stop()


def test_a_portaudio_stream_that_stops_on_its_own_is_said_and_the_daemon_runs_on(tmp_path):
    # PortAudio's JACK host API stands for a sound card that goes away: its stream stops when the server dies
    from padserver.harness.jack import JackServer

    server = JackServer().start()
    config = LEVELS_AS_THEY_ARE + "audio:\n  inputs: 0\nmidi:\n  api: none\n"
    d = DaemonProcess(["--audio", "portaudio"], env=server.env, config=config, data_dir=str(tmp_path))
    try:
        d.wait_ready()
        assert d.osc.status()["audio"]["connected"] is True
        server.proc.kill()
        server.proc.wait()
        wait_log(d, "the audio stream on 'system' stopped")
        assert d.osc.request("/ping", reply="/pong") is not None  # the daemon still answers
        assert d.osc.status()["audio"]["connected"] is False
        code, took = d.terminate(timeout=15)
        assert code == 0 and took < 10, d.log()  # (it does not wait on a stream that will never close)
    finally:
        d.terminate()
        server.stop()
