"""The OSC server: UDP on asyncio, decoding with python-osc, dispatch through the route table.

Every bad request is answered with ``/error s:address s:message`` to its sender
and logged; nothing a client sends can stop the daemon or the audio. Bundles
with a future time tag are scheduled on the event loop, never slept on (a
bounded number of them). What each sender may cost and be sent — its rate, and
no more bytes back than it sent until it made a valid request — is kept by
`osc_guard`.
"""

from __future__ import annotations

import asyncio
import collections
import ipaddress
import logging
import math
import select
import struct
import time
from dataclasses import dataclass
from typing import Any

from pythonosc.osc_bundle import OscBundle
from pythonosc.osc_message import OscMessage

from padserver.actions import ActionError, EngineBusy
from padserver.control.osc_guard import SenderGuard
from padserver.control.osc_routes import find

log = logging.getLogger("padserver.osc")

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
MAX_BUNDLE_DELAY_S = 60.0  # a time tag further ahead than this is refused
HANDLED_KEPT = 2048  # packets whose handling time /status summarises
MAX_CLIENTS = 64  # registered feedback addresses kept (the oldest is dropped)
MAX_PENDING_BUNDLES = 1024  # timed bundles waiting for their time, all senders together
MAX_DATAGRAM = 65507  # the most one UDP datagram carries (IPv4)
ECHO_CHARS = 64  # an address or a value echoed back in an error, at most


BUNDLE_BYTES = 1200  # a bundle of feedback stays in one Ethernet or Wi-Fi frame
_BUNDLE_HEAD = b"#bundle\0" + (1).to_bytes(8, "big")  # time tag 1: at once


def messages_in(data: bytes) -> list[OscMessage]:
    """The messages a datagram carries: one, or a bundle's (padserver sends a new client's state in bundles)."""
    if not OscBundle.dgram_is_bundle(data):
        return [OscMessage(data)]
    out: list[OscMessage] = []
    for item in OscBundle(data):
        out += [item] if isinstance(item, OscMessage) else messages_in(item.dgram)
    return out


_INT = struct.Struct(">i")
_FLOAT = struct.Struct(">f")


def _osc_string(text: str) -> bytes:
    """An OSC string: UTF-8, ended by a NUL and padded with NULs to a multiple of four bytes."""
    data = text.encode("utf-8")
    return data + b"\0" * (4 - len(data) % 4)


def build(address: str, args: list) -> bytes:
    """One OSC message: True/False as the T/F tags, an int as a 32-bit int, a float as a 32-bit float, anything
    else as its text — the bytes python-osc's builder makes (tested against it), without the builder's parse of
    what it built (feedback is sent many times a second). A value OSC cannot carry raises (struct.error,
    OverflowError), an empty address ValueError."""
    if not address:
        raise ValueError("OSC addresses cannot be empty")
    tags = [","]
    data = []
    for arg in args:
        if isinstance(arg, bool):
            tags.append("T" if arg else "F")
        elif isinstance(arg, int):
            tags.append("i")
            data.append(_INT.pack(arg))
        elif isinstance(arg, float):
            tags.append("f")
            data.append(_FLOAT.pack(arg))
        else:
            tags.append("s")
            data.append(_osc_string(str(arg)))
    return _osc_string(address) + _osc_string("".join(tags)) + b"".join(data)


@dataclass
class Context:
    """What a route handler may use: the actions, a status snapshot, the sender, the server (its clients and
    the MIDI manager, when MIDI is on)."""

    actions: Any
    status: Any
    sender: tuple
    server: Any = None

    @property
    def midi(self):
        return getattr(self.server, "midi", None)


class OscServer(asyncio.DatagramProtocol):
    def __init__(
        self,
        actions,
        status,
        host: str,
        port: int,
        allow: list[str],
        rate_limit: float = 4000.0,
        burst: float = 8000.0,
    ) -> None:
        self.actions = actions
        self.status = status
        self.midi = None  # the MIDI manager (learn, devices), set by the daemon when MIDI is on
        self.host = host
        self.port = port
        self.open_to_network = host not in LOOPBACK_HOSTS
        self.allow = [ipaddress.ip_network(a, strict=False) for a in allow]
        self._verdicts: dict[str, bool] = {}
        self.transport: asyncio.DatagramTransport | None = None
        self._tasks: set[asyncio.Task] = set()
        self.errors = 0
        self.guard = SenderGuard(rate_limit, burst)
        self.pairing: Any = None  # control.pairing.Pairing when senders from elsewhere must be accepted first
        self._bundles_pending = 0
        self.handled_ns: collections.deque = collections.deque(maxlen=HANDLED_KEPT)
        self.feedback: Any = None  # OscFeedback, set by the daemon
        # Where a sending host asked its replies to go: a tablet sends from one port and listens on another.
        self.reply_to: dict[str, tuple[str, int]] = {}

    def feedback_host(self, host: str) -> str:
        """A host a client may have feedback sent to: an IP address of the socket's family, inside osc.allow
        when OSC is open to the network (a name would cost a DNS lookup on the event loop for every message,
        and text the socket cannot take would close it); else ValueError."""
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            raise ValueError(f"host must be an IP address such as 192.168.1.20 (got {host[:40]!r})") from None
        try:
            family = ipaddress.ip_address(self.host).version
        except ValueError:
            family = 4
        if ip.version != family:
            raise ValueError(f"host must be an IPv{family} address (got {host})")
        if self.open_to_network and not any(ip in net for net in self.allow):
            raise ValueError(f"host {host} is not in osc.allow ({', '.join(map(str, self.allow))})")
        return str(ip)

    def register(self, sender, host: str | None = None, port: int | None = None) -> tuple[str, int]:
        if host is not None:
            host = self.feedback_host(host)
        target = (host or sender[0], int(port) if port is not None else sender[1])
        if target != (sender[0], sender[1]):
            self.reply_to.pop(sender[0], None)
            self.reply_to[sender[0]] = target
            while len(self.reply_to) > MAX_CLIENTS:
                self.reply_to.pop(next(iter(self.reply_to)))
        self.guard.trust(target)  # (asked for by a valid request: it may be sent what it asked for)
        if self.feedback is not None:
            # the whole state each time: a layout opened again from the same port shows the truth at once
            self.feedback.add(target, send_state=True)
        log.info("OSC client %s:%s registered for feedback", *target)
        return target

    def unregister(self, sender) -> None:
        target = self.reply_to.pop(sender[0], None)
        if self.feedback is not None:
            self.feedback.remove(sender)
            if target is not None:
                self.feedback.remove(target)
        log.info("OSC client %s:%s unregistered", sender[0], sender[1])

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.transport, _ = await loop.create_datagram_endpoint(lambda: self, local_addr=(self.host, self.port))
        sock = self.transport.get_extra_info("sockname")
        self.port = sock[1]

    def pending(self) -> bool:
        """A datagram waits in the socket, not yet read (the stepped driver dispatches it before a step)."""
        sock = self.transport.get_extra_info("socket") if self.transport is not None else None
        if sock is None:
            return False
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
        for task in self._tasks:
            task.cancel()

    # -- receiving -------------------------------------------------------------------------
    def _allowed(self, host: str) -> bool:
        if not self.open_to_network:
            return True
        verdict = self._verdicts.get(host)
        if verdict is None:
            try:
                ip = ipaddress.ip_address(host.split("%")[0])
                verdict = any(ip in net for net in self.allow)
            except ValueError:
                verdict = False
            if len(self._verdicts) > 4096:
                self._verdicts.clear()
            self._verdicts[host] = verdict
            if not verdict:
                log.warning("OSC from %s refused: not in osc.allow (%s)", host, ", ".join(map(str, self.allow)))
        return verdict

    def datagram_received(self, data: bytes, addr) -> None:
        began = time.perf_counter_ns()
        try:
            self._datagram(data, addr)
        except Exception:  # (a bug here must not close the socket: asyncio would, and padserver would be deaf)
            log.exception("OSC packet from %s:%s", addr[0], addr[1])
        # packet in → handled (a trigger's command is in the engine's queue by then), for /status
        self.handled_ns.append(time.perf_counter_ns() - began)

    def _datagram(self, data: bytes, addr) -> None:
        if not self._allowed(addr[0]):
            return
        guard = self.guard
        guard.received(addr, len(data))
        now = time.monotonic()
        pairing = self.pairing
        if pairing is not None and not pairing.admits(addr[0]):
            # (told once it has sent as many bytes as the error takes: never more back than it sent)
            if pairing.refused(addr) and guard.admit(addr, 1, now) and (guard.budget(addr) or 0) >= NOT_PAIRED:
                self.error(addr, "", "not paired")
                pairing.told(addr)
            return
        try:
            packet = OscBundle(data) if OscBundle.dgram_is_bundle(data) else OscMessage(data)
        except Exception as exc:  # python-osc raises several kinds for malformed packets
            if guard.admit(addr, 1, now):
                self.error(addr, "", f"malformed OSC packet ({exc.__class__.__name__}: {exc})")
            return
        if not guard.admit(addr, _messages_in(packet), now):
            dropped = guard.report_due(addr, now)
            if dropped:
                self.error(addr, "", f"too many messages: {dropped} dropped (osc.rate_limit: {guard.rate:g}/s)")
            return
        if isinstance(packet, OscBundle):
            self._bundle(packet, addr)
        else:
            self._message(packet, addr)

    def _bundle(self, bundle: OscBundle, addr) -> None:
        delay = bundle.timestamp - time.time() if bundle.timestamp else 0.0
        if delay > MAX_BUNDLE_DELAY_S:
            self.error(
                addr, "#bundle", f"time tag is {delay:.0f} s ahead; at most {MAX_BUNDLE_DELAY_S:.0f} s is accepted"
            )
            return
        contents = list(bundle)
        if delay > 0.0005:
            if self._bundles_pending >= MAX_PENDING_BUNDLES:
                self.error(addr, "#bundle", f"{MAX_PENDING_BUNDLES} timed bundles wait already; this one is refused")
                return
            self._bundles_pending += 1
            asyncio.get_running_loop().call_later(delay, self._run_contents, contents, addr, True)
        else:
            self._run_contents(contents, addr)

    def _run_contents(self, contents, addr, timed: bool = False) -> None:
        if timed:
            self._bundles_pending -= 1
        for item in contents:
            if isinstance(item, OscBundle):
                self._bundle(item, addr)
            else:
                self._message(item, addr)

    def _message(self, message: OscMessage, addr) -> None:
        address = message.address
        found = find(address)
        if found is None:
            self.error(addr, address, "unknown address (see padserver osc-docs)")
            return
        route, parts = found
        params = list(message.params)
        release = False
        if not route.args and len(params) == 1 and _is_number(params[0]):  # a button: its press, or release
            release = float(params[0]) < 0.5
            params = []
        specs = route.arg_specs()
        required = sum(1 for _, _, optional in specs if not optional)
        most = 64 if route.variadic else len(specs)
        if not required <= len(params) <= most:
            wanted = route.args or "no arguments"
            self.error(addr, address, f"expects {wanted} (got {len(params)} argument{'s' if len(params) != 1 else ''})")
            return
        if address != "/unregister":  # a valid request: the sender is trusted, and hears feedback if it wants
            self.guard.trust(addr)
            if self.feedback is not None and address != "/register":  # (which sends the state itself)
                self.feedback.heard_from(addr)
        if release:  # a button let go: nothing to do, but a gate pad's play button stops it
            if route.pattern == "/pad/{n}/play":
                try:
                    self.actions.pad_trigger(parts[0], 0.0)  # a release: only a gate pad stops on it
                except (ActionError, ValueError) as exc:
                    self.error(addr, address, str(exc))
            return
        ctx = Context(self.actions, self.status, addr, self)
        try:
            result = route.handler(ctx, *parts, *params)
        except (ActionError, EngineBusy, ValueError, TypeError) as exc:
            self.error(addr, address, str(exc))
            return
        except Exception:
            log.exception("OSC %s failed", address)
            self.error(addr, address, "internal error (see the daemon log)")
            return
        if asyncio.iscoroutine(result):
            task = asyncio.get_running_loop().create_task(self._finish(result, addr, address))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        elif result:
            self.reply(addr, result)

    async def _finish(self, coro, addr, address: str) -> None:
        try:
            result = await coro
        except (ActionError, EngineBusy, ValueError, TypeError) as exc:
            self.error(addr, address, str(exc))
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("OSC %s failed", address)
            self.error(addr, address, "internal error (see the daemon log)")
            return
        if result:
            self.reply(addr, result)

    # -- sending -----------------------------------------------------------------------------
    def reply(self, addr, replies) -> None:
        """Answer the sender, and its registered feedback port if that is elsewhere."""
        registered = self.reply_to.get(addr[0])
        for address, args in replies:
            self.send(addr, address, args)
            if registered is not None and registered != tuple(addr[:2]):
                self.send(registered, address, args)

    def send(self, addr, address: str, args: list) -> None:
        if self.transport is None:
            return
        data = self._built(addr, address, args)
        if data is None:
            return
        if len(data) > MAX_DATAGRAM:
            log.warning("OSC %s to %s:%s is %d bytes, more than a datagram carries", address, *addr[:2], len(data))
            if address != "/error":
                self.send(addr, "/error", [address, f"the reply is {len(data)} bytes, too large for one datagram"])
            return
        self._out(addr, data)

    def _built(self, addr, address: str, args: list) -> bytes | None:
        try:
            return build(address, args)
        except Exception as exc:  # (a value OSC cannot carry: the message is left out, the server goes on)
            log.warning("OSC %s to %s:%s left out: %s", address, addr[0], addr[1], exc)
            return None

    def _out(self, addr, data: bytes) -> None:
        """One datagram to ``addr``, within what the sender may be sent."""
        if self.transport is None or not self.guard.spend(addr, len(data)):
            return  # (a sender that has made no valid request is sent no more than it sent)
        try:
            self.transport.sendto(data, addr)
        except Exception as exc:  # a client that went away costs nothing
            log.debug("OSC send to %s failed: %s", addr, exc)

    def send_many(self, addr, messages: list[tuple[str, list]]) -> None:
        """``messages`` in as few datagrams as they fit (bundles to be applied at once, each under
        ``BUNDLE_BYTES``): a new client's full state arrives in a dozen datagrams, not hundreds, so a tablet's
        socket (or a Wi-Fi hop) does not drop the end of it."""
        if self.transport is None:
            return
        pending: list[bytes] = []
        size = len(_BUNDLE_HEAD)
        for address, args in messages:
            data = self._built(addr, address, args)
            if data is None:
                continue
            if pending and size + 4 + len(data) > BUNDLE_BYTES:
                self._send_bundle(addr, pending)
                pending, size = [], len(_BUNDLE_HEAD)
            pending.append(data)
            size += 4 + len(data)
        if pending:
            self._send_bundle(addr, pending)

    def _send_bundle(self, addr, parts: list[bytes]) -> None:
        self._out(addr, _BUNDLE_HEAD + b"".join(len(p).to_bytes(4, "big") + p for p in parts))

    def error(self, addr, address: str, message: str) -> None:
        self.errors += 1
        address = _shortened(address)
        log.warning("OSC %s from %s:%s: %s", address or "(packet)", addr[0], addr[1], _shortened(message, 400))
        budget = self.guard.budget(addr)
        if budget is not None:  # an untrusted sender: the error fits in what it sent, or none goes
            fitted = _fitted(address, message, budget)
            if fitted is None:
                return
            message = fitted
        self.reply(addr, [("/error", [address, message])])

    def error_received(self, exc: Exception) -> None:
        log.debug("OSC socket error: %s", exc)


NOT_PAIRED = len(build("/error", ["", "not paired"]))


def _messages_in(packet) -> int:
    """How many messages a packet holds (a bundle's, nested ones included); each counts against the rate."""
    if not isinstance(packet, OscBundle):
        return 1
    return max(1, sum(_messages_in(item) for item in packet))


def _shortened(text: str, most: int = ECHO_CHARS) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def _fitted(address: str, message: str, budget: int) -> str | None:
    """``message`` cut so that ``/error address message`` takes at most ``budget`` bytes; None if even an
    empty one does not fit."""
    size = len(build("/error", [address, message]))
    if size <= budget:
        return message
    keep = len(message.encode()) - (size - budget) - 4
    if keep < 0:
        return None if len(build("/error", [address, ""])) > budget else ""
    cut = message.encode()[:keep].decode(errors="ignore")
    return cut if len(build("/error", [address, cut])) <= budget else None


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(float(value))
