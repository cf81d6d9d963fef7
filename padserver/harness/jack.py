"""A real JACK server on the dummy driver, and a client that captures what padserver plays."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import warnings
from typing import Any

import numpy as np

from padserver.drivers.jack_gate import ProcessGate
from padserver.drivers.jack_native import CAPTURE, declare_latency, frames_to_time
from padserver.harness.jack_registry import free_dead_server_slots, registry_held

# jackd's greeting, which says nothing about why it stopped
_BANNER = ("jackdmp", "Copyright", "This is free software", "under certain conditions", "no message buffer overruns")


class JackServer:
    def __init__(
        self,
        rate: int = 48000,
        period: int = 128,
        name: str | None = None,
        log: str | None = None,
        outputs: int = 2,
        realtime: bool = False,
    ) -> None:
        self.realtime = realtime  # the server's (and its clients') process threads at real-time priority
        self.log = log  # where jackd's own messages go (xruns, zombified clients); None: nowhere
        self.outputs = outputs  # the dummy "sound card"'s playback channels
        self.rate = rate
        self.period = period
        self.name = name or _unique_name()
        self.proc: subprocess.Popen | None = None

    def start(self) -> JackServer:
        with registry_held():  # (tests in other workers start and stop servers too: one at a time)
            return self._start()

    def _start(self) -> JackServer:
        if shutil.which("jackd") is None:
            raise RuntimeError("jackd is not installed (apt-get install jackd2)")
        free_dead_server_slots()
        # jackd's messages go to the log, or to a file of our own that says why when it does not come up
        own = self.log is None
        if self.log is None:
            fd, path = tempfile.mkstemp(prefix="jackd-", suffix=".log")
            os.close(fd)
        else:
            path = self.log
        with open(path, "ab") as out:
            self.proc = subprocess.Popen(
                [
                    "jackd",
                    "--realtime" if self.realtime else "--no-realtime",
                    "-n",
                    self.name,
                    "-d",
                    "dummy",
                    "-r",
                    str(self.rate),
                    "-p",
                    str(self.period),
                ]
                + ["-P", str(self.outputs)],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            self._wait_up()
        except RuntimeError as e:
            with open(path, errors="replace") as f:
                said = [line.strip() for line in f if line.strip() and not line.startswith(_BANNER)]
            raise RuntimeError(f"{e}; jackd said: {' | '.join(said[-6:]) or 'nothing'}") from None
        finally:
            if own:
                os.unlink(path)
        return self

    def _wait_up(self) -> None:
        import jack

        jack.set_error_function(lambda m: None)
        jack.set_info_function(lambda m: None)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                probe = jack.Client("probe", no_start_server=True, servername=self.name)
                probe.close()
                return
            except jack.JackOpenError:
                if self.proc is not None and self.proc.poll() is not None:
                    self.proc = None
                    raise RuntimeError("jackd did not come up") from None
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("jackd did not come up")

    def stop(self) -> None:
        with registry_held():
            self._stop()

    def _stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def responsive(self, timeout: float = 5.0) -> bool:
        """Whether a new client joins and has its process callback run within ``timeout``. A wedged server
        (every call into it waits, no cycle runs) says no. The probe is a process of its own, killed when it
        does not answer in time: a probe thread left waiting inside libjack would wake when the server goes
        and run on in this process beside the next server's clients (libjack crashed on that)."""
        if self.proc is None or self.proc.poll() is not None:
            return False
        probe = subprocess.Popen(
            [sys.executable, "-c", _PROBE, self.name, str(timeout)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            return probe.wait(timeout + 5.0) == 0  # (the probe's own start, on a loaded machine)
        except subprocess.TimeoutExpired:
            probe.kill()
            probe.wait()
            return False

    def restart(self) -> JackServer:
        """A new server in this one's place, under a new name: this one is killed (a wedged server does not
        close), so nothing of it is reused."""
        with registry_held():
            if self.proc is not None:
                self.proc.kill()
                self.proc.wait()
                self.proc = None
            self.name = _unique_name()
            return self.start()

    @property
    def env(self) -> dict:
        return {"JACK_DEFAULT_SERVER": self.name}


# A client that joins the named server and exits 0 once its process callback has run (within argv[2] seconds)
_PROBE = """
import os, sys, threading, jack
jack.set_error_function(lambda m: None)
jack.set_info_function(lambda m: None)
ran = threading.Event()
try:
    client = jack.Client("probe", no_start_server=True, servername=sys.argv[1])
    client.set_process_callback(lambda frames: ran.set())
    client.activate()
except jack.JackError:
    os._exit(1)
os._exit(0 if ran.wait(float(sys.argv[2])) else 1)
"""


def _unique_name() -> str:
    return f"pstest-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def _within(action, seconds: float) -> bool:
    """Run ``action`` on a thread of its own; whether it ended within ``seconds`` (if not, it is left to
    finish or hang on its own: a call into a wedged JACK server returns when the server goes)."""
    thread = threading.Thread(target=action, daemon=True)
    thread.start()
    thread.join(seconds)
    return not thread.is_alive()


class _Client:
    """A test-side JACK client; closing it never raises (the server may be gone already) nor hangs (it may
    be wedged)."""

    client: Any

    gate: ProcessGate

    def _start_account(self) -> None:
        self.missed: list[tuple[int, int]] = []  # [first, end) of the cycles JACK ran without this client
        self._last_cycle = -1
        self._next_cycle: int | None = None
        self.xrun_frames: list[int] = []  # JACK's frame when it told this client of an xrun (any client's)
        self.client.set_xrun_callback(lambda delay: self.xrun_frames.append(self.client.frame_time))

    def xruns_between(self, start: int, end: int) -> int:
        """How many xruns JACK reported between frames ``start`` and ``end`` (a cycle some client missed)."""
        return sum(1 for f in self.xrun_frames if start <= f <= end)

    def _account(self, t: int, frames: int) -> bool:
        """Note the cycle at frame ``t``; False when it was handled already (a late client called twice)."""
        if t == self._last_cycle:
            return False
        if self._next_cycle is not None and t > self._next_cycle:
            self.missed.append((self._next_cycle, t))
        self._last_cycle, self._next_cycle = t, t + frames
        return True

    def on_time(self, frame: int) -> bool:
        """Whether what this client wrote or read for ``frame`` went as JACK scheduled it. Measured on JACK 2: a
        client late for a cycle (the test's Python held its callback) has that cycle's messages or sound lost,
        or delivered two periods late, and the cycle after it may read the next frame time; JACK's account is
        the cycles it missed, and the cycles on either side of them are uncertain too."""
        period = self.client.blocksize
        return not any(first - period <= frame < end + period for first, end in self.missed)

    def _set_process(self, process) -> None:
        """Have ``process(frames)`` run every cycle, behind a gate that lets the client close safely (JACK cancels
        the process thread: see `padserver.drivers.jack_gate`)."""
        self.gate = ProcessGate()
        self.client.set_process_callback(self.gate.gated(process))

    def close(self, timeout: float = 5.0) -> None:
        if not _within(lambda: self.gate.close(self.client), timeout):
            warnings.warn(f"the test's {type(self).__name__} did not leave JACK within {timeout} s", stacklevel=2)


class Player(_Client):
    """Plays a sound on one output port at JACK frames the test chooses (a musician, an instrument)."""

    def __init__(self, server: JackServer, sound: np.ndarray, name: str = "player", latency: int = 0) -> None:
        """``latency``: the capture latency the port declares, as a sound card's input would (the sound on
        the port at frame F was played at F − latency)."""
        import jack

        self.client = jack.Client(name, no_start_server=True, servername=server.name)
        self.out = self.client.outports.register("out")
        self.sound = np.asarray(sound, dtype=np.float32)
        self.at: list[int] = []  # frames the sound starts on
        self._start_account()
        self._set_process(self._process)
        self._latency = declare_latency(self.client, [self.out], CAPTURE, latency) if latency else None
        self.client.activate()

    def _process(self, frames: int) -> None:
        t = self.client.last_frame_time
        self._account(t, frames)
        out = self.out.get_array()
        out.fill(0.0)
        for start in self.at:
            a, b = max(t, start), min(t + frames, start + len(self.sound))
            if b > a:
                out[a - t : b - t] = self.sound[a - start : b - start]

    def play_at(self, frames: list[int]) -> None:
        self.at = list(frames)

    def connect(self, *ports: str) -> None:
        for port in ports:
            self.client.connect(self.out.name, port)


class MidiDevice(_Client):
    """A stand-in for a hardware controller: a JACK client with MIDI ports named like the device's.

    ``send`` plays a message at the start of the next cycle and returns nothing;
    ``sent`` and ``received`` hold (JACK frame, bytes) of what went out and came in, ``received_us`` when each
    came in on the host clock (the dummy driver's frames fall behind it when a cycle runs late).
    """

    def __init__(self, server: JackServer, client_name: str, out_port: str, in_port: str | None = None) -> None:
        import collections

        import jack

        self.client = jack.Client(client_name, no_start_server=True, servername=server.name)
        self.out = self.client.midi_outports.register(out_port)
        self.inp = self.client.midi_inports.register(in_port) if in_port else None
        self.pending: collections.deque = collections.deque()
        self.sent: list[tuple[int, bytes]] = []
        self.received: list[tuple[int, bytes]] = []
        self.received_us: list[int] = []  # when each arrived on the host clock (JACK's estimate), in µs
        self._start_account()
        self._set_process(self._process)
        self.client.activate()

    def _process(self, frames: int) -> None:
        t = self.client.last_frame_time
        if not self._account(t, frames):
            return  # a late client called twice for one cycle: it was handled
        self.out.clear_buffer()
        while self.pending:
            try:
                self.out.write_midi_event(0, self.pending[0])
            except Exception:  # this period's MIDI buffer is full: the rest goes next period
                break
            self.sent.append((t, self.pending.popleft()))
        if self.inp is not None:
            for offset, data in self.inp.incoming_midi_events():
                self.received.append((t + offset, bytes(data)))
                self.received_us.append(frames_to_time(self.client, t + offset))

    def send(self, message: bytes) -> None:
        self.pending.append(bytes(message))

    def press(self, message: bytes, timeout: float = 5.0) -> int:
        """Send ``message`` and return the JACK frame it went out on."""
        count = len(self.sent)
        self.send(message)
        deadline = time.monotonic() + timeout
        while len(self.sent) <= count:
            if time.monotonic() > deadline:
                raise TimeoutError("the fake device's JACK client is not running")
            time.sleep(0.001)
        return self.sent[count][0]

    def clean(self, frame: int, until: int | None = None) -> bool:
        """Whether JACK ran every cycle around ``frame`` (to ``until``) with every client on time: a message
        this device sent then reached padserver, and padserver's answer came back (a cycle some client missed
        takes the MIDI in it along, as on any JACK MIDI port)."""
        period = self.client.blocksize
        end = self.client.frame_time if until is None else until
        return self.on_time(frame) and not self.xruns_between(frame - 2 * period, end + 2 * period)

    def press_until(self, message: bytes, predicate, since: int = 0, tries: int = 4, wait: float = 5.0) -> int:
        """Press ``message`` until the device receives what ``predicate`` accepts (at or after index
        ``since``); the frame the press that was answered went out on. A press is made again only when no answer came and the
        cycles around it were not clean (see `clean`): then it may never have reached padserver. Padserver
        resends its lights after an xrun, so a lost light is not taken for a lost press."""
        for attempt in range(tries):
            pressed = self.press(message)
            try:
                self.wait_for(predicate, wait if attempt < tries - 1 else 30.0, since)
                return pressed
            except AssertionError:
                if self.clean(pressed) or attempt == tries - 1:
                    raise
        raise AssertionError("unreachable")

    def wait_for(self, predicate, timeout: float = 30.0, since: int = 0) -> tuple[int, bytes]:
        """The first received (frame, message) at or after index ``since`` that ``predicate`` accepts."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for item in self.received[since:]:
                if predicate(item[1]):
                    return item
            time.sleep(0.005)
        seen = "\n".join(m.hex(" ") for _, m in self.received[-20:])
        raise AssertionError(f"the device never received the expected message; last ones:\n{seen}")


class ClockSender(_Client):
    """A DAW sending MIDI clock on ``<name>:out`` at ``bpm``, Start/Stop/… with a tick when asked.

    By default the ticks lie on exact JACK frames: a DAW on the same sound card. With ``host_clock`` they keep
    time on the host clock instead, each on the frame JACK says is heard then: a DAW on a card of its own. (The
    dummy driver's frames fall behind the host clock whenever a cycle runs late, as on a loaded machine: a
    follower that keeps time on the host clock, rtmidi's, needs a clock that does too.)
    """

    def __init__(self, server: JackServer, bpm: float, name: str = "daw clock", host_clock: bool = False) -> None:
        import collections

        import jack

        self.client = jack.Client(name, no_start_server=True, servername=server.name)
        self.out = self.client.midi_outports.register("out")
        self.rate = self.client.samplerate
        self.host_clock = host_clock
        # (where tick k0 lies, k0, how far apart ticks are): in frames, or in µs on the host clock; replaced whole
        self.line: tuple[float, int, float] | None = None
        self.bpm = bpm
        self.sent = 0  # the next tick to write (on the host clock)
        self.pending: collections.deque = collections.deque()  # (tick number, message): written before that tick
        self._start_account()  # (its xrun_frames: JACK's word that some client missed a cycle)
        self._set_process(self._process)
        self.client.activate()

    @property
    def per_tick(self) -> float:
        """Frames between ticks at the tempo asked for."""
        return self.rate * 60.0 / (self.bpm * 24)

    def _spacing(self) -> float:
        return 60e6 / (self.bpm * 24) if self.host_clock else self.per_tick

    def tick_frame(self, k: int) -> int:
        """Where tick ``k`` lies: a frame, or µs on the host clock."""
        assert self.line is not None
        origin, k0, spacing = self.line
        return int(origin + math.ceil((k - k0) * spacing - 1e-9))

    def _next_tick(self, at: float) -> int:
        assert self.line is not None
        origin, k0, spacing = self.line
        return k0 + math.ceil((at - origin) / spacing - 1e-9)

    def _process(self, frames: int) -> None:
        t = self.client.last_frame_time
        self.out.clear_buffer()
        ticks = []
        if self.host_clock:
            u0, u1 = frames_to_time(self.client, t), frames_to_time(self.client, t + frames)
            if self.line is None:
                self.line = (u0, 0, self._spacing())
            while self.tick_frame(self.sent) < u1:  # (a tick due in time JACK lost goes out at once)
                offset = (self.tick_frame(self.sent) - u0) * frames // max(1, u1 - u0)
                ticks.append((min(frames - 1, max(0, offset)), self.sent))
                self.sent += 1
        else:
            if self.line is None:
                self.line = (t, 0, self._spacing())
            k = self._next_tick(t)
            while self.tick_frame(k) < t + frames:
                ticks.append((self.tick_frame(k) - t, k))
                k += 1
        for offset, k in ticks:
            while self.pending and self.pending[0][0] <= k:
                self.out.write_midi_event(offset, self.pending.popleft()[1])
            self.out.write_midi_event(offset, b"\xf8")

    def _now(self, ahead: float) -> float:
        deadline = time.monotonic() + 5.0
        while self.line is None:
            if time.monotonic() > deadline:
                raise TimeoutError("the clock's JACK client is not running")
            time.sleep(0.001)
        if self.host_clock:
            return frames_to_time(self.client, self.client.frame_time) + ahead * 1e6
        return self.client.frame_time + ahead * self.rate

    def set_bpm(self, bpm: float) -> int:
        """Change the tempo from a tick a few periods ahead on; where that tick lies (see `tick_frame`)."""
        k = self._next_tick(self._now(2 * self.client.blocksize / self.rate))
        at = self.tick_frame(k)
        self.bpm = bpm
        self.line = (at, k, self._spacing())
        return at

    def start(self, message: bytes = b"\xfa", ahead: float = 0.2) -> int:
        """Send Start (or another message) with a tick about ``ahead`` seconds from now; where that tick lies."""
        k = self._next_tick(self._now(ahead))
        self.pending.append((k, message))
        return self.tick_frame(k)
