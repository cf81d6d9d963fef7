"""Content Credentials (C2PA) in a provider's answer: who made it (the claim generator), who signed it, when,
what it asserts (an AI-made source, the actions taken), and whether the signature holds — read with
``c2pa-python`` and kept with the take's provenance. ElevenLabs signs MP3 answers when asked (``c2pa: true``).

A signer the C2PA trust list does not know is reported as such ("untrusted"), not refused: the manifest is
kept either way, and what was found wrong is said in its ``problems``.
"""

from __future__ import annotations

import io
import json
import logging

log = logging.getLogger("padserver.providers")

MIME = {"mp3": "audio/mpeg", "wav": "audio/wav", "flac": "audio/flac", "mp4": "audio/mp4"}


def read_manifest(data: bytes, fmt: str) -> dict | None:
    """The active C2PA manifest of an answer in format ``fmt`` (mp3 …), summed up; None when it has none (or
    the format cannot carry one, or c2pa-python is not installed)."""
    mime = MIME.get(fmt)
    if mime is None or not data:
        return None
    try:
        import c2pa
    except ImportError:
        return None
    try:
        with c2pa.Reader(mime, io.BytesIO(data)) as reader:
            store = json.loads(reader.json())
    except Exception as exc:  # (no manifest is the usual case: the reader says so with an error)
        if "ManifestNotFound" not in f"{type(exc).__name__} {exc}" and "JumbfNotFound" not in str(exc):
            log.info("a C2PA manifest could not be read: %s", exc)
        return None
    manifest = store.get("manifests", {}).get(store.get("active_manifest") or "", {})
    if not manifest:
        return None
    generator = manifest.get("claim_generator_info") or []
    signature = manifest.get("signature_info") or {}
    failures = [s.get("code") for s in store.get("validation_status") or [] if s.get("code")]
    return {
        "claim_generator": ", ".join(
            " ".join(str(g.get(k, "")) for k in ("name", "version")).strip() for g in generator if isinstance(g, dict)
        )
        or manifest.get("claim_generator"),
        "signer": signature.get("common_name") or signature.get("issuer"),
        "issuer": signature.get("issuer"),
        "signed_at": signature.get("time"),
        "algorithm": signature.get("alg"),
        "title": manifest.get("title"),
        "assertions": [{"label": a.get("label"), "data": a.get("data")} for a in manifest.get("assertions") or []],
        "validation": store.get("validation_state") or ("Invalid" if failures else "Valid"),
        "problems": failures,
    }


def watermark(manifest: dict | None, fallback: str | None = None) -> str | None:
    """How a take's marks are recorded: "C2PA (signer, state)" with a manifest, else ``fallback``."""
    if not manifest:
        return fallback
    trust = "untrusted signer" if "signingCredential.untrusted" in manifest["problems"] else manifest["validation"]
    return f"C2PA ({manifest['signer'] or 'unknown signer'}, {trust})"
