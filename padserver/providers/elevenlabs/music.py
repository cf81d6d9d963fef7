"""``elevenlabs-music``: ElevenLabs Music (compose, streaming compose, composition plans)."""

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

MIN_MS, MAX_MS = 3000, 600000


class ElevenLabsMusic(ElevenLabsProvider):
    name = "elevenlabs-music"
    capabilities = Capabilities(
        seconds=(MIN_MS / 1000, MAX_MS / 1000),
        bpm_field=False,
        key_field=False,
        instrumental_toggle=True,
        seed=True,
        takes_per_call=1,
        streaming=True,
    )
    extras = ("plan",)

    @property
    def model(self) -> str:  # type: ignore[override]
        return str(self.settings.get("model", "music_v1"))

    def warnings(self, request: Request) -> list[str]:
        out = super().warnings(request)
        if seconds_for(request) * 1000 > MAX_MS:
            out.append(f"{self.name} makes at most {MAX_MS // 1000} s: the loop is cut from that")
        return out

    def length_ms(self, request: Request) -> int:
        return int(min(MAX_MS, max(MIN_MS, round(seconds_for(request) * 1000))))

    async def generate(self, request: Request, progress) -> Result:
        output = str(self.settings.get("output_format", "mp3_44100_192"))
        fmt, rate, channels = audio_format(output)
        signed = bool(self.settings.get("c2pa", False)) and fmt == "mp3"  # (only compose signs: not streamed)
        stream = bool(self.settings.get("stream", True)) and not signed
        prompt = words(request)
        length = self.length_ms(request)
        client = self.client()
        takes, sent = [], {}
        try:
            plan = None
            if request.extras.get("plan"):
                progress(0.02, "composition plan")
                plan = await client.music.composition_plan.create(
                    prompt=prompt, music_length_ms=length, model_id=self.model, request_options=REQUEST_OPTIONS
                )
            for i in range(max(1, request.takes)):
                sent = {"model_id": self.model, "output_format": output, "force_instrumental": request.instrumental}
                if plan is not None:
                    sent["composition_plan"] = plan
                else:
                    sent.update({"prompt": prompt, "music_length_ms": length})
                    if request.seed is not None:
                        sent["seed"] = int(request.seed) + i
                if signed:
                    sent["sign_with_c_2_pa"] = True
                call = client.music.stream if stream else client.music.compose
                expected = length / 1000 * bytes_per_second(output)

                def part(fraction: float, message: str, i: int = i) -> None:
                    progress((i + fraction) / max(1, request.takes), message)

                data = await self.collect(call(**sent, request_options=REQUEST_OPTIONS), expected, part)
                if fmt == "pcm_s16le":
                    channels = pcm_channels(self.settings, len(data), rate, length / 1000)
                takes.append(Take(audio=None, sample_rate=rate, data=data, format=fmt, channels=channels))
        except Exception as exc:
            raise self.fail(exc) from None
        shown = {k: (v if k != "composition_plan" else "(plan)") for k, v in sent.items()}
        return Result(takes, credentials(provenance(self, request, shown, None, "elevenlabs music"), takes))
