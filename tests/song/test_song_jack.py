"""The song through dummy JACK: clips on their bars, and an export equal to live playback, sample for sample."""

import json
import os

import numpy as np
import pytest
import soundfile as sf

from padserver.harness.capture import Capture
from padserver.harness.daemon import DaemonProcess
from padserver.harness.signals import write_click, write_tone
from padserver.harness.wait import gather, wait_for

CONFIG = "audio:\n  jack:\n    connect: []\n"
BAR = 96000


def test_export_equals_what_playback_sends(stepped, tmp_path):
    d = stepped()
    osc = d.osc
    click = write_click(str(tmp_path / "click.wav"))  # one bar: a 10 ms burst, then silence
    tone = write_tone(str(tmp_path / "tone.wav"), rate=48000, seconds=2.0, freq=330.0, level=0.4)
    osc.request("/song/track/add", "clicks", reply="/song/track/added")
    osc.request("/song/track/add", "tone", reply="/song/track/added")
    osc.request("/song/clip/add", 1, click, 1, 3, reply="/song/clip/added")
    osc.request("/song/clip/add", 2, tone, 2, 1, "offset=1", reply="/song/clip/added")
    osc.send("/song/track/2/pan", -0.5)
    before = d.step(1000)
    osc.send("/transport/play")
    live = d.step(3 * BAR)
    assert not before.any()
    osc.send("/transport/stop")
    d.step(512)
    path = osc.request("/song/export", "live", "format=wav", reply="/song/exported", timeout=60)[0]
    assert path == os.path.join(str(tmp_path), "exports", "live.wav")
    exported, rate = sf.read(path, dtype="float32", always_2d=True)
    exported = exported.T
    assert rate == 48000 and exported.shape[1] == 3 * BAR
    # bar 2: the tone clip starts on its first frame (it was silent before: only the click's burst)
    assert np.all(exported[:, 480:BAR] == 0.0) and np.any(exported[:, BAR] != 0.0)
    # what was played from the first frame after the play command is what was exported, sample for sample
    if not np.array_equal(live, exported):
        diff = np.abs(live - exported).max(axis=0)
        raise AssertionError(
            f"playback and export differ in {np.count_nonzero(diff)} frames, from frame {np.flatnonzero(diff)[0]}, "
            f"by up to {diff.max():.3g}"
        )
    assert not [n for n in os.listdir(os.path.dirname(path)) if n.endswith(".part")]
    # beside it, where every clip in it came from
    with open(path + ".sources.json") as fh:
        sources = json.load(fh)
    assert sources["file"] == "live.wav" and sources["bars"] == [1, 4]
    clips = [
        (c["track_name"], c["start_bar"], c["bars"], c["loop"]["name"], c["loop"]["source"]) for c in sources["clips"]
    ]
    assert clips == [("clicks", 1, 3, "click", "imported"), ("tone", 2, 1, "tone", "imported")], clips


def test_an_export_that_cannot_be_written_says_why_and_leaves_nothing(tmp_path):
    d = DaemonProcess(["--audio", "null"], data_dir=str(tmp_path))
    try:
        d.wait_ready()
        assert "the song is empty" in d.osc.error("/song/export", "x.wav")
        click = write_click(str(tmp_path / "click.wav"))
        d.osc.request("/song/track/add", reply="/song/track/added")
        d.osc.request("/song/clip/add", 1, click, 1, 1, reply="/song/clip/added")
        missing = os.path.join(str(tmp_path), "nowhere", "song.flac")
        assert f"no such folder: {os.path.dirname(missing)}" in d.osc.error("/song/export", missing, timeout=30)
        assert "bits 16, 24" in d.osc.error("/song/export", "x.flac", "bits=32")
        assert "format is one of wav, flac, mp3" in d.osc.error("/song/export", "x", "format=ogg")
        done = d.osc.request("/song/export", "song.flac", reply="/song/exported", timeout=60)[0]
        info = sf.info(done)
        assert info.format == "FLAC" and info.frames == BAR
    finally:
        d.terminate()


def test_the_cli_exports_the_running_daemons_song(tmp_path):
    import subprocess
    import sys

    d = DaemonProcess(["--audio", "null"], data_dir=str(tmp_path))
    try:
        d.wait_ready()
        click = write_click(str(tmp_path / "click.wav"))
        d.osc.request("/song/track/add", reply="/song/track/added")
        d.osc.request("/song/clip/add", 1, click, 1, 2, reply="/song/clip/added")
        result = subprocess.run(
            [sys.executable, "-m", "padserver", "export", "cli", "--format", "flac", "--bits", "16", "--port", str(d.port)],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        path = os.path.join(str(tmp_path), "exports", "cli.flac")
        assert result.stdout.strip() == path
        assert "[##############################] 100.0 % cli" in result.stderr  # the progress bar, filled
        assert sf.info(path).frames == 2 * BAR and sf.info(path).subtype == "PCM_16"
    finally:
        d.terminate()


def test_stems_are_each_track_alone_and_add_up_to_the_mix(tmp_path):
    d = DaemonProcess(["--audio", "null"], data_dir=str(tmp_path))
    try:
        d.wait_ready()
        click = write_click(str(tmp_path / "click.wav"), level=0.3)
        tone = write_tone(str(tmp_path / "tone.wav"), rate=48000, seconds=2.0, level=0.3)
        d.osc.request("/song/track/add", "beat", reply="/song/track/added")
        d.osc.request("/song/track/add", "drone/hum", reply="/song/track/added")
        d.osc.request("/song/clip/add", 1, click, 1, 2, reply="/song/clip/added")
        d.osc.request("/song/clip/add", 2, tone, 2, 1, reply="/song/clip/added")
        path = d.osc.request("/song/export", "mix.wav", "stems=1", reply="/song/exported", timeout=60)[0]
        mix = sf.read(path, dtype="float32")[0]
        beat = sf.read(path[:-4] + "-01-beat.wav", dtype="float32")[0]
        hum = sf.read(path[:-4] + "-02-drone-hum.wav", dtype="float32")[0]
        assert not hum[:BAR].any() and hum[BAR:].any() and beat[:480].any()
        np.testing.assert_allclose(beat + hum, mix, atol=1e-6)
    finally:
        d.terminate()


def test_a_track_on_its_own_output_leaves_the_master(jack_server, tmp_path):
    d = DaemonProcess(["--audio", "jack"], env=jack_server.env, config=CONFIG, data_dir=str(tmp_path))
    master = own = None
    try:
        d.wait_ready()
        osc = d.osc
        click = write_click(str(tmp_path / "click.wav"))
        tone = write_tone(str(tmp_path / "tone.wav"), rate=48000, seconds=2.0, level=0.4)
        osc.request("/song/track/add", "click", reply="/song/track/added")
        osc.request("/song/track/add", "tone", reply="/song/track/added")
        osc.request("/song/clip/add", 1, click, 1, 2, reply="/song/clip/added")
        osc.request("/song/clip/add", 2, tone, 1, 2, reply="/song/clip/added")
        osc.send("/song/track/2/output", "own")
        wait_for(lambda: json.loads(osc.request("/song", reply="/song")[0])["tracks"][1]["output"] == "own", 10, "own")
        master = Capture(jack_server, name="mastercap")
        master.connect("padserver:master_L", "padserver:master_R")
        own = Capture(jack_server, name="trackcap")
        own.connect("padserver:track02_L", "padserver:track02_R")
        _, first = master.onset_of(lambda: osc.send("/transport/play"), 12000)
        assert first is not None
        master.wait_until(first + BAR)
        own.wait_until(first + BAR)
        heard = master.frames(first, first + BAR)
        # the click's burst, then nothing until the next bar: no tone (a period's slack at the ends)
        assert heard[:, :480].any() and not heard[:, 1000 : BAR - 1000].any()
        track = own.frames(first, first + BAR)
        assert np.abs(track[:, 1000:]).max() > 0.02  # the tone, on its own ports (at the loops' reference level)
    finally:
        for c in (master, own):
            if c is not None:
                c.close()
        d.terminate()


def test_a_long_export_reports_its_progress_to_the_tablets(tmp_path):
    from padserver.harness.daemon import OscPeer

    d = DaemonProcess(["--audio", "null"], data_dir=str(tmp_path))
    tablet = None
    try:
        d.wait_ready()
        click = write_click(str(tmp_path / "click.wav"))
        d.osc.request("/song/track/add", reply="/song/track/added")
        d.osc.request("/song/clip/add", 1, click, 1, 400, reply="/song/clip/added")  # 13 minutes
        tablet = OscPeer(d.port, feedback=True)
        tablet.send("/register")
        tablet.receive(1.0, until="/registered")
        d.osc.send("/song/export", "long.flac")
        path = os.path.join(str(tmp_path), "exports", "long.flac")
        got = gather(lambda: tablet.receive(1.0), lambda got: ("/song/export/progress", [1.0, path]) in got, 60)
        progress = [args for address, args in got if address == "/song/export/progress"]
        assert progress and progress[-1] == [1.0, path], progress
        fractions = [p[0] for p in progress]
        assert len(fractions) >= 3 and 0.0 <= fractions[0] < 1.0 and fractions == sorted(fractions), fractions
        assert d.osc.receive(5.0, until="/song/exported")[-1] == ("/song/exported", [path])
        assert sf.info(path).frames == 400 * BAR
    finally:
        if tablet is not None:
            tablet.close()
        d.terminate()


def test_export_equals_playback_with_effects_on_the_tracks_and_the_master_tails_included(stepped, tmp_path):
    pytest.importorskip("padserver.engine._fx", reason="the effects' kernels are not built (pip install -e .)")
    d = stepped()
    osc = d.osc
    click = write_click(str(tmp_path / "click.wav"))
    tone = write_tone(str(tmp_path / "tone.wav"), rate=48000, seconds=2.0, freq=330.0, level=0.4)
    osc.request("/song/track/add", "clicks", reply="/song/track/added")
    osc.request("/song/track/add", "tone", reply="/song/track/added")
    osc.request("/song/clip/add", 1, click, 1, 2, reply="/song/clip/added")
    osc.request("/song/clip/add", 2, tone, 2, 1, reply="/song/clip/added")
    for address, value in (
        ("/song/track/1/fx/delay/time", "1/8."), ("/song/track/1/fx/delay/feedback", 0.5),
        ("/song/track/1/fx/delay/mix", 0.6), ("/song/track/1/fx/filter", -0.3),
        ("/song/track/2/fx/eq/low", -40.0), ("/song/track/2/fx/reverb", 0.4), ("/master/fx/filter", 0.2),
    ):  # fmt: skip
        osc.send(address, value)
    d.step(1000)
    osc.send("/transport/play")
    live = d.step(2 * BAR + 48000)  # the song's 2 bars and a second past its end: the echoes and the reverb
    tail = live[:, 2 * BAR :]
    assert np.abs(tail).max() > 1e-3  # (they ring on past the last clip)
    path = osc.request("/song/export", "fx", "format=wav", "tail=1", reply="/song/exported", timeout=60)[0]
    exported, _ = sf.read(path, dtype="float32", always_2d=True)
    exported = exported.T
    assert exported.shape[1] == live.shape[1]
    if not np.array_equal(live, exported):
        diff = np.abs(live - exported).max(axis=0)
        raise AssertionError(
            f"playback and export differ in {np.count_nonzero(diff)} frames, from frame {np.flatnonzero(diff)[0]}, "
            f"by up to {diff.max():.3g}"
        )
    # and the effects were there: the click's dotted-eighth echo (0.75 beat) in both
    echo = int(0.75 * 24000)
    before, at = np.abs(exported[0, echo - 3000 : echo - 100]).max(), np.abs(exported[0, echo : echo + 600]).max()
    assert at > 0.05 and before < 0.01, (before, at)
