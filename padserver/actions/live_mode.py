"""Live mode: while music plays, every N bars a new loop that fits it — the project's key and tempo, a role not
yet playing (drums, bass, chords, lead, texture), the playing loops as context — is asked of a provider and
launched on a bar line on the next free pad of a set, the oldest pad of the set retired when it is full. Pads
marked keep are never retired.

The next loop is asked for as soon as the last one has started, so it has the N bars to arrive; it is prepared
for the pads while it waits, and put on (and launched) in the bar before its own, so it starts on the bar line.
One that arrives late starts on the next bar line after it, and the count of N bars goes on from there.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import math
import random
from typing import TYPE_CHECKING

from padserver.actions import checks
from padserver.actions.checks import ActionError
from padserver.engine import commands as cmd
from padserver.engine import events as ev
from padserver.engine.quantum import parse_quantum
from padserver.providers.base import Request
from padserver.state.project import PAD_COUNT
from padserver.tasks import spawn

if TYPE_CHECKING:
    from padserver.actions.core import Actions
    from padserver.providers.jobs import Job

log = logging.getLogger("padserver.live")

OPTIONS = {"every": int, "pads": str, "provider": str, "prompt": str, "bars": int, "voice": str, "voice_pad": int}
EVERY = (1, 64)  # bars between new loops
BARS = (1, 16)  # the new loops' length
FAILURES = 3  # requests that fail in a row before live mode stops (each tried again on the next turn)
ROLES = ("drums", "bass", "chords", "lead", "texture")
# what each role is asked for: the offline generator's instrument, and words for providers that read a prompt
ROLE_INSTRUMENT = {"drums": "drums", "bass": "bass", "chords": "chords", "lead": "lead", "texture": "pad"}
ROLE_WORDS = {
    "drums": "drum groove",
    "bass": "bassline",
    "chords": "chord progression",
    "lead": "lead melody",
    "texture": "ambient texture",
}
# how a loop's role is read from its name and request (in this order), else from its library category
_ROLE_HINTS = (
    ("bass", ("bass", "sub", "808")),
    ("drums", ("drum", "beat", "kick", "groove", "break", "perc", "shaker", "conga", "hat", "snare")),
    ("chords", ("chord", "keys", "piano", "rhodes", "stab", "organ")),
    ("texture", (" pad", "ambient", "drone", "strings", "fx", "riser", "texture", "atmos", "noise")),
    ("lead", ("lead", "melody", "hook", "arp", "vocal", "synth")),
)
_CATEGORY_ROLE = {"drums": "drums", "bass": "bass", "keys": "chords", "synth": "lead", "guitar": "chords",
                  "vocals": "lead", "fx": "texture"}  # fmt: skip


def parse_pads(text: str) -> list[int]:
    """``1,2,3``, ``5-8`` or ``1-4,9``: pad numbers, in the order given, each once."""
    out: list[int] = []
    for part in text.replace(" ", "").split(","):
        first, dash, last = part.partition("-")
        try:
            lo = int(first)
            hi = int(last) if dash else lo
        except ValueError:
            raise ActionError(f"pads is a list such as 1,2,3 or 5-8 (got {text!r})") from None
        if not (1 <= lo <= PAD_COUNT and 1 <= hi <= PAD_COUNT) or hi < lo:
            raise ActionError(f"pads are numbered 1..{PAD_COUNT}, ranges low to high (got {part!r})")
        out += [n for n in range(lo, hi + 1) if n not in out]
    return out


def role_of(name: str, instrument: str | None, category: str) -> str | None:
    """The role a loop plays (drums, bass, chords, lead, texture), from its words, else its category."""
    words = f" {instrument or ''} {name} ".lower()
    for role, hints in _ROLE_HINTS:
        if any(hint in words for hint in hints):
            return role
    return _CATEGORY_ROLE.get(category)


class LiveMode:
    """The loops live mode asks for, and where and when they go."""

    def __init__(self, actions: Actions) -> None:
        self.actions = actions
        self.running = False
        self.every = 4
        self.bars = 4
        self.set: list[int] = []  # the pads it may fill, in order
        self.provider = ""
        self.prompt = ""
        self.who = None  # the client that started it: a failed request is answered there
        self.last_options: list = []  # as it was last started (a controller's button starts it so again)
        self.next_pad = 0  # the pad the next loop goes to (0: none chosen yet)
        self.job: Job | None = None
        self.ready: tuple | None = None  # (pad, loop, audio, info): the next loop, prepared, waiting for its bar
        self.launching = 0  # the pad whose loop was put on and has not yet started
        self.launch_bar: int | None = None  # the bar line (grid bars from 0) the next loop starts on
        self.placed: dict[int, int] = {}  # pad → when live mode last filled it (a count: the oldest is retired)
        self.roles: dict[int, str] = {}  # pad → the role live mode asked of its loop
        self.started: collections.deque[dict] = collections.deque(maxlen=32)  # its last loops: pad, loop, bar
        self.voice: str | None = None  # announcing each new loop in this voice ("": the engine's own), or not
        self.voice_pad = 0  # the pad the announcements play from
        self._line: asyncio.Task | None = None  # the next loop's announcement being made: (loop, audio, info)
        self._ready_bar = 0.0  # when the next loop became ready
        self._count = 0
        self._failures = 0
        self._hold = -math.inf  # no request before this bar (after a failure)

    # -- starting and stopping --------------------------------------------------------------------------------
    def start(self, options: list, who=None) -> dict:
        a = self.actions
        if a.generation is None:
            raise ActionError("live mode needs the generator, which is not available here")
        opts = checks.key_values(options, OPTIONS, "live")
        every = checks.whole(opts.get("every", 4), "every", *EVERY)
        bars = checks.whole(opts.get("bars", 4), "bars", *BARS)
        provider = checks.text(opts.get("provider", a.generation.default), "provider", 40).strip()
        prompt = checks.text(opts.get("prompt", a.project.prompt), "prompt", 500).strip()
        # (all pads by default: the empty ones are filled first, then the oldest replaced; kept ones never)
        pads = parse_pads(opts["pads"]) if "pads" in opts else list(range(1, PAD_COUNT + 1))
        voice, voice_pad = self._voice(opts, pads)
        pads = [n for n in pads if n != voice_pad]
        usable = [n for n in pads if not a.project.pad(n).keep and a.project.pad(n).mode != cmd.LIVE]
        if not usable:
            raise ActionError(
                f"pads {opts.get('pads', 'all')} are kept or live pads: live mode could put nothing there"
            )
        reason = a.generation.provider(provider).unavailable()
        if reason is not None:
            raise ActionError(f"{provider} is unavailable: {reason}")
        if self.running:
            self.stop()
        self.every, self.bars, self.set, self.provider, self.prompt, self.who = every, bars, pads, provider, prompt, who
        self.voice, self.voice_pad = voice, voice_pad
        self.running = True
        self.last_options = list(options)
        self.launch_bar = None
        self._failures = 0
        self._hold = -math.inf
        a.project.live_mode = "running"
        a.changed(0, "live_mode", "running")
        log.info("live mode: a new %d-bar loop every %d bars from %s on pads %s", bars, every, provider, pads)
        self.tick()
        return self.status()

    def stop(self) -> None:
        """Ask for no more loops (one being made is cancelled; what plays plays on)."""
        if not self.running:
            return
        self.running = False
        job, self.job = self.job, None
        if job is not None and job.pad and job.state in ("queued", "running") and self.actions.generation:
            self.actions.generation.jobs.cancel_pad(job.pad)
        self.ready = None
        if self._line is not None:
            self._line.cancel()
            self._line = None
        self._choose(0)
        self.actions.project.live_mode = "stopped"
        self.actions.changed(0, "live_mode", "stopped")
        log.info("live mode stopped")

    # -- every round ------------------------------------------------------------------------------------------
    def tick(self) -> None:
        """Control side, every round: ask for the next loop, or put the one waiting on in the bar before its own."""
        if not self.running:
            return
        if self.ready is not None:
            self._maybe_launch()
        elif self.job is not None:
            if self.job.state in ("failed", "cancelled"):
                self._failed(self.job)
        elif not self.launching and (self._music() or self.launch_bar is None) and self._bar_now() >= self._hold:
            self._request()

    def _music(self) -> bool:
        p = self.actions.project
        return p.transport in ("playing", "recording") or any(q.state in ("playing", "stopping") for q in p.pads)

    def _bar_now(self) -> float:
        e = self.actions.engine
        return e.clock.bar_at(e.clock.beat_at(e.frame))

    def _maybe_launch(self) -> None:
        assert self.ready is not None
        a = self.actions
        pad_number, loop, audio, info = self.ready
        pad = a.project.pad(pad_number)
        if self.launch_bar is None:  # (the first starts at once, and the music with it if none plays) …
            if self._line is not None and not self._line.done() and self._bar_now() < self._ready_bar + 1:
                return  # … once its announcement is spoken (a bar at most)
        else:
            if not self._music():  # the musician stopped it all: the loop waits for the music
                return
            # in the bar before its own (strictly: on the bar line itself a launch would start then, a bar early)
            if self._bar_now() <= self.launch_bar - 1 + 1e-6:
                return
        self.ready = None
        if pad.keep or pad.mode == cmd.LIVE:  # marked while it was being made: it goes nowhere
            self._choose(0)
            return
        bar = parse_quantum("1")
        try:
            a.put_prepared(pad, loop, audio, info, quantum=bar)  # type: ignore[attr-defined]  # (Loading's)
        except ActionError as exc:
            log.warning("live mode: pad %d: %s", pad_number, exc)
            self._choose(0)
            return
        if not pad.sounding:
            a.engine.send(cmd.Launch(pad_number - 1, bar))
        self._announce(bar)
        self.launching = pad_number
        self._count += 1
        self.placed[pad_number] = self._count

    def on_event(self, event: ev.Event) -> None:
        """The loop put on started: the next one is due ``every`` bars after its bar line."""
        if event.pad + 1 != self.launching or event.kind not in (ev.STARTED, ev.SWAPPED, ev.UNQUEUED, ev.STOPPED):
            return
        self.launching = 0
        if event.kind in (ev.STARTED, ev.SWAPPED):  # (else a stop cancelled it: the next is asked for at once)
            clock = self.actions.engine.clock
            bar = round(clock.bar_at(clock.beat_at(event.frame)))
            self.launch_bar = bar + self.every
            pad = self.actions.project.pad(event.pad + 1)
            self.started.append(
                {
                    "pad": pad.number,
                    "loop": pad.loop_id,
                    "role": self.roles.get(pad.number),
                    "bar": bar + 1,
                    "frame": event.frame,
                }  # fmt: skip
            )
        self._choose(0)
        self.tick()

    # -- announcing it ----------------------------------------------------------------------------------------
    def _voice(self, opts: dict, pads: list[int]) -> tuple[str | None, int]:
        """(the voice to announce in, or None; the pad the announcements play from: ``voice_pad``, else the
        last of the set), checked now: a speech engine must be there."""
        if "voice" not in opts:
            return None, 0
        from padserver.actions.speech import engine

        voice = checks.text(opts["voice"], "voice", 100).strip()
        voice = "" if voice.lower() in ("1", "on", "yes", "default") else voice
        engine(self.actions)  # (no engine: a clear error now, not at the first loop)
        pad = checks.whole(opts["voice_pad"], "voice_pad", 1, PAD_COUNT) if "voice_pad" in opts else pads[-1]
        if self.actions.project.pad(pad).mode == cmd.LIVE:
            raise ActionError(f"pad {pad} is a live pad: name another for the announcements with voice_pad=")
        if [n for n in pads if n != pad] == []:
            raise ActionError(f"pad {pad} is the set's only pad: the announcements need one of their own (voice_pad=)")
        return voice, pad

    def words_for(self, role: str) -> str:
        """What is said of a new loop: its role and the project's key ("bass, A minor")."""
        key = self.actions.project.key
        if not key:
            return role
        from padserver.providers.offline.synth import key_name, parse_key

        root, minor = parse_key(key)
        return f"{role}, {key_name(root, False)} {'minor' if minor else 'major'}"

    async def _make_line(self, role: str):
        """The announcement, spoken, kept, and prepared for the voice pad: (loop, audio, info)."""
        from padserver.actions.speech import line

        a = self.actions
        settings = {"voice": self.voice} if self.voice else {}
        made = await line(a, self.words_for(role), settings, None, None, "live mode")
        return await a.prepare_for(a.project.pad(self.voice_pad), made["loop"])  # type: ignore[attr-defined]

    def _line_failed(self, task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is not None:
            self._trouble(f"the announcement could not be spoken: {task.exception()}")

    def _announce(self, bar) -> None:
        """The announcement onto its pad, launched with the new loop (if it is ready: a late one is left out)."""
        line, self._line = self._line, None
        if line is None:
            return
        if not line.done():
            line.cancel()
            log.info("live mode: the announcement was not ready by the bar; the loop starts without it")
            return
        if line.cancelled() or line.exception() is not None:
            return
        a = self.actions
        pad = a.project.pad(self.voice_pad)
        loop, audio, info = line.result()
        with a.history.paused():  # (live mode's own: not a musician's step)
            try:
                a.put_prepared(pad, loop, audio, info, quantum=bar)  # type: ignore[attr-defined]
            except ActionError as exc:
                log.warning("live mode: the announcement: %s", exc)
                return
            if pad.mode != "oneshot":
                a.pad_mode(pad.number, "oneshot")
            a.pad_name(pad.number, loop.name)
        a.engine.send(cmd.Launch(pad.number - 1, bar))

    # -- the next loop ----------------------------------------------------------------------------------------
    def _target(self) -> int:
        """The next free pad of the set, else the one it filled longest ago (never a kept or live pad)."""
        a = self.actions
        usable = [
            n
            for n in self.set
            if not a.project.pad(n).keep and a.project.pad(n).mode != cmd.LIVE and not a.project.pad(n).generating
        ]
        for n in usable:
            if a.project.pad(n).state == "empty":
                return n
        if not usable:
            return 0
        return min(usable, key=lambda n: self.placed.get(n, 0))

    def _role(self, retiring: int) -> str:
        """A role not yet playing (the retired pad's own no longer counts), else the retired pad's, else any."""
        a = self.actions
        playing = set()
        for pad in a.project.pads:
            if pad.number == retiring or pad.state not in ("playing", "queued", "stopping") or pad.loop_id is None:
                continue
            playing.add(self.roles.get(pad.number) or self._loop_role(pad.loop_id))
        for role in ROLES:
            if role not in playing:
                return role
        return self.roles.get(retiring) or random.choice(ROLES)

    def _loop_role(self, loop_id: int) -> str | None:
        try:
            loop = self.actions.library.get(loop_id)
        except Exception:
            return None
        params = loop.provenance.get("params") if isinstance(loop.provenance, dict) else None
        instrument = params.get("instrument") if isinstance(params, dict) else None
        return role_of(loop.name, instrument, loop.category)

    def _context(self) -> list[str]:
        """The playing loops' names (and prompts), as words for the provider."""
        out = []
        for pad in self.actions.project.pads:
            if pad.state in ("playing", "queued") and pad.source:
                out.append(pad.source)
        return out[:8]

    def _request(self) -> None:
        a = self.actions
        assert a.generation is not None
        target = self._target()
        if not target:
            self._trouble("every pad of the set is kept, live or generating: nothing to put a new loop on")
            return
        role = self._role(target)
        context = self._context()
        words = ", ".join(w for w in (self.prompt, ROLE_WORDS[role]) if w)
        if context:
            words += "; to play with: " + "; ".join(context)
        request = Request(
            prompt=words[:2000],
            instrument=ROLE_INSTRUMENT[role],
            bars=self.bars,
            bpm=a.project.tempo,
            key=a.project.key or None,
            seed=random.randrange(1, 2**31),
            extras={"project_tempo": a.project.tempo, "bpm_from_project": True},
        )
        try:
            self.job = a.generation.submit(target, self.provider, request, self.who, put=self._landed)
        except ActionError as exc:
            self._trouble(str(exc))
            return
        self.roles[target] = role
        self._choose(target)
        log.info("live mode: a %s loop for pad %d (job %d)", role, target, self.job.id)
        if self.voice is not None:  # (said while the loop is made: ready by the time it is)
            if self._line is not None:
                self._line.cancel()
            self._line = spawn(self._make_line(role), "live mode: an announcement", report=self._line_failed)

    async def _landed(self, pad: int, loop_id: int) -> None:
        """The loop is in the library: prepared for the pad now, put on in the bar before its own."""
        a = self.actions
        if not self.running:
            return
        try:  # (the job stays this mode's until the loop is ready: no second request meanwhile)
            loop, audio, info = await a.prepare_for(a.project.pad(pad), loop_id)  # type: ignore[attr-defined]
        except ActionError as exc:
            self.job = None
            self._choose(0)
            self._trouble(f"pad {pad}: {exc}")
            return
        self.job = None
        self._failures = 0
        if self.running:
            self.ready = (pad, loop, audio, info)
            self._ready_bar = self._bar_now()
            self.tick()

    def _failed(self, job: Job) -> None:
        """The request failed (or a musician cancelled it): asked again a bar later; FAILURES in a row stop it."""
        self.job = None
        self._choose(0)
        self._hold = self._bar_now() + 1
        if job.state == "cancelled":
            return
        self._failures += 1
        if self._failures >= FAILURES:
            self._trouble(f"{FAILURES} requests failed in a row (the last: {job.message or job.state})", stop=True)

    def _trouble(self, message: str, stop: bool = False) -> None:
        log.warning("live mode: %s%s", message, "; it stops" if stop else "")
        self.actions.changed(0, "live_mode_error", message)
        if stop:
            self.stop()

    def _choose(self, number: int) -> None:
        """Show ``number`` as the pad the next loop goes to (0: none)."""
        if number == self.next_pad:
            return
        old, self.next_pad = self.next_pad, number
        a = self.actions
        for n, on in ((old, False), (number, True)):
            if n:
                a.project.pad(n).next_up = on
                a.changed(n, "next", on)
        a.project.live_next = number
        a.changed(0, "live_next", number)

    def status(self) -> dict:
        return {
            "state": "running" if self.running else "stopped",
            "every": self.every,
            "bars": self.bars,
            "pads": list(self.set),
            "provider": self.provider,
            "next": self.next_pad,
            "voice": self.voice,  # (None: no announcements; "": the speech engine's own voice)
            "voice_pad": self.voice_pad or None,
            "announcement": None if self._line is None else "ready" if self._line.done() else "making",
            # where the next loop is: asked for, ready (waiting for its bar), launched (on the bar line ahead)
            "stage": "ready" if self.ready else "launched" if self.launching else "asked" if self.job else "idle",
            "launch_bar": None if self.launch_bar is None else self.launch_bar + 1,  # (counted from 1)
            "started": list(self.started),
        }
