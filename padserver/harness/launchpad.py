"""Reading what padserver sends a Launchpad: its batch LED SysEx, as the device would."""

from __future__ import annotations

LPX = bytes.fromhex("F0 00 20 29 02 0C")  # Novation's SysEx header for the Launchpad X


def led_specs(message: bytes) -> dict[int, tuple[int, ...]]:
    """LED index → (type, colour…) from a Launchpad batch SysEx (type 0 static, 1 flashing, 2 pulsing)."""
    assert message.startswith(LPX + b"\x03") and message.endswith(b"\xf7")
    body, specs, i = message[len(LPX) + 1 : -1], {}, 0
    while i < len(body):
        kind = body[i]
        size = 4 if kind == 1 else 3
        specs[body[i + 1]] = (kind, *body[i + 2 : i + size])
        i += size
    return specs


def lit(index: int, spec: tuple[int, ...]):
    """A test of a message: does it set LED ``index`` to ``spec``?"""
    return lambda m: m.startswith(LPX + b"\x03") and led_specs(m).get(index) == spec
