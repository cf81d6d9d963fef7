"""The song transport on the audio thread: clips of tracks on the shared musical clock.

A clip is placed in song beats (bar 1 = beat 0). The song's beat 0 sits at
``origin`` on the clock's beat line, so pads launched during playback stay on
the song's bar grid. Within a clip the loop's repeats start on exact
(fractional) frames, as pad cycles do. A loop region wraps the position back
with a short crossfade (the audio that would have followed fades out over the
audio of the loop start).

Same rules as the voices: preallocated rows, slices and ``out=`` only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from padserver.engine.dsp import Fades
from padserver.engine.effects import Chain

MAX_TRACKS = 32
_NO_BUS = np.zeros((2, 0), dtype=np.float32)
_EPS = 1e-6


@dataclass(frozen=True, slots=True)
class SongClip:
    track: int  # row index
    buffer: np.ndarray  # (2, frames) prepared at the tempo it plays at
    start: float  # song beats
    end: float
    content: float  # the song beat where the loop's frame 0 sits (start − offset)
    period: float  # the loop's length in frames


class SongPlayer:
    def __init__(self, max_block: int, fades: Fades, rate: int = 48000) -> None:
        self.clips: tuple[SongClip, ...] = ()
        # each track's effects (after its fader): its rows gather in a block of their own, then the chain runs
        self.fx = [Chain(rate) for _ in range(MAX_TRACKS)]
        self.fx_rows = 0  # the rows whose chains were set: their audio goes through them
        # (flat, viewed as contiguous (tracks, 2, n) blocks for each block size: the kernels need them whole)
        self._blocks_flat = np.zeros(MAX_TRACKS * 2 * max_block, dtype=np.float32)
        self._blocks = self._blocks_flat[: MAX_TRACKS * 2].reshape(MAX_TRACKS, 2, 1)
        self.gains = np.zeros((MAX_TRACKS, 2), dtype=np.float32)
        self.tracks = 0
        self.playing = False
        self.origin = 0.0  # clock beat of song beat 0
        self.start_beat: float | None = None  # a pending start, on this clock beat
        self.position = 0.0  # song beat where playback (re)starts
        self.loop: tuple[float, float] | None = None  # song beats
        # where the song last started and stopped (engine frames), for MIDI clock's start/stop messages
        self.started_at = -1
        self.started_from = 0.0  # the song beat it started from
        self.stopped_at = -1
        self.jumped_at = -1  # where a playing song last jumped (a locate, the loop region's wrap)
        self.jumped_to = 0.0  # the song beat it jumped to
        self._until = 0  # the frame playback had reached (the end of the last block, or where it started)
        self._rows = np.zeros((MAX_TRACKS, 2, max_block), dtype=np.float32)
        # tracks with their own outputs (JACK track01_L/R …) play there, not into the master
        self.own: tuple[int, ...] = ()  # their row indexes
        self._own_mask = 0
        self.track_out = np.zeros((MAX_TRACKS, 2, max_block), dtype=np.float32)
        fades = fades if fades.length >= 1 else Fades(1)  # (a jump always crossfades, over a frame at least)
        self.fade = fades.length
        self._fade_out = fades.fade_out
        self._xfade_left = 0
        self._xfade_origin = 0.0

    # -- state seen from outside -------------------------------------------------------------------
    @property
    def active(self) -> bool:
        """Playing, or about to start on a bar line."""
        return self.playing or self.start_beat is not None

    def song_beat(self, clock, frame: float) -> float:
        return clock.beat_at(frame) - self.origin if self.playing else self.position

    # -- commands (audio thread, at a block start) -------------------------------------------------
    def play(self, clock, f0: int, beat: float | None) -> None:
        """Start from ``position``: at once (``beat`` None) or on the clock beat ``beat``."""
        if self.playing:
            return
        if beat is None:
            self.origin = clock.beat_at(f0) - self.position
            self.playing = True
            self.started_at, self.started_from = f0, self.position
            self._until = f0
        else:
            self.start_beat = beat
            self.origin = beat - self.position  # known now, so events before the start place right

    def stop(self, clock, f0: int, to: float | None = None) -> None:
        if self.playing:
            self.stopped_at = f0
        self.position = self.song_beat(clock, f0) if to is None else to
        self.playing = False
        self.start_beat = None

    def locate(self, clock, f0: int, beat: float) -> None:
        if self.playing:
            self.origin = clock.beat_at(f0) - beat
            self.jumped_at, self.jumped_to = f0, beat
            self._until = f0
        else:
            self.position = beat

    # -- rendering ------------------------------------------------------------------------------------
    def set_own(self, rows: tuple[int, ...]) -> None:
        self.own = rows
        self._own_mask = sum(1 << r for r in rows)

    def render(self, mix: np.ndarray, f0: int, n: int, clock, bus: np.ndarray | None = None) -> bool:
        """Add this block of the song into the (2, n) ``mix`` (and its tracks' sends into the reverb's ``bus``);
        False when nothing was added."""
        for r in self.own:
            self.track_out[r, :, :n].fill(0.0)
        if self._blocks.shape[2] != n:  # (a new block size: new views, not per block)
            self._blocks = self._blocks_flat[: MAX_TRACKS * 2 * n].reshape(MAX_TRACKS, 2, n)
        added = self._render(mix, f0, n, clock)
        if self.fx_rows:
            added |= self._effects(mix, n, clock.frames_per_beat, _NO_BUS if bus is None else bus, not self.playing)
        return added

    def _render(self, mix: np.ndarray, f0: int, n: int, clock) -> bool:
        if not self.playing and self.start_beat is not None:
            first = clock.first_frame_at(self.start_beat)
            if first < f0 + n:
                self.origin = self.start_beat - self.position
                self.playing = True
                self.started_at, self.started_from = max(first, f0), self.position
                self._until = self.started_at
                self.start_beat = None
                if first > f0:  # the start falls inside this block
                    return self._render_from(mix, f0, n, clock, first - f0)
        if not self.playing:
            return False
        return self._render_from(mix, f0, n, clock, 0)

    def _render_from(self, mix: np.ndarray, f0: int, n: int, clock, skip: int) -> bool:
        added = False
        t = f0 + skip
        end = f0 + n
        while t < end:
            stop = end
            wrap_frame = None
            if self.loop is not None:
                wrap_frame = clock.first_frame_at(self.origin + self.loop[1])
                if self._until <= wrap_frame < t:  # in frames the driver skipped (a cycle it dropped): wrap on
                    wrap_frame = t  # the first frame after (a locate past the region's end plays on, as in a DAW)
                if t <= wrap_frame < end:
                    stop = wrap_frame
            if stop > t:
                added |= self._mix_span(mix[:, t - f0 : stop - f0], t, clock, self.origin, t - f0)
            if self._xfade_left > 0:  # the audio that went on past the loop's end, fading out
                k = min(self._xfade_left, stop - t)
                done = self.fade - self._xfade_left
                fade = self._fade_out[done : done + k]
                self._mix_span(mix[:, t - f0 : t - f0 + k], t, clock, self._xfade_origin, t - f0, fade)
                self._xfade_left -= k
            if wrap_frame is not None and stop == wrap_frame and stop < end and self.loop is not None:
                self._xfade_origin = self.origin
                length = self.loop[1] - self.loop[0]
                beat = clock.beat_at(wrap_frame) - self.origin  # the loop's end, or past it after a skip
                self.origin += length * max(1, math.floor((beat - self.loop[0]) / length + _EPS))
                self._xfade_left = self.fade
                self.jumped_at, self.jumped_to = wrap_frame, clock.beat_at(wrap_frame) - self.origin
            t = stop
        self._until = end
        return added

    def _mix_span(
        self, dst: np.ndarray, t0: int, clock, origin: float, offset: int, fade: np.ndarray | None = None
    ) -> bool:
        """Add the clips over frames [t0, t0 + k) of the song whose beat 0 is clock beat ``origin``.

        Tracks with their own outputs go to ``track_out`` at ``offset`` in the block, tracks with effects to
        their own block there; with ``fade`` (a loop's end, fading out) every row is faded first and tracks with
        their own outputs are left out.
        """
        k = dst.shape[1]
        b0 = clock.beat_at(t0) - origin
        b1 = clock.beat_at(t0 + k) - origin
        rows = self._rows
        used = 0
        for clip in self.clips:
            if clip.end <= b0 or clip.start >= b1:
                continue
            row = rows[clip.track, :, :k]
            if not (used >> clip.track) & 1:
                row.fill(0.0)
                used |= 1 << clip.track
            first = max(t0, math.ceil(clock.frame_at(origin + clip.start) - _EPS))
            last = min(t0 + k, math.ceil(clock.frame_at(origin + clip.end) - _EPS))
            if last > first:
                self._add_clip(row[:, first - t0 : last - t0], clip, first, clock.frame_at(origin + clip.content))
        if not used:
            return False
        gains = self.gains
        own = self._own_mask
        effected = self.fx_rows
        for i in range(self.tracks):
            if (used >> i) & 1:
                rows[i, 0, :k] *= gains[i, 0]  # scalar multiplies: no temporary arrays
                rows[i, 1, :k] *= gains[i, 1]
                if fade is not None:
                    rows[i, 0, :k] *= fade
                    rows[i, 1, :k] *= fade
                if (effected >> i) & 1:
                    self._blocks[i, :, offset : offset + k] += rows[i, :, :k]
                elif (own >> i) & 1:
                    if fade is None:
                        self.track_out[i, :, offset : offset + k] += rows[i, :, :k]
                else:
                    dst += rows[i, :, :k]
        return True

    def _effects(self, mix: np.ndarray, n: int, beat: float, bus: np.ndarray, only_ringing: bool) -> bool:
        """Run the tracks' chains over their blocks and add what comes out (into ``mix``, or a track's own
        output); with ``only_ringing`` (the song stopped) only the chains whose delays still hold sound."""
        added = False
        own = self._own_mask
        for i in range(MAX_TRACKS):
            if not (self.fx_rows >> i) & 1:
                continue
            chain = self.fx[i]
            if only_ringing and chain.delay_state[5] <= 0.0:
                continue
            block = self._blocks[i]
            chain.process(block, n, beat, bus, 1.0, 1.0)
            if (own >> i) & 1:
                self.track_out[i, :, :n] += block
            else:
                mix += block
            block.fill(0.0)
            added = True
            if not chain.active:
                self.fx_rows &= ~(1 << i)
        return added

    @property
    def ringing(self) -> bool:
        """A stopped song's track effects still sound (a delay's echoes)."""
        if not self.fx_rows:
            return False
        return any((self.fx_rows >> i) & 1 and self.fx[i].delay_state[5] > 0.0 for i in range(MAX_TRACKS))

    @staticmethod
    def _add_clip(dst: np.ndarray, clip: SongClip, t: int, content: float) -> None:
        """Copy the looping buffer into ``dst`` (frames from ``t``); repeats start on exact frames."""
        buf = clip.buffer
        period = clip.period
        k = dst.shape[1]
        done = 0
        while done < k:
            now = t + done
            rep = math.floor((now - content) / period + _EPS)
            rep_start = math.ceil(content + rep * period - _EPS)
            rep_next = math.ceil(content + (rep + 1) * period - _EPS)
            i = now - rep_start
            m = min(k - done, rep_next - now, buf.shape[1] - i)
            if m <= 0:
                break
            dst[:, done : done + m] += buf[:, i : i + m]
            done += m
