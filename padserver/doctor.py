"""``padserver doctor`` and ``padserver devices``: what this machine offers and what is missing."""

from __future__ import annotations

import os
import socket
import sys


def _jack_status(server: str = "") -> tuple[bool, str]:
    try:
        import jack

        from padserver.drivers.jack_backend import _quiet
    except (ImportError, OSError) as exc:
        return (
            False,
            f"JACK library missing ({exc}) — install jackd2 (Debian/Ubuntu) or JACK (macOS: brew install jack)",
        )
    _quiet(jack)
    try:
        client = jack.Client("padserver-probe", no_start_server=True, servername=server or None)
    except jack.JackOpenError:
        return (
            False,
            "no JACK server running — start one (e.g. jackd -d alsa, or PipeWire's JACK) or use --audio portaudio",
        )
    try:
        ports = [p.name for p in client.get_ports(is_audio=True, is_input=True, is_physical=True)]
        return (
            True,
            f"JACK server running at {client.samplerate} Hz, {client.blocksize}-frame periods; playback ports: {', '.join(ports) or 'none'}",
        )
    finally:
        client.close()


def _portaudio_devices() -> tuple[bool, str]:
    try:
        import sounddevice as sd
    except OSError as exc:
        return False, f"PortAudio missing ({exc}) — install libportaudio2"
    lines = []
    try:
        default_out = sd.default.device[1]
    except Exception:
        default_out = -1
    for i, d in enumerate(sd.query_devices()):
        if d["max_output_channels"] > 0:
            api = sd.query_hostapis(d["hostapi"])["name"]
            mark = "*" if i == default_out else " "
            lines.append(
                f"  {mark} {d['name']} ({api}, {d['max_output_channels']} out, {d['default_samplerate']:.0f} Hz)"
            )
    if not lines:
        return False, "PortAudio finds no output device"
    return True, "PortAudio outputs (* = default):\n" + "\n".join(lines)


def _midi_ports() -> tuple[bool, str]:
    try:
        import rtmidi
    except ImportError as exc:
        return False, f"python-rtmidi missing ({exc})"
    apis = [rtmidi.get_api_display_name(a) for a in rtmidi.get_compiled_api()]
    lines = [f"MIDI APIs: {', '.join(apis)}"]
    if not os.path.exists("/dev/snd/seq") and sys.platform.startswith("linux"):
        lines.append("  no ALSA sequencer (/dev/snd/seq): MIDI goes through JACK MIDI")
    for api in rtmidi.get_compiled_api():
        if api == rtmidi.API_LINUX_ALSA and not os.path.exists("/dev/snd/seq"):
            continue
        try:
            midi_in = rtmidi.MidiIn(api)
            midi_out = rtmidi.MidiOut(api)
        except Exception:
            continue
        ins, outs = midi_in.get_ports(), midi_out.get_ports()
        name = rtmidi.get_api_display_name(api)
        lines.append(f"  {name} inputs: {', '.join(ins) or 'none'}")
        lines.append(f"  {name} outputs: {', '.join(outs) or 'none'}")
        midi_in.delete()
        midi_out.delete()
    return True, "\n".join(lines)


def running_outputs(port: int) -> str:
    """A running daemon's outputs, their connections and latency (what a DAW's offset should be)."""
    import json

    from padserver.cli.client import send_and_collect

    answered, replies = send_and_collect("127.0.0.1", port, "/status", [], 1.0)
    status = next((json.loads(v[0]) for a, v in replies if a == "/status"), None)
    if not answered or status is None:
        return f"padserver: not running on port {port}"
    audio = status["audio"]
    lines = [f"padserver on port {port}: {audio['backend']} at {audio['sample_rate']} Hz, latency per output:"]
    for name, figure in status["latency"]["outputs"].items():
        lines.append(f"  {name}: {figure['frames']} frames = {figure['ms']:.2f} ms")
    for connection in audio.get("connections", []):
        lines.append(f"  {connection}")
    return "\n".join(lines)


def devices() -> str:
    parts = []
    for check in (_jack_status, _portaudio_devices, _midi_ports):
        ok, text = check()
        parts.append(text)
    return "\n".join(parts)


def doctor(config) -> tuple[str, bool]:
    from padserver import paths

    rows: list[tuple[str, str, str]] = []  # (ok|warn|fail, what, detail)

    def add(level, what, detail):
        rows.append((level, what, detail))

    add("ok" if sys.version_info >= (3, 11) else "fail", "python", sys.version.split()[0])
    jack_ok, jack_text = _jack_status(config.audio.jack.server)
    pa_ok, pa_text = _portaudio_devices()
    backend = config.audio.backend
    if backend == "jack":
        add("ok" if jack_ok else "fail", "audio (jack)", jack_text)
    elif backend == "portaudio":
        add("ok" if pa_ok else "fail", "audio (portaudio)", pa_text.splitlines()[0])
    else:
        if jack_ok:
            add("ok", "audio", f"auto picks JACK: {jack_text}")
        elif pa_ok:
            add("ok", "audio", f"auto picks PortAudio ({jack_text})")
        else:
            add("warn", "audio", f"auto falls back to the null backend (silent): {jack_text}; {pa_text}")
    midi_ok, midi_text = _midi_ports()
    add("ok" if midi_ok else "warn", "midi", midi_text.splitlines()[0])
    data = paths.data_dir(config.paths.data_dir)
    try:
        os.makedirs(data, exist_ok=True)
        probe = os.path.join(data, ".doctor")
        with open(probe, "w") as fh:
            fh.write("ok")
        os.remove(probe)
        add("ok", "data folder", data)
    except OSError as exc:
        add("fail", "data folder", f"{data} is not writable ({exc.strerror}) — set paths.data_dir or --data-dir")
    with socket.socket(socket.AF_INET6 if ":" in config.osc.host else socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind((config.osc.host, config.osc.port))
            add("ok", "osc", f"{config.osc.host}:{config.osc.port} is free")
        except OSError as exc:
            add(
                "warn",
                "osc",
                f"{config.osc.host}:{config.osc.port} is taken ({exc.strerror}) — padserver already running, or choose --osc-port",
            )
    for key, env in (("google_api_key", "GEMINI_API_KEY"), ("elevenlabs_api_key", "ELEVENLABS_API_KEY")):
        value = getattr(config.providers, key)
        add(
            "ok" if value else "warn",
            f"providers.{key}",
            "set" if value else f"not set (set ${env} or providers.{key}); the offline generator needs none",
        )
    from types import SimpleNamespace

    from padserver.actions.checks import ActionError
    from padserver.providers import registry

    reasons: dict[str, str | None] = {}
    for name in registry.names():
        try:
            reason = registry.create(name, SimpleNamespace(settings=config.providers, pool=None)).unavailable()
        except (ActionError, ValueError, TypeError, ImportError) as exc:
            reason = str(exc)
        reasons[name] = reason
        add(
            "ok" if reason is None else "warn",
            f"provider {name}",
            "ready" if reason is None else f"unavailable: {reason}",
        )
    speech = next((n for n in ("elevenlabs-voice", "espeak-ng") if n in reasons and reasons[n] is None), None)
    add(
        "ok" if speech else "warn",
        "speech (/pad/n/speak)",
        f"{speech}" + (" (ElevenLabs' voices)" if speech == "elevenlabs-voice" else " (offline, no key)")
        if speech
        else "none: set $ELEVENLABS_API_KEY or install espeak-ng (apt-get install espeak-ng)",
    )
    width = max(len(w) for _, w, _ in rows)
    lines = [f"[{level:>4}] {what:<{width}}  {detail}" for level, what, detail in rows]
    return "\n".join(lines), all(level != "fail" for level, _, _ in rows)
