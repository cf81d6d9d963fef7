"""The provider interface: a common request, declared capabilities, takes with provenance."""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

# request settings that belong to one provider or another, and their types (they travel in Request.extras)
PROVIDER_EXTRAS: dict[str, type] = {
    "density": float,
    "brightness": float,
    "guidance": float,
    "temperature": float,
    "top_k": int,
    "mute_bass": int,
    "mute_drums": int,
    "only_bass_and_drums": int,
    "mode": str,
    "plan": int,
    "oneshot": int,
}
PROVIDER_NAMES = ("offline", "lyria-realtime", "lyria-clip", "elevenlabs-music", "elevenlabs-sfx")


@dataclass(frozen=True)
class Request:
    """What a musician asks for; fields a provider cannot honour produce warnings, never silent rewrites."""

    prompt: str = ""
    genre: str | None = None
    instrument: str | None = None
    mood: str | None = None
    key: str | None = None  # e.g. "Am", "F#", "Eb minor"
    bpm: float | None = None  # default: the project tempo
    bars: int = 4
    instrumental: bool = True
    seed: int | None = None
    takes: int = 1
    extras: dict[str, Any] = field(default_factory=dict)  # provider-specific, typed by the provider

    def as_sent(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Capabilities:
    seconds: tuple[float, float]  # shortest and longest audio per call
    bpm_field: bool  # a structured tempo (else only in the prompt's words)
    key_field: bool
    instrumental_toggle: bool
    seed: bool
    takes_per_call: int
    streaming: bool = False
    live_session: bool = False


@dataclass
class Take:
    audio: np.ndarray | None  # (2, frames) float32, or None with `data`
    sample_rate: int
    data: bytes | None = None  # encoded audio (MP3, WAV …) for the preparation pipeline to decode
    path: str | None = None  # or an .npy file of (2, frames) float32 a worker wrote (removed once kept)
    format: str = "pcm"  # "pcm_s16le" (raw, with sample_rate and channels), or a file format: "mp3", "wav" …
    channels: int = 2
    downbeat_s: float | None = None  # where the first downbeat is, when the provider knows (else it is found)
    name: str | None = None  # what the take is, when a provider names its parts (a stem: "drums", "vocals" …)


@dataclass
class Result:
    takes: list[Take]
    provenance: dict  # provider, model, seed, request as sent, watermark
    loops: list[int] = field(default_factory=list)  # the library loops the takes became (a cache hit reuses them)


ProgressFn = Callable[[float, str], None]


class Provider(abc.ABC):
    """A source of loops. Subclasses import their SDKs only inside their methods."""

    name: str = "?"
    model: str = "?"
    role: str = "loops"  # what it makes: "loops" (for /pad/n/generate), "stems" (a loop split), "speech"
    capabilities: Capabilities
    extras: tuple[str, ...] = ()  # the provider-specific request settings it honours

    @abc.abstractmethod
    async def generate(self, request: Request, progress: ProgressFn) -> Result: ...

    def warm(self) -> None:  # noqa: B027 (most providers have nothing to ready)
        """Import what generating needs and make its clients now (at start-up, before the audio runs)."""

    def unavailable(self) -> str | None:
        """Why this provider cannot be used now (no key, no SDK), or None when it can."""
        return None

    def warnings(self, request: Request) -> list[str]:
        """What this provider cannot do of ``request``, said plainly."""
        caps = self.capabilities
        out = []
        if request.seed is not None and not caps.seed:
            out.append(f"{self.name} has no seed: the same request may sound different each time")
        if request.takes > caps.takes_per_call:
            out.append(
                f"{self.name} makes {caps.takes_per_call} take(s) a call: {request.takes} takes mean {request.takes} calls"
            )
        if not request.instrumental and not caps.instrumental_toggle:
            out.append(f"{self.name} cannot be asked for vocals or their absence")
        for extra in PROVIDER_EXTRAS:
            if extra in request.extras and extra not in self.extras:
                out.append(f"{self.name} has no {extra} setting: it is left out")
        if request.key and not caps.key_field:
            out.append(f"{self.name} has no key setting: the key goes into the prompt's words")
        if request.bpm and not caps.bpm_field and not request.extras.get("bpm_from_project"):
            out.append(f"{self.name} has no tempo setting: the tempo goes into the prompt's words")
        return out
