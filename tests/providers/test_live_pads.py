"""Live pads against a fake Lyria RealTime server (TLS WebSocket, the real SDK), on the stepped driver: the
stream starts on a bar line of the grid with its own bar lines on it, a second press fades it out on the
quantum, the session closes when idle, and loading a project opens none."""

import json

import numpy as np
import pytest

from padserver.harness.fakes import FakeLyria
from padserver.harness.wait import wait_for

G_KEY = "g-test-key-456"
BEAT = 24000  # 120 BPM at 48 kHz
BAR = 4 * BEAT


@pytest.fixture
def lyria():
    fake = FakeLyria(warmup_s=1.0)
    yield fake
    fake.close()


def config(idle_close_s: float = 600.0) -> str:
    return f"""
providers:
  google_api_key: {G_KEY}
  lyria-realtime:
    lead_in_s: 1.0
    buffer_s: 1.0
    idle_close_s: {idle_close_s}
loops:
  normalize: false
"""


def pad(d, n: int) -> dict:
    return d.status()["pads"][n - 1]


def start_stream(d, n: int = 1) -> None:
    """Wait, the test's clock still, until the live pad's stream is handed to the engine (how long it takes to
    arrive is the network's and the machine's), then step until it plays: in the first step where nothing else
    plays (the grid starts with it), on the next bar line where a loop does."""
    wait_for(lambda: d.status()["live"][str(n)]["fed"], 30, "the stream to arrive")
    d.step(128)
    for _ in range(20):
        if pad(d, n)["state"] == "playing":
            return
        d.step(BAR // 8)
    raise AssertionError("the stream did not start within two bars of its arrival")


def step_fed(d, frames: int, n: int = 1):
    """Step ``frames`` once the live pad holds them and a second more: the test's clock waits for the stream
    (the stepped driver renders faster than any stream comes on a loaded machine)."""
    wait_for(lambda: d.status()["live"][str(n)]["buffered_s"] >= frames / 48000 + 1, 30, "the stream to come")
    return d.step(frames)


def live_state(d, n: int) -> str:
    return d.request(f"/pad/{n}/live", reply=f"/pad/{n}/live")[0]


def test_a_live_pad_starts_its_stream_on_the_bar_and_a_second_press_fades_it_out_on_the_quantum(stepped, lyria):
    d = stepped(config=config(idle_close_s=1.0), env=lyria.env())
    d.osc.send("/key", "a minor")
    assert d.request("/key", reply="/key") == ["Am"]
    d.osc.send("/pad/1/mode", "live")
    wait_for(lambda: pad(d, 1)["state"] == "loaded", 5, "the live pad to be ready")
    assert lyria.sessions == 0  # a live pad opens no session until pressed
    d.osc.send("/pad/1/trigger", 1.0)
    # nothing else plays: it starts at once when its buffer is full, and the bar grid with it
    start_stream(d)
    # (the fake streams far faster than real time, and the stepped driver renders faster still: the stream is
    # let arrive before the test steps through it)
    wait_for(lambda: d.status()["live"]["1"]["buffered_s"] > 8 * BAR / 48000 + 1, 30, "the stream to arrive")
    start = d.frame
    out = d.step(8 * BAR)
    # how far ahead of what is heard the stream is, in bars (told to the surfaces as /pad/1/live/latency)
    assert d.status()["live"]["1"]["latency_bars"] >= 0.5
    # the fake's music: a click on every beat from its first downbeat (louder on the bar), chords and noise.
    # It launched at the start of the last 128-frame step: the grid's beats are every BEAT from there
    peaks, levels = [], []
    for b in range(1, 32):
        line = b * BEAT - 128  # (out[:, 0] is the frame after that step)
        window = np.abs(out[0, line - 60 : line + 60])
        peaks.append(int(np.argmax(window >= 0.5 * window.max())) - 60)  # where the click rises
        levels.append(float(window.max()))
    # every beat on the grid (to half a millisecond: the lock steers the stream by a hair each bar)
    assert max(peaks) - min(peaks) <= 24 and abs(float(np.median(peaks))) <= 24, str((peaks, levels))
    bars, others = levels[3::4], [v for i, v in enumerate(levels) if i % 4 != 3]
    assert min(bars) > 1.5 * max(others), "the stream's own downbeats on the grid's bar lines"
    sent = [m for m in lyria.messages if "musicGenerationConfig" in m][-1]["musicGenerationConfig"]
    assert sent["bpm"] == 120 and sent["scale"] == "C_MAJOR_A_MINOR"  # the project's tempo and key
    # capture: the last 4 whole bars heard, from the grid's bar lines, as a loop on the next empty pad
    loop, onto = d.request("/pad/1/capture", 4, reply="/pad/1/captured")
    assert onto == 2
    wait_for(lambda: pad(d, 2)["state"] == "loaded", 10, "the capture to land")
    found = json.loads(d.request("/library/search", "live", reply="/library/result")[0])
    kept = next(entry for entry in found if entry["id"] == loop)
    assert kept["bars"] == 4 and kept["source"] == "generated"
    import soundfile as sf

    audio, rate = sf.read(kept["path"], dtype="float32", always_2d=True)
    heard = out[:, 4 * BAR - 128 : 8 * BAR - 128] / np.cos(np.pi / 4)  # bars 5..8, the last whole ones heard
    # (as the master had them: panned centre, −3 dB a side)
    assert audio.shape[0] == 4 * BAR and rate == 48000
    middle = slice(BAR // 2, 7 * BAR // 2)  # (the loop's seam is crossfaded)
    assert np.abs(audio.T[:, middle] - heard[:, middle]).max() < 1e-3
    # the second press: it fades out on the next bar line (the quantum), and the session stays open a while
    d.osc.send("/pad/1/trigger", 1.0)
    wait_for(lambda: (d.step(128), pad(d, 1)["state"])[1] == "stopping", 10, "the stop to be queued")
    bar_line = start - 128 + int(np.ceil((d.frame - start) / BAR)) * BAR
    rest = d.step_to(bar_line + BAR)
    tail = rest[:, bar_line - (d.frame - rest.shape[1]) :]
    assert not np.abs(tail[:, 200:]).any() and pad(d, 1)["state"] == "loaded"
    wait_for(lambda: live_state(d, 1) == "closed", 10, "the idle session to close")
    assert lyria.sessions == 1


def test_loading_a_project_with_a_live_pad_opens_no_session(stepped, lyria):
    d = stepped(config=config(), env=lyria.env())
    d.osc.send("/pad/3/mode", "live")
    d.osc.send("/pad/3/live/prompt", 2, "glassy arps", 1.5)
    d.osc.send("/pad/3/live/set", "brightness", 0.8)
    d.request("/project/save", "with-live", reply="/project/saved")
    d.request("/project/new", reply="/project/loaded")
    d.request("/project/load", "with-live", reply="/project/loaded")
    assert pad(d, 3)["mode"] == "live" and live_state(d, 3) == "closed"
    assert pad(d, 3)["live_prompts"][1] == ["glassy arps", 1.5] and pad(d, 3)["live_settings"] == {"brightness": 0.8}
    d.step(4 * BAR)
    assert lyria.sessions == 0
    assert json.loads(json.dumps(d.status()["pads"][2]))["state"] in ("loaded", "empty")


def test_a_stream_a_little_fast_keeps_its_bar_lines_on_the_grid_for_64_bars(stepped, tmp_path):
    """The model plays 0.3 % fast (6 ms a bar: a third of a second by bar 64 if nothing held it): every bar
    line of the stream stays within 5 ms of the grid's."""
    fake = FakeLyria(warmup_s=1.0, speed=1.003, song_s=140.0)
    try:
        d = stepped(config=config(), env=fake.env())
        d.osc.send("/pad/1/mode", "live")
        wait_for(lambda: pad(d, 1)["state"] == "loaded", 5, "the live pad to be ready")
        d.osc.send("/pad/1/trigger", 1.0)
        start_stream(d)
        wait_for(lambda: d.status()["live"]["1"]["buffered_s"] > 64 * BAR / 48000 + 1, 30, "the stream to arrive")
        out = np.concatenate([d.step(8 * BAR) for _ in range(8)], axis=1)
        errors = []
        for k in range(1, 64):  # (the launch was at the start of the last 128-frame step)
            window = np.abs(out[0, k * BAR - 128 - 480 : k * BAR - 128 + 480])
            errors.append(int(np.argmax(window >= 0.5 * window.max())) - 480)  # the downbeat click rising
        assert max(abs(e) for e in errors) <= 240, errors  # 5 ms
        assert pad(d, 1)["state"] == "playing"
    finally:
        fake.close()


def test_steering_reaches_the_model_at_most_five_times_a_second_with_the_latest_of_everything(stepped, lyria):
    import time

    from padserver.harness.fakes import LyriaScript

    lyria.scripts.append(LyriaScript(filtered="forbidden words"))
    d = stepped(config=config(), env=lyria.env())
    d.osc.send("/pad/1/mode", "live")
    d.osc.send("/pad/1/live/prompt", 1, "warm pads", 1.0)
    d.osc.send("/pad/1/live/prompt", 2, "dusty drums", 0.0)  # (weight 0: not sent)
    wait_for(lambda: pad(d, 1)["live_prompts"][1] == ["dusty drums", 0.0], 5, "the prompts to be set")
    d.osc.send("/pad/1/trigger", 1.0)
    start_stream(d)
    opened = len(lyria.messages)
    for i in range(20):  # a knob turned for a second: 20 weights
        d.osc.send("/pad/1/live/weight", 1, 0.1 * (i + 1))
        time.sleep(0.05)
    d.osc.send("/pad/1/live/set", "density", 0.3)
    d.osc.send("/pad/1/live/prompt", 3, "forbidden words", 1.0)
    wait_for(lambda: "was filtered" in d.process.log(), 10, "the filtered prompt to be reported")
    time.sleep(0.5)
    sent = [m for m in lyria.messages[opened:] if "clientContent" in m]
    times = [t for m, t in zip(lyria.messages[opened:], lyria.arrived[opened:], strict=True) if "clientContent" in m]
    # coalesced: at most 5 a second (in any second, give or take one that the network held back)
    assert 2 <= len(sent) and max(sum(1 for u in times if t <= u < t + 1.0) for t in times) <= 6, times
    assert sent[-1]["clientContent"]["weightedPrompts"] == [
        {"text": "warm pads", "weight": 2.0},
        {"text": "forbidden words", "weight": 1.0},
    ]  # the latest weights; the slot of weight 0 left out
    config_sent = [m for m in lyria.messages[opened:] if "musicGenerationConfig" in m][-1]["musicGenerationConfig"]
    assert config_sent["density"] == 0.3 and config_sent["bpm"] == 120  # the whole config, not one field
    with pytest.raises(AssertionError, match=r"weight must be in range 0..2 \(got 3\)"):  # an /error, at once
        d.request("/pad/1/live/prompt", 4, "x", 3.0, reply="/error")


def test_a_dropped_session_is_opened_again_and_its_stream_rejoins_on_a_bar_line(stepped, lyria, tmp_path):
    import subprocess

    from padserver.harness.fakes import LyriaScript
    from padserver.harness.signals import write_click
    from tests.control.conftest import Dump

    lyria.scripts.append(LyriaScript(close_after=4))  # 8 s of stream, then the socket drops
    d = stepped(config=config(), env=lyria.env())
    dump = Dump()
    try:
        subprocess.run(["oscsend", "localhost", str(d.process.port), "/register", "si", "127.0.0.1", str(dump.port)])
        d.request("/pad/2/load", write_click(str(tmp_path / "click.wav")), reply="/pad/2/loaded")
        d.osc.send("/pad/2/play")  # a loop holds the grid: the live pad rejoins on its bar lines
        d.step(128)
        launch = d.frame - 128
        d.osc.send("/pad/1/mode", "live")
        wait_for(lambda: pad(d, 1)["state"] == "loaded", 5, "the live pad to be ready")
        d.osc.send("/pad/1/trigger", 1.0)
        start_stream(d)
        wait_for(lambda: lyria.sessions == 2, 10, "a new session")
        wait_for(lambda: d.status()["live"]["1"]["buffered_s"] > 8, 30, "the new stream to arrive")

        def said() -> list[str]:
            return [line.split()[-1].strip('"') for _, line in dump.lines if line.startswith("/pad/1/live s")]

        # what was held runs dry, and the new stream starts on a later bar line
        wait_for(lambda: (step_fed(d, BAR // 4), said()[-2:])[1] == ["underrun", "playing"], 30, "the stream to rejoin")
        out = step_fed(d, 4 * BAR)
        assert said()[-2:] == ["underrun", "playing"]  # (and plays on)
        start = d.frame - 4 * BAR
        peaks = []
        for b in range(17):  # every beat of the new stream on the grid's beats
            line = (launch - start) % BEAT + b * BEAT
            if line < 60 or line + 60 > out.shape[1]:
                continue
            window = np.abs(out[0, line - 60 : line + 60])
            peaks.append(int(np.argmax(window >= 0.5 * window.max())) - 60)
        # (to half a millisecond: the lock's residual where the stream joined, which depends on how much of it had
        # come by then)
        assert len(peaks) >= 14 and max(peaks) - min(peaks) <= 24 and abs(float(np.median(peaks))) <= 24, peaks
    finally:
        dump.close()


def test_a_big_tempo_change_asks_the_model_anew_and_the_new_stream_joins_on_the_new_grid(stepped, lyria, tmp_path):
    import subprocess

    from padserver.harness.signals import write_click
    from tests.control.conftest import Dump

    d = stepped(config=config() + "  refit_after_s: 0.05\n", env=lyria.env())
    dump = Dump()
    try:
        subprocess.run(["oscsend", "localhost", str(d.process.port), "/register", "si", "127.0.0.1", str(dump.port)])
        d.request("/pad/2/load", write_click(str(tmp_path / "click.wav")), reply="/pad/2/loaded")
        d.osc.send("/pad/2/play")
        d.step(128)
        d.osc.send("/pad/1/mode", "live")
        wait_for(lambda: pad(d, 1)["state"] == "loaded", 5, "the live pad to be ready")
        d.osc.send("/pad/1/trigger", 1.0)
        start_stream(d)
        d.step(2 * BAR)
        d.osc.send("/tempo", 132.0)  # 10 % faster: past loops.refit_min_change

        def configs() -> list[dict]:
            return [m["musicGenerationConfig"] for m in lyria.messages if "musicGenerationConfig" in m]

        # asked anew, in a session of its own (no audio of the old tempo in it)
        wait_for(lambda: lyria.sessions == 2 and configs()[-1]["bpm"] == 132, 10, "the model asked anew")

        def said() -> list[str]:
            return [line.split()[-1].strip('"') for _, line in dump.lines if line.startswith("/pad/1/live s")]

        wait_for(
            lambda: (step_fed(d, BAR // 4), said()[-2:])[1] == ["underrun", "playing"], 60, "the new stream to join"
        )
        assert d.status()["live"]["1"]["tempo"] == 132.0  # a stream made at the new tempo, not the old one sped up
        bar = 4 * 48000 * 60 / 132
        out = step_fed(d, int(4 * bar))
        # the new stream's downbeats (its loudest clicks) a bar of the new tempo apart
        clicks = np.flatnonzero(np.abs(out[0]) > 0.5)
        firsts = clicks[np.concatenate([[True], np.diff(clicks) > 2000])]
        firsts = firsts[firsts > 0]  # (a click already sounding when the window opened: its start is not in it)
        assert len(firsts) >= 3 and np.all(np.abs(np.diff(firsts) - bar) < 24), firsts
    finally:
        dump.close()


def test_streaming_stops_when_the_days_minutes_are_used_up(stepped, lyria):
    d = stepped(
        config=config().replace("    idle_close_s", "    daily_minutes: 0.2\n    idle_close_s"), env=lyria.env()
    )
    d.osc.send("/pad/1/mode", "live")
    wait_for(lambda: pad(d, 1)["state"] == "loaded", 5, "the live pad to be ready")
    d.osc.send("/pad/1/trigger", 1.0)  # 12 s a day: the fake streams them at once
    wait_for(lambda: "streaming minutes are used up" in d.process.log(), 30, "the day's minutes to run out")
    assert lyria.sessions == 1  # not opened again
    d.step(20 * BAR)  # what was held plays out
    assert pad(d, 1)["state"] == "loaded"
    with pytest.raises(AssertionError, match="streaming minutes are used up"):
        d.request("/pad/1/trigger", 1.0, reply="/error")


def test_a_live_pad_pressed_off_before_it_started_closes_its_session(stepped, lyria):
    d = stepped(config=config(idle_close_s=1.0), env=lyria.env())
    d.osc.send("/pad/1/mode", "live")
    wait_for(lambda: pad(d, 1)["state"] == "loaded", 5, "the live pad to be ready")
    d.osc.send("/pad/1/trigger", 1.0)
    d.osc.send("/pad/1/trigger", 1.0)  # changed its mind (whether the stream had started or not)
    # closed: after it opened, or before it had (then the service never saw it: nothing to pay)
    wait_for(lambda: live_state(d, 1) == "closed" and lyria.open_now == 0, 10, "the session to close")
    d.step(4 * BAR)
    assert pad(d, 1)["state"] == "loaded" and lyria.sessions <= 1 and lyria.open_now == 0
