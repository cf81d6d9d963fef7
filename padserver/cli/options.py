"""Options a command group shares with its actions, accepted before or after the action's name.

``padserver library --data-dir D import X`` and ``padserver library import X --data-dir D`` mean the same:
the group and each of its actions take the option through one parent parser whose default is "not given",
so a value typed in either place survives the other's parse.
"""

from __future__ import annotations

import argparse


def shared(*options: tuple[str, dict]) -> argparse.ArgumentParser:
    """A parent parser holding ``options`` (flag, add_argument keywords), none of which sets a default."""
    parent = argparse.ArgumentParser(add_help=False)
    for flag, keywords in options:
        parent.add_argument(flag, default=argparse.SUPPRESS, **keywords)
    return parent


DATA_DIR = ("--data-dir", {"help": "where loops, projects and caches live"})


def port_option(default: int = 9000) -> tuple[str, dict]:
    return ("--port", {"type": int, "help": f"the running daemon's OSC port (default {default})"})


def value(args, name: str, default=None):
    """An option's value, or ``default`` where it was typed nowhere."""
    return getattr(args, name, default)
