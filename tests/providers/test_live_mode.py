"""Live mode with the offline generator, on the stepped driver: every bar a new loop that fits, launched on a bar
line, on the pads of its set, in the project's key; a kept pad is never touched."""

import json
import shutil

import numpy as np
import pytest

from padserver.harness.wait import wait_for

BEAT = 24000  # 120 BPM at 48 kHz
BAR = 4 * BEAT
CONFIG = """
loops:
  normalize: false
"""


def mode(d) -> dict:
    return d.status()["live_mode"]


def loaded(d, n: int) -> bool:
    pad = d.status()["pads"][n - 1]
    return pad["loop_id"] is not None and not pad["generating"]


def test_live_mode_puts_a_new_loop_on_every_bar_line_of_its_pads_in_the_key_and_leaves_kept_pads_alone(stepped):
    d = stepped(config=CONFIG)
    d.osc.send("/key", "Am")
    d.osc.send("/pad/1/generate", "house drums", "instrument=drums")
    d.osc.send("/pad/3/generate", "house bass", "instrument=bass")
    wait_for(lambda: loaded(d, 1) and loaded(d, 3), 60, "the two loops")
    kept_loop = d.status()["pads"][2]["loop_id"]
    d.osc.send("/pad/3/keep", 1)
    d.osc.send("/pad/1/play")
    d.osc.send("/pad/3/play")
    d.step(128)  # the grid starts with them
    grid = d.frame - 128
    assert [d.status()["pads"][n]["state"] for n in (0, 2)] == ["playing", "playing"]
    d.step(BAR // 4)  # (a pad started with the first ones would join them from the grid's start)
    d.osc.send("/pad/1/mute", 1)  # (playing on, unheard: what is heard is live mode's)
    d.osc.send("/pad/3/mute", 1)
    d.step(BAR // 8)  # (a mute fades)
    since = d.frame
    started = json.loads(d.request("/live/start", "every=1", "pads=2-4", reply="/live/started")[0])
    assert started["state"] == "running" and started["pads"] == [2, 3, 4]
    assert d.request("/live/mode", reply="/live/mode") and mode(d)["next"] in (2, 4)
    # eight bars, stepped to each bar line, then half a bar past it; the generator is let finish each loop
    # before the bar it is due on (the test's clock waits for it; on stage it has the bar's two seconds)
    out = []  # what the master played from here on (pads 1 and 3 muted: only live mode's loops are heard)
    for bar in range(1, 9):
        line = grid + bar * BAR
        wait_for(lambda: mode(d)["stage"] in ("ready", "launched"), 60, f"the loop for bar {bar + 1}")
        out.append(d.step_to(line - BAR // 2))  # (the loop is put on in the bar before its own)
        out.append(d.step_to(line + BAR // 2))
    history = mode(d)["started"]
    # a new loop on each bar line, from the first after it started (bar 2) on
    assert [h["bar"] for h in history] == list(range(2, 10)), (history, d.log())
    assert all(h["frame"] == grid + (h["bar"] - 1) * BAR for h in history), history
    # on the free pads of the set, then each retiring the one it filled longest ago; never the kept pad 3
    assert [h["pad"] for h in history] == [2, 4, 2, 4, 2, 4, 2, 4], history
    s = d.status()
    assert s["pads"][2]["loop_id"] == kept_loop and s["pads"][2]["state"] == "playing"
    assert s["pads"][0]["state"] == "playing"
    # roles not yet playing: the drums and bass are there, so chords and a lead first
    assert [h["role"] for h in history[:2]] == ["chords", "lead"], history
    # what a listener hears: silence until the first new loop's bar line, then its attack at once
    heard = np.abs(np.concatenate(out, axis=1)).max(axis=0)
    first = history[0]["frame"] - since
    assert heard[:first].max() == 0.0 and heard[first : first + 96].max() > 0.01
    # in the project's key, each loop a new one in the library
    found = {e["id"]: e for e in json.loads(d.request("/library/search", "", reply="/library/result")[0])}
    loops = [h["loop"] for h in history]
    assert len(set(loops)) == 8 and all(found[i]["key"] == "Am" and found[i]["bars"] == 4 for i in loops)
    # stopped: no more loops, what plays plays on
    d.osc.send("/live/stop")
    d.step(2 * BAR)
    assert mode(d)["state"] == "stopped" and len(mode(d)["started"]) == 8 and mode(d)["next"] == 0
    assert d.status()["pads"][1]["state"] == "playing"


def test_a_grid_button_starts_and_stops_live_mode_and_the_grid_shows_the_next_pad(stepped):
    from padserver.harness.launchpad import lit

    d = stepped(config=CONFIG)
    lpx_out, lpx_in = "Launchpad X:LPX MIDI Out", "Launchpad X:LPX MIDI In"
    assert lpx_out in d.plug([lpx_out], [lpx_in])
    d.osc.send("/pad/1/generate", "house drums", "instrument=drums")
    wait_for(lambda: loaded(d, 1), 60, "the drums")
    d.osc.send("/pad/1/play")
    d.step(BAR // 4)
    d.sent()
    d.midi(lpx_out, 0xB0, 29, 127)  # CC 29: live mode, on all the pads (the free ones first)
    d.step(256)
    assert mode(d)["state"] == "running" and mode(d)["pads"] == list(range(1, 17))
    lights = [bytes(m) for m in d.sent()[lpx_in]]
    assert any(map(lit(29, (0, 37)), lights))  # its button lit
    assert any(map(lit(82, (2, 37)), lights))  # pad 2 (note 82) pulses light blue: the next loop goes there
    wait_for(lambda: mode(d)["stage"] in ("ready", "launched"), 60, "the first loop")
    d.step_to(d.frame + BAR)
    assert [h["pad"] for h in mode(d)["started"]] == [2] and mode(d)["next"] == 3
    lights = [bytes(m) for m in d.sent()[lpx_in]]
    assert any(map(lit(82, (0, 21)), lights)) and any(map(lit(83, (2, 37)), lights))  # 2 plays, 3 is next
    d.midi(lpx_out, 0xB0, 29, 127)  # off
    d.step(256)
    lights = [bytes(m) for m in d.sent()[lpx_in]]
    assert mode(d)["state"] == "stopped" and any(map(lit(29, (0, 1)), lights)) and any(map(lit(83, (0, 0)), lights))


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_with_a_voice_each_new_loop_is_announced_on_its_bar_line(stepped):
    d = stepped(config=CONFIG, env={"ELEVENLABS_API_KEY": ""})  # (espeak-ng speaks)
    d.osc.send("/key", "Am")
    d.osc.send("/pad/1/generate", "house drums", "instrument=drums")
    wait_for(lambda: loaded(d, 1), 60, "the drums")
    for n in (1, 2, 3):  # (muted: what is heard is the announcement on pad 16)
        d.osc.send(f"/pad/{n}/mute", 1)
    d.osc.send("/pad/1/play")
    d.step(128)
    grid = d.frame - 128
    d.step(BAR // 4)  # (a pad started with the first ones would join them from the grid's start)
    started = json.loads(d.request("/live/start", "every=2", "pads=2-3", "voice=1", "voice_pad=16",
                                   reply="/live/started")[0])  # fmt: skip
    assert started["voice"] == "" and started["voice_pad"] == 16 and started["pads"] == [2, 3]
    for line in (grid + BAR, grid + 3 * BAR):  # (the first at once: on the next bar line; the next 2 bars on)
        wait_for(lambda: (m := mode(d))["stage"] == "launched" or (m["stage"], m["announcement"]) == ("ready", "ready"),
                 60, "the loop and its announcement")  # fmt: skip
        d.step_to(line - 128)
        out = d.step(BAR)  # (the others muted: the announcement alone, from the bar line 128 frames in)
        loud = np.flatnonzero(np.abs(out).max(axis=0) > 0.01)
        assert loud.size and 128 <= loud[0] < 128 + 96 + 128, loud[:3]
    # what was said: each new loop's role in the project's key, kept in the library; the pad a one-shot
    roles = [e["role"] for e in mode(d)["started"]]
    found = json.loads(d.request("/library/search", "minor", reply="/library/result")[0])
    assert [e["name"] for e in found if e["name"].endswith(", A minor")] == [f"{r}, A minor" for r in reversed(roles)]
    pad = d.status()["pads"][15]
    assert pad["mode"] == "oneshot" and pad["name"] == f"{roles[-1]}, A minor"
