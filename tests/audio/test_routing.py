"""Routing into a DAW on JACK: routes kept up as the DAW comes and goes, and the latency it should offset."""

import os
import subprocess
import sys

from padserver.harness.capture import Capture
from padserver.harness.daemon import DaemonProcess
from padserver.harness.wait import until

CONFIG = 'audio:\n  jack:\n    connect: []\n    routes: ["master_[LR] -> Bitwig Studio:in_[LR]", "nothing here"]\n'


def connected(daw: Capture) -> list[tuple[str, list[str]]]:
    return daw.connections()


def test_a_daw_that_appears_and_comes_back_gets_its_inputs_connected(jack_server, tmp_path):
    d = DaemonProcess(["--audio", "jack"], env=jack_server.env, config=CONFIG, data_dir=str(tmp_path))
    daw = None
    try:
        d.wait_ready()
        assert "audio.jack.routes: 'nothing here' left out" in d.log()
        expected = [("in_L", ["padserver:master_L"]), ("in_R", ["padserver:master_R"])]
        for _ in range(2):  # the DAW starts after padserver, quits, and starts again
            daw = Capture(jack_server, name="Bitwig Studio", latency=512)  # a DAW monitoring through its card
            assert until(lambda daw=daw: connected(daw) == expected, 20) is not None, connected(daw)
            assert until(lambda: d.osc.status()["latency"]["master"] == 512, 20) is not None
            daw.close()
            daw = None
        assert "connected padserver:master_L → Bitwig Studio:in_L, padserver:master_R → Bitwig Studio:in_R" in d.log()
        daw = Capture(jack_server, name="Bitwig Studio", latency=512)
        assert until(lambda: connected(daw) == expected, 20) is not None, connected(daw)
        status = d.osc.status()
        assert status["latency"]["outputs"]["master"] == {"frames": 512, "ms": 10.67}
        shown = subprocess.run(
            [sys.executable, "-m", "padserver", "devices", "--port", str(d.port)],
            capture_output=True, text=True, timeout=60, env={**os.environ, **jack_server.env},
        )  # fmt: skip
        assert "master: 512 frames = 10.67 ms" in shown.stdout, shown.stdout + shown.stderr
    finally:
        if daw is not None:
            daw.close()
        d.terminate()
