"""Typed configuration values: each knows how to parse and how to display itself. Numbers, flags and choices
parse as ``state.values`` parses them everywhere, and the engine's settings are the fields ``state.fields``
declares (a tempo the config takes, a tablet and a project file take too)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from padserver import values
from padserver.state import fields
from padserver.values import Invalid

__all__ = ["SCHEMA", "Invalid", "Section", "Value"]


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
        # (YAML reads `pairing: true` as a flag: the word it was)
        return values.Choice(self.options).parse(str(raw).lower() if raw is not None else "")

    def allowed(self):
        return ", ".join(self.options)


CATEGORY_LEVELS = ("drums", "bass", "keys", "guitar", "synth", "vocals", "fx", "other")  # the library's categories


@dataclass
class NormalizeMode(Choice):
    """``loops.normalize``: match, peak or off; the flag it used to be still reads (true: match, false: off)."""

    def parse(self, raw):
        if isinstance(raw, bool):
            return "match" if raw else "off"
        return super().parse(raw)


@dataclass
class Bool(Value):
    def parse(self, raw):
        return values.Flag().parse(raw)

    def show(self, value):
        return "true" if value else "false"


@dataclass
class Number(Value):
    lo: float
    hi: float
    integer: bool = False

    def parse(self, raw):
        return self._kind().parse(raw)

    def _kind(self) -> values.Number:
        return (values.Whole if self.integer else values.Number)(self.lo, self.hi)

    def allowed(self):
        return self._kind().allowed()

    def show(self, value):
        return str(value)


@dataclass
class Field(Value):
    """A value a musician also sets while playing: parsed as the field declares it."""

    kind: values.Kind

    def parse(self, raw):
        return self.kind.parse(raw)

    def allowed(self):
        return self.kind.allowed()


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
                "tempo": Field(fields.TEMPO),
                "beats_per_bar": Field(fields.BEATS_PER_BAR),
                "quantize": Field(fields.QUANTUM),
                "master_gain": Field(fields.GAIN),
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
                "announce": Choice(("auto", "true", "false")),
                "rate_limit": Number(0, 1_000_000),
                "burst": Number(1, 1_000_000),
            }
        ),
        "midi": Section({"api": Choice(("auto", "alsa", "jack", "coremidi", "none")), "mappings": Str()}),
        "library": Section({"preview_output": Choice(("cue", "master"))}),
        "loops": Section(
            {
                "normalize": NormalizeMode(("match", "peak", "off")),
                "lufs": Number(-40, 0),
                "true_peak_db": Number(-12, 0),
                "max_limiting_db": Number(0, 12),
                "seam_ms": Number(0, 100),
                "refit_after_s": Number(0, 60),
                "refit_min_change": Number(0, 50),
            }
        ),
        "levels": Section({category: Number(-24, 12) for category in CATEGORY_LEVELS}),
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
                "metronome_gain": Field(fields.GAIN),
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
                "lyria-realtime": Section(
                    {
                        "base_url": Str(),
                        "lead_in_s": Number(0, 30),
                        "stall_s": Number(1, 120),
                        "buffer_s": Number(0.25, 10),
                        "idle_close_s": Number(1, 3600),
                        "daily_minutes": Number(0, 1440),
                    }
                ),
                "lyria-clip": Section({"base_url": Str(), "model": Str()}),
                "stems": Choice(("auto", "offline", "elevenlabs")),
                "elevenlabs-music": Section(
                    {
                        "base_url": Str(),
                        "model": Str(),
                        "output_format": Str(),
                        "stream": Bool(),
                        "c2pa": Bool(),
                        "pcm_channels": Number(0, 2, integer=True),
                    }
                ),
                "elevenlabs-sfx": Section(
                    {
                        "base_url": Str(),
                        "output_format": Str(),
                        "prompt_influence": Number(0, 1),
                        "pcm_channels": Number(0, 2, integer=True),
                    }
                ),
                "elevenlabs-voice": Section(
                    {
                        "base_url": Str(),
                        "model": Str(),
                        "voice": Str(),
                        "output_format": Str(),
                        "pcm_channels": Number(0, 2, integer=True),
                    }
                ),
                "espeak-ng": Section({"voice": Str()}),
                "elevenlabs-stems": Section(
                    {
                        "base_url": Str(),
                        "output_format": Str(),
                        "c2pa": Bool(),
                        "pcm_channels": Number(0, 2, integer=True),
                    }
                ),
            }
        ),
        "log": Section({"level": Choice(("debug", "info", "warning", "error"))}),
    }
)
