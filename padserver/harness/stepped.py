"""A daemon on the stepped driver, and the test's end of its channel: time moves only when the test says so."""

from __future__ import annotations

import json
import os
import socket
import tempfile
import time

import numpy as np

from padserver.harness.daemon import DaemonProcess, OscPeer


class StepError(RuntimeError):
    """The daemon refused a request on the stepped channel (the message says why)."""


class SteppedDaemon:
    """``padserver run --audio stepped`` as a process, its OSC port, and the channel that steps it.

    ``step(n)`` renders the next n frames and returns the master as (2, n) float32. Everything sent before
    it (OSC on ``osc``, MIDI with ``midi``) is dispatched first; the feedback it causes is in the peers'
    sockets when it returns.
    """

    def __init__(
        self,
        args: list[str] | None = None,
        config: str | None = None,
        data_dir: str | None = None,
        env: dict | None = None,
    ) -> None:
        self._folder = tempfile.mkdtemp(prefix="ps-step-")  # (a Unix socket's path must be short)
        self.socket_path = os.path.join(self._folder, "step.sock")
        self.process = DaemonProcess(
            ["--audio", "stepped", "--step-socket", self.socket_path, *(args or [])],
            env=env,
            config=config,
            data_dir=data_dir,
        )
        self.osc: OscPeer = self.process.osc
        self.data_dir = self.process.data_dir
        self.frame = 0
        self._sock: socket.socket | None = None
        self._buffer = b""

    # -- start and stop ------------------------------------------------------------------------------
    def wait_ready(self, timeout: float = 30.0) -> float:
        deadline = time.monotonic() + timeout
        took = self.process.wait_ready(timeout)
        # OSC answers before the step channel opens (the providers are readied in between): wait for it too
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(self.socket_path)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                sock.close()
                if time.monotonic() > deadline or self.process.proc.poll() is not None:
                    raise RuntimeError(f"the step channel never opened:\n{self.process.log()}") from None
                time.sleep(0.02)
        self._sock = sock
        return took

    def terminate(self) -> tuple[int, float]:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        result = self.process.terminate()
        try:
            os.rmdir(self._folder)
        except OSError:
            pass
        return result

    def log(self) -> str:
        return self.process.log()

    def __enter__(self) -> SteppedDaemon:
        self.wait_ready()
        return self

    def __exit__(self, *exc) -> None:
        self.terminate()

    # -- the channel -----------------------------------------------------------------------------------
    def _ask(self, request: dict, payload: bytes = b"") -> tuple[dict, bytes]:
        if self._sock is None:
            raise StepError("not connected: call wait_ready() first")
        self._sock.sendall(json.dumps(request).encode() + b"\n" + payload)
        while b"\n" not in self._buffer:
            self._buffer += self._recv()
        line, self._buffer = self._buffer.split(b"\n", 1)
        reply = json.loads(line)
        size = int(reply.get("bytes", 0))
        while len(self._buffer) < size:
            self._buffer += self._recv()
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        if "error" in reply:
            raise StepError(reply["error"])
        return reply, data

    def _recv(self) -> bytes:
        assert self._sock is not None
        chunk = self._sock.recv(1 << 20)
        if not chunk:
            raise StepError(f"the daemon closed the channel:\n{self.log()}")
        return chunk

    def step(self, frames: int, played: np.ndarray | None = None) -> np.ndarray:
        """Render the next ``frames`` frames (with ``played``, (2, frames), on the inputs); the master."""
        payload = b""
        request: dict = {"op": "step", "frames": int(frames)}
        if played is not None:
            request["input"] = True
            payload = np.ascontiguousarray(played, dtype=np.float32).tobytes()
        reply, data = self._ask(request, payload)
        self.frame = int(reply["frame"])
        self.xruns = int(reply["xruns"])
        return np.frombuffer(data, dtype=np.float32).reshape(2, int(frames)).copy()

    def step_to(self, frame: int) -> np.ndarray:
        """Render up to (not including) ``frame``; the master from where it stood."""
        if frame < self.frame:
            raise ValueError(f"frame {frame} is behind the daemon's ({self.frame})")
        return self.step(frame - self.frame)

    def plug(self, sources: list[str], targets: list[str] | None = None) -> list[str]:
        """The MIDI ports plugged in now: those devices send from, those they listen on (full names, such as
        ``Launchpad X:LPX MIDI Out``). The controllers' mappings match them as hot-plug would; returns the
        sources a controller is connected on."""
        return self._ask({"op": "ports", "sources": sources, "targets": targets or []})[0]["connected"]

    def midi(self, port: str, *data: int) -> None:
        """A message from the device ``port``, taken before the next step."""
        self._ask({"op": "midi", "port": port, "data": list(data)})

    def sent(self) -> dict[str, list[list[int]]]:
        """What padserver sent to each device since last asked."""
        return self._ask({"op": "sent"})[0]["sent"]

    def clock(self, *events: tuple[int, bytes]) -> None:
        """MIDI clock messages arriving on padserver's clock input, each at its engine frame."""
        self._ask({"op": "clock", "events": [[int(f), list(data)] for f, data in events]})

    def clock_out(self) -> list[tuple[int, bytes]]:
        """What padserver's clock output wrote since last asked: (engine frame, message)."""
        return [(f, bytes(data)) for f, data in self._ask({"op": "clock_out"})[0]["written"]]

    # -- OSC, answered within the current block --------------------------------------------------------
    def request(self, address: str, *args, reply: str, timeout: float = 30.0):
        """An OSC request and its reply (the daemon answers without a step)."""
        return self.osc.request(address, *args, reply=reply, timeout=timeout)

    def status(self) -> dict:
        return self.osc.status()
