"""A small OSC client for the CLI (``padserver send``) and scripts."""

from __future__ import annotations

import inspect
import socket
import time

from pythonosc.osc_message import OscMessage

from padserver.control.osc import build
from padserver.control.osc_routes import find

ASYNC_WAIT_S = 60.0  # a load or a generation can take a while


def parse_arg(text: str):
    """Whole numbers go as int, decimals as float, everything else as text."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def send_and_collect(host: str, port: int, address: str, args: list[str], wait: float) -> tuple[bool, list]:
    """Send one message, then ``/ping``; the ``/pong`` proves the daemon handled it.

    Returns (daemon answered, replies other than the pong). For an asynchronous
    request (load, generate) it waits for that request's own answer too.
    """
    found = find(address)
    is_async = found is not None and inspect.iscoroutinefunction(found[0].handler)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.sendto(build("/unregister", []), (host, port))  # replies only, no feedback stream
        sock.sendto(build(address, [parse_arg(a) for a in args]), (host, port))
        if address != "/ping":
            sock.sendto(build("/ping", []), (host, port))
        replies: list = []
        answered = False
        deadline = time.monotonic() + wait
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            sock.settimeout(left)
            try:
                data, _ = sock.recvfrom(65536)
            except (TimeoutError, ConnectionRefusedError):
                break
            try:
                msg = OscMessage(data)
            except Exception:
                continue
            if msg.address == "/pong" and address != "/ping":
                answered = True
                if is_async and not replies:
                    deadline = time.monotonic() + max(wait, ASYNC_WAIT_S)
                else:
                    deadline = min(deadline, time.monotonic() + 0.05)
                continue
            answered = True
            replies.append((msg.address, list(msg.params)))
            deadline = min(deadline, time.monotonic() + 0.05)  # one request's replies come together
        return answered, replies


def request(host: str, port: int, address: str, args: list, wait: float) -> int:
    """Send one request, print the replies; the exit code a command line wants (1: no answer or an error)."""
    import sys

    answered, replies = send_and_collect(host, port, address, [str(a) for a in args], wait)
    for reply, values in replies:
        print(reply, *values)
    if not answered:
        print(f"no answer from {host}:{port} within {wait:g} s (is padserver running?)", file=sys.stderr)
        return 1
    return 1 if any(reply == "/error" for reply, _ in replies) else 0


def follow(host: str, port: int, address: str, args: list, done: str, progress: str, show, quiet_s: float = 10.0):
    """Send a long request and follow it: ``show(values)`` for each ``progress`` message, until ``done``.

    Returns (exit code, the done message's values). Gives up when the daemon is
    silent for ``quiet_s`` seconds (no answer, or an export that stopped reporting).
    """
    import sys

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.sendto(build("/unregister", []), (host, port))  # this request's messages only
        sock.sendto(build(address, [parse_arg(str(a)) for a in args]), (host, port))
        heard = False
        while True:
            sock.settimeout(quiet_s)
            try:
                msg = OscMessage(sock.recvfrom(65536)[0])
            except (TimeoutError, ConnectionRefusedError):
                what = "stopped reporting" if heard else f"did not answer on port {port} (is padserver running?)"
                print(f"\npadserver {what}", file=sys.stderr)
                return 1, []
            except Exception:
                continue
            heard = True
            values = list(msg.params)
            if msg.address == "/error":
                print(f"\npadserver: {values[-1]}", file=sys.stderr)
                return 1, values
            if msg.address == progress:
                show(values)
            elif msg.address == done:
                return 0, values
