"""One pad's playback: launch and stop on exact frames, loop region, fades, tails.

Runs on the audio thread. Rules kept here: no allocation that grows with the
block (only slices and `out=` arithmetic on preallocated rows), no locks, no
I/O, no logging.

Timing model: a loop cycle starts at an exact (fractional) frame on the
musical grid and lasts the region's exact length, so a loop whose bar length
is not a whole number of frames still never drifts from the grid; each cycle
plays from the first whole frame at or after its exact start.

Tempo changes: a buffer is made for one tempo (``beat_frames``, its frames
per beat). At any other tempo it plays resampled (varispeed: linear
interpolation from preallocated index and fraction rows), so its cycles still
span the same beats; a re-stretched buffer takes over at a loop boundary.

Click-free changes: every start fades in over the fade length; every stop,
restart, buffer swap or region wrap to a different place hands the outgoing
audio to a *tail* that keeps reading where it was and fades out, so the two
overlap as a short crossfade.
"""

from __future__ import annotations

import math

import numpy as np

from padserver.engine import events as ev
from padserver.engine.commands import GATE, LOOP, ONESHOT
from padserver.engine.dsp import Fades, Resampler, copy_looped, point_row
from padserver.engine.live_feed import LiveFeed
from padserver.engine.tails import TAILS, Tails
from padserver.engine.varispeed import EPS as _EPS
from padserver.engine.varispeed import INF as _INF
from padserver.engine.varispeed import Varispeed


class PadVoice(Varispeed, Tails):
    """Playback state of one pad, owned by the audio thread."""

    __slots__ = (
        "index",
        "nudged",
        "fades",
        "events",
        "buffer",
        "period",
        "mode",
        "region",
        "choke",
        "playing",
        "launch_beat",
        "launch_frame",
        "stop_beat",
        "stop_frame",
        "next_buffer",
        "next_period",
        "next_region",
        "origin",
        "join_origin",
        "cycle_start",
        "cycle_end",
        "read0",
        "fade_pos",
        "tail_buf",
        "tail_pos",
        "tail_left",
        "tail_from",
        "garbage",
        "gain",
        "swap_at_wrap",
        "resampler",
        "beat_frames",
        "next_beat_frames",
        "out_beat",
        "speed",
        "anchor",
        "exact",
        "steady_to",
        "steady_from",
        "steady_read",
        "feed",
        "live_base",
        "table",
    )

    def __init__(
        self, index: int, fades: Fades, events: ev.EventRing, garbage: list, resampler: Resampler | None = None
    ) -> None:
        self.index = index
        self.fades = fades
        self.events = events
        self.garbage = garbage  # buffers the engine is done with, freed by the control side
        self.buffer: np.ndarray | None = None  # (2, frames) float32, never written
        self.period = 0.0
        self.mode = LOOP
        self.region = (0.0, 1.0)
        self.choke = 0
        self.playing = False
        # A pending launch or stop: a musical beat (quantized) or an exact frame.
        self.launch_beat: float | None = None
        self.launch_frame = _INF
        self.stop_beat: float | None = None
        self.stop_frame = _INF
        self.next_buffer: np.ndarray | None = None
        self.next_period = 0.0
        self.next_region: tuple[float, float] | None = None
        # The current cycle: exact start, its first and end frames, buffer index at start.
        self.origin = 0.0
        self.join_origin: float | None = None  # a pending launch joins a cycle that began there (a takeover)
        self.cycle_start = 0
        self.cycle_end = 0
        self.read0 = 0
        self.fade_pos = fades.length
        self.tail_buf: list[np.ndarray | None] = [None] * TAILS
        self.tail_pos = [0] * TAILS
        self.tail_left = [0] * TAILS
        self.tail_from = [0] * TAILS
        self.gain = 1.0  # velocity of the last press, for one-shots
        self.swap_at_wrap = False  # next_buffer takes over at the loop's own next boundary
        self.resampler = resampler
        # Varispeed: the buffer's frames per beat (0: always as it is), the clock's, and their ratio.
        self.beat_frames = 0.0
        self.next_beat_frames = 0.0
        self.out_beat = 0.0
        self.speed = 1.0
        self.nudged = False  # this cycle's speed was nudged onto another clock's phase
        # The read position at frame t is read0 + (t - anchor) × speed; `exact` when that is whole frames.
        self.anchor = 0.0
        self.exact = True
        # A steady run: from frame ``steady_from`` until ``steady_to`` the voice's frames are its buffer's from
        # ``steady_read`` on, as they are (the engine copies them without calling `render`). Set by `render`
        # only; the engine ends every run in a block where a command, press or choke reached the voices.
        self.steady_to = 0
        self.steady_from = 0
        self.steady_read = 0
        # A live pad's stream (engine.live_feed.LiveFeed): its ring is the buffer, played as a loop of its whole
        # length; ``live_base`` counts the ring frames of the laps before this one.
        self.feed: LiveFeed | None = None
        self.live_base = 0
        # the engine's row for this voice in the steady copy's table (see engine._mix): its buffer's address
        # and frames, kept as the buffer changes (an address of 0: none, or one the kernel cannot read)
        self.table: np.ndarray = np.zeros(2, dtype=np.int64)

    # -- state seen from outside ---------------------------------------------
    @property
    def launch_pending(self) -> bool:
        return self.launch_beat is not None or self.launch_frame != _INF

    @property
    def stop_pending(self) -> bool:
        return self.stop_beat is not None or self.stop_frame != _INF

    @property
    def busy(self) -> bool:
        """Playing or about to: what counts as 'something is playing'."""
        return self.playing or self.launch_pending

    # -- scheduling (called by the engine at block start) -------------------------
    def schedule_launch(self, beat: float | None, first_frame: int, now: int) -> None:
        """Launch on ``beat`` (quantized), or on ``first_frame`` exactly when ``beat`` is None."""
        if self.buffer is None and self.next_buffer is None:
            return
        self.launch_beat = beat
        self.launch_frame = _INF if beat is not None else first_frame
        self.join_origin = None
        self.stop_beat = None
        self.stop_frame = _INF
        if beat is not None or first_frame > now:  # a launch this very frame is not "queued"
            self.events.push(ev.QUEUED, self.index, now, first_frame)

    def schedule_stop(self, beat: float | None, first_frame: int, now: int) -> None:
        if self.launch_pending and not self.playing:
            self.cancel_launch(now)
            return
        if not self.playing:
            return
        self.launch_beat = None
        self.launch_frame = _INF
        self.stop_beat = beat
        self.stop_frame = _INF if beat is not None else first_frame
        self.events.push(ev.STOPPING, self.index, now, first_frame)

    def cancel_launch(self, frame: int) -> None:
        self.launch_beat = None
        self.launch_frame = _INF
        if not self.playing:
            self._take_next_buffer()
        self.events.push(ev.UNQUEUED, self.index, frame)

    def cancel_stop(self, frame: int) -> None:
        self.stop_beat = None
        self.stop_frame = _INF
        self.events.push(ev.STARTED, self.index, frame)

    def set_buffer(self, buffer: np.ndarray | None, period: float, beat_frames: float = 0.0) -> bool:
        """Replace the audio now if silent; else keep it for the next launch.

        ``beat_frames`` is the buffer's frames per beat (0: it plays as it is,
        whatever the tempo). Returns True when the caller must schedule a
        launch to swap it in.
        """
        if self.playing and buffer is not None:
            self.next_buffer = buffer
            self.next_period = period
            self.next_beat_frames = beat_frames
            return True
        if self.playing:
            self.halt(0)
        self.next_buffer = None
        self._replace_buffer(buffer, period, beat_frames)
        if buffer is None:
            self.launch_beat = None
            self.launch_frame = _INF
        return False

    def set_region(self, start: float, end: float) -> None:
        if self.playing:
            self.next_region = (start, end)  # from the next cycle on
        else:
            self.region = (start, end)

    def halt(self, frame: int, tail: bool = True) -> None:
        """Stop at once, cancel anything pending. With ``tail`` the sound fades out; without, it is cut (the
        engine's answer to this voice raising in the callback: what failed may be the tail itself)."""
        self.steady_to = 0
        if self.playing:
            if tail:
                self._start_tail(self._read_index(frame), 0)
            self.playing = False
            self.events.push(ev.STOPPED, self.index, frame)
        elif self.launch_pending:
            self.events.push(ev.UNQUEUED, self.index, frame)
        self.launch_beat = None
        self.launch_frame = _INF
        self.stop_beat = None
        self.stop_frame = _INF
        if tail:
            self._take_next_buffer()
        else:
            self.tail_left[0] = self.tail_left[1] = 0

    def next_launch_frame(self, clock) -> int:
        if self.launch_beat is not None:
            return clock.first_frame_at(self.launch_beat)
        return self.launch_frame

    # -- rendering ------------------------------------------------------------
    def render(self, row: np.ndarray, f0: int, n: int, clock) -> bool:
        """Write this pad's frames [f0, f0+n) of the (2, n) ``row``; False if silent."""
        if (
            self.playing
            and self.exact
            and self.cycle_end >= f0 + n
            and self.launch_beat is None
            and self.launch_frame == _INF
            and self.stop_beat is None
            and self.stop_frame == _INF
            and self.fade_pos >= self.fades.length
            and self.tail_left[0] <= 0
            and self.tail_left[1] <= 0
            and self.feed is None  # (a stream is checked every block: it may run dry)
        ):
            # The steady state: one contiguous read, nothing starts or ends.
            buf = self.buffer
            i = self.read0 + (f0 - self.cycle_start)
            if buf is not None and i + n <= buf.shape[1]:
                row[:] = buf[:, i : i + n]
                if self.gain != 1.0:
                    row *= self.gain
                else:  # nothing changes until the cycle (or the buffer) ends: the engine may copy on alone
                    self.steady_to = min(self.cycle_end, f0 + buf.shape[1] - i)
                    self.steady_from = f0 + n
                    self.steady_read = i + n
                return True
        self.steady_to = 0
        if not self.playing and not self.launch_pending and self.tail_left[0] <= 0 and self.tail_left[1] <= 0:
            return False
        end = f0 + n
        t = f0
        wrote = False
        self.tail_from[0] = self.tail_from[1] = 0
        if self.feed is not None and self.playing and self._runs_dry(f0, n):
            self.events.push(ev.UNDERRUN, self.index, f0)
            self.halt(f0)  # faded out over what is there; the control side starts it again on a later bar
        while t < end:
            lf = self.next_launch_frame(clock) if self.launch_pending else _INF
            if not self.playing:
                nxt = min(end, max(lf, t))
                if nxt > t:
                    row[:, t - f0 : nxt - f0] = 0.0
                    wrote = True
                    t = nxt
                if t < end:  # t == lf
                    self._start(t, clock, offset=t - f0)
                continue
            sf = self.stop_frame if self.stop_beat is None else clock.first_frame_at(self.stop_beat)
            nxt = min(end, max(lf, t), max(sf, t), self.cycle_end)
            if nxt > t:
                self._write(row[:, t - f0 : nxt - f0], t)
                wrote = True
                t = nxt
            if t >= end:
                break
            if t >= sf:
                self._start_tail(self._read_index(t), t - f0)
                self.playing = False
                self.stop_beat = None
                self.stop_frame = _INF
                self._take_next_buffer()
                self.events.push(ev.STOPPED, self.index, t)
            elif t >= lf:
                self._start_tail(self._read_index(t), t - f0)
                self.playing = False
                self._start(t, clock, offset=t - f0)
            elif t >= self.cycle_end:
                self._wrap(t, f0)
        if self.tail_left[0] > 0 or self.tail_left[1] > 0:
            if not wrote:
                row.fill(0.0)
                wrote = True
            self._render_tails(row, n)
        if wrote and self.gain != 1.0:
            row *= self.gain
        if self.feed is not None and self.playing:
            self.feed.played = self.live_base + self._read_index(end)
        return wrote

    def _runs_dry(self, f0: int, n: int) -> bool:
        """Whether this block (and the fade a stop would read after it) reaches past what the stream wrote."""
        feed = self.feed
        assert feed is not None
        return self.live_base + self._read_index(f0 + n) + self.fades.length > feed.written

    def set_feed(self, feed: LiveFeed | None, frame: int) -> None:
        """A live pad's stream (None: none): silent until its next launch, which plays the ring from its start."""
        self.halt(frame)
        self._take_next_buffer()
        if feed is None:
            self.feed = None
            self._replace_buffer(None, 0.0)
            return
        self._replace_buffer(feed.ring, float(feed.frames), feed.beat_frames)
        self.feed = feed
        self.live_base = 0
        feed.played = 0

    def _write(self, dst: np.ndarray, t: int) -> None:
        buf = self.buffer
        assert buf is not None  # only playing voices write, and they have audio
        k = dst.shape[1]
        if not self.exact and self.resampler is not None:
            self.resampler.read(dst, buf, self.read0 + (t - self.anchor) * self.speed, self.speed)
        else:
            i = self.read0 + (t - self.cycle_start)
            if 0 <= i and i + k <= buf.shape[1]:
                dst[:] = buf[:, i : i + k]
            else:
                copy_looped(dst, buf, i)
        fades = self.fades
        if self.fade_pos < fades.length:
            m = min(k, fades.length - self.fade_pos)
            dst[:, :m] *= fades.fade_in[self.fade_pos : self.fade_pos + m]
            self.fade_pos += m

    def _start(self, t: int, clock, offset: int) -> None:
        """Begin playing at frame ``t`` (the launch boundary, or now)."""
        swapped = self.next_buffer is not None
        if swapped:
            self._replace_buffer(self.next_buffer, self.next_period, self.next_beat_frames)
            self.next_buffer = None
        if self.buffer is None:
            self.launch_beat = None
            self.launch_frame = _INF
            return
        exact = clock.frame_at(self.launch_beat) if self.launch_beat is not None else float(t)
        # rounding noise can put the boundary a hair after this frame: it is this frame
        origin = min(exact, float(t))
        if self.join_origin is not None:  # in phase with the loop it takes over from
            origin, self.join_origin = self.join_origin, None
        self.start_at(origin, t, ev.SWAPPED if swapped else ev.STARTED)

    def start_at(self, origin: float, t: int, event: int = ev.STARTED) -> None:
        """Play from frame ``t`` in a cycle that began at ``origin`` (earlier for a late join)."""
        self.launch_beat = None
        self.launch_frame = _INF
        self._apply_next_region()
        self._begin_cycle(origin)
        self.fade_pos = 0
        self.playing = True
        self.events.push(event, self.index, t)

    def _begin_cycle(self, origin: float) -> None:
        if self.nudged:  # the last cycle was nudged onto another clock's phase: this one plays at tempo
            self.nudged = False
            self._set_speed()
        start = self.region[0] * self.period
        self.origin = origin
        self.cycle_start = math.ceil(origin - _EPS)
        self.cycle_end = math.ceil(origin + self._cycle_frames() - _EPS)
        self.read0 = int(round(start))
        self.exact = self.speed == 1.0
        self.anchor = float(self.cycle_start) if self.exact else origin

    def _wrap(self, t: int, f0: int) -> None:
        """The cycle ended at frame ``t``: loop to the region start, or end a one-shot."""
        end_index = self._read_index(t)
        buf = self.buffer
        assert buf is not None
        if self.mode == ONESHOT:
            if end_index < buf.shape[1]:  # the region ends early: fade what follows
                self._start_tail(end_index, t - f0)
            self.playing = False
            self._take_next_buffer()
            self.events.push(ev.STOPPED, self.index, t)
            return
        old_read0 = self.read0
        length = self._cycle_frames()
        if self.swap_at_wrap and self.next_buffer is not None:
            # the new loop starts where the old one would have started again: no gap, crossfaded
            self._start_tail(end_index, t - f0)
            self._replace_buffer(self.next_buffer, self.next_period, self.next_beat_frames)
            self.next_buffer = None
            self.swap_at_wrap = False
            self._apply_next_region()
            self._begin_cycle(self.origin + length)
            self.fade_pos = 0
            self.events.push(ev.SWAPPED, self.index, t)
            return
        changed = self._apply_next_region()
        if self.feed is not None:
            self.live_base += buf.shape[1]
        self._begin_cycle(self.origin + length)
        # Whole-buffer loops continue seamlessly; a region jump crossfades.
        if changed or not (old_read0 == 0 and end_index >= buf.shape[1] and self.read0 == 0):
            self._start_tail(end_index, t - f0)
            self.fade_pos = 0

    def _apply_next_region(self) -> bool:
        if self.next_region is None:
            return False
        changed = self.next_region != self.region
        self.region = self.next_region
        self.next_region = None
        return changed

    def _replace_buffer(self, buffer: np.ndarray | None, period: float, beat_frames: float = 0.0) -> None:
        if self.buffer is not None and self.buffer is not buffer:
            self.garbage.append(self.buffer)
        self.buffer = buffer
        point_row(self.table, buffer)  # (a command's buffer: made on the control side; another is copied by numpy)
        self.period = float(period)
        self.beat_frames = float(beat_frames)
        self._set_speed()

    def _take_next_buffer(self) -> None:
        self.swap_at_wrap = False
        if self.next_buffer is not None:
            self._replace_buffer(self.next_buffer, self.next_period, self.next_beat_frames)
            self.next_buffer = None
        self._apply_next_region()


__all__ = ["PadVoice", "Fades", "LOOP", "ONESHOT", "GATE"]
