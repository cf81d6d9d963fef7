"""Typed configuration values: each knows how to parse and how to display itself."""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass, field
from typing import Any


class Invalid(ValueError):
    """A value that does not fit its key; the message names what is allowed."""


class Value:
    def parse(self, raw: Any) -> Any:
        raise NotImplementedError

    def show(self, value: Any) -> str:
        return repr(value) if isinstance(value, str) else str(value)

    def allowed(self) -> str:
        return ""


@dataclass
class Str(Value):
    def parse(self, raw):
        if raw is None:
            return ""
        if not isinstance(raw, (str, int, float)) or isinstance(raw, bool):
            raise Invalid("must be text")
        return str(raw)


@dataclass
class Secret(Str):
    """An API key or password: never displayed, never logged."""

    env: tuple[str, ...] = ()

    def show(self, value):
        return "<set>" if value else "<not set>"


@dataclass
class Choice(Value):
    options: tuple[str, ...]

    def parse(self, raw):
        text = str(raw).strip().lower() if raw is not None else ""
        if text not in self.options:
            raise Invalid(f"must be one of {', '.join(self.options)} (got {raw!r})")
        return text

    def allowed(self):
        return ", ".join(self.options)


@dataclass
class Bool(Value):
    def parse(self, raw):
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in ("true", "yes", "on", "1", "false", "no", "off", "0"):
            return raw.lower() in ("true", "yes", "on", "1")
        raise Invalid(f"must be true or false (got {raw!r})")

    def show(self, value):
        return "true" if value else "false"


@dataclass
class Number(Value):
    lo: float
    hi: float
    integer: bool = False

    def parse(self, raw):
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
            raise Invalid(f"must be a number in range {self._range()}")
        try:
            value = float(raw)
        except ValueError:
            raise Invalid(f"must be a number in range {self._range()} (got {raw!r})") from None
        if math.isnan(value) or not self.lo <= value <= self.hi:
            raise Invalid(f"must be in range {self._range()} (got {raw!r})")
        if self.integer:
            if value != int(value):
                raise Invalid(f"must be a whole number in range {self._range()} (got {raw!r})")
            return int(value)
        return value

    def _range(self):
        fmt = "{:d}" if self.integer else "{:g}"
        return f"{fmt.format(int(self.lo) if self.integer else self.lo)}..{fmt.format(int(self.hi) if self.integer else self.hi)}"

    def allowed(self):
        return self._range()

    def show(self, value):
        return str(value)


@dataclass
class Latency(Value):
    def parse(self, raw):
        if isinstance(raw, str) and raw.lower() in ("low", "high"):
            return raw.lower()
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise Invalid(f"must be low, high or seconds (got {raw!r})") from None
        if not 0 < value <= 1:
            raise Invalid(f"must be low, high or seconds in range 0..1 (got {raw!r})")
        return value


@dataclass
class Quantum(Value):
    def parse(self, raw):
        from padserver.engine.quantum import parse_quantum

        try:
            return parse_quantum(raw).name
        except (TypeError, ValueError) as exc:
            raise Invalid(str(exc)) from None


@dataclass
class StrList(Value):
    def parse(self, raw):
        if raw is None:
            return []
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list) or not all(isinstance(x, (str, int, float)) for x in raw):
            raise Invalid("must be a list of text values")
        return [str(x) for x in raw]

    def show(self, value):
        return "[" + ", ".join(value) + "]"


@dataclass
class Limits(StrList):
    """``provider=count`` pairs."""

    def parse(self, raw):
        items = super().parse(raw)
        for item in items:
            name, sep, count = item.partition("=")
            if not sep or not count.strip().isdigit():
                raise Invalid(f"{item!r} must look like provider=count, e.g. lyria-clip=50")
        return items


@dataclass
class Networks(StrList):
    def parse(self, raw):
        items = super().parse(raw)
        for item in items:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise Invalid(f"{item!r} is not an address or network such as 192.168.0.0/16") from None
        return items


@dataclass
class Section:
    keys: dict[str, Any] = field(default_factory=dict)


SCHEMA = Section(
    {
        "audio": Section(
            {
                "backend": Choice(("auto", "jack", "portaudio", "null", "stepped")),
                "sample_rate": Number(8000, 192000, integer=True),
                "block_size": Number(16, 4096, integer=True),
                "latency": Latency(),
                "device": Str(),
                "inputs": Number(0, 32, integer=True),
                "input_device": Str(),
                "master_channels": Number(1, 63, integer=True),
                "cue_channels": Number(0, 63, integer=True),
                "pad_channels": Number(0, 63, integer=True),
                "record": Str(),
                "jack": Section(
                    {
                        "client_name": Str(),
                        "server": Str(),
                        "connect": StrList(),
                        "pad_outputs": Bool(),
                        "inputs": Number(0, 32, integer=True),
                        "routes": StrList(),
                    }
                ),
                "stepped": Section({"socket": Str()}),
            }
        ),
        "engine": Section(
            {
                "tempo": Number(20, 300),
                "beats_per_bar": Number(1, 32, integer=True),
                "quantize": Quantum(),
                "master_gain": Number(0, 2),
                "fade_ms": Number(0, 50),
                "launch_together_ms": Number(0, 500),
                "limiter": Bool(),
                "limiter_ceiling_db": Number(-24, 0),
            }
        ),
        "osc": Section(
            {
                "host": Str(),
                "port": Number(1, 65535, integer=True),
                "allow": Networks(),
                "auto_register": Bool(),
                "pairing": Choice(("auto", "true", "false")),
                "rate_limit": Number(0, 1_000_000),
                "burst": Number(1, 1_000_000),
            }
        ),
        "midi": Section({"api": Choice(("auto", "alsa", "jack", "coremidi", "none")), "mappings": Str()}),
        "library": Section({"preview_output": Choice(("cue", "master"))}),
        "loops": Section(
            {
                "normalize": Bool(),
                "lufs": Number(-40, 0),
                "true_peak_db": Number(-12, 0),
                "seam_ms": Number(0, 100),
                "refit_after_s": Number(0, 60),
                "refit_min_change": Number(0, 50),
            }
        ),
        "sync": Section(
            {
                "source": Choice(("internal", "link", "midi")),
                "link_quantum": Number(0, 32),
                "link_start_stop": Bool(),
                "clock_in": Str(),
                "clock_out": StrList(),
            }
        ),
        "song": Section(
            {
                "metronome_gain": Number(0, 2),
                "metronome_output": Choice(("master", "click")),
                "count_in_bars": Number(0, 4, integer=True),
                "scene_stops_others": Bool(),
            }
        ),
        "projects": Section(
            {"restore": Bool(), "autosave_s": Number(0.2, 600), "undo_depth": Number(1, 100000, integer=True)}
        ),
        "paths": Section({"data_dir": Str(), "allowed_folders": StrList()}),
        "providers": Section(
            {
                "default": Choice(("offline", "lyria-realtime", "lyria-clip", "elevenlabs-music", "elevenlabs-sfx")),
                "google_api_key": Secret(env=("GEMINI_API_KEY", "GOOGLE_API_KEY")),
                "elevenlabs_api_key": Secret(env=("ELEVENLABS_API_KEY",)),
                "timeout_s": Number(1, 3600),
                "concurrency": Number(1, 16, integer=True),
                "retry_attempts": Number(1, 10, integer=True),
                "retry_first_s": Number(0.01, 600),
                "retry_max_s": Number(0.01, 3600),
                "daily_limit": Limits(),
                "lyria-realtime": Section({"base_url": Str(), "lead_in_s": Number(0, 30), "stall_s": Number(1, 120)}),
                "lyria-clip": Section({"base_url": Str(), "model": Str()}),
                "elevenlabs-music": Section(
                    {"base_url": Str(), "model": Str(), "output_format": Str(), "stream": Bool()}
                ),
                "elevenlabs-sfx": Section(
                    {"base_url": Str(), "output_format": Str(), "prompt_influence": Number(0, 1)}
                ),
            }
        ),
        "log": Section({"level": Choice(("debug", "info", "warning", "error"))}),
    }
)
