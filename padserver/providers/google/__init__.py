"""Google Lyria through the ``google-genai`` SDK: clips (generate content) and RealTime (a live session).

The SDK is imported only when a generation runs; it does not retry by
default, so the job manager's policy is the only one.
"""

from __future__ import annotations

import importlib.util
import re

from padserver.providers.base import Provider
from padserver.providers.cloud import CloudSettings, network_error, permanent, transient
from padserver.providers.jobs import ProviderError


def _seconds(text: str) -> float | None:
    m = re.fullmatch(r"\s*([\d.]+)s\s*", str(text))
    return float(m.group(1)) if m else None


def error(name: str, exc: BaseException, key_hint: str) -> ProviderError:
    """A Google API failure in the job manager's terms: RetryInfo is a hint, a per-day quota stops."""
    from google.genai import errors

    if isinstance(exc, ProviderError):
        return exc
    if not isinstance(exc, errors.APIError):
        return network_error(name, exc)
    code = exc.code or 0
    message = exc.message or str(exc)
    body = exc.details if isinstance(exc.details, dict) else {}
    details = (body.get("error") or {}).get("details") or [] if isinstance(body.get("error"), dict) else []
    hint = None
    per_day = False
    for d in details if isinstance(details, list) else []:
        kind = str(d.get("@type", ""))
        if kind.endswith("RetryInfo"):
            hint = _seconds(d.get("retryDelay", ""))
        if kind.endswith("QuotaFailure"):
            for v in d.get("violations") or []:
                if "perday" in str(v.get("quotaId", "")).replace("_", "").lower():
                    per_day = True
    if code >= 1000:  # a WebSocket close code: the session ended under us
        return transient(f"{name}: the session closed (code {code}: {message})")
    if code == 429 and per_day:
        return permanent(f"{name}: today's quota is used up ({message})")
    if code == 429:
        return transient(f"{name}: rate limited ({message})", hint)
    if code in (401, 403):
        return permanent(f"{name}: the API key was refused ({message}); {key_hint}")
    if code >= 500 or code == 408:
        return transient(f"{name}: the service failed (HTTP {code}: {message})", hint)
    return permanent(f"{name}: HTTP {code} {exc.status or ''}: {message}".replace("  ", " "))


class GoogleProvider(Provider):
    remote = True  # its SDK runs in the network process when the daemon has one

    def __init__(self, config=None) -> None:
        self.settings = CloudSettings(config, self.name, "google")
        self._client = None

    def unavailable(self) -> str | None:
        if not self.settings.key:
            return f"no Google API key ({self.settings.key_hint})"
        try:
            found = importlib.util.find_spec("google.genai") is not None  # looked for, not imported: that is slow
        except ModuleNotFoundError:
            found = False
        if not found:
            return "the google-genai package is not installed (pip install google-genai)"
        return None

    def client(self):
        """One client for the provider's life: its connection pool and TLS setup are made once."""
        if self._client is None:
            from google import genai
            from google.genai import types

            options = types.HttpOptions(base_url=self.settings.base_url or None, api_version="v1beta")
            self._client = genai.Client(api_key=self.settings.key, http_options=options)
        return self._client

    def warm(self) -> None:
        self.client()
        from google.genai import types  # noqa: F401  (the models the answers are parsed into)

    def fail(self, exc: BaseException) -> ProviderError:
        return error(self.name, exc, self.settings.key_hint)


SCALES = (
    "C_MAJOR_A_MINOR",
    "D_FLAT_MAJOR_B_FLAT_MINOR",
    "D_MAJOR_B_MINOR",
    "E_FLAT_MAJOR_C_MINOR",
    "E_MAJOR_D_FLAT_MINOR",
    "F_MAJOR_D_MINOR",
    "G_FLAT_MAJOR_E_FLAT_MINOR",
    "G_MAJOR_E_MINOR",
    "A_FLAT_MAJOR_F_MINOR",
    "A_MAJOR_G_FLAT_MINOR",
    "B_FLAT_MAJOR_G_MINOR",
    "B_MAJOR_A_FLAT_MINOR",
)


def scale_of(key: str | None) -> str:
    """Lyria's scale for a key: the major key and its relative minor share one ("Am" → C_MAJOR_A_MINOR)."""
    if not key:
        return "SCALE_UNSPECIFIED"
    from padserver.providers.offline.synth import parse_key

    root, minor = parse_key(key)
    major = (root + 3) % 12 if minor else root
    return SCALES[major]
