"""Small checks for action arguments: TypeError for the wrong kind, ValueError with the allowed range.

Tablets send floats for everything, so numbers are accepted as int or float
and booleans as 0/1, 0.0/1.0 or true/false.
"""

from __future__ import annotations

import math


class ActionError(ValueError):
    """A request that cannot be carried out; the message tells the musician why."""


def number(value: object, what: str, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise ActionError(
                    f"{what} must be a number in range {_show(lo)}..{_show(hi)} (got {value!r})"
                ) from None
        else:
            raise ActionError(f"{what} must be a number in range {_show(lo)}..{_show(hi)}")
    value = float(value)
    if math.isnan(value) or not lo <= value <= hi:
        raise ActionError(f"{what} must be in range {_show(lo)}..{_show(hi)} (got {_show(value)})")
    # OSC floats are 32-bit: 0.8 arrives as 0.800000011920929; keep what the musician typed
    return round(value, 6)


def _show(x: float) -> str:
    """A number as a musician would write it: whole numbers without a decimal point or an exponent."""
    return str(int(x)) if math.isfinite(x) and x == int(x) and abs(x) < 1e15 else f"{x:g}"


def whole(value: object, what: str, lo: int, hi: int) -> int:
    v = number(value, what, lo, hi)
    if v != int(v):
        raise ActionError(f"{what} must be a whole number in range {lo}..{hi} (got {v:g})")
    return int(v)


def flag(value: object, what: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in ("0", "1", "true", "false", "on", "off"):
        return value.lower() in ("1", "true", "on")
    raise ActionError(f"{what} must be 0 or 1 (got {value!r})")


def text(value: object, what: str, max_len: int = 200) -> str:
    if not isinstance(value, str):
        raise ActionError(f"{what} must be text")
    if len(value) > max_len:
        raise ActionError(f"{what} must be at most {max_len} characters")
    return value


def pad_number(value: object) -> int:
    return whole(value, "pad", 1, 16)


def key_values(options, kinds: dict, what: str, words: list[str] | None = None) -> dict:
    """``key=value`` strings (as tablets and scripts send them) into values of the types ``kinds`` names; with
    ``words``, the arguments without ``=`` go there (a search's text) instead of being refused."""
    out: dict = {}
    for option in options:
        key, sep, value = str(option).partition("=")
        if not sep and words is not None:
            words.append(str(option))
            continue
        kind = kinds.get(key)
        if not sep or kind is None:
            raise ActionError(f"{what} options are key=value with key one of {', '.join(kinds)} (got {option!r})")
        try:
            out[key] = kind(value)
        except ValueError:
            raise ActionError(f"{key} must be a {kind.__name__} (got {value!r})") from None
    return out
