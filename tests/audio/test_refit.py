"""After tempo changes the daemon re-stretches the pads' loops once, in the background, and keeps them."""

import glob
import os
import time

import soundfile as sf

from padserver.harness.daemon import DaemonProcess
from padserver.harness.wait import wait_for
from padserver.library.testloops import click_song

CONFIG = "loops:\n  refit_after_s: 0.4\n  refit_min_change: 0.3\n"


def test_a_burst_of_tempo_changes_costs_one_refit_and_tiny_changes_none(tmp_path):
    d = DaemonProcess(["--audio", "null"], config=CONFIG, data_dir=str(tmp_path))
    try:
        d.wait_ready()
        song = tmp_path / "song.wav"
        sf.write(song, click_song(120.0, 4, 48000, 0.0, seed=2).T, 48000)
        d.osc.request("/pad/1/load", str(song), reply="/pad/1/loaded")
        d.osc.send("/pad/1/play")
        for bpm in (121.0, 123.5, 126.0, 128.0, 130.0):  # like a knob being turned
            d.osc.send("/tempo", bpm)
            time.sleep(0.05)
        wait_for(lambda: "re-stretched to 130.00 BPM" in d.log(), 20, "the refit to 130 BPM")
        time.sleep(1.0)
        assert d.log().count("re-stretched") == 1  # the burst cost one refit, for the last tempo
        prepared = glob.glob(os.path.join(str(tmp_path), "library", "prepared", "*", "*.npy"))
        assert len(prepared) == 2  # 120 BPM (the load) and 130 BPM, kept for next time
        d.osc.send("/tempo", 130.2)  # 0.15 %: a few cents if resampled, below hearing
        time.sleep(1.2)
        assert d.log().count("re-stretched") == 1
        d.osc.send("/tempo", 120.0)  # back to where it was: from the cache, no new file
        wait_for(lambda: "re-stretched to 120.00 BPM" in d.log(), 20, "the refit to 120 BPM")
        assert len(glob.glob(os.path.join(str(tmp_path), "library", "prepared", "*", "*.npy"))) == 2
    finally:
        d.terminate()
