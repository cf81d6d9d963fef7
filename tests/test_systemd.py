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


def test_units_restart_on_failure_and_stop_in_time():
    for name in ("padserver.service", "padserver-system.service"):
        text = open(os.path.join(UNITS, name)).read()
        assert "Restart=on-failure" in text and "padserver run" in text
        assert "jack.service" in text.split("[Service]")[0]
