"""The one vocabulary of user intentions, shared by OSC, MIDI, the CLI and tests."""

from padserver.actions.checks import ActionError
from padserver.actions.core import Actions
from padserver.engine.command_queue import EngineBusy  # (a surface answers it as it answers an ActionError)
from padserver.state import fields  # (what each setting takes: surfaces check their own files against it)

__all__ = ["Actions", "ActionError", "EngineBusy", "fields"]
