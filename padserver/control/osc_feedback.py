"""OSC feedback: every registered client hears every state change, meters at most 30 Hz.

Clients are registered explicitly (``/register``) or automatically with their
first valid request (``osc.auto_register``). A fresh client gets the full current
state at once. The list is bounded and sends never block, so a client that
disappears costs nothing; ``/unregister`` also opts a sender out of
auto-registration until it registers again (the CLI uses that).
"""

from __future__ import annotations

import logging
import math
from collections import OrderedDict

log = logging.getLogger("padserver.osc")

# What registered clients receive (documented in docs/osc.md; layouts are checked against it).
EFFECTS = ("filter", "resonance", "eq/low", "eq/mid", "eq/high", "delay/time", "delay/feedback", "delay/mix",
           "reverb")  # (the effect settings: state.effects.DEFAULTS, which the feedback may not import)  # fmt: skip
FEEDBACK = [
    ("/pad/{n}/state", "s", "empty, loaded, queued, playing, stopping, error"),
    ("/pad/{n}/color", "s", "#RRGGBB: the colour the grid shows for the pad now (state, generating; muted dimmed)"),
    (
        "/pad/{n}/gain",
        "f",
        "and `/pan` f, `/mute` i, `/solo` i, `/mode` s, `/quantize` s, `/name` s, `/region` f f, `/choke` i, "
        "`/group` i",
    ),
    ("/pad/{n}/pan", "f", "pan −1..1"),
    ("/pad/{n}/mute", "i", "0/1"),
    ("/pad/{n}/solo", "i", "0/1"),
    ("/pad/{n}/mode", "s", "loop, oneshot, gate"),
    ("/pad/{n}/quantize", "s", "the pad's quantum or global"),
    ("/pad/{n}/name", "s", "the pad's name"),
    ("/pad/{n}/region", "f f", "loop region"),
    ("/pad/{n}/choke", "i", "choke group"),
    ("/pad/{n}/group", "i", "the group the pad moves with (0 = none)"),
    ("/pad/{n}/generating", "i", "a generation runs for the pad"),
    ("/pad/{n}/loop", "i", "the library loop now on the pad"),
    ("/pad/{n}/live", "s", "a live pad's stream: closed, connecting, buffering, playing, underrun"),
    ("/pad/{n}/live/filtered", "s", "a live pad's prompt the service filtered, and why (the stream goes on)"),
    ("/pad/{n}/live/error", "s", "why a live pad's session ended or could not open"),
    ("/pad/{n}/live/prompt", "i s f", "a live pad's prompt slot: its words and weight (to a new client: live pads')"),
    ("/pad/{n}/live/latency", "f", "a playing live pad's latency in bars: how much of its stream is held ahead"),
    ("/pad/{n}/live/set", "s f", "a live pad's model setting (to a new client: live pads' settings)"),
    ("/pad/{n}/keep", "i", "live mode never retires the pad"),
    ("/pad/{n}/next", "i", "live mode's next loop goes to the pad (its colour says so too)"),
    ("/live/mode", "s", "live mode: running or stopped"),
    ("/live/next", "i", "the pad live mode's next loop goes to (0: none)"),
    ("/live/error", "s", "why live mode could not put a loop on, or stopped"),
    ("/live/pad", "i", "the live pad the `/live/…` faders steer (0: none); its weights and settings follow"),
    ("/fx/pad", "i", "the pad the `/fx/…` controls play; its effect settings follow on `/fx/…`"),
    *((f"/fx/{name}", "s" if name == "delay/time" else "f", "the selected pad's") for name in EFFECTS),
    *(
        (
            f"/pad/{{n}}/fx/{name}",
            "s" if name == "delay/time" else "f",
            "a pad's: in the full state, then as it changes",
        )
        for name in EFFECTS
    ),
    *(
        (
            f"/master/fx/{name}",
            "s" if name == "delay/time" else "f",
            "the master's: in the full state, then as it changes",
        )
        for name in EFFECTS
    ),
    *(
        (
            f"/song/track/{{n}}/fx/{name}",
            "s" if name == "delay/time" else "f",
            "a song track's: in the full state, then as it changes",
        )
        for name in EFFECTS
    ),
    ("/live/weight/{n}", "f", "the steered live pad's prompt weight in slot n"),
    ("/live/prompt/{n}", "s", "the steered live pad's prompt words in slot n"),
    ("/live/density", "f", "and `/live/brightness`, `/live/guidance`, `/live/temperature`: the steered pad's"),
    ("/live/brightness", "f", "the steered live pad's brightness"),
    ("/live/guidance", "f", "the steered live pad's guidance"),
    ("/live/temperature", "f", "the steered live pad's temperature"),
    ("/pad/{n}/progress", "f", "a running generation's progress 0..1"),
    ("/job/{n}", "s f s", "a job's state (queued, running, done, failed, cancelled), progress, message"),
    ("/pad/{n}/level", "f", "peak 0..1, at most 30 Hz, only when it changes"),
    ("/master/gain", "f", ""),
    ("/master/level", "f f", "peak left, right; at most 30 Hz, only when it changes"),
    ("/master/level/left", "f", "the same as `/master/level`'s first, for widgets that take one number"),
    ("/master/level/right", "f", "the same as `/master/level`'s second"),
    ("/tempo", "f", ""),
    ("/prompt", "s", "the prompt field's words"),
    ("/timesig", "i", ""),
    ("/quantize", "s", ""),
    ("/key", "s", "the project's key (`Am`, `F#`), or none"),
    ("/sync/source", "s", "internal or midi"),
    ("/transport/state", "s", "playing, paused, stopped, recording (also during its count-in)"),
    ("/transport/metronome", "i", "the metronome is on"),
    ("/transport/record", "i", "1 while the song records (its count-in too), for a record button's light"),
    ("/transport/position", "i i", "bar, beat while the song plays; at most 30 Hz, only when it moves"),
    ("/error", "s s", "the address and what was wrong: to the sender of a request that failed"),
    ("/song/export/progress", "f s", "a running export's progress 0..1 and its file, a few times a second"),
]

MAX_CLIENTS = 64
LEVEL_STEP = 0.005  # meter changes smaller than this are not sent...
LEVEL_STEP_DB = 0.5  # ...unless they are this many dB of a quiet level (under QUIET), so its meter moves too
QUIET = 0.08  # (above it the linear step is finer than LEVEL_STEP_DB already)


def _moved(new: float, old: float) -> bool:
    if abs(new - old) >= LEVEL_STEP:
        return True
    return 1e-4 < min(new, old) and max(new, old) < QUIET and abs(math.log10(new / old)) * 20 >= LEVEL_STEP_DB


# what the grid controllers show, as RGB for tablets (flashing and pulsing shown steady)
PAD_COLOURS = {
    "empty": (0x1E, 0x1E, 0x1E),
    "loaded": (0xE6, 0xB4, 0x00),
    "queued": (0x00, 0xE0, 0x50),
    "playing": (0x00, 0xE0, 0x50),
    "stopping": (0xE0, 0x30, 0x20),
    "generating": (0xA0, 0x40, 0xFF),
    "next": (0x20, 0xC0, 0xE0),
    "error": (0xFF, 0x20, 0x20),
}
SOLOED = (0x30, 0x70, 0xFF)
_COLOUR_KEYS = ("state", "generating", "next", "mute", "solo")


def pad_color(pad) -> str:
    """``#RRGGBB`` for the pad as the grid shows it: by state (error > live mode's next > generating > the rest),
    soloed playing pads blue, muted ones dimmed."""
    state = (
        "error" if pad.state == "error" else "next" if pad.next_up else "generating" if pad.generating else pad.state
    )
    rgb = PAD_COLOURS.get(state, PAD_COLOURS["empty"])
    if pad.solo and state in ("playing", "queued"):
        rgb = SOLOED
    if pad.mute and state != "empty":
        rgb = (int(rgb[0] * 0.35), int(rgb[1] * 0.35), int(rgb[2] * 0.35))
    return "#{:02X}{:02X}{:02X}".format(*rgb)


def pad_messages(pad) -> list[tuple[str, list]]:
    """Everything a surface shows for one pad."""
    n = pad.number
    return [
        (f"/pad/{n}/state", [pad.state]),
        (f"/pad/{n}/color", [pad_color(pad)]),
        (f"/pad/{n}/name", [pad.name]),
        (f"/pad/{n}/gain", [float(pad.gain)]),
        (f"/pad/{n}/pan", [float(pad.pan)]),
        (f"/pad/{n}/mute", [int(pad.mute)]),
        (f"/pad/{n}/solo", [int(pad.solo)]),
        (f"/pad/{n}/mode", [pad.mode]),
        (f"/pad/{n}/quantize", [pad.quantum]),
        (f"/pad/{n}/region", [float(pad.region[0]), float(pad.region[1])]),
        (f"/pad/{n}/choke", [int(pad.choke)]),
        (f"/pad/{n}/group", [int(pad.group)]),
        (f"/pad/{n}/keep", [int(pad.keep)]),
        (f"/pad/{n}/next", [int(pad.next_up)]),
        (f"/pad/{n}/generating", [int(pad.generating)]),
        (f"/pad/{n}/live", [pad.live]),
    ] + _live_messages(pad)


def _live_messages(pad) -> list[tuple[str, list]]:
    """A live pad's prompts and settings, for a surface that shows them."""
    if pad.mode != "live":
        return []
    n = pad.number
    out = [(f"/pad/{n}/live/prompt", [i, t, float(w)]) for i, (t, w) in enumerate(pad.live_prompts, 1)]
    return out + [(f"/pad/{n}/live/set", [k, float(v)]) for k, v in sorted(pad.live_settings.items())]


STEERED_SETTINGS = ("density", "brightness", "guidance", "temperature")  # (the tablets' faders)


def steered_messages(project) -> list[tuple[str, list]]:
    """The steered live pad's weights, words and settings, for the tablets' `/live/…` controls."""
    out: list[tuple[str, list]] = [("/live/pad", [project.live_pad])]
    if not project.live_pad:
        return out
    pad = project.pad(project.live_pad)
    for i, (text, weight) in enumerate(pad.live_prompts, 1):
        out += [(f"/live/weight/{i}", [float(weight)]), (f"/live/prompt/{i}", [text])]
    return out + [(f"/live/{k}", [float(pad.live_settings[k])]) for k in STEERED_SETTINGS if k in pad.live_settings]


def _chain_messages(prefix: str, settings: dict, defaults: dict) -> list[tuple[str, list]]:
    return [(f"{prefix}/{name}", [settings.get(name, d)]) for name, d in defaults.items()]


def selected_effects_messages(project) -> list[tuple[str, list]]:
    """The selected pad and its effect settings, for the tablets' `/fx/…` controls."""
    from padserver.actions.effects import DEFAULTS

    pad = project.pad(project.fx_pad)
    return [("/fx/pad", [pad.number])] + _chain_messages("/fx", pad.fx, DEFAULTS)


def effects_messages(project) -> list[tuple[str, list]]:
    """Every chain's effect settings — each pad's, the master's, each song track's — then the selected pad's
    for the `/fx/…` controls: a new surface shows what plays, and a control left from an earlier set is put
    back to where its chain is now."""
    from padserver.actions.effects import DEFAULTS, MASTER_DEFAULTS

    out = []
    for pad in project.pads:
        out += _chain_messages(f"/pad/{pad.number}/fx", pad.fx, DEFAULTS)
    out += _chain_messages("/master/fx", project.master_fx, MASTER_DEFAULTS)
    for number, track in enumerate(project.song.tracks, 1):
        out += _chain_messages(f"/song/track/{number}/fx", track.fx, DEFAULTS)
    return out + selected_effects_messages(project)


def change_message(pad: int, key: str, value) -> tuple[str, list] | None:
    """The OSC message for one state change (pad 0 = global)."""
    if pad == 0 and key == "job":
        return f"/job/{value.id}", [value.state, float(round(value.progress, 3)), value.message]
    if pad == 0 and key.startswith("master_fx/"):
        return f"/master/fx/{key[10:]}", [value]
    if pad == 0 and key.startswith("track_fx/"):
        track, _, name = key[9:].partition("/")
        return f"/song/track/{track}/fx/{name}", [value]
    if pad == 0:
        address = {
            "tempo": "/tempo",
            "timesig": "/timesig",
            "quantize": "/quantize",
            "key": "/key",
            "master_gain": "/master/gain",
            "prompt": "/prompt",
            "transport": "/transport/state",
            "position": "/transport/position",
            "metronome": "/transport/metronome",
            "export": "/song/export/progress",
            "sync_source": "/sync/source",
            "live_mode": "/live/mode",
            "live_next": "/live/next",
            "live_mode_error": "/live/error",
            "live_pad": "/live/pad",
            "fx_pad": "/fx/pad",
        }
        if key not in address:
            return None
        if key == "position":
            return address[key], [int(value[0]), int(value[1])]
        if key == "export":
            return "/song/export/progress", [float(value[0]), str(value[1])]
        return address[key], [float(value) if key in ("tempo", "master_gain") else value]
    if key == "region":
        return f"/pad/{pad}/region", [float(value[0]), float(value[1])]
    if key == "live_prompt":
        return f"/pad/{pad}/live/prompt", [int(value[0]), str(value[1]), float(value[2])]
    if key == "live_setting":
        return f"/pad/{pad}/live/set", [str(value[0]), float(value[1])]
    if key == "live_latency":
        return f"/pad/{pad}/live/latency", [float(value)]
    if key.startswith("live_"):  # live_filtered, live_error
        return f"/pad/{pad}/live/{key[5:]}", [str(value)]
    if isinstance(value, bool):
        value = int(value)
    elif isinstance(value, float):
        value = float(value)
    return f"/pad/{pad}/{key}", [value]


class OscFeedback:
    def __init__(self, server, project, auto_register: bool) -> None:
        self.server = server
        self.project = project
        self.auto_register = auto_register
        self.clients: OrderedDict[tuple[str, int], None] = OrderedDict()
        self._opted_out: OrderedDict[tuple[str, int], None] = OrderedDict()
        self._last_levels: list[float] = []
        self.sync_source = lambda: "internal"  # where the tempo comes from (the daemon tells)
        self._position = (1, 1)  # the song's last place (bar, beat), for a client that arrives
        self._colours: dict[int, str] = {}  # the colour last sent for each pad

    # -- who hears it -------------------------------------------------------------------------
    def heard_from(self, addr) -> None:
        """Any message from ``addr``: register it if auto-registration is on."""
        key = (addr[0], addr[1])
        if key in self.clients:
            self.clients.move_to_end(key)
        elif self.auto_register and key not in self._opted_out:
            self.add(key)

    def add(self, target: tuple[str, int], send_state: bool = False) -> None:
        """Send ``target`` every change from now on, and the whole state if it is new or ``send_state``."""
        self._opted_out.pop(target, None)
        fresh = target not in self.clients
        self.clients[target] = None
        self.clients.move_to_end(target)
        while len(self.clients) > MAX_CLIENTS:
            self.clients.popitem(last=False)
        if fresh or send_state:
            self.send_state(target)

    def remove(self, addr) -> None:
        key = (addr[0], addr[1])
        self.clients.pop(key, None)
        self._opted_out[key] = None
        while len(self._opted_out) > 4 * MAX_CLIENTS:
            self._opted_out.popitem(last=False)

    # -- what they hear -----------------------------------------------------------------------
    def full_state(self) -> list[tuple[str, list]]:
        p = self.project
        out = [
            ("/tempo", [float(p.tempo)]),
            ("/timesig", [p.beats_per_bar]),
            ("/quantize", [p.quantize]),
            ("/key", [p.key or "none"]),
            ("/master/gain", [float(p.master_gain)]),
            ("/prompt", [p.prompt]),
            ("/sync/source", [self.sync_source()]),
            ("/transport/state", [p.transport]),
            ("/transport/record", [int(p.transport == "recording")]),
            ("/transport/metronome", [int(p.metronome)]),
            ("/transport/position", list(self._position)),
        ]
        out += [("/live/mode", [p.live_mode]), ("/live/next", [p.live_next])] + steered_messages(p)
        out += effects_messages(p)
        for pad in p.pads:
            out += pad_messages(pad)
        return out

    def send_state(self, target) -> None:
        self.server.send_many(target, self.full_state())

    def on_change(self, pad: int, key: str, value) -> None:
        message = change_message(pad, key, value)
        if message is None:
            return
        messages = [message]
        if pad == 0 and key == "position":
            self._position = (int(value[0]), int(value[1]))
        elif pad == 0 and key == "transport":
            messages.append(("/transport/record", [int(value == "recording")]))
        elif pad == 0 and key == "live_pad":
            messages = steered_messages(self.project)
        elif pad == 0 and key == "fx_pad":
            messages = selected_effects_messages(self.project)
        elif pad and pad == self.project.fx_pad and key.startswith("fx/"):
            messages.append((f"/fx/{key[3:]}", [value]))
        elif pad and pad == self.project.live_pad and key == "live_prompt":
            i, text, weight = value
            messages += [(f"/live/weight/{i}", [float(weight)]), (f"/live/prompt/{i}", [str(text)])]
        elif pad and pad == self.project.live_pad and key == "live_setting" and value[0] in STEERED_SETTINGS:
            messages.append((f"/live/{value[0]}", [float(value[1])]))
        elif pad and key in _COLOUR_KEYS:
            colour = pad_color(self.project.pad(pad))
            if self._colours.get(pad) != colour:
                self._colours[pad] = colour
                messages.append((f"/pad/{pad}/color", [colour]))
        for target in self.clients:
            for address, args in messages:
                self.server.send(target, address, args)

    def on_levels(self, pads: list[float], master: list[float]) -> None:
        """A meter sample (the caller keeps to at most 30 Hz); only changes are sent."""
        if not self.clients:
            return
        last = self._last_levels or [-1.0] * (len(pads) + 2)
        current = list(pads) + list(master)
        messages = [(f"/pad/{i + 1}/level", [float(v)]) for i, v in enumerate(pads) if _moved(v, last[i])]
        if _moved(current[-2], last[-2]) or _moved(current[-1], last[-1]):
            messages.append(("/master/level", [float(master[0]), float(master[1])]))
            messages.append(("/master/level/left", [float(master[0])]))
            messages.append(("/master/level/right", [float(master[1])]))
        if not messages:
            return
        self._last_levels = [new if _moved(new, old) else old for new, old in zip(current, last, strict=True)]
        for target in self.clients:  # (a sample's messages in one bundle: one datagram, not twenty)
            self.server.send_many(target, messages)
