"""The built-in offline generator: no key, no network; registered like any other provider."""

from __future__ import annotations

import hashlib

from padserver.providers.base import Capabilities, Provider, Request, Result, Take
from padserver.providers.offline import synth

ENGINE_RATE = 48000


def _seed(request: Request) -> int:
    if request.seed is not None:
        return int(request.seed)
    text = f"{request.prompt}|{request.genre}|{request.instrument}|{request.key}|{request.bpm}|{request.bars}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")


def plan(request: Request, project_tempo: float | None = None) -> dict:
    """The concrete choices for a request: genre, instrument, key, tempo, bars, seed."""
    genre = request.genre or synth.from_words(request.prompt, synth._GENRE_WORDS) or "house"
    genre = synth.from_words(genre, synth._GENRE_WORDS) or genre
    instrument = request.instrument or synth.from_words(request.prompt, synth._INSTRUMENT_WORDS) or "drums"
    instrument = synth.from_words(instrument, synth._INSTRUMENT_WORDS) or instrument
    bpm = float(request.bpm or project_tempo or synth.DEFAULT_BPM.get(genre, 120))
    return {
        "genre": genre,
        "instrument": instrument,
        "key": request.key,
        "bpm": bpm,
        "bars": int(request.bars),
        "seed": _seed(request),
    }


def render_take(choices: dict, take: int, rate: int = ENGINE_RATE):
    """Worker side: one take's audio."""
    return synth.render(
        choices["instrument"],
        choices["genre"],
        choices["key"],
        choices["bpm"],
        choices["bars"],
        choices["seed"] + take,
        rate,
    )


class OfflineProvider(Provider):
    name = "offline"
    model = "padserver-synth-1"
    capabilities = Capabilities(
        seconds=(0.2, 600.0),
        bpm_field=True,
        key_field=True,
        instrumental_toggle=False,  # it only ever plays instruments
        seed=True,
        takes_per_call=16,
    )

    def __init__(self, config=None) -> None:
        self.pool = getattr(config, "pool", None)  # the daemon's worker pool; inline without one

    def warnings(self, request: Request) -> list[str]:
        out = [w for w in super().warnings(request) if "vocals" not in w]
        if not request.instrumental:
            out.append("offline has no voices: the loop is instrumental")
        return out

    async def generate(self, request: Request, progress) -> Result:
        choices = plan(request, request.extras.get("project_tempo"))
        takes = []
        for i in range(max(1, request.takes)):
            if self.pool is not None:
                audio = await self.pool.run(render_take, choices, i)
            else:
                audio = render_take(choices, i)
            takes.append(Take(audio=audio, sample_rate=ENGINE_RATE))
            progress((i + 1) / max(1, request.takes), f"take {i + 1} of {request.takes}")
        provenance = {
            "provider": self.name,
            "model": self.model,
            "seed": choices["seed"],
            "request": request.as_sent(),
            "choices": choices,
            "watermark": None,
            "name": synth.describe(choices["instrument"], choices["genre"], choices["key"], choices["bpm"]),
        }
        return Result(takes=takes, provenance=provenance)
