"""Project actions: new, save, load, delete; autosave and restoring the last session."""

from __future__ import annotations

import asyncio
import logging
import time

from padserver.actions import effects
from padserver.actions.checks import ActionError
from padserver.engine import commands as cmd
from padserver.engine.quantum import parse_quantum
from padserver.projects.document import PAD_FIELDS
from padserver.projects.store import ProjectError, ProjectStore, check_name
from padserver.state.project import Project

log = logging.getLogger("padserver.projects")


class Projects:
    def __init__(self, actions, store: ProjectStore, autosave_s: float = 2.0) -> None:
        self.actions = actions
        self.store = store
        self.name = time.strftime("set-%Y%m%d-%H%M%S")
        self.autosave_s = autosave_s
        self.dirty_since: float | None = None
        self.saving = False
        actions.listeners.append(self._changed)

    def _changed(self, pad: int, key: str, value) -> None:
        if (
            key not in ("state", "transport", "position", "metronome", "export", "sync_source")
            and self.dirty_since is None
        ):
            self.dirty_since = time.monotonic()

    # -- saving -------------------------------------------------------------------------------------
    def save(self, name: str | None = None) -> str:
        name = self._name(name) if name else self.name
        try:
            self.store.save(self.actions.project, name)
            self.store.remember(name)
        except (ProjectError, OSError) as exc:
            raise ActionError(str(exc)) from None
        self.name = name
        self.dirty_since = None
        return name

    def save_as(self, name: str) -> str:
        return self.save(self._name(name))

    async def autosave(self) -> None:
        """Event-loop task: save a few seconds after the last change."""
        while True:
            await asyncio.sleep(0.5)
            since = self.dirty_since
            if since is None or time.monotonic() - since < self.autosave_s:
                continue
            try:
                await asyncio.to_thread(self.save)
            except ActionError as exc:  # a full or read-only disk: keep playing, say so, try again later
                log.error("autosave failed: %s", exc)
                self.dirty_since = time.monotonic() + 10.0

    @staticmethod
    def _name(name: object) -> str:
        try:
            return check_name(name)
        except ProjectError as exc:
            raise ActionError(str(exc)) from None

    # -- loading ---------------------------------------------------------------------------------------
    def names(self) -> list[dict]:
        return [{"name": n, "current": n == self.name} for n in self.store.names()]

    async def load(self, name: str) -> list[str]:
        """Open a saved project: playing pads change on the next bar; returns problems (missing audio …)."""
        name = self._name(name)
        try:
            project = await asyncio.to_thread(self.store.load, name)
        except ProjectError as exc:
            raise ActionError(str(exc)) from None
        problems = await self.apply(project)
        self.actions.history.clear()  # another project: its own history
        self.name = name
        self.dirty_since = None
        try:
            self.store.remember(name)
        except ProjectError as exc:  # it plays; only the next start will not know to open it
            log.warning("%s", exc)
        return problems

    async def new(self) -> None:
        if self.dirty_since is not None:
            self.save()
        await self.apply(Project())
        self.actions.history.clear()
        self.name = time.strftime("set-%Y%m%d-%H%M%S")
        self.dirty_since = None

    def delete(self, name: str) -> None:
        name = self._name(name)
        if name == self.name:
            raise ActionError(f"{name!r} is the open project; open or start another one first")
        try:
            self.store.delete(name)
        except ProjectError as exc:
            raise ActionError(str(exc)) from None

    async def apply(self, target: Project) -> list[str]:
        """Make the live state ``target``'s, loading each pad's loop (on the next bar where one plays)."""
        with self.actions.history.paused():  # opening a project is not a step to undo
            return await self._apply(target)

    async def _apply(self, target: Project) -> list[str]:
        a = self.actions
        if a.live is not None:  # the old project's streams end (a loaded project opens none)
            await a.live.close_all()
        if a.live_mode is not None:  # (its pads are the old project's)
            a.live_mode.stop()
        if a.sync_source == "internal":  # (else the tempo is the external clock's)
            a.set_tempo(target.tempo)
        a.set_timesig(target.beats_per_bar)
        a.set_quantize(target.quantize)
        a.set_key(target.key)
        a.master_gain(target.master_gain)
        bar = parse_quantum("1")
        playing = any(p.sounding for p in a.project.pads)
        problems = []
        for new in target.pads:
            pad = a.project.pad(new.number)
            for field in PAD_FIELDS:
                setattr(pad, field, getattr(new, field))
            pad.region = new.region
            pad.live_prompts, pad.live_settings = list(new.live_prompts), dict(new.live_settings)
            a.engine.send(cmd.SetMode(pad.number - 1, pad.mode))
            a.engine.send(cmd.SetRegion(pad.number - 1, *pad.region))
            a.engine.send(cmd.SetChoke(pad.number - 1, pad.choke))
            if new.loop_id is None:
                if pad.sounding:
                    a.engine.send(cmd.Stop(pad.number - 1, bar))
                pad.loop_id, pad.source, pad.bars, pad.error = None, "", 0, ""
                a.set_pad_state(pad, "empty")
            elif new.loop_id != pad.loop_id or pad.state in ("empty", "error"):
                try:
                    await a.pad_load(pad.number, new.loop_id, quantum=bar if playing else None)
                except ActionError as exc:
                    pad.loop_id, pad.error = new.loop_id, str(exc)
                    a.set_pad_state(pad, "error")
                    problems.append(f"pad {pad.number}: {exc}")
            for key in ("name", "gain", "pan", "mute", "solo", "mode", "quantize", "region", "choke", "group", "keep"):
                value = pad.quantum if key == "quantize" else getattr(pad, key)
                a.changed(pad.number, key, value)
            pad.fx = dict(new.fx)
            effects.apply(a, pad.number)
        a.project.master_fx = dict(target.master_fx)
        effects.apply(a, "master")
        a.send_gains()
        a.send_quanta()
        if a.live is not None:
            a.live.reselect()
        a.project.song = target.song
        if a.song is not None:
            await a.song.push()
        for problem in problems:
            log.warning("%s", problem)
        return problems
