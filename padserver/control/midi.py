"""MIDI controllers: find them by their mappings' port patterns, connect, follow hot-plug.

Two transports carry the bytes. When audio runs on JACK, the JACK backend's own
MIDI ports do (pads start on the note's frame, inside the audio callback);
otherwise mido with python-rtmidi (ALSA sequencer, JACK MIDI or CoreMIDI),
whose input callbacks hand messages to the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from typing import Any

from padserver.control.controller import Controller
from padserver.control.mappings import ANY_CHANNEL, Mapping
from padserver.tasks import spawn

log = logging.getLogger("padserver.midi")

BLINK_S = 0.4  # the shift key's blink while an OSC client waits to be paired
SCAN_S = 1.0  # hot-plug: a replugged controller is back within this (plus its own start-up)
MAX_PER_ROUND = 4000  # incoming messages handled per event-loop round (the rest wait for the next)
APIS = ("auto", "alsa", "jack", "coremidi", "none")


def _pair(source: str, targets: list[str], mapping: Mapping) -> str | None:
    """The device input (for LEDs) that belongs with the device output ``source``."""
    client = source.split(":")[0]
    matching = [t for t in targets if mapping.matches(t)]
    same = [t for t in matching if t.split(":")[0] == client]
    found = same or matching
    return found[0] if found else None


def choose_api(configured: str, audio_backend: str) -> str:
    """Which MIDI path to use; `auto` prefers the JACK backend's own ports when audio is on JACK."""
    if audio_backend == "stepped":
        return "stepped"  # the driver's own virtual devices, whatever the config says
    if configured != "auto":
        return configured
    if audio_backend == "jack":
        return "jack-audio"
    if sys.platform == "darwin":
        return "coremidi"
    if os.path.exists("/dev/snd/seq"):
        return "alsa"
    return "jack"  # no ALSA sequencer (no sound card): JACK MIDI, if a JACK server runs


class MidiManager:
    def __init__(self, mappings: list[Mapping], actions, transport) -> None:
        # specific mappings first; a fallback mapping only gets ports nobody else claims
        self.mappings = sorted(mappings, key=lambda m: m.fallback)
        self.actions = actions
        self.transport = transport
        self.controllers: dict[str, tuple[Controller, object]] = {}  # by source port
        self.learn = None  # set by the learn feature
        self._unconfirmed: list[str] = []  # controllers whose set-up is sent once more on the next scan
        self.pairing: Any = None  # control.pairing.Pairing, when OSC clients from elsewhere must be accepted
        self._blinking: asyncio.Task | None = None
        self._scanning = asyncio.Lock()  # one scan at a time (a test's plug-in scans beside the periodic one)

    @property
    def active(self) -> bool:
        return bool(self.controllers)

    async def run(self) -> None:
        if not getattr(self.transport, "sends_clock", True):
            spawn(self._clock(), "MIDI clock out")
        while True:
            try:
                await self.scan(await asyncio.to_thread(self.transport.list_ports))
            except Exception:
                log.exception("MIDI scan failed")
            await asyncio.sleep(SCAN_S)

    async def scan(self, ports: tuple[list[str], list[str]]) -> None:
        """Follow what is plugged in. The transport's calls run in a thread: on JACK each one is a request to
        the server, which a starved server answers late, and the event loop (OSC, lights) must not wait."""
        async with self._scanning:
            await self._scan(ports)

    async def _scan(self, ports: tuple[list[str], list[str]]) -> None:
        sources, targets = ports
        for source in self._unconfirmed:  # connected a scan ago on a transport that may have lost the set-up
            if source in self.controllers:
                self.controllers[source][0].connect()
        self._unconfirmed = []
        for source, (controller, link) in list(self.controllers.items()):
            alive = self.transport.alive(link)
            if source not in sources or not alive:
                log.info("controller %s (%s) is gone", controller.mapping.device, source)
                del self.controllers[source]
                if alive:
                    await asyncio.to_thread(self.transport.close, link)
        for mapping in self.mappings:
            for source in sources:
                if source in self.controllers or not mapping.matches(source):
                    continue
                if mapping.fallback and any(m.matches(source) for m in self.mappings if not m.fallback):
                    continue
                await self._connect(
                    mapping, source, _pair(source, targets, mapping) if mapping.leds or mapping.init else None
                )

    async def _connect(self, mapping: Mapping, source: str, target: str | None) -> None:
        pads, shift_keys = {}, set()
        for c in mapping.controls:
            channels = range(16) if c.channel == ANY_CHANNEL else (c.channel,)
            kind = 0x90 if c.kind == "note" else 0xB0
            for ch in channels:
                if c.press == "pad.trigger" and c.kind == "note" and c.pad:
                    pads[(0x90 << 11) | (ch << 7) | c.number] = c.pad - 1
                if c.press == "shift":
                    shift_keys.add((kind << 11) | (ch << 7) | c.number)
        try:
            link = await asyncio.to_thread(
                self.transport.open,
                mapping.name,
                source,
                target,
                pads,
                shift_keys,
                mapping.clock,
                mapping.velocity_gain,
            )
        except Exception as exc:
            log.warning("cannot connect %s on %s: %s", mapping.device, source, exc)
            return
        controller = Controller(mapping, self.actions, lambda message: self.transport.send(link, message), source)
        controller.learn_hook = self.learn.hook if self.learn is not None else None
        controller.pairing = self.pairing
        controller.on_learned = lambda control: self._learned(link, control)
        self.controllers[source] = (controller, link)
        controller.connect()
        if getattr(self.transport, "may_lose", False):
            self._unconfirmed.append(source)  # (sent again on the next scan: mode, lights, all idempotent)
        log.info("controller %s connected on %s%s", mapping.device, source, f" (lights on {target})" if target else "")

    async def _clock(self) -> None:
        """MIDI clock for devices that blink in time, when the transport cannot time it itself.

        Ticks are due on absolute times from the tempo, so lateness does not accumulate.
        """
        loop = asyncio.get_running_loop()
        due = loop.time()
        while True:
            due += 60.0 / (self.actions.project.tempo * 24.0)
            await asyncio.sleep(max(0.0, due - loop.time()))
            if loop.time() - due > 0.5:  # the loop stalled: start again rather than burst
                due = loop.time()
            for _, link in self.controllers.values():
                if getattr(link, "clock", False):
                    self.transport.send(link, b"\xf8")

    def _learned(self, link, control) -> None:
        pads = getattr(link, "pads", None)
        if pads is None:
            return
        k = (0x90 << 11) | (control.channel << 7) | control.number
        if control.press == "pad.trigger" and control.kind == "note" and control.pad:
            pads[k] = control.pad - 1  # one key assignment: the callback sees the old table or the new one
        else:
            pads.pop(k, None)

    def poll(self) -> None:
        """Event loop: hand what the devices sent to their controllers."""
        self.transport.pump()
        incoming = self.transport.incoming
        by_link = {id(link): controller for controller, link in self.controllers.values()}
        for _ in range(min(len(incoming), MAX_PER_ROUND)):
            link, message, handled = incoming.popleft()
            controller = by_link.get(id(link))
            if controller is not None:
                controller.on_midi(message, handled)

    def on_change(self, pad: int, key: str, value) -> None:
        for controller, _ in self.controllers.values():
            controller.on_change(pad, key, value)

    def follow_pairing(self, pairing) -> None:
        """While an OSC client waits to be paired, every controller's shift key blinks; a press accepts it."""
        self.pairing = pairing
        for controller, _ in self.controllers.values():
            controller.pairing = pairing
        pairing.on_change = self._pairing_changed

    def _pairing_changed(self) -> None:
        if self.pairing.waiting and self._blinking is None:
            self._blinking = spawn(self._blink(), "shift blink")

    async def _blink(self) -> None:
        try:
            while self.pairing.waiting:
                for controller, _ in self.controllers.values():
                    controller.blink = not controller.blink
                    controller.refresh(controller._global)
                await asyncio.sleep(BLINK_S)
        finally:
            self._blinking = None
            for controller, _ in self.controllers.values():
                controller.blink = False
                controller.refresh(controller._global)

    def flash_failed(self, pad: int, seconds: float = 3.0) -> None:
        """A generation for ``pad`` failed: its light flashes red for a few seconds."""
        for controller, _ in self.controllers.values():
            controller.set_failed(pad, True)
        asyncio.get_running_loop().call_later(seconds, self._unflash, pad)

    def _unflash(self, pad: int) -> None:
        for controller, _ in self.controllers.values():
            controller.set_failed(pad, False)

    def close(self) -> None:
        """Restore every device (lights off, exit messages) before the ports close."""
        for controller, _ in self.controllers.values():
            controller.disconnect()

    async def flush(self, timeout: float = 0.8) -> None:
        """Wait (bounded) until the devices have been sent everything, e.g. their exit messages."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not self.transport.drained() and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.005)

    def release_ports(self) -> None:
        for _, link in self.controllers.values():
            self.transport.close(link)
        self.controllers.clear()
