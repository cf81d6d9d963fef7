"""The master safety limiter: instant attack, smooth release, no lookahead.

The gain needed at each frame is computed for the whole block at once: with a
release of r dB per frame, the gain at frame n is
``min(previous + r·(n+1), min over k ≤ n of (needed[k] + r·(n−k)))``, which is a
running minimum (`np.minimum.accumulate`) of ``needed[k] − r·k`` shifted back by
``r·n``. No frame leaves above the ceiling, and there is no added latency.
"""

from __future__ import annotations

import math

import numpy as np

_LN10_OVER_20 = math.log(10.0) / 20.0


class Limiter:
    def __init__(self, sample_rate: int, max_block: int, ceiling_db: float = -1.0, release_ms: float = 150.0) -> None:
        self.enabled = True
        self.set_ceiling(ceiling_db)
        # recover 20 dB over the release time
        self._release_db = 20.0 / max(1.0, release_ms * sample_rate / 1000.0)
        self._gain_db = 0.0
        self._need = np.zeros(max_block, dtype=np.float64)
        self._env = np.zeros(max_block, dtype=np.float64)
        self._abs = np.zeros(2 * max_block, dtype=np.float32)
        self._ramp = np.arange(max_block, dtype=np.float64) * self._release_db
        self._gain = np.zeros(max_block, dtype=np.float32)

    def set_ceiling(self, ceiling_db: float) -> None:
        self.ceiling_db = float(ceiling_db)
        self.ceiling = 10.0 ** (self.ceiling_db / 20.0)

    @property
    def gain_db(self) -> float:
        return self._gain_db

    def rest(self, frames: int) -> None:
        """A silent block: the gain recovers as it would on silence."""
        if self._gain_db < 0.0:
            self._gain_db = min(0.0, self._gain_db + self._release_db * frames)

    def process(self, x: np.ndarray, peak: float) -> float:
        """Limit the (2, frames) block ``x`` (whose peak is ``peak``) in place; returns the lowest gain applied."""
        if not self.enabled:
            self._gain_db = 0.0
            return 1.0
        n = x.shape[1]
        if self._gain_db >= 0.0 and peak <= self.ceiling:
            return 1.0
        a = self._abs[: 2 * n].reshape(2, n)
        need = self._need[:n]
        np.abs(x, out=a)
        np.maximum(a[0], a[1], out=a[0])
        need[:] = a[0]
        np.maximum(need, 1e-12, out=need)
        np.log10(need, out=need)
        need *= -20.0
        need += self.ceiling_db
        np.minimum(need, 0.0, out=need)  # dB of gain needed at each frame
        ramp = self._ramp[:n]
        need -= ramp
        env = self._env[:n]  # accumulate must not write over its own input (numpy would copy)
        np.minimum.accumulate(need, out=env)
        np.minimum(env, self._gain_db + self._release_db, out=env)
        env += ramp
        np.minimum(env, 0.0, out=env)
        self._gain_db = float(env[-1])
        lowest = float(env.min())
        env *= _LN10_OVER_20
        np.exp(env, out=env)
        gain = self._gain[:n]
        gain[:] = env
        x[0] *= gain  # row by row: a broadcasting in-place multiply would allocate
        x[1] *= gain
        return math.exp(lowest * _LN10_OVER_20)
