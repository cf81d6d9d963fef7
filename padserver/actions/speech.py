"""Speaking a line onto a pad: a one-shot from its first word (whole bars long, the rest silence), or with
``fit=N`` stretched to N bars at the project tempo (a phrase that loops). ElevenLabs' voices with a key, the
local espeak-ng without one when it is installed. A line said before with the same voice, model and settings
comes from the speech cache (``<data>/cache/speech``) and costs nothing. The words never go to the log whole.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from typing import TYPE_CHECKING

from padserver.actions import checks
from padserver.actions.checks import ActionError
from padserver.engine import commands as cmd
from padserver.library.store import LibraryError
from padserver.providers.jobs import ProviderError

if TYPE_CHECKING:
    from padserver.actions.core import Actions

log = logging.getLogger("padserver.speech")

OPTIONS = {"voice": str, "model": str, "stability": float, "style": float, "speed": float, "fit": int,
           "provider": str, "similarity": float}  # fmt: skip
RANGES = {"stability": (0.0, 1.0), "style": (0.0, 1.0), "similarity": (0.0, 1.0), "speed": (0.7, 1.2)}
ENGINES = ("elevenlabs-voice", "espeak-ng")
NAMES = {"elevenlabs": "elevenlabs-voice", "espeak": "espeak-ng"}
MAX_CHARS = 1000
STRETCH = (0.5, 2.0)  # how far fit= may speed a line up or slow it down


def shown(text: str) -> str:
    """A line as the log may show it: its first words and its length, never the whole."""
    return f"{text[:12]!r}{'…' if len(text) > 12 else ''} ({len(text)} characters)"


def title(text: str) -> str:
    """A line's name on its pad and in the library (the loading log shows it): its first words."""
    return text if len(text) <= 24 else text[:23].rstrip() + "…"


def engine(a: Actions, asked: str | None = None):
    """The speech provider to use: the one asked for, else ElevenLabs with a key, else espeak-ng when installed."""
    gen = a.needed("generation", "speech is")
    if asked:
        name = NAMES.get(asked, asked)
        if name not in ENGINES:
            raise ActionError(f"provider= is elevenlabs or espeak for speech (got {asked!r})")
        provider = gen.provider(name)
        reason = provider.unavailable()
        if reason is not None:
            raise ActionError(f"{name} is unavailable: {reason}")
        return provider
    reasons = []
    for name in ENGINES:
        provider = gen.provider(name)
        reason = provider.unavailable()
        if reason is None:
            return provider
        reasons.append(f"{name}: {reason}")
    raise ActionError("no speech engine: " + "; ".join(reasons))


def which(a: Actions) -> str:
    """The speech engine in use, in words (for the doctor and /status)."""
    try:
        return engine(a).name
    except ActionError as exc:
        return str(exc)


def _shape(audio, rate: int, bpm: float, beats_per_bar: int, fit: int | None):
    """Worker: the line from its first sound; as a one-shot padded to whole bars (at ``bpm``), or for ``fit``
    bars the tempo at which it is that long. (audio, its tempo, bars)."""
    import math

    import numpy as np

    level = np.abs(audio).max(axis=0)
    sounding = np.flatnonzero(level > 10 ** (-50 / 20))
    if sounding.size == 0:
        raise ValueError("the speech engine returned silence")
    start = max(0, int(sounding[0]) - int(0.002 * rate))  # (2 ms before the first sound: its attack whole)
    end = min(audio.shape[1], int(sounding[-1]) + int(0.05 * rate))
    line = np.ascontiguousarray(audio[:, start:end], dtype=np.float32)
    bar = rate * 60.0 / bpm * beats_per_bar
    if fit is None:
        bars = max(1, math.ceil(line.shape[1] / bar - 1e-9))
        padded = np.zeros((2, math.ceil(bars * bar)), dtype=np.float32)
        padded[:, : line.shape[1]] = line
        return padded, bpm, bars
    made_at = fit * beats_per_bar * 60.0 * rate / line.shape[1]  # the tempo at which the line is ``fit`` bars
    speed = bpm / made_at
    if not STRETCH[0] <= speed <= STRETCH[1]:
        near = max(1, round(line.shape[1] / bar))
        raise ValueError(
            f"the line is {line.shape[1] / rate:.1f} s: {fit} bars at {bpm:g} BPM would play it {speed:.2f}× "
            f"as fast (from {STRETCH[0]:g}× to {STRETCH[1]:g}×); fit={near} is near its own length"
        )
    return line, made_at, fit


def _decode(take: tuple, rate: int, path: str, provenance: dict):
    """Worker: a speech take decoded at the engine rate, kept in the speech cache as ``path`` (and where it came
    from beside it, as ``path.json``)."""
    import numpy as np

    from padserver.loops.decode import decode_take

    audio = decode_take(take, rate, remove=True)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".part", "wb") as fh:
        np.save(fh, audio)
    os.replace(path + ".part", path)
    with open(path + ".json.part", "w") as fh:
        json.dump(provenance, fh, default=str)
    os.replace(path + ".json.part", path + ".json")
    return audio


def _load(path: str):
    """Worker: a line from the speech cache, and where it came from."""
    import numpy as np

    with open(path + ".json") as fh:
        return np.load(path), json.load(fh)


async def speak(a: Actions, number: object, text: object, options: list) -> dict:
    """Speak ``text`` onto the pad; what was done: loop id, engine, voice, bars, whether from the cache."""
    pad = a.pad_of(number)
    words = checks.text(text, "text", MAX_CHARS).strip()
    if not words:
        raise ActionError("speak takes the words to say")
    opts = checks.key_values(options, OPTIONS, "speak")
    for key, (lo, hi) in RANGES.items():
        if key in opts:
            checks.number(opts[key], key, lo, hi)
    fit = checks.whole(opts["fit"], "fit (bars)", 1, 16) if "fit" in opts else None
    if pad.mode == cmd.LIVE or pad.generating:
        raise ActionError(f"pad {pad.number} is a live pad or generating: speak onto another")
    settings = {k: opts[k] for k in ("voice", "model", "stability", "style", "speed", "similarity") if k in opts}
    made = await line(a, words, settings, opts.get("provider"), fit, f"pad {pad.number}")
    await _put(a, pad.number, made["loop"], "loop" if fit else "oneshot", title(words))
    return made


async def line(a: Actions, words: str, settings: dict, asked: str | None, fit: int | None, where: str) -> dict:
    """A spoken line kept in the library, shaped for the pads (see `_shape`): loop id, engine, voice, bars, and
    whether it came from the cache. Nothing on the pads changes."""
    from padserver.providers.base import Request

    provider = engine(a, asked)
    model = str(settings.get("model") or provider.model)
    key = json.dumps([provider.name, model, words, settings], sort_keys=True)
    path = os.path.join(a.library.data_dir, "cache", "speech", hashlib.sha256(key.encode()).hexdigest() + ".npy")
    pool = a.library.pool
    rate = a.engine.sample_rate
    cached = os.path.exists(path) and os.path.exists(path + ".json")
    if cached:
        audio, provenance = await pool.run(_load, path)
        log.info("%s: %s from the speech cache", where, shown(words))
    else:
        audio, provenance = await _ask(a, provider, Request(prompt=words, instrumental=False, extras=settings), path)
        log.info("%s: %s spoken by %s", where, shown(words), provider.name)
    try:
        shaped, made_at, bars = await pool.run(_shape, audio, rate, a.project.tempo, a.project.beats_per_bar, fit)
    except ValueError as exc:
        raise ActionError(str(exc)) from None
    voice = provenance.get("voice") or {"id": settings.get("voice"), "name": settings.get("voice")}
    meta = {
        "name": title(words),
        "category": "vocals",
        "bpm": made_at,
        "key": None,
        "bars": bars,
        "source": "generated",
        "provider": provider.name,
        "model": model,
        "prompt": words,
        "params": {
            "speech": settings,
            "voice": voice,
            "fit": fit,
            "sent": provenance.get("request", {}).get("sent"),
            **({"c2pa": provenance["c2pa"]} if provenance.get("c2pa") else {}),
        },  # fmt: skip
        "seed": None,
        "watermark": provenance.get("watermark"),
    }
    try:
        loop = await a.library.add_generated(shaped, rate, meta, None)
    except LibraryError as exc:
        raise ActionError(f"the line could not be kept: {exc}") from None
    return {"loop": loop.id, "engine": provider.name, "voice": voice.get("name"), "bars": bars, "cached": cached}


async def _ask(a: Actions, provider, request, path: str):
    """The line from the speech engine through the job manager: (audio at the engine rate, provenance)."""
    import asyncio

    gen = a.needed("generation", "speech is")
    try:
        job = gen.jobs.submit(provider, request, None)
    except ProviderError as exc:
        raise ActionError(str(exc)) from None
    await asyncio.shield(job.task)  # type: ignore[arg-type]
    if job.state != "done" or job.result is None:
        raise ActionError(f"the line was not spoken: {job.message}")
    take = job.result.takes[0]
    try:
        source = (take.path or take.data, take.format, take.sample_rate, take.channels)
        audio = await a.library.pool.run(_decode, source, a.engine.sample_rate, path, job.result.provenance)
    except Exception as exc:
        gen.jobs.forget(job)
        raise ActionError(f"the spoken line cannot be read: {exc}") from None
    return audio, job.result.provenance


async def _put(a: Actions, number: int, loop_id: int, mode: str, name: str) -> None:
    """The line onto the pad, its mode and name: one undo step."""
    pad = a.project.pad(number)
    before = (pad.loop_id, pad.mode, pad.name)

    async def put(loop: int | None, how: str, called: str) -> None:
        with a.history.paused():
            if loop is None:
                a.pad_clear(number)  # type: ignore[attr-defined]
            else:
                await a.pad_load(number, loop, at_wrap=True)  # type: ignore[attr-defined]
            a.pad_mode(number, how)
            a.pad_name(number, called)

    await put(loop_id, mode, name)
    a.history.record(f"pad {number} speak", lambda: put(*before), lambda: put(loop_id, mode, name))


async def voices(a: Actions, asked: str | None) -> list[dict]:
    """The voices of the speech engine asked for (else the one in use)."""
    provider = engine(a, asked or None)
    try:
        return await provider.voices()
    except ProviderError as exc:
        raise ActionError(str(exc)) from None
