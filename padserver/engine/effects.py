"""Effects on the audio thread: each pad (and the master) has a chain of its own — the DJ filter, the isolator
EQ, the tempo delay — and sends to one shared reverb, whose return joins the master before its filter and the
limiter. The kernels are C (`padserver.engine._fx`), working in place on preallocated blocks with their state
in arrays made here, once; a chain whose effects are all off costs a few comparisons and leaves its block
untouched (bit for bit).

Parameters are targets: the kernels move towards them one sample at a time, so a knob turned as fast as a
controller can send never steps, and the sound does not depend on how the audio is cut into blocks (export
and playback give the same samples). The delay's time is in beats: it follows the tempo, gliding as a tape
does. A delay or reverb rings on after its pad stops; `clear` (panic) silences them.
"""

from __future__ import annotations

import math

import numpy as np

try:
    from padserver.engine import _fx  # type: ignore[attr-defined]
except ImportError:  # not built (no C compiler where it was installed): the effects cannot be turned on
    _fx = None
AVAILABLE = _fx is not None

SMOOTH_S = 0.005  # a knob's smoothing time constant
GLIDE_S = 0.05  # the delay time's: a tape's slide to a new tempo
MAX_DELAY_S = 4.0  # the longest echo a line holds (1 bar at 60 BPM); longer times are held there
QUIET = 1e-5  # (-100 dBFS) a tail below this has rung out
FILTER, RESONANCE, LOW, MID, HIGH, BEATS, FEEDBACK, ECHO, SEND = range(9)
NEUTRAL = (0.0, 0.3, 1.0, 1.0, 1.0, 0.5, 0.35, 0.0, 0.0)  # off: what a chain is set to at first and on reset
NAMES = ("filter", "resonance", "low", "mid", "high", "beats", "feedback", "echo", "send")


def coefficient(seconds: float, rate: int) -> float:
    """A one-pole smoother's coefficient for time constant ``seconds`` at ``rate``."""
    return 1.0 - math.exp(-1.0 / (seconds * rate))


class Chain:
    """One pad's (or the master's) effects: targets, the kernels' state, the delay's line once it is used."""

    def __init__(self, rate: int) -> None:
        self.rate = float(rate)
        self.targets = np.array(NEUTRAL, dtype=np.float64)
        self.filter_state = np.zeros(12, dtype=np.float64)
        self.eq_state = np.zeros(32, dtype=np.float64)
        self.eq_state[24:27] = 1.0
        self.delay_state = np.zeros(8, dtype=np.float64)
        self.line: np.ndarray | None = None  # (2, frames) float32, handed over by the control side
        self.ringing = 0.0  # the delay's last block's peak: it rings until that is QUIET and its echo is off
        self.smooth = coefficient(SMOOTH_S, rate)
        self.glide = coefficient(GLIDE_S, rate)

    @property
    def busy(self) -> bool:
        """Anything to do this block (an effect on, or moving back to off, or a tail ringing)."""
        t = self.targets
        return (
            t[FILTER] != 0.0
            or self.filter_state[6] != 0.0  # (the filter still fading out)
            or t[LOW] != 1.0
            or t[MID] != 1.0
            or t[HIGH] != 1.0
            or self.eq_state[27] != 0.0  # (still fading out)
            or (self.line is not None and (t[ECHO] != 0.0 or self.ringing > QUIET or self.delay_state[3] != 0.0))
        )

    def process(self, block: np.ndarray, n: int, frames_per_beat: float) -> None:
        """Run the chain over the (2, n) ``block`` in place."""
        t = self.targets
        if t[FILTER] != 0.0 or self.filter_state[6] != 0.0:
            _fx.dj_filter(block, n, self.filter_state, t[FILTER], t[RESONANCE], self.rate, self.smooth)
        if t[LOW] != 1.0 or t[MID] != 1.0 or t[HIGH] != 1.0 or self.eq_state[27] != 0.0:
            _fx.eq3(block, n, self.eq_state, t[LOW], t[MID], t[HIGH], self.rate, self.smooth)
        line = self.line
        if line is not None and (t[ECHO] != 0.0 or self.ringing > QUIET or self.delay_state[3] != 0.0):
            frames = t[BEATS] * frames_per_beat
            self.ringing = _fx.delay(block, n, line, self.delay_state, frames, t[FEEDBACK], t[ECHO], self.glide,
                                     self.smooth)  # fmt: skip
            if t[ECHO] == 0.0 and abs(self.delay_state[3]) < 1e-6:
                self.delay_state[3] = 0.0

    def reset(self) -> None:
        """Every effect off at once (after a fault): targets and smoothed values back to neutral, tails gone."""
        self.targets[:] = NEUTRAL
        self.filter_state[:] = 0.0
        self.eq_state[:] = 0.0
        self.eq_state[24:27] = 1.0
        self.delay_state[1:] = 0.0
        self.clear()

    def clear(self) -> None:
        """Silence the tails now (panic): the line emptied, the filters' memories too."""
        if self.line is not None:
            self.line.fill(0.0)
        self.ringing = 0.0
        self.filter_state[0:4] = 0.0
        self.filter_state[8:12] = 0.0
        self.eq_state[:24] = 0.0


class Reverb:
    """The shared reverb: the pads' sends in (post-fader), its wet sound out, ringing on after they stop."""

    def __init__(self, rate: int, max_block: int) -> None:
        self.rate = float(rate)
        self.lines = np.zeros(int(_fx.reverb_layout(self.rate)) if AVAILABLE else 1, dtype=np.float32)
        self.state = np.zeros(64, dtype=np.float64)
        self.size, self.damping, self.level = 0.84, 0.25, 1.0
        self.ringing = 0.0
        self.fed = False  # a send went into this block's bus
        self._flat = np.zeros(2 * max_block, dtype=np.float32)
        self._scratch_flat = np.zeros(2 * max_block, dtype=np.float32)
        self.smooth = coefficient(SMOOTH_S, rate)

    def bus(self, n: int) -> np.ndarray:
        return self._flat[: 2 * n].reshape(2, n)

    def feed(self, row: np.ndarray, send: float, n: int) -> None:
        """Add ``send`` × ``row`` to this block's input."""
        bus = self.bus(n)
        if not self.fed:
            np.multiply(row, send, out=bus)
            self.fed = True
            return
        scratch = self._scratch_flat[: 2 * n].reshape(2, n)
        np.multiply(row, send, out=scratch)
        bus += scratch

    @property
    def busy(self) -> bool:
        return self.fed or self.ringing > QUIET

    def process(self, n: int) -> np.ndarray:
        """The wet sound of this block's input (over the bus; fed again from scratch next block)."""
        bus = self.bus(n)
        if not self.fed:
            bus.fill(0.0)
        self.ringing = _fx.reverb(bus, n, self.lines, self.state, self.size, self.damping, self.level, self.smooth,
                                  self.rate)  # fmt: skip
        self.fed = False
        return bus

    def clear(self) -> None:
        self.lines.fill(0.0)
        self.state[24:40] = 0.0
        self.ringing = 0.0
