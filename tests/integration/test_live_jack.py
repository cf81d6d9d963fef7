"""A live pad on a real (dummy-driver) JACK server, against a fake Lyria RealTime that streams in real time: the
stream starts on a bar line of the loops already playing, and its beats stay on theirs."""

import numpy as np
import pytest

from padserver.harness.capture import Capture
from padserver.harness.daemon import DaemonProcess
from padserver.harness.fakes import FakeLyria
from padserver.harness.signals import write_click
from padserver.harness.wait import wait_for
from tests.integration.test_jack_daemon import CONFIG as JACK_CONFIG

BEAT = 24000  # frames per beat at 120 BPM, 48 kHz
BAR = 4 * BEAT
CONFIG = (
    JACK_CONFIG
    + """
providers:
  google_api_key: g-test-key-789
  lyria-realtime:
    lead_in_s: 1.0
    buffer_s: 1.0
"""
)


@pytest.fixture
def lyria():
    fake = FakeLyria(realtime=True, warmup_s=1.0)
    yield fake
    fake.close()


def test_a_live_stream_on_jack_starts_on_a_bar_line_of_the_loops_and_keeps_their_beat(jack_server, lyria, tmp_path):
    d = DaemonProcess(["--audio", "jack"], env={**jack_server.env, **lyria.env()}, config=CONFIG,
                      data_dir=str(tmp_path))  # fmt: skip
    d.wait_ready()
    capture = Capture(jack_server)
    try:
        capture.connect("padserver:master_L", "padserver:master_R")
        osc = d.osc
        # a click loop hard left marks the bar lines; the live pad plays hard right
        osc.request("/pad/1/load", write_click(str(tmp_path / "click.wav")), reply="/pad/1/loaded")
        osc.send("/pad/1/pan", -1.0)
        osc.send("/pad/2/mode", "live")
        osc.send("/pad/2/pan", 1.0)
        _, first = capture.onset_of(lambda: osc.send("/pad/1/trigger"), 96000, channel=0)
        assert first is not None
        osc.send("/pad/2/trigger")
        status = osc.status
        wait_for(lambda: status()["pads"][1]["state"] == "playing", 25, "the stream to start")
        begun = capture.now()
        capture.wait_until(begun + 4 * BAR + BAR // 2)
        audio = capture.frames(begun - 2 * BAR, begun + 4 * BAR)
        left, right = audio[0], np.abs(audio[1])
        base = begun - 2 * BAR
        # the click's bar lines on the left (each a period later for each cycle JACK ran without padserver)
        lines = [base + int(i) for i in np.flatnonzero((left[1:] > 0.1) & (left[:-1] <= 0.1)) + 1]
        # the stream begins on one of them: silent before it, sounding from it
        onset = base + int(np.flatnonzero(right > 1e-4)[0])
        assert any(abs(onset - line) <= 2 for line in lines), (onset, lines)
        # and its downbeats' clicks (the fake's music: a click each beat, louder on the bar) fall on the later
        # bar lines, to a couple of milliseconds
        heard = [line for line in lines if line > onset + BAR // 2 and line + 240 < base + right.size]
        assert len(heard) >= 3
        # (a cycle the capture missed leaves that bar line's click unknown: those are not read)
        measured = [line for line in heard if not capture.missed(line - 240, line + 240)]
        assert measured, (heard, lines)
        for line in measured:
            window = right[line - base - 240 : line - base + 240]
            rise = int(np.argmax(window >= 0.5 * window.max())) - 240
            assert abs(rise) <= 96, (line, rise)
        live = status()["live"]["2"]
        assert live["state"] == "playing" and live["latency_bars"] > 0.2, live
    finally:
        capture.close()
        d.terminate()
