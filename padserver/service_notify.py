"""The service manager's notify protocol (sd_notify), spoken without libsystemd.

Under systemd with ``Type=notify`` the daemon says ``READY=1`` once OSC answers, ``WATCHDOG=1`` from the event
loop at half the watchdog interval (so a daemon whose event loop hangs is restarted), and ``STOPPING=1`` when
it begins to stop. ``NOTIFY_SOCKET`` names the datagram socket (a leading ``@`` is an abstract one);
``WATCHDOG_USEC`` the interval, for this process when ``WATCHDOG_PID`` is unset or names it. Without them
every call does nothing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket

log = logging.getLogger(__name__)


class ServiceNotifier:
    def __init__(self, environ: dict | None = None) -> None:
        env = os.environ if environ is None else environ
        path = env.get("NOTIFY_SOCKET", "")
        self._address: str | bytes | None = None
        if path.startswith("@"):
            self._address = b"\0" + path[1:].encode()
        elif path.startswith("/"):
            self._address = path
        self.watchdog_s: float | None = None
        usec, pid = env.get("WATCHDOG_USEC", ""), env.get("WATCHDOG_PID", "")
        if usec.isdigit() and int(usec) > 0 and (not pid or pid == str(os.getpid())):
            self.watchdog_s = int(usec) / 1e6
        self._sock: socket.socket | None = None

    def notify(self, state: str) -> None:
        """Send ``state`` (e.g. "READY=1"); a manager that is gone costs nothing."""
        if self._address is None:
            return
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
                self._sock.setblocking(False)
            self._sock.sendto(state.encode(), self._address)
        except OSError as exc:
            log.debug("service notification %s not sent: %s", state, exc)

    async def watchdog(self) -> None:
        """Pet the watchdog from the event loop for as long as it runs."""
        if self._address is None or self.watchdog_s is None:
            return
        while True:
            self.notify("WATCHDOG=1")
            await asyncio.sleep(self.watchdog_s / 2)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
