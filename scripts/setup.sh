#!/usr/bin/env bash
# Sets padserver up on this machine: the system packages it needs (if missing)
# and a Python virtual environment in .venv with padserver installed.
#   scripts/setup.sh          for running the daemon
#   scripts/setup.sh --test   also what the tests need
set -euo pipefail
cd "$(dirname "$0")/.."

tests=false
[ "${1:-}" = "--test" ] && tests=true

if command -v dpkg >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    # JACK (with its dummy driver), PortAudio, liblo's oscsend/oscdump
    want=(jackd2 libportaudio2 liblo-tools)
    $tests && want+=(systemd util-linux openssl iproute2)  # iproute2: the Link test's own network namespace
    python3 -c "import ensurepip, venv" 2>/dev/null || want+=(python3-venv)
    missing=()
    for p in "${want[@]}"; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        sudo=()
        [ "$(id -u)" -ne 0 ] && sudo=(sudo)
        echo "installing ${missing[*]}"
        "${sudo[@]}" apt-get update -qq
        # jackd2 asks about realtime priority through debconf: answer with the default
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
elif [ "$(uname -s)" = "Darwin" ]; then
    if command -v brew >/dev/null 2>&1; then
        brew list jack >/dev/null 2>&1 || brew install jack portaudio liblo
    else
        echo "macOS: install Homebrew, then: brew install jack portaudio liblo (CoreAudio needs only portaudio)" >&2
    fi
else
    echo "not Debian/Ubuntu or macOS: install JACK, PortAudio and liblo with your package manager" >&2
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
if $tests; then
    .venv/bin/python -m pip install -q -e ".[test]"
else
    .venv/bin/python -m pip install -q -e .
fi
