"""The job manager against a provider the test controls (registered through the same registry)."""

import asyncio
import time

import numpy as np
import pytest

from padserver.providers import registry
from padserver.providers.base import Capabilities, Provider, Request, Result, Take
from padserver.providers.jobs import JobManager, ProviderError, RetryPolicy


class Scripted(Provider):
    """Answers each call with the next line of its script: 'ok', 'busy', 'bad', 'stall'."""

    name = "scripted"
    model = "test"
    capabilities = Capabilities(
        seconds=(1, 60), bpm_field=True, key_field=True, instrumental_toggle=True, seed=True, takes_per_call=4
    )

    def __init__(self, script):
        self.script = list(script)
        self.calls: list[float] = []
        self.running = 0
        self.most = 0

    async def generate(self, request, progress):
        self.calls.append(time.monotonic())
        what = self.script.pop(0) if self.script else "ok"
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            if what == "busy":
                raise ProviderError("too_many_concurrent_requests", retry_after=None)
            if what == "bad":
                raise ProviderError(
                    "bad_prompt: the prompt names an artist", permanent=True, suggestion="describe the sound instead"
                )
            if what == "stall":
                await asyncio.sleep(3600)
            await asyncio.sleep(0.05)
            progress(1.0, "made")
            return Result([Take(np.zeros((2, 4), np.float32), 48000)], {"provider": self.name})
        finally:
            self.running -= 1


def manager(updates, **kwargs):
    policy = kwargs.pop("policy", RetryPolicy(attempts=3, first_delay=0.1, factor=2.0, jitter=0.0))
    return JobManager(lambda job: updates.append((job.state, job.message)), policy=policy, **kwargs)


async def finished(job, timeout=5.0):
    deadline = time.monotonic() + timeout
    while job.state in ("queued", "running"):
        assert time.monotonic() < deadline, job
        await asyncio.sleep(0.01)
    return job


def test_transient_failures_are_retried_with_growing_delays():
    async def run():
        registry.register("scripted", lambda config: Scripted(["busy", "busy", "ok"]))
        provider = registry.create("scripted")
        updates = []
        job = await finished(manager(updates).submit(provider, Request(prompt="x"), pad=3))
        assert job.state == "done" and job.result is not None
        gaps = np.diff(provider.calls)
        assert 0.09 < gaps[0] < 0.2 and 0.19 < gaps[1] < 0.35  # 0.1 s, then 0.2 s (the backoff doubles)
        assert any("trying again" in message for _, message in updates)
        assert [s for s, _ in updates][0] == "queued" and updates[-1][0] == "done"

    asyncio.run(run())


def test_permanent_failures_are_not_retried_and_say_what_to_do():
    async def run():
        provider = Scripted(["bad", "ok"])
        job = await finished(manager([]).submit(provider, Request(prompt="x")))
        assert job.state == "failed" and len(provider.calls) == 1
        assert "bad_prompt" in job.message and "try: describe the sound instead" in job.message

    asyncio.run(run())


def test_cancel_mid_flight_and_timeouts():
    async def run():
        provider = Scripted(["stall"])
        jobs = manager([])
        job = jobs.submit(provider, Request(prompt="x"), pad=2)
        await asyncio.sleep(0.1)
        assert job.state == "running" and jobs.cancel_pad(2)
        assert (await finished(job)).state == "cancelled" and provider.running == 0
        slow = Scripted(["stall", "stall"])
        job = await finished(
            manager([], timeout=0.1, policy=RetryPolicy(attempts=2, first_delay=0.05, jitter=0)).submit(slow, Request())
        )
        assert job.state == "failed" and "did not answer within 0.1 s" in job.message and len(slow.calls) == 2

    asyncio.run(run())


def test_the_same_request_again_comes_from_the_cache():
    async def run():
        provider = Scripted([])
        jobs = manager([])
        first = await finished(jobs.submit(provider, Request(prompt="x", seed=1)))
        again = await finished(jobs.submit(provider, Request(prompt="x", seed=1)))
        other = await finished(jobs.submit(provider, Request(prompt="x", seed=2)))
        assert again.message == "from the cache" and again.result is first.result
        assert len(provider.calls) == 2 and other.result is not first.result

    asyncio.run(run())


def test_daily_limit_and_concurrency_limit():
    async def run():
        provider = Scripted([])
        jobs = manager([], per_day={"scripted": 2}, concurrency=2)
        batch = [jobs.submit(provider, Request(prompt=str(i))) for i in range(2)]
        for job in batch:
            await finished(job)
        with pytest.raises(ProviderError, match="daily limit of 2 generations"):
            jobs.submit(provider, Request(prompt="third"))
        busy = Scripted([])
        many = manager([], concurrency=2)
        for job in [many.submit(busy, Request(prompt=str(i))) for i in range(5)]:
            await finished(job)
        assert busy.most == 2

    asyncio.run(run())
