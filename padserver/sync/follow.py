"""Following an external MIDI clock (control side): its tempo, and its beat for the bar grid.

The audio thread puts each tick's frame into a ring (`padserver.sync.jack_clock.ClockIn`)
and starts the song on the tick after Start or Continue; without JACK audio, rtmidi's
ticks are placed on frames by `padserver.sync.midi_clock_in.RtClockIn` and the
start and stop are sent from here. Here, a few dozen times
a second, a straight line is fitted through the last four beats of ticks: its
slope is the tempo, and (once the external song started) the line also says
where each beat lies, so the engine's clock is laid on it. A steady clock
converges in a beat and then nothing changes; a jittery one is smoothed by the
fit; a tempo change shows as the newest ticks all leaving the line on one side. Small differences are left alone, so a steady clock does not make the
engine re-time its loops over and over.
"""

from __future__ import annotations

import collections
import logging
import math

import numpy as np

from padserver.engine import commands as cmd

log = logging.getLogger("padserver.sync")

FIT_TICKS = 96  # four beats
STAMPED_FIT_TICKS = 192  # eight beats
MIN_TICKS = 12  # half a beat before the first estimate
TEMPO_STEP = 0.005  # BPM: smaller changes are left alone
PHASE_STEP = 2.0  # frames (0.04 ms at 48 kHz): a smaller phase error is left alone (or twice the clock's jitter)
NEW_TICKS = 6  # when the newest ticks all leave the line on one side …
STAMPED_NEW_TICKS = 12  # (half a beat for a driver's stamps: a stall makes a few of them late together)
CHANGE_FRAMES = 8.0  # … by more than this (or four times the clock's jitter), the tempo changed: start anew
COARSE_TICKS = 48  # two beats: how many ticks a clock stamped to a few ms needs for a tempo within 0.1 BPM
GAP_TICKS = 4.0  # a tick this many ticks late means the clock stopped and started again: start the fit anew


class MidiClockFollower:
    def __init__(self, actions, clock_in, sample_rate: int) -> None:
        self.actions = actions
        self.clock_in = clock_in
        self.rate = sample_rate
        self.read = 0  # ticks taken from the ring
        # (tick number, frame); ticks stamped by a MIDI driver (rtmidi) wander by a few ms: a longer line
        fit = STAMPED_FIT_TICKS if clock_in.stamped else FIT_TICKS
        self.recent: collections.deque = collections.deque(maxlen=fit)
        self.tick = 0  # ticks counted, lost ones included
        self.line_ticks = 0  # ticks since the clock (re)started: too few to tell a lost tick from a late one
        self._jumped = False  # the newest tick was counted after a gap (ticks lost, or itself late)
        self._round = 0.25 if clock_in.stamped else 0.5  # how a gap in ticks is rounded to a count
        self._new_ticks = STAMPED_NEW_TICKS if clock_in.stamped else NEW_TICKS
        self.frames_seen: dict[float, int] = {}  # recent tick frames → their numbers (to place a start)
        self.anchor: tuple[int, float] | None = None  # (tick index, clock beat) once the song started
        self.tempo: float | None = None
        self.coarse = False  # the fit started anew on a clock whose ticks wander (rtmidi): more ticks first

    def poll(self) -> None:
        ci = self.clock_in
        ci.prepare()
        written = ci.ticks.written
        if self.actions.sync_source != "midi":  # not following: keep up with the ring, nothing else
            self.read, self.anchor, self.tempo = written, None, None
            self.recent.clear()
            ci.events.clear()
            return
        if written - self.read > ci.ticks.capacity:  # fell behind (the control side stalled): take the newest
            self.read = written - ci.ticks.capacity
        step = self._step()
        for i in range(self.read, written):
            self._count(float(ci.ticks.at(i)), step)
        while len(self.frames_seen) > FIT_TICKS:
            self.frames_seen.pop(next(iter(self.frames_seen)))
        self.read = written
        newest = self.recent[-1][1] if self.recent else -math.inf
        while ci.events:
            what, frame, value = ci.events[0]
            if what == "start" and frame not in self.frames_seen and frame > newest:
                break  # its tick was written after the ring was read: numbered on the next poll, then placed
            ci.events.popleft()
            self._event(what, frame, value)
        if len(self.recent) >= MIN_TICKS:
            self._fit()

    def _count(self, frame: float, step: float | None) -> None:
        """Number a new tick. A cycle JACK dropped takes its ticks with it (on JACK MIDI, and through rtmidi's
        JACK API): the ticks missing are counted, so every beat stays on its tick."""
        jumped = self._jumped
        self._jumped = False
        if not self.recent:
            self.tick += 1
            self.line_ticks = 0
        else:
            last_i, last_f = self.recent[-1]
            if step is None or step <= 0:
                step = frame - last_f
            # (a driver's stamp can come half a tick late: such a clock counts a loss only from 1.75 ticks)
            count = math.floor((frame - last_f) / step + self._round) if step > 0 else 1
            if self.line_ticks < MIN_TICKS:  # too few ticks to tell a loss from a late one: one at a time
                count = min(count, 1) if count <= GAP_TICKS else count
            if count > GAP_TICKS:  # the clock stopped and started again: a new line
                self.recent.clear()
                self.line_ticks = 0
            elif count < 1 and jumped:  # the tick before was late (a driver's stamp), not after a loss: renumber it
                self.recent[-1] = (last_i - 1, last_f)
                self.frames_seen[last_f] = last_i - 1
                self.tick -= 1
            self._jumped = 2 <= count <= GAP_TICKS
            self.tick += max(1, count)
        self.recent.append((self.tick, frame))
        self.frames_seen[frame] = self.tick
        self.line_ticks += 1

    def _step(self) -> float | None:
        """Frames per tick: the median of the recent ticks' spacings (a late tick, or the one after it, does
        not move it)."""
        if len(self.recent) < 2:
            return None
        ticks = np.array(self.recent, dtype=np.float64)
        apart = np.diff(ticks, axis=0)
        return float(np.median(apart[:, 1] / apart[:, 0]))

    def _event(self, what: str, frame: float, value: float) -> None:
        song = self.actions.song
        if what == "start":
            if not self.clock_in.commands_here:  # (the JACK callback sent it on the tick's own frame)
                self.actions.engine.send(cmd.FollowStart(int(round(frame)), value))
            index = self.frames_seen.get(frame, self.tick)
            self.anchor = (index, value % self.actions.project.beats_per_bar)
            song.set_state("playing")
            log.info("MIDI clock: the song starts at beat %.2f", value)
        elif what == "stop":
            if not self.clock_in.commands_here:
                self.actions.engine.send(cmd.Transport("pause"))
            self.anchor = None
            song.set_state("paused")
            log.info("MIDI clock: stop")
        elif what == "position" and not self.actions.engine.song.playing:
            self.actions.engine.send(cmd.Transport("locate", value))

    def _fit(self) -> None:
        idx = np.array([i for i, _ in self.recent], dtype=np.float64)
        frames = np.array([f for _, f in self.recent], dtype=np.float64)
        slope, intercept = np.polyfit(idx - idx[-1], frames, 1)  # frames per tick; the newest tick's frame
        jitter = 0.0
        new_ticks = self._new_ticks
        if len(idx) > 2 * new_ticks:  # do the newest ticks lie on the line of those before them?
            before = np.polyfit(idx[:-new_ticks] - idx[-1], frames[:-new_ticks], 1)
            jitter = _jitter(idx[:-new_ticks], frames[:-new_ticks])
            new = frames[-new_ticks:] - np.polyval(before, idx[-new_ticks:] - idx[-1])
            if (np.all(new > 0) or np.all(new < 0)) and np.min(np.abs(new)) > max(CHANGE_FRAMES, 4 * jitter):
                while len(self.recent) > new_ticks:  # they left it, all on one side: a new tempo
                    self.recent.popleft()
                self.coarse = jitter > CHANGE_FRAMES
                idx, frames = idx[-new_ticks:], frames[-new_ticks:]
                slope, intercept = np.polyfit(idx - idx[-1], frames, 1)
        if self.coarse and len(idx) < COARSE_TICKS:
            return  # a coarse clock (rtmidi's stamps): a few ticks would say a wrong tempo; wait for more
        self.coarse = False
        if slope <= 0:
            return
        tempo = 60.0 * self.rate / (24.0 * slope)
        tempo = min(300.0, max(20.0, tempo))
        last = idx[-1]
        clock = self.actions.engine.clock
        if self.anchor is not None:
            beat = self.anchor[1] + (last - self.anchor[0]) / 24.0
            phase_error = abs(clock.frame_at(beat) - intercept)
        else:
            beat = clock.beat_at(intercept)  # no song from outside yet: the tempo only
            phase_error = 0.0
        if (
            self.tempo is not None
            and abs(tempo - self.tempo) < TEMPO_STEP
            and phase_error < max(PHASE_STEP, 2 * jitter)
        ):
            return
        self.tempo = tempo
        self.actions.follow_tempo(tempo, intercept, beat)


def _jitter(idx: np.ndarray, frames: np.ndarray) -> float:
    """A clock's jitter (the std of its ticks about their line, in frames), from how each tick's spacing differs
    from the one before. Unlike the spread about a fitted line, it does not grow with the few ticks of a new
    tempo that a poll leaves among the old ones (a bend in the line), nor with a lost tick."""
    spacing = np.diff(frames)
    apart = np.diff(idx)
    steady = (apart[1:] == 1) & (apart[:-1] == 1)  # three ticks in a row, none lost between
    second = np.diff(spacing)[steady]
    if len(second) < 4:
        return 0.0
    # for independent jitter of std σ, a second difference has std σ·√6; its median |·| is 0.6745 std
    return float(np.median(np.abs(second))) / (0.6745 * math.sqrt(6.0))
