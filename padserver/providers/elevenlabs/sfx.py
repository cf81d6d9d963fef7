"""``elevenlabs-sfx``: ElevenLabs sound effects, as seamless loops (or one-shots) for FX and percussion pads."""

from __future__ import annotations

from padserver.providers.base import Capabilities, Request, Result, Take
from padserver.providers.cloud import provenance, seconds_for, words
from padserver.providers.elevenlabs import (
    REQUEST_OPTIONS,
    ElevenLabsProvider,
    audio_format,
    bytes_per_second,
    pcm_channels,
)
from padserver.providers.elevenlabs.credentials import credentials

MIN_S, MAX_S = 0.5, 30.0


class ElevenLabsSfx(ElevenLabsProvider):
    name = "elevenlabs-sfx"
    model = "eleven_text_to_sound_v2"
    capabilities = Capabilities(
        seconds=(MIN_S, MAX_S),
        bpm_field=False,
        key_field=False,
        instrumental_toggle=False,
        seed=False,
        takes_per_call=1,
    )
    extras = ("oneshot",)

    def warnings(self, request: Request) -> list[str]:
        out = [w for w in super().warnings(request) if "vocals" not in w]
        if seconds_for(request, extra_bars=0) > MAX_S:
            out.append(f"{self.name} makes at most {MAX_S:g} s: the loop is shorter than asked")
        return out

    async def generate(self, request: Request, progress) -> Result:
        output = str(self.settings.get("output_format", "mp3_44100_192"))
        fmt, rate, channels = audio_format(output)
        # a seamless loop exactly as long as the bars (it starts on its own downbeat), or a one-shot
        loop = not request.extras.get("oneshot")
        seconds = min(MAX_S, max(MIN_S, seconds_for(request, extra_bars=0)))
        sent = {
            "text": words(request, key=False),
            "duration_seconds": round(seconds, 3),
            "loop": loop,
            "prompt_influence": float(self.settings.get("prompt_influence", 0.3)),
            "output_format": output,
        }
        client = self.client()
        takes = []
        try:
            for i in range(max(1, request.takes)):

                def part(fraction: float, message: str, i: int = i) -> None:
                    progress((i + fraction) / max(1, request.takes), message)

                chunks = client.text_to_sound_effects.convert(**sent, request_options=REQUEST_OPTIONS)
                data = await self.collect(chunks, seconds * bytes_per_second(output), part)
                if fmt == "pcm_s16le":
                    channels = pcm_channels(self.settings, len(data), rate, seconds)
                takes.append(
                    Take(audio=None, sample_rate=rate, data=data, format=fmt, channels=channels, downbeat_s=0.0)
                )
        except Exception as exc:
            raise self.fail(exc) from None
        return Result(takes, credentials(provenance(self, request, sent, None, "sound effect"), takes))
