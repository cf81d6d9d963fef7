"""Recording the performance into the song: every pad launch and stop becomes a clip at the bar it sounded.

While recording, a pad that starts opens a clip on that pad's track (made on
first use, named after the pad) at the bar it started on; when it stops (or
swaps its loop, or recording ends) the clip closes, rounded to whole bars.
With a punch range only the bars inside it are kept. From a stopped transport
the song starts after the count-in (``song.count_in_bars``).
What was on that track under the new clip is cut away (a take replaces what
it covers). Each closed clip is one undoable edit.
"""

from __future__ import annotations

import logging
import math

from padserver.engine import events as ev
from padserver.tasks import spawn

log = logging.getLogger("padserver.song")


class PerformanceRecorder:
    def __init__(self, actions) -> None:
        self.actions = actions
        self.on = False
        self._open: dict[int, tuple[int, float]] = {}  # pad → (loop id, start in song beats)

    def _beat(self, frame: int) -> float:
        """The song beat of an engine frame (while the song plays)."""
        e = self.actions.engine
        return e.clock.beat_at(frame) - e.song.origin

    def start(self) -> None:
        a = self.actions
        self.on = True
        if a.project.transport != "playing":  # from silence: a count-in, then the song and the recording
            a.song.play(count_in=a.song.count_in_bars, state="recording")
        else:
            a.song.set_state("recording")
        e = a.engine
        now = e.song.song_beat(e.clock, e.frame)
        for pad in a.project.pads:  # what already plays is taken from here
            if pad.sounding and pad.loop_id is not None:
                self._open[pad.number] = (pad.loop_id, now)

    async def stop(self) -> None:
        a = self.actions
        e = a.engine
        now = e.song.song_beat(e.clock, e.frame)
        for number in list(self._open):
            await self._close(number, now)
        self.on = False
        a.song.set_state("playing" if e.song.active else "stopped")

    def on_event(self, event) -> None:
        """A pad started, swapped or stopped on the audio thread (at ``event.frame``)."""
        if not self.on or event.kind not in (ev.STARTED, ev.SWAPPED, ev.STOPPED):
            return
        spawn(self._event(event), f"performance: pad {event.pad + 1} {event.name}")

    async def _event(self, event) -> None:
        a = self.actions
        number = event.pad + 1
        beat = self._beat(event.frame)
        if number in self._open:
            await self._close(number, beat)
        if event.kind in (ev.STARTED, ev.SWAPPED):
            pad = a.project.pad(number)
            if pad.loop_id is not None:
                self._open[number] = (pad.loop_id, beat)

    async def _close(self, number: int, end_beat: float) -> None:
        a = self.actions
        loop_id, start_beat = self._open.pop(number)
        bpb = a.project.beats_per_bar
        start_bar = max(1, math.floor(start_beat / bpb + 0.5) + 1)
        end_bar = math.floor(end_beat / bpb + 0.5) + 1
        punch = a.song.song.punch
        if punch is not None:  # only the punched bars are recorded
            start_bar, end_bar = max(start_bar, punch[0]), min(end_bar, punch[1])
        bars = end_bar - start_bar
        if bars < 1:
            return
        name = a.project.pad(number).name or f"pad {number}"
        song = a.song.song
        track = next((i + 1 for i, t in enumerate(song.tracks) if t.name == name), None)

        def place(s):
            nonlocal track
            if track is None:
                s.add_track(name)
                track = len(s.tracks)
            t = s.track(track)
            end = start_bar + bars
            for c in list(t.clips):  # the take replaces what it covers
                if c.start < end and start_bar < c.end:
                    if c.start < start_bar:
                        c.bars = start_bar - c.start
                    elif c.end > end:
                        c.offset += (end - c.start) * bpb
                        c.bars = c.end - end
                        c.start = end
                    else:
                        t.clips.remove(c)
            return s.add_clip(track, loop_id, start_bar, bars)

        await a.song._edit(f"record pad {number}", place)
        log.info("song: pad %d recorded as bars %d..%d", number, start_bar, start_bar + bars - 1)
