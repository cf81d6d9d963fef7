"""MIDI clock out through rtmidi, for when audio is not on JACK (where ticks are written on their own frames).

A thread of its own sends 24 ticks per beat on absolute times from the tempo, so
lateness never accumulates; it sleeps between ticks (spinning would hold the
interpreter the audio callback needs), so a tick is as late as the sleep
overshoots (`padserver bench sync` reports it). Start, Song Position + Continue
and Stop follow the song's transport, sent with the next tick; a jump of the playing song (a locate, the loop
region's wrap) is Stop, Song Position and Continue.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import deque

from padserver.sync.messages import STOP, jump_messages, start_messages

log = logging.getLogger("padserver.midi")

RESCAN_S = 2.0  # how often new ports matching the patterns are looked for


class RtClockOut:
    def __init__(self, transport, patterns: list[str], actions) -> None:
        self.transport = transport  # padserver.drivers.rtmidi_transport.RtMidiTransport (its port list, mido's backend)
        self.backend = transport.backend
        self.patterns = [re.compile(p) for p in patterns]
        self.actions = actions
        self.ports: dict[str, object] = {}
        self.pending: deque = deque()  # transport messages for the next tick
        self._jumped = -1  # the song's last jump already sent
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="midi-clock", daemon=True)

    def start(self) -> None:
        self._rescan()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        for port in self.ports.values():
            try:
                port.close()  # type: ignore[attr-defined]
            except Exception:
                pass

    def on_change(self, pad: int, key: str, value) -> None:
        """Control side: the song started or stopped."""
        if pad or key != "transport":
            return
        if value in ("playing", "recording"):
            # from where the song (re)starts, not where it is by the time this is heard: the audio may have
            # moved on a few blocks, and a song started from its beginning is a Start, not a Continue
            self.pending.extend(start_messages(self.actions.engine.song.position))
        else:
            self.pending.append(STOP)

    def _rescan(self) -> None:
        for name in self.transport.list_ports()[1]:
            if name not in self.ports and any(p.search(name) for p in self.patterns):
                try:
                    self.ports[name] = self.backend.open_output(name)
                    log.info("MIDI clock out to %s (rtmidi)", name)
                except Exception as exc:
                    log.warning("cannot send MIDI clock to %s: %s", name, exc)

    def _send(self, data: bytes) -> None:
        import mido

        message = mido.Message.from_bytes(list(data))
        for port in list(self.ports.values()):
            try:
                port.send(message)  # type: ignore[attr-defined]
            except Exception:
                pass

    def _run(self) -> None:
        import mido

        tick = mido.Message("clock")
        due = time.perf_counter()
        rescan = due + RESCAN_S
        while not self._stop.is_set():
            due += 60.0 / (self.actions.project.tempo * 24.0)
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            elif wait < -0.5:  # the machine stalled: start again rather than burst
                due = time.perf_counter()
            song = self.actions.engine.song
            if song.jumped_at != self._jumped:
                self._jumped = song.jumped_at
                if song.playing:
                    self.pending.extend(jump_messages(song.jumped_to))
            while self.pending:
                self._send(self.pending.popleft())
            for port in list(self.ports.values()):
                try:
                    port.send(tick)  # type: ignore[attr-defined]
                except Exception:
                    pass
            if due > rescan:  # between ticks, so the scan's time is not a late tick
                rescan = due + RESCAN_S
                self._rescan()
