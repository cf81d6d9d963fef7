"""``padserver run --demo``: sixteen pads of a coherent starter kit from the offline generator."""

from __future__ import annotations

import logging
import time

from padserver.providers.base import Request
from padserver.providers.offline import OfflineProvider, plan, synth

log = logging.getLogger("padserver.demo")

# (instrument, category) across the grid: rhythm on the top row, low end and harmony below, colour last
KIT = [
    ("drums", "drums"), ("drums", "drums"), ("percussion", "drums"), ("percussion", "drums"),
    ("bass", "bass"), ("bass", "bass"), ("chords", "keys"), ("chords", "keys"),
    ("pad", "synth"), ("arp", "synth"), ("lead", "synth"), ("lead", "synth"),
    ("pad", "synth"), ("arp", "synth"), ("fx", "fx"), ("fx", "fx"),
]  # fmt: skip


async def fill(actions, genre: str = "house", key: str = "Am", seed: int = 1) -> None:
    """Generate the kit at the project tempo and load it onto the pads (stopped)."""
    t0 = time.monotonic()
    provider = OfflineProvider()
    tempo = actions.project.tempo
    for pad, (instrument, category) in enumerate(KIT, 1):
        request = Request(
            prompt=f"{genre} {instrument}",
            genre=genre,
            instrument=instrument,
            key=key,
            bpm=tempo,
            bars=4 if instrument != "fx" else 2,
            seed=seed * 100 + pad,
        )
        choices = plan(request)
        audio = await actions.library.pool.run(_render, choices)
        meta = {
            "name": f"{genre} {instrument} {pad}",
            "category": category,
            "bpm": tempo,
            "key": synth.key_name(*synth.parse_key(key)),
            "bars": choices["bars"],
            "provider": provider.name,
            "model": provider.model,
            "prompt": request.prompt,
            "params": choices,
            "seed": choices["seed"],
            "watermark": None,
        }
        loop = await actions.library.add_generated(audio, 48000, meta)
        await actions.pad_load(pad, loop.id)
        actions.pad_name(pad, f"{instrument} {pad}")
        if instrument in ("fx", "lead"):
            actions.pad_mode(pad, "oneshot" if instrument == "fx" else "loop")
    actions.history.clear()
    log.info("demo kit on the pads (%s in %s at %g BPM) in %.1f s", genre, key, tempo, time.monotonic() - t0)


def _render(choices: dict):
    from padserver.providers.offline import render_take

    return render_take(choices, 0)
