"""OSC feedback heard by liblo's oscdump, an independent OSC implementation."""

import os
import subprocess
import time

from padserver.harness.daemon import OscPeer
from padserver.harness.signals import write_click, write_tone


def test_a_new_client_gets_the_full_state_at_once(daemon, dump):
    dump.wait_for('/registered si "127.0.0.1" ' + str(dump.port))
    for text in (
        '/pad/16/state s "empty"',
        "/tempo f 120.000000",
        "/master/gain f 1.000000",
        '/quantize s "1"',
        '/pad/1/mode s "loop"',
    ):
        dump.wait_for(text)


def test_a_client_that_registers_again_gets_the_full_state_again(daemon, dump):
    """A layout opened again (TouchOSC's, Open Stage Control's) registers from the same port as before: it
    starts blank, so it is told everything again, not only what changes from now on."""
    first = dump.wait_for('/pad/16/state s "empty"')
    subprocess.run(
        ["oscsend", "localhost", str(daemon.port), "/register", "si", "127.0.0.1", str(dump.port)], check=True
    )
    dump.wait_for('/pad/16/state s "empty"', after=first + 1e-6)
    dump.wait_for("/tempo f 120.000000", after=first + 1e-6)


def test_state_changes_reach_the_client_queued_then_playing_on_the_bar(daemon, dump):
    osc = daemon.osc
    click = write_click(os.path.join(daemon.data_dir, "click.wav"))
    osc.request("/pad/1/load", click, reply="/pad/1/loaded")
    osc.request("/pad/2/load", click, reply="/pad/2/loaded")
    dump.wait_for('/pad/1/state s "loaded"')
    dump.wait_for('/pad/1/name s "click"')
    osc.send("/pad/2/play")
    started = dump.wait_for('/pad/2/state s "playing"')
    time.sleep(0.3)
    osc.send("/pad/1/play")
    queued = dump.wait_for('/pad/1/state s "queued"', after=started)
    playing = dump.wait_for('/pad/1/state s "playing"', timeout=4, after=queued)
    assert queued - started < 0.4  # at once
    assert 1.5 < playing - started < 2.2  # on the next bar line (2 s at 120 BPM)
    osc.send("/pad/1/gain", 0.5)
    dump.wait_for("/pad/1/gain f 0.500000")
    osc.send("/pad/1/mute", 1)
    dump.wait_for("/pad/1/mute i 1")
    osc.send("/tempo", 100)
    dump.wait_for("/tempo f 100.000000")


def test_meters_arrive_at_most_thirty_times_a_second_and_only_when_changed(daemon, dump):
    import numpy as np
    import soundfile as sf

    osc = daemon.osc
    rising = os.path.join(daemon.data_dir, "rising.wav")
    t = np.arange(96000) / 48000
    sf.write(rising, (np.sin(2 * np.pi * 220 * t) * t / 2 * 0.8).astype(np.float32), 48000)
    steady = write_tone(os.path.join(daemon.data_dir, "steady.wav"), rate=48000, seconds=2.0, level=0.5)
    osc.request("/pad/3/load", rising, reply="/pad/3/loaded")
    osc.request("/pad/4/load", steady, reply="/pad/4/loaded")
    osc.send("/pad/3/play")
    osc.send("/pad/4/play")
    dump.wait_for('/pad/3/state s "playing"')
    time.sleep(2.0)
    times = [t for t, line in dump.lines if line.startswith("/pad/3/level")]
    assert len(times) >= 20, "a rising level is reported continuously"
    span = times[-1] - times[0]
    assert len(times) - 1 <= 30 * span + 1, f"{len(times)} meter messages in {span:.2f} s"
    assert any(line.startswith("/master/level ff") for _, line in dump.lines)
    steady_count = sum(1 for _, line in dump.lines if line.startswith("/pad/4/level"))
    assert steady_count <= 3, "a steady level is not sent again and again"


def test_any_sender_is_registered_automatically_and_can_opt_out(daemon):
    tablet = OscPeer(daemon.port, feedback=True)
    tablet.send("/ping")
    seen = [a for a, _ in tablet.receive(1.0)]
    assert "/pong" in seen and "/pad/16/state" in seen and "/tempo" in seen
    tablet.send("/unregister")
    time.sleep(0.1)
    daemon.osc.send("/tempo", 99)
    assert "/tempo" not in [a for a, _ in tablet.receive(0.5)]
    tablet.close()


def test_the_live_faders_follow_the_live_pad_they_steer(daemon, dump):
    osc = daemon.osc
    dump.wait_for('/pad/16/state s "empty"')
    osc.send("/pad/5/mode", "live")
    chosen = dump.wait_for("/live/pad i 5")  # the first live pad is the one they steer
    dump.wait_for("/live/weight/1 f 1.000000", after=chosen)
    osc.send("/live/weight/3", 1.5)
    dump.wait_for("/live/weight/3 f 1.500000")
    dump.wait_for('/pad/5/live/prompt isf 3 "" 1.500000')
    osc.send("/pad/5/live/prompt", 2, "glassy arps", 0.5)
    dump.wait_for('/live/prompt/2 s "glassy arps"')
    osc.send("/live/density", 0.7)
    dump.wait_for("/live/density f 0.700000")
    osc.send("/pad/9/mode", "live")
    osc.send("/live/pad", 9)
    other = dump.wait_for("/live/pad i 9")
    dump.wait_for("/live/weight/3 f 1.000000", after=other)  # pad 9's own
    osc.send("/pad/1/keep", 1)
    dump.wait_for("/pad/1/keep i 1")
    assert osc.request("/live/pad", reply="/live/pad") == [9]
