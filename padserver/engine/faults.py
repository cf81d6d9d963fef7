"""Failures inside the audio callback, counted where they happen and reported by the control side.

A bug or a value that slipped past the checks must cost one part of the music (a pad, the song, the click),
never the whole of it: the engine catches what a part raises, silences that part and notes it here. Noting is
two assignments and an increment (no allocation, no I/O), so it is safe on the audio thread; the control side
reads `count` and logs what it has not reported yet.
"""

from __future__ import annotations


class Faults:
    def __init__(self) -> None:
        self.count = 0
        self.last: BaseException | None = None
        self.where = ""  # the part that failed last: "pad 3", "song", "SetTempo" (a command), "JACK ports"…

    def note(self, exc: BaseException, where: str) -> None:
        """Audio thread: one failure of ``where``."""
        self.last = exc
        self.where = where
        self.count += 1

    def described(self) -> str | None:
        """Control side: the last failure in words ("pad 3: ZeroDivisionError: …"); None when none has been."""
        if self.last is None:
            return None
        return f"{self.where}: {type(self.last).__name__}: {self.last}"
