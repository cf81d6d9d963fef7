"""Splitting a pad's loop into stems on other pads: bar-exact and in phase with it, starting together on its next
quantum as it stops there (one undo step brings it back), each at the original's gain and pan, with no
loudness normalisation (they must add up). Offline (no key): two stems, drums and other (`loops.stems`)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from padserver.actions import checks
from padserver.actions.checks import ActionError
from padserver.engine import commands as cmd
from padserver.library.store import LibraryError
from padserver.providers.jobs import ProviderError

if TYPE_CHECKING:
    from padserver.actions.core import Actions

log = logging.getLogger("padserver.stems")

OPTIONS = {"stems": int, "onto": str, "provider": str}
CATEGORY = {"drums": "drums", "bass": "bass", "vocals": "vocals"}  # a stem's library category (else its loop's)
PROVIDERS = {"offline": "offline", "local": "offline", "elevenlabs": "elevenlabs", "elevenlabs-stems": "elevenlabs"}
MODELS = {"offline": "padserver-split-1 (median-filtered spectrogram)"}


def _split(audio):
    """Worker: the offline split."""
    from padserver.loops.stems import split_two

    return split_two(audio)


def _write_source(audio, rate: int, folder: str) -> tuple[str, float]:
    """Worker: the loop as a WAV named for its content (the cache's key), and its length in seconds."""
    import hashlib
    import os

    import soundfile as sf

    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"split-{hashlib.sha1(audio.tobytes()).hexdigest()[:20]}.wav")
    if not os.path.exists(path):
        sf.write(path + ".part", audio.T, rate, subtype="FLOAT", format="WAV")
        os.replace(path + ".part", path)
    return path, audio.shape[1] / rate


def _fit(audio, takes, rate: int, count: int):
    """Worker: the separator's stems fitted to the loop (`loops.stem_fit`); its take files are done with."""
    import contextlib
    import os

    from padserver.loops.stem_fit import fit_stems

    try:
        return fit_stems(audio, takes, rate, count)
    finally:
        for _, (source, *_rest) in takes:
            if isinstance(source, str):
                with contextlib.suppress(OSError):
                    os.remove(source)


def _who(a: Actions, asked: str | None) -> str:
    """Who splits: the one asked for, else the config's (``providers.stems``; auto: ElevenLabs with a key)."""
    chosen = asked or str(getattr(getattr(a.generation, "settings", None), "stems", "auto") or "auto")
    if chosen == "auto":
        gen = a.generation
        usable = gen is not None and gen.provider("elevenlabs-stems").unavailable() is None
        return "elevenlabs" if usable else "offline"
    if chosen not in PROVIDERS:
        raise ActionError(f"provider= is offline or elevenlabs for stems (got {chosen!r})")
    return PROVIDERS[chosen]


async def split(actions: Actions, number: object, options: list) -> list[int]:
    """Split the pad's loop; the pads the stems went to, in the house order (drums, bass, vocals … other)."""
    from padserver.actions.live_mode import parse_pads

    a = actions
    pad = a.pad_of(number)
    if pad.loop_id is None or not pad.has_audio or pad.mode == cmd.LIVE:
        raise ActionError(f"pad {pad.number} has no loop to split")
    opts = checks.key_values(options, OPTIONS, "split")
    count = checks.whole(opts.get("stems", 2), "stems", 2, 6)
    asked = checks.text(opts["provider"], "provider", 40).strip() if "provider" in opts else None
    provider = _who(a, asked)
    if provider == "offline" and count != 2:
        raise ActionError("the offline split makes 2 stems (drums and other): stems=2, or provider=elevenlabs")
    if count not in (2, 4, 6):
        raise ActionError(f"stems= is 2, 4 or 6 (got {count})")
    if provider == "elevenlabs":
        reason = a.needed("generation", "stem separation is").provider("elevenlabs-stems").unavailable()
        if reason is not None:
            raise ActionError(f"elevenlabs-stems is unavailable: {reason} (provider=offline splits into 2)")
    targets = _targets(a, pad.number, parse_pads(opts["onto"]) if "onto" in opts else None, count)
    try:
        loop = a.library.get(pad.loop_id)
        audio, info = await a.library.prepared(loop, a.recipe(loop))  # what the pad plays
    except LibraryError as exc:
        raise ActionError(str(exc)) from None
    pool = getattr(a.library, "pool", None)
    kept: list | None = None
    figures: dict = {}
    if provider == "offline":
        stems = await pool.run(_split, audio) if pool is not None else _split(audio)
        model, watermark = MODELS["offline"], None
    else:
        stems, kept, figures, job = await _separate(a, loop, audio, info, count)
        model, watermark = job.result.provenance.get("model"), job.result.provenance.get("watermark")
        if job.result.provenance.get("c2pa") is not None:
            figures = {**figures, "c2pa": job.result.provenance["c2pa"]}
    if kept is None:
        kept = await _keep(a, loop, info, stems, count, provider, model, watermark, figures)
        if provider != "offline":
            job.result.provenance.setdefault("kept", {})[str(count)] = [k.id for k in kept]
    _put(a, pad, targets, kept, list(stems.values()), info)
    log.info(
        "pad %d: split by %s into %s on pads %s%s", pad.number, provider, ", ".join(stems), targets,
        f" (the separator left {figures['residual_db']:g} dB, into {list(stems)[-1]})" if figures else "",
    )  # fmt: skip
    return targets


async def _separate(a: Actions, loop, audio, info: dict, count: int):
    """ElevenLabs' stems for the loop through the job manager (the same loop and variation: from its cache)."""
    from padserver.loops.stem_fit import VARIATIONS, merged
    from padserver.providers.base import Request

    gen = a.needed("generation", "stem separation is")
    rate = a.engine.sample_rate
    folder = gen.scratch
    pool = a.library.pool
    source, seconds = await pool.run(_write_source, audio, rate, folder)
    request = Request(
        prompt=f"stems of loop {loop.id}",
        bpm=info["bpm"],
        bars=info["bars"],
        extras={"source": source, "variation": VARIATIONS[count], "seconds": round(seconds, 3)},
    )
    try:
        job = gen.jobs.submit(gen.provider("elevenlabs-stems"), request, None)
    except ProviderError as exc:
        raise ActionError(str(exc)) from None
    await asyncio.shield(job.task)
    if job.state != "done" or job.result is None:
        raise ActionError(f"the stems did not come: {job.message}")
    result = job.result
    for made, ids in result.provenance.get("kept", {}).items():  # split before: its stems are in the library
        if not all(a.library.exists(i) for i in ids):
            continue
        kept = [a.library.get(i) for i in ids]
        names = [(k.provenance.get("params") or {}).get("stem") or f"stem{i + 1}" for i, k in enumerate(kept)]
        stems = {name: await a.library.rendition(k) for name, k in zip(names, kept, strict=True)}
        if int(made) == count:
            return stems, kept, {}, job
        return merged(stems, count), None, {}, job  # (six kept, four asked: the same answer, merged)
    takes = [(t.name or f"stem{i + 1}", (t.path or t.data, t.format, t.sample_rate, t.channels))
             for i, t in enumerate(result.takes)]  # fmt: skip
    try:
        stems, figures = await pool.run(_fit, audio, takes, rate, count)
    except Exception as exc:  # an unreadable answer: asking again asks the service
        gen.jobs.forget(job)
        raise ActionError(f"the stems could not be read: {exc}") from None
    log.info("elevenlabs-stems: %s; residual %.1f dB below the loop", ", ".join(stems), figures["residual_db"])
    return stems, None, figures, job


async def _keep(
    a: Actions, loop, info: dict, stems: dict, count: int, provider: str, model, watermark, figures: dict
) -> list:
    kept = []
    for name, stem in stems.items():
        meta = {
            "name": f"{loop.name[:48]} {name}",
            "category": CATEGORY.get(name, loop.category),
            "bpm": info["bpm"],
            "key": loop.key,
            "bars": info["bars"],
            "source": "generated",
            "provider": "offline" if provider == "offline" else "elevenlabs-stems",
            "model": model,
            "prompt": f"{name} of loop {loop.id}",
            "params": {"parent": loop.id, "stem": name, "stems": count, **figures},
            "seed": None,
            "watermark": watermark,
        }
        try:  # (kept as it plays: no preparation, no loudness step)
            kept.append(await a.library.add_generated(stem, a.engine.sample_rate, meta, None))
        except LibraryError as exc:
            raise ActionError(f"the stems could not be kept: {exc}") from None
    return kept


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
    before = [(n, a.project.pad(n).loop_id, a.project.pad(n).gain, a.project.pad(n).pan, a.project.pad(n).group)
              for n in targets]  # fmt: skip
    used = {p.group for p in a.project.pads if p.number not in targets}
    group = next((g for g in range(1, len(a.project.pads) + 1) if g not in used), 0)
    _swap(a, pad, targets, loops, audios, info, group)
    original = pad.number

    async def undo() -> None:
        for n, loop_id, gain, pan, was in before:
            target = a.project.pad(n)
            if loop_id is None:
                a.pad_clear(n)  # type: ignore[attr-defined]
            else:
                await a.pad_load(n, loop_id)  # type: ignore[attr-defined]
            target.gain, target.pan, target.group = gain, pan, was
            a.changed(n, "group", was)
        a.send_gains()
        if playing:
            a.pad_play(original)

    a.history.record(f"pad {original} split", undo, lambda: _swap(a, pad, targets, loops, audios, info, group))


def _swap(a: Actions, pad, targets: list[int], loops, audios, info: dict, group: int) -> None:
    quantum = a.quantum_of(pad)
    playing = pad.sounding
    with a.history.paused():
        for n, loop, audio in zip(targets, loops, audios, strict=True):
            target = a.project.pad(n)
            a.put_prepared(target, loop, audio, info, quantum=quantum)  # type: ignore[attr-defined]
            target.name = loop.name
            a.changed(n, "name", target.name)
            target.gain, target.pan = pad.gain, pad.pan  # (as the original sounded: they add up to it)
            target.group = group  # (they move together: a scene launch, /group/n/play|stop)
            a.changed(n, "gain", target.gain)
            a.changed(n, "pan", target.pan)
            a.changed(n, "group", group)
        a.send_gains()
        if playing:  # together on the quantum, in phase with the original, which stops there
            a.engine.send(cmd.TakeOver(tuple(n - 1 for n in targets), pad.number - 1, quantum))
