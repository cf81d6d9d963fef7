"""Installing where a dependency has no wheel: python-rtmidi built from its source distribution, as pip does for a
Python it has no wheel for (3.13 for python-rtmidi 1.5.8), with what `scripts/setup.sh` installs for building
it. The wheel built is cached by version, Python and platform, so only the first run pays for the build."""

import importlib.metadata
import os
import platform
import subprocess
import sys
import sysconfig

import pytest

CACHE = os.path.join(os.path.expanduser("~"), ".cache", "padserver", "built-wheels")


def _built_wheel(version: str) -> str:
    """The wheel pip built from python-rtmidi's sdist for this Python (from the cache when built before)."""
    tag = f"{sys.implementation.cache_tag}-{sysconfig.get_platform()}"
    folder = os.path.join(CACHE, f"python-rtmidi-{version}-{tag}")
    wheels = [f for f in os.listdir(folder) if f.endswith(".whl")] if os.path.isdir(folder) else []
    if not wheels:
        os.makedirs(folder, exist_ok=True)
        build = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-binary", "python-rtmidi",
             "-w", folder, f"python-rtmidi=={version}"],
            capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        assert build.returncode == 0, f"building python-rtmidi from source failed:\n{build.stderr[-4000:]}"
        wheels = [f for f in os.listdir(folder) if f.endswith(".whl")]
    assert len(wheels) == 1, wheels
    return os.path.join(folder, wheels[0])


@pytest.mark.skipif(platform.system() != "Linux", reason="the build needs (ALSA and JACK headers) are Debian's")
def test_python_rtmidi_builds_from_its_source_with_jack(tmp_path):
    version = importlib.metadata.version("python-rtmidi")
    wheel = _built_wheel(version)
    assert "-any" not in os.path.basename(wheel)  # a compiled extension, not a pure-Python fallback
    target = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target", str(target), wheel],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr
    probe = (
        "import rtmidi; "
        "print(rtmidi.__file__); "
        "print(' '.join(rtmidi.get_api_name(a) for a in rtmidi.get_compiled_api()))"
    )
    ran = subprocess.run(
        [sys.executable, "-c", probe], env={**os.environ, "PYTHONPATH": str(target)}, capture_output=True, text=True
    )
    assert ran.returncode == 0, ran.stderr
    where, apis = ran.stdout.splitlines()
    assert where.startswith(str(target)), where  # the one just built, not the venv's
    # the JACK API (the tests' MIDI ports) and ALSA (a Linux stage machine's) are both built in
    assert "jack" in apis.split() and "alsa" in apis.split(), apis
