"""The worker pool: decoding and other heavy work, in processes away from the audio thread.

The audio callback is Python and needs the GIL every period, so CPU-heavy work
runs in other processes (at most cores − 1, at a lower priority than the daemon's). Large results
come back as files in the cache folder, not as pickled arrays.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import multiprocessing
import os
import threading
import time

WORKER_NICE = 10


def _lower_priority() -> None:
    """Workers take the CPU after the audio and the daemon, but still get some on a machine that is busy with
    something else: nice 10, and on Linux SCHED_BATCH (they never preempt a thread that wakes, such as a
    non-realtime audio thread). Not SCHED_IDLE: it runs only while nothing else at all wants the CPU, so on a
    busy machine a pad's load waited for as long as the machine stayed busy (a minute and more, measured with
    one core kept busy); and an unprivileged process cannot leave it again."""
    try:
        os.nice(WORKER_NICE - os.nice(0))
    except OSError:
        pass
    try:
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        pass


def _end_with_the_daemon(parent: int) -> None:
    """A worker ends when the daemon (pid ``parent``) does, even if the daemon was killed outright (no orphans
    left behind). The pid comes from the daemon: a worker that starts after the daemon died already has
    another parent, and taking that one for the daemon would keep it alive for good."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # it died before we asked
        os._exit(0)

    def watch() -> None:  # elsewhere (macOS): notice being handed to another parent
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def worker_start(parent: int) -> None:
    """A pool process's first step (``initializer``, with ``initargs=(os.getpid(),)`` of the process that
    makes the pool): it dies with that process, and takes only the CPU the audio leaves."""
    _end_with_the_daemon(parent)
    _lower_priority()


class WorkerPool:
    """A lazily started process pool; its processes start on first use."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or max(1, (os.cpu_count() or 2) - 1)
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None

    def _executor(self) -> concurrent.futures.ProcessPoolExecutor:
        if self._pool is None:
            self._pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=worker_start,
                initargs=(os.getpid(),),
            )
        return self._pool

    async def run(self, func, *args):
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor(), func, *args)

    def pids(self) -> list[int]:
        if self._pool is None:
            return []
        return [p.pid for p in getattr(self._pool, "_processes", {}).values() if p.pid]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
