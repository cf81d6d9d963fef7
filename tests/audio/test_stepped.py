"""The stepped driver: the daemon renders only when the test says so, and every command lands in the block
after it was sent. What happens on which frame is asserted exactly, whatever the machine is doing."""

import numpy as np
import pytest

from padserver.harness.launchpad import LPX, lit
from padserver.harness.signals import write_click
from padserver.harness.stepped import StepError

BEAT = 24000  # frames at 120 BPM, 48 kHz
BAR = 4 * BEAT
LEVELS_AS_THEY_ARE = "loops:\n  normalize: false\n"


def onset(audio: np.ndarray, channel: int) -> int | None:
    hits = np.flatnonzero(audio[channel])
    return int(hits[0]) if hits.size else None


def two_clicks(d, tmp_path):
    click = write_click(str(tmp_path / "click.wav"))  # one bar at 120 BPM: a 10 ms burst, then silence
    for pad, pan in ((1, -1.0), (2, 1.0)):
        d.request(f"/pad/{pad}/load", click, reply=f"/pad/{pad}/loaded")
        d.osc.send(f"/pad/{pad}/pan", pan)  # pad 1 alone on the left, pad 2 alone on the right


def test_a_launch_lands_on_the_frame_of_its_bar_line(stepped, tmp_path):
    d = stepped(config=LEVELS_AS_THEY_ARE)
    two_clicks(d, tmp_path)
    assert not d.step(1000).any()
    d.osc.send("/pad/1/trigger")  # nothing plays: it starts on the first frame of the next block, and the grid
    first = d.step(30000)
    assert onset(first, 0) == 0 and onset(first, 1) is None
    d.osc.send("/pad/2/trigger")  # a 1-bar quantum: on the next bar line, 96000 frames after the grid started
    rest = d.step(BAR)
    assert onset(rest, 1) == BAR - 30000
    assert onset(rest[:, BAR - 30000 :], 0) == 0  # pad 1's loop comes round on the very same frame


def test_a_quarter_quantum_waits_for_the_next_beat_and_levels_are_as_set(stepped, tmp_path):
    d = stepped(config=LEVELS_AS_THEY_ARE)
    two_clicks(d, tmp_path)
    d.osc.send("/pad/1/gain", 0.5)
    d.osc.send("/pad/2/quantize", "1/4")
    d.osc.send("/pad/1/trigger")
    d.step(BEAT + BEAT // 10)  # pad 2 pressed a tenth of a beat after the second beat line
    d.osc.send("/pad/2/trigger")
    out = d.step(BAR)
    assert onset(out, 1) == BEAT - BEAT // 10  # on the next beat line, not at once
    # pad 1 comes round on the bar, at gain 0.5 hard left: 0.8 × 0.5 on the left (past the 2 ms fade)
    again = BAR - BEAT - BEAT // 10
    assert onset(out[:, again - 2400 :], 0) == 2400
    assert np.all(out[0, again + 200 : again + 400] == pytest.approx(0.4, abs=1e-4))
    assert not out[0, again + 1000 :].any()


def test_stop_is_quantized_and_fades_out(stepped, tmp_path):
    d = stepped(config=LEVELS_AS_THEY_ARE)
    two_clicks(d, tmp_path)
    d.osc.send("/pad/1/trigger")
    d.step(1000)
    d.osc.send("/pad/1/stop")
    out = d.step(2 * BAR)
    # stopped on the bar line: what would have followed fades out over the 2 ms fade, then nothing
    fade = 96
    assert onset(out[:, BAR - 1000 :], 0) == 0 and onset(out[:, BAR - 1000 + fade :], 0) is None
    assert abs(out[0, BAR - 1000 + fade - 1]) < 0.8 / 50
    state = d.status()["pads"][0]["state"]
    assert state in ("loaded", "stopped"), state


def test_tap_tempo_is_timed_on_the_drivers_clock(stepped):
    d = stepped()
    replies = []
    for _ in range(4):
        d.osc.send("/tempo/tap")
        d.step(19200)  # 0.4 s of frames between taps, however long the machine takes to render them
        replies += [values for address, values in d.osc.receive(0.5, until="/tempo") if address == "/tempo"]
    assert d.status()["tempo"] == pytest.approx(150.0, abs=1e-6)
    assert len(replies) == 3  # the first tap only starts the series
    d.step(96000 - 19200)  # a pause longer than 2 s of the driver's clock (2.0 s after the last tap: 0.4 + 1.6)
    d.step(1)
    d.osc.send("/tempo/tap")  # starts a new series: no tempo yet
    d.step(24000)
    assert [a for a, _ in d.osc.receive(0.3)] == []
    d.osc.send("/tempo/tap")  # half a second after: 120 BPM
    d.step(256)
    assert d.status()["tempo"] == pytest.approx(120.0, abs=1e-6)


def test_the_launchpad_lights_follow_the_pads_frame_by_frame(stepped, tmp_path):
    d = stepped(config=LEVELS_AS_THEY_ARE)
    connected = d.plug(
        ["Launchpad X:LPX MIDI Out", "Launchpad X:LPX DAW Out"], ["Launchpad X:LPX MIDI In", "Launchpad X:LPX DAW In"]
    )
    assert "Launchpad X:LPX MIDI Out" in connected
    sent = d.sent()
    assert set(sent) == {"Launchpad X:LPX MIDI In"}  # the DAW port is sent nothing
    assert list(LPX + bytes.fromhex("0E 01 F7")) in sent["Launchpad X:LPX MIDI In"]  # programmer mode
    two_clicks(d, tmp_path)
    d.step(256)
    d.sent()
    d.midi("Launchpad X:LPX MIDI Out", 0x90, 82, 127)  # note 82 = pad 2: nothing plays, so it starts now
    out = d.step(30000)
    assert onset(out, 1) == 0
    lights = [bytes(m) for m in d.sent()["Launchpad X:LPX MIDI In"]]
    assert any(map(lit(82, (0, 21)), lights))  # green
    d.midi("Launchpad X:LPX MIDI Out", 0x90, 81, 127)  # pad 1: queued for the bar line, flashing green
    d.step(256)
    lights = [bytes(m) for m in d.sent()["Launchpad X:LPX MIDI In"]]
    assert any(map(lit(81, (1, 0, 21)), lights))
    out = d.step(BAR - 30256 + 256)
    assert onset(out, 0) == BAR - 30256
    lights = [bytes(m) for m in d.sent()["Launchpad X:LPX MIDI In"]]
    assert any(map(lit(81, (0, 21)), lights))  # playing, once its bar line has come


def test_a_bad_request_on_the_channel_is_answered_and_the_daemon_steps_on(stepped):
    d = stepped()
    with pytest.raises(StepError, match="unknown op"):
        d._ask({"op": "fly"})
    with pytest.raises(StepError, match="frames must be in"):
        d.step(-5)
    with pytest.raises(StepError, match="no controller is connected"):
        d.midi("Nothing:out", 0x90, 1, 1)
    assert d.step(512).shape == (2, 512) and d.frame == 512
