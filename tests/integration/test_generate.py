"""Generating onto a playing pad: the new loop starts exactly on the pad's next loop boundary."""

import time

import numpy as np
import pytest

from padserver.harness.capture import Capture
from padserver.harness.daemon import DaemonProcess, OscPeer
from padserver.harness.fakes import FakeHttp
from padserver.harness.signals import write_click
from padserver.harness.wait import gather

CONFIG = "audio:\n  jack:\n    connect: []\n"
BAR = 96000


@pytest.mark.parametrize("provider", ["offline", "elevenlabs-music"])
def test_generated_loop_replaces_a_playing_pad_on_its_loop_boundary(jack_server, tmp_path, provider):
    fake = FakeHttp()  # ElevenLabs' wire protocol on loopback, through the real SDK
    config = CONFIG + (
        f"providers:\n  elevenlabs_api_key: el-test-key\n  elevenlabs-music:\n    base_url: {fake.url}\n"
    )
    d = DaemonProcess(["--audio", "jack"], env=jack_server.env, config=config, data_dir=str(tmp_path))
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
        d.osc.request("/pad/1/load", click, reply="/pad/1/loaded")
        d.osc.request("/pad/2/load", click, reply="/pad/2/loaded")
        d.osc.send("/pad/1/pan", -1.0)  # pad 1 marks the loop boundaries on the left …
        d.osc.send("/pad/2/pan", 1.0)  # … pad 2, which gets the new loop, is on the right
        d.osc.request("/ping", reply="/pong")
        _, first = cap.onset_of(lambda: (d.osc.send("/pad/1/play"), d.osc.send("/pad/2/play")), 12000)
        assert first is not None
        time.sleep(0.3)
        tablet.receive(0.2)  # what the tablet heard so far is not this test's business
        asked = cap.now()
        job, pad = d.osc.request(
            "/pad/2/generate", "house drums", f"provider={provider}", "bars=1", reply="/job/started"
        )
        assert pad == 2
        seen = gather(
            lambda: tablet.receive(0.2), lambda seen: any(a == f"/job/{job}" and v[0] == "done" for a, v in seen), 30
        )
        assert ("/pad/2/generating", [1]) in seen and ("/pad/2/generating", [0]) in seen
        assert ("/pad/2/state", ["loaded"]) not in seen  # it played on throughout
        cap.wait_until(asked + 4 * BAR)
        right = np.abs(cap.frames(asked - BAR, asked + 4 * BAR)[1]) > 1e-6
        # the swap: the first sound on the right that goes on past the click's 10 ms
        starts = np.flatnonzero(right[1:] & ~right[:-1]) + 1
        swap = next((s for s in starts if right[s + 1000 : s + 20000].any()), None)
        assert swap is not None, "the generated loop was never heard"
        swap += asked - BAR
        # In the same block pad 1's click marks the loop boundary: the new loop starts on exactly that frame.
        assert cap.onset(swap - 2400, swap + 2400, channel=0) == swap
        # and pad 2 played its old loop right up to it: only its click, nothing else, for the bar before
        before = np.abs(cap.frames(swap - BAR + 1000, swap)[1])
        assert before.max() == 0.0
        status = d.osc.status()
        assert status["pads"][1]["state"] == "playing" and not status["pads"][1]["generating"]
    finally:
        for c in (cap,):
            if c is not None:
                c.close()
        if tablet is not None:
            tablet.close()
        d.terminate()
        fake.close()
