"""The shipped systemd units, checked by systemd itself where it is installed."""

import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UNITS = os.path.join(ROOT, "systemd")

needs_systemd = pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")


@needs_systemd
def test_user_unit_verifies(tmp_path):
    home, runtime = tmp_path / "home", tmp_path / "run"
    (home / ".local" / "bin").mkdir(parents=True)
    runtime.mkdir(mode=0o700)
    os.symlink(sys.executable, home / ".local" / "bin" / "padserver")  # where the unit expects the command
    env = dict(os.environ, HOME=str(home), XDG_RUNTIME_DIR=str(runtime))
    result = subprocess.run(
        ["systemd-analyze", "--user", "verify", os.path.join(UNITS, "padserver.service")],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


@needs_systemd
@pytest.mark.skipif(
    shutil.which("unshare") is None or os.geteuid() != 0, reason="needs root and unshare for a private /opt"
)
def test_system_unit_verifies():
    # The unit runs /opt/padserver/bin/padserver: provide it on a private /opt, leave the real one alone.
    script = (
        "mount -t tmpfs tmpfs /opt && mkdir -p /opt/padserver/bin && "
        f"ln -s {sys.executable} /opt/padserver/bin/padserver && "
        f"systemd-analyze verify {os.path.join(UNITS, 'padserver-system.service')}"
    )
    result = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@needs_systemd
def test_the_system_unit_is_sandboxed():
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", os.path.join(UNITS, "padserver-system.service")],
        capture_output=True,
        text=True,
    )
    overall = [line for line in result.stdout.splitlines() if "Overall exposure level" in line]
    assert overall, result.stdout + result.stderr
    level = float(overall[0].split(":")[1].split()[0])
    assert level <= 3.0, overall[0]  # (each exposure left is explained in the unit)


def test_units_restart_on_failure_and_stop_in_time():
    for name in ("padserver.service", "padserver-system.service"):
        text = open(os.path.join(UNITS, name)).read()
        assert "Restart=on-failure" in text and "padserver run" in text
        assert "Type=notify" in text and "WatchdogSec=" in text
        assert "jack.service" in text.split("[Service]")[0]


def test_the_daemon_tells_the_service_manager_it_is_ready_pets_the_watchdog_and_says_it_stops(tmp_path):
    # (systemd need not run: the test is the manager, listening on the socket it names in NOTIFY_SOCKET)
    import signal
    import socket
    import time

    from padserver.harness.daemon import DaemonProcess

    path = str(tmp_path / "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as manager:
        manager.bind(path)
        manager.settimeout(0.2)
        env = {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "200000"}  # a watchdog of 0.2 s: pet every 0.1 s
        d = DaemonProcess(["--audio", "null"], env=env, data_dir=str(tmp_path / "data"))
        said: list[tuple[float, str]] = []

        def hear(seconds):
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                try:
                    said.append((time.monotonic(), manager.recv(4096).decode()))
                except TimeoutError:
                    pass

        try:
            d.wait_ready()
            hear(1.0)
            ready = [t for t, m in said if "READY=1" in m]
            assert ready, said
            pets = [t for t, m in said if m == "WATCHDOG=1"]
            assert len(pets) >= 3, said  # (about 10 in that second; a loaded machine may delay some)
            assert d.osc.request("/ping", reply="/pong")  # ready meant OSC answers
            d.proc.send_signal(signal.SIGSTOP)  # a daemon that hangs stops petting it
            try:
                hear(0.2)  # (what it sent before it stopped: a datagram is in the socket once sent)
                said.clear()
                hear(0.5)
                assert not [m for _, m in said if m == "WATCHDOG=1"]
            finally:
                d.proc.send_signal(signal.SIGCONT)
            d.proc.send_signal(signal.SIGTERM)
            hear(1.0)
            assert any("STOPPING=1" in m for _, m in said), said
        finally:
            code, _ = d.terminate()
        assert code == 0
