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
        progression=choices.get("progression"),  # a kit's one harmonic plan
        variation=choices.get("variation", 0),
    )


def render_take_to(choices: dict, take: int, folder: str, rate: int = ENGINE_RATE) -> str:
    """Worker side: one take written to an .npy file in ``folder`` (large arrays travel as files, not pickles)."""
    import os
    import uuid

    import numpy as np

    from padserver.files import atomic_file

    path = os.path.join(folder, f"take-{uuid.uuid4().hex}.npy")
    with atomic_file(path, durable=False) as fh:
        np.save(fh, render_take(choices, take, rate))
    return path


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
        self.scratch = getattr(config, "scratch", None)  # a folder for takes on their way to the library

    def warnings(self, request: Request) -> list[str]:
        out = [w for w in super().warnings(request) if "vocals" not in w]
        if not request.instrumental:
            out.append("offline has no voices: the loop is instrumental")
        return out

    async def generate(self, request: Request, progress) -> Result:
        choices = plan(request, request.extras.get("project_tempo"))
        takes = []
        for i in range(max(1, request.takes)):
            if self.pool is not None and self.scratch:
                path = await self.pool.run(render_take_to, choices, i, self.scratch)
                takes.append(Take(audio=None, sample_rate=ENGINE_RATE, path=path, format="npy", downbeat_s=0.0))
            else:
                audio = (
                    await self.pool.run(render_take, choices, i) if self.pool is not None else render_take(choices, i)
                )
                takes.append(Take(audio=audio, sample_rate=ENGINE_RATE, downbeat_s=0.0))
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
