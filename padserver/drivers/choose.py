"""Which driver runs the engine: the one asked for, or for ``auto`` JACK when a server runs, else the default
output device, else the null driver (and the reason, for the log)."""

from __future__ import annotations

from padserver.drivers import jack_backend, null_backend, portaudio_backend
from padserver.drivers.backend import BACKENDS, Backend, BackendError
from padserver.drivers.stepped_backend import SteppedBackend


def open_backend(kind: str, config) -> Backend:
    """Open the backend ``kind`` (or choose one for ``auto``); its `info` says which and why."""
    if kind not in BACKENDS:
        raise BackendError(f"audio backend must be one of {', '.join(BACKENDS)} (got {kind!r})")
    if kind == "stepped":
        return SteppedBackend(config, reason="chosen on the command line: frames are rendered when a test asks")
    if kind == "jack":
        return jack_backend.JackBackend.open(config, reason="chosen in the config or on the command line")
    if kind == "portaudio":
        return portaudio_backend.PortAudioBackend.open(config, reason="chosen in the config or on the command line")
    if kind == "null":
        return null_backend.NullBackend(config, reason="chosen in the config or on the command line")
    why = []
    try:
        return jack_backend.JackBackend.open(config, reason="a JACK server is running")
    except BackendError as exc:
        why.append(str(exc))
    try:
        return portaudio_backend.PortAudioBackend.open(
            config, reason=f"no JACK server ({why[0]}); using the default output device"
        )
    except BackendError as exc:
        why.append(str(exc))
    return null_backend.NullBackend(config, reason="no JACK server and no audio output device (" + "; ".join(why) + ")")
