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

MAX_TRACKS = 32
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
    def __init__(self, max_block: int, fades: Fades) -> None:
        self.clips: tuple[SongClip, ...] = ()
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
        self._scratch = np.zeros((2, max_block), dtype=np.float32)
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

    def render(self, mix: np.ndarray, f0: int, n: int, clock) -> bool:
        """Add this block of the song into the (2, n) ``mix``; False when nothing was added."""
        for r in self.own:
            self.track_out[r, :, :n].fill(0.0)
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
                part = self._scratch[:, :k]
                part.fill(0.0)
                self._mix_span(part, t, clock, self._xfade_origin, -1)
                part *= self._fade_out[done : done + k]
                mix[:, t - f0 : t - f0 + k] += part
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

    def _mix_span(self, dst: np.ndarray, t0: int, clock, origin: float, offset: int) -> bool:
        """Add the clips over frames [t0, t0 + k) of the song whose beat 0 is clock beat ``origin``.

        Tracks with their own outputs go to ``track_out`` at ``offset`` in the block (-1: leave them out).
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
        for i in range(self.tracks):
            if (used >> i) & 1:
                rows[i, 0, :k] *= gains[i, 0]  # scalar multiplies: no temporary arrays
                rows[i, 1, :k] *= gains[i, 1]
                if (own >> i) & 1:
                    if offset >= 0:
                        self.track_out[i, :, offset : offset + k] += rows[i, :, :k]
                else:
                    dst += rows[i, :, :k]
        return True

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
