"""Action arguments through the value kinds of ``state.values``: the value, or an ActionError that names the
argument and says what is allowed. (The fields a musician sets are declared once, in ``state.fields``.)"""

from __future__ import annotations

from typing import Any

from padserver.state import fields
from padserver.values import Flag, Invalid, Kind, Number, Text, Whole


class ActionError(ValueError):
    """A request that cannot be carried out; the message tells the musician why."""


def value(kind: Kind, raw: object, what: str) -> Any:
    try:
        return kind.parse(raw)
    except Invalid as exc:
        raise ActionError(f"{what} {exc}") from None


def number(raw: object, what: str, lo: float, hi: float) -> float:
    return value(Number(lo, hi), raw, what)


def whole(raw: object, what: str, lo: int, hi: int) -> int:
    return value(Whole(lo, hi), raw, what)


def flag(raw: object, what: str) -> bool:
    return value(Flag(), raw, what)


def text(raw: object, what: str, max_len: int = 200) -> str:
    return value(Text(max_len), raw, what)


def pad_number(raw: object) -> int:
    return value(fields.PAD, raw, "pad")


def key_values(options, kinds: dict, what: str, words: list[str] | None = None) -> dict:
    """``key=value`` strings (as tablets and scripts send them) into values of the types ``kinds`` names; with
    ``words``, the arguments without ``=`` go there (a search's text) instead of being refused."""
    out: dict = {}
    for option in options:
        key, sep, given = str(option).partition("=")
        if not sep and words is not None:
            words.append(str(option))
            continue
        kind = kinds.get(key)
        if not sep or kind is None:
            raise ActionError(f"{what} options are key=value with key one of {', '.join(kinds)} (got {option!r})")
        try:
            out[key] = kind(given)
        except ValueError:
            raise ActionError(f"{key} must be a {kind.__name__} (got {given!r})") from None
    return out
