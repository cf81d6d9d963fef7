"""Generation jobs on the control loop: queues, limits, retries, timeouts, cancellation, cache, budget."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from padserver.providers.base import Provider, Request, Result

log = logging.getLogger("padserver.jobs")

STATES = ("queued", "running", "done", "failed", "cancelled")


class ProviderError(Exception):
    """A provider's failure. ``permanent`` ones (bad prompt, quota, auth) are not retried."""

    def __init__(
        self, message: str, permanent: bool = False, retry_after: float | None = None, suggestion: str | None = None
    ):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after
        self.suggestion = suggestion


@dataclass(frozen=True)
class RetryPolicy:
    """How transient failures are retried: exponential backoff with jitter, honouring a retry hint."""

    attempts: int = 3
    first_delay: float = 1.0
    factor: float = 2.0
    max_delay: float = 30.0
    jitter: float = 0.25  # ± this fraction

    def delay(self, attempt: int, hint: float | None, rng: random.Random) -> float:
        base = min(self.max_delay, self.first_delay * self.factor ** (attempt - 1))
        if hint is not None:
            base = min(self.max_delay, max(base, hint))
        return base * (1 + rng.uniform(-self.jitter, self.jitter))


@dataclass
class Job:
    id: int
    provider: str
    request: Request
    pad: int | None
    state: str = "queued"
    progress: float = 0.0
    message: str = ""
    warnings: list[str] = field(default_factory=list)
    result: Result | None = None
    task: asyncio.Task | None = None
    created: float = field(default_factory=time.monotonic)


class JobManager:
    def __init__(
        self,
        on_update: Callable[[Job], None],
        policy: RetryPolicy | None = None,
        timeout: float = 180.0,
        concurrency: int = 2,
        per_day: dict[str, int] | None = None,
        seed: int | None = None,
    ) -> None:
        self.on_update = on_update
        self.policy = policy or RetryPolicy()
        self.timeout = timeout
        self.concurrency = concurrency
        self.per_day = per_day or {}
        self.jobs: dict[int, Job] = {}
        self._next_id = 1
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._cache: dict[str, Result] = {}
        self._spent: dict[tuple[str, str], int] = {}  # (provider, day) → generations
        self._rng = random.Random(seed)

    # -- asking ---------------------------------------------------------------------------------------
    def submit(self, provider: Provider, request: Request, pad: int | None = None) -> Job:
        day = time.strftime("%Y-%m-%d")
        limit = self.per_day.get(provider.name)
        if limit is not None and self._spent.get((provider.name, day), 0) >= limit:
            raise ProviderError(
                f"{provider.name}: the daily limit of {limit} generations is reached (providers.limits)", permanent=True
            )
        job = Job(self._next_id, provider.name, request, pad, warnings=provider.warnings(request))
        self._next_id += 1
        self.jobs[job.id] = job
        for warning in job.warnings:
            log.warning("job %d (%s): %s", job.id, provider.name, warning)
        job.message = "; ".join(job.warnings)
        self.on_update(job)
        job.task = asyncio.get_running_loop().create_task(self._run(job, provider))
        return job

    def cancel(self, job_id: int) -> bool:
        job = self.jobs.get(job_id)
        if job is None or job.state not in ("queued", "running") or job.task is None:
            return False
        job.task.cancel()
        return True

    def cancel_pad(self, pad: int) -> bool:
        return any([self.cancel(j.id) for j in self.jobs.values() if j.pad == pad and j.state in ("queued", "running")])

    def pending_for(self, pad: int) -> Job | None:
        return next((j for j in self.jobs.values() if j.pad == pad and j.state in ("queued", "running")), None)

    def forget(self, job: Job) -> None:
        """Drop ``job``'s answer from the cache (it turned out unusable): asking again asks the provider."""
        for key in [k for k, v in self._cache.items() if v is job.result]:
            del self._cache[key]

    # -- doing ----------------------------------------------------------------------------------------
    def _key(self, provider: Provider, request: Request) -> str:
        return json.dumps([provider.name, provider.model, request.as_sent()], sort_keys=True, default=str)

    def _set(self, job: Job, state: str, progress: float | None = None, message: str | None = None) -> None:
        job.state = state
        if progress is not None:
            job.progress = progress
        if message is not None:
            job.message = message
        self.on_update(job)

    async def _run(self, job: Job, provider: Provider) -> None:
        key = self._key(provider, job.request)
        try:
            if key in self._cache:
                job.result = self._cache[key]
                self._set(job, "done", 1.0, "from the cache")
                return
            slots = self._slots.setdefault(provider.name, asyncio.Semaphore(self.concurrency))
            async with slots:
                self._set(job, "running", 0.0)
                job.result = await self._attempts(job, provider)
            self._cache[key] = job.result
            day = time.strftime("%Y-%m-%d")
            self._spent[(provider.name, day)] = self._spent.get((provider.name, day), 0) + 1
            self._set(job, "done", 1.0, job.message)
        except asyncio.CancelledError:
            self._set(job, "cancelled", message="cancelled")
        except ProviderError as exc:
            text = f"{exc}" + (f" — try: {exc.suggestion}" if exc.suggestion else "")
            log.warning("job %d (%s) failed: %s", job.id, provider.name, text)
            self._set(job, "failed", message=text)
        except Exception as exc:  # a provider bug must not take the daemon down
            log.exception("job %d (%s) failed", job.id, provider.name)
            self._set(job, "failed", message=f"{type(exc).__name__}: {exc}")

    async def _attempts(self, job: Job, provider: Provider) -> Result:
        attempt = 0
        while True:
            attempt += 1

            def progress(fraction: float, message: str = "") -> None:
                if job.state != "running":  # a report that arrives after the end (or before the start) is stale
                    return
                job.progress = max(0.0, min(1.0, fraction))
                if message:
                    job.message = message
                self.on_update(job)

            try:
                return await asyncio.wait_for(provider.generate(job.request, progress), self.timeout)
            except TimeoutError:
                error = ProviderError(f"{provider.name} did not answer within {self.timeout:g} s")
            except ProviderError as exc:
                if exc.permanent:
                    raise
                error = exc
            if attempt >= self.policy.attempts:
                raise ProviderError(f"{error} (gave up after {attempt} attempts)", suggestion=error.suggestion)
            wait = self.policy.delay(attempt, error.retry_after, self._rng)
            log.info("job %d (%s): %s; trying again in %.1f s", job.id, provider.name, error, wait)
            job.message = f"{error}; trying again in {wait:.0f} s"
            self.on_update(job)
            await asyncio.sleep(wait)
