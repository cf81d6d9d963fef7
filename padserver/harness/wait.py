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


def wait_for(check, timeout: float, what: str, poll: float = 0.05):
    """``check()``'s first true value; the test fails, naming ``what``, when ``timeout`` passes first."""
    t0 = time.monotonic()
    while not (value := check()):
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"{what}: not within {timeout:g} s")
        time.sleep(poll)
    return value


def gather(receive, done, timeout: float) -> list:
    """Items from ``receive()`` (each call a batch, e.g. an OSC peer's ``receive(0.2)``) until ``done(items)``
    or ``timeout``; all of them."""
    items: list = []
    t0 = time.monotonic()
    while not done(items) and time.monotonic() - t0 < timeout:
        items += receive()
    return items
