"""The kinds of value padserver takes in, each parsed one way wherever it comes from.

OSC arguments, project and song files, the config and the controller mappings all read their values through
these: a number is a number in its range whatever sent it (tablets send floats for everything and text for
some; YAML and JSON are typed), a flag is 0/1 or true/false, text has a length. ``parse`` returns the value
or raises ``Invalid`` with what is allowed ("must be in range 0..2 (got 2.5)"); the caller puts the name in
front (the OSC argument, the file's key). NaN and the infinities are in no range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


class Invalid(ValueError):
    """A value that does not fit; the message says what is allowed, without the value's name."""


def show(x: float) -> str:
    """A number as a musician would write it: whole numbers without a decimal point or an exponent."""
    return str(int(x)) if math.isfinite(x) and x == int(x) and abs(x) < 1e15 else f"{x:g}"


def _got(raw: Any) -> str:
    if isinstance(raw, float):
        return show(raw)
    text = repr(raw)
    return text if len(text) <= 40 else text[:37] + "…"


class Kind:
    def parse(self, raw: Any) -> Any:
        raise NotImplementedError

    def allowed(self) -> str:
        return ""


@dataclass(frozen=True)
class Number(Kind):
    lo: float
    hi: float

    def parse(self, raw: Any) -> float:
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
            raise Invalid(f"must be a number in range {self.allowed()}")
        try:
            value = float(raw)
        except (ValueError, OverflowError):
            raise Invalid(f"must be a number in range {self.allowed()} (got {_got(raw)})") from None
        if not self.lo <= value <= self.hi:  # (NaN is in no range)
            raise Invalid(f"must be in range {self.allowed()} (got {_got(value)})")
        # OSC floats are 32-bit: 0.8 arrives as 0.800000011920929; keep what the musician typed
        return round(value, 6)

    def allowed(self) -> str:
        return f"{show(self.lo)}..{show(self.hi)}"


@dataclass(frozen=True)
class Whole(Number):
    def parse(self, raw: Any) -> int:  # type: ignore[override]
        if isinstance(raw, int) and not isinstance(raw, bool) and self.lo <= raw <= self.hi:
            return raw  # (exactly: a 20-digit id is not rounded through a float)
        value = super().parse(raw)
        if value != int(value):
            raise Invalid(f"must be a whole number in range {self.allowed()} (got {_got(value)})")
        return int(value)


@dataclass(frozen=True)
class Flag(Kind):
    WORDS = {"1": True, "true": True, "on": True, "yes": True, "0": False, "false": False, "off": False, "no": False}

    def parse(self, raw: Any) -> bool:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, (int, float)) and raw in (0, 1):
            return bool(raw)
        if isinstance(raw, str) and raw.strip().lower() in self.WORDS:
            return self.WORDS[raw.strip().lower()]
        raise Invalid(f"must be 0 or 1, true or false (got {_got(raw)})")

    def allowed(self) -> str:
        return "0 or 1, true or false"


@dataclass(frozen=True)
class Text(Kind):
    limit: int = 200

    def parse(self, raw: Any) -> str:
        if not isinstance(raw, str):
            raise Invalid(f"must be text (got {_got(raw)})")
        if len(raw) > self.limit:
            raise Invalid(f"must be at most {self.limit} characters (got {len(raw)})")
        return raw

    def allowed(self) -> str:
        return f"text of at most {self.limit} characters"


@dataclass(frozen=True)
class Choice(Kind):
    options: tuple[str, ...]

    def parse(self, raw: Any) -> str:
        word = raw.strip().lower() if isinstance(raw, str) else raw
        if isinstance(word, bool) or word not in self.options:
            raise Invalid(f"must be one of {self.allowed()} (got {_got(raw)})")
        return word

    def allowed(self) -> str:
        return ", ".join(self.options)


@dataclass(frozen=True)
class Span(Kind):
    """[start, end] of ``part``, with end after start by at least ``least``."""

    part: Number
    least: float = 0.0

    def parse(self, raw: Any) -> tuple:
        if not isinstance(raw, (list, tuple)) or len(raw) != 2:
            raise Invalid(f"must be [start, end] (got {_got(raw)})")
        start, end = self.part.parse(raw[0]), self.part.parse(raw[1])
        if end - start < max(self.least, 1e-12):
            raise Invalid(f"must run from a start to a later end (got {_got(list(raw))})")
        return start, end

    def allowed(self) -> str:
        return f"[start, end] in {self.part.allowed()}"


@dataclass(frozen=True)
class Maybe(Kind):
    """``kind``, or nothing (None)."""

    kind: Kind

    def parse(self, raw: Any) -> Any:
        return None if raw is None else self.kind.parse(raw)

    def allowed(self) -> str:
        return f"{self.kind.allowed()} or nothing"
