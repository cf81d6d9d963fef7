"""The daemon as a process on a real (dummy-driver) JACK server, heard through our own JACK client."""

import subprocess
import time

import pytest

from padserver.harness.daemon import DaemonProcess, free_udp_port
from padserver.harness.jack import Capture, JackServer
from padserver.harness.signals import write_click
from padserver.harness.wait import wait_for

# the levels measured here are the pads' gain and pan, not the loops' loudness
CONFIG = """
audio:
  jack:
    connect: []
engine:
  launch_together_ms: 0
loops:
  normalize: false
"""
BEAT = 24000  # frames per beat at 120 BPM, 48 kHz
BAR = 4 * BEAT


@pytest.fixture
def daemon(jack_server, tmp_path):
    d = DaemonProcess(["--audio", "jack"], env=jack_server.env, config=CONFIG, data_dir=str(tmp_path))
    d.wait_ready()
    yield d
    d.terminate()


@pytest.fixture
def capture(jack_server, daemon):
    cap = Capture(jack_server)
    cap.connect("padserver:master_L", "padserver:master_R")
    yield cap
    cap.close()


def test_click_lands_on_the_quantum_boundary_at_the_level_set(daemon, capture, tmp_path):
    click = write_click(str(tmp_path / "click.wav"))
    osc = daemon.osc
    bars, loop = osc.request("/pad/1/load", click, reply="/pad/1/loaded")
    assert bars == 1
    assert osc.request("/pad/2/load", click, reply="/pad/2/loaded") == [1, loop]  # the same library loop
    for message in (("/pad/1/gain", 0.5), ("/pad/1/pan", -1.0), ("/pad/2/pan", 1.0), ("/pad/2/quantize", "1/4")):
        osc.send(*message)
    osc.request("/ping", reply="/pong")

    # nothing plays: it starts at once and the bar grid starts there
    sent, first = capture.onset_of(lambda: osc.send("/pad/1/trigger"), 12000, channel=0)
    assert first is not None and first - sent < 4800, "the first launch should start within 100 ms"
    assert capture.onset(first - 24000, first, channel=0) is None

    # Press pad 2 a tenth of a beat after some beat line: it must wait for the next one.
    k = (capture.now() - first) // BEAT + 2
    capture.wait_until(first + k * BEAT + 2400)
    pressed = capture.now()
    osc.send("/pad/2/trigger")
    expected = first + (k + 1) * BEAT
    assert pressed < expected
    capture.wait_until(expected + 4800)
    assert capture.onset(pressed - 2048, expected + 4800, channel=1) == expected

    # Pad 1 loops on the bar grid, at gain 0.5 hard left: 0.8 × 0.5 on the left, nothing on the right.
    again = first + ((expected - first) // BAR + 1) * BAR
    capture.wait_until(again + 4800)
    assert capture.onset(again - 2400, again + 2400, channel=0) == again
    burst = capture.frames(again + 200, again + 400)  # past the 2 ms fade, inside the 10 ms burst
    assert burst[0].min() == pytest.approx(0.4, abs=1e-4) and burst[0].max() == pytest.approx(0.4, abs=1e-4)
    capture.wait_until(again + 20000)
    quiet = capture.frames(again + 1000, again + 20000)
    assert abs(quiet[0]).max() == 0.0

    status = osc.request("/status", reply="/status")
    assert '"state":"playing"' in status[0]


def test_sigterm_fades_out_and_exits_zero_within_two_seconds(jack_server, tmp_path):
    d = DaemonProcess(["--audio", "jack"], env=jack_server.env, config=CONFIG, data_dir=str(tmp_path))
    d.wait_ready()
    click = write_click(str(tmp_path / "click.wav"))
    d.osc.request("/pad/1/load", click, reply="/pad/1/loaded")
    d.osc.send("/pad/1/play")
    time.sleep(0.3)
    code, took = d.terminate()
    assert code == 0
    assert took < 2.0
    assert "stopped" in d.log()


def test_liblo_tools_as_an_independent_peer(daemon, tmp_path):
    dump_port = free_udp_port()
    dump = subprocess.Popen(
        ["oscdump", "-L", str(dump_port)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        time.sleep(0.3)
        target = ["oscsend", "localhost", str(daemon.port)]
        subprocess.run([*target, "/register", "si", "127.0.0.1", str(dump_port)], check=True)
        subprocess.run([*target, "/ping"], check=True)
        subprocess.run([*target, "/pad/17/gain", "f", "0.5"], check=True)
        subprocess.run([*target, "/tempo", "s", "fast"], check=True)
        time.sleep(0.5)
    finally:
        dump.terminate()
        out = dump.communicate(timeout=5)[0]
    assert '/registered si "127.0.0.1"' in out
    assert '/pong s "0.1.0"' in out
    assert '/error ss "/pad/17/gain" "pad must be in range 1..16 (got 17)"' in out
    assert '/error ss "/tempo" "tempo must be a number' in out


def test_daemon_survives_jack_going_away_and_reconnects(tmp_path):
    server = JackServer().start()
    d = DaemonProcess(["--audio", "jack"], env=server.env, config=CONFIG, data_dir=str(tmp_path))
    try:
        d.wait_ready()
        server.stop()
        time.sleep(1.5)
        assert d.proc.poll() is None, "the daemon must survive the JACK server going away"
        assert d.osc.request("/ping", reply="/pong") == ["0.1.0"]
        server.start()
        wait_for(lambda: "server is back" in d.log(), 20, "the daemon back on JACK")
        cap = Capture(server)
        cap.connect("padserver:master_L", "padserver:master_R")
        click = write_click(str(tmp_path / "click.wav"))
        d.osc.request("/pad/1/load", click, reply="/pad/1/loaded")
        _, start = cap.onset_of(lambda: d.osc.send("/pad/1/play"), 9600)
        assert start is not None, "audio flows again after the reconnect"
        cap.close()
        assert "went away" in d.log()
    finally:
        d.terminate()
        server.stop()
