"""Turning an audio file into a pad-ready loop: decode in a worker, fit to bars here."""

from __future__ import annotations

import asyncio
import os

import numpy as np

from padserver.audio.loopfit import FittedLoop, fit_to_bars
from padserver.audio.worker import WorkerPool, decode_to_file


class LoopLoader:
    def __init__(self, pool: WorkerPool, cache_dir: str, sample_rate: int, fade: int) -> None:
        self.pool = pool
        self.cache_dir = cache_dir
        self.sample_rate = sample_rate
        self.fade = fade
        os.makedirs(cache_dir, exist_ok=True)

    async def load(self, path: str, frames_per_bar: float) -> FittedLoop:
        """Decode ``path`` (raises AudioFileError) and fit it to whole bars."""
        rendition = await self.pool.run(decode_to_file, path, self.sample_rate, self.cache_dir)
        audio = await asyncio.to_thread(np.load, rendition)
        return await asyncio.to_thread(fit_to_bars, audio, frames_per_bar, self.fade)
