"""Generating loops for pads: requests, jobs, takes, regenerate, cancel."""

from __future__ import annotations

import asyncio
import logging
import random
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from padserver.actions import checks
from padserver.actions.checks import ActionError
from padserver.providers import registry
from padserver.providers.base import PROVIDER_EXTRAS, Request
from padserver.providers.jobs import Job, JobManager, ProviderError, RetryPolicy
from padserver.tasks import spawn

log = logging.getLogger("padserver.generate")

OPTIONS = {
    "provider": str,
    "bars": int,
    "bpm": float,
    "key": str,
    "genre": str,
    "instrument": str,
    "mood": str,
    "takes": int,
    "seed": int,
    "instrumental": int,
}
Put = Callable[[int, int], Awaitable[None]]  # (pad, loop id): where a job's loop goes instead of onto its pad
EXTRAS = PROVIDER_EXTRAS  # provider-specific settings, passed in the request's extras


# every option's range, declared once (Lyria RealTime's own ranges for its settings); text at most TEXT_CHARS
RANGES: dict[str, tuple[float, float]] = {
    "bars": (1, 64),
    "takes": (1, 8),
    "bpm": (20, 300),
    "seed": (0, 2**31 - 1),
    "instrumental": (0, 1),
    "density": (0, 1),
    "brightness": (0, 1),
    "guidance": (0, 6),
    "temperature": (0, 3),
    "top_k": (1, 1000),
    "mute_bass": (0, 1),
    "mute_drums": (0, 1),
    "only_bass_and_drums": (0, 1),
    "plan": (0, 1),
    "oneshot": (0, 1),
}
TEXT_CHARS = 100


def parse_options(options: list) -> dict:
    """``key=value`` strings (as tablets and scripts send them) into typed values, each in its range."""
    out = checks.key_values(options, {**OPTIONS, **EXTRAS}, "generate")
    for key, value in out.items():
        if isinstance(value, str):
            checks.text(value, key, TEXT_CHARS)
        elif key in RANGES:
            lo, hi = RANGES[key]
            checks.number(value, key, lo, hi)  # (NaN and infinities are out of every range)
    return out


ROLE_ROUTES = {"stems": "split a pad's loop with /pad/n/split", "speech": "speak onto a pad with /pad/n/speak"}


class Generation:
    def __init__(self, actions, default_provider: str = "offline", pool=None, settings=None) -> None:
        self.actions = actions
        self.default = default_provider
        self.pool = pool
        self.settings = settings  # the config's providers section: keys, endpoints, per-provider settings
        # answers being kept, by the result's identity: a lock each, for as long as a job holds it
        self._landing: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()
        self.network: Any = None  # the network process cloud SDKs run in (padserver.providers.remote), in the daemon
        kwargs: dict = {}
        if settings is not None:  # the providers section of the config
            kwargs = {
                "timeout": settings.timeout_s,
                "concurrency": settings.concurrency,
                "policy": RetryPolicy(
                    attempts=settings.retry_attempts, first_delay=settings.retry_first_s, max_delay=settings.retry_max_s
                ),
                "per_day": {k: int(v) for k, _, v in (item.partition("=") for item in settings.daily_limit)},
            }
        self.jobs = JobManager(self._update, **kwargs)
        self._providers: dict = {}
        self.last: dict[int, tuple[str, Request]] = {}  # pad → its last request
        self.takes: dict[int, list[int]] = {}  # pad → library ids of its last generation's takes
        self.notify: Callable[[Any, str, list], None] | None = (
            None  # callable(who, address, args): tells the requester about a failure
        )
        self._who: dict[int, object] = {}
        self._put: dict[int, Put] = {}  # job → where its loop goes instead of the pad (live mode's)
        self.flash_failed = None  # callable(pad): a brief red flash on the grids

    async def warm(self) -> dict[str, str]:
        """Ready every usable provider (SDK imported, client made, in the network process for cloud ones)."""
        out = self.availability()
        ready = [name for name, state in out.items() if state == "ready"]
        remote = [n for n in ready if getattr(self.provider(n), "network", None) is not None]
        for name in ready:
            if name in remote:
                continue
            try:
                self.provider(name).warm()
            except Exception as exc:  # a provider that cannot start says so when asked
                log.warning("%s could not be readied: %s", name, exc)
        if remote and self.network is not None:
            await self.network.warm(remote)
        return out

    def availability(self) -> dict[str, str]:
        """Every known provider: "ready", or why it cannot be used (for /status and the doctor)."""
        out = {}
        for name in registry.names():
            try:
                reason = self.provider(name).unavailable()
            except ActionError as exc:
                reason = str(exc)
            out[name] = "ready" if reason is None else reason
        return out

    @property
    def scratch(self) -> str:
        """Where providers' workers leave takes on their way to the library."""
        import os

        return os.path.join(self.actions.library.data_dir, "cache", "takes")

    def provider(self, name: str):
        if name not in self._providers:
            try:
                provider = registry.create(name, self)
            except (ValueError, TypeError) as exc:
                raise ActionError(str(exc)) from None
            if self.network is not None and getattr(provider, "remote", False):
                from padserver.providers.remote import RemoteProvider

                provider = RemoteProvider(provider, self.network, self.scratch)
            self._providers[name] = provider
        return self._providers[name]

    # -- requests -------------------------------------------------------------------------------------------
    def generate(self, number: object, prompt: object, options: list, who=None) -> Job:
        pad = self.actions.pad_of(number)
        text = checks.text(prompt, "prompt", 2000).strip()
        opts = parse_options(options)
        name = opts.pop("provider", self.default)
        request = Request(
            prompt=text,
            bars=opts.get("bars", 4),
            bpm=opts.get("bpm", self.actions.project.tempo),
            key=opts.get("key", self.actions.project.key or None),
            genre=opts.get("genre"),
            instrument=opts.get("instrument"),
            mood=opts.get("mood"),
            takes=opts.get("takes", 1),
            seed=opts.get("seed"),
            instrumental=bool(opts.get("instrumental", 1)),
            extras={
                "project_tempo": self.actions.project.tempo,
                "bpm_from_project": "bpm" not in opts,
                **{k: v for k, v in opts.items() if k in EXTRAS},
            },
        )
        return self.submit(pad.number, name, request, who)

    def regenerate(self, number: object, who=None) -> Job:
        pad = self.actions.pad_of(number)
        if pad.number not in self.last:
            raise ActionError(f"pad {pad.number} has no earlier generation to repeat")
        name, request = self.last[pad.number]
        return self.submit(pad.number, name, replace(request, seed=random.randrange(1, 2**31)), who)

    VARIATIONS = {
        "more_complex": "busier, more complex",
        "simpler": "simpler, sparser",
        "different_instrument": "a different instrument",
        "different_rhythm": "a different rhythm",
        "different_melody": "a different melody",
    }

    def vary(self, number: object, variation: object, who=None) -> Job:
        """A new take built from the pad's loop: same tempo, key and bars, changed as asked."""
        pad = self.actions.pad_of(number)
        how = checks.text(variation, "variation", 500).strip()
        if not how:
            raise ActionError(f"vary takes one of {', '.join(self.VARIATIONS)}, or words of your own")
        if pad.number in self.last:
            name, base = self.last[pad.number]
        elif pad.loop_id is not None:  # an imported or recorded loop: start from what the library knows
            try:
                loop = self.actions.library.get(pad.loop_id)
            except Exception as exc:
                raise ActionError(str(exc)) from None
            name = self.default
            base = Request(
                prompt=f"{loop.category} loop like {loop.name}",
                bpm=loop.bpm or self.actions.project.tempo,
                key=loop.key,
                bars=pad.bars or 4,
            )
        else:
            raise ActionError(f"pad {pad.number} is empty: nothing to vary")
        words = self.VARIATIONS.get(how, how)
        instrument = base.instrument
        if how == "different_instrument":
            from padserver.providers.offline.synth import INSTRUMENTS

            choices = [i for i in INSTRUMENTS if i not in (base.instrument, "drums", "percussion", "fx")]
            instrument = random.choice(choices)
        request = replace(
            base, prompt=f"{base.prompt}, {words}".strip(", "), instrument=instrument, seed=random.randrange(1, 2**31)
        )
        return self.submit(pad.number, name, request, who)

    def submit(self, pad: int, name: str, request: Request, who=None, put: Put | None = None) -> Job:
        """Ask ``name`` for ``request`` for ``pad``; its first take goes onto the pad at its next loop boundary,
        or to ``put(pad, loop id)`` (live mode's, which launches it on its own bar)."""
        if self.jobs.pending_for(pad) is not None:
            raise ActionError(f"pad {pad} is already generating; cancel it first")
        if self.actions.project.pad(pad).mode == "live":  # (refused before it costs anything)
            raise ActionError(
                f"pad {pad} is a live pad: steer it with its prompts, or set its mode to loop to generate"
            )
        provider = self.provider(name)
        if provider.role != "loops":
            raise ActionError(f"{name} makes {provider.role}, not loops: {ROLE_ROUTES.get(provider.role, '')}")
        reason = provider.unavailable()
        if reason is not None:
            raise ActionError(f"{name} is unavailable: {reason}")
        try:
            job = self.jobs.submit(provider, request, pad)
        except ProviderError as exc:
            raise ActionError(str(exc)) from None
        self.last[pad] = (name, request)
        self._who[job.id] = who
        if put is not None:
            self._put[job.id] = put
        return job

    def cancel(self, number: object) -> None:
        pad = self.actions.pad_of(number)
        if not self.jobs.cancel_pad(pad.number):
            raise ActionError(f"pad {pad.number} is not generating")

    async def take(self, number: object, index: object) -> int:
        pad = self.actions.pad_of(number)
        takes = self.takes.get(pad.number, [])
        i = checks.whole(index, "take", 1, max(1, len(takes)))
        if not takes:
            raise ActionError(f"pad {pad.number} has no takes")
        await self.actions.pad_load(pad.number, takes[i - 1], at_wrap=True)
        return takes[i - 1]

    # -- job updates ------------------------------------------------------------------------------------------
    def _update(self, job: Job) -> None:
        a = self.actions
        a.changed(0, "job", job)
        if job.pad is None:
            return
        pad = a.project.pad(job.pad)
        running = job.state in ("queued", "running")
        if pad.generating != running:
            pad.generating = running
            a.changed(pad.number, "generating", running)
        if running:
            a.changed(pad.number, "progress", round(job.progress, 3))
        elif job.state == "done" and job.result is not None:
            spawn(self._land(job), f"generation {job.id}: landing")
        elif job.state == "failed":
            self._failed(job, job.message)
        if job.state in ("failed", "cancelled"):
            self._put.pop(job.id, None)
            self._who.pop(job.id, None)  # (told already: nothing more to tell the requester)

    def _failed(self, job: Job, message: str) -> None:
        if self.notify is not None and self._who.get(job.id) is not None:
            self.notify(self._who[job.id], "/error", [f"/pad/{job.pad}/generate", message])
        if self.flash_failed is not None and job.pad is not None:
            self.flash_failed(job.pad)

    async def _land(self, job: Job) -> None:
        """Keep every take in the library and put the first on the pad (at its next loop boundary if playing)."""
        result = job.result
        assert result is not None and job.pad is not None
        # the same request at once on several pads shares one answer: the first keeps its takes, the
        # others wait for that and use the loops it kept (its take files are gone once kept)
        lock = self._landing.get(id(result))
        if lock is None:
            lock = self._landing[id(result)] = asyncio.Lock()
        async with lock:  # (the entry goes when the last job landing with it lets go of the lock)
            await self._keep_and_load(job, result)

    async def _keep_and_load(self, job: Job, result) -> None:
        a = self.actions
        assert job.pad is not None
        ids = []
        try:
            kept = [loop_id for loop_id in result.loops if a.library.exists(loop_id)]
            for i, take in enumerate(result.takes):
                if len(kept) == len(result.takes):  # asked before: the takes are in the library already
                    ids = kept
                    break
                choices = result.provenance.get("choices", {})
                meta = {
                    "name": (result.provenance.get("name") or job.request.prompt or "generated")[:56]
                    + (f" #{i + 1}" if len(result.takes) > 1 else ""),
                    "category": _category(choices.get("instrument")),
                    "bpm": choices.get("bpm", job.request.bpm),
                    "key": job.request.key,
                    "bars": job.request.bars,
                    "provider": result.provenance.get("provider"),
                    "model": result.provenance.get("model"),
                    "prompt": job.request.prompt,
                    "params": _with_credentials(result.provenance),
                    "seed": (result.provenance.get("seed") or 0) + i,
                    "watermark": result.provenance.get("watermark"),
                }
                made_at = float(choices.get("bpm") or job.request.bpm or a.project.tempo)
                # kept at the tempo it was made at; the pad gets it fitted to the project's
                recipe = a.take_recipe(made_at, job.request.bars, take.downbeat_s)
                encoded: tuple | None = None
                if take.path is not None:  # a file a worker or the network process wrote
                    encoded = (take.path, take.format, take.sample_rate, take.channels)
                elif take.audio is None:
                    if take.data is None:
                        raise ActionError(f"{result.provenance.get('provider')} sent a take without audio")
                    encoded = (take.data, take.format, take.sample_rate, take.channels)
                loop = await a.library.add_generated(take.audio, take.sample_rate, meta, recipe, encoded)
                ids.append(loop.id)
            result.loops = ids
            self.takes[job.pad] = ids
            put = self._put.pop(job.id, None)
            if put is not None:
                await put(job.pad, ids[0])
            else:
                await a.pad_load(job.pad, ids[0], at_wrap=True)
            self._who.pop(job.id, None)  # (landed: nobody to tell of a failure now)
        except Exception as exc:  # the pad keeps what it had; the job says why it failed after all
            log.warning("job %d: the loop could not be put on pad %d: %s", job.id, job.pad, exc)
            self.jobs.forget(job)
            job.state, job.message = "failed", str(exc)
            self._update(job)


def _with_credentials(provenance: dict) -> dict | None:
    """The request as sent, and the answer's C2PA manifest when it carried one."""
    request = provenance.get("request")
    if provenance.get("c2pa") is None:
        return request
    return {**(request or {}), "c2pa": provenance["c2pa"]}


def _category(instrument: str | None) -> str:
    return {"drums": "drums", "percussion": "drums", "bass": "bass", "chords": "keys", "fx": "fx"}.get(
        instrument or "", "synth"
    )
