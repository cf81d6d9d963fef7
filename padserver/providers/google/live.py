"""A Lyria RealTime session kept open for a live pad: weighted prompts and the generation config in, the
stream out as it comes (48 kHz float stereo), until the pad closes it.

The session is the SDK's (``client.aio.live.music.connect``); a filtered prompt is reported to
``on_filtered`` and the music goes on without it; a dropped socket ends ``chunks`` with a transient
`ProviderError`, as a stall does (no audio for ``stall_s``).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import numpy as np

from padserver.providers.google.realtime import BPM_RANGE, CONFIG_EXTRAS, LyriaRealtime, audio_of, received
from padserver.providers.jobs import ProviderError

log = logging.getLogger("padserver.providers")

RATE = 48000


def model_bpm(tempo: float) -> float:
    """The tempo to ask the model for: the project's (whole BPM), or its double or half where only that is in
    the model's range; the stream is resampled to the project's exact tempo on the pad."""
    bpm = float(tempo)
    while bpm < BPM_RANGE[0]:
        bpm *= 2
    while bpm > BPM_RANGE[1]:
        bpm /= 2
    return float(min(BPM_RANGE[1], max(BPM_RANGE[0], round(bpm))))


def live_config(bpm: float, scale: str, settings: dict) -> dict:
    """The whole generation config (Lyria resets a field left out): bpm, scale and the pad's settings."""
    out: dict = {"bpm": int(bpm), "scale": scale}
    for key, field in CONFIG_EXTRAS.items():
        if key in settings:
            out[field] = settings[key]
    return out


class LyriaLive:
    def __init__(self, provider: LyriaRealtime, on_filtered: Callable[[str, str], None]) -> None:
        self.provider = provider
        self.on_filtered = on_filtered
        self.session: Any = None  # (the SDK's AsyncMusicSession)
        self._stack: contextlib.AsyncExitStack | None = None

    async def open(self, prompts: list[tuple[str, float]], config: dict) -> None:
        import warnings

        warnings.filterwarnings("ignore", message="Realtime music generation is experimental")
        client = self.provider.client()
        self._stack = contextlib.AsyncExitStack()
        try:
            self.session = await self._stack.enter_async_context(
                client.aio.live.music.connect(model=self.provider.model)
            )
            await self.steer(prompts, config)
            await self.session.play()
        except Exception as exc:
            await self.close()
            raise self.provider.fail(exc) from None

    async def steer(self, prompts: list[tuple[str, float]], config: dict | None = None) -> None:
        """New weighted prompts (those of weight 0 left out) and, if given, the whole config."""
        from google.genai import types

        session = self.session
        if session is None:
            return
        try:
            weighted = [types.WeightedPrompt(text=t, weight=w) for t, w in prompts if w > 0 and t.strip()]
            await session.set_weighted_prompts(prompts=weighted or [types.WeightedPrompt(text="music", weight=1.0)])
            if config is not None:
                await session.set_music_generation_config(config=types.LiveMusicGenerationConfig(**config))
        except Exception as exc:
            raise self.provider.fail(exc) from None

    async def chunks(self) -> AsyncIterator[np.ndarray]:
        """The stream as it arrives: (2, n) float32 at 48 kHz."""
        session = self.session
        if session is None:
            return
        stall = float(self.provider.settings.get("stall_s", 10.0))
        channels = 2
        try:
            async for message in received(session, self.provider.name, stall, "the session ended"):
                if message.filtered_prompt is not None:
                    filtered = message.filtered_prompt
                    self.on_filtered(filtered.text or "", filtered.filtered_reason or "")
                chunks = audio_of(message, channels)
                for data, count in chunks:
                    channels = count
                    pcm = np.frombuffer(data, dtype="<i2")
                    frames = len(pcm) // channels
                    audio = pcm[: frames * channels].reshape(frames, channels).T.astype(np.float32) / 32768.0
                    yield audio if channels == 2 else np.vstack([audio[0], audio[0]])
        except ProviderError:
            raise
        except Exception as exc:
            raise self.provider.fail(exc) from None

    async def close(self) -> None:
        stack, self._stack, self.session = self._stack, None, None
        if stack is not None:
            with contextlib.suppress(Exception):
                await stack.aclose()
