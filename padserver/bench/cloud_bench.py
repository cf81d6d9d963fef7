"""Cloud providers against the local fakes: job overhead, Lyria RealTime's time to a loop, jobs while pads play."""

from __future__ import annotations

import asyncio
import os
import time
from types import SimpleNamespace

import numpy as np

from padserver.bench.control_bench import xruns, xruns_since
from padserver.bench.library_bench import playing_kit, sixteen_playing
from padserver.bench.targets import expect
from padserver.harness.fakes import FakeHttp, FakeLyria
from padserver.harness.scratch import scratch_dir

KEYS = {"google_api_key": "bench-google-key", "elevenlabs_api_key": "bench-elevenlabs-key"}


def _settings(http_url: str) -> SimpleNamespace:
    own = {
        "lyria-realtime": SimpleNamespace(base_url="", lead_in_s=2.0, stall_s=10.0),
        "lyria-clip": SimpleNamespace(base_url=http_url, model="lyria-3-clip-preview"),
        "elevenlabs-music": SimpleNamespace(
            base_url=http_url, model="music_v1", output_format="mp3_44100_192", stream=True
        ),
        "elevenlabs-sfx": SimpleNamespace(base_url=http_url, output_format="mp3_44100_192", prompt_influence=0.3),
    }
    return SimpleNamespace(**KEYS, **own)


async def _overhead(name: str, http: FakeHttp, count: int) -> list[float]:
    from padserver.providers import registry
    from padserver.providers.base import Request
    from padserver.providers.jobs import JobManager

    provider = registry.create(name, SimpleNamespace(settings=_settings(http.url), pool=None))
    jobs = JobManager(lambda job: None)
    out = []
    for i in range(count):
        http.busy_s.clear()
        t0 = time.perf_counter()
        job = jobs.submit(provider, Request(prompt=f"bench {i}", bpm=120, bars=1))
        while job.state not in ("done", "failed"):
            await asyncio.sleep(0.001)
        if job.state != "done":
            raise RuntimeError(job.message)
        out.append((time.perf_counter() - t0 - sum(http.busy_s)) * 1000)
    return out


def run_overhead(smoke: bool) -> bool:
    http = FakeHttp()
    count = 3 if smoke else 20
    print(f"== cloud: job overhead beyond the fake's own time ({count} jobs each, 1 bar at 120 BPM, real SDKs) ==")
    try:
        for name in ("elevenlabs-music", "elevenlabs-sfx", "lyria-clip"):
            times = asyncio.run(_overhead(name, http, count))
            print(
                f"{name}: median {np.median(times):.1f} ms, p95 {np.percentile(times, 95):.1f} ms (target median ≤ 50 ms)"
            )
            expect(f"{name} job overhead, median", float(np.median(times)), "ms", at_most=50, sane=10000)
    finally:
        http.close()
    return True


def run_realtime(smoke: bool) -> bool:
    from padserver.providers.base import Request
    from padserver.providers.google.realtime import LyriaRealtime

    lyria = FakeLyria(realtime=not smoke)
    saved = {k: os.environ.get(k) for k in lyria.env()}
    os.environ.update(lyria.env())
    try:
        provider = LyriaRealtime(SimpleNamespace(settings=_settings(""), pool=None))
        t0 = time.perf_counter()
        result = asyncio.run(provider.generate(Request(prompt="bench", bpm=120, bars=4), lambda f, m="": None))
        took = time.perf_counter() - t0
        seconds = len(result.takes[0].data or b"") / (48000 * 4)
    finally:
        lyria.close()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    pace = "as fast as it can" if smoke else "at real-time speed, 2 s chunks"
    print(
        f"== cloud: Lyria RealTime, request → a 4-bar loop at 120 BPM with the fake streaming {pace}: {took:.1f} s "
        f"(lead-in 2.0 s skipped, {seconds:.1f} s kept: 4 bars + 1 for the seam; the floor is 8 s of audio plus lead-in) =="
    )
    return True


def run_jobs_while_playing(smoke: bool) -> bool:
    http = FakeHttp()
    folder = scratch_dir("padserver-bench-")
    kit = playing_kit(folder, smoke, 42)
    config = (
        "providers:\n"
        + "".join(f"  {k}: {v}\n" for k, v in KEYS.items())
        + "".join(f"  {n}:\n    base_url: {http.url}\n" for n in ("elevenlabs-music", "elevenlabs-sfx", "lyria-clip"))
        + "  concurrency: 4\n"
    )
    rounds = 1 if smoke else 5
    names = ("elevenlabs-music", "elevenlabs-sfx", "lyria-clip", "elevenlabs-music")
    print(f"== cloud: 4 cloud jobs at once ({', '.join(names)}; {rounds} round(s)) while 16 pads play ==")
    ok = True
    try:
        for period in (256,) if smoke else (256, 128):
            with sixteen_playing(period, folder, kit, config) as (server, d):
                before = xruns(server, d)
                took = []
                for r in range(rounds):
                    pads = d.osc.status()["pads"][:4]
                    t0 = time.monotonic()
                    for n, name in enumerate(names, 1):
                        d.osc.send(f"/pad/{n}/generate", f"bench {r} {n}", f"provider={name}", "bpm=97", "bars=2")
                    landed = False
                    while not landed and time.monotonic() < t0 + 120:
                        time.sleep(0.05)
                        now = d.osc.status()["pads"][:4]
                        landed = all(
                            p["loop_id"] != o["loop_id"] and not p["generating"] for p, o in zip(now, pads, strict=True)
                        )
                    took.append(time.monotonic() - t0)
                    ok &= landed
                print(
                    f"period {period}: 4 cloud jobs landed in median {np.median(took):.2f} s, "
                    + xruns_since(server, d, before)
                )
    finally:
        http.close()
    return ok
