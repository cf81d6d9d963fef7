"""Generating onto a playing pad: the new loop starts exactly on the pad's next loop boundary."""

import json
import time

import numpy as np

from padserver.harness.daemon import DaemonProcess, OscPeer
from padserver.harness.jack import Capture
from padserver.harness.signals import write_click

CONFIG = "audio:\n  jack:\n    connect: []\n"
BAR = 96000


def test_generated_loop_replaces_a_playing_pad_on_its_loop_boundary(jack_server, tmp_path):
    d = DaemonProcess(["--audio", "jack"], env=jack_server.env, config=CONFIG, data_dir=str(tmp_path))
    cap = None
    tablet = None
    try:
        d.wait_ready()
        cap = Capture(jack_server)
        cap.connect("padserver:master_L", "padserver:master_R")
        tablet = OscPeer(d.port, feedback=True)
        tablet.send("/ping")
        tablet.receive(0.3)
        click = write_click(str(tmp_path / "click.wav"))  # a 10 ms burst, then silence, for one bar
        d.osc.request("/pad/2/load", click, reply="/pad/2/loaded")
        _, first = cap.onset_of(lambda: d.osc.send("/pad/2/play"), 12000)
        assert first is not None
        time.sleep(0.3)
        tablet.receive(0.2)  # what the tablet heard so far is not this test's business
        asked = cap.now()
        job, pad = d.osc.request("/pad/2/generate", "house drums", "provider=offline", "bars=1", reply="/job/started")
        assert pad == 2
        seen = []
        deadline = time.monotonic() + 10
        while not any(a == f"/job/{job}" and v[0] == "done" for a, v in seen) and time.monotonic() < deadline:
            seen += tablet.receive(0.2)
        assert ("/pad/2/generating", [1]) in seen and ("/pad/2/generating", [0]) in seen
        assert ("/pad/2/state", ["loaded"]) not in seen  # it played on throughout
        # The click loop marks its own boundaries: a 10 ms burst where each cycle starts. The drums
        # must begin exactly where the click would have started again: no gap, no overlap.
        cap.wait_until(asked + 4 * BAR)
        audio = np.abs(cap.frames(first, asked + 4 * BAR)[0]) > 1e-6
        onsets = [first + i for i in np.flatnonzero(audio[1:] & ~audio[:-1]) + 1] + [first]
        onsets = sorted(set(onsets))
        # the first onset after which sound goes on beyond the 10 ms burst is the swap
        swap = next(o for o in onsets if audio[o - first + 1000 : o - first + 20000].any())
        clicks = [o for o in onsets if o < swap]
        assert clicks, "the click loop never played"
        # Frame-exact in the engine (tests/engine: test_a_replacement_can_wait_for_the_loops_own_boundary);
        # measured here on JACK's frame counter, which on a non-realtime dummy server can step by a period.
        assert abs(swap - clicks[-1] - BAR) <= 128, (
            f"the new loop began {swap - clicks[-1] - BAR} frames off the loop boundary"
        )
        assert not audio[clicks[-1] - first + 1000 : swap - first].any()  # the old loop right up to it, nothing else
        status = json.loads(d.osc.request("/status", reply="/status")[0])
        assert status["pads"][1]["state"] == "playing" and not status["pads"][1]["generating"]
    finally:
        for c in (cap,):
            if c is not None:
                c.close()
        if tablet is not None:
            tablet.close()
        d.terminate()
