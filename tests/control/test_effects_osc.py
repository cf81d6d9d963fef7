"""Effects over OSC on the stepped driver: an echo a beat later in what the master plays, bad values refused on
the wire, settings fed back, undone, and kept with the project."""

import numpy as np
import pytest

from padserver.harness.daemon import OscPeer
from padserver.harness.wait import wait_for

pytest.importorskip("padserver.engine._fx", reason="the effects' kernels are not built (pip install -e .)")

BEAT = 24000  # 120 BPM at 48 kHz
BAR = 4 * BEAT
CONFIG = "loops:\n  normalize: false\n"


def test_a_delay_on_a_pad_puts_its_echo_a_beat_later_and_everything_about_it_is_kept(stepped):
    d = stepped(config=CONFIG)
    d.osc.send("/pad/1/generate", "house drums", "instrument=drums", "bars=4")
    wait_for(lambda: d.status()["pads"][0]["loop_id"] is not None, 60, "the loop")
    d.osc.send("/pad/1/gain", 0.4)
    watcher = OscPeer(d.process.port, feedback=True)
    try:
        watcher.request("/register", reply="/pad/16/state")  # (the full state first)
        d.osc.send("/pad/1/play")
        first = d.step(128)
        grid = d.frame - 128
        dry = np.concatenate([first, d.step_to(grid + 4 * BAR)], axis=1)  # one time round, dry
        for address, value in (("/pad/1/fx/delay/time", "1/4"), ("/pad/1/fx/delay/feedback", 0.0),
                               ("/pad/1/fx/delay/mix", 0.5)):  # fmt: skip
            d.osc.send(address, value)
        d.step(128)
        wet = d.step_to(grid + 8 * BAR)[:, -4 * BAR + 128 :]  # the second time round, with the delay
        start = BEAT + 2400  # (past the first echo's beat and the level's fade-in)
        expected = dry[:, 128:] + 0.5 * np.roll(dry, BEAT, axis=1)[:, 128:]
        assert np.abs(dry).max() > 0.05
        assert np.abs(wet[:, start:] - expected[:, start:]).max() < 1e-4
        heard = [v for a, v in watcher.receive(2.0) if a.startswith("/pad/1/fx/")]
        assert ["1/4"] in heard and [0.5] in heard
    finally:
        watcher.close()
    # bad values are refused where they came from, and change nothing
    assert "note value" in d.osc.error("/pad/1/fx/delay/time", "1/7")
    assert "filter must be -1..1" in d.osc.error("/pad/1/fx/filter", 2.0)
    assert "reverb is a number" in d.osc.error("/pad/1/fx/reverb", "lots")
    # undone, kept with the project, and back on load
    d.osc.send("/pad/1/fx/filter", -0.5)
    assert d.request("/undo", reply="/undo") == ["pad 1 filter"]
    d.osc.send("/pad/1/fx/eq/low", -30.0)
    d.request("/project/save_as", "fx", reply="/project/saved")
    d.request("/project/new", reply="/project/loaded")
    assert d.status()["pads"][0]["fx"] == {}
    assert d.request("/project/load", "fx", reply="/project/loaded", timeout=60) == ["fx", 0]
    assert d.status()["pads"][0]["fx"] == {"delay/time": "1/4", "delay/feedback": 0.0, "delay/mix": 0.5,
                                           "filter": 0.0, "eq/low": -30.0}  # fmt: skip


def test_the_tablets_effects_controls_play_the_selected_pad_and_show_its_settings(stepped):
    from padserver.control.osc_feedback import EFFECTS
    from padserver.state.effects import DEFAULTS

    assert EFFECTS == tuple(DEFAULTS)  # (the feedback's own list of the settings is the state's)
    d = stepped(config=CONFIG)
    d.osc.send("/pad/3/fx/filter", -0.5)
    d.request("/song/track/add", reply="/song/track/added")
    d.osc.send("/song/track/1/fx/delay/mix", 0.25)
    d.osc.send("/master/fx/eq/high", 3.0)
    tablet = OscPeer(d.process.port, feedback=True)
    try:
        tablet.send("/register")
        state = tablet.receive(10.0, until="/pad/16/state")  # (the whole state first)
        # every chain's settings, off or not: a control left from an earlier set goes back to where it is now
        for message in (("/pad/3/fx/filter", [-0.5]), ("/pad/1/fx/filter", [0.0]), ("/pad/16/fx/delay/time", ["1/8"]),
                        ("/song/track/1/fx/delay/mix", [0.25]), ("/master/fx/eq/high", [3.0]),
                        ("/master/fx/reverb", [1.0]), ("/fx/pad", [1]), ("/fx/filter", [0.0])):  # fmt: skip
            assert message in state, message
        tablet.send("/pad/3/fx/select", 1.0)  # a button on the effects page
        heard = tablet.receive(2.0, until="/fx/reverb")
        assert ("/fx/pad", [3]) in heard and ("/fx/filter", [-0.5]) in heard and ("/fx/delay/time", ["1/8"]) in heard
        tablet.send("/fx/eq/low", -30.0)  # the selected pad's
        tablet.send("/fx/delay/time/6", 1.0)  # the sixth time button: 1/4
        tablet.receive(1.0)
        assert d.status()["pads"][2]["fx"] == {"filter": -0.5, "eq/low": -30.0, "delay/time": "1/4"}
        assert "delay time buttons are numbered 1..9" in tablet.error("/fx/delay/time/12", 1.0)
    finally:
        tablet.close()
