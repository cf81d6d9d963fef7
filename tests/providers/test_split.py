"""Splitting a pad's loop into stems, offline, on the stepped driver: the stems take over on the quantum in phase
with the original, which stops there; each is as long as it, and what is heard is what it played."""

import json

import numpy as np

from padserver.harness.wait import wait_for

BAR = 96000  # 120 BPM at 48 kHz
CONFIG = "loops:\n  normalize: false\n"


def states(d, pads) -> list[str]:
    s = d.status()["pads"]
    return [s[n - 1]["state"] for n in pads]


def test_a_split_takes_over_in_phase_adds_up_to_the_original_and_one_undo_brings_it_back(stepped):
    d = stepped(config=CONFIG)
    d.osc.send("/pad/1/generate", "house groove", "instrument=drums", "bars=4")
    wait_for(lambda: d.status()["pads"][0]["loop_id"] is not None, 60, "the loop")
    d.osc.send("/pad/1/gain", 0.7)
    d.osc.send("/pad/1/pan", -0.3)
    d.osc.send("/pad/1/play")
    first = d.step(128)
    grid = d.frame - 128
    cycle = np.concatenate([first, d.step_to(grid + 4 * BAR)], axis=1)  # the original's first time round
    d.step_to(grid + 6 * BAR + BAR // 2)  # into its second time round, half way through bar 3
    assert d.request("/pad/1/split", reply="/pad/1/split", timeout=60) == [2, 3]  # drums, other: next empty pads
    d.step(128)  # (the engine takes the command with its next block)
    assert states(d, (1, 2, 3)) == ["stopping", "queued", "queued"]
    line = grid + 7 * BAR  # the next bar line (the global quantum): bar 4 of the loop
    out = d.step_to(line + BAR)
    assert states(d, (1, 2, 3)) == ["loaded", "playing", "playing"]
    s = d.status()["pads"]
    assert all(s[n - 1]["gain"] == 0.7 and s[n - 1]["pan"] == -0.3 and s[n - 1]["bars"] == 4 for n in (2, 3))
    # from the line the stems play the original's bar 4, in phase, and add up to it (past the 2 ms crossfade)
    heard = out[:, line - (d.frame - out.shape[1]) :]
    assert np.abs(heard).max() > 0.05
    assert np.abs(heard[:, 256:] - cycle[:, 3 * BAR + 256 :]).max() < 1e-5
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
