"""Audio onto pads: files and library loops loaded (prepared in the worker pool for the project's tempo),
cleared, previewed on the cue voice; undo and redo."""

from __future__ import annotations

import asyncio
import logging
import os

from padserver.actions import checks
from padserver.actions.base import ActionsBase
from padserver.actions.checks import ActionError
from padserver.engine import commands as cmd
from padserver.engine.quantum import Quantum, parse_quantum
from padserver.library.db import Loop
from padserver.library.store import LibraryError
from padserver.paths import confine
from padserver.state import fields
from padserver.state.project import Pad

log = logging.getLogger("padserver.actions")


class PadLoading(ActionsBase):
    """The actions that put audio on pads (a part of `Actions`)."""

    def allowed_path(self, source: object) -> str:
        where = checks.text(source, "file", 4096).strip()
        if not where:
            raise ActionError("a file path is needed")
        try:
            return confine(where, self.allowed)  # before anything looks at what is there
        except ValueError as exc:
            raise ActionError(str(exc)) from None

    async def import_many(self, source: object) -> list[tuple[Loop, bool]]:
        """Import a file, or every audio file in a folder, from an allowed folder."""
        from padserver.library.store import audio_files

        path = self.allowed_path(source)
        if not os.path.exists(path):
            raise ActionError(f"no such file or folder: {source}")
        files = await asyncio.to_thread(audio_files, [path])
        if not files:
            raise ActionError(f"no audio files (WAV, FLAC, AIFF, OGG, MP3) in {source}")
        return [await self.import_path(f) for f in files]

    async def import_path(self, source: object) -> tuple[Loop, bool]:
        """Import a file from an allowed folder into the library."""
        path = self.allowed_path(source)
        if not os.path.isfile(path):
            raise ActionError(f"no such file: {source}")
        try:
            return await self.library.import_file(path)
        except LibraryError as exc:
            raise ActionError(str(exc)) from None

    async def pad_load(
        self, number: object, source: object, quantum: Quantum | None = None, at_wrap: bool = False
    ) -> Pad:
        """Load a library loop (by id) or a file (imported first) onto a pad; a failure leaves the pad as it was."""
        pad = self.pad_of(number)
        loop, audio, info = await self.prepare_for(pad, source)
        return self.put_prepared(pad, loop, audio, info, quantum, at_wrap)

    async def prepare_for(self, pad: Pad, source: object) -> tuple[Loop, object, dict]:
        """A library loop (by id) or a file (imported first), prepared for ``pad`` at the project's tempo: the
        slow half of loading (the pad is not touched yet)."""
        if pad.mode == cmd.LIVE:
            raise ActionError(f"pad {pad.number} is a live pad: set its mode to loop (or another) to load a loop")
        try:
            if isinstance(source, (int, float)) or (isinstance(source, str) and source.strip().isdigit()):
                loop = self.library.get(checks.value(fields.ID, source, "loop id"))
            else:
                loop, _ = await self.import_path(source)
            audio, info = await self.library.prepared(loop, self.recipe(loop))
        except LibraryError as exc:
            raise ActionError(str(exc)) from None
        return loop, audio, info

    def put_prepared(
        self, pad: Pad, loop: Loop, audio, info: dict, quantum: Quantum | None = None, at_wrap: bool = False
    ) -> Pad:
        """A prepared loop onto ``pad``: at once if it is silent, else on ``quantum`` (or its own next loop
        boundary with ``at_wrap``); one undo step."""
        if pad.mode == cmd.LIVE:
            raise ActionError(f"pad {pad.number} is a live pad: set its mode to loop (or another) to load a loop")
        self.give_prepared(pad, audio, info, self.quantum_of(pad) if quantum is None else quantum, at_wrap)
        self._undoable_loop(pad, pad.loop_id, loop.id)
        pad.loop_id = loop.id
        pad.source = loop.name
        pad.bars = info["bars"]
        pad.error = ""
        if not pad.name:
            pad.name = loop.name
            self.changed(pad.number, "name", pad.name)
        if not pad.sounding:
            self.set_pad_state(pad, "loaded")
        self.changed(pad.number, "loop", loop.id)
        log.info(
            "pad %d: loop %d %s (%d bar%s)",
            pad.number,
            loop.id,
            loop.name,
            info["bars"],
            "" if info["bars"] == 1 else "s",
        )
        return pad

    def recipe(self, loop: Loop, bpm: float | None = None) -> dict:
        """How ``loop`` is prepared for the pads now: from its tempo to ``bpm`` (the project's), whole bars."""
        bpm = float(bpm or self.project.tempo)
        known = loop.bpm is not None
        return {
            "source_bpm": float(loop.bpm) if loop.bpm is not None else bpm,
            "bpm": bpm,
            "bars": loop.bars,  # None: the whole bars the audio holds from its downbeat
            "beats_per_bar": self.project.beats_per_bar,
            # loops padserver made start on their downbeat; one without a tempo is taken as it is
            "downbeat_s": 0.0 if loop.source in ("generated", "recorded") or not known else None,
            # where its kind sits in the mix (the library keeps every loop at the reference)
            "settings": {**self.loop_settings, "level_db": self.levels.get(loop.category, 0.0)},
        }

    def take_recipe(self, bpm: float, bars: int, downbeat_s: float | None) -> dict:
        """How a new take (generated, recorded) is prepared before it is kept: at its own tempo, N bars."""
        return {
            "source_bpm": float(bpm),
            "bpm": float(bpm),
            "bars": bars,
            "beats_per_bar": self.project.beats_per_bar,
            "downbeat_s": downbeat_s,
            "settings": dict(self.loop_settings),
        }

    def give_prepared(self, pad: Pad, audio, info: dict, quantum: Quantum, at_wrap: bool) -> None:
        """Hand the engine a prepared loop for ``pad``, with its frames per beat (at other tempi it plays resampled)."""
        beat_frames = info["period"] / (info["bars"] * self.project.beats_per_bar)
        self.engine.send(
            cmd.SetBuffer(pad.number - 1, audio, info["period"], quantum, at_wrap=at_wrap, beat_frames=beat_frames)
        )
        pad.prepared_bpm = info["bpm"]

    def pad_clear(self, number: object) -> None:
        pad = self.pad_of(number)
        self._undoable_loop(pad, pad.loop_id, None)
        self.engine.send(cmd.SetBuffer(pad.number - 1, None, 0.0, parse_quantum("off")))
        pad.loop_id = None
        pad.source = ""
        pad.bars = 0
        pad.error = ""
        pad.sounding = False
        self.set_pad_state(pad, "empty")

    def _undoable_loop(self, pad: Pad, old: int | None, new: int | None) -> None:
        if old == new:
            return
        n = pad.number

        def put(loop_id):
            return self.pad_load(n, loop_id) if loop_id is not None else self.pad_clear(n)

        self.history.record(f"pad {n} loop", lambda: put(old), lambda: put(new))

    def library_detail(self, source: object) -> dict:
        """Everything known of a library loop (by id), where it came from included."""
        try:
            return self.library.detail(self.library.get(checks.value(fields.ID, source, "loop id")))
        except LibraryError as exc:
            raise ActionError(str(exc)) from None

    async def preview(self, source: object) -> str:
        """Play a library loop on the cue output (``stop`` ends it); the pads are not touched."""
        if isinstance(source, str) and source.strip().lower() == "stop":
            self.engine.send(cmd.Preview(None, 0.0))
            return "stop"
        try:
            loop = self.library.get(checks.value(fields.ID, source, "loop id"))
            audio = await self.library.rendition(loop)
        except LibraryError as exc:
            raise ActionError(str(exc)) from None
        self.engine.send(cmd.Preview(audio, float(audio.shape[1])))
        return loop.name

    async def undo(self) -> str:
        label = await self.history.undo()
        if label is None:
            raise ActionError("nothing to undo")
        return label

    async def redo(self) -> str:
        label = await self.history.redo()
        if label is None:
            raise ActionError("nothing to redo")
        return label
