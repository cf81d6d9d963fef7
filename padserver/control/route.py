"""One OSC request route (its address pattern, arguments, documentation and handler), and a group of them
that a module of handlers fills with a decorator; `padserver.control.osc_routes` puts the groups together."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Route:
    pattern: str  # e.g. /pad/{n}/gain
    args: str  # e.g. "f:gain" or "[f:press]"; "" for none
    doc: str
    handler: Any
    regex: re.Pattern

    def arg_specs(self) -> list[tuple[str, str, bool]]:
        """(type, name, optional) for each argument."""
        specs = []
        for token in self.args.split():
            optional = token.startswith("[")
            kind, _, name = token.strip("[]").partition(":")
            specs.append((kind, name, optional))
        return specs

    @property
    def variadic(self) -> bool:
        return "*:" in self.args


class RouteGroup:
    """Routes in the order they were declared: ``@group.route(pattern, args, doc)`` on each handler."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def route(self, pattern: str, args: str, doc: str):
        regex = re.compile("^" + re.escape(pattern).replace(r"\{n\}", r"([^/]+)") + "$")

        def deco(fn):
            self.routes.append(Route(pattern, args, doc, fn, regex))
            return fn

        return deco
