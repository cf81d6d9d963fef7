"""Editing the song over OSC (daemon on null audio): tracks, clips, overlaps refused, undo, saved with the project."""

import json
import os
import time

import pytest
import yaml

from padserver.harness.daemon import DaemonProcess
from padserver.harness.signals import write_click
from padserver.harness.wait import wait_for


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    d = DaemonProcess(["--audio", "null"], data_dir=str(tmp_path_factory.mktemp("song")))
    d.wait_ready()
    yield d
    d.terminate()


def song(d):
    return json.loads(d.osc.request("/song", reply="/song")[0])


def until(check, timeout=10.0):
    wait_for(check, timeout, "the change")


def test_tracks_and_clips_are_edited_undone_and_saved(daemon):
    osc = daemon.osc
    click = write_click(os.path.join(daemon.data_dir, "click.wav"))
    assert osc.request("/song/track/add", "drums", reply="/song/track/added") == [1]
    assert osc.request("/song/track/add", reply="/song/track/added") == [2]
    track, clip = osc.request("/song/clip/add", 1, click, 1.0, 4.0, reply="/song/clip/added")
    assert track == 1
    loop_id = song(daemon)["tracks"][0]["clips"][0]["loop_id"]
    said = osc.error("/song/clip/add", 1, str(loop_id), 3, 2)
    assert f"bars 3..4 overlap clip {clip} (bars 1..4) on drums" in said
    _, second = osc.request("/song/clip/add", 1, str(loop_id), 5, 2, "offset=2", reply="/song/clip/added")
    osc.send("/song/clip/move", 1, second, 9, 2)
    until(lambda: song(daemon)["tracks"][1]["clips"])
    osc.send("/song/clip/resize", 2, second, 3)
    until(lambda: song(daemon)["tracks"][1]["clips"][0]["bars"] == 3)
    assert "is on track 2, not track 1" in osc.error("/song/clip/delete", 1, second)
    osc.send("/song/track/2/gain", 0.5)
    osc.send("/song/track/2/solo", 1)
    osc.send("/transport/loop", 1, 1, 5)
    until(lambda: song(daemon)["loop"] == [1, 5])
    now = song(daemon)
    moved = now["tracks"][1]["clips"][0]
    assert (moved["id"], moved["start"], moved["bars"], moved["offset"]) == (second, 9, 3, 2.0)
    assert now["tracks"][1]["gain"] == 0.5 and now["tracks"][1]["solo"] is True and now["loop"] == [1, 5]
    osc.request("/undo", reply="/undo")  # the loop region
    osc.request("/undo", reply="/undo")  # the solo
    assert song(daemon)["loop"] is None and song(daemon)["tracks"][1]["solo"] is False
    osc.request("/redo", reply="/redo")
    assert song(daemon)["tracks"][1]["solo"] is True
    name = osc.request("/project/save", "songtest", reply="/project/saved")[0]
    with open(os.path.join(daemon.data_dir, "projects", f"{name}.yaml")) as fh:
        saved = yaml.safe_load(fh)
    assert [c["start"] for c in saved["song"]["tracks"][1]["clips"]] == [9]


def test_the_transport_reports_its_state(daemon):
    osc = daemon.osc
    osc.send("/transport/play")
    time.sleep(0.2)
    status = osc.status()
    assert status["transport"] == "playing"
    osc.send("/transport/stop")
    time.sleep(0.1)
    status = osc.status()
    assert status["transport"] == "stopped" and status["song"]["position"][0] == 1
    assert "no track 7" in osc.error("/song/track/7/gain", 1.0)
    assert "loop start bar" in osc.error("/transport/loop", 1, 0, 4)


def test_a_scene_launches_its_row_together_and_stops_the_rest(daemon):
    osc = daemon.osc
    click = write_click(os.path.join(daemon.data_dir, "click2.wav"))
    for pad in (1, 5, 6):
        osc.request(f"/pad/{pad}/load", click, reply=f"/pad/{pad}/loaded")
    osc.send("/pad/1/play")
    until(lambda: osc.status()["pads"][0]["state"] == "playing")
    osc.send("/scene/2/launch")

    def states():
        return [p["state"] for p in osc.status()["pads"]]

    until(lambda: states()[4] == "playing" and states()[5] == "playing" and states()[0] == "loaded", timeout=6)
    assert "scene must be in range 1..4 (got 5)" in osc.error("/scene/5/launch")
    osc.send("/pads/stop")


def test_the_metronome_is_switched_and_reported(daemon):
    from padserver.harness.daemon import OscPeer

    tablet = OscPeer(daemon.port, feedback=True)
    try:
        tablet.send("/transport/metronome", 1)
        heard = tablet.receive(10.0, until="/transport/metronome")  # the full state's metronome (off) first
        heard += tablet.receive(10.0, until="/transport/metronome")  # then the change
        assert ("/transport/metronome", [1]) in heard
    finally:
        tablet.close()


def test_the_performance_is_recorded_into_the_song(tmp_path):
    config = "engine:\n  tempo: 240\nsong:\n  count_in_bars: 0\n"  # 1 s bars, no count-in
    d = DaemonProcess(["--audio", "null"], config=config, data_dir=str(tmp_path))
    try:
        d.wait_ready()
        osc = d.osc
        click = write_click(str(tmp_path / "beat.wav"), seconds=1.0)
        osc.request("/pad/3/load", click, reply="/pad/3/loaded")
        osc.send("/transport/record", 1)  # the song starts: bar 1 is now
        time.sleep(0.2)
        osc.send("/pad/3/play")  # on the next bar line: bar 2
        time.sleep(2.3)
        osc.send("/pad/3/stop")  # at 2.5 s: it stops on the next bar line, the start of bar 4
        time.sleep(1.2)
        osc.send("/transport/record", 0)
        until(lambda: song(d)["tracks"] and song(d)["tracks"][0]["clips"])
        track = song(d)["tracks"][0]
        clip = track["clips"][0]
        assert track["name"] == "beat" and clip["start"] == 2 and clip["bars"] == 2, track  # bars 2–3
        status = osc.status()
        assert status["transport"] == "playing"
    finally:
        d.terminate()


def record_pad_3(osc, stop_after):
    """Record the performance: pad 3 asked to play 0.2 s in, to stop ``stop_after`` s later; then recording ends."""
    osc.send("/transport/record", 1)
    time.sleep(0.2)
    osc.send("/pad/3/play")
    time.sleep(stop_after)
    osc.send("/pad/3/stop")
    time.sleep(1.2)
    osc.send("/transport/record", 0)


def test_recording_from_stop_counts_in_a_bar_first(tmp_path):
    d = DaemonProcess(["--audio", "null"], config="engine:\n  tempo: 240\n", data_dir=str(tmp_path))  # 1 s bars
    try:
        d.wait_ready()
        click = write_click(str(tmp_path / "beat.wav"), seconds=1.0)
        d.osc.request("/pad/3/load", click, reply="/pad/3/loaded")
        assert d.osc.request("/transport/countin", reply="/transport/countin") == [1]  # the default
        record_pad_3(d.osc, 4.3)
        until(lambda: song(d)["tracks"] and song(d)["tracks"][0]["clips"])
        clip = song(d)["tracks"][0]["clips"][0]
        # the count-in bar (0–1 s) is not the song's: the pad's first bar line is bar 1; it stopped at 5 s (bar 5)
        assert (clip["start"], clip["bars"]) == (1, 4), clip
    finally:
        d.terminate()


def test_a_punch_range_keeps_only_its_bars(tmp_path):
    config = "engine:\n  tempo: 240\nsong:\n  count_in_bars: 0\n"
    d = DaemonProcess(["--audio", "null"], config=config, data_dir=str(tmp_path))
    try:
        d.wait_ready()
        click = write_click(str(tmp_path / "beat.wav"), seconds=1.0)
        d.osc.request("/pad/3/load", click, reply="/pad/3/loaded")
        assert "punch start bar" in d.osc.error("/transport/punch", 1, 0, 3)
        assert "needs its start and end bars" in d.osc.error("/transport/punch", 1)
        d.osc.send("/transport/punch", 1, 3, 5)  # bars 3–4
        assert song(d)["punch"] == [3, 5]
        record_pad_3(d.osc, 4.3)  # the pad sounds in bars 2–5
        until(lambda: song(d)["tracks"] and song(d)["tracks"][0]["clips"])
        clip = song(d)["tracks"][0]["clips"][0]
        assert (clip["start"], clip["bars"]) == (3, 2), clip
        d.osc.send("/undo")  # the take, then the punch range
        d.osc.send("/undo")
        until(lambda: song(d)["punch"] is None)
    finally:
        d.terminate()
