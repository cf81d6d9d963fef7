"""Recording input into a pad through dummy JACK: the take lands on the pad, lined up with the bar (within 1 ms)."""

import json
import time

import numpy as np

from padserver.harness.capture import Capture
from padserver.harness.daemon import DaemonProcess
from padserver.harness.jack import Player
from padserver.harness.signals import write_click

CONFIG = "audio:\n  jack:\n    connect: []\n    inputs: 2\nloops:\n  normalize: false\n"
BAR = 96000


def test_a_recorded_take_starts_on_its_bar(jack_server, tmp_path):
    d = DaemonProcess(["--audio", "jack"], env=jack_server.env, config=CONFIG, data_dir=str(tmp_path))
    cap = player = None
    try:
        d.wait_ready()
        burst = np.full(240, 0.5, dtype=np.float32)  # 5 ms, a quarter of a bar after each bar line
        player = Player(jack_server, burst)
        player.connect("padserver:in_1", "padserver:in_2")
        cap = Capture(jack_server, name="reccap")  # left: the bar lines padserver plays; right: what the player played
        cap.connect("padserver:master_L", "player:out")
        click = write_click(str(tmp_path / "click.wav"))
        d.osc.request("/pad/1/load", click, reply="/pad/1/loaded")
        _, first = cap.onset_of(lambda: d.osc.send("/pad/1/play"), 12000)  # pad 1 marks the bar lines
        assert first is not None
        # the bar grid as it sounds once running (a cycle missed at the launch may have shifted "first"): from the
        # first bar line whose onset the capture heard for sure (JACK may run a cycle without it)
        cap.wait_until(first + 3 * BAR + 2400)
        found = [cap.sure_onset(first + k * BAR - 2400, first + k * BAR + 2400) for k in (1, 2, 3)]
        grid = next(o - k * BAR for k, o in enumerate(found, 1) if o is not None)  # bar 0: the launch's
        player.play_at([grid + k * BAR + BAR // 4 for k in range(3, 12)])
        xruns_before = d.osc.status()["xruns"]
        assert d.osc.request("/pad/2/record", 1, "inputs=1,2", reply="/pad/2/recording") == [1]
        take = d.recorded_take(2)
        assert take.shape[1] == BAR  # one bar, exactly
        onset = int(np.flatnonzero(np.abs(take[0]) > 0.1)[0])
        # where the burst sounded against each bar line, as heard
        cap.wait_until(grid + 10 * BAR)
        xruns = d.osc.status()["xruns"] - xruns_before
        heard, lines = [], []
        for k in range(3, 10):
            bar = cap.sure_onset(grid + k * BAR - 256, grid + k * BAR + 2400, channel=0)
            played = cap.sure_onset(grid + k * BAR, grid + k * BAR + BAR // 2, channel=1)
            if bar is not None:
                lines.append((bar, bar - grid - k * BAR))
            if bar is not None and played is not None:
                heard.append(played - bar)
        # padserver's bar lines against JACK's timeline: a late callback must not move them. A bar line lands
        # on its frame, or, when JACK ran its cycle without padserver (an xrun), sounds from the next cycle
        assert len(lines) >= 4 and sorted(d for _, d in lines)[len(lines) // 2] == 0, (lines, xruns)
        assert all(
            d == 0 or (xruns and 0 < d <= xruns * jack_server.period and cap.starts_cycle(b)) for b, d in lines
        ), (
            lines,
            xruns,
        )
        assert min(abs(h - BAR // 4) for h in heard) <= 48, (heard, xruns)  # the player played on the quarter
        # the take within 1 ms of what was heard; later only where JACK ran a cycle without the burst reaching
        # padserver (an xrun): then the take hears it from the next cycle's first frame, at most a period on
        off = min(abs(onset - h) for h in heard)
        cut = xruns > 0 and (grid + onset) % jack_server.period == 0 and 0 < onset - min(heard) <= jack_server.period
        assert off <= 48 or cut or (xruns > 0 and abs(off - jack_server.period) <= 48), (onset, heard, xruns)
        assert d.osc.status()["pads"][1]["state"] == "loaded"
        assert "no audio inputs here" not in d.log()
    finally:
        for c in (cap, player):
            if c is not None:
                c.close()
        d.terminate()


def test_recording_needs_inputs(tmp_path):
    d = DaemonProcess(["--audio", "null"], data_dir=str(tmp_path))
    try:
        d.wait_ready()
        assert "no audio inputs here" in d.osc.error("/pad/1/record", 2)
    finally:
        d.terminate()


def test_resampling_puts_the_master_on_a_pad(tmp_path):
    d = DaemonProcess(["--audio", "null"], config="loops:\n  normalize: false\n", data_dir=str(tmp_path))
    try:
        d.wait_ready()
        click = write_click(str(tmp_path / "click.wav"))
        d.osc.request("/pad/1/load", click, reply="/pad/1/loaded")
        d.osc.send("/pad/1/play")
        assert d.osc.request("/pad/2/resample", 1, reply="/pad/2/recording") == [1]
        take = d.recorded_take(2)
        found = json.loads(d.osc.request("/library/search", "source=recorded", reply="/library/result")[0])
        assert [f["name"] for f in found] == ["resample pad 2"]
        # a bar of the master: the click's burst at its start (pad 1 plays it on every bar line), then silence
        assert take.shape[1] == BAR and np.abs(take[:, 200:400]).min() > 0.5 and not take[:, 2000:].any()
    finally:
        d.terminate()


def test_a_counted_in_take_lines_up_with_what_was_heard_through_latency(jack_server, tmp_path):
    config = CONFIG + "song:\n  metronome_output: click\n"  # a bar of count-in (the default), on click_L/R
    d = DaemonProcess(["--audio", "jack"], env=jack_server.env, config=config, data_dir=str(tmp_path))
    ears = player = None
    capture_latency, playback_latency = 480, 240  # 10 ms in, 5 ms out, as a sound card reports them
    try:
        d.wait_ready()
        player = Player(jack_server, np.full(240, 0.5, dtype=np.float32), latency=capture_latency)
        player.connect("padserver:in_1")
        ears = Capture(jack_server, name="ears", latency=playback_latency)  # left: the click, right: the master
        ears.connect("padserver:click_L", "padserver:master_L")
        time.sleep(0.3)  # JACK recomputes the latencies after connections change
        ask = lambda: d.osc.request("/pad/1/record", 1, "inputs=1", reply="/pad/1/recording")  # noqa: E731
        _, first = ears.onset_of(ask, 12000)  # nothing plays: the count-in starts at once
        assert first is not None
        beat = BAR // 4
        # the count-in's bar line: from the clicks the ears heard for sure (JACK may run a cycle without them); a
        # click due in a cycle JACK ran without padserver sounds later, never earlier: the earliest of three
        ears.wait_until(first + 2 * beat + 4000)
        onsets = [ears.sure_onset(first + k * beat - 2000, first + k * beat + 2000) for k in range(3)]
        bar_line = min(o - k * beat for k, o in enumerate(onsets) if o is not None) - 1  # (a click starts at 0)
        take_start = bar_line + BAR
        # the player hears the take's bar line playback_latency later and plays a quarter after it; the sound
        # reaches padserver capture_latency after that
        player.play_at([take_start + BAR // 4 + playback_latency + capture_latency])
        ears.wait_until(take_start)
        clicks = [ears.sure_onset(bar_line + 1 + k * beat - 256, bar_line + 1 + k * beat + 2000) for k in range(4)]
        xruns = d.osc.status()["xruns"]
        late = [(c, c - bar_line - 1 - k * beat) for k, c in enumerate(clicks) if c is not None]
        # four clicks, one per beat, each on its frame, or from the next cycle padserver ran after missing one
        assert sum(x == 0 for _, x in late) >= 2, (late, xruns)
        assert all(
            x == 0 or (xruns and 0 < x <= xruns * jack_server.period and ears.starts_cycle(c)) for c, x in late
        ), (
            late,
            xruns,
        )
        assert not ears.frames(bar_line - 4000, take_start)[1].any()  # and none on the master
        take = d.recorded_take(1)
        onset = int(np.flatnonzero(np.abs(take[0]) > 0.1)[0])
        xruns = d.osc.status()["xruns"]
        # where the player played against the bar it heard, within 1 ms; after an xrun a period more, or from the
        # first frame of the next cycle when JACK ran the burst's first cycle without padserver
        at = take_start + capture_latency + playback_latency + onset  # the take's onset on JACK's timeline
        late = onset - BAR // 4
        cut = xruns > 0 and at % jack_server.period == 0 and 0 < late <= jack_server.period
        assert abs(late) <= 48 or cut or (xruns > 0 and abs(late - jack_server.period) <= 48), (onset, xruns)
    finally:
        for c in (ears, player):
            if c is not None:
                c.close()
        d.terminate()


def test_a_recorded_take_starts_on_its_bar_to_the_frame(stepped, tmp_path):
    """The same on the stepped driver, whose inputs hear exactly what the test plays on exactly its frame."""
    d = stepped(config="loops:\n  normalize: false\n")
    click = write_click(str(tmp_path / "click.wav"))
    d.request("/pad/1/load", click, reply="/pad/1/loaded")
    d.osc.send("/pad/1/play")  # nothing plays: it starts at once, and the bar grid with it
    first = d.frame
    out = d.step(BAR)
    assert np.flatnonzero(out[0])[0] == 0  # (pad 1 marks the bar lines from here)
    assert d.request("/pad/2/record", 1, "inputs=1,2", reply="/pad/2/recording") == [1]  # the next bar
    played = np.zeros((2, 3 * BAR), dtype=np.float32)
    for k in range(3):  # a 5 ms burst a quarter of a bar after each bar line
        played[:, k * BAR + BAR // 4 : k * BAR + BAR // 4 + 240] = 0.5
    assert d.frame == first + BAR
    d.step(3 * BAR, played=played)
    take = d.process.recorded_take(2)
    assert take.shape[1] == BAR  # one bar, exactly
    assert int(np.flatnonzero(np.abs(take[0]) > 0.1)[0]) == BAR // 4  # the burst where it was played, to the frame
    assert d.status()["pads"][1]["state"] == "loaded"
