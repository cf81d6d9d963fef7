"""MIDI clock's messages, the same on every path that sends them (JACK's own port, rtmidi)."""

from __future__ import annotations

TICKS_PER_BEAT = 24
TICK, START, CONTINUE, STOP = b"\xf8", b"\xfa", b"\xfb", b"\xfc"


def song_position(beat: float) -> bytes:
    """Song Position Pointer: sixteenth notes from the start, 14 bits."""
    sixteenths = max(0, min(0x3FFF, int(round(beat * 4))))
    return bytes((0xF2, sixteenths & 0x7F, sixteenths >> 7))


def start_messages(beat: float) -> tuple[bytes, ...]:
    """What says "the song plays from song beat ``beat``": Start from the beginning, else the position and Continue."""
    return (START,) if beat < 1e-6 else (song_position(beat), CONTINUE)


def jump_messages(beat: float) -> tuple[bytes, ...]:
    """What says "the playing song jumped to song beat ``beat``" (a locate, a loop's wrap): followers relocate
    as they would from a stop, and go on with the next tick."""
    return (STOP, song_position(beat), CONTINUE)


class TransportReader:
    """Start, Continue, Stop and Song Position as a clock follower reads them (the same on every path).

    Start and Continue arm the next tick: the song starts there, from ``armed`` (song beats)."""

    def __init__(self) -> None:
        self.armed: float | None = None
        self.position = 0.0  # from Song Position Pointer, in beats

    def read(self, status: int, data1: int = 0, data2: int = 0) -> str | None:
        """One message that is not a tick; "stop" or "position" when the follower must act on it."""
        if status == 0xFA:  # Start: from the beginning, on the next tick
            self.position = 0.0
            self.armed = 0.0
        elif status == 0xFB:  # Continue: from the song position, on the next tick
            self.armed = self.position
        elif status == 0xFC:
            self.armed = None
            return "stop"
        elif status == 0xF2:
            self.position = ((data2 << 7) | data1) / 4.0
            return "position"
        return None

    def take_start(self) -> float | None:
        """At a tick: the position the song starts from on it, if Start or Continue came before it."""
        armed, self.armed = self.armed, None
        return armed
