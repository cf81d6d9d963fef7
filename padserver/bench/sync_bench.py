"""Sync: MIDI clock out jitter on the JACK path (ticks written at their own frames) while 16 pads play."""

from __future__ import annotations

import contextlib
import os
import time

import numpy as np

from padserver.bench.control_bench import xruns, xruns_since
from padserver.bench.library_bench import playing_kit, sixteen_playing
from padserver.bench.targets import expect
from padserver.harness.scratch import scratch_dir
from padserver.harness.wait import until

RATE = 48000


def run_clock_out(smoke: bool) -> bool:
    from padserver.harness.jack import MidiDevice

    seconds = 3.0 if smoke else 60.0
    print(f"== sync: MIDI clock out at 120 BPM through JACK MIDI, {seconds:g} s, 16 pads playing ==")
    folder = scratch_dir("padserver-bench-")
    kit = playing_kit(folder, smoke, 40)
    config = 'sync:\n  clock_out: ["follower:in"]\n'
    for period in (128, 256):
        with contextlib.ExitStack() as stack:
            server, d = stack.enter_context(sixteen_playing(period, folder, kit, config))
            follower = MidiDevice(server, "follower", "out", "in")
            stack.callback(follower.close)
            # (padserver connects its clock to the follower's port once it sees it: measured from then on)
            if until(lambda f=follower: sum(m == b"\xf8" for _, m in list(f.received)) >= 2, 30) is None:
                print(f"period {period}: no clock arrived in 30 s")
                return False
            seen = xruns(server, d)
            time.sleep(seconds)
            ticks = np.array([f for f, m in list(follower.received) if m == b"\xf8"], dtype=np.float64)
            steps_ms = np.diff(ticks[1:]) * 1000.0 / RATE  # (the first may have come before the connection)
            if len(steps_ms) < 2:
                print(f"period {period}: no clock arrived")
                return False
            # a cycle JACK drops takes its ticks with it (the follower sees a gap of whole ticks): those are
            # counted apart, the timing is that of the ticks that arrived
            nominal = 60_000.0 / (120 * 24)
            lost = np.round(steps_ms / nominal).astype(int) - 1
            kept = steps_ms[lost == 0]
            bpm = 60_000.0 / (24 * kept.mean())
            print(
                f"period {period}: {len(steps_ms) + 1} ticks, tempo {bpm:.3f} BPM, tick interval "
                f"std {kept.std():.4f} ms (max deviation {np.abs(kept - nominal).max():.4f} ms), "
                f"{int(lost[lost > 0].sum())} lost with dropped cycles, {xruns_since(server, d, seen)}"
            )
            # each tick written on its own frame: only the frame's rounding is left
            expect(f"JACK clock out tempo error at period {period}", abs(bpm - 120.0), "BPM", at_most=0.01, sane=5)
            expect(f"JACK clock out tick jitter (std) at period {period}", kept.std(), "ms", at_most=0.05, sane=10)
    return True


def run_follow(smoke: bool) -> bool:

    from padserver.harness.jack import ClockSender

    print("== sync: following an external MIDI clock (JACK MIDI), 16 pads playing ==")
    folder = scratch_dir("padserver-bench-")
    kit = playing_kit(folder, smoke, 40)
    config = 'sync:\n  source: midi\n  clock_in: "daw clock:out"\n'
    changes = 1 if smoke else 5
    with contextlib.ExitStack() as stack:
        server, d = stack.enter_context(sixteen_playing(256, folder, kit, config))
        daw = ClockSender(server, 120.0)
        stack.callback(daw.close)
        seen = xruns(server, d)

        def tempo() -> float:
            return d.osc.status()["tempo"]

        time.sleep(2.0)
        steady = []
        for _ in range(50):
            steady.append(tempo())
            time.sleep(0.02)
        deviation = float(np.max(np.abs(np.array(steady) - 120)))
        print(f"steady 120 BPM clock: tempo {np.mean(steady):.3f} BPM, largest deviation {deviation:.3f} BPM")
        expect("following a steady JACK MIDI clock: largest tempo deviation", deviation, "BPM", at_most=0.1, sane=30)
        settle = []
        for i in range(changes):
            target = 128.0 if i % 2 == 0 else 120.0
            daw.set_bpm(target)
            t0 = time.monotonic()
            while abs((now := tempo()) - target) > 0.1:
                if time.monotonic() - t0 > 10:
                    print(f"the tempo never reached {target} (it stayed at {now:.3f} BPM)")
                    return False
                time.sleep(0.005)
            settle.append(time.monotonic() - t0)
            time.sleep(1.0)
        print(
            f"tempo change 120 ↔ 128 BPM: within ±0.1 BPM after median {1000 * np.median(settle):.0f} ms "
            f"(max {1000 * max(settle):.0f} ms, {changes} changes; {np.median(settle) * 128 / 60:.2f} beats), "
            f"{xruns_since(server, d, seen)}"
        )
        # within ±0.1 BPM of a new tempo after half a beat of it
        expect(
            "following a tempo change: beats to ±0.1 BPM", np.median(settle) * 128 / 60, "beats", at_most=0.5, sane=8
        )
    return True


def run_follow_phase(smoke: bool) -> bool:
    """Pads launched while following a DAW's clock on JACK MIDI: how far each lands from the DAW's bar line."""

    from padserver.harness.capture import Capture
    from padserver.harness.daemon import DaemonProcess
    from padserver.harness.jack import ClockSender, JackServer
    from padserver.harness.signals import write_click

    launches = 1 if smoke else 12
    print(f"== sync: {launches} launches on the bar of a 123 BPM JACK MIDI clock ==")
    data = scratch_dir("padserver-bench-")
    server = JackServer(period=256, log=os.path.join(data, "jackd.log")).start()
    config = (
        'audio:\n  jack:\n    connect: []\nsync:\n  source: midi\n  clock_in: "daw clock:out"\n'
        "loops:\n  normalize: false\n"
    )
    d = DaemonProcess(["--audio", "jack"], env=server.env, config=config, data_dir=data)
    errors: list[float] = []
    with contextlib.ExitStack() as stack:
        stack.callback(server.stop)
        stack.callback(d.terminate)
        d.wait_ready(30)
        daw = ClockSender(server, 123.0)
        stack.callback(daw.close)
        cap = Capture(server, name="phasecap")
        stack.callback(cap.close)
        cap.connect("padserver:master_L", "padserver:master_R")
        click = write_click(os.path.join(data, "click.wav"))  # (a bar long at 123 BPM)
        d.osc.request("/pad/1/load", click, reply="/pad/1/loaded")
        time.sleep(2 * 4 * 60 / 123)  # two bars of clock

        status = d.osc.status

        # a cycle JACK ran without padserver takes its MIDI with it (any JACK MIDI port): a Start sent while
        # padserver counted one is sent again, as a DAW's user would press play again
        late = status()["xruns"]
        started = daw.start()
        if until(lambda: status()["transport"] == "playing", 3) is None and status()["xruns"] > late:
            started = daw.start()
        if until(lambda: status()["transport"] == "playing", 20) is None:
            print(f"the DAW's Start was not followed (transport {status()['transport']}, xruns {status()['xruns']})")
            return False
        time.sleep(0.3)  # (a pad pressed within launch_together_ms of the Start joins the bar that began with it)
        bar = 4 * 24 * daw.per_tick
        for n in range(launches):
            for _attempt in range(3):
                late = status()["xruns"]
                sent, onset = cap.onset_of(lambda: d.osc.send("/pad/1/play"), int(1.2 * bar))  # (the next bar line)
                if onset is not None or not (
                    cap.missed(sent - 2048, sent + int(1.2 * bar)) or status()["xruns"] > late
                ):
                    break
                # JACK ran cycles there without the capture or padserver: the click may be in them; again
                d.osc.send("/pad/1/stop")
                time.sleep(2.2 * bar / RATE)
            if onset is None:
                print(f"launch {n + 1} was not heard")
                return False
            errors.append(((onset - started + bar / 2) % bar - bar / 2) * 1000.0 / RATE)
            d.osc.send("/pad/1/stop")  # (on the next bar line)
            time.sleep(1.2 * bar / RATE)
        xruns = status()["xruns"]
    worst = float(np.max(np.abs(errors)))
    print(f"each launch off the DAW's bar line: {', '.join(f'{e:+.3f}' for e in errors)} ms; {xruns} xruns")
    # the bar line is the DAW's tick's own frame: only the rounding of the follower's grid is left (~0.02 ms)
    expect("following a JACK MIDI clock: a launch off the DAW's bar line (worst)", worst, "ms", at_most=0.1, sane=250)
    return True


def run_link(smoke: bool) -> bool:
    from padserver.harness.link_check import in_namespace, namespace_problem

    bars = 4 if smoke else 28  # 60 s at 110 BPM
    print(f"== sync: Ableton Link with a peer in a network namespace of its own, {bars} bars at 110 BPM ==")
    problem = namespace_problem()
    if problem:
        print(f"skipped: {problem}")
        return True
    for audio, wanted in (("jack", 6), ("portaudio", 4)):
        out = in_namespace(scratch_dir("padserver-bench-"), bars, timeout=300, audio=audio)
        offsets = np.abs(np.array(out["offsets_ms"]))
        if not out["heard"] or out["follow_s"] is None or out["push_s"] is None:
            print(f"{audio}: no bar was heard, or the tempo did not cross ({out})")
            return False
        # a peer's tempo within a beat at 100 BPM, both ways
        expect(f"Link on {audio}: a peer's tempo followed in", out["follow_s"], "s", at_most=0.6, sane=10)
        expect(f"Link on {audio}: padserver's tempo reaches the peer in", out["push_s"], "s", at_most=0.6, sane=10)
        tempo = (
            f"{audio}: tempo from the peer in {1000 * out['follow_s']:.0f} ms, to the peer in "
            f"{1000 * out['push_s']:.0f} ms; phase error"
        )
        left_out = len(out["after_loss_ms"])
        if not smoke:  # bars heard on a clock that kept its time (the dummy driver's lost time left out)
            expect(f"Link on {audio}: bars measured", len(offsets), "bars", at_least=min(wanted, bars))
        if not len(offsets):  # (a loaded machine: the dummy driver lost time before every bar)
            print(
                f"{tempo}: no bar to measure, all {left_out} heard after the dummy driver lost time (xruns {out['xruns']})"
            )
            continue
        print(
            f"{tempo} against the peer's timeline over {len(offsets)} bars: median {np.median(offsets):.3f} ms, "
            f"max {offsets.max():.3f} ms (output latency {out['latency']} frames, xruns {out['xruns']}; "
            f"{left_out} bars left out, heard after the dummy driver lost time)"
        )
        # each bar line heard on the peer's bar line, after the output latency (a beat is 545 ms)
        expect(f"Link on {audio}: median phase error", float(np.median(offsets)), "ms", at_most=1.0, sane=100)
        expect(f"Link on {audio}: largest phase error", float(offsets.max()), "ms", at_most=3.0, sane=300)
    return True


def run_rtmidi_clock_out(smoke: bool) -> bool:
    from padserver.harness.daemon import DaemonProcess
    from padserver.harness.jack import JackServer, MidiDevice
    from padserver.harness.ticks import fit_ticks

    seconds = 3.0 if smoke else 60.0
    print(f"== sync: MIDI clock out through rtmidi (audio on the null backend), 120 BPM, {seconds:g} s ==")
    server = JackServer(period=128, realtime=True).start()  # (as the tests: rtmidi's JACK API stamps by cycle)
    data = scratch_dir("padserver-bench-data-")
    follower = MidiDevice(server, "follower", "out", "in")
    config = 'midi:\n  api: jack\nsync:\n  clock_out: ["follower:in"]\n'
    d = DaemonProcess(["--audio", "null"], env=server.env, config=config, data_dir=data)
    try:
        d.wait_ready(30)
        # (padserver connects its clock to the follower's port once a scan finds it: measured from the first tick)
        if until(lambda: any(m == b"\xf8" for _, m in list(follower.received)), 30) is None:
            print("no clock arrived in 30 s")
            return False
        time.sleep(seconds)
        # on the host clock (the null driver's): the dummy server's frames fall behind it when a cycle runs late
        got = zip(follower.received_us, follower.received, strict=False)
        ticks = [u / 1e6 for u, (_, m) in got if m == b"\xf8"][1:]
    finally:
        d.terminate()
        follower.close()
        server.stop()
    if len(ticks) < 3:
        print("no clock arrived")
        return False
    tempo, off_ms = fit_ticks(ticks)
    steps_ms = np.diff(ticks) * 1000.0
    print(
        f"rtmidi: {len(ticks)} ticks, tempo {tempo:.3f} BPM, tick interval std {steps_ms.std():.3f} ms, each tick "
        f"off its line by std {off_ms.std():.3f} ms, max {np.abs(off_ms).max():.3f} ms (received by a JACK client "
        "with 128-frame periods, 2.7 ms)"
    )
    # ticks on absolute times: no drift; each as close as a sleeping thread allows (and rtmidi's JACK API)
    expect("rtmidi clock out tempo error", 100 * abs(tempo / 120.0 - 1), "%", at_most=0.5, sane=10)
    expect("rtmidi clock out: ticks off their line (std)", float(off_ms.std()), "ms", at_most=8.0, sane=50)
    return True


def run_rtmidi_follow(smoke: bool) -> bool:

    from padserver.harness.daemon import DaemonProcess
    from padserver.harness.jack import ClockSender, JackServer

    print("== sync: following a 123 BPM MIDI clock through rtmidi (audio on the null backend) ==")
    server = JackServer(realtime=True).start()  # (rtmidi's JACK API stamps each message by its cycle)
    config = 'midi:\n  api: jack\nsync:\n  source: midi\n  clock_in: "daw clock"\n'
    daw = ClockSender(server, 123.0, host_clock=True)  # (the null driver keeps time on the host clock)
    d = DaemonProcess(["--audio", "null"], env=server.env, config=config, data_dir=scratch_dir("padserver-bench-"))
    try:
        d.wait_ready(30)

        status = d.osc.status

        if until(lambda: "MIDI clock in from daw clock:out" in d.log(), 10) is None:
            print("the clock never came in")
            return False
        # the fit runs over eight beats: read once the daemon's start-up has left them, five bars on
        time.sleep((2 if smoke else 5) * 4 * 60 / 123)
        seen = []
        for _ in range(10):
            seen.append(status()["tempo"])
            time.sleep(0.2)
        xruns = status()["xruns"]
    finally:
        d.terminate()
        daw.close()
        server.stop()
    deviation = max(abs(t - 123.0) for t in seen)
    print(f"rtmidi clock in: tempo {np.mean(seen):.3f} BPM, largest deviation {deviation:.3f} BPM, {xruns} xruns")
    expect("following a clock through rtmidi: largest tempo deviation", deviation, "BPM", at_most=0.1, sane=5)
    # (the null driver's: port scans once stalled it about 3 times a second)
    expect("following a clock through rtmidi: the null driver's xruns", xruns, "", at_most=10, sane=1000)
    return True
