"""``lyria-realtime``: a Lyria RealTime session, collected until the requested bars are covered, then closed.

Weighted prompts (the prompt, plus genre, instrument and mood) and the whole
generation config (bpm, scale from the key, seed, and the extras density,
brightness, guidance, temperature, top_k, mute_bass, mute_drums,
only_bass_and_drums, mode). Streamed 48 kHz PCM is collected after a lead-in
that skips the model's warm-up; the loop is cut on the bar by the
preparation. A filtered prompt is reported; a closed socket or a stall (the
watchdog) fails the attempt and the job manager retries with a fresh
session. No session stays open when idle.
"""

from __future__ import annotations

import asyncio
import logging
import re

from padserver.providers.base import Capabilities, Request, Result, Take
from padserver.providers.cloud import provenance, seconds_for, transient
from padserver.providers.google import GoogleProvider, scale_of

log = logging.getLogger("padserver.providers")

RATE = 48000
CONFIG_EXTRAS = {
    "density": "density",
    "brightness": "brightness",
    "guidance": "guidance",
    "temperature": "temperature",
    "top_k": "top_k",
    "mute_bass": "mute_bass",
    "mute_drums": "mute_drums",
    "only_bass_and_drums": "only_bass_and_drums",
    "mode": "music_generation_mode",
}
BPM_RANGE = (60, 200)


class LyriaRealtime(GoogleProvider):
    name = "lyria-realtime"
    model = "models/lyria-realtime-exp"
    capabilities = Capabilities(
        seconds=(1.0, 600.0),
        bpm_field=True,
        key_field=True,
        instrumental_toggle=False,
        seed=True,
        takes_per_call=1,
        streaming=True,
        live_session=True,
    )
    extras = tuple(CONFIG_EXTRAS)

    def warnings(self, request: Request) -> list[str]:
        out = [w for w in super().warnings(request) if "vocals" not in w]
        if not request.instrumental:
            out.append(f"{self.name} makes instrumental music only")
        if request.bpm and not BPM_RANGE[0] <= request.bpm <= BPM_RANGE[1]:
            out.append(f"{self.name} plays {BPM_RANGE[0]}..{BPM_RANGE[1]} BPM: asked at the nearest, fitted on the pad")
        return out

    def prompts(self, request: Request) -> list[tuple[str, float]]:
        out = [(request.prompt.strip(), 1.0)] if request.prompt.strip() else []
        out += [(p, 0.6) for p in (request.genre, request.instrument, request.mood) if p]
        return out or [("instrumental loop", 1.0)]

    def config(self, request: Request, seed: int | None) -> dict:
        bpm = int(round(min(BPM_RANGE[1], max(BPM_RANGE[0], float(request.bpm or 120)))))
        out: dict = {"bpm": bpm, "scale": scale_of(request.key)}
        if seed is not None:
            out["seed"] = int(seed)
        for key, field in CONFIG_EXTRAS.items():
            if key in request.extras:
                out[field] = request.extras[key]
        return out

    async def generate(self, request: Request, progress) -> Result:
        import warnings

        from google.genai import types

        warnings.filterwarnings("ignore", message="Realtime music generation is experimental")
        lead = float(self.settings.get("lead_in_s", 2.0))
        stall = float(self.settings.get("stall_s", 10.0))
        need_s = seconds_for(request) + lead
        client = self.client()
        takes: list[Take] = []
        filtered: list[str] = []
        sent: dict = {}
        for i in range(max(1, request.takes)):
            seed = None if request.seed is None else int(request.seed) + i
            config = self.config(request, seed)
            sent = {"prompts": self.prompts(request), "config": config}
            try:
                async with client.aio.live.music.connect(model=self.model) as session:
                    await session.set_weighted_prompts(
                        prompts=[types.WeightedPrompt(text=t, weight=w) for t, w in sent["prompts"]]
                    )
                    await session.set_music_generation_config(config=types.LiveMusicGenerationConfig(**config))
                    await session.play()
                    data, channels = await self._collect(session, need_s, stall, filtered, progress, i, request.takes)
            except Exception as exc:
                raise self.fail(exc) from None
            skip = int(lead * RATE) * 2 * channels
            takes.append(Take(audio=None, sample_rate=RATE, data=data[skip:], format="pcm_s16le", channels=channels))
        sent["lead_in_s"] = lead
        return Result(takes, provenance(self, request, sent, "SynthID", "lyria realtime", filtered=filtered))

    async def _collect(self, session, need_s, stall, filtered, progress, take, takes) -> tuple[bytes, int]:
        data = bytearray()
        channels = 2
        ended = "the session ended before the loop was complete"
        async for message in received(session, self.name, stall, ended):
            if message.filtered_prompt is not None:
                what = f"{message.filtered_prompt.text!r} was filtered ({message.filtered_prompt.filtered_reason})"
                filtered.append(what)
                log.warning("%s: %s; the music goes on without it", self.name, what)
                progress(len(data) / (need_s * RATE * 2 * channels), what)
            chunks = audio_of(message, channels)
            for pcm, _ in chunks:
                data += pcm
            channels = chunks[-1][1] if chunks else channels
            fraction = min(0.99, len(data) / (need_s * RATE * 2 * channels))
            progress((take + fraction) / max(1, takes), f"{len(data) / (RATE * 2 * channels):.1f} s streamed")
            if len(data) >= need_s * RATE * 2 * channels:
                break
        return bytes(data), channels


async def received(session, name: str, stall: float, ended: str):
    """A session's messages as they come; a stall (nothing for ``stall`` s) or its end is a transient failure."""
    stream = session.receive().__aiter__()
    while True:
        try:
            message = await asyncio.wait_for(stream.__anext__(), stall)
        except TimeoutError:
            raise transient(f"{name}: the session stalled (no audio for {stall:g} s)") from None
        except StopAsyncIteration:
            raise transient(f"{name}: {ended}") from None
        yield message


def audio_of(message, channels: int) -> list[tuple[bytes, int]]:
    """The audio chunks of a message: (16-bit PCM, channels), the count read from each chunk's mimeType."""
    out = []
    content = message.server_content
    for chunk in (content.audio_chunks if content is not None else None) or []:
        m = re.search(r"channels=(\d+)", chunk.mime_type or "")
        channels = int(m.group(1)) if m else channels
        out.append((chunk.data or b"", channels))
    return out
