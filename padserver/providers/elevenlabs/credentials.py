"""The Content Credentials of an ElevenLabs answer kept with its provenance (`providers.content_credentials`)."""

from __future__ import annotations

from padserver.providers.content_credentials import read_manifest, watermark


def credentials(provenance: dict, takes: list) -> dict:
    """``provenance`` with the first take's C2PA manifest that is found (``c2pa``) and the watermark it makes."""
    for take in takes:
        manifest = read_manifest(take.data or b"", take.format)
        if manifest is not None:
            return {**provenance, "c2pa": manifest, "watermark": watermark(manifest, provenance.get("watermark"))}
    return provenance
