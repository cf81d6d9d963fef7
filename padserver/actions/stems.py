"""Splitting a pad's loop into stems on other pads: bar-exact and in phase with it, starting together on its next
quantum as it stops there (one undo step brings it back), each at the original's gain and pan, with no
loudness normalisation (they must add up). Offline (no key): two stems, drums and other (`loops.stems`)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from padserver.actions import checks
from padserver.actions.checks import ActionError
from padserver.engine import commands as cmd
from padserver.library.store import LibraryError

if TYPE_CHECKING:
    from padserver.actions.core import Actions

log = logging.getLogger("padserver.stems")

OPTIONS = {"stems": int, "onto": str, "provider": str}
CATEGORY = {"drums": "drums", "bass": "bass", "vocals": "vocals"}  # a stem's library category (else its loop's)


def _split(audio):
    """Worker: the offline split."""
    from padserver.loops.stems import split_two

    return split_two(audio)


async def split(actions: Actions, number: object, options: list) -> list[int]:
    """Split the pad's loop; the pads the stems went to, in the order drums, other."""
    from padserver.actions.live_mode import parse_pads

    a = actions
    pad = a.pad_of(number)
    if pad.loop_id is None or not pad.has_audio or pad.mode == cmd.LIVE:
        raise ActionError(f"pad {pad.number} has no loop to split")
    opts = checks.key_values(options, OPTIONS, "split")
    count = checks.whole(opts.get("stems", 2), "stems", 2, 6)
    provider = checks.text(opts.get("provider", "offline"), "provider", 40).strip()
    if provider != "offline":
        raise ActionError(f"stems from {provider} are not available yet: provider=offline splits into 2")
    if count != 2:
        raise ActionError("the offline split makes 2 stems (drums and other): stems=2")
    targets = _targets(a, pad.number, parse_pads(opts["onto"]) if "onto" in opts else None, count)
    try:
        loop = a.library.get(pad.loop_id)
        audio, info = await a.library.prepared(loop, a.recipe(loop))  # what the pad plays
    except LibraryError as exc:
        raise ActionError(str(exc)) from None
    pool = getattr(a.library, "pool", None)
    stems = await pool.run(_split, audio) if pool is not None else _split(audio)
    kept = []
    for name, stem in stems.items():
        meta = {
            "name": f"{loop.name[:48]} {name}",
            "category": CATEGORY.get(name, loop.category),
            "bpm": info["bpm"],
            "key": loop.key,
            "bars": info["bars"],
            "source": "generated",
            "provider": "offline",
            "model": "padserver-split-1 (median-filtered spectrogram)",
            "prompt": f"{name} of loop {loop.id}",
            "params": {"parent": loop.id, "stem": name, "stems": count},
            "seed": None,
            "watermark": None,
        }
        try:  # (kept as it plays: no preparation, no loudness step)
            kept.append(await a.library.add_generated(stem, a.engine.sample_rate, meta, None))
        except LibraryError as exc:
            raise ActionError(f"the stems could not be kept: {exc}") from None
    _put(a, pad, targets, kept, list(stems.values()), info)
    log.info("pad %d: split into %s on pads %s", pad.number, ", ".join(stems), targets)
    return targets


def _targets(a: Actions, own: int, named: list[int] | None, count: int) -> list[int]:
    if named is not None:
        if len(named) != count or own in named:
            raise ActionError(f"onto names {count} pads other than pad {own} (got {named})")
        for n in named:
            if a.project.pad(n).mode == cmd.LIVE or a.project.pad(n).generating:
                raise ActionError(f"pad {n} is a live pad or generating: name others")
        return named
    free = [p.number for p in a.project.pads if p.number != own and p.state == "empty" and p.mode != cmd.LIVE
            and not p.generating and not p.keep]  # fmt: skip
    if len(free) < count:
        raise ActionError(f"{count} empty pads are needed for the stems ({len(free)} free): name them with onto=")
    return free[:count]


def _put(a: Actions, pad, targets: list[int], loops, audios, info: dict) -> None:
    """The stems onto their pads, starting on the original's next quantum as it stops there: one undo step."""
    playing = pad.sounding
    before = [(n, a.project.pad(n).loop_id, a.project.pad(n).gain, a.project.pad(n).pan) for n in targets]
    _swap(a, pad, targets, loops, audios, info)
    original = pad.number

    async def undo() -> None:
        for n, loop_id, gain, pan in before:
            target = a.project.pad(n)
            if loop_id is None:
                a.pad_clear(n)  # type: ignore[attr-defined]
            else:
                await a.pad_load(n, loop_id)  # type: ignore[attr-defined]
            target.gain, target.pan = gain, pan
        a.send_gains()
        if playing:
            a.pad_play(original)

    a.history.record(f"pad {original} split", undo, lambda: _swap(a, pad, targets, loops, audios, info))


def _swap(a: Actions, pad, targets: list[int], loops, audios, info: dict) -> None:
    quantum = a.quantum_of(pad)
    playing = pad.sounding
    with a.history.paused():
        for n, loop, audio in zip(targets, loops, audios, strict=True):
            target = a.project.pad(n)
            a.put_prepared(target, loop, audio, info, quantum=quantum)  # type: ignore[attr-defined]
            target.name = loop.name
            a.changed(n, "name", target.name)
            target.gain, target.pan = pad.gain, pad.pan  # (as the original sounded: they add up to it)
            a.changed(n, "gain", target.gain)
            a.changed(n, "pan", target.pan)
        a.send_gains()
        if playing:  # together on the quantum, in phase with the original, which stops there
            a.engine.send(cmd.TakeOver(tuple(n - 1 for n in targets), pad.number - 1, quantum))
