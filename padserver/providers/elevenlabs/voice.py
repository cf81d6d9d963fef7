"""``elevenlabs-voice``: ElevenLabs text to speech (``text_to_speech.convert``), a spoken line for a pad.

Its ``role`` is "speech": `actions.speech` asks it through the job manager (retries with backoff on 429 and
5xx, none on a refused key or a bad request). Voices are named by id or by name (the account's, from
``/v1/voices``, read once); the request's words are the line to speak (``prompt``) and never go to a log.
"""

from __future__ import annotations

from padserver.providers.base import Capabilities, Request, Result, Take
from padserver.providers.cloud import permanent, provenance
from padserver.providers.elevenlabs import REQUEST_OPTIONS, ElevenLabsProvider, audio_format, pcm_channels
from padserver.providers.elevenlabs.credentials import credentials

SETTINGS = ("stability", "style", "speed", "similarity")


class ElevenLabsVoice(ElevenLabsProvider):
    name = "elevenlabs-voice"
    role = "speech"
    capabilities = Capabilities(
        seconds=(0.1, 300.0), bpm_field=False, key_field=False, instrumental_toggle=False, seed=True, takes_per_call=1
    )

    def __init__(self, config=None) -> None:
        super().__init__(config)
        self._voices: list[dict] | None = None

    @property
    def model(self) -> str:  # type: ignore[override]
        return str(self.settings.get("model", "eleven_multilingual_v2"))

    def warnings(self, request: Request) -> list[str]:
        return []

    async def voices(self) -> list[dict]:
        """The account's voices: id, name, category (read once for the provider's life)."""
        if self._voices is None:
            try:
                answer = await self.client().voices.get_all(request_options=REQUEST_OPTIONS)
            except Exception as exc:
                raise self.fail(exc) from None
            self._voices = [
                {"id": v.voice_id, "name": v.name or v.voice_id, "category": str(v.category or "")}
                for v in answer.voices
            ]
        return self._voices

    async def voice_id(self, asked: str) -> tuple[str, str]:
        """(id, name) of the voice asked for by id or name; "" is the configured voice, else the account's first."""
        asked = asked or str(self.settings.get("voice", "") or "")
        known = await self.voices()
        if not asked:
            if not known:
                raise permanent(f"{self.name}: the account has no voices")
            return known[0]["id"], known[0]["name"]
        lowered = asked.lower()
        for voice in known:
            if voice["id"] == asked or voice["name"].lower() == lowered:
                return voice["id"], voice["name"]
        for voice in known:  # ("Rachel" for "Rachel - calm narrator")
            if voice["name"].lower().startswith(lowered):
                return voice["id"], voice["name"]
        names = ", ".join(v["name"] for v in known[:12])
        raise permanent(f"{self.name}: no voice named {asked!r} (the account's: {names or 'none'})")

    async def generate(self, request: Request, progress) -> Result:
        from elevenlabs import VoiceSettings

        output = str(self.settings.get("output_format", "mp3_44100_192"))
        fmt, rate, channels = audio_format(output)
        extras = request.extras
        model = str(extras.get("model") or self.model)
        voice, voice_name = await self.voice_id(str(extras.get("voice") or ""))
        chosen = {k: float(extras[k]) for k in SETTINGS if extras.get(k) is not None}
        sent: dict = {"voice_id": voice, "model_id": model, "output_format": output}
        if chosen:
            sent["voice_settings"] = {("similarity_boost" if k == "similarity" else k): v for k, v in chosen.items()}
        if request.seed is not None:
            sent["seed"] = int(request.seed)
        progress(0.1, f"speaking as {voice_name}")
        try:
            kwargs = dict(sent)
            if "voice_settings" in kwargs:
                kwargs["voice_settings"] = VoiceSettings(**kwargs["voice_settings"])
            voice_id = kwargs.pop("voice_id")
            chunks = self.client().text_to_speech.convert(
                voice_id, text=request.prompt, **kwargs, request_options=REQUEST_OPTIONS
            )
            data = await self.collect(chunks, 0.0, progress)
        except Exception as exc:
            raise self.fail(exc) from None
        if fmt == "pcm_s16le":
            channels = pcm_channels(self.settings, len(data), rate, None)
        take = Take(audio=None, sample_rate=rate, data=data, format=fmt, channels=channels, downbeat_s=0.0)
        more = {"voice": {"id": voice, "name": voice_name}, "model": model}
        return Result([take], credentials({**provenance(self, request, sent, None, "speech"), **more}, [take]))
