"""The OSC request namespace: every group's routes in one table, looked up by address, and its documentation."""

from __future__ import annotations

import re

from padserver.control.route import Route
from padserver.control.routes import core, effects, generate, library, live, live_mode, midi, projects, song

ROUTES: list[Route] = [
    route
    for module in (core, generate, library, live, live_mode, midi, projects, song, effects)
    for route in module.group.routes
]


def find(address: str) -> tuple[Route, list[str]] | None:
    for r in ROUTES:
        m = r.regex.match(address)
        if m:
            return r, list(m.groups())
    return None


def markdown() -> str:
    """The request namespace as a Markdown table (docs/osc.md is generated from it)."""
    lines = [
        "# OSC requests",
        "",
        "Generated from `padserver/control/osc_routes.py` by `padserver osc-docs`; do not edit by hand.",
        "`{n}` is a pad, 1..16 row-major from the top left. Numbers may be sent as int or float,",
        "booleans as 0/1. Every failing request gets `/error s:address s:message` back.",
        "",
        "Buttons: an address listed without arguments also takes one number, as tablet and hardware buttons send it:",
        "≥ 0.5 is the press, a lower value (the release) is ignored, except on `/pad/{n}/play` of a gate pad, which",
        "it stops (`/pad/{n}/trigger` takes the press and the release as its own argument).",
        "",
        "What one sender may cost: `osc.rate_limit` messages a second (default 4,000, bursts of `osc.burst`,",
        "8,000; each message of a bundle counts); the excess is dropped and counted, and the sender gets at most one",
        "`/error` a second about it. Until a sender has made a valid request (a known address with the right number",
        "of arguments), padserver sends it no more bytes than it sent: errors are cut to fit (an unknown address is",
        "echoed shortened), none once that is spent, and the full state goes only to a client that made one. At most",
        "1,024 timed bundles wait at once; a reply too large for one datagram is refused with an `/error`.",
        "",
        "| address | args | does |",
        "|---|---|---|",
    ]
    for r in ROUTES:
        args = " ".join(f"`{a}`" for a in r.args.split()) or ""
        lines.append(f"| `{r.pattern}` | {args} | {r.doc} |")
    from padserver.control.osc_feedback import FEEDBACK

    lines += [
        "",
        "# OSC feedback",
        "",
        "Sent to every registered client (`/register`, or any client that sends something while",
        "`osc.auto_register` is on) when the value changes; a new client gets the full state at once.",
        "",
        "| address | args | |",
        "|---|---|---|",
    ]
    lines += [f"| `{address}` | `{args}` | {doc} |" for address, args, doc in FEEDBACK]
    return "\n".join(lines) + "\n"


def feedback_match(address: str) -> bool:
    from padserver.control.osc_feedback import FEEDBACK

    patterns = [re.compile("^" + re.escape(a).replace(r"\{n\}", r"([0-9]+)") + "$") for a, _, _ in FEEDBACK]
    return any(p.match(address) for p in patterns)
