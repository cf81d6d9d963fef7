"""A full disk and a read-only data folder: clear errors, and the daemon keeps playing.

The daemon runs in a mount namespace of its own with a small tmpfs as its data
folder (root and unshare needed, as in CI), so the real disk is never filled.
"""

import os
import shutil
import time

import pytest
import soundfile as sf

from padserver.harness.daemon import DaemonProcess
from padserver.library.testloops import drum_loop

pytestmark = pytest.mark.skipif(
    shutil.which("unshare") is None or os.geteuid() != 0, reason="needs root and unshare for a private tmpfs"
)


def in_namespace(mount: str, options: str) -> list[str]:
    script = f'mkdir -p "{mount}" && mount -t tmpfs -o {options} tmpfs "{mount}" && exec "$@"'
    return ["unshare", "-m", "sh", "-c", script, "sh"]


def test_a_full_disk_gets_a_clear_error_and_the_music_goes_on(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    small = src / "small.wav"
    sf.write(small, drum_loop(120, 1).T, 44100)  # about 350 kB
    big = src / "big.wav"
    sf.write(big, drum_loop(100, 16, seed=2).T, 44100, subtype="FLOAT")  # about 14 MB: will not fit
    mount = str(tmp_path / "tiny")
    config = f"paths:\n  allowed_folders: [{src}]\nprojects:\n  autosave_s: 0.3\n"
    d = DaemonProcess(
        ["--audio", "null", "--data-dir", mount],
        config=config,
        data_dir=str(tmp_path),
        prefix=in_namespace(mount, "size=6m"),
    )
    try:
        d.wait_ready()
        d.osc.request("/pad/1/load", str(small), reply="/pad/1/loaded", timeout=20)
        d.osc.send("/pad/1/play")
        message = d.osc.error("/pad/2/load", str(big), timeout=20.0)
        assert "No space left on device" in message
        status = d.osc.status()
        assert status["pads"][0]["state"] == "playing" and status["pads"][1]["state"] == "empty"
        assert d.osc.request("/ping", reply="/pong") == ["0.1.0"]
    finally:
        code, _ = d.terminate()
    assert code == 0


def test_a_read_only_data_folder_is_reported_and_the_daemon_runs_on(tmp_path):
    mount = str(tmp_path / "ro")
    d = DaemonProcess(
        ["--audio", "null", "--data-dir", mount], data_dir=str(tmp_path), prefix=in_namespace(mount, "ro,size=1m")
    )
    try:
        d.wait_ready()
        assert "padserver runs without its library" in d.log()
        assert "the library is not available: cannot open the library" in d.osc.error("/pad/1/load", "7")
        assert "cannot save project" in d.osc.error("/project/save_as", "gig")
        d.osc.send("/tempo", 99)
        time.sleep(0.1)
        assert d.osc.status()["tempo"] == 99.0
    finally:
        code, _ = d.terminate()
    assert code == 0
