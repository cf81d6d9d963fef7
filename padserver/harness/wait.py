"""Waiting for something a test or a benchmark expects to happen."""

from __future__ import annotations

import time


def until(check, timeout: float, poll: float = 0.05) -> float | None:
    """Seconds until ``check()`` was true, or None when ``timeout`` passed first."""
    t0 = time.monotonic()
    while not check():
        if time.monotonic() - t0 > timeout:
            return None
        time.sleep(poll)
    return time.monotonic() - t0
