"""Meters: peak levels and counters the audio thread writes and the control side samples."""

from __future__ import annotations

from time import thread_time_ns

import numpy as np


class Meters:
    """Peak-hold values since the last `take`, plus running counters."""

    def __init__(self, pads: int, max_block: int = 4096) -> None:
        # The pads' peak hold, frame by frame: the audio thread folds each block's magnitudes in with one
        # elementwise maximum (a per-pad reduction every block costs more than the whole mix); `take` reduces it.
        self._pads = pads
        self._hold_flat = np.zeros(pads * 2 * max_block, dtype=np.float32)
        self._width = 0  # frames of both channels of the current block size
        self.master_peak = np.zeros(2, dtype=np.float32)
        self.min_gain = np.ones(1, dtype=np.float32)  # limiter gain, lowest since last take
        self.xruns = 0
        self.blocks = 0
        # the driver's callback, timed by the driver: cycles, their total and longest time (ns)
        self.callbacks = 0
        self.callback_ns = 0
        self.callback_max_ns = 0
        self.entry_max = 0  # the most frames of a cycle gone before the driver's callback ran (JACK)
        # the audio thread's own CPU time (callbacks and the driver's work around them), read when asked
        self.cpu_due = False
        self.thread_cpu_ns = 0

    def hold_view(self, n: int) -> np.ndarray:
        """Audio thread, when the block size changes: the pads' peak hold for blocks of ``n`` frames, a
        (pads, 2·n) view whose elementwise maximum with a block's magnitudes is the hold."""
        self._hold_flat.fill(0.0)  # (contiguous: numpy copies a strided operand of an in-place maximum)
        self._width = 2 * n
        return self._hold_flat[: self._pads * 2 * n].reshape(self._pads, 2 * n)

    def timed(self, ns: int) -> None:
        """Audio thread: one callback took ``ns``."""
        self.callbacks += 1
        self.callback_ns += ns
        if ns > self.callback_max_ns:
            self.callback_max_ns = ns
        if self.cpu_due:  # (a system call: only when the control side asks, about once a second)
            self.cpu_due = False
            self.thread_cpu_ns = thread_time_ns()

    def take(self) -> tuple[np.ndarray, np.ndarray, float]:
        """Control side: copies of the peaks since the last call, then reset them.

        A block written between the copy and the reset is lost to the meter;
        that is one block of a peak-hold display and not worth a lock.
        """
        width = self._width
        hold = self._hold_flat[: self._pads * width].reshape(self._pads, width)
        pads = np.max(hold, axis=1) if width else np.zeros(self._pads, dtype=np.float32)
        master = self.master_peak.copy()
        gain = float(self.min_gain[0])
        hold.fill(0.0)
        self.master_peak.fill(0.0)
        self.min_gain[0] = 1.0
        return pads, master, gain
