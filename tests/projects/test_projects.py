"""Projects through the running daemon: save, autosave, restore, damage and missing audio."""

import json
import os

import pytest
import soundfile as sf

from padserver.harness.daemon import DaemonProcess
from padserver.harness.wait import gather, wait_for
from padserver.library.testloops import drum_loop

CONFIG = "projects:\n  autosave_s: 0.5\n"


def start(data):
    d = DaemonProcess(["--audio", "null"], config=CONFIG, data_dir=str(data))
    d.wait_ready()
    return d


def imported(got: list) -> list:
    return [v for a, v in got if a == "/library/imported"]


@pytest.fixture
def loops(tmp_path):
    folder = tmp_path / "data" / "in"
    folder.mkdir(parents=True)
    paths = []
    for i, bpm in enumerate((100, 120, 140)):
        path = folder / f"loop{i}.wav"
        sf.write(path, drum_loop(bpm, 1, seed=i).T, 44100)
        paths.append(str(path))
    return paths


def test_save_autosave_restore_and_a_new_project(tmp_path, loops):
    data = tmp_path / "data"
    d = start(data)
    try:
        osc = d.osc
        ids = [
            osc.request(f"/pad/{n}/load", path, reply=f"/pad/{n}/loaded")[1]
            for n, path in zip((1, 6, 16), loops, strict=True)
        ]
        osc.send("/pad/6/gain", 0.5)
        osc.send("/pad/6/mode", "oneshot")
        osc.send("/tempo", 97)
        assert osc.request("/project/save_as", "gig", reply="/project/saved") == ["gig"]
        path = data / "projects" / "gig.yaml"
        assert path.is_file() and "loop: " + str(ids[1]) in path.read_text()
        osc.send("/pad/1/pan", -0.25)  # autosaved a moment later
        wait_for(lambda: "pan: -0.25" in path.read_text(), 10, "the project saved")
        assert (data / "projects" / "gig.yaml.prev").is_file()  # the previous version is kept
        listed = json.loads(osc.request("/project/list", reply="/project/list")[0])
        assert {"name": "gig", "current": True} in listed
        osc.send("/pad/1/play")
    finally:
        d.terminate()
    d = start(data)  # the last session comes back: pads loaded and stopped
    try:
        s = d.osc.status()
        assert s["project"] == "gig" and s["tempo"] == 97.0
        pads = s["pads"]
        assert [pads[i]["state"] for i in (0, 5, 15)] == ["loaded"] * 3 and pads[1]["state"] == "empty"
        assert pads[5]["gain"] == 0.5 and pads[5]["mode"] == "oneshot" and pads[0]["pan"] == -0.25
        assert d.osc.request("/project/new", reply="/project/loaded")[0].startswith("set-")
        assert all(p["state"] == "empty" for p in d.osc.status()["pads"])
        assert d.osc.request("/project/load", "gig", reply="/project/loaded") == ["gig", 0]
        assert d.osc.status()["pads"][15]["state"] == "loaded"
        assert "'gig' is the open project" in d.osc.error("/project/delete", "gig")
        d.osc.request("/project/new", reply="/project/loaded")
        assert d.osc.request("/project/delete", "gig", reply="/project/deleted") == ["gig"]
        assert not (data / "projects" / "gig.yaml").exists()
    finally:
        d.terminate()


def test_a_damaged_project_opens_from_its_previous_version(tmp_path, loops):
    data = tmp_path / "data"
    d = start(data)
    try:
        d.osc.request("/pad/2/load", loops[0], reply="/pad/2/loaded")
        d.osc.request("/project/save_as", "set", reply="/project/saved")
        d.osc.send("/pad/2/gain", 0.7)
        d.osc.request("/project/save", reply="/project/saved")
    finally:
        d.terminate()
    (data / "projects" / "set.yaml").write_text("version: 1\npads: [broken")  # a torn write
    d = start(data)
    try:
        assert "project set was damaged" in d.log() and "loaded its previous version" in d.log()
        s = d.osc.status()
        assert s["project"] == "set" and s["pads"][1]["state"] == "loaded"
    finally:
        d.terminate()


def test_a_missing_audio_file_shows_the_error_state_and_the_rest_plays(tmp_path, loops):
    data = tmp_path / "data"
    d = start(data)
    try:
        first = d.osc.request("/pad/1/load", loops[0], reply="/pad/1/loaded")[1]
        d.osc.request("/pad/2/load", loops[1], reply="/pad/2/loaded")
        d.osc.request("/project/save_as", "set", reply="/project/saved")
        found = json.loads(d.osc.request("/library/search", reply="/library/result")[0])
        gone = next(loop for loop in found if loop["id"] == first)
    finally:
        d.terminate()
    os.remove(gone["path"])
    for folder, _, names in os.walk(data / "library" / "renditions"):
        for name in names:
            os.remove(os.path.join(folder, name))
    d = start(data)
    try:
        pads = d.osc.status()["pads"]
        assert pads[0]["state"] == "error" and "missing" in pads[0]["error"]
        assert pads[1]["state"] == "loaded"  # its rendition is rebuilt from the stored original
        assert "pad 1 has no usable audio" in d.osc.error("/pad/1/play")
        d.osc.send("/pad/2/play")
        wait_for(lambda: d.osc.status()["pads"][1]["state"] == "playing", 10, "pad 2 playing")
    finally:
        d.terminate()


def test_library_over_osc_import_a_folder_and_search(tmp_path, loops):
    data = tmp_path / "data"
    d = start(data)
    try:
        d.osc.send("/library/import", str(data / "in"))
        got = gather(lambda: d.osc.receive(0.2), lambda got: len(imported(got)) >= 3, 30)
        replies = imported(got)
        assert sorted(v[1] for v in replies) == ["loop0", "loop1", "loop2"] and all(v[2] == 1 for v in replies)
        fast = json.loads(d.osc.request("/library/search", "bpm_min=130", reply="/library/result")[0])
        assert [loop["name"] for loop in fast] == ["loop2"]
        named = json.loads(d.osc.request("/library/search", "loop1", reply="/library/result")[0])
        assert [loop["name"] for loop in named] == ["loop1"] and named[0]["path"].startswith(str(data))
        for address, arg, message in (
            ("/library/search", "colour=red", "search options are key=value"),
            ("/library/import", "/etc", "outside the allowed folders"),
        ):
            assert message in d.osc.error(address, arg)
    finally:
        d.terminate()


def test_a_project_with_damaged_values_opens_with_their_defaults_and_says_which(tmp_path, caplog):
    # (loop [5, 5] divided by zero in every block, a NaN gain reached the output, 40 tracks broke the mixer)
    import yaml

    from padserver.projects.store import ProjectStore

    store = ProjectStore(str(tmp_path))
    os.makedirs(store.folder)
    tracks = [{"id": i, "name": f"t{i}", "clips": []} for i in range(1, 41)]
    tracks[0]["clips"] = [{"id": 100, "loop_id": 7, "start": 1, "bars": 4}, {"id": 101, "loop_id": 7, "bars": 2}]
    doc = {
        "version": 1,
        "name": "gig",
        "tempo": "fast",
        "beats_per_bar": 3,
        "quantize": "1",
        "master_gain": 1.0,
        "pads": [
            {"number": 1, "gain": float("nan"), "region": [0.8, 0.2], "name": "kick", "loop": 7},
            {"number": 2, "pan": 5, "mode": "loop", "choke": "x"},
        ],
        "song": {"tracks": tracks, "loop": [5, 5], "next_id": 1},
    }
    with open(store.path("gig"), "w", encoding="utf-8") as fh:
        yaml.safe_dump(doc, fh)
    project = store.load("gig")
    pad1, pad2 = project.pad(1), project.pad(2)
    assert project.tempo == 120.0 and project.beats_per_bar == 3  # the damaged value only
    assert pad1.gain == 1.0 and pad1.region == (0.0, 1.0) and pad1.name == "kick" and pad1.loop_id == 7
    assert pad2.pan == 0.0 and pad2.choke == 0
    song = project.song
    assert song.loop is None and len(song.tracks) == 32 and [c.id for c in song.tracks[0].clips] == [100]
    assert song.next_id > 100
    for key in ("tempo", "pads[0].gain", "pads[0].region", "pads[1].pan", "pads[1].choke", "song.loop"):
        assert f"{key}: " in caplog.text, key
    assert "40 tracks, at most 32" in caplog.text and "clips[1]: needs id, loop_id, start and bars" in caplog.text
