"""The stepped driver: the engine renders only when a test tells it to, over a private channel.

``padserver run --audio stepped --step-socket PATH`` runs the same engine and control code as live, but no
clock paces the audio: a harness connected to the Unix socket ``PATH`` asks for N frames and gets them back.
Before rendering, everything sent to the daemon before the request (OSC datagrams already in its socket,
MIDI given through the channel) is dispatched, so a test knows the block each command lands in, whatever
the machine is doing. Engine events are handed to the control side after every block, so feedback (OSC,
lights) is sent before the reply. The driver's clock is its frame count: timers that matter musically read
it through `now`.

The channel speaks one JSON object per line each way. A reply may announce a binary payload
(``"bytes": n``) that follows its line. Requests:

- ``{"op": "step", "frames": N}``: render N frames (in blocks of ``audio.block_size``); the reply carries
  the master as float32, channel after channel (2 × N). With ``"input": true`` the request line is followed
  by 2 × N float32 frames played into the inputs (recording), channel after channel.
- ``{"op": "ports", "sources": [names], "targets": [names]}``: the MIDI ports plugged in now, those
  devices send from and those they listen on; the controllers' mappings match and pair them by name, as
  hot-plug does, before the reply.
- ``{"op": "midi", "port": source, "data": [bytes …]}``: a message from that device.
- ``{"op": "sent"}``: what padserver sent to each device's port since last asked (lights),
  ``{target: [[bytes]]}``.
- ``{"op": "clock", "events": [[frame, [bytes …]], …]}``: MIDI clock messages (ticks, Start, Stop, Song
  Position …) arriving on the clock input at those engine frames, read in the block that holds each frame,
  exactly as JACK's ``padserver:clock_in``; ``{"op": "clock_out"}``: what the clock output wrote since
  last asked, ``[[frame, [bytes]], …]``, as JACK's ``padserver:clock_out``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import tempfile
from collections import deque
from collections.abc import Awaitable, Callable

import numpy as np

from padserver.drivers.backend import Backend, BackendError, BackendInfo
from padserver.sync.jack_clock import ClockIn, ClockOut

log = logging.getLogger(__name__)

CHANNELS = 2
MAX_STEP = 48000 * 600  # frames one request may ask for (ten minutes at 48 kHz)


class SteppedMidi:
    """Virtual MIDI devices for the stepped driver: what a test plays in, what padserver sends out."""

    sends_clock = True  # no clock for devices: nothing runs on the wall clock here

    def __init__(self) -> None:
        self.sources: list[str] = []
        self.targets: list[str] = []
        self.plugged: Callable[[tuple[list[str], list[str]]], Awaitable[None]] | None = None  # the manager's scan
        self.incoming: deque = deque()  # (link, bytes, handled) for the manager
        self.links: dict[str, _Link] = {}  # by the device's name
        self.sent: dict[str, list[list[int]]] = {}

    def list_ports(self) -> tuple[list[str], list[str]]:
        return list(self.sources), list(self.targets)

    def open(self, name, source, target, pads, shift_keys, clock, velocity_gain):
        link = _Link(name, source, target)
        self.links = {**self.links, source: link}  # replaced whole: the transport's calls run in a thread
        return link

    def pump(self) -> None:
        """Nothing to move: the channel fills ``incoming`` itself."""

    def send(self, link, message: bytes) -> None:
        if link.target is not None:
            self.sent.setdefault(link.target, []).append(list(message))

    def close(self, link) -> None:
        self.links = {k: v for k, v in self.links.items() if v is not link}

    def alive(self, link) -> bool:
        return self.links.get(link.source) is link

    def drained(self) -> bool:
        return True

    def play(self, port: str, data: list[int]) -> None:
        link = self.links.get(port)
        if link is None:
            raise ValueError(f"no controller is connected on {port!r} (connected: {sorted(self.links)})")
        self.incoming.append((link, bytes(data), False))

    def take_sent(self) -> dict[str, list[list[int]]]:
        sent, self.sent = self.sent, {}
        return sent


class _Link:
    def __init__(self, name: str, source: str, target: str | None) -> None:
        self.name = name
        self.source = source
        self.target = target


class ClockPort:
    """A MIDI port of the stepped driver, in the shape of a JACK MIDI port: events at engine frames, read and
    written block by block (``block`` is the first frame of the block being processed)."""

    def __init__(self) -> None:
        self.name = "padserver:clock"
        self.block = 0
        self.frames = 0
        self.waiting: list[tuple[int, bytes]] = []  # to be read, in frame order
        self.written: list[tuple[int, bytes]] = []

    def incoming_midi_events(self):
        end = self.block + self.frames
        due = [(f, data) for f, data in self.waiting if f < end]
        self.waiting = self.waiting[len(due) :]
        for frame, data in due:
            yield max(0, frame - self.block), memoryview(data).cast("c")  # items as one-byte bytes, as JACK's

    def clear_buffer(self) -> None:
        """Nothing to clear: what is written is kept until asked for."""

    def write_midi_event(self, offset: int, data: bytes) -> None:
        self.written.append((self.block + offset, bytes(data)))


class SteppedBackend(Backend):
    name = "stepped"

    def __init__(self, config, reason: str) -> None:
        super().__init__()
        audio = config.audio
        self.socket_path = audio.stepped.socket or os.path.join(
            tempfile.gettempdir(), f"padserver-step-{os.getpid()}.sock"
        )
        self.info = BackendInfo(
            "stepped",
            reason,
            int(audio.sample_rate),
            int(audio.block_size),
            outputs=["master_L", "master_R"],
            device=f"(stepped through {self.socket_path})",
        )
        self.inputs = CHANNELS
        self.midi = SteppedMidi()
        self._clock_in_port, self._clock_out_port = ClockPort(), ClockPort()
        self.clock_in = ClockIn(self._clock_in_port, follow=config.sync.source == "midi")
        self.clock_out = ClockOut(self._clock_out_port)
        self.settle: Callable[[], Awaitable[None]] | None = None  # dispatch what was sent before a step
        self.after_block: Callable[[], None] | None = None  # hand the engine's events to the control side
        self.after_step: Callable[[], None] | None = None  # and what is sampled less often (meters)
        self._server: asyncio.AbstractServer | None = None
        self._silence = np.zeros((CHANNELS, self.info.block_size), dtype=np.float32)

    def now(self) -> float:
        """Seconds on the driver's clock: the frames rendered so far."""
        return self.engine.frame / self.info.sample_rate

    def start(self) -> None:
        """Nothing runs until the channel asks (`serve`)."""

    async def serve(self) -> None:
        """Listen on the channel (on the event loop: the control and "audio" sides take turns)."""
        if os.path.exists(self.socket_path):
            os.remove(self.socket_path)
        try:
            self._server = await asyncio.start_unix_server(self._client, self.socket_path, limit=1 << 20)
        except OSError as exc:
            raise BackendError(f"cannot listen on {self.socket_path}: {exc.strerror}") from None
        log.info("stepped audio: frames are rendered when asked on %s", self.socket_path)

    def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        try:
            os.remove(self.socket_path)
        except OSError:
            pass

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                try:
                    request = json.loads(line)
                    reply, payload = await self._answer(request, reader)
                except (ValueError, TypeError, KeyError) as exc:
                    reply, payload = {"error": f"{type(exc).__name__}: {exc}"}, b""
                if payload:
                    reply["bytes"] = len(payload)
                writer.write(json.dumps(reply).encode() + b"\n" + payload)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def _answer(self, request: dict, reader: asyncio.StreamReader) -> tuple[dict, bytes]:
        op = request["op"]
        if op == "step":
            frames = int(request["frames"])
            if not 0 <= frames <= MAX_STEP:
                raise ValueError(f"frames must be in 0..{MAX_STEP} (got {frames})")
            played = None
            if request.get("input"):
                raw = await reader.readexactly(CHANNELS * frames * 4)
                played = np.frombuffer(raw, dtype=np.float32).reshape(CHANNELS, frames)
            if self.settle is not None:
                await self.settle()
            audio = self.render(frames, played)
            if self.after_step is not None:
                self.after_step()
            return {"frame": self.engine.frame, "xruns": self.engine.meters.xruns}, audio.tobytes()
        if op == "ports":
            midi = self.midi
            midi.sources = [str(p) for p in request.get("sources", [])]
            midi.targets = [str(p) for p in request.get("targets", [])]
            if midi.plugged is not None:
                await midi.plugged(midi.list_ports())
            return {"connected": sorted(midi.links)}, b""
        if op == "midi":
            data = [int(b) for b in request["data"]]
            if not data or not all(0 <= b <= 255 for b in data):
                raise ValueError("data must be 1 or more bytes (0..255)")
            self.midi.play(str(request["port"]), data)
            return {"ok": True}, b""
        if op == "sent":
            return {"sent": self.midi.take_sent()}, b""
        if op == "clock":
            events = [(int(f), bytes(int(b) for b in data)) for f, data in request["events"]]
            if any(f < self.engine.frame for f, _ in events):
                raise ValueError(f"clock events must be at frame {self.engine.frame} or later")
            port = self._clock_in_port
            port.waiting = sorted(port.waiting + events, key=lambda e: e[0])
            return {"waiting": len(port.waiting)}, b""
        if op == "clock_out":
            written, self._clock_out_port.written = self._clock_out_port.written, []
            return {"written": [[f, list(data)] for f, data in written]}, b""
        raise ValueError(f"unknown op {op!r} (step, ports, midi, sent, clock, clock_out)")

    def render(self, frames: int, played: np.ndarray | None = None) -> np.ndarray:
        """Run the engine over ``frames`` frames, block by block, as an audio driver would; the master."""
        out = np.zeros((CHANNELS, frames), dtype=np.float32)
        block = self.info.block_size
        done = 0
        while done < frames:
            n = min(block, frames - done)
            if played is not None:
                self.engine.inputs = [played[c, done : done + n] for c in range(CHANNELS)]
            else:
                self.engine.inputs = [self._silence[c, :n] for c in range(CHANNELS)]
            for port in (self._clock_in_port, self._clock_out_port):
                port.block, port.frames = self.engine.frame, n
            self.clock_in.process(n, self.engine)
            mix = self._render(n)
            out[:, done : done + n] = mix[:CHANNELS, :n]
            self.clock_out.process(n, self.engine)
            done += n
            if self.after_block is not None:
                self.after_block()
        return out
