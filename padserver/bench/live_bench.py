"""Live pads: how close a stream that runs a little fast stays to the bar grid, and two live streams while the
other pads play through dummy JACK (xruns, CPU against SooperLooper playing 16 loops beside them, and how fast
OSC is answered meanwhile: the streams' chunks are decoded and fitted on the event loop)."""

from __future__ import annotations

import os
import time

import numpy as np

from padserver.bench.control_bench import xruns, xruns_since
from padserver.bench.library_bench import playing_kit, sixteen_playing
from padserver.bench.loads_bench import REALTIME
from padserver.bench.targets import expect
from padserver.harness.fakes import FakeLyria
from padserver.harness.scratch import scratch_dir

BAR = 96000  # 120 BPM at 48 kHz
KEYS = "providers:\n  google_api_key: bench-key\n  lyria-realtime:\n    lead_in_s: 1.0\n"
LIVE_PADS = (15, 16)
PERIODS = tuple(int(p) for p in os.environ.get("PADSERVER_BENCH_PERIODS", "256,128").split(","))


def run_lock(smoke: bool) -> bool:
    """The model 0.3 % fast (6 ms a bar): the stream's bar lines against the grid's, on the stepped driver."""
    from padserver.harness.stepped import SteppedDaemon

    bars = 16 if smoke else 64
    print(f"== live: a stream 0.3 % fast, its bar lines against the grid over {bars} bars ==")
    fake = FakeLyria(warmup_s=1.0, speed=1.003, song_s=bars * 2.0 + 12.0)
    d = SteppedDaemon(config=KEYS + "    buffer_s: 1.0\nloops:\n  normalize: false\n", env=fake.env())
    try:
        d.wait_ready()
        d.osc.send("/pad/1/mode", "live")
        d.osc.send("/pad/1/trigger", 1.0)
        deadline = time.monotonic() + 60
        while not d.osc.status()["live"].get("1", {}).get("fed") and time.monotonic() < deadline:
            time.sleep(0.05)  # (the clock still until the stream is handed to the engine: then it starts at once)
        d.step(128)
        while d.osc.status()["live"]["1"]["buffered_s"] < bars * 2.0 + 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        out = np.concatenate([d.step(8 * BAR) for _ in range(bars // 8)], axis=1)
        errors = []
        for k in range(1, bars):  # (the launch was at the start of the last 128-frame step)
            window = np.abs(out[0, k * BAR - 128 - 960 : k * BAR - 128 + 960])
            errors.append(int(np.argmax(window >= 0.5 * window.max())) - 960)  # the downbeat click rising
        worst = max(abs(e) for e in errors) / 48.0
        print(f"worst bar line {worst:.2f} ms from the grid's (median {np.median(np.abs(errors)) / 48:.2f} ms)")
        return expect(f"live stream 0.3 % fast, worst bar line over {bars} bars", worst, "ms", at_most=5, sane=100)
    finally:
        d.terminate()
        fake.close()


def _window(server, d, sl, seconds: float) -> dict:
    """``seconds`` of what a musician and JACK see: xruns, CPU of padserver and SooperLooper, how fast a /ping is
    answered (a tablet's view), and how often a live pad was seen not playing (looked at twice a second)."""
    from padserver.bench.vs_sooperlooper import _cpu_seconds

    before = xruns(server, d)
    pids = {"padserver": [d.proc.pid], "sooperlooper": [sl.proc.pid]}
    cpu0, t0 = {k: _cpu_seconds(v) for k, v in pids.items()}, time.monotonic()
    underruns, pings, looked = 0, [], t0
    while time.monotonic() < t0 + seconds:
        sent = time.monotonic()
        d.osc.request("/ping", reply="/pong")
        pings.append(time.monotonic() - sent)
        time.sleep(0.05)
        if time.monotonic() - looked >= 0.5:
            looked = time.monotonic()
            live = d.osc.status()["live"]
            underruns += sum(live[str(p)]["state"] != "playing" for p in LIVE_PADS if str(p) in live)
    took = time.monotonic() - t0
    cpu = {k: (_cpu_seconds(v) - cpu0[k]) / took * 100 for k, v in pids.items()}
    now = xruns(server, d)
    return {
        "xruns": now[0] - before[0],
        "late": now[1] - before[1],
        "said": xruns_since(server, d, before),
        "cpu": cpu,
        "ping_ms": (float(np.median(pings)) * 1000, max(pings) * 1000),
        "underruns": underruns,
    }


def _said(w: dict) -> str:
    cpu = w["cpu"]
    return (
        f"{w['said']}, padserver CPU {cpu['padserver']:.1f} % (SooperLooper with 16 loops {cpu['sooperlooper']:.1f} %: "
        f"{cpu['padserver'] / cpu['sooperlooper']:.2f}×), /ping answered in median {w['ping_ms'][0]:.1f} ms, "
        f"max {w['ping_ms'][1]:.1f} ms"
    )


def run_streams_while_playing(smoke: bool, seconds: float | None = None) -> bool:
    """Two live pads streaming in real time while 14 loops play, against the same rig with the two silent just
    before (the dummy driver's and the machine's own xruns are in both), SooperLooper beside throughout; JACK at
    real-time priority as a musician runs it (`PADSERVER_BENCH_RT=0` without: then the network process's work
    competes with the audio thread for a core, and on 2 cores makes it late at 128 frames)."""
    from padserver.bench.vs_sooperlooper import SooperLooper, _files

    seconds = seconds or (8.0 if smoke else 60.0)
    folder = scratch_dir("padserver-bench-")
    kit = playing_kit(folder, smoke, 43)[: 16 - len(LIVE_PADS)]
    fake = FakeLyria(realtime=True, warmup_s=0.5, head_start_s=4.0, song_s=seconds + 60.0)
    print(
        f"== live: 2 live pads streaming (real time) while 14 loops play, {seconds:.0f} s, after {seconds:.0f} s "
        "with the two silent; SooperLooper beside =="
    )
    ok = True
    try:
        for period in (256,) if smoke else PERIODS:
            with sixteen_playing(period, folder, kit, KEYS, env=fake.env(), realtime=REALTIME) as (server, d):
                os.makedirs(os.path.join(folder, f"sl{period}"), exist_ok=True)
                sl = SooperLooper(server, _files(os.path.join(folder, f"sl{period}")))
                sl.trigger()  # (all 16 of its loops playing)
                try:
                    for pad in LIVE_PADS:
                        d.osc.send(f"/pad/{pad}/mode", "live")
                        d.osc.send(f"/pad/{pad}/gain", 0.1)
                    silent = _window(server, d, sl, seconds)
                    for pad in LIVE_PADS:
                        d.osc.send(f"/pad/{pad}/trigger", 1.0)
                    deadline = time.monotonic() + 60
                    while time.monotonic() < deadline:
                        pads = d.osc.status()["pads"]
                        if all(pads[p - 1]["state"] == "playing" for p in LIVE_PADS):
                            break
                        time.sleep(0.2)
                    started = all(d.osc.status()["pads"][p - 1]["state"] == "playing" for p in LIVE_PADS)
                    streaming = _window(server, d, sl, seconds)
                    live = d.osc.status()["live"]
                finally:
                    sl.close()
                print(f"period {period}, the live pads silent: {_said(silent)}")
                print(
                    f"period {period}, streaming: {_said(streaming)}; streams started {'yes' if started else 'no'}, "
                    f"seen not playing {streaming['underruns']}, latency "
                    + ", ".join(str(live[str(p)]["latency_bars"]) for p in LIVE_PADS)
                    + " bars"
                )
                ok &= started
                more = streaming["late"] - silent["late"]
                if period >= 256:  # (at 128 reported: on 2 cores it has missed a cycle or a few a minute)
                    ok &= expect(f"xruns with padserver late, 2 live pads beyond silent at {period}", more, "",
                                 at_most=0, sane=1000)  # fmt: skip
                else:
                    print(f"period {period}: {more} more with padserver late than with the two silent (reported)")
                ok &= expect(f"live streams not playing at {period}", streaming["underruns"], "", at_most=0, sane=1000)
                ok &= expect(f"/ping while 2 live pads stream at {period}, max", streaming["ping_ms"][1], "ms",
                             at_most=50, sane=5000)  # fmt: skip
                # what the two streams cost (the network process's socket and shaping, the daemon's feeding); the
                # ratio to SooperLooper is reported beside (its 16 loops stream nothing: the speed issue's target,
                # at most half its CPU, is for plain loops, measured by vs-sooperlooper)
                more_cpu = (streaming["cpu"]["padserver"] - silent["cpu"]["padserver"]) / len(LIVE_PADS)
                print(f"period {period}: a live stream costs {more_cpu:.2f} % of one core")
                ok &= expect(f"CPU of a live stream at {period}", more_cpu, "% of a core", at_most=1.5, sane=100)
    finally:
        fake.close()
    return ok
