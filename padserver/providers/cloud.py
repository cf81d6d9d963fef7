"""What the cloud providers share: settings and keys, the request in words, the loop's length, transient errors.

Keys come from the config (``providers.google_api_key``, ``providers.elevenlabs_api_key``, which the
environment fills: GEMINI_API_KEY / GOOGLE_API_KEY, ELEVENLABS_API_KEY) and never from a wire message;
they are handed to the SDK and never logged. Endpoints: ``providers.<name>.base_url``, else the
environment (GOOGLE_GEMINI_BASE_URL, ELEVENLABS_BASE_URL), else the provider's own.
"""

from __future__ import annotations

import os
from types import SimpleNamespace

from padserver.providers.base import Request
from padserver.providers.jobs import ProviderError

KEYS = {
    "google": ("google_api_key", ("GEMINI_API_KEY", "GOOGLE_API_KEY")),
    "elevenlabs": ("elevenlabs_api_key", ("ELEVENLABS_API_KEY",)),
}
BASE_URL_ENV = {"google": "GOOGLE_GEMINI_BASE_URL", "elevenlabs": "ELEVENLABS_BASE_URL"}
EXTRA_BARS = 1  # asked for beyond the loop: room for the downbeat search and the seam's crossfade


class CloudSettings:
    """One cloud provider's view of the config (or of the environment alone, outside the daemon)."""

    def __init__(self, config, name: str, vendor: str) -> None:
        everything = getattr(config, "settings", None)
        self.own = getattr(everything, name, None) or SimpleNamespace()
        field, env = KEYS[vendor]
        self.key = (getattr(everything, field, "") if everything is not None else "") or next(
            (os.environ[v] for v in env if os.environ.get(v)), ""
        )
        self.key_hint = f"set ${' or $'.join(env)} or providers.{field}"
        self.base_url = getattr(self.own, "base_url", "") or os.environ.get(BASE_URL_ENV[vendor], "") or None
        self.pool = getattr(config, "pool", None)

    def get(self, key: str, default):
        return getattr(self.own, key, default)


def words(request: Request, bpm: bool = True, key: bool = True) -> str:
    """The request as the words of a prompt: the prompt, then genre, instrument, mood, tempo, key, instrumental."""
    parts = [request.prompt.strip()]
    parts += [p for p in (request.genre, request.instrument, request.mood) if p]
    if bpm and request.bpm:
        parts.append(f"{request.bpm:g} BPM")
    if key and request.key:
        from padserver.providers.offline.synth import key_name, parse_key

        root, minor = parse_key(request.key)
        parts.append(key_name(root, False) + (" minor" if minor else " major"))
    if request.instrumental:
        parts.append("instrumental")
    return ", ".join(p for p in parts if p)


def provenance(provider, request: Request, sent: dict, watermark: str | None, fallback: str, **more) -> dict:
    """Where a cloud take came from: provider, model, seed, the request and what was sent for it, watermark."""
    return {
        "provider": provider.name,
        "model": provider.model,
        "seed": request.seed,
        "request": {**request.as_sent(), "sent": sent},
        "watermark": watermark,
        "name": request.prompt[:48] or fallback,
        **more,
    }


def seconds_for(request: Request, beats_per_bar: int = 4, extra_bars: int = EXTRA_BARS) -> float:
    """How much audio makes the requested bars at the requested tempo (and a little more)."""
    bpm = float(request.bpm or 120.0)
    return (request.bars + extra_bars) * beats_per_bar * 60.0 / bpm


def transient(message: str, retry_after: float | None = None) -> ProviderError:
    return ProviderError(message, permanent=False, retry_after=retry_after)


def permanent(message: str, suggestion: str | None = None) -> ProviderError:
    return ProviderError(message, permanent=True, suggestion=suggestion)


def network_error(name: str, exc: BaseException) -> ProviderError:
    """A failure below HTTP (refused, reset, timed out): worth another try."""
    return transient(f"{name}: cannot reach the service ({type(exc).__name__}: {exc or 'no answer'})")
