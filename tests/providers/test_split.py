"""Splitting a pad's loop into stems, offline, on the stepped driver: the stems take over on the quantum in phase
with the original, which stops there; each is as long as it, and what is heard is what it played."""

import json

import numpy as np
import pytest

from padserver.harness.fakes import Fault
from padserver.harness.wait import wait_for

BAR = 96000  # 120 BPM at 48 kHz
CONFIG = "loops:\n  normalize: false\n"


def states(d, pads) -> list[str]:
    s = d.status()["pads"]
    return [s[n - 1]["state"] for n in pads]


def playing_loop(d, words: str = "house groove with chords"):
    """A 4-bar loop on pad 1 at 0.7 and pan -0.3, playing from a grid line: (that line, its first cycle)."""
    d.osc.send("/pad/1/generate", words, "instrument=drums", "bars=4", "provider=offline")
    wait_for(lambda: d.status()["pads"][0]["loop_id"] is not None, 60, "the loop")
    d.osc.send("/pad/1/gain", 0.7)
    d.osc.send("/pad/1/pan", -0.3)
    d.osc.send("/pad/1/play")
    first = d.step(128)
    grid = d.frame - 128
    return grid, np.concatenate([first, d.step_to(grid + 4 * BAR)], axis=1)


def takes_over(d, grid, cycle, pads):
    """The stems on ``pads`` start on the next bar line as pad 1 stops there, and add up to what it played."""
    d.step(128)  # (the engine takes the command with its next block)
    assert states(d, (1, *pads)) == ["stopping"] + ["queued"] * len(pads)
    line = grid + 7 * BAR
    out = d.step_to(line + BAR)
    assert states(d, (1, *pads)) == ["loaded"] + ["playing"] * len(pads)
    heard = out[:, line - (d.frame - out.shape[1]) :]
    assert np.abs(heard).max() > 0.05
    assert np.abs(heard[:, 256:] - cycle[:, 3 * BAR + 256 :]).max() < 1e-4


def test_a_split_takes_over_in_phase_adds_up_to_the_original_and_one_undo_brings_it_back(stepped):
    d = stepped(config=CONFIG)
    grid, cycle = playing_loop(d, "house groove")  # (the original's first time round)
    d.step_to(grid + 6 * BAR + BAR // 2)  # into its second time round, half way through bar 3
    assert d.request("/pad/1/split", reply="/pad/1/split", timeout=60) == [2, 3]  # drums, other: next empty pads
    # on the next bar line (the global quantum), bar 4 of the loop, the stems play it in phase and add up to it
    takes_over(d, grid, cycle, (2, 3))
    s = d.status()["pads"]
    assert all(s[n - 1]["gain"] == 0.7 and s[n - 1]["pan"] == -0.3 and s[n - 1]["bars"] == 4 for n in (2, 3))
    found = {e["id"]: e for e in json.loads(d.request("/library/search", "", reply="/library/result")[0])}
    assert all(found[s[n - 1]["loop_id"]]["bars"] == 4 for n in (2, 3))
    # where each stem came from: the loop it was split from
    shown = json.loads(d.request("/library/show", s[1]["loop_id"], reply="/library/show")[0])
    parent = s[0]["loop_id"]
    assert shown["provenance"]["params"] == {"parent": parent, "stem": "drums", "stems": 2}, shown
    assert (
        json.loads(d.request("/library/show", parent, reply="/library/show")[0])["provenance"]["provider"] == "offline"
    )
    # one undo: the stems' pads are empty again and the original plays
    assert d.request("/undo", reply="/undo") == ["pad 1 split"]
    d.step(BAR + 256)
    assert states(d, (1, 2, 3)) == ["playing", "empty", "empty"]


# -- ElevenLabs' stem separation, through the real SDK against a fake of its wire protocol -----------------

KEY = "el-test-key-789"


def elevenlabs(url: str, output: str = "mp3_44100_192") -> str:
    return CONFIG + (
        f"providers:\n  elevenlabs_api_key: {KEY}\n  retry_first_s: 0.05\n  retry_max_s: 0.2\n"
        f"  elevenlabs-stems:\n    base_url: {url}\n    output_format: {output}\n"
    )


def test_six_stems_from_elevenlabs_add_up_and_a_second_split_of_the_loop_costs_nothing(stepped, fake):
    d = stepped(config=elevenlabs(fake.url))
    grid, cycle = playing_loop(d)
    d.step_to(grid + 6 * BAR + BAR // 2)
    pads = d.request("/pad/1/split", "stems=6", reply="/pad/1/split", timeout=60)
    assert pads == [2, 3, 4, 5, 6, 7]
    takes_over(d, grid, cycle, pads)
    s = d.status()["pads"]
    assert [s[n - 1]["name"].split()[-1] for n in pads] == ["drums", "bass", "vocals", "guitar", "piano", "other"]
    assert all(s[n - 1]["bars"] == 4 and s[n - 1]["gain"] == 0.7 for n in pads)
    # a group of their own, that moves together: stopped as one, launched with scene 1 (which holds pads 2..4)
    assert [p["group"] for p in s[:8]] == [0, 1, 1, 1, 1, 1, 1, 0]
    d.step(128)
    assert d.request("/group/1/stop", reply="/group/1/pads") == pads
    d.step_to(grid + 9 * BAR + 128)
    assert states(d, pads) == ["loaded"] * 6
    d.osc.send("/scene/1/launch")
    d.step_to(grid + 10 * BAR + 128)
    assert states(d, (1, *pads)) == ["playing"] * 7
    (sent,) = fake.seen("/v1/music/stem-separation")
    assert sent["body"]["stem_variation_id"] == "six_stems_v1" and sent["query"]["output_format"] == "mp3_44100_192"
    assert sent["files"]["file"] > 4 * BAR * 2 * 4  # the loop as it plays, 4 bars of float stereo
    assert sent["headers"]["xi-api-key"] == KEY
    shown = json.loads(d.request("/library/show", s[1]["loop_id"], reply="/library/show")[0])["provenance"]
    assert shown["provider"] == "elevenlabs-stems"
    # what the service left out, before it went into "other": a 2 % band loss and the MP3's coding
    residual = shown["params"].pop("residual_db")
    assert shown["params"] == {"parent": s[0]["loop_id"], "stem": "drums", "stems": 6, "lag_frames": 0}
    assert -40 < residual < -20, residual
    # four stems of the same loop: the same answer (guitar and piano in other), nothing asked of the service
    assert d.request("/undo", reply="/undo") == ["pad 1 split"]
    d.step(BAR)
    assert d.request("/pad/1/split", "stems=4", "onto=9,10,11,12", reply="/pad/1/split", timeout=60) == [9, 10, 11, 12]
    s = d.status()["pads"]
    assert [s[n - 1]["name"].split()[-1] for n in (9, 10, 11, 12)] == ["drums", "bass", "vocals", "other"]
    assert len(fake.seen("/v1/music/stem-separation")) == 1


def test_two_stems_in_stereo_pcm_come_late_and_busy_yet_are_lined_up(stepped, fake):
    fake.pcm_channels, fake.stem_lag = 2, 300  # raw stereo, 300 frames of the service's padding before each
    fake.stem_files = "loop_{stem}.{ext}"
    fake.fail("/v1/music/stem-separation", Fault(429, {"detail": {"status": "system_busy", "message": "busy"}}))
    d = stepped(config=elevenlabs(fake.url, "pcm_44100"))
    grid, cycle = playing_loop(d)
    d.step_to(grid + 6 * BAR + BAR // 2)
    pads = d.request("/pad/1/split", reply="/pad/1/split", timeout=60)  # (stems=2 is the default)
    assert pads == [2, 3]
    takes_over(d, grid, cycle, pads)
    s = d.status()["pads"]
    assert [s[n - 1]["name"].split()[-1] for n in pads] == ["vocals", "instrumental"]
    assert [r["body"]["stem_variation_id"] for r in fake.seen("/v1/music/stem-separation")] == ["two_stems_v1"] * 2
    # lined up: moved back by the 300 frames (at 44.1 kHz: 326.53 at 48), and the band loss all that is left out
    params = json.loads(d.request("/library/show", s[1]["loop_id"], reply="/library/show")[0])["provenance"]["params"]
    assert abs(params["lag_frames"] - 300 * 48000 / 44100) < 0.05 and -35 < params["residual_db"] < -30, params


def test_what_a_split_cannot_do_is_said(stepped):
    d = stepped(config=CONFIG)
    d.osc.send("/pad/1/generate", "house groove", "instrument=drums", "bars=4")
    wait_for(lambda: d.status()["pads"][0]["loop_id"] is not None, 60, "the loop")
    for args, said in (
        (("stems=6",), "the offline split makes 2 stems"),
        (("stems=3", "provider=elevenlabs"), "stems= is 2, 4 or 6"),
        (("provider=elevenlabs",), "elevenlabs-stems is unavailable: no ElevenLabs API key"),
        (("provider=demucs",), "provider= is offline or elevenlabs"),
    ):
        assert said in d.osc.error("/pad/1/split", *args)


@pytest.mark.parametrize("channels", [1, 2])
def test_raw_pcm_music_is_read_with_the_channels_it_has(stepped, fake, channels):
    """ElevenLabs does not document the channel count of its pcm_* formats: a take is read as the count that
    makes it as long as asked (5 bars at 120 BPM: 10 s), mono or stereo."""
    fake.pcm_channels = channels
    config = CONFIG + (
        f"providers:\n  elevenlabs_api_key: {KEY}\n"
        f"  elevenlabs-music:\n    base_url: {fake.url}\n    output_format: pcm_44100\n"
    )
    d = stepped(config=config)
    d.osc.send("/pad/1/generate", "house groove", "bars=4", "provider=elevenlabs-music")
    wait_for(lambda: d.status()["pads"][0]["loop_id"] is not None, 60, "the loop")
    d.osc.send("/pad/1/play")
    d.step(128)
    heard = np.abs(d.step(2 * BAR)).max(axis=0)  # two bars of its clicks, one on every beat (at 24000 frames)
    loud = np.flatnonzero(heard > 0.3 * heard.max())
    clicks = loud[np.concatenate([[True], np.diff(loud) > 4800])]
    beats = np.diff(clicks[1:])  # (the first may be the tail of a click just before the window)
    assert len(beats) >= 6 and np.all(np.abs(beats - 24000) < 50), clicks  # read with the wrong count: 48000
