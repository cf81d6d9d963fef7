"""How often the event pump turns: often while anything can make an engine event, rarely while nothing can.

An idle engine (no pad playing or queued, no song, no recording, no preview, no clock followed) makes no event
until a command reaches it, so the pump naps, and the command wakes it at once (`commanded`, which the engine
calls as a command is sent): feedback keeps its budget, and an idle daemon costs next to nothing.
"""

from __future__ import annotations

import asyncio

IDLE_POLL_S = 0.1  # the pump's round while the engine is idle (a command wakes it at once)


class Pace:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._wake = asyncio.Event()
        self._napping = False

    def commanded(self) -> None:
        """Control side, any thread: a command was sent to the engine; a napping pump turns now."""
        if self._napping:
            self._napping = False
            self._loop.call_soon_threadsafe(self._wake.set)

    async def nap(self, seconds: float = IDLE_POLL_S) -> None:
        """Sleep ``seconds``, or less if a command is sent meanwhile."""
        self._wake.clear()
        self._napping = True
        try:
            await asyncio.wait_for(self._wake.wait(), seconds)
        except TimeoutError:
            pass
        finally:
            self._napping = False


def engine_idle(engine) -> bool:
    """Control side: whether the engine can make an event by itself (a read of the audio thread's state, good
    enough to choose a pace: a command that changes it wakes the pump anyway)."""
    if engine.song.active or engine.capture.buffer is not None or engine.cue_voice.busy:
        return False
    return not any(voice.busy for voice in engine.voices)
