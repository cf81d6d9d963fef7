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
_NO_LINE = np.zeros((2, 0), dtype=np.float32)  # (a chain's delay before it has a line)
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
        self.active = False  # anything to do (a setting changed, an effect on or fading, a tail): the mixer's test
        self.smooth = coefficient(SMOOTH_S, rate)
        self.glide = coefficient(GLIDE_S, rate)

    def process(self, block: np.ndarray, n: int, frames_per_beat: float, bus: np.ndarray = _NO_LINE,
                left: float = 1.0, right: float = 1.0) -> None:  # fmt: skip
        """Run the chain over the (2, n) ``block`` in place and add its send to ``bus`` (at the pad's fader and
        pan: ``left``, ``right``). One call: each effect runs only when on or fading out."""
        line = self.line if self.line is not None else _NO_LINE
        peak = _fx.chain(block, n, self.targets, self.filter_state, self.eq_state, self.delay_state, line,
                         self.rate, self.smooth, self.glide, frames_per_beat, bus, left, right)  # fmt: skip
        self.active = peak >= 0.0
        self.ringing = peak if peak > 0.0 else 0.0

    def skip(self, frames: int) -> None:
        """The driver dropped ``frames`` (a cycle JACK ran without us): the line moves on by as many, silent, so
        the echoes stay on the music's timeline. (A fault path: it takes views.)"""
        line = self.line
        if line is None or frames <= 0:
            return
        length = line.shape[1]
        frames = min(frames, length)
        w = int(self.delay_state[0])
        end = w + frames
        line[:, w : min(end, length)] = 0.0
        if end > length:
            line[:, : end - length] = 0.0
        self.delay_state[0] = end % length

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
        self.active = True  # (looked at again: whatever is still on carries on from silence)
        if self.line is not None:
            self.line.fill(0.0)
        self.ringing = 0.0
        self.delay_state[4:6] = 0.0
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
        self.sends = 0  # how many chains send to it (set with their settings)
        self._flat = np.zeros(2 * max_block, dtype=np.float32)
        self.bus = self._flat[:2].reshape(2, 1)
        self.smooth = coefficient(SMOOTH_S, rate)

    def set_block(self, n: int) -> None:
        """The bus for blocks of ``n`` frames (the chains add their sends to it)."""
        self.bus = self._flat[: 2 * n].reshape(2, n)

    @property
    def busy(self) -> bool:
        return self.sends > 0 or self.ringing > QUIET

    def process(self, n: int) -> np.ndarray:
        """The wet sound of this block's sends (over the bus: add it to the master, then `emptied`)."""
        bus = self.bus
        self.ringing = _fx.reverb(bus, n, self.lines, self.state, self.size, self.damping, self.level, self.smooth,
                                  self.rate)  # fmt: skip
        return bus

    def emptied(self) -> None:
        """The bus made ready for the next block's sends."""
        self.bus.fill(0.0)

    def clear(self) -> None:
        self.lines.fill(0.0)
        self.bus.fill(0.0)
        self.state[24:40] = 0.0
        self.ringing = 0.0
