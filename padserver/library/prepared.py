"""Prepared loops on disk: a library loop fitted to a tempo and bar count, kept for the next time.

A prepared loop depends on the source audio (its hash), the engine rate, the
tempo, the bars, the time signature, where it starts (a known downbeat or
none) and the preparation settings; all of that names its file, so going back
to an earlier tempo or opening a project again costs nothing. Like the
renditions it is a cache: rebuilt from the stored original when missing.
"""

from __future__ import annotations

import hashlib
import json
import os

import numpy as np

from padserver.files import atomic_file

PREPARED_DIR = os.path.join("library", "prepared")


def prepared_path(data_dir: str, digest: str, rate: int, recipe: dict) -> str:
    key = hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]
    return os.path.join(data_dir, PREPARED_DIR, digest[:2], f"{digest}-{rate}-{key}.npy")


def cached(data_dir: str, digest: str, rate: int, recipe: dict) -> dict | None:
    """What ``prepare_loop`` made before for this loop and recipe, or None (cheap: no worker needed)."""
    path = prepared_path(data_dir, digest, rate, recipe)
    info_path = path[:-4] + ".json"
    if not (os.path.exists(path) and os.path.exists(info_path)):
        return None
    try:
        with open(info_path, encoding="utf-8") as fh:
            info = json.load(fh)
    except (OSError, ValueError):
        return None  # damaged: made again
    info["path"] = path
    info["cached"] = True
    return info


def prepare_loop(data_dir: str, stored: str, digest: str, rate: int, recipe: dict) -> dict:
    """Worker: prepare a stored loop as ``recipe`` says, keep it, and say what was made (with its path)."""
    from padserver.library.analysis import overview
    from padserver.library.importer import make_rendition
    from padserver.loops.prepare import prepare_recipe

    path = prepared_path(data_dir, digest, rate, recipe)
    info_path = path[:-4] + ".json"
    known = cached(data_dir, digest, rate, recipe)
    if known is not None:
        return known
    audio = np.load(make_rendition(data_dir, stored, digest, rate))
    prepared = prepare_recipe(audio, rate, recipe)
    with atomic_file(path, durable=False) as fh:
        np.save(fh, prepared.audio)
    info = prepared.info()
    info["overview"] = overview(prepared.audio.mean(axis=0))  # (min, max) pairs, for drawing the pad's loop
    with atomic_file(info_path, durable=False) as fh:
        fh.write(json.dumps(info).encode())
    info["path"] = path
    info["cached"] = False
    return info
