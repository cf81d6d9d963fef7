"""padserver announced on the LAN over mDNS/DNS-SD as ``_osc._udp``, so the tablets' browsers list it.

Only when OSC is open to the network (on loopback nobody else could reach it). A failure to announce
(no multicast on the network, the library missing) is logged and costs nothing else.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

log = logging.getLogger("padserver.announce")
SERVICE = "_osc._udp.local."


def addresses(host: str) -> list[str]:
    """The IPv4 addresses a tablet can reach OSC on: ``host`` itself, or every interface's but loopback's."""
    if host not in ("0.0.0.0", ""):
        return [host]
    import ifaddr  # (zeroconf's own dependency)

    out = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if isinstance(ip.ip, str) and not ip.ip.startswith("127."):
                out.append(ip.ip)
    return out


class Announcement:
    def __init__(self, host: str, port: int, version: str) -> None:
        self.host, self.port, self.version = host, port, version
        self._zeroconf: Any = None
        self._info: Any = None

    async def start(self) -> None:
        try:
            from zeroconf import IPVersion, ServiceInfo
            from zeroconf.asyncio import AsyncZeroconf

            found = addresses(self.host)
            if not found:
                log.warning("OSC is open to the network but no interface has an address to announce")
                return
            machine = socket.gethostname().split(".")[0] or "padserver"
            self._info = ServiceInfo(
                SERVICE,
                f"padserver on {machine}.{SERVICE}",
                port=self.port,
                addresses=[socket.inet_aton(a) for a in found],
                properties={"app": "padserver", "version": self.version},
                server=f"{machine}.local.",
            )
            self._zeroconf = AsyncZeroconf(ip_version=IPVersion.V4Only)
            await self._zeroconf.async_register_service(self._info)
            log.info(
                "announced on the network as 'padserver on %s' (%s, port %d)", machine, ", ".join(found), self.port
            )
        except Exception as exc:  # no multicast here, or the library missing: tablets can still be pointed at it
            log.warning("cannot announce padserver on the network (mDNS): %s", exc)
            self._zeroconf = None

    async def stop(self) -> None:
        if self._zeroconf is None:
            return
        try:
            await self._zeroconf.async_unregister_service(self._info)
            await self._zeroconf.async_close()
        except Exception as exc:
            log.debug("mDNS: %s", exc)
        self._zeroconf = None
