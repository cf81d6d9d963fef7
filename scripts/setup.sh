#!/usr/bin/env bash
# Sets padserver up on this machine: the system packages it needs (if missing)
# and a Python virtual environment in .venv with padserver installed.
#   scripts/setup.sh          for running the daemon
#   scripts/setup.sh --test   also what the tests need
# PYTHON=python3.13 scripts/setup.sh   makes .venv with that Python (3.11 to 3.13; python3 when not set)
set -euo pipefail
cd "$(dirname "$0")/.."

tests=false
python=${PYTHON:-python3}
[ "${1:-}" = "--test" ] && tests=true

debian=false
command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && debian=true

# Installs the Debian packages of those named that are not installed. A package removed but not purged
# ("deinstall ok config-files") is not installed: dpkg -s would answer 0 for it, so the status is read.
apt_install() {
    local missing=() p
    for p in "$@"; do
        [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
    done
    [ ${#missing[@]} -gt 0 ] || return 0
    local sudo=()
    [ "$(id -u)" -ne 0 ] && sudo=(sudo)
    echo "installing ${missing[*]}"
    "${sudo[@]}" apt-get update -qq
    # jackd2 asks about realtime priority through debconf: answer with the default
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

if $debian; then
    # JACK (with its dummy driver), PortAudio, liblo's oscsend/oscdump
    # and espeak-ng: spoken lines (/pad/n/speak) without an ElevenLabs key
    want=(jackd2 libportaudio2 liblo-tools espeak-ng)
    $tests && want+=(systemd util-linux openssl iproute2)  # iproute2: the Link test's own network namespace
    $tests && want+=(lua5.1)  # the TouchOSC layout's scripts, checked and run as TouchOSC's Lua 5.1 runs them
    # the speed benchmark's yardstick (padserver bench vs-sooperlooper), and the compiler for its shim where
    # there is no ALSA sequencer
    $tests && want+=(sooperlooper gcc libc6-dev)
    "$python" -c "import ensurepip, venv" 2>/dev/null || want+=(python3-venv)
    apt_install "${want[@]}"
elif [ "$(uname -s)" = "Darwin" ]; then
    if command -v brew >/dev/null 2>&1; then
        brew list jack >/dev/null 2>&1 || brew install jack portaudio liblo
    else
        echo "macOS: install Homebrew, then: brew install jack portaudio liblo (CoreAudio needs only portaudio)" >&2
    fi
else
    echo "not Debian/Ubuntu or macOS: install JACK, PortAudio and liblo with your package manager" >&2
fi

[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip

# python-rtmidi has wheels for some Pythons only (none for 3.13 in 1.5.8): elsewhere pip builds it, which
# needs a C++ compiler, pkg-config and the ALSA and JACK headers
# (the tests build it from source once, so their setup installs that too)
wheels=$(mktemp -d)
if $tests; then
    echo "the tests build python-rtmidi from its source once: installing what building it needs"
    build_rtmidi=true
elif ! .venv/bin/python -m pip download -q --no-deps --only-binary=:all: -d "$wheels" "python-rtmidi>=1.5,<2" \
    >/dev/null 2>&1; then
    echo "python-rtmidi has no wheel for $(.venv/bin/python -V): installing what building it needs"
    build_rtmidi=true
else
    build_rtmidi=false
fi
if $build_rtmidi; then
    if $debian; then
        apt_install g++ pkg-config libasound2-dev libjack-jackd2-dev
    elif [ "$(uname -s)" = "Darwin" ]; then
        xcode-select -p >/dev/null 2>&1 || echo "macOS: run xcode-select --install for the compiler" >&2
    else
        echo "install a C++ compiler, pkg-config and the ALSA and JACK headers to build python-rtmidi" >&2
    fi
fi
rm -rf "$wheels"
if $tests; then
    .venv/bin/python -m pip install -q -e ".[test]"
else
    .venv/bin/python -m pip install -q -e .
fi
