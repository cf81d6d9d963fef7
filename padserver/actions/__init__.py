"""The one vocabulary of user intentions, shared by OSC, MIDI, the CLI and tests."""

from padserver.actions.checks import ActionError
from padserver.actions.core import Actions

__all__ = ["Actions", "ActionError"]
