"""Engine test helpers: test signals and onset finding."""

import numpy as np

from padserver.engine import commands as cmd
from padserver.engine.mixer import Engine
from padserver.engine.quantum import parse_quantum
from padserver.harness.memory import grown_in_blocks  # noqa: F401  (the engine tests' measure of growth)

RATE = 48000


def make_engine(tempo=120.0, bpb=4, fade_ms=2.0, together_ms=0.0, block=4096):
    engine = Engine(RATE, block, tempo=tempo, beats_per_bar=bpb, fade_ms=fade_ms, launch_together_ms=together_ms)
    unity = np.zeros((engine.pads, 2), dtype=np.float32)
    unity[:] = 1.0
    engine.set_initial_gains(unity)
    return engine


def dc(frames, level=0.5):
    return np.full((2, frames), level, dtype=np.float32)


def ramp(frames):
    """A buffer whose sample value tells where in it we are (1-based so 0 means silence)."""
    values = (np.arange(frames, dtype=np.float64) + 1) / frames
    return np.vstack([values, values]).astype(np.float32)


def load(engine, pad, buffer, period=None, quantum="1"):
    period = buffer.shape[1] if period is None else period
    engine.send(cmd.SetBuffer(pad, buffer, period, parse_quantum(quantum)))


def onset(signal, threshold=0.0):
    nz = np.flatnonzero(np.abs(signal) > threshold)
    return int(nz[0]) if len(nz) else None


def q(name):
    return parse_quantum(name)
