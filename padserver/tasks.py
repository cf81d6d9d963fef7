"""Tasks the control loop starts and does not wait for: kept alive until they end, and heard when they fail.

asyncio holds only a weak reference to a task; one nobody else holds can be collected
while it waits (a take that never lands, a load that never answers). Everything
started in the background goes through `spawn`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger("padserver")

_running: set[asyncio.Task] = set()


def spawn(
    coro: Coroutine[Any, Any, Any], what: str, report: Callable[[asyncio.Task], None] | None = None
) -> asyncio.Task:
    """Run ``coro`` on the running loop in the background; ``report`` (or the log) hears how it ended."""
    task = asyncio.get_running_loop().create_task(coro, name=what)
    _running.add(task)
    task.add_done_callback(_running.discard)
    task.add_done_callback(report or _log_failure)
    return task


def running() -> int:
    """How many background tasks have not ended yet."""
    return len(_running)


def _log_failure(task: asyncio.Task) -> None:
    if task.cancelled():
        return
    exc = task.exception()
    if exc is not None:
        log.error("%s failed", task.get_name(), exc_info=exc)
