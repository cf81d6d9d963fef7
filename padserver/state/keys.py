"""Musical keys as musicians write them: "Am", "F#", "Eb minor", "C major"; "none" for no key."""

from __future__ import annotations

import re

NOTES = {"c": 0, "c#": 1, "db": 1, "d": 2, "d#": 3, "eb": 3, "e": 4, "f": 5, "f#": 6, "gb": 6, "g": 7,
         "g#": 8, "ab": 8, "a": 9, "a#": 10, "bb": 10, "b": 11}  # fmt: skip
NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_KEY = re.compile(r"\s*([a-gA-G])([#b]?)\s*(m|min|minor|maj|major)?\s*")


def parse_key(key: str | None) -> tuple[int, bool]:
    """(root pitch class, minor) from "Am", "F#", "Eb minor", "C major"; A minor when absent."""
    if not key:
        return 9, True
    m = _KEY.fullmatch(key)
    if not m:
        raise ValueError(f"key must look like Am, F#, Eb minor or C major (got {key!r})")
    root = NOTES[(m.group(1) + m.group(2)).lower()]
    return root, (m.group(3) or "").lower() in ("m", "min", "minor")


def key_name(root: int, minor: bool) -> str:
    return NAMES[root % 12] + ("m" if minor else "")


def normal_key(key: str) -> str:
    """A key written the one way padserver shows it ("a minor" → "Am"); "" for none."""
    if key.strip().lower() in ("", "none"):
        return ""
    return key_name(*parse_key(key))
