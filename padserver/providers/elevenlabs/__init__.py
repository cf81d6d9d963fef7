"""ElevenLabs: music (compose, streaming compose, composition plans) and sound effects, through the ``elevenlabs`` SDK.

The SDK is imported only when a generation runs. Its own retries are switched
off (``max_retries`` 0): the job manager retries, with its policy, and knows
which failures will not change.
"""

from __future__ import annotations

import importlib.util

from padserver.providers.base import Provider
from padserver.providers.cloud import CloudSettings, network_error, permanent, transient
from padserver.providers.jobs import ProviderError


def audio_format(output_format: str) -> tuple[str, int, int]:
    """(take format, sample rate, channels) of an ElevenLabs ``output_format`` such as mp3_44100_192 or pcm_48000."""
    kind, _, rest = output_format.partition("_")
    rate = int(rest.split("_")[0]) if rest[:1].isdigit() else 44100
    if kind == "pcm":
        return "pcm_s16le", rate, 1
    return kind, rate, 2


def pcm_channels(settings, size: int, rate: int, seconds: float | None) -> int:
    """How many channels raw ``pcm_*`` audio of ``size`` bytes holds.

    ElevenLabs documents ``pcm_<rate>`` as raw 16-bit PCM and not how many channels each format carries;
    ``providers.<name>.pcm_channels`` says so when set (1 or 2). Else, when the answer's length is known
    (music and effects are asked for so many seconds), it is the count that makes it that long: mono is
    twice as many frames as stereo, so the nearer of the two wins. Without a length, mono (speech is).
    """
    told = int(settings.get("pcm_channels", 0) or 0)
    if told in (1, 2):
        return told
    if not seconds or seconds <= 0:
        return 1
    frames_mono = size / 2 / rate
    return 1 if abs(frames_mono - seconds) <= abs(frames_mono / 2 - seconds) else 2


def bytes_per_second(output_format: str) -> float:
    kind, _, rest = output_format.partition("_")
    parts = rest.split("_")
    if kind == "pcm":
        return int(parts[0]) * 2
    if len(parts) > 1 and parts[1].isdigit():
        return int(parts[1]) * 1000 / 8
    return 24000.0


def error(name: str, exc: BaseException, key_hint: str) -> ProviderError:
    """An ElevenLabs failure in the job manager's terms, with the service's own message."""
    from elevenlabs.core.api_error import ApiError

    if isinstance(exc, ProviderError):
        return exc
    if not isinstance(exc, ApiError):
        return network_error(name, exc)
    code = exc.status_code or 0
    body = exc.body if isinstance(exc.body, dict) else {}
    detail = body.get("detail")
    status = detail.get("status") if isinstance(detail, dict) else None
    message = (detail.get("message") if isinstance(detail, dict) else None) or str(exc.body or f"HTTP {code}")
    headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
    try:
        hint = float(headers["retry-after"]) if "retry-after" in headers else None
    except ValueError:
        hint = None
    if code == 422 and isinstance(detail, list):
        said = "; ".join(f"{'.'.join(str(x) for x in d.get('loc', []))}: {d.get('msg')}" for d in detail)
        return permanent(f"{name}: the request was refused: {said}")
    if code == 429 and status == "too_many_concurrent_requests":
        return transient(
            f"{name}: more generations at once than the plan allows ({message}); lower providers.concurrency", hint
        )
    if code == 429:
        return transient(f"{name}: the service is busy ({message})", hint)
    if status in ("bad_prompt", "bad_composition_plan"):
        data = detail.get("data") if isinstance(detail, dict) else None
        data = data if isinstance(data, dict) else {}
        suggestion = data.get("prompt_suggestion") or data.get("composition_plan_suggestion")
        return permanent(f"{name}: {message}", suggestion=str(suggestion) if suggestion else None)
    if status == "quota_exceeded" or code == 402:
        return permanent(f"{name}: quota exceeded: {message}")
    if code in (401, 403):
        return permanent(f"{name}: the API key was refused ({message}); {key_hint}")
    if code >= 500 or code in (408, 409):
        return transient(f"{name}: the service failed (HTTP {code}: {message})", hint)
    return permanent(f"{name}: HTTP {code}: {message}")


class ElevenLabsProvider(Provider):
    """What the two ElevenLabs providers share: the key, the endpoint, the client, the errors."""

    remote = True  # its SDK runs in the network process when the daemon has one

    def __init__(self, config=None) -> None:
        self.settings = CloudSettings(config, self.name, "elevenlabs")
        self._client = None

    def unavailable(self) -> str | None:
        if not self.settings.key:
            return f"no ElevenLabs API key ({self.settings.key_hint})"
        if importlib.util.find_spec("elevenlabs") is None:  # looked for, not imported: that is slow
            return "the elevenlabs package is not installed (pip install elevenlabs)"
        return None

    def client(self):
        """One client for the provider's life: its connection pool and TLS setup are made once."""
        if self._client is None:
            from elevenlabs import AsyncElevenLabs

            kwargs = {"api_key": self.settings.key}
            if self.settings.base_url:
                kwargs["base_url"] = self.settings.base_url
            self._client = AsyncElevenLabs(**kwargs)
        return self._client

    def warm(self) -> None:
        self.client()

    def fail(self, exc: BaseException) -> ProviderError:
        return error(self.name, exc, self.settings.key_hint)

    async def collect(self, chunks, expected: float, progress) -> bytes:
        """The audio bytes of a streamed answer, reporting progress as they come."""
        data = bytearray()
        async for chunk in chunks:
            data += chunk
            if expected > 0:
                progress(min(0.99, len(data) / expected), f"{len(data) // 1024} KiB received")
        return bytes(data)


REQUEST_OPTIONS = {"max_retries": 0}
