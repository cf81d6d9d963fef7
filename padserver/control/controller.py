"""One connected controller: its mapping turns MIDI into actions and state into LEDs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from padserver.actions import ActionError, EngineBusy
from padserver.control import leds
from padserver.control.mappings import Colour, Control, Mapping
from padserver.tasks import spawn

log = logging.getLogger("padserver.midi")


def parse(data: bytes) -> tuple[str, int, int, int] | None:
    """(kind, channel, number, value) of a channel message we bind; None for anything else."""
    if len(data) < 3 or data[0] >= 0xF0 or data[0] < 0x80:
        return None
    kind = data[0] & 0xF0
    channel = data[0] & 0x0F
    if kind == 0x90:
        return "note", channel, data[1] & 0x7F, data[2] & 0x7F  # velocity 0 is a release
    if kind == 0x80:
        return "note", channel, data[1] & 0x7F, 0
    if kind == 0xB0:
        return "cc", channel, data[1] & 0x7F, data[2] & 0x7F
    return None


class Controller:
    def __init__(self, mapping: Mapping, actions, send: Callable[[bytes], None], name: str) -> None:
        self.mapping = mapping
        self.actions = actions
        self.send = send
        self.name = name  # the port it is connected to
        self.shift = False
        self.layer: str | None = None  # the layer whose controls take over theirs (layer.live: the faders)
        self.pairing = None  # control.pairing.Pairing: a shift press accepts the OSC client waiting
        self.blink = False  # the shift key's blink while an OSC client waits to be paired
        self.failed: set[int] = set()  # pads whose generation just failed (red flash)
        self._shown: dict[tuple[str, int, int], Colour] = {}
        self._by_pad: dict[int, list[Control]] = {}
        self._global: list[Control] = []
        for control in mapping.controls:
            if control.led is None:
                continue
            if control.pad:
                self._by_pad.setdefault(control.pad, []).append(control)
            else:
                self._global.append(control)
        self.learn_hook: Callable[[Controller, str, int, int], bool] | None = None
        self.on_learned: Callable[[Control], None] | None = None

    # -- lifecycle ------------------------------------------------------------------------------
    def connect(self) -> None:
        for message in self.mapping.init:
            self.send(message)
        self._shown.clear()
        self.refresh()

    def disconnect(self) -> None:
        """Lights off, then the mapping's exit messages restore the device."""
        dark = [(c, Colour(0)) for c in self.mapping.controls if c.led is not None]
        for message in leds.messages(self.mapping, dark):
            self.send(message)
        for message in self.mapping.exit:
            self.send(message)

    # -- input ------------------------------------------------------------------------------------
    def on_midi(self, data: bytes, handled: bool = False) -> None:
        """A message from the device; ``handled`` when the audio thread already triggered its pad."""
        parsed = parse(data)
        if parsed is None:
            return  # clock, SysEx, aftertouch …: not bound
        kind, channel, number, value = parsed
        if self.learn_hook is not None and value and self.learn_hook(self, kind, channel, number):
            return
        control = self.mapping.control_for(kind, channel, number, self.layer)
        if control is None:
            log.debug("%s: %s %d on channel %d is not mapped", self.name, kind, number, channel + 1)
            return
        try:
            if control.value is not None:
                self._value(control, value)
            else:
                self._press(control, value, handled)
        except (ActionError, EngineBusy) as exc:
            log.info("%s: %s %d: %s", self.name, kind, number, exc)

    def _press(self, control: Control, value: int, handled: bool) -> None:
        pressed = value > 0 if control.kind == "note" else value >= 64
        shifted = self.shift and control.shift is not None
        action = control.shift if shifted else control.press
        pad = control.shift_pad if shifted and control.shift_pad else control.pad
        a = self.actions
        if action == "shift":
            self.shift = pressed
            if pressed and self.pairing is not None and self.pairing.waiting:
                host = self.pairing.allow()  # (the musician's press on the grid: the client that asked last)
                log.info("%s: OSC client %s paired from the grid", self.name, host)
            self.refresh()
            return
        if action in ("layer.live", "layer.fx"):
            if pressed:  # (one layer at a time: another's button switches to it)
                wanted = action[6:]
                self.layer = None if self.layer == wanted else wanted
                log.info("%s: the %s layer %s", self.name, wanted, "on" if self.layer else "off")
                self.refresh(self._global)
            return
        if self.layer == "fx" and shifted and action == "pad.clear" and pad:
            action = "pad.select"  # (in the effects layer, shift + a pad picks the pad the faders play)
        if action == "pad.trigger":
            if handled:
                return  # started on its own frame by the audio thread
            velocity = value if self.mapping.velocity_gain and control.kind == "note" and pressed else None
            a.pad_trigger(pad, 1.0 if pressed else 0.0, velocity)
            return
        if not pressed:
            return
        if action == "pad.play":
            a.pad_play(pad)
        elif action == "pad.stop":
            a.pad_stop(pad)
        elif action == "pad.clear":
            a.pad_clear(pad)
        elif action == "pad.select":
            a.select_fx_pad(pad)
            log.info("%s: the effects controls play pad %d", self.name, pad)
        elif action == "pad.capture" or (action == "pad.regenerate" and a.project.pad(pad).mode == "live"):
            spawn(self._capture(pad), f"{self.name}: capture", self._report)  # (a live pad has nothing to regenerate)
        elif action == "pad.regenerate" and a.generation is not None:
            a.generation.regenerate(pad)
        elif action == "pad.live":
            a.pad_mode(pad, "loop" if a.project.pad(pad).mode == "live" else "live")
        elif action == "live.mode":
            self._live_mode()
        elif action == "pad.cancel" and a.generation is not None:
            a.generation.cancel(pad)
        elif action in ("pad.mute", "pad.solo"):
            a.pad_toggle(pad, action.split(".")[1])
        elif action == "pads.stop":
            a.pads_stop()
        elif action == "pads.panic":
            a.pads_panic()
        elif action == "tempo.tap":
            a.tap_tempo()
        elif action in ("undo", "redo"):
            spawn(a.undo() if action == "undo" else a.redo(), f"{self.name}: {action}", self._report)
        elif action is None:
            return
        elif action.startswith("live.") and a.live is not None:  # a live pad's switch
            name = action.split(".", 1)[1]
            number = a.live.steered_pad(pad)
            a.live.set_setting(number, name, 0.0 if a.project.pad(number).live_settings.get(name) else 1.0)
        elif action.startswith("scene."):
            a.song.launch_scene(int(action.split(".")[1]))
        elif action == "transport.metronome":
            a.song.metronome(not a.project.metronome)
        elif action.startswith("transport."):
            self._transport(action.split(".")[1])

    async def _capture(self, pad: int | None) -> None:
        loop, onto = await self.actions.live.capture(pad or 0, 4)
        log.info("%s: pad %d's last 4 bars kept as loop %d on pad %d", self.name, pad, loop, onto)

    def _live_mode(self) -> None:
        """Start live mode as it was last set (else on all the pads), or stop it."""
        mode = self.actions.live_mode
        if mode is None:
            return
        if mode.running:
            mode.stop()
        else:
            mode.start(mode.last_options)

    def _transport(self, button: str) -> None:
        """Play toggles play and pause; record toggles recording the performance; stop stops."""
        a = self.actions
        rolling = a.project.transport in ("playing", "recording")
        task = None
        if button == "play":
            if rolling:
                task = a.song.halt(to_start=False)
            else:
                a.song.play()
        elif button == "stop":
            task = a.song.halt(to_start=True)
        elif a.performance.on:  # record
            task = a.performance.stop()
        else:
            a.performance.start()
        if task is not None:
            spawn(task, f"{self.name}: {button}", self._report)

    def _report(self, task: asyncio.Task) -> None:
        """An undo or redo started from the device ended; say why if it could not be done."""
        if not task.cancelled() and task.exception() is not None:
            log.info("%s: %s", self.name, task.exception())

    def _value(self, control: Control, value: int) -> None:
        a = self.actions
        assert control.value is not None
        pad = control.shift_pad if self.shift and control.shift_pad else control.pad
        if control.value.startswith("live."):
            self._steer(control, value, pad)
            return
        if control.value.startswith("fx."):
            self._effect(control, value, pad)
            return
        current = {
            "pad.gain": lambda: a.project.pad(pad).gain,
            "pad.pan": lambda: a.project.pad(pad).pan,
            "master.gain": lambda: a.project.master_gain,
            "tempo": lambda: a.project.tempo,
        }[control.value]
        target = round(_position(control, value, current), 4)
        if control.value == "pad.gain":
            a.pad_gain(pad, target)
        elif control.value == "pad.pan":
            a.pad_pan(pad, target)
        elif control.value == "master.gain":
            a.master_gain(target)
        else:
            a.set_tempo(target)

    def _steer(self, control: Control, value: int, pad: int | None) -> None:
        """A knob or fader on a live pad's prompt weight or setting (absolute; relative ones step from where it is)."""
        live = self.actions.live
        if live is None:
            return
        assert control.value is not None
        number = live.steered_pad(pad)
        p = self.actions.project.pad(number)
        name = control.value.split(".", 1)[1]
        slot = int(name.rsplit(".", 1)[1]) if name.startswith("weight.") else 0
        target = _position(
            control, value, lambda: p.live_prompts[slot - 1][1] if slot else p.live_settings.get(name, control.lo)
        )
        if slot:
            live.set_weight(number, slot, round(target, 3))
        else:
            live.set_setting(number, name, round(target, 3))

    def _effect(self, control: Control, value: int, pad: int | None) -> None:
        """A knob or fader on an effect of the pad it names, else the selected pad (absolute, or stepping)."""
        from padserver.actions.effects import set_fx, value_of

        assert control.value is not None
        number = pad or self.actions.project.fx_pad
        name = control.value[3:].replace(".", "/")
        target = _position(control, value, lambda: float(value_of(self.actions, number, name)))  # type: ignore[arg-type]
        if name.startswith("eq/") and target <= control.lo:
            target = -96.0  # (the bottom kills the band)
        set_fx(self.actions, number, name, round(target, 3))

    def learned(self, kind: str, channel: int, number: int) -> None:
        """A binding was just learned for this control: the audio thread's table follows."""
        control = self.mapping.control_for(kind, channel, number)
        if self.on_learned is not None and control is not None:
            self.on_learned(control)

    def set_failed(self, pad: int, failed: bool) -> None:
        (self.failed.add if failed else self.failed.discard)(pad)
        self.refresh(self._by_pad.get(pad, []))

    # -- output ----------------------------------------------------------------------------------
    def on_change(self, pad: int, key: str, value) -> None:
        if pad and key in ("state", "mute", "solo", "generating", "next"):
            controls = self._by_pad.get(pad, []) + (self._global if key == "state" else [])
            self.refresh(controls)
        elif not pad and key in ("transport", "metronome", "position", "live_mode"):
            self.refresh(self._global)

    def refresh(self, controls: list[Control] | None = None) -> None:
        """Send what changed among ``controls`` (all lit controls by default)."""
        if self.mapping.leds is None:
            return
        if controls is None:
            controls = [c for c in self.mapping.controls if c.led is not None]
        updates = []
        for control in controls:
            shift = self.shift or (self.blink and getattr(control.led, "when", None) == "shift")
            colour = leds.control_colour(self.mapping, control, self.actions.project, shift, self.failed, self.layer)
            if colour is not None and self._shown.get(control.key) != colour:
                self._shown[control.key] = colour
                updates.append((control, colour))
        for message in leds.messages(self.mapping, updates):
            self.send(message)


def _position(control: Control, value: int, now) -> float:
    """Where a knob or fader puts its setting: absolute across its range, or (relative, two's complement: 1..63
    up, 65..127 down) stepped from ``now()``, within its range."""
    if control.relative:
        delta = value if value < 64 else value - 128
        return min(control.hi, max(control.lo, now() + delta * control.step))
    return control.lo + (control.hi - control.lo) * value / 127.0
