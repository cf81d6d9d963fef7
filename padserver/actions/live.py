"""Live pads: a press opens a Lyria RealTime session and starts its stream on the pad's next quantum, on a bar
line of the music; the next press fades it out on the quantum; the session closes after it has been silent
for ``idle_close_s``. Only a press opens a session (they cost money): loading a project never does.

The stream is resampled into the pad's ring time (the project's tempo when the press came, at the engine's
rate), its bar lines found in the first bars, and it starts from a bar line with ``buffer_s`` of it held ahead
of what is heard (network jitter). A stream that runs dry fades out and starts again from a later bar line of
the music once the buffer is full again.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from typing import TYPE_CHECKING

import numpy as np

from padserver.actions import checks
from padserver.actions.checks import ActionError
from padserver.engine import commands as cmd
from padserver.engine import events as ev
from padserver.engine.live_feed import LiveFeed
from padserver.loops.arrival import Arrival
from padserver.loops.stream_fit import StreamFit
from padserver.loops.stream_shape import Shape
from padserver.providers import registry
from padserver.providers.jobs import ProviderError
from padserver.state import fields
from padserver.state.project import LIVE_SLOTS
from padserver.tasks import spawn

if TYPE_CHECKING:
    from padserver.actions.core import Actions
    from padserver.providers.remote_live import LocalLive, RemoteLive

log = logging.getLogger("padserver.live")

PROVIDER = "lyria-realtime"
REOPEN_TRIES = 5  # new sessions opened after a drop or a stall, before the pad gives up
CAPTURE_BARS = 32  # the most bars a capture can keep (what was heard is kept that long)
STEER_S = 0.2  # the model is told of new prompts and settings at most this often (the latest of each)
RING_S = 20.0  # a live pad's ring: the most of the stream held ahead of what is heard


class LivePad:
    """One live pad's session and stream."""

    def __init__(self, live: LivePads, number: int) -> None:
        self.live = live
        self.number = number
        self.state = "closed"
        self.wanted = False  # the musician wants it heard (pressed on, not yet pressed off)
        self.feed: LiveFeed | None = None  # the feed the engine has (launched or about to be)
        self.fit: StreamFit | None = None
        self.session: RemoteLive | LocalLive | None = None
        self.task: asyncio.Task | None = None
        self.idle: asyncio.TimerHandle | None = None
        self.bpm = 120.0  # what the model was asked for
        self._dirty: set[str] = set()  # what changed since the model was last told: prompts, config
        self._steering: asyncio.Task | None = None
        self._last_steer = 0.0
        # what went to the feed since its launch, as (ring frame, audio): the bars a capture keeps
        self.heard: collections.deque[tuple[int, np.ndarray]] = collections.deque()
        self.tempo = 120.0  # the tempo of the pad's ring time (the project's when its stream opened)
        self.next_tempo = 120.0  # that of the stream now arriving
        self.stale = False  # the feed plays an earlier session's stream: the new one starts when it runs dry
        self._restart = False  # the session was closed to open one at a new tempo or key
        self.arrival = Arrival()  # how the stream has been coming: the jitter buffer is sized from it
        self.latency_bars = 0.0  # what the surfaces were last told

    @property
    def actions(self) -> Actions:
        return self.live.actions

    def set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self._pad.live = state
            self.actions.changed(self.number, "live", state)

    # -- presses --------------------------------------------------------------------------------------
    def press(self) -> None:
        if self.wanted:
            self.wanted = False
            if self.feed is not None:
                self.actions.engine.send(cmd.Stop(self.number - 1, self.actions.quantum_of(self._pad)))
            else:  # pressed off before it started: the session closes as a stopped one does
                self._close_later()
            return
        self.wanted = True
        if self.idle is not None:
            self.idle.cancel()
            self.idle = None
        if self.task is None or self.task.done():
            self.task = spawn(self._run(), f"pad {self.number}: live stream", self._ended)
        else:
            self._feed()

    @property
    def lead_s(self) -> float:
        """What is held ahead of what is heard at a start: ``buffer_s``, or more where the stream needs it (a
        chunk, which plays out before the next comes, and a quarter more than its largest delay), at most half
        the ring."""
        return min(RING_S / 2, max(self.live.buffer_s, self.arrival.needed_s()))

    @property
    def buffered_s(self) -> float:
        """Seconds of the stream received and not yet heard (in the ring and waiting to go in)."""
        frames = (self.feed.ahead if self.feed is not None else 0) + (self.fit.held if self.fit is not None else 0)
        return frames / self.actions.engine.sample_rate

    @property
    def _pad(self):
        return self.actions.project.pad(self.number)

    # -- steering -------------------------------------------------------------------------------------
    def prompts(self) -> list[tuple[str, float]]:
        """The weighted prompts the model hears: the pad's slots with words and weight (none: a default)."""
        chosen = [(t, w) for t, w in self._pad.live_prompts if t.strip() and w > 0]
        return chosen or self._default_prompts()

    def config(self) -> dict:
        from padserver.providers.google import scale_of
        from padserver.providers.google.live import live_config

        return live_config(self.bpm, scale_of(self.actions.project.key or None), self._pad.live_settings)

    def steered(self, what: str) -> None:
        """The prompts or settings changed: tell the model, at most every STEER_S, the latest of each."""
        self._dirty.add(what)
        if self.session is None or self._steering is not None:
            return
        wait = max(0.0, self._last_steer + STEER_S - time.monotonic())
        self._steering = spawn(self._steer(wait), f"pad {self.number}: steering")

    async def _steer(self, wait: float) -> None:
        try:
            await asyncio.sleep(wait)
            while self._dirty and self.session is not None:
                dirty, self._dirty = self._dirty, set()
                self._last_steer = time.monotonic()
                await self.session.steer(self.prompts(), self.config() if "config" in dirty else None)
                if self._dirty:
                    await asyncio.sleep(STEER_S)
        finally:
            self._steering = None

    # -- the session ----------------------------------------------------------------------------------
    async def _run(self) -> None:
        """The session, and a new one with the same prompts when it drops or stalls while the pad is wanted: the
        stream that was held plays on, and the new one joins on a bar line of its own when that runs dry."""
        tries = 0
        while True:
            try:
                await self._session()
            except ProviderError as exc:
                if self._restart:  # asked anew (a new tempo or key), not dropped
                    self._restart = False
                    self.arrival = Arrival()  # (a new schedule: the pause between sessions is no lateness)
                    self.stale = self.feed is not None
                    continue
                if exc.permanent or not self.wanted or tries >= REOPEN_TRIES:
                    raise
                tries += 1
                log.warning("pad %d: %s; opening a new session (%d of %d)", self.number, exc, tries, REOPEN_TRIES)
                self.actions.changed(self.number, "live_error", f"{exc}; opening a new session")
                session, self.session = self.session, None
                if session is not None:
                    await session.close()
                self.stale = self.feed is not None  # (what is held plays on; the new stream waits for it)
                await asyncio.sleep(min(8.0, 0.5 * 2**tries))
                continue

    async def _session(self) -> None:
        from padserver.providers.google.live import RATE, model_bpm

        a = self.actions
        provider = self.live.provider()
        tempo = float(a.project.tempo)
        self.bpm = model_bpm(tempo)
        lead_in = float(provider.settings.get("lead_in_s", 2.0))
        fit = StreamFit(Shape(RATE, a.engine.sample_rate, self.bpm, tempo, a.project.beats_per_bar, lead_in))
        self.set_state("connecting" if self.feed is None else self.state)
        session = await self.live.open_session(self._filtered)
        self.session = session
        self._dirty.clear()
        try:
            await session.open(self.prompts(), self.config(), fit.shape)
            self._last_steer = time.monotonic()
            if self.feed is None:
                self.set_state("buffering")
            self.fit = fit
            self.next_tempo = tempo
            # (shaped to the bar grid where the stream arrives: the network process)
            async for audio, downbeat, seconds in session.chunks():
                self.arrival.add(time.monotonic(), seconds)
                self.live.spend(seconds)
                self.fit.add_shaped(audio, downbeat)
                self._feed()
        finally:  # (dropped, closed for a new one, out of minutes: the session there ends too)
            with contextlib.suppress(Exception):
                await session.close()

    async def restream(self) -> None:
        """The tempo moved far, or the key changed: the model is asked anew, in a session of its own (a context
        reset on the same one would still deliver what it had already made at the old tempo, seconds of it
        after a burst). What was held plays on, followed on the clock meanwhile; the new stream joins on a bar
        line when that runs dry."""
        session = self.session
        if session is None or self.task is None or self.task.done():
            return
        self._restart = True
        self.session = None
        await session.close()  # (the session's loop ends, and opens the new one)

    def _default_prompts(self) -> list[tuple[str, float]]:
        words = self.actions.project.prompt.strip() or self._pad.name.strip() or "instrumental groove"
        return [(words, 1.0)]

    def _filtered(self, text: str, reason: str) -> None:
        log.warning(
            "pad %d: the live prompt %r was filtered (%s); the stream goes on without it", self.number, text, reason
        )
        self.actions.changed(self.number, "live_filtered", f"{text}: {reason}")
        flash = getattr(self.actions.generation, "flash_failed", None)
        if flash is not None:
            flash(self.number)

    def _feed(self) -> None:
        """Hand the engine what has arrived: a new start from a bar line, or more of the playing stream."""
        fit = self.fit
        if fit is None:
            return
        a = self.actions
        lead = int(self.lead_s * a.engine.sample_rate)
        if self.feed is not None and self.stale:  # a new stream waits for the old one to run dry (holding
            fit.keep_last(int(RING_S * a.engine.sample_rate))  # as much as the ring: after a drop, a deep buffer)
            return
        if self.feed is not None:
            fit.feed(self.feed, self._keep)
            self._forget()
            return
        if not self.wanted:  # silent: keep only what a fresh start would need
            fit.keep_last(lead + 2 * int(fit.bar_frames))
            return
        start = fit.bar_to_start(lead)
        if start is None:
            return
        feed = LiveFeed(int(RING_S * a.engine.sample_rate), fit.beat_frames)
        fit.drop_before(start)
        self.tempo = self.next_tempo
        self.heard.clear()
        fit.feed(feed, self._keep)
        self.feed = feed
        a.engine.send(cmd.SetLiveFeed(self.number - 1, feed))
        a.engine.send(cmd.Launch(self.number - 1, a.quantum_of(self._pad)))

    def _keep(self, audio: np.ndarray) -> None:
        at = self.heard[-1][0] + self.heard[-1][1].shape[1] if self.heard else 0
        self.heard.append((at, audio))

    def _forget(self) -> None:
        """Let go of what was heard more than CAPTURE_BARS ago."""
        if self.feed is None or self.fit is None:
            return
        oldest = self.feed.played - CAPTURE_BARS * self.fit.bar_frames
        while self.heard and self.heard[0][0] + self.heard[0][1].shape[1] < oldest:
            self.heard.popleft()

    def last_bars(self, bars: int) -> np.ndarray:
        """The last ``bars`` whole bars heard, from the grid's bar lines (the ring's bars are the grid's)."""
        if self.feed is None or self.fit is None:
            raise ActionError(f"pad {self.number} is not playing a stream: nothing to capture")
        bar = self.fit.bar_frames
        end_bar = int(self.feed.played // bar)
        first, last = int(round((end_bar - bars) * bar)), int(round(end_bar * bar))
        have = self.heard[0][0] if self.heard else last
        if end_bar < bars or first < have:
            heard = max(0, int((self.feed.played - have) // bar))
            raise ActionError(f"pad {self.number} has played {heard} whole bar{'s' if heard != 1 else ''} to keep")
        parts = [a[:, max(0, first - at) : last - at] for at, a in self.heard if at < last and at + a.shape[1] > first]
        return np.concatenate(parts, axis=1)

    def _ended(self, task: asyncio.Task) -> None:
        """The session ended (closed, dropped, stalled or refused)."""
        self.session = None
        if task.cancelled():
            return
        exc = task.exception()
        self.wanted = False  # (what was held plays out; a press opens a new session)
        if exc is not None:
            reason = str(exc) if isinstance(exc, (ProviderError, ActionError)) else repr(exc)
            log.error("pad %d: the live stream ended: %s", self.number, reason)
            self.actions.changed(self.number, "live_error", reason)
        if self.feed is None:
            self.set_state("closed")

    # -- the engine's reports ---------------------------------------------------------------------------
    def on_event(self, event: ev.Event) -> None:
        if event.kind in (ev.STARTED, ev.SWAPPED):
            self.set_state("playing")
        elif event.kind == ev.UNDERRUN:
            self.feed = None
            self.stale = False
            # it starts again from a bar line once the buffer is full, if a session still streams
            self.set_state("underrun" if self.task is not None and not self.task.done() else "closed")
        elif event.kind in (ev.STOPPED, ev.UNQUEUED) and self.state not in ("underrun", "closed"):
            self.feed = None
            self.stale = False
            self.wanted = False  # (a press, stop all or panic: whatever stopped it, it is off)
            self.set_state("buffering" if self.session is not None else "closed")
            self._close_later()

    def _close_later(self) -> None:
        if self.idle is not None:
            self.idle.cancel()
        self.idle = asyncio.get_running_loop().call_later(self.live.idle_close_s, lambda: spawn(self.close(), "close"))

    async def close(self) -> None:
        """End the session now; the pad falls silent."""
        self.wanted = False
        if self.idle is not None:
            self.idle.cancel()
            self.idle = None
        task, self.task = self.task, None
        if task is not None and not task.done():
            task.cancel()
        session, self.session = self.session, None
        if session is not None:
            await session.close()
        if self.feed is not None:
            self.actions.engine.send(cmd.SetLiveFeed(self.number - 1, None))
            self.feed = None
        self.fit = None
        self.set_state("closed")


class LivePads:
    """The live pads of the project, each with its own session."""

    def __init__(self, actions: Actions, settings=None) -> None:
        self.actions = actions
        self.settings = settings  # the config's providers section
        self.pads: dict[int, LivePad] = {}
        self._provider = None
        self._spent: dict[str, float] = {}  # streamed seconds, today's

    async def open_session(self, on_filtered):
        """A session for a live pad: in the network process (its socket and the shaping of its stream kept off
        the daemon's interpreter), or here where there is none."""
        from padserver.providers.remote_live import LocalLive

        network = getattr(self.actions.generation, "network", None)
        if network is not None:
            return await network.open_live(PROVIDER, on_filtered)
        return LocalLive(self.provider(), on_filtered)

    def provider(self):
        """The provider, usable (a clear error if it is not: no key, no SDK); asked when a session opens."""
        reason = self._made().unavailable()
        if reason is not None:
            raise ActionError(f"pad live needs {PROVIDER}: {reason}")
        return self._made()

    def _made(self):
        if self._provider is None:
            config = self.actions.generation if self.actions.generation is not None else self
            try:
                self._provider = registry.create(PROVIDER, config)
            except (ValueError, TypeError) as exc:
                raise ActionError(str(exc)) from None
        return self._provider

    def _setting(self, key: str, default: float) -> float:
        """One of the provider's settings (read each time a stream is fed: no check of keys and SDKs)."""
        return float(self._made().settings.get(key, default))

    @property
    def buffer_s(self) -> float:
        return self._setting("buffer_s", 1.5)

    @property
    def idle_close_s(self) -> float:
        return self._setting("idle_close_s", 60.0)

    @property
    def daily_minutes(self) -> float:
        return self._setting("daily_minutes", 120.0)

    def minutes_left(self) -> float | None:
        limit = self.daily_minutes
        if limit <= 0:
            return None
        return limit - self._spent.get(time.strftime("%Y-%m-%d"), 0.0) / 60.0

    def spend(self, seconds: float) -> None:
        """Streamed seconds, counted against the day's minutes; past them the session ends."""
        day = time.strftime("%Y-%m-%d")
        self._spent = {day: self._spent.get(day, 0.0) + seconds}
        left = self.minutes_left()
        if left is not None and left <= 0:
            raise ProviderError(
                f"{PROVIDER}: today's {self.daily_minutes:g} streaming minutes are used up "
                "(providers.lyria-realtime.daily_minutes)",
                permanent=True,
            )

    def pad(self, number: int) -> LivePad:
        if number not in self.pads:
            self.pads[number] = LivePad(self, number)
        return self.pads[number]

    def press(self, number: int) -> None:
        self.provider()  # (a clear error now if it cannot be used)
        live = self.pad(number)
        left = self.minutes_left()
        if not live.wanted and left is not None and left <= 0:
            raise ActionError(
                f"today's {self.daily_minutes:g} streaming minutes are used up (providers.lyria-realtime.daily_minutes)"
            )
        live.press()
        if live.wanted:
            self.reselect(number)

    def reselect(self, prefer: int = 0) -> None:
        """The live pad knobs and tablets steer: ``prefer`` (just started), else the one they steered while it is
        still a live pad, else the first live pad (0: none); the tablets hear when it changes."""
        p = self.actions.project
        if prefer and p.pad(prefer).mode == "live":
            chosen = prefer
        elif p.live_pad and p.pad(p.live_pad).mode == "live":
            chosen = p.live_pad
        else:
            chosen = next((pad.number for pad in p.pads if pad.mode == "live"), 0)
        if chosen != p.live_pad:
            p.live_pad = chosen
            self.actions.changed(0, "live_pad", chosen)

    def steered_pad(self, number: int | None = None) -> int:
        """The live pad a knob steers: the one named, else the one last started, else the first live pad."""
        a = self.actions
        if number:
            if a.project.pad(number).mode != "live":
                raise ActionError(f"pad {number} is not a live pad")
            return number
        self.reselect()
        if not a.project.live_pad:
            raise ActionError("no live pad to steer: make one (/pad/n/mode live)")
        return a.project.live_pad

    # -- steering ---------------------------------------------------------------------------------------
    def set_prompt(self, number: int, slot: object, text: object, weight: object = None) -> None:
        pad = self.actions.pad_of(number)
        i = checks.whole(slot, "slot", 1, LIVE_SLOTS) - 1
        words = checks.value(fields.LIVE_TEXT, text, "prompt").strip()
        old = pad.live_prompts[i]
        w = old[1] if weight is None else checks.value(fields.LIVE_WEIGHT, weight, "weight")
        self._prompt(pad, i, words, w)

    def set_weight(self, number: int, slot: object, weight: object) -> None:
        pad = self.actions.pad_of(number)
        i = checks.whole(slot, "slot", 1, LIVE_SLOTS) - 1
        self._prompt(pad, i, pad.live_prompts[i][0], checks.value(fields.LIVE_WEIGHT, weight, "weight"))

    def _prompt(self, pad, i: int, text: str, weight: float) -> None:
        pad.live_prompts[i] = (text, weight)
        self.actions.changed(pad.number, "live_prompt", (i + 1, text, weight))
        self.pad(pad.number).steered("prompts")

    def set_setting(self, number: int, name: object, value: object) -> None:
        pad = self.actions.pad_of(number)
        key = str(name).strip().lower()
        kind = fields.LIVE_SETTINGS.get(key)
        if kind is None:
            raise ActionError(f"no live setting {name!r} (known: {', '.join(fields.LIVE_SETTINGS)})")
        pad.live_settings[key] = checks.value(kind, value, key)
        self.actions.changed(pad.number, "live_setting", (key, float(pad.live_settings[key])))
        self.pad(pad.number).steered("config")

    def tempo_changed(self, min_change: float) -> None:
        """After a tempo change has settled: live pads whose stream is far from it ask the model anew (a small
        change is followed by resampling alone)."""
        tempo = self.actions.project.tempo
        for live in self.pads.values():
            if live.session is not None and abs(tempo / live.next_tempo - 1.0) > min_change:
                spawn(live.restream(), f"pad {live.number}: the stream at the new tempo")

    def key_changed(self) -> None:
        for live in self.pads.values():
            if live.session is not None:
                spawn(live.restream(), f"pad {live.number}: the stream in the new key")

    async def capture(self, number: int, bars: object = 4, onto: object = None) -> tuple[int, int]:
        """The last ``bars`` whole bars the live pad played, as a loop in the library (its prompts, settings and
        model as provenance) on ``onto`` or the next empty pad; (loop id, pad)."""
        a = self.actions
        live = self.pad(a.pad_of(number).number)
        count = checks.whole(bars, "bars", 1, CAPTURE_BARS)
        audio = live.last_bars(count)  # (first: that it has nothing to keep says more than where it would go)
        target = self._capture_pad(live.number, onto)
        pad = a.project.pad(live.number)
        prompts = [[t, float(w)] for t, w in live.prompts()]
        meta = {
            "name": f"live {' '.join(t for t, _ in live.prompts())[:40]}".strip(),
            "category": "other",
            "bpm": live.tempo,
            "key": a.project.key or None,
            "bars": count,
            "source": "generated",
            "provider": PROVIDER,
            "model": self._made().model,
            "prompt": "; ".join(f"{t} ({w:g})" for t, w in prompts),
            "params": {"prompts": prompts, "config": live.config(), "captured_from_pad": pad.number},
            "seed": None,
            "watermark": "SynthID",
        }
        try:
            loop = await a.library.add_generated(
                audio, a.engine.sample_rate, meta, a.take_recipe(live.tempo, count, 0.0)
            )
        except Exception as exc:
            raise ActionError(f"the capture could not be kept: {exc}") from None
        await a.pad_load(target, loop.id)  # type: ignore[attr-defined]  # (Loading's)
        log.info("pad %d: captured %d bar%s of its stream as loop %d on pad %d", pad.number, count,
                 "" if count == 1 else "s", loop.id, target)  # fmt: skip
        return loop.id, target

    def _capture_pad(self, number: int, onto: object) -> int:
        a = self.actions
        if onto is not None:
            target = a.pad_of(onto)
            if target.number == number or target.mode == "live":
                raise ActionError(f"pad {target.number} is a live pad: capture onto a loop pad")
            return target.number
        for pad in a.project.pads:
            if pad.state == "empty" and pad.mode != "live" and not pad.generating:
                return pad.number
        raise ActionError("no empty pad to capture onto: name one (onto)")

    def top_up(self) -> None:
        """Control side, every round: each live pad's ring filled from what has arrived, or started again from a
        bar line once its buffer is full (after an underrun)."""
        for live in self.pads.values():
            fit = live.fit
            if fit is not None and fit.held and (live.feed is not None or live.wanted):
                live._feed()

    def report_latency(self) -> None:
        """Each playing stream's latency in bars (how much of it is held ahead of what is heard), to the surfaces
        when it moves by a tenth of a bar; at the meters' rate."""
        bar_s = self.actions.project.beats_per_bar * 60.0 / self.actions.project.tempo
        for live in self.pads.values():
            bars = round(live.buffered_s / bar_s, 1) if live.state == "playing" else 0.0
            if bars != live.latency_bars:
                live.latency_bars = bars
                self.actions.changed(live.number, "live_latency", bars)

    def on_event(self, event: ev.Event) -> None:
        live = self.pads.get(event.pad + 1)
        if live is not None:
            live.on_event(event)

    def status(self) -> dict:
        """Each live pad's stream: its state and how much of it is held ahead of what is heard."""
        return {
            str(n): {
                "state": live.state,
                "fed": live.feed is not None,  # (handed to the engine: it starts on the pad's quantum)
                "buffered_s": round(live.buffered_s, 3),
                "lead_s": round(live.lead_s, 3),  # (the jitter buffer: held ahead at a start)
                "jitter_s": round(live.arrival.jitter_s, 3),
                "latency_bars": live.latency_bars,
                "tempo": live.tempo,
            }
            for n, live in self.pads.items()
        }

    def state(self, number: int) -> str:
        live = self.pads.get(number)
        return live.state if live is not None else "closed"

    async def close(self, number: int) -> None:
        live = self.pads.get(number)
        if live is not None:
            await live.close()

    async def close_all(self) -> None:
        for live in list(self.pads.values()):
            await live.close()
