"""Mixer cost with 16 stereo pads playing, rendered offline."""

from __future__ import annotations

import time

import numpy as np

from padserver.bench.targets import expect
from padserver.engine import commands as cmd
from padserver.engine.mixer import Engine
from padserver.engine.quantum import parse_quantum

RATE = 48000
TARGET_MEDIAN = {128: 2.0}  # % of the block period
TARGET_P999 = {128: 10.0}


def measure(block: int, blocks: int, pads: int = 16) -> np.ndarray:
    """Microseconds per block for ``blocks`` blocks with ``pads`` pads looping (with wraps and a fader move)."""
    engine = Engine(RATE, max(4096, block))
    fpbar = engine.frames_per_bar()
    rng = np.random.default_rng(7)
    for pad in range(pads):
        bars = 1 + pad % 4  # different lengths, so wraps fall in different blocks
        audio = (rng.standard_normal((2, int(np.ceil(bars * fpbar)))) * 0.05).astype(np.float32)
        engine.send(cmd.SetBuffer(pad, audio, bars * fpbar, parse_quantum("off")))
        engine.send(cmd.Launch(pad, parse_quantum("1")))
    engine.set_initial_gains(np.full((16, 2), 0.7, dtype=np.float32))
    for _ in range(64):
        engine.process(block)
    times = np.empty(blocks)
    clock = time.perf_counter_ns
    for i in range(blocks):
        if i % 500 == 0:
            engine.set(cmd.SetPadGains(np.full((16, 2), 0.6 + (i % 1000) / 10000, dtype=np.float32)))
        t0 = clock()
        engine.process(block)
        times[i] = clock() - t0
    assert sum(v.playing for v in engine.voices) == pads
    return times / 1000.0


def run(smoke: bool) -> bool:
    print("== engine: mixer cost, 16 stereo pads playing, offline, 48 kHz ==")
    ok = True
    for block in (64, 128, 256):
        period_us = block / RATE * 1e6
        blocks = 2000 if smoke else int(60 * RATE / block)  # a minute of audio each
        us = measure(block, blocks)
        median, p999, worst = np.median(us), np.percentile(us, 99.9), us.max()
        line = (
            f"block {block:4d}: median {median:6.1f} µs ({median / period_us * 100:5.2f} % of {period_us:.0f} µs), "
            f"p99.9 {p999:6.1f} µs ({p999 / period_us * 100:5.2f} %), max {worst:7.1f} µs, {blocks} blocks"
        )
        print(line)
        if block in TARGET_MEDIAN:  # (sane: the mixer keeps up with the period at all)
            expect(
                f"mixer median at block {block}", median / period_us * 100, "%", at_most=TARGET_MEDIAN[block], sane=100
            )
            expect(f"mixer p99.9 at block {block}", p999 / period_us * 100, "%", at_most=TARGET_P999[block], sane=1000)
    return ok
