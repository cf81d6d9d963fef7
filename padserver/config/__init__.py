"""Loading the configuration: embedded defaults, then a YAML file, then flags.

Every error is collected and reported at once, each with the file, the key and
what is allowed (with a "did you mean …?" for a misspelt key).
"""

from __future__ import annotations

import difflib
import os
from importlib import resources
from types import SimpleNamespace
from typing import Any

from padserver.config.schema import SCHEMA, Invalid, Secret, Section, Value

DEFAULT_FILE = "default.yaml"


class ConfigError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid configuration:\n  " + "\n  ".join(problems))


def _yaml_load(text: str, where: str) -> dict:
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError([f"{where}{line}: not valid YAML ({getattr(exc, 'problem', exc)})"]) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError([f"{where}: must be a mapping of sections (audio:, engine:, osc: …)"])
    return data


def default_text() -> str:
    return resources.files("padserver.config").joinpath(DEFAULT_FILE).read_text()


def user_config_path() -> str:
    from platformdirs import user_config_dir

    return os.path.join(user_config_dir("padserver"), "config.yaml")


def _merge(schema: Section, data: dict, into: dict, where: str, prefix: str, problems: list[str]) -> None:
    for key, raw in data.items():
        name = f"{prefix}{key}"
        spec = schema.keys.get(key)
        if spec is None:
            close = difflib.get_close_matches(str(key), list(schema.keys), n=1)
            hint = f" (did you mean {prefix}{close[0]}?)" if close else f" (known: {', '.join(schema.keys)})"
            problems.append(f"{where}: unknown key {name}{hint}")
            continue
        if isinstance(spec, Section):
            if not isinstance(raw, dict):
                problems.append(f"{where}: {name} must be a section with keys {', '.join(spec.keys)}")
                continue
            _merge(spec, raw, into.setdefault(key, {}), where, name + ".", problems)
            continue
        try:
            into[key] = spec.parse(raw)
        except Invalid as exc:
            problems.append(f"{where}: {name} {exc}")


def _namespace(schema: Section, values: dict) -> SimpleNamespace:
    out = SimpleNamespace()
    for key, spec in schema.keys.items():
        setattr(out, key, _namespace(spec, values[key]) if isinstance(spec, Section) else values[key])
    return out


def _secrets_from_env(schema: Section, values: dict, env) -> None:
    for key, spec in schema.keys.items():
        if isinstance(spec, Section):
            _secrets_from_env(spec, values[key], env)
        elif isinstance(spec, Secret) and not values[key]:
            for var in spec.env:
                if env.get(var):
                    values[key] = env[var]
                    break


def load_config(path: str | None = None, overrides: dict | None = None, env=None) -> SimpleNamespace:
    """Defaults ← the file at ``path`` (or the user's config file, if any) ← ``overrides``.

    ``overrides`` maps dotted keys ("osc.port") to values from the command line.
    """
    env = os.environ if env is None else env
    problems: list[str] = []
    values: dict = {}
    _merge(SCHEMA, _yaml_load(default_text(), "(defaults)"), values, "(defaults)", "", problems)
    source = "(defaults)"
    if path is None and os.path.isfile(user_config_path()):
        path = user_config_path()
    if path is not None:
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except OSError as exc:
            raise ConfigError([f"{path}: cannot read ({exc.strerror})"]) from None
        try:
            _merge(SCHEMA, _yaml_load(text, path), values, path, "", problems)
        except ConfigError as exc:
            problems.extend(exc.problems)
        source = path
    for dotted, raw in (overrides or {}).items():
        nested: dict = {}
        cursor = nested
        parts = dotted.split(".")
        for part in parts[:-1]:
            cursor = cursor.setdefault(part, {})
        cursor[parts[-1]] = raw
        _merge(SCHEMA, nested, values, "command line", "", problems)
    if problems:
        raise ConfigError(problems)
    _secrets_from_env(SCHEMA, values, env)
    config = _namespace(SCHEMA, values)
    config.source = source
    return config


def render(config: SimpleNamespace, schema: Section = SCHEMA, indent: str = "") -> str:
    """The effective configuration as YAML, secrets masked."""
    lines = []
    for key, spec in schema.keys.items():
        value: Any = getattr(config, key)
        if isinstance(spec, Section):
            lines.append(f"{indent}{key}:")
            lines.append(render(value, spec, indent + "  "))
        else:
            assert isinstance(spec, Value)
            lines.append(f"{indent}{key}: {spec.show(value)}")
    return "\n".join(lines)
