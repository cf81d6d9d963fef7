"""Effects: their cost in the mixer (16 pads each with the filter and the delay, the reverb on the master)
against the same pads dry, what they allocate, and the choice of DSP — padserver's own kernels against
Spotify's pedalboard (JUCE) doing the same work block by block, when it is installed."""

from __future__ import annotations

import time
import tracemalloc

import numpy as np

from padserver.bench.targets import expect
from padserver.engine import commands as cmd
from padserver.engine import effects as fx
from padserver.engine.mixer import Engine
from padserver.engine.quantum import parse_quantum
from padserver.harness.memory import grown_in_blocks

RATE = 48000
PADS = 16


def _engine(block: int, effects: bool) -> Engine:
    engine = Engine(RATE, max(4096, block))
    fpbar = engine.frames_per_bar()
    rng = np.random.default_rng(11)
    for pad in range(PADS):
        bars = 1 + pad % 4
        audio = (rng.standard_normal((2, int(np.ceil(bars * fpbar)))) * 0.05).astype(np.float32)
        engine.send(cmd.SetBuffer(pad, audio, bars * fpbar, parse_quantum("off")))
        engine.send(cmd.Launch(pad, parse_quantum("1")))
        if effects:
            engine.send(cmd.SetFxLine(pad, np.zeros((2, int(fx.MAX_DELAY_S * RATE) + 4), dtype=np.float32)))
            for what, value in ((fx.FILTER, -0.35 + 0.05 * (pad % 4)), (fx.BEATS, 0.75), (fx.FEEDBACK, 0.4),
                                (fx.ECHO, 0.3), (fx.SEND, 0.2)):  # fmt: skip
                engine.send(cmd.SetFx(pad, what, value))
    engine.set_initial_gains(np.full((PADS, 2), 0.5, dtype=np.float32))
    for _ in range(64):
        engine.process(block)
    return engine


def _blocks(engine: Engine, block: int, blocks: int) -> np.ndarray:
    times = np.empty(blocks)
    clock = time.perf_counter_ns
    for i in range(blocks):
        t0 = clock()
        engine.process(block)
        times[i] = clock() - t0
    return times / 1000.0


def _pedalboard(block: int, blocks: int) -> tuple[np.ndarray, int] | None:
    """The same work with pedalboard: per pad a low-pass and a delay, a reverb on the sum; (µs per block, bytes
    allocated per block) — its ``process`` returns a new array each call."""
    try:
        import pedalboard
    except ImportError:
        return None
    rng = np.random.default_rng(11)
    boards = [
        pedalboard.Pedalboard([pedalboard.LowpassFilter(cutoff_frequency_hz=900.0),
                               pedalboard.Delay(delay_seconds=0.375, feedback=0.4, mix=0.3)])
        for _ in range(PADS)
    ]  # fmt: skip
    reverb = pedalboard.Reverb(room_size=0.84, damping=0.25, wet_level=1.0, dry_level=0.0)
    rows = (rng.standard_normal((PADS, 2, block)) * 0.05).astype(np.float32)
    times = np.empty(blocks)
    clock = time.perf_counter_ns
    tracemalloc.start()
    t_alloc = 0
    for i in range(blocks):
        t0 = clock()
        mix = np.zeros((2, block), dtype=np.float32)
        for pad in range(PADS):
            mix += boards[pad].process(rows[pad], RATE, reset=False)
        mix += reverb.process(mix * 0.2, RATE, reset=False)
        times[i] = clock() - t0
        if i == blocks // 2:
            tracemalloc.reset_peak()
            t_alloc = tracemalloc.get_traced_memory()[0]
    peak = tracemalloc.get_traced_memory()[1] - t_alloc
    tracemalloc.stop()
    return times / 1000.0, peak


def _paced(engine: Engine, block: int, blocks: int) -> float:
    """The median µs of a block run once a period with the thread asleep between, as a driver's callback runs:
    on a machine whose idle CPU loses its caches and clock (a virtual machine), far more than back to back."""
    times = np.empty(blocks)
    clock = time.perf_counter_ns
    for i in range(blocks):
        time.sleep(block / RATE)
        t0 = clock()
        engine.process(block)
        times[i] = clock() - t0
    return float(np.median(times)) / 1000.0


def run(smoke: bool) -> bool:
    print("== effects: 16 pads each with the filter and a delay, the reverb on the master, offline, 48 kHz ==")
    ok = True
    for block in (128, 256):
        period = block / RATE * 1e6
        blocks = 1500 if smoke else int(60 * RATE / block)
        dry = np.median(_blocks(_engine(block, False), block, blocks))
        wet_engine = _engine(block, True)
        wet = _blocks(wet_engine, block, blocks)
        median, p999 = np.median(wet), np.percentile(wet, 99.9)
        grown = grown_in_blocks(wet_engine, 400, block)
        print(
            f"block {block}: dry median {dry:.1f} µs; with effects median {median:.1f} µs "
            f"({median / period * 100:.2f} % of the period), p99.9 {p999:.1f} µs; effects alone "
            f"{median - dry:.1f} µs ({(median - dry) / dry * 100:.0f} % more); kept by 400 blocks: {grown} bytes"
        )
        ok &= expect(f"effects' cost at block {block}, as a share of a core", (median - dry) / period * 100, "%",
                     at_most=4, sane=100)  # fmt: skip
        ok &= expect(f"memory the effects' blocks keep at {block}", grown, "bytes", at_most=4096, sane=1 << 20)
        paced = 100 if smoke else 2000
        dry_paced, wet_paced = _paced(_engine(block, False), block, paced), _paced(wet_engine, block, paced)
        print(
            f"  a block a period, asleep between (as a callback runs): dry median {dry_paced:.1f} µs, with effects "
            f"{wet_paced:.1f} µs ({wet_paced / dry_paced:.2f}×; back to back {median / dry:.2f}×)"
        )
        other = _pedalboard(block, min(blocks, 3000))
        if other is None:
            print("  pedalboard is not installed (pip install pedalboard): no comparison")
        else:
            times, allocated = other
            print(
                f"  pedalboard, the same work: median {np.median(times):.1f} µs, p99.9 "
                f"{np.percentile(times, 99.9):.1f} µs, {allocated} bytes allocated at once per block "
                f"(a new array per call) — own kernels {median - dry:.1f} µs beyond the dry mix"
            )
    return ok
