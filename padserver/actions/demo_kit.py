"""``padserver run --demo``: sixteen pads of a starter kit from the offline generator.

One harmonic plan for the whole kit (a progression chosen once, every pitched
pad on it), and each pair of pads an A and a B part rather than two copies.
All sixteen are made at once in the worker (rendered, kept in the library and
prepared for the project's tempo in one trip each) and each pad is loaded as
soon as its loop is ready.
"""

from __future__ import annotations

import asyncio
import logging
import time
from types import SimpleNamespace

import numpy as np

from padserver.providers.base import Request
from padserver.providers.offline import OfflineProvider, plan, synth

log = logging.getLogger("padserver.demo")

# (instrument, category, variation, bars) across the grid: rhythm on the top row, low end and harmony below,
# colour last; the two fx are a riser that lands on the bar after its two (its third rings out) and an impact
KIT = [
    ("drums", "drums", 0, 4), ("drums", "drums", 1, 4), ("percussion", "drums", 0, 4), ("percussion", "drums", 1, 4),
    ("bass", "bass", 0, 4), ("bass", "bass", 1, 4), ("chords", "keys", 0, 4), ("chords", "keys", 1, 4),
    ("pad", "synth", 0, 4), ("arp", "synth", 0, 4), ("lead", "synth", 0, 4), ("lead", "synth", 1, 4),
    ("pad", "synth", 1, 4), ("arp", "synth", 1, 4), ("fx", "fx", 0, 3), ("fx", "fx", 1, 2),
]  # fmt: skip
ONE_SHOTS = {15, 16}
KIT_GAINS_DB = {2: -3.0, 3: -4.0, 4: -4.0}  # the kit's mix: the top loop and the percussion under the beat


def kit_choices(genre: str, key: str, tempo: float, seed: int) -> list[dict]:
    """What the generator is asked for on each pad: the kit's one progression, each pad's part and variation."""
    _, minor = synth.parse_key(key)
    degrees = synth.choose_progression(minor, np.random.default_rng(seed))
    out = []
    for pad, (instrument, _category, variation, bars) in enumerate(KIT, 1):
        request = Request(
            prompt=f"{genre} {instrument}",
            genre=genre,
            instrument=instrument,
            key=key,
            bpm=tempo,
            bars=bars,
            seed=seed * 100 + pad,
        )
        out.append({**plan(request), "progression": degrees, "variation": variation})
    return out


def make_pad(choices: dict, meta: dict, data_dir: str, rate: int, recipe: dict) -> dict:
    """Worker: render one pad's loop, keep it in the library and prepare it for the pad (what pad_load reads)."""
    from padserver.library.importer import store_generated
    from padserver.library.prepared import prepare_loop
    from padserver.providers.offline import render_take

    stored = store_generated(render_take(choices, 0, rate), rate, data_dir, rate, meta)
    prepare_loop(data_dir, stored["file"], stored["hash"], rate, recipe)
    return stored


async def fill(actions, genre: str = "house", key: str = "Am", seed: int = 1) -> None:
    """Generate the kit at the project tempo and load it onto the pads (stopped), each as it is ready."""
    t0 = time.monotonic()
    provider = OfflineProvider()
    library = actions.library
    tempo = actions.project.tempo
    key_name = synth.key_name(*synth.parse_key(key))

    async def one(pad: int, choices: dict) -> None:
        instrument, category, _variation, bars = KIT[pad - 1]
        meta = {
            "name": f"{genre} {instrument} {pad}",
            "category": category,
            "bpm": tempo,
            "key": key_name,
            "bars": bars,
            "provider": provider.name,
            "model": provider.model,
            "prompt": f"{genre} {instrument}",
            "params": choices,
            "seed": choices["seed"],
            "watermark": None,
        }
        known = SimpleNamespace(bpm=tempo, bars=bars, source="generated", category=category)
        recipe = actions.recipe(known)  # as pad_load will ask for it, so it finds it made
        stored = await library.pool.run(make_pad, choices, meta, library.data_dir, library.rate, recipe)
        loop = library.add_stored(stored)
        await actions.pad_load(pad, loop.id)
        actions.pad_name(pad, f"{instrument} {pad}")
        if pad in KIT_GAINS_DB:
            actions.pad_gain(pad, round(10 ** (KIT_GAINS_DB[pad] / 20), 4))
        if pad in ONE_SHOTS:
            actions.pad_mode(pad, "oneshot")

    made = kit_choices(genre, key, tempo, seed)
    actions.set_key(key)  # the project's key is the kit's: live pads and new loops play in it
    results = await asyncio.gather(*(one(pad, choices) for pad, choices in enumerate(made, 1)), return_exceptions=True)
    for pad, result in enumerate(results, 1):
        if isinstance(result, Exception):
            log.error("demo kit: pad %d could not be made: %s", pad, result)
    actions.history.clear()
    log.info("demo kit on the pads (%s in %s at %g BPM) in %.1f s", genre, key, tempo, time.monotonic() - t0)
