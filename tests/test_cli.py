"""The ``padserver`` command, run as a user runs it."""

import os
import subprocess
import sys

from padserver import __version__
from padserver.control.osc_routes import markdown

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(*args, env=None, timeout=30):
    full = dict(os.environ, **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "padserver", *args], capture_output=True, text=True, env=full, timeout=timeout
    )


def test_help_imports_nothing_heavy():
    code = (
        "import sys; from padserver.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('numpy', 'jack', 'sounddevice', 'soundfile', 'yaml', 'pythonosc') if m in sys.modules]\n"
        "print('HEAVY', heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert "HEAVY []" in out
    assert "run" in out and "doctor" in out and "send" in out


def test_version():
    assert run("--version").stdout.strip() == f"padserver {__version__}"


def test_config_prints_the_effective_values_with_secrets_masked(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("engine:\n  tempo: 96\nproviders:\n  elevenlabs_api_key: sk_live_123456\n")
    result = run("config", "--config", str(cfg), env={"GEMINI_API_KEY": "AIzaSecret"})
    assert result.returncode == 0
    assert "tempo: 96.0" in result.stdout
    assert "elevenlabs_api_key: <set>" in result.stdout and "google_api_key: <set>" in result.stdout
    assert "sk_live_123456" not in result.stdout and "AIzaSecret" not in result.stdout


def test_config_errors_are_all_reported_at_once(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("audio:\n  backnd: jack\nengine:\n  tempo: 400\nosc:\n  port: 0\n")
    result = run("config", "--config", str(cfg))
    assert result.returncode == 2
    err = result.stderr
    assert f"{cfg}: unknown key audio.backnd (did you mean audio.backend?)" in err
    assert "engine.tempo must be in range 20..300 (got 400)" in err
    assert "osc.port must be in range 1..65535 (got 0)" in err


def test_run_with_a_bad_config_exits_with_the_errors(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("audio: [1, 2\n")
    result = run("run", "--config", str(cfg))
    assert result.returncode == 2 and "not valid YAML" in result.stderr


def test_send_without_a_daemon_says_so():
    result = run("send", "--port", "9", "/ping", "--wait", "0.3")
    assert result.returncode == 1 and "is padserver running?" in result.stderr


def test_osc_docs_are_generated_from_the_route_table():
    with open(os.path.join(ROOT, "docs", "osc.md")) as fh:
        assert fh.read() == markdown(), "docs/osc.md is stale: run `padserver osc-docs > docs/osc.md`"


def test_doctor_and_devices_report(tmp_path):
    result = run("doctor", env={"JACK_DEFAULT_SERVER": "no-such-server", "XDG_DATA_HOME": str(tmp_path)})
    assert "python" in result.stdout and "audio" in result.stdout and "data folder" in result.stdout
    assert "providers.google_api_key" in result.stdout
    devices = run("devices", env={"JACK_DEFAULT_SERVER": "no-such-server"})
    assert devices.returncode == 0 and "MIDI APIs" in devices.stdout
