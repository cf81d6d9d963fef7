"""Generation: the offline generator's speed, the job machinery's own cost, --demo's start-up."""

from __future__ import annotations

import asyncio
import time

import numpy as np

from padserver.bench.targets import expect
from padserver.harness.daemon import DaemonProcess
from padserver.harness.scratch import scratch_dir
from padserver.providers.base import Capabilities, Provider, Request, Result, Take
from padserver.providers.jobs import JobManager
from padserver.providers.offline import synth


class _Instant(Provider):
    name = "instant"
    model = "bench"
    capabilities = Capabilities(
        seconds=(0, 600), bpm_field=True, key_field=True, instrumental_toggle=True, seed=True, takes_per_call=1
    )

    async def generate(self, request, progress):
        return Result([Take(np.zeros((2, 4), np.float32), 48000)], {"provider": self.name})


async def _overhead(count: int) -> list[float]:
    jobs = JobManager(lambda job: None)
    provider = _Instant()
    times = []
    for i in range(count):
        t0 = time.perf_counter()
        job = jobs.submit(provider, Request(prompt=str(i)))  # a new request each time: no cache
        while job.state not in ("done", "failed"):
            await asyncio.sleep(0)
        times.append((time.perf_counter() - t0) * 1000)
    return times


def run(smoke: bool) -> bool:
    n = 5 if smoke else 50
    gen = []
    for i in range(n):
        t0 = time.perf_counter()
        synth.render(
            synth.INSTRUMENTS[i % len(synth.INSTRUMENTS)], synth.GENRES[i % len(synth.GENRES)], "Am", 120, 4, seed=i
        )
        gen.append((time.perf_counter() - t0) * 1000)
    print(
        f"== generate: offline 4-bar loop at 48 kHz: median {np.median(gen):.0f} ms, max {max(gen):.0f} ms over {n} (target ≤ 200 ms) =="
    )
    expect("offline 4-bar loop, median", float(np.median(gen)), "ms", at_most=200, sane=20000)
    overhead = asyncio.run(_overhead(20 if smoke else 200))
    print(
        f"== generate: job overhead with a provider that answers at once: median {np.median(overhead):.2f} ms, p95 {np.percentile(overhead, 95):.2f} ms (target median ≤ 50 ms) =="
    )
    expect("job overhead, median", float(np.median(overhead)), "ms", at_most=50, sane=5000)
    run_kit_mix(smoke)
    folder = scratch_dir("padserver-bench-")
    d = DaemonProcess(["--audio", "null", "--demo"], data_dir=folder)
    try:
        ready = d.wait_ready(60)
    finally:
        d.terminate()
    print(f"== generate: padserver run --demo: 16 pads ready {ready:.2f} s after start (target ≤ 3 s) ==")
    expect("padserver run --demo: 16 pads ready", ready, "s", at_most=3, sane=60)
    return True


def run_kit_mix(smoke: bool) -> None:
    """The demo kit in each genre through the engine: the master limiter's gain reduction with a typical set
    (drums, bass, chords, lead) and with all sixteen pads, at unity and the shipped levels."""
    from padserver.harness.kit_mix import TYPICAL, gain_reduction_db, prepared_kit, rendered_kit

    worst_typical = worst_all = 0.0
    for genre in ("house",) if smoke else synth.GENRES:
        loops, gains = prepared_kit(rendered_kit(genre))
        typical = gain_reduction_db(loops, gains, TYPICAL)
        everything = gain_reduction_db(loops, gains, list(range(16)))
        worst_typical, worst_all = max(worst_typical, typical), max(worst_all, everything)
        print(
            f"== generate: demo kit ({genre}) through the master limiter: typical set {typical:.1f} dB, all 16 pads {everything:.1f} dB of gain reduction =="
        )
    expect("demo kit, typical set: limiter gain reduction", worst_typical, "dB", at_most=0.01, sane=3)
    expect("demo kit, all 16 pads: limiter gain reduction", worst_all, "dB", at_most=2, sane=6)
