"""Sync: MIDI clock out jitter on the JACK path (ticks written at their own frames) while 16 pads play."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time

import numpy as np

from padserver.bench.control_bench import xruns, xruns_since
from padserver.bench.library_bench import make_files, sixteen_playing

RATE = 48000


def run_clock_out(smoke: bool) -> bool:
    from padserver.harness.jack import MidiDevice

    seconds = 3.0 if smoke else 60.0
    print(f"== sync: MIDI clock out at 120 BPM through JACK MIDI, {seconds:g} s, 16 pads playing ==")
    folder = tempfile.mkdtemp(prefix="padserver-bench-")
    kit = make_files(os.path.join(folder, "kit"), 16, np.random.default_rng(40))
    config = 'sync:\n  clock_out: ["follower:in"]\n'
    for period in (128, 256):
        with contextlib.ExitStack() as stack:
            server, d = stack.enter_context(sixteen_playing(period, folder, kit, config))
            follower = MidiDevice(server, "follower", "out", "in")
            stack.callback(follower.close)
            seen = xruns(server, d)
            time.sleep(seconds)
            ticks = np.array([f for f, m in list(follower.received) if m == b"\xf8"], dtype=np.float64)
            steps_ms = np.diff(ticks[1:]) * 1000.0 / RATE  # (the first may have come before the connection)
            if len(steps_ms) < 2:
                print(f"period {period}: no clock arrived")
                return False
            bpm = 60_000.0 / (24 * steps_ms.mean())
            print(
                f"period {period}: {len(steps_ms) + 1} ticks, tempo {bpm:.3f} BPM, tick interval "
                f"std {steps_ms.std():.4f} ms (max deviation {np.abs(steps_ms - 1000 * 60 / 120 / 24).max():.4f} ms), "
                f"{xruns_since(server, d, seen)}"
            )
    return True
