"""Effects on a real (dummy-driver) JACK server: a pad's delay puts its echoes a beat apart after a click, each at
the feedback's share of the last, in what JACK hears; they ring on after the pad stops, and panic silences them."""

import numpy as np
import pytest

from padserver.harness.capture import Capture
from padserver.harness.daemon import DaemonProcess
from padserver.harness.signals import write_click
from tests.integration.test_jack_daemon import CONFIG

pytest.importorskip("padserver.engine._fx", reason="the effects' kernels are not built (pip install -e .)")

BEAT = 24000  # frames per beat at 120 BPM, 48 kHz
BAR = 4 * BEAT


def rises(x: np.ndarray, level: float) -> list[int]:
    return [int(i) + 1 for i in np.flatnonzero((x[1:] > level) & (x[:-1] <= level))]


def test_a_delay_on_jack_echoes_a_click_each_beat_at_the_feedback_and_rings_on_after_the_stop(jack_server, tmp_path):
    d = DaemonProcess(["--audio", "jack"], env=jack_server.env, config=CONFIG, data_dir=str(tmp_path))
    d.wait_ready()
    capture = Capture(jack_server)
    try:
        capture.connect("padserver:master_L", "padserver:master_R")
        osc = d.osc
        osc.request("/pad/1/load", write_click(str(tmp_path / "click.wav")), reply="/pad/1/loaded")  # a click a bar
        for address, value in (("/pad/1/fx/delay/time", "1/4"), ("/pad/1/fx/delay/feedback", 0.6),
                               ("/pad/1/fx/delay/mix", 0.5)):  # fmt: skip
            osc.send(address, value)
        xruns = osc.status()["xruns"]
        _, first = capture.onset_of(lambda: osc.send("/pad/1/trigger"), 96000, channel=0)
        assert first is not None
        capture.wait_until(first + 2 * BAR)
        # (a cycle JACK ran without padserver leaves that cycle silent: an echo in it is unknown, as one the
        # capture missed; one between the click and the echo moves nothing: the lines move on with the music)
        dropped = osc.status()["xruns"] > xruns
        measured = 0
        heard = capture.frames(first, first + BAR)[0]  # the first click (at 0) and its echoes
        click = float(heard[200])
        assert click > 0.1
        half = rises(np.abs(heard[:300]), 0.5 * click)[0]  # (where it is half up: it fades in over 2 ms)
        for k, share in ((1, 0.5), (2, 0.5 * 0.6), (3, 0.5 * 0.36)):  # each beat, each 0.6 of the last
            at = k * BEAT
            if capture.missed(first + at - 100, first + at + 300):
                continue  # (a cycle the capture missed: that echo is unknown)
            onset = rises(np.abs(heard[at - 100 : at + 300]), 0.5 * share * click)
            level = float(heard[at + 200]) / click
            if dropped and not (onset and abs(onset[0] - 100 - half) <= 1 and abs(level - share) < 0.005):
                continue
            assert onset and abs(onset[0] - 100 - half) <= 1, (k, onset, half)  # its beat, to the frame JACK counts
            assert abs(level - share) < 0.005, (k, level)
            measured += 1
        assert measured, "no echo could be read (every one in a cycle missed)"
        # stopped at once: the echoes ring on (each 0.6 of the last), and they alone …
        osc.send("/quantize", "off")
        osc.send("/pad/1/stop")
        osc.request("/ping", reply="/pong")
        stopped = capture.now()
        capture.wait_until(stopped + BAR)
        after = np.abs(capture.frames(stopped + BAR // 2, stopped + BAR)[0])
        assert after.max() > 0.001
        # … and panic silences them at once
        osc.send("/pads/panic")
        osc.request("/ping", reply="/pong")
        hushed = capture.now() + 4096
        capture.wait_until(hushed + BAR // 2)
        assert np.abs(capture.frames(hushed, hushed + BAR // 2)).max() == 0.0
    finally:
        capture.close()
        d.terminate()
