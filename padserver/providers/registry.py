"""Providers join by entry point (group ``padserver.providers``), the built-in ones too.

Nothing is imported until a provider is asked for, so ``padserver --help`` and a
daemon that only uses the offline generator never load a cloud SDK.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from padserver.providers.base import Provider

GROUP = "padserver.providers"
_extra: dict[str, object] = {}  # registered at run time (tests, embedding applications)


def names() -> list[str]:
    found = {ep.name for ep in entry_points(group=GROUP)}
    return sorted(found | set(_extra))


def register(name: str, factory) -> None:
    """Add a provider without packaging it (a callable returning a Provider)."""
    _extra[name] = factory


def create(name: str, config=None) -> Provider:
    if name in _extra:
        factory = _extra[name]
    else:
        matches = [ep for ep in entry_points(group=GROUP) if ep.name == name]
        if not matches:
            raise ValueError(f"no provider named {name!r} (known: {', '.join(names()) or 'none'})")
        factory = matches[0].load()
    provider = factory(config) if callable(factory) else factory
    if not isinstance(provider, Provider):
        raise TypeError(f"provider {name!r} is not a padserver Provider")
    return provider
