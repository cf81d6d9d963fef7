"""What each OSC sender may cost padserver, and what padserver may send back to it.

- A rate limit per sender (host and port): a token bucket of ``rate`` messages a second with bursts of
  ``burst``; what goes past it is dropped and counted, and the sender hears of it at most once a second.
- No amplification: until a sender has made a valid request, padserver sends it no more bytes than it sent
  (errors are shortened to fit, and none goes once that budget is spent). A spoofed packet cannot turn
  padserver against a third party. A sender that made a valid request is *trusted*: its replies and
  feedback are not counted.

All on the event loop; every table is bounded (the senders heard longest ago are forgotten first).
"""

from __future__ import annotations

from collections import OrderedDict

MAX_SENDERS = 1024  # senders remembered (buckets, budgets, trust)
REPORT_EVERY_S = 1.0  # at most one "rate limit" error a second per sender


class _Bucket:
    __slots__ = ("tokens", "at", "dropped", "told_at", "told")

    def __init__(self, tokens: float, at: float) -> None:
        self.tokens = tokens
        self.at = at
        self.dropped = 0  # dropped since the sender was last told
        self.told_at = -1e9
        self.told = 0


class SenderGuard:
    def __init__(self, rate: float = 4000.0, burst: float = 8000.0) -> None:
        self.rate = float(rate)
        self.burst = max(float(burst), 1.0)
        self.dropped = 0  # messages dropped by the rate limit, all senders, since start
        self._buckets: OrderedDict[tuple, _Bucket] = OrderedDict()
        self._budget: OrderedDict[tuple, int] = OrderedDict()  # bytes an untrusted sender may still be sent
        self._trusted: OrderedDict[tuple, None] = OrderedDict()

    # -- rate ----------------------------------------------------------------------------------
    def admit(self, addr, messages: int, now: float) -> bool:
        """Whether ``messages`` more from ``addr`` are within its rate (if not, they are counted as dropped)."""
        if self.rate <= 0:
            return True  # osc.rate_limit: 0 turns the limit off
        key = (addr[0], addr[1])
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(self.burst, now)
            _remember(self._buckets, key, bucket)
        else:
            self._buckets.move_to_end(key)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
        if bucket.tokens >= messages:
            bucket.tokens -= messages
            return True
        bucket.dropped += messages
        self.dropped += messages
        return False

    def report_due(self, addr, now: float) -> int:
        """How many of ``addr``'s messages were dropped since it was last told, when it is time to tell it
        (0: not now)."""
        bucket = self._buckets.get((addr[0], addr[1]))
        if bucket is None or not bucket.dropped or now - bucket.told_at < REPORT_EVERY_S:
            return 0
        dropped, bucket.dropped, bucket.told_at = bucket.dropped, 0, now
        return dropped

    # -- amplification -------------------------------------------------------------------------
    def received(self, addr, size: int) -> None:
        """``size`` bytes came from ``addr``: an untrusted sender may be sent as many back."""
        key = (addr[0], addr[1])
        if key in self._trusted:
            self._trusted.move_to_end(key)
            return
        _remember(self._budget, key, self._budget.get(key, 0) + size)

    def trust(self, addr) -> None:
        """``addr`` made a valid request: what it is sent is no longer counted."""
        key = (addr[0], addr[1])
        self._budget.pop(key, None)
        _remember(self._trusted, key, None)

    def trusted(self, addr) -> bool:
        return (addr[0], addr[1]) in self._trusted

    def budget(self, addr) -> int | None:
        """Bytes ``addr`` may still be sent (None: any, it is trusted)."""
        key = (addr[0], addr[1])
        return None if key in self._trusted else self._budget.get(key, 0)

    def spend(self, addr, size: int) -> bool:
        """Take ``size`` bytes from ``addr``'s budget; False (nothing taken) when they do not fit."""
        key = (addr[0], addr[1])
        if key in self._trusted:
            return True
        left = self._budget.get(key, 0)
        if size > left:
            return False
        self._budget[key] = left - size
        return True


def _remember(table: OrderedDict, key, value) -> None:
    table[key] = value
    table.move_to_end(key)
    while len(table) > MAX_SENDERS:
        table.popitem(last=False)
