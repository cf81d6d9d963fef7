"""MIDI through python-rtmidi (ALSA sequencer, rtmidi's JACK API, CoreMIDI): the transport for controllers when
audio is not on JACK, and inputs read by polling (no Python runs in the MIDI driver's thread)."""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections import deque

log = logging.getLogger("padserver.midi")

MAX_PER_ROUND = 4000  # incoming messages handled per event-loop round (the rest wait for the next)
JACK_DRAIN_S = 0.1  # rtmidi's JACK API sends what was queued in its next cycle (a late one on a loaded machine)


class RtMidiTransport:
    """mido with the python-rtmidi backend, on one of its APIs."""

    sends_clock = False  # the manager sends MIDI clock from the event loop
    API_NAMES = {"alsa": "LINUX_ALSA", "jack": "UNIX_JACK", "coremidi": "MACOSX_CORE"}

    def __init__(self, api: str, loop: asyncio.AbstractEventLoop) -> None:
        import mido

        self.api = api
        self.backend = mido.Backend(f"mido.backends.rtmidi/{self.API_NAMES[api]}", load=True)
        self.loop = loop
        self.incoming: deque = deque()
        self.links: list = []
        self._probes: tuple | None = None  # rtmidi clients that list the ports
        self._probe_lock = threading.Lock()
        self._sent_at = -math.inf  # (monotonic) the last message sent
        # rtmidi's JACK API sends in its client's next cycle, and a cycle the device's client misses loses the
        # message, unseen by padserver: a controller's set-up (its mode, its lights) is sent again a scan later
        self.may_lose = api == "jack"

    def list_ports(self) -> tuple[list[str], list[str]]:
        """The inputs and outputs there are, through two clients kept for it (a new client each scan costs
        about 0.1 s on rtmidi's JACK API, with the interpreter held)."""
        import rtmidi

        with self._probe_lock:  # (the manager's scan and the clock's run on threads of their own)
            return self._list_ports(rtmidi)

    def _list_ports(self, rtmidi) -> tuple[list[str], list[str]]:
        try:
            if self._probes is None:
                api = rtmidi_api(self.API_NAMES[self.api])
                self._probes = (rtmidi.MidiIn(api, "padserver-scan"), rtmidi.MidiOut(api, "padserver-scan"))
            return self._probes[0].get_ports(), self._probes[1].get_ports()
        except Exception as exc:
            log.debug("MIDI port list failed: %s", exc)
            self._probes = None
            return [], []

    def open(self, name, source, target, pads, shift_keys, clock, velocity_gain):
        link = _RtLink(name, clock)
        link.input = RtInput(self.API_NAMES[self.api], source)
        link.output = self.backend.open_output(target) if target else None
        self.links = [*self.links, link]  # replaced whole: `pump` on the event loop sees the old list or the new
        return link

    def open_input(self, source: str, client: str, port: str, sysex: bool = True) -> RtInput:
        """An input of this API of its own, read by polling (the clock follower's)."""
        return RtInput(self.API_NAMES[self.api], source, client, port, sysex)

    def pump(self) -> None:
        """Event loop: move what rtmidi queued for each input into ``incoming``. (No Python runs in the
        MIDI driver's thread: with rtmidi's JACK API that thread is JACK's, and Python there would wait
        on the interpreter while a port scan holds it waiting on JACK.)"""
        for link in self.links:
            if link.input is not None:
                link.input.drain(link, self.incoming)

    def send(self, link, message: bytes) -> None:
        import mido

        if link.output is not None:
            try:
                link.output.send(mido.Message.from_bytes(list(message)))
                self._sent_at = time.monotonic()
            except Exception as exc:
                log.debug("MIDI send to %s failed: %s", link.name, exc)

    def close(self, link) -> None:
        for port in (link.input, link.output):
            if port is not None:
                try:
                    port.close()
                except Exception:
                    pass
        self.links = [x for x in self.links if x is not link]

    def alive(self, link) -> bool:
        return link in self.links

    def drained(self) -> bool:
        """ALSA and CoreMIDI take a message at once; rtmidi's JACK API queues it for its client's next cycle, and
        a port closed before that cycle loses it: drained a few periods after the last message."""
        return self.api != "jack" or time.monotonic() - self._sent_at > JACK_DRAIN_S


def rtmidi_api(name: str) -> int:
    """python-rtmidi's number for an API name (LINUX_ALSA, UNIX_JACK, MACOSX_CORE …); unknown: its choice."""
    import rtmidi

    return getattr(rtmidi, f"API_{name}", rtmidi.API_UNSPECIFIED)


class RtInput:
    """An rtmidi input opened by its name and read by polling: rtmidi queues the messages in C."""

    def __init__(self, api: str, source: str, client: str = "padserver", port: str = "in", sysex: bool = True) -> None:
        import rtmidi

        self.port = rtmidi.MidiIn(rtmidi_api(api), client)
        names = self.port.get_ports()
        if source not in names:
            raise OSError(f"no MIDI input {source!r}")
        self.port.ignore_types(sysex=not sysex, timing=False, active_sense=True)
        self.port.open_port(names.index(source), port)

    def drain(self, link, into: deque) -> None:
        get = self.port.get_message
        for _ in range(MAX_PER_ROUND):
            got = get()
            if got is None:
                return
            into.append((link, bytes(got[0]), False))

    def close(self) -> None:
        self.port.close_port()


class _RtLink:
    def __init__(self, name: str, clock: bool) -> None:
        self.name = name
        self.clock = clock
        self.input = None
        self.output = None
