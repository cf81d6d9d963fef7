"""The musical clock: tempo, bars and beats mapped onto integer frames.

A beat is a quarter note. The clock is a piecewise-linear map between frames
and beats; every tempo change starts a new piece at the frame where it takes
effect, so positions never jump. Bars are counted from a bar anchor that moves
when the time signature changes (on a bar line).

State lives in immutable tuples replaced whole, so the control thread can read
a consistent position while the audio thread updates it.
"""

from __future__ import annotations

import math

from padserver.engine.quantum import Quantum

MIN_TEMPO = 20.0
MAX_TEMPO = 300.0
# Tolerance (in frames) when rounding an exact boundary up to the frame that plays it.
_FRAME_EPS = 1e-6


class Clock:
    """Tempo, time signature and the bar grid, in frames of one sample rate."""

    def __init__(self, sample_rate: int, tempo: float = 120.0, beats_per_bar: int = 4) -> None:
        self.sample_rate = int(sample_rate)
        check_tempo(tempo)
        check_beats_per_bar(beats_per_bar)
        # (anchor frame, beat at that frame, frames per beat)
        self._piece: tuple[float, float, float] = (0.0, 0.0, self._fpb(tempo))
        self.tempo = float(tempo)
        # (beat where bar counting restarts, index of that bar, beats per bar)
        self._bars: tuple[float, int, int] = (0.0, 0, int(beats_per_bar))
        self._pending_bars: tuple[float, int, int] | None = None

    def _fpb(self, tempo: float) -> float:
        return self.sample_rate * 60.0 / tempo

    # -- conversions -------------------------------------------------------
    @property
    def frames_per_beat(self) -> float:
        return self._piece[2]

    @property
    def beats_per_bar(self) -> int:
        return self._bars_at(math.inf)[2]

    def frames_per_bar(self) -> float:
        return self.frames_per_beat * self.beats_per_bar

    def beat_at(self, frame: float) -> float:
        f0, b0, fpb = self._piece
        return b0 + (frame - f0) / fpb

    def frame_at(self, beat: float) -> float:
        f0, b0, fpb = self._piece
        return f0 + (beat - b0) * fpb

    def first_frame_at(self, beat: float) -> int:
        """The first whole frame at or after the exact instant of ``beat``."""
        return math.ceil(self.frame_at(beat) - _FRAME_EPS)

    def _bars_at(self, beat: float) -> tuple[float, int, int]:
        pending = self._pending_bars
        if pending is not None and beat >= pending[0]:
            return pending
        return self._bars

    def bar_at(self, beat: float) -> float:
        """Bars since the grid origin (0.0 = the downbeat of bar 1)."""
        anchor, index, bpb = self._bars_at(beat)
        return index + (beat - anchor) / bpb

    def beat_of_bar(self, bar: float) -> float:
        anchor, index, bpb = self._bars
        pending = self._pending_bars
        if pending is not None and bar >= pending[1]:
            anchor, index, bpb = pending
        return anchor + (bar - index) * bpb

    def position(self, frame: float) -> tuple[int, int]:
        """(bar, beat) counted from 1, as a musician reads them."""
        beat = self.beat_at(frame)
        bar = self.bar_at(beat)
        whole = math.floor(bar + 1e-9)
        beat_in_bar = beat - self.beat_of_bar(whole)
        return whole + 1, int(math.floor(beat_in_bar + 1e-9)) + 1

    # -- changes -----------------------------------------------------------
    def set_tempo(self, tempo: float, at_frame: float) -> None:
        check_tempo(tempo)
        beat = self.beat_at(at_frame)
        self._piece = (float(at_frame), beat, self._fpb(tempo))
        self.tempo = float(tempo)

    def follow(self, frame: float, beat: float, tempo: float) -> None:
        """Run on an external timeline: ``beat`` at ``frame``, ``tempo`` from there (phase and tempo at once)."""
        check_tempo(tempo)
        self._piece = (float(frame), float(beat), self._fpb(tempo))
        self.tempo = float(tempo)

    def set_beats_per_bar(self, beats_per_bar: int, at_frame: float) -> None:
        """Change the time signature on the next bar line (at once if on one)."""
        check_beats_per_bar(beats_per_bar)
        self._promote(at_frame)
        beat = self.beat_at(at_frame)
        bar = self.bar_at(beat)
        next_bar = math.ceil(bar - 1e-9)
        self._pending_bars = (self.beat_of_bar(next_bar), next_bar, int(beats_per_bar))
        self._promote(at_frame)

    def reset_grid(self, at_frame: float) -> None:
        """Start the bar grid (bar 1, beat 1) at ``at_frame``."""
        self._promote(math.inf)
        self._piece = (float(at_frame), 0.0, self._piece[2])
        self._bars = (0.0, 0, self._bars[2])

    def _promote(self, frame: float) -> None:
        pending = self._pending_bars
        if pending is not None and self.beat_at(frame) >= pending[0] - 1e-9:
            self._bars = pending
            self._pending_bars = None

    # -- quantization ------------------------------------------------------
    def next_boundary(self, beat: float, quantum: Quantum) -> float:
        """The beat of the first boundary of ``quantum`` at or after ``beat``."""
        if quantum.off:
            return beat
        eps = 1e-9
        bar = self.bar_at(beat)
        if quantum.bars:
            target = math.ceil(bar / quantum.bars - eps) * quantum.bars
            return self.beat_of_bar(target)
        # Note values count from each bar line, so odd meters keep their downbeats.
        step = float(quantum.note) * 4.0
        bar_index = math.floor(bar + eps)
        bar_start = self.beat_of_bar(bar_index)
        bar_end = self.beat_of_bar(bar_index + 1)
        k = math.ceil((beat - bar_start) / step - eps)
        return min(bar_start + k * step, bar_end)

    def boundary_frame(self, frame: int, quantum: Quantum) -> tuple[float, int]:
        """Exact beat and first frame of the next boundary at or after ``frame``."""
        beat = self.next_boundary(self.beat_at(frame), quantum)
        return beat, max(frame, self.first_frame_at(beat))


def check_tempo(tempo: float) -> None:
    if isinstance(tempo, bool) or not isinstance(tempo, (int, float)):
        raise TypeError("tempo must be a number of BPM")
    if not (MIN_TEMPO <= tempo <= MAX_TEMPO) or math.isnan(tempo):
        raise ValueError(f"tempo must be in range {MIN_TEMPO:g}..{MAX_TEMPO:g} BPM (got {tempo:g})")


def check_beats_per_bar(beats: int) -> None:
    if isinstance(beats, bool) or not isinstance(beats, int):
        raise TypeError("beats per bar must be a whole number")
    if not 1 <= beats <= 32:
        raise ValueError(f"beats per bar must be in range 1..32 (got {beats})")
