"""Who may play padserver over a LAN: clients accepted by the musician, remembered in the data folder.

Venue Wi-Fi is a private range too, so `osc.allow` alone lets the audience in. With pairing on (``osc.pairing``:
by default when OSC is open to the network) a sender from another machine is refused — one short ``/error``
"not paired", at most every few seconds — and waits until it is accepted: ``padserver clients`` lists those
waiting, ``padserver clients allow HOST`` accepts one, and so does the musician on the grid (the shift key
blinks while a client waits; a press accepts the one that asked last). The machine itself is always paired.
Accepted hosts are kept in ``osc-clients.json``.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import time
from collections import OrderedDict

from padserver.files import atomic_file

log = logging.getLogger("padserver.osc")

FILE = "osc-clients.json"
MAX_WAITING = 32  # senders remembered as waiting (the oldest are forgotten)
MAX_PAIRED = 256
TELL_EVERY_S = 5.0  # "not paired" to one sender at most this often


class Pairing:
    def __init__(self, data_dir: str) -> None:
        self.path = os.path.join(data_dir, FILE)
        self.paired: set[str] = set()
        self.waiting: OrderedDict[str, dict] = OrderedDict()  # host → its port, when first and last heard
        self.on_change = lambda: None  # (the controllers' shift key blinks while a client waits)
        self._load()

    def _load(self) -> None:
        try:
            with open(self.path, encoding="utf-8") as fh:
                hosts = json.load(fh).get("paired", [])
            self.paired = {str(ipaddress.ip_address(h)) for h in hosts if isinstance(h, str)}
        except FileNotFoundError:
            pass
        except (OSError, ValueError, AttributeError) as exc:
            log.error("%s cannot be read (%s): no client is paired until one is accepted again", self.path, exc)

    def admits(self, host: str) -> bool:
        ip = _ip(host)
        return ip is not None and (ip.is_loopback or str(ip) in self.paired)

    @staticmethod
    def this_machine(host: str) -> bool:
        """Whether ``host`` (a sender's address) is padserver's own machine, which is always paired."""
        ip = _ip(host)
        return ip is not None and ip.is_loopback

    def refused(self, addr) -> bool:
        """A sender that is not paired was heard: it waits; True when it is time to tell it so (`told`)."""
        host, now = addr[0], time.monotonic()
        fresh = host not in self.waiting
        if fresh:
            self.waiting[host] = {"port": addr[1], "first": time.time(), "told": -1e9, "messages": 0}
            while len(self.waiting) > MAX_WAITING:
                self.waiting.popitem(last=False)
            log.warning("OSC client %s is not paired: `padserver clients allow %s` (or shift on the grid)", host, host)
        self.waiting.move_to_end(host)
        entry = self.waiting[host]
        entry["port"] = addr[1]
        entry["messages"] += 1
        if fresh:
            self.on_change()
        return now - entry["told"] >= TELL_EVERY_S

    def told(self, addr) -> None:
        entry = self.waiting.get(addr[0])
        if entry is not None:
            entry["told"] = time.monotonic()

    def allow(self, host: str | None = None) -> str:
        """Accept ``host`` (None: the client that asked last); the host accepted. ValueError when there is none."""
        if host is None:
            if not self.waiting:
                raise ValueError("no client is waiting to be paired")
            host = next(reversed(self.waiting))
        try:
            ip = str(ipaddress.ip_address(host))
        except ValueError:
            raise ValueError(f"host must be an IP address such as 192.168.1.20 (got {host[:40]!r})") from None
        if len(self.paired) >= MAX_PAIRED and ip not in self.paired:
            raise ValueError(f"{MAX_PAIRED} clients are paired already")
        self.paired.add(ip)
        self.waiting.pop(ip, None)
        self._save()
        log.info("OSC client %s paired", ip)
        self.on_change()
        return ip

    def _save(self) -> None:
        try:
            with atomic_file(self.path, "w") as fh:
                json.dump({"paired": sorted(self.paired)}, fh, indent=1)
        except OSError as exc:  # (paired for this run; said, so the musician knows it will be asked again)
            log.error("cannot remember the paired clients in %s: %s", self.path, exc.strerror)

    def listing(self) -> dict:
        return {
            "waiting": [
                {"host": h, **{k: e[k] for k in ("port", "first", "messages")}} for h, e in self.waiting.items()
            ],
            "paired": sorted(self.paired),
        }


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """A sender's address (an IPv6 one may carry its interface after a %), or None when it is no address."""
    try:
        return ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return None
