"""The daemon through a dummy JACK server: xruns, CPU, trigger latency; start-up time and memory."""

from __future__ import annotations

import os
import time

import numpy as np

from padserver.bench.targets import expect
from padserver.harness.capture import Capture
from padserver.harness.daemon import DaemonProcess
from padserver.harness.jack import JackServer
from padserver.harness.scratch import scratch_dir
from padserver.harness.signals import write_click, write_tone

BENCH_CONFIG = """
audio:
  jack:
    connect: []
"""


def _proc_cpu(pid: int) -> float:
    import psutil

    t = psutil.Process(pid).cpu_times()
    return t.user + t.system


def _load_kit(d: DaemonProcess, folder: str, bars: int = 2, seconds_per_bar: float = 2.0) -> int:
    """Fill pads 1..15 with tones of ``bars`` bars; pad 16 gets a click for latency. Returns loaded bytes."""
    total = 0
    for pad in range(1, 16):
        path = write_tone(
            os.path.join(folder, f"tone{pad}.wav"),
            rate=48000,
            seconds=bars * seconds_per_bar,
            freq=110 * pad,
            level=0.05,
        )
        d.osc.request(f"/pad/{pad}/load", path, reply=f"/pad/{pad}/loaded", timeout=60)
        total += 2 * 4 * int(bars * seconds_per_bar * 48000)
    click = write_click(os.path.join(folder, "click.wav"))
    d.osc.request("/pad/16/load", click, reply="/pad/16/loaded", timeout=60)
    return total + 2 * 4 * 96000


def jack_run(period: int, seconds: float, triggers: int) -> dict:
    server = JackServer(period=period).start()
    folder = scratch_dir("padserver-bench-")
    d = DaemonProcess(["--audio", "jack"], env=server.env, config=BENCH_CONFIG, data_dir=folder)
    cap = None
    try:
        d.wait_ready(30)
        _load_kit(d, folder)
        # The click pad alone on the right, the 15 loops on the left: its onset is clear on the master.
        d.osc.send("/pad/16/quantize", "off")
        d.osc.send("/pad/16/pan", 1.0)
        for pad in range(1, 16):
            d.osc.send(f"/pad/{pad}/pan", -1.0)
            d.osc.send(f"/pad/{pad}/play")
        cap = Capture(server, name="bench")
        cap.connect("padserver:master_L", "padserver:master_R")
        deadline = time.monotonic() + 5  # pads pressed together start together; allow for a bar line anyway
        while True:
            status0 = d.osc.status()
            playing = sum(p["state"] == "playing" for p in status0["pads"])
            if playing >= 15 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        cpu0, t0 = _proc_cpu(d.proc.pid), time.monotonic()
        latencies = []
        spacing = seconds / max(1, triggers)
        # New loops arrive while it plays: decoding and resampling in the workers must not cost xruns.
        fresh = write_tone(os.path.join(folder, "fresh.flac"), rate=44100, seconds=8.0, freq=330, level=0.05)
        reload_at = {triggers // 3, 2 * triggers // 3}
        for i in range(triggers):
            if i in reload_at:
                d.osc.send("/pad/15/load", fresh if i == min(reload_at) else os.path.join(folder, "tone15.wav"))
            time.sleep(max(0.0, t0 + i * spacing - time.monotonic()))
            time.sleep(np.random.default_rng(i).uniform(0, min(0.1, spacing / 4)))  # at random points in a period
            sent, onset = cap.onset_of(lambda: d.osc.send("/pad/16/play"), 24000, channel=1)
            if onset is not None:
                latencies.append((onset - sent) / period)
            d.osc.send("/pad/16/stop")
        time.sleep(max(0.0, t0 + seconds - time.monotonic()))
        cpu = (_proc_cpu(d.proc.pid) - cpu0) / (time.monotonic() - t0) * 100
        status1 = d.osc.status()
        return {
            "period": period,
            "seconds": time.monotonic() - t0,
            "playing": playing,
            "xruns": status1["xruns"] - status0["xruns"],
            "cpu": cpu,
            "latency": np.array(latencies),
            "triggers": triggers,
        }
    finally:
        if cap is not None:
            cap.close()
        d.terminate()
        server.stop()


def run_jack(smoke: bool, seconds: float | None) -> bool:
    seconds = seconds or (3.0 if smoke else 60.0)
    triggers = 5 if smoke else 50
    print(
        f"== jack: the daemon on a dummy JACK server, 16 pads playing, {seconds:g} s per period size, "
        "two loops decoded in the workers meanwhile =="
    )
    ok = True
    for period in (128, 256):
        r = jack_run(period, seconds, triggers)
        lat = r["latency"]
        print(
            f"period {period}: {r['playing']} + 1 pads, xruns {r['xruns']} in {r['seconds']:.0f} s, daemon CPU {r['cpu']:.1f} % of one core"
        )
        if len(lat):
            print(
                f"  OSC trigger → first sample ({len(lat)}/{r['triggers']} triggers, quantize off): median {np.median(lat):.2f}, "
                f"p95 {np.percentile(lat, 95):.2f}, max {lat.max():.2f} periods ({np.median(lat) * period / 48:.2f} ms median)"
            )
        else:
            print("  no trigger was heard")
            ok = False
        if not smoke:
            ok &= len(lat) == r["triggers"]
    return ok


def run_startup(smoke: bool) -> bool:
    import psutil

    print("== startup and memory ==")
    folder = scratch_dir("padserver-bench-")
    times, stops = [], []
    for _ in range(1 if smoke else 5):
        d = DaemonProcess(["--audio", "null"], data_dir=folder)
        times.append(d.wait_ready(30))
        _, took = d.terminate()  # SIGTERM: the music fades out, the project is saved, the process exits
        stops.append(took)
    print(
        f"process start → first /pong: median {np.median(times):.2f} s, max {max(times):.2f} s over {len(times)} starts (target ≤ 1 s)"
    )
    expect("process start → first /pong, median", float(np.median(times)), "s", at_most=1.0, sane=30)
    print(f"SIGTERM → exit: worst {max(stops):.2f} s over {len(stops)} (target ≤ 2 s)")
    expect("SIGTERM → exit, worst", max(stops), "s", at_most=2.0, sane=30)
    d = DaemonProcess(["--audio", "null"], data_dir=folder)
    try:
        d.wait_ready(30)
        bars = 2 if smoke else 8
        loaded = 0
        for pad in range(1, 17):
            path = write_tone(
                os.path.join(folder, f"loop{pad}.flac"), rate=44100, seconds=bars * 2.0, freq=55 * pad, level=0.1
            )
            d.osc.request(f"/pad/{pad}/load", path, reply=f"/pad/{pad}/loaded", timeout=120)
            loaded += 2 * 4 * bars * 96000
        time.sleep(1.5)  # released decode buffers are freed after a second
        proc = psutil.Process(d.proc.pid)
        rss = proc.memory_info().rss
        workers = sum(c.memory_info().rss for c in proc.children(recursive=True))
        over = (rss - loaded) / 2**20
        print(
            f"16 pads × {bars} bars at 120 BPM: loaded audio {loaded / 2**20:.1f} MiB, daemon RSS {rss / 2**20:.1f} MiB "
            f"(audio + {over:.1f} MiB; target ≤ audio + 80 MB), worker processes {workers / 2**20:.1f} MiB"
        )
        expect("daemon RSS beyond the loaded audio", over * 2**20 / 1e6, "MB", at_most=80, sane=2000)
    finally:
        d.terminate()
    return True
