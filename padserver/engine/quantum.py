"""Launch quanta: the grid a launch or stop waits for."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

NAMES = ("off", "1/16", "1/8", "1/4", "1/2", "1", "2", "4", "8")


@dataclass(frozen=True, slots=True)
class Quantum:
    """A launch quantum: ``off``, a note value (``1/16`` … ``1/2``) or whole bars."""

    name: str
    bars: int = 0  # whole-bar quantum (1, 2, 4, 8), else 0
    note: Fraction = Fraction(0)  # note value in whole notes (1/4 = one beat in x/4)

    @property
    def off(self) -> bool:
        return self.bars == 0 and self.note == 0

    def __str__(self) -> str:
        return self.name


def parse_quantum(value: object) -> Quantum:
    """Parse ``off``, ``1/16``…``1/2`` or ``1``/``2``/``4``/``8`` (int or float accepted)."""
    if isinstance(value, bool):
        raise TypeError("quantum must be a string such as '1' or '1/4'")
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or float(value) != int(value):  # (int() of inf raises OverflowError)
            raise ValueError(f"quantum must be one of {', '.join(NAMES)}")
        text = str(int(value))
    elif isinstance(value, str):
        text = value.strip().lower()
    else:
        raise TypeError("quantum must be a string such as '1' or '1/4'")
    if text in ("none", "0"):
        text = "off"
    if text not in NAMES:
        raise ValueError(f"quantum must be one of {', '.join(NAMES)} (got {value!r})")
    if text == "off":
        return Quantum("off")
    if "/" in text:
        return Quantum(text, note=Fraction(text))
    return Quantum(text, bars=int(text))


OFF = parse_quantum("off")
ONE_BAR = parse_quantum("1")
