"""Fixtures for the control tests: a daemon, and liblo's oscdump registered for its feedback."""

import subprocess
import threading
import time

import pytest

from padserver.harness.daemon import DaemonProcess, free_udp_port


class Dump:
    """oscdump on a free port; every line with the time it arrived."""

    def __init__(self) -> None:
        self.port = free_udp_port()
        self.proc = subprocess.Popen(["oscdump", "-L", str(self.port)], stdout=subprocess.PIPE, text=True, bufsize=1)
        self.lines: list[tuple[float, str]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        time.sleep(0.2)

    def _read(self) -> None:
        for line in self.proc.stdout:
            # oscdump puts the bundle time tag ("eeac16ea.9a8997c3") before the address
            text = line.strip()
            if not text.startswith("/"):
                text = text.partition(" ")[2]
            self.lines.append((time.monotonic(), text))

    def wait_for(self, text: str, timeout: float = 5.0, after: float = 0.0) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for t, line in list(self.lines):
                if t >= after and line.endswith(text):
                    return t
            time.sleep(0.01)
        raise AssertionError(f"oscdump never saw {text!r}; it saw:\n" + "\n".join(line for _, line in self.lines[-40:]))

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(5)


@pytest.fixture
def daemon(tmp_path):
    d = DaemonProcess(["--audio", "null"], data_dir=str(tmp_path))
    d.wait_ready()
    yield d
    d.terminate()


@pytest.fixture
def dump(daemon):
    dump = Dump()
    subprocess.run(
        ["oscsend", "localhost", str(daemon.port), "/register", "si", "127.0.0.1", str(dump.port)], check=True
    )
    yield dump
    dump.close()
