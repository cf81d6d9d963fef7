"""Effect settings as a musician gives them and a project keeps them: which there are, their defaults (off),
their ranges, and note values for the delay's time."""

from __future__ import annotations

import math
import re

KILL_DB = -24.0  # an EQ band at or below this is killed (silent)
BOOST_DB = 6.0
# a setting's name (its address after /pad/n/fx/ or /master/fx/) and its default
DEFAULTS: dict[str, object] = {
    "filter": 0.0,
    "resonance": 0.3,
    "eq/low": 0.0,
    "eq/mid": 0.0,
    "eq/high": 0.0,
    "delay/time": "1/8",
    "delay/feedback": 0.35,
    "delay/mix": 0.0,
    "reverb": 0.0,
}
MASTER_DEFAULTS = {**DEFAULTS, "reverb": 1.0}  # (the master's "reverb" is the reverb's return: all of it at first)
RANGES = {"filter": (-1.0, 1.0), "resonance": (0.0, 1.0), "eq/low": (-96.0, BOOST_DB), "eq/mid": (-96.0, BOOST_DB),
          "eq/high": (-96.0, BOOST_DB), "delay/feedback": (0.0, 1.0), "delay/mix": (0.0, 1.0),
          "reverb": (0.0, 1.0)}  # fmt: skip
_NOTE = re.compile(r"^\s*1\s*(?:/\s*(1|2|4|8|16|32))?\s*(\.|t)?\s*$")


def note_beats(text: object, beats_per_bar: int) -> float:
    """A note value's length in beats (a quarter note is one): ``1/16`` … ``1/2``, ``1`` (a bar), dotted
    (``1/8.``: half as long again) or triplet (``1/8t``: two thirds)."""
    m = _NOTE.match(str(text))
    if m is None:
        raise ValueError(
            f"delay time is a note value such as 1/16, 1/8, 1/8. (dotted), 1/8t (triplet) or 1 (a bar); got {text!r}"
        )
    beats = 4.0 / int(m.group(1)) if m.group(1) else float(beats_per_bar)
    return beats * {".": 1.5, "t": 2.0 / 3.0}.get(m.group(2) or "", 1.0)


def checked(name: str, value: object) -> object:
    """``value`` for setting ``name`` as it is kept (a number in its range, a note value), or ValueError."""
    if name not in DEFAULTS:
        raise ValueError(f"no effect setting {name!r} (there are {', '.join(DEFAULTS)})")
    if name == "delay/time":
        text = str(value).strip()
        note_beats(text, 4)
        return text
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name.replace('/', ' ')} is a number (got {value!r})")
    lo, hi = RANGES[name]
    if not lo <= value <= hi:
        raise ValueError(f"{name.replace('/', ' ')} must be {lo:g}..{hi:g} (got {value:g})")
    return float(value)


def engine_value(name: str, value: object, beats_per_bar: int) -> float:
    """What the engine is given for a setting's kept value (EQ gains linear, the killed band 0; the delay's
    time in beats), or ValueError."""
    if name == "delay/time":
        return note_beats(value, beats_per_bar)
    v = float(value)  # type: ignore[arg-type]
    if name.startswith("eq/"):
        return 0.0 if v <= KILL_DB else 10.0 ** (v / 20.0)
    return v


def engine_settings(fx: dict, beats_per_bar: int, master: bool = False) -> list[tuple[int, float]]:
    """Every setting of a chain (the master's with ``master``) as the engine takes them: (its index in
    `engine.effects.NAMES`, value), the defaults for those not kept."""
    defaults = MASTER_DEFAULTS if master else DEFAULTS
    from padserver.engine import effects as engine_fx

    index = dict(zip(DEFAULTS, (engine_fx.FILTER, engine_fx.RESONANCE, engine_fx.LOW, engine_fx.MID, engine_fx.HIGH,
                                engine_fx.BEATS, engine_fx.FEEDBACK, engine_fx.ECHO, engine_fx.SEND), strict=True))  # fmt: skip
    return [(index[name], engine_value(name, fx.get(name, defaults[name]), beats_per_bar)) for name in DEFAULTS]
