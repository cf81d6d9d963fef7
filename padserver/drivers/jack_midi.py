"""Controllers on JACK MIDI, read and written inside the audio callback.

When audio runs on JACK, padserver's own client gets a MIDI port pair per
connected controller (``<mapping>_in``/``<mapping>_out``). In the process
callback, notes bound to "trigger pad n" are looked up in a small table and
start the pad on the note's own frame; every message is also handed to the
control side (flagged when the callback already acted on it). LED messages
queued by the control side, and MIDI clock at each tick's frame, are written
in the same callback. The control side replaces the tuple of links whole, so
the callback never sees a half-built one.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from padserver.sync.jack_clock import tick_offsets
from padserver.sync.messages import TICK

NOTE_ON, NOTE_OFF, CONTROL = 0x90, 0x80, 0xB0
MAX_IN_FLIGHT = 20000  # messages waiting for the control side before new ones are dropped
RESEND_S = 0.1  # after an xrun, what was written this recently is sent again (the xrun is heard a little later)
RESEND_MIN_CYCLES = 4
# status bytes worth handing to the control side: note off/on and control change, any channel
WANTED = frozenset(kind | ch for kind in (NOTE_OFF, NOTE_ON, CONTROL) for ch in range(16))  # status bytes


def key(kind: int, channel: int, number: int) -> int:
    return (kind << 11) | (channel << 7) | number


@dataclass
class Link:
    """One controller's port pair and what the callback needs to know about it."""

    name: str
    in_port: Any  # jack.MidiPort
    out_port: Any
    pads: dict[int, int]  # key(NOTE_ON, channel, note) → pad index, for the trigger layer
    shift_keys: frozenset[int]  # key(NOTE_ON or CONTROL, channel, number) of shift buttons
    clock: bool
    velocity_gain: bool
    outgoing: deque = field(default_factory=deque)  # control → callback: messages to send
    shift: bool = False
    recent: deque = field(default_factory=deque)  # (cycle, message) written lately, for resending
    received: int = 0
    ignored: int = 0
    sent: int = 0
    resent: int = 0
    deferred: int = 0  # writes that did not fit a period's MIDI buffer and waited
    reader: Any = None  # (the input's C pointer and one event struct, read straight through JACK's library)


def _library() -> tuple:
    """The C calls the callback reads MIDI input with (JACK-Client's own cffi library), and a bytes copier."""
    import jack

    lib, ffi = jack._lib, jack._ffi
    return (
        lib.jack_port_get_buffer,
        lib.jack_midi_get_event_count,
        lib.jack_midi_event_get,
        lambda data, size: ffi.buffer(data, size)[:],
    )


def _new_event():
    import jack

    return jack._ffi.new("jack_midi_event_t*")


class JackMidi:
    sends_clock = True  # written from the callback at each tick's frame

    def __init__(self) -> None:
        self.client = None  # the JACK backend's client; None while the server is away
        # Control threads only (never the callback): the client is not touched while it is being replaced.
        self.lock = threading.Lock()
        self.links: tuple[Link, ...] = ()
        self.clocked = False  # any link that wants MIDI clock (the callback skips the tick maths otherwise)
        self.incoming: deque = deque()  # callback → control: (link, bytes, handled)
        self.dropped = 0
        self.cycle = 0
        self._xruns_seen = 0
        self._last_write = 0  # the cycle of the last message written (for `drained`)
        self._resend_cycles = RESEND_MIN_CYCLES  # RESEND_S in cycles of the current period
        self._period = 0
        self._jack = _library()

    # -- control side ------------------------------------------------------------------------------
    def pump(self) -> None:
        """Event loop: nothing to move (the callback fills ``incoming`` itself)."""

    def list_ports(self) -> tuple[list[str], list[str]]:
        """Other clients' MIDI ports: (ports we can read from, ports we can write to)."""
        with self.lock:
            client = self.client
            if client is None:
                return [], []
            own = client.name + ":"
            outs = [p.name for p in client.get_ports(is_midi=True, is_output=True) if not p.name.startswith(own)]
            ins = [p.name for p in client.get_ports(is_midi=True, is_input=True) if not p.name.startswith(own)]
            return outs, ins

    def open(
        self, name: str, source: str, target: str | None, pads, shift_keys, clock: bool, velocity_gain: bool
    ) -> Link:
        with self.lock:
            return self._open(name, source, target, pads, shift_keys, clock, velocity_gain)

    def _open(self, name, source, target, pads, shift_keys, clock, velocity_gain) -> Link:
        client = self.client
        if client is None:
            raise RuntimeError("the JACK server is away")
        taken = {p.shortname for p in client.midi_inports} | {p.shortname for p in client.midi_outports}
        base, n = name, 2
        while f"{name}_in" in taken:
            name = f"{base}_{n}"
            n += 1
        in_port = client.midi_inports.register(f"{name}_in")
        out_port = client.midi_outports.register(f"{name}_out")
        client.connect(source, in_port)
        if target is not None:
            client.connect(out_port, target)
        link = Link(name, in_port, out_port, dict(pads), frozenset(shift_keys), clock, velocity_gain)
        link.reader = (in_port._ptr, _new_event())
        self._set_links((*self.links, link))
        return link

    def close(self, link: Link) -> None:
        with self.lock:
            was_open = link in self.links
            self._set_links(tuple(x for x in self.links if x is not link))
            if not was_open or self.client is None:
                return  # its ports went with the old client
            for port in (link.in_port, link.out_port):
                try:
                    port.unregister()
                except Exception:
                    pass

    def _set_links(self, links: tuple[Link, ...]) -> None:
        self.clocked = any(link.clock for link in links)
        self.links = links  # replaced whole: the callback sees the old tuple or the new one

    def send(self, link: Link, message: bytes) -> None:
        link.outgoing.append(message)

    def alive(self, link: Link) -> bool:
        return link in self.links

    def drained(self) -> bool:
        """Everything queued has been written, and no xrun has had to send it again for a few cycles."""
        if self.client is None:
            return True
        return not any(link.outgoing for link in self.links) and self.cycle - self._last_write > self._resend_cycles

    def reset(self) -> None:
        """The JACK client went away: every link with it."""
        self._set_links(())

    # -- audio thread -----------------------------------------------------------------------------
    def process(self, frames: int, engine) -> None:
        links = self.links
        self.cycle += 1
        if not links:
            return
        if frames != self._period:
            self._period = frames
            self._resend_cycles = max(RESEND_MIN_CYCLES, int(RESEND_S * engine.sample_rate) // frames + 1)
        resend_cycles = self._resend_cycles
        xruns = engine.meters.xruns
        lost = xruns != self._xruns_seen  # a cycle was dropped: what it carried may never have arrived
        self._xruns_seen = xruns
        cycle = self.cycle
        for link in links:
            recent = link.recent
            while recent and cycle - recent[0][0] > resend_cycles:
                recent.popleft()
            if lost and recent:
                # lights, init and exit messages are idempotent: sending them twice is harmless
                link.outgoing.extendleft(reversed([m for _, m in recent]))
                link.resent += len(recent)
                recent.clear()
            out = link.out_port
            out.clear_buffer()
            if link.reader is not None:
                self._read(link, engine, frames)
            outgoing = link.outgoing
            while outgoing:
                try:
                    out.write_midi_event(0, outgoing[0])
                except Exception:  # the port's buffer is full this period: the rest waits
                    link.deferred += 1
                    break
                recent.append((cycle, outgoing.popleft()))
                link.sent += 1
                self._last_write = cycle
        if self.clocked:
            self._clock(frames, engine, links)

    def _read(self, link: Link, engine, frames: int) -> None:
        """The controller's input this cycle: presses matched here, on their own frame; notes and CCs onwards."""
        get_buffer, event_count, event_get, unpack = self._jack
        incoming = self.incoming
        ptr, event = link.reader
        buf = get_buffer(ptr, frames)
        for i in range(event_count(buf)):  # (JACK's own calls: no generator, no buffer object an event)
            if event_get(event, buf, i):
                break
            link.received += 1
            # Only notes and CCs can be bound: aftertouch, pressure, clock … stop here, unread
            # (the status byte read from the C struct: nothing is made for a message left out)
            if event.size == 0 or event.buffer[0] not in WANTED:
                link.ignored += 1
                continue
            message = unpack(event.buffer, event.size)
            handled = self._match(link, message, event.time, engine)
            if len(incoming) < MAX_IN_FLIGHT:
                incoming.append((link, message, handled))
            else:
                self.dropped += 1

    def _match(self, link: Link, message: bytes, offset: int, engine) -> bool:
        if len(message) < 3:
            return False
        status = message[0] & 0xF0
        channel = message[0] & 0x0F
        if status == CONTROL:
            if key(CONTROL, channel, message[1]) in link.shift_keys:
                link.shift = message[2] >= 64
            return False
        if status not in (NOTE_ON, NOTE_OFF):
            return False
        velocity = message[2] if status == NOTE_ON else 0
        k = key(NOTE_ON, channel, message[1])
        if k in link.shift_keys:
            link.shift = velocity > 0
            return False
        pad = link.pads.get(k)
        if pad is None or link.shift:
            return False
        return engine.press(pad, offset, velocity, link.velocity_gain)

    def _clock(self, frames: int, engine, links) -> None:
        """MIDI clock (24 per beat) at each tick's own frame, for controllers that blink in time."""
        for offset in tick_offsets(engine.clock, engine.frame, frames):
            for link in links:
                if link.clock:
                    try:
                        link.out_port.write_midi_event(offset, TICK)
                    except Exception:
                        pass
