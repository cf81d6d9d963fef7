"""What a controller's lights say: pad state → colour, and the messages that set them.

Precedence follows the OSC contract: error > failed job > live mode's next > generating > queued /
stopping > playing > loaded > empty; a muted (or soloed) pad uses the
``<state>_muted`` (``_soloed``) colour where the mapping has one.
"""

from __future__ import annotations

from padserver.control.mappings import SONG_LEDS, Colour, Control, LedRule, Mapping

MAX_LAUNCHPAD_SPECS = 81  # LEDs one Launchpad SysEx message may set


def pad_led_state(pad, failed: bool = False) -> str:
    if pad.state == "error":
        return "error"
    if failed:
        return "failed"
    if pad.next_up:
        return "next"
    if pad.generating:
        return "generating"
    return pad.state if pad.state in ("queued", "stopping", "playing", "loaded") else "empty"


def pad_colour(mapping: Mapping, pad, failed: bool = False) -> Colour:
    assert mapping.leds is not None
    colours = mapping.leds.pad
    state = pad_led_state(pad, failed)
    for flag, on in (("muted", pad.mute), ("soloed", pad.solo)):
        if on and f"{state}_{flag}" in colours:
            return colours[f"{state}_{flag}"]
    if state in colours:
        return colours[state]
    fallback = {
        "queued": "playing",
        "stopping": "playing",
        "generating": "loaded",
        "next": "generating",
        "error": "empty",
        "failed": "error",
    }
    while state in fallback and state not in colours:
        state = fallback[state]
    return colours.get(state, colours["empty"])


def rule_colour(rule: LedRule, pad, shift: bool) -> Colour:
    if rule.when == "shift":
        lit = shift
    elif pad is None:
        lit = False
    else:
        lit = {
            "playing": pad.state in ("playing", "stopping"),
            "loaded": pad.has_audio,
            "muted": pad.mute,
            "soloed": pad.solo,
            "queued": pad.state == "queued",
        }[rule.when]
    return rule.on if lit else rule.off


def song_colour(rule: LedRule, project) -> Colour:
    rolling = project.transport in ("playing", "recording")
    if rule.when == "beat":
        if not rolling or project.beat % 2 == 0:
            return rule.off
        return rule.accent if project.beat == 1 and rule.accent is not None else rule.on
    lit = {
        "song.playing": rolling,
        "song.recording": project.transport == "recording",
        "metronome": project.metronome,
    }[rule.when]
    return rule.on if lit else rule.off


def control_colour(
    mapping: Mapping, control: Control, project, shift: bool, failed: set[int], layer: str | None = None
) -> Colour | None:
    if control.led is None or mapping.leds is None:
        return None
    pad = project.pad(control.pad) if control.pad else None
    if control.led == "pad":
        return pad_colour(mapping, pad, failed=pad.number in failed) if pad else None
    assert isinstance(control.led, LedRule)
    if control.led.when in SONG_LEDS:
        return song_colour(control.led, project)
    if control.led.when in ("layer.live", "layer.fx", "layer.on"):
        on = layer is not None if control.led.when == "layer.on" else layer == control.led.when[6:]
        return control.led.on if on else control.led.off
    if control.led.when == "live.running":
        return control.led.on if project.live_mode == "running" else control.led.off
    if control.led.when != "shift" and pad is None:
        # global buttons (stop all …) light when any pad plays
        any_playing = any(p.state in ("playing", "stopping") for p in project.pads)
        return control.led.on if any_playing and control.led.when == "playing" else control.led.off
    return rule_colour(control.led, pad, shift)


def messages(mapping: Mapping, updates: list[tuple[Control, Colour]]) -> list[bytes]:
    """The fewest messages that set ``updates`` on the device."""
    leds = mapping.leds
    if leds is None or not updates:
        return []
    if leds.protocol == "launchpad":
        out = []
        for start in range(0, len(updates), MAX_LAUNCHPAD_SPECS):
            body = bytearray(leds.sysex + b"\x03")
            for control, colour in updates[start : start + MAX_LAUNCHPAD_SPECS]:
                if colour.mode == "flash":  # between the colour and off, in time with the clock
                    body += bytes((1, control.number, 0, colour.value))
                elif colour.mode == "pulse":
                    body += bytes((2, control.number, colour.value))
                else:
                    body += bytes((0, control.number, colour.value))
            body.append(0xF7)
            out.append(bytes(body))
        return out
    out = []
    for control, colour in updates:
        channel = leds.channels.get(colour.mode, 0)
        status = (0x90 if control.kind == "note" else 0xB0) | channel
        out.append(bytes((status, control.number, colour.value)))
    return out
