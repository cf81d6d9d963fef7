"""The engine's command queue: bounded, with settings that coalesce.

One producer (the control thread) and one consumer (the audio thread), without a lock: a deque's append and
popleft are atomic. While the audio stops (JACK away, a stream reopening) nothing drains the queue, so it is
bounded: a command that finds it full is refused with `EngineBusy` (the caller says so on the wire it came
from), and none piles up to land all at once when the audio is back.

A *setting* (a gain, the tempo: a value whose latest is all that matters) does not queue one command per change:
`set` keeps the latest value per kind and queues a marker only while none is pending, so a fader flood costs one
queue slot and the engine applies the last value. The marker protocol, lock-free: the control side writes the
value, then queues a marker unless one is pending (`taken >= sent`); the audio side counts the marker taken,
then reads the value. Whatever the interleaving, the value written last is applied by some marker.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

LIMIT = 1024  # commands waiting at most (settings' markers apart)
PER_BLOCK = 128  # commands applied in one block at most: a backlog spreads over blocks


class EngineBusy(RuntimeError):
    """The engine is not taking commands (its audio has stopped, or it is far behind)."""


class _Latest:
    __slots__ = ("kind",)

    def __init__(self, kind: type) -> None:
        self.kind = kind


class CommandQueue:
    def __init__(self, settings: tuple[type, ...] = ()) -> None:
        self._queue: deque = deque()
        # per kind of setting: its latest value, markers queued (control side) and taken (audio side)
        self._latest: dict[type, object] = dict.fromkeys(settings)
        self._sent = dict.fromkeys(settings, 0)
        self._taken = dict.fromkeys(settings, 0)

    # -- control side --------------------------------------------------------------------------
    def send(self, command: object) -> None:
        if len(self._queue) >= LIMIT:
            raise EngineBusy("the audio engine is not taking commands (is the audio running?); not done")
        self._queue.append(command)

    def set(self, command: object) -> None:
        """A setting: the engine applies the latest one sent (never refused: it takes one slot at most)."""
        kind = type(command)
        self._latest[kind] = command
        if self._taken[kind] >= self._sent[kind]:  # no marker pending: queue one
            self._queue.append(_Latest(kind))
            self._sent[kind] += 1

    def __len__(self) -> int:
        return len(self._queue)

    def __bool__(self) -> bool:
        return bool(self._queue)

    def __iter__(self) -> Iterator[object]:
        """What is waiting, settings as their latest values (a copy: for tests and reports)."""
        for item in list(self._queue):
            yield self._latest[item.kind] if type(item) is _Latest else item

    # -- audio thread --------------------------------------------------------------------------
    def pop(self) -> object | None:
        """The next command, or None when none waits."""
        queue = self._queue
        if not queue:
            return None
        item = queue.popleft()
        if type(item) is _Latest:
            kind = item.kind
            self._taken[kind] += 1  # (counted before the value is read: see the module's note)
            return self._latest[kind]
        return item
