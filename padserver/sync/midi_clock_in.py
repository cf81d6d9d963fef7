"""Following an external MIDI clock through rtmidi, for when audio is not on JACK.

On JACK, `padserver:clock_in` reads each tick at its own frame in the audio
callback. Here the ticks come through python-rtmidi, read by a thread of its
own a few hundred times a second: no Python runs in the MIDI driver's thread
(rtmidi queues the messages in C), so nothing in the process can stall it.
Each message carries the driver's own timestamp (the ALSA sequencer's,
CoreMIDI's, JACK's cycle time); the timestamps are laid on the host clock by
the lowest difference seen between a message's stamp and the moment it was
read, so the polling's own lateness does not reach the ticks.

The control side turns the host times into engine frames with the audio
driver's own map of when each frame is heard (PortAudio's DAC times, or the
null driver's pacing clock): a tick is placed on the frame that is heard as it
arrives, as a drum machine fed the same clock plays its beat then. Everything
after that is the JACK path's: the same ring of tick frames for
`padserver.sync.follow.MidiClockFollower` to fit, the same start, stop and
position events. Start and stop reach the engine from the follower (the JACK
path sends them from the callback), at the frame of the tick they came with, a
few milliseconds past: the song starts from where it would have been.
"""

from __future__ import annotations

import collections
import logging
import re
import threading
import time

import numpy as np

from padserver.engine.ring import Ring
from padserver.sync.messages import TransportReader
from padserver.sync.stream_clock import host_seconds

log = logging.getLogger("padserver.midi")

RESCAN_S = 2.0  # how often a missing source is looked for
POLL_S = 0.002


class _Source:
    """One rtmidi input and its clock: the driver's stamps laid on the host clock."""

    def __init__(self, port) -> None:  # (an rtmidi input the transport opened)
        self.input = port
        self.stamp = 0.0  # the driver's time of the last message (the sum of rtmidi's deltas)
        self.offset: float | None = None  # host time − driver time: the lowest seen, the least delayed read
        self._seen = 0  # the realtime messages that came at the current instant, a bit each

    def repeated(self, data: list[int], delta: float) -> bool:
        """A realtime message (tick, Start, Stop …) that came already at this same instant: JACK delivered a
        late sender's cycle twice (no clock sends two ticks at once). Counting it would put the follower a tick
        ahead for good."""
        if delta != 0.0:
            self._seen = 0
        if not data or data[0] < 0xF8:
            return False
        bit = 1 << (data[0] & 0x0F)
        again = bool(self._seen & bit)
        self._seen |= bit
        return again

    def host_time(self, delta: float, read_at: float) -> float:
        self.stamp += delta
        seen = read_at - self.stamp
        if self.offset is None or seen < self.offset:
            self.offset = seen
        return self.stamp + self.offset


class RtClockIn:
    RING = 4096
    commands_here = False  # the follower sends FollowStart / pause (the JACK ClockIn does it in the callback)
    stamped = True  # the ticks carry the MIDI driver's timestamps, which wander by a few ms

    def __init__(self, transport, pattern: str, audio, sample_rate: int) -> None:
        self.midi = transport  # padserver.drivers.rtmidi_transport.RtMidiTransport: its port list and API
        try:
            self.pattern = re.compile(pattern)
        except re.error:
            self.pattern = re.compile(re.escape(pattern))  # a name, not a pattern
        self.audio = audio  # the audio driver: clock_map() says when a frame is heard
        self.rate = sample_rate
        self.follow = False
        self.ticks = Ring(self.RING)  # tick frames (converted), what the follower reads
        self.events: collections.deque = collections.deque(maxlen=256)  # (what, frame, value), converted
        self.transport = TransportReader()
        self.sources: dict[str, _Source] = {}
        self._times = np.zeros(self.RING, dtype=np.float64)  # host seconds of each tick (reader thread)
        self._arrived = 0
        self._raw: collections.deque = collections.deque(maxlen=256)  # (what, tick number, value)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="midi-clock-in", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(1.0)
        for source in self.sources.values():
            try:
                source.input.close()
            except Exception:
                pass
        self.sources.clear()

    # -- the reader thread --------------------------------------------------------------------------
    def _run(self) -> None:
        rescan = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            if not self.sources and now >= rescan:  # (only while none is open: opening a client stalls)
                rescan = now + RESCAN_S
                self._rescan()
            for source in list(self.sources.values()):
                while True:
                    got = source.input.port.get_message()
                    if got is None:
                        break
                    data, delta = got
                    if source.repeated(data, delta):
                        continue
                    self._receive(data, source.host_time(delta, host_seconds()))
            time.sleep(POLL_S)

    def _rescan(self) -> None:
        t = self.midi
        for name in t.list_ports()[0]:
            if name in self.sources or not self.pattern.search(name) or "padserver" in name.lower():
                continue
            try:
                port = t.open_input(name, "padserver-clock-in", "clock_in", sysex=False)
            except Exception as exc:
                log.warning("cannot follow MIDI clock from %s: %s", name, exc)
                continue
            self.sources[name] = _Source(port)
            log.info("MIDI clock in from %s (rtmidi)", name)
            return  # one source at a time

    def _receive(self, data: list[int], at: float) -> None:
        status = data[0] if data else 0
        if status == 0xF8:
            n = self._arrived
            self._times[n % self.RING] = at
            self._arrived = n + 1
            start = self.transport.take_start() if self.follow else None
            if start is not None:
                self._raw.append(("start", n, start))
            return
        what = self.transport.read(status, *data[1:3])
        if what is not None and self.follow:
            self._raw.append((what, self._arrived - 1, self.transport.position if what == "position" else 0.0))

    # -- control side -------------------------------------------------------------------------------
    def prepare(self) -> None:
        """Before the follower reads: the new ticks and events on engine frames."""
        where = self.audio.clock_map()
        if where is None:
            return
        frame, micros, latency = where
        heard = micros * 1e-6 + latency / self.rate  # frame `frame` is heard then (host seconds)
        arrived = self._arrived
        ticks = self.ticks
        for i in range(ticks.written, arrived):
            ticks.rows[i % self.RING] = frame + (self._times[i % self.RING] - heard) * self.rate
        ticks.written = arrived
        while self._raw and self._raw[0][1] < arrived:
            what, n, value = self._raw.popleft()
            at = ticks.at(n) if n >= 0 else float(frame)
            self.events.append((what, float(at), value))
