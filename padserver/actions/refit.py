"""Re-stretching the pads' loops after the tempo changes (the engine plays them resampled meanwhile).

A burst of tempo changes (tap tempo, a nudged knob, an external clock) costs
one refit: it starts ``delay`` seconds after the last change. Changes too
small to hear as pitch stay resampled. A refit that a newer tempo overtakes
is dropped, and a pad whose loop changed meanwhile is left alone.
"""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger("padserver.refit")


class Refitter:
    def __init__(self, actions, delay: float = 0.5, min_change_pct: float = 0.3) -> None:
        self.actions = actions
        self.delay = float(delay)
        self.min_change = float(min_change_pct) / 100.0
        self._timer: asyncio.TimerHandle | None = None
        self._generation = 0  # bumped by every tempo change
        self.running: asyncio.Task | None = None
        self.done = 0  # refits that reached the engine (for status and tests)

    def tempo_changed(self) -> None:
        self._generation += 1
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (a script driving the actions directly): nothing to schedule
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer = loop.call_later(self.delay, self._start)

    def _start(self) -> None:
        self._timer = None
        self.running = asyncio.get_running_loop().create_task(self.refit_all(self._generation))

    def due(self) -> list:
        """Pads whose buffer was fitted to a tempo audibly far from the project's."""
        tempo = self.actions.project.tempo
        return [
            p
            for p in self.actions.project.pads
            if p.loop_id is not None
            and p.mode != "live"  # (a live pad's stream follows the tempo itself)
            and p.prepared_bpm > 0
            and abs(tempo / p.prepared_bpm - 1.0) > self.min_change
        ]

    async def refit_all(self, generation: int) -> None:
        if self.actions.live is not None:
            self.actions.live.tempo_changed(self.min_change)
        for pad in self.due():
            if generation != self._generation:
                return  # the tempo moved on: the next refit will do it
            await self._refit(pad, generation)
        song = self.actions.song
        if song is not None and generation == self._generation and any(t.clips for t in song.song.tracks):
            await song.push()  # the song's clips, prepared at the new tempo

    async def _refit(self, pad, generation: int) -> None:
        a = self.actions
        loop_id = pad.loop_id
        try:
            loop = a.library.get(loop_id)
            audio, info = await a.library.prepared(loop, a.recipe(loop))
        except Exception as exc:  # the pad plays on resampled; say why
            log.warning(
                "pad %d: loop %s could not be re-stretched to %.2f BPM: %s", pad.number, loop_id, a.project.tempo, exc
            )
            return
        if generation != self._generation or pad.loop_id != loop_id or info["bpm"] != a.project.tempo:
            return
        a.give_prepared(pad, audio, info, a.quantum_of(pad), at_wrap=True)
        self.done += 1
        log.info("pad %d: loop re-stretched to %.2f BPM (at its next loop boundary)", pad.number, info["bpm"])
