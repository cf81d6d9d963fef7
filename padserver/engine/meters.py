"""Meters: peak levels and counters the audio thread writes and the control side samples."""

from __future__ import annotations

import numpy as np


class Meters:
    """Peak-hold values since the last `take`, plus running counters."""

    def __init__(self, pads: int) -> None:
        self.pad_peak = np.zeros(pads, dtype=np.float32)
        self.master_peak = np.zeros(2, dtype=np.float32)
        self.min_gain = np.ones(1, dtype=np.float32)  # limiter gain, lowest since last take
        self.xruns = 0
        self.blocks = 0
        # the driver's callback, timed by the driver: cycles, their total and longest time (ns)
        self.callbacks = 0
        self.callback_ns = 0
        self.callback_max_ns = 0

    def timed(self, ns: int) -> None:
        """Audio thread: one callback took ``ns``."""
        self.callbacks += 1
        self.callback_ns += ns
        if ns > self.callback_max_ns:
            self.callback_max_ns = ns

    def take(self) -> tuple[np.ndarray, np.ndarray, float]:
        """Control side: copies of the peaks since the last call, then reset them.

        A block written between the copy and the reset is lost to the meter;
        that is one block of a peak-hold display and not worth a lock.
        """
        pads = self.pad_peak.copy()
        master = self.master_peak.copy()
        gain = float(self.min_gain[0])
        self.pad_peak.fill(0.0)
        self.master_peak.fill(0.0)
        self.min_gain[0] = 1.0
        return pads, master, gain
