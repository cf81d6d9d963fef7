"""Starting ``padserver run`` as a process, as a user or systemd would, and talking OSC to it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

from padserver.control.osc import build, messages_in
from padserver.harness.scratch import scratch_dir


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


READS = frozenset({"/status", "/ping"})  # requests that change nothing: sent again when no reply comes
ASK_AGAIN_S = 5.0


class OscPeer:
    """A UDP socket that sends requests and collects what comes back."""

    def __init__(self, port: int, host: str = "127.0.0.1", feedback: bool = False) -> None:
        self.target = (host, port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.feedback = feedback
        self.asked_again = 0  # reads sent again after no reply came (see `request`)
        if not feedback:
            self.send("/unregister")  # replies only: no auto-registered feedback stream

    def send(self, address: str, *args) -> None:
        self.sock.sendto(build(address, list(args)), self.target)

    def receive(self, timeout: float = 2.0, until: str | tuple[str, ...] | None = None) -> list[tuple[str, list]]:
        out = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.001, deadline - time.monotonic()))
            try:
                data, _ = self.sock.recvfrom(65536)
            except TimeoutError:
                break
            arrived = [(msg.address, list(msg.params)) for msg in messages_in(data)]
            out += arrived
            ends = (until,) if isinstance(until, str) else (until or ())
            if any(address in ends for address, _ in arrived):
                break
        return out

    def request(self, address: str, *args, reply: str | None = None, timeout: float = 30.0):
        """Send and wait for the reply ``reply`` (or an /error); returns its arguments. (The timeout only ends a
        wait for a reply that will never come: a loaded machine may take seconds.) A read that changes nothing
        (``/status``) is asked again every few seconds meanwhile, as a tablet polls: UDP may lose a datagram
        either way, and one loss must not end the wait (each time is counted in ``asked_again``)."""
        self.send(address, *args)
        now = time.monotonic()
        deadline = now + timeout
        again = now + ASK_AGAIN_S if address in READS else deadline
        while (now := time.monotonic()) < deadline:
            if now >= again:
                self.asked_again += 1
                print(f"no {reply} for {address} in {ASK_AGAIN_S:g} s: asked again", file=sys.stderr)
                self.send(address, *args)
                again = now + ASK_AGAIN_S
            for addr, values in self.receive(min(deadline, again) - now, until=(reply or "", "/error")):
                if addr == "/error" and values and values[0] == address:
                    raise AssertionError(f"{address}: {values[1]}")
                if addr == reply:
                    return values
        raise TimeoutError(f"no {reply} for {address}")

    def status(self) -> dict:
        """The daemon's `/status`, read."""
        return json.loads(self.request("/status", reply="/status")[0])

    def error(self, address: str, *args, timeout: float = 30.0) -> str:
        """Send a request that must fail; the message of the /error that answers it (for that address)."""
        self.send(address, *args)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for addr, values in self.receive(deadline - time.monotonic(), until="/error"):
                if addr == "/error":
                    assert values and values[0] == address, f"the /error was for {values[:1]}, not {address}"
                    return values[1]
        raise AssertionError(f"no /error for {address} {args}")

    def close(self) -> None:
        self.sock.close()


class DaemonProcess:
    def __init__(
        self,
        args: list[str],
        env: dict | None = None,
        config: str | None = None,
        data_dir: str | None = None,
        prefix: list[str] | None = None,  # e.g. a command that runs it in a mount namespace of its own
    ):
        self.port = free_udp_port()
        self.data_dir = data_dir or scratch_dir("padserver-test-")
        os.makedirs(self.data_dir, exist_ok=True)
        self.log_path = os.path.join(self.data_dir, "daemon.log")
        cmd = [
            sys.executable,
            "-m",
            "padserver",
            "run",
            "--osc-port",
            str(self.port),
            "--data-dir",
            self.data_dir,
            *args,
        ]
        if config is not None:
            path = os.path.join(self.data_dir, "config.yaml")
            with open(path, "w") as fh:
                fh.write(config)
            cmd += ["--config", path]
        full_env = dict(os.environ)
        # its own config folder (learned.yaml, user mappings): never the real user's
        full_env["XDG_CONFIG_HOME"] = os.path.join(self.data_dir, "config")
        full_env.update(env or {})
        self.started = time.monotonic()
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([*(prefix or []), *cmd], stdout=self._log, stderr=subprocess.STDOUT, env=full_env)
        self.osc = OscPeer(self.port)

    def wait_ready(self, timeout: float = 15.0) -> float:
        """Ping until it answers; returns seconds from process start to the first pong."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"padserver exited with {self.proc.returncode}:\n{self.log()}")
            if not self.osc.feedback:
                self.osc.send("/unregister")  # the one sent at creation may have arrived before the daemon
            self.osc.send("/ping")
            for address, _ in self.osc.receive(0.05, until="/pong"):
                if address == "/pong":
                    return time.monotonic() - self.started
        raise TimeoutError(f"padserver did not answer /ping:\n{self.log()}")

    def recorded_take(self, pad: int, timeout: float = 60.0):
        """Wait until a recording has landed on ``pad``; the newest take in the library as (channels, frames).
        (The timeout ends only a wait for a take that never comes: on a loaded machine its import takes seconds.)"""
        import glob

        import soundfile as sf

        deadline = time.monotonic() + timeout
        while self.osc.status()["pads"][pad - 1]["loop_id"] is None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no take landed on pad {pad}:\n{self.log()}")
            time.sleep(0.1)
        files = glob.glob(os.path.join(self.data_dir, "library", "audio", "*", "*.flac"))
        return sf.read(max(files, key=os.path.getmtime), dtype="float32", always_2d=True)[0].T

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        with open(self.log_path, errors="replace") as fh:
            return fh.read()

    def terminate(self, timeout: float = 5.0) -> tuple[int, float]:
        """SIGTERM; returns (exit code, seconds it took)."""
        t0 = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.osc.close()
        self._log.close()
        return code, time.monotonic() - t0
