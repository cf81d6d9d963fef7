"""Starting MIDI for the daemon: which path (JACK MIDI in the audio callback, the stepped driver's devices,
rtmidi), the controllers' mappings and learned bindings, and MIDI clock through rtmidi."""

from __future__ import annotations

import asyncio
import logging
import os

log = logging.getLogger("padserver")


def read_midi_files(daemon, cfg) -> tuple[list, object, str] | None:
    """The controller mappings (shipped and the user's) and the learned bindings, read and checked before the
    audio starts: a file with problems is said with each problem (file, key, line) and left out, the rest are
    used. (mappings, learn, the user's mappings folder); None when MIDI is off."""
    from padserver.control.learn import Learn
    from padserver.control.mapping_files import load_all, shipped_dir

    if cfg.midi.api == "none":
        return None
    folder = cfg.midi.mappings or os.path.join(os.path.dirname(daemon.user_config()), "mappings")
    mappings = load_all([shipped_dir(), folder], logging.getLogger("padserver.midi"))
    learn = Learn(os.path.join(os.path.dirname(daemon.user_config()), "learned.yaml"))
    learn.apply_saved(mappings)
    return mappings, learn, folder


def start_midi(daemon, cfg, backend):
    """The MIDI side as the config asks: the transport, clock in and out through rtmidi where audio is not on
    JACK, learned bindings, the manager that finds controllers; None when MIDI is off."""
    from padserver.control.midi import MidiManager, choose_api
    from padserver.drivers.rtmidi_transport import RtMidiTransport

    api = choose_api(cfg.midi.api, backend.info.name)
    if api == "none":
        log.info("MIDI: off (midi.api: none)")
        return None
    if api == "jack":
        from padserver.drivers.jack_backend import BackendError, open_client

        try:  # rtmidi's JACK API would complain on every scan with no server
            open_client("padserver-midi-probe", cfg.audio.jack.server).close()
        except BackendError as exc:
            if cfg.midi.api == "auto":
                log.info("MIDI: off (no ALSA sequencer, and %s); start JACK or set midi.api", exc)
                return None
            log.warning("MIDI (jack): %s; controllers connect when it runs", exc)
    files = daemon.midi_files  # (read before the audio started)
    if files is None:
        return None
    mappings, learn, folder = files
    if api in ("jack-audio", "stepped"):
        transport = backend.midi
    else:
        try:
            transport = RtMidiTransport(api, asyncio.get_running_loop())
        except Exception as exc:
            log.warning("MIDI (%s) is not available: %s; controllers are not used", api, exc)
            return None
    if cfg.sync.clock_in and api not in ("jack-audio", "stepped"):  # (on JACK audio, padserver:clock_in does it)
        from padserver.sync.follow import MidiClockFollower
        from padserver.sync.midi_clock_in import RtClockIn

        clock_in = RtClockIn(transport, cfg.sync.clock_in, backend, backend.info.sample_rate)
        clock_in.start()
        daemon.follower = MidiClockFollower(daemon.actions, clock_in, backend.info.sample_rate)
        daemon.actions.clock_in = clock_in
        daemon.rt_clock_in = clock_in
    if cfg.sync.clock_out and api not in ("jack-audio", "stepped"):  # (on JACK audio, padserver:clock_out does it)
        from padserver.sync.midi_clock_out import RtClockOut

        daemon.rt_clock = RtClockOut(transport, cfg.sync.clock_out, daemon.actions)
        daemon.actions.listeners.append(daemon.rt_clock.on_change)
        daemon.rt_clock.start()
    learn.notify = lambda who, address, args: daemon.osc.reply(who, [(address, args)])
    manager = MidiManager(mappings, daemon.actions, transport)
    if api == "stepped":
        transport.plugged = manager.scan  # a test plugs devices in: connected before it goes on
    manager.learn = learn
    daemon.osc.midi = manager
    daemon.actions.listeners.append(manager.on_change)
    where = {
        "jack-audio": "padserver's JACK MIDI ports, notes matched in the audio callback",
        "stepped": "the stepped driver's virtual devices",
    }.get(api, f"rtmidi ({api})")
    log.info(
        "MIDI: %s; %d mappings (%s); user mappings: %s",
        where,
        len(mappings),
        ", ".join(m.name for m in mappings),
        folder,
    )
    return manager
