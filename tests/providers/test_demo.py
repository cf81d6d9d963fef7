"""`padserver run --demo`: a starter kit from the offline generator on all sixteen pads."""

import json
import time

from padserver.harness.daemon import DaemonProcess


def test_demo_fills_every_pad_with_generated_loops_that_play(tmp_path):
    d = DaemonProcess(["--audio", "null", "--demo"], data_dir=str(tmp_path))
    try:
        d.wait_ready(30)
        status = d.osc.status()
        assert [p["state"] for p in status["pads"]] == ["loaded"] * 16
        assert status["pads"][0]["bars"] == 4 and status["pads"][4]["name"] == "bass 5"
        found = json.loads(
            d.osc.request("/library/search", "source=generated", "limit=100", reply="/library/result")[0]
        )
        assert len(found) == 16 and {loop["category"] for loop in found} >= {"drums", "bass", "keys", "synth", "fx"}
        assert all(loop["bpm"] == 120.0 and loop["key"] == "Am" for loop in found)
        d.osc.send("/pad/5/play")
        time.sleep(0.5)
        status = d.osc.status()
        assert status["pads"][4]["state"] == "playing" and status["levels"]["pads"][4] > 0.05
    finally:
        d.terminate()
