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
