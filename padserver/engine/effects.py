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

from padserver.engine.dsp import planar, point_row

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


class Bank:
    """The state of ``count`` chains in shared arrays, one row each, so the pads' chains run in one call
    (`process`): the interpreter's cost is paid once a block, not once a pad."""

    def __init__(self, rate: int, count: int) -> None:
        if not 1 <= count <= 64:
            raise ValueError(f"a bank holds 1 to 64 chains (not {count})")  # (one bit each in a mask)
        self.rate = float(rate)
        self.count = count
        self.targets = np.tile(np.array(NEUTRAL, dtype=np.float64), (count, 1))
        self.filters = np.zeros((count, 12), dtype=np.float64)
        self.eqs = np.zeros((count, 32), dtype=np.float64)
        self.eqs[:, 24:27] = 1.0
        self.delays = np.zeros((count, 8), dtype=np.float64)
        self.lines = np.zeros((count, 2), dtype=np.int64)  # each delay's line: address and frames (0: none yet)
        # each chain's last result: -1 all off (nothing to do), else the delay's peak (> 0: ringing)
        self.peaks = np.full(count, -1.0, dtype=np.float64)
        self.smooth = coefficient(SMOOTH_S, rate)
        self.glide = coefficient(GLIDE_S, rate)
        self.chains = [Chain(rate, self, i) for i in range(count)]

    def process(self, rows: np.ndarray, n: int, sounding: int, frames_per_beat: float, bus: np.ndarray,
                gains: np.ndarray) -> int:  # fmt: skip
        """Every busy chain over its pad's (2, n) block in ``rows`` (count × 2 × n, in place), those whose row
        sounds (bit i of ``sounding``) or whose delay has a line; each adds its send to ``bus`` at its pad's
        fader and pan (``gains``, count × 2). A bit mask of the chains left ringing."""
        return _fx.chains(rows, n, self.count, sounding, self.targets, self.filters, self.eqs, self.delays,
                          self.lines, self.rate, self.smooth, self.glide, frames_per_beat, bus, gains,
                          self.peaks)  # fmt: skip


class Chain:
    """One pad's (or the master's, or a track's) effects: targets, the kernels' state (its row of a `Bank`),
    the delay's line once it is used."""

    def __init__(self, rate: int, bank: Bank | None = None, index: int = 0) -> None:
        if bank is None:  # (a chain of its own)
            bank = Bank(rate, 1)
            bank.chains[0] = self
        self.rate = float(rate)
        self._bank = bank
        self._index = index
        self.targets = bank.targets[index]
        self.filter_state = bank.filters[index]
        self.eq_state = bank.eqs[index]
        self.delay_state = bank.delays[index]
        self._line: np.ndarray | None = None
        self.smooth = bank.smooth
        self.glide = bank.glide

    @property
    def line(self) -> np.ndarray | None:
        """The delay's (2, frames) float32 line, handed over by the control side (None: not used yet)."""
        return self._line

    @line.setter
    def line(self, line: np.ndarray | None) -> None:
        if line is not None and not planar(line):
            raise ValueError("a delay line is a C-contiguous (2, frames) float32 array")
        point_row(self._bank.lines[self._index], line)
        self._line = line

    @property
    def active(self) -> bool:
        """Anything to do: a setting changed, an effect on or fading, a tail (the mixer's test)."""
        return bool(self._bank.peaks[self._index] >= 0.0)

    @active.setter
    def active(self, on: bool) -> None:
        peaks, i = self._bank.peaks, self._index
        if not on:
            peaks[i] = -1.0
        elif peaks[i] < 0.0:
            peaks[i] = 0.0

    @property
    def ringing(self) -> float:
        """The delay's last block's peak: it rings until that is QUIET and its echo is off."""
        peak = float(self._bank.peaks[self._index])
        return peak if peak > 0.0 else 0.0

    def process(self, block: np.ndarray, n: int, frames_per_beat: float, bus: np.ndarray = _NO_LINE,
                left: float = 1.0, right: float = 1.0) -> None:  # fmt: skip
        """Run the chain over the (2, n) ``block`` in place and add its send to ``bus`` (at the pad's fader and
        pan: ``left``, ``right``). One call: each effect runs only when on or fading out."""
        line = self._line if self._line is not None else _NO_LINE
        self._bank.peaks[self._index] = _fx.chain(block, n, self.targets, self.filter_state, self.eq_state,
                                                  self.delay_state, line, self.rate, self.smooth, self.glide,
                                                  frames_per_beat, bus, left, right)  # fmt: skip

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
        self._bank.peaks[self._index] = 0.0  # (looked at again: whatever is still on carries on from silence)
        if self._line is not None:
            self._line.fill(0.0)
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
