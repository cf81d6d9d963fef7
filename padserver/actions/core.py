"""Actions: validate, change the project, command the engine, answer or raise ActionError.

`Actions` is built in parts: the base (services, plumbing, playing pads, pad settings, engine reports),
loading audio onto pads, and the project clock.
"""

from __future__ import annotations

from padserver.actions.tempo import ProjectClock


class Actions(ProjectClock):
    """The one vocabulary every surface calls (OSC, MIDI, the CLI, tests)."""
