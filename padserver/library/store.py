"""The library as the daemon and the CLI use it: index, import, renditions, edits."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
from collections.abc import Callable, Iterable

import numpy as np

from padserver.library import db
from padserver.library.db import CATEGORIES, Loop
from padserver.library.importer import import_file, make_rendition, rendition_path
from padserver.library.prepared import prepared_path
from padserver.loops.decode import EXTENSIONS, AudioFileError

log = logging.getLogger("padserver.library")


class LibraryError(ValueError):
    """A library request that cannot be done; the message says why."""


def audio_files(paths: Iterable[str]) -> list[str]:
    """The audio files among ``paths``, folders searched recursively, in a stable order."""
    found = []
    for path in paths:
        if os.path.isdir(path):
            for folder, _, names in sorted(os.walk(path)):
                found += [os.path.join(folder, n) for n in sorted(names) if n.lower().endswith(EXTENSIONS)]
        else:
            found.append(path)
    return found


class Library:
    def __init__(self, data_dir: str, rate: int, pool=None) -> None:
        self.data_dir = data_dir
        self.rate = rate
        self.pool = pool  # a WorkerPool (daemon); the CLI uses its own processes
        folder = os.path.join(data_dir, "library")
        try:
            os.makedirs(folder, exist_ok=True)
            self.db = db.connect(os.path.join(folder, "library.sqlite"))
        except (OSError, sqlite3.Error) as exc:
            raise LibraryError(
                f"cannot open the library in {folder}: {getattr(exc, 'strerror', None) or exc}"
            ) from None
        self.users: Callable[[int], list[str]] = lambda loop_id: []  # who uses a loop (set by the daemon/CLI)
        self._sweep(folder)
        self._sweep(os.path.join(data_dir, "cache", "takes"), older_than=3600.0)  # takes a crash left behind

    @staticmethod
    def _sweep(folder: str, older_than: float | None = None) -> None:
        """Remove what a crash left half-written (a copy or rendition cut short is never used), or left over."""
        import time

        for root, _, names in os.walk(folder):
            for name in names:
                path = os.path.join(root, name)
                try:
                    stale = older_than is not None and time.time() - os.path.getmtime(path) > older_than
                except OSError:
                    continue
                if stale or name.endswith((".part", ".tmp")):
                    try:
                        os.remove(path)
                    except OSError:
                        pass

    # -- reading ------------------------------------------------------------------------------------
    def get(self, loop_id: int) -> Loop:
        loop = db.get(self.db, int(loop_id))
        if loop is None:
            raise LibraryError(f"no loop {loop_id} in the library")
        return loop

    def detail(self, loop: Loop) -> dict:
        """Everything known of a loop: its summary, analysis and where it came from (provider, model, request as
        sent, seed, watermark, a parent loop), and the projects that use it."""
        return loop.summary(self.data_dir) | {
            "bpm_confidence": loop.bpm_confidence,
            "key_confidence": loop.key_confidence,
            "rms_db": loop.rms_db,
            "peak": loop.peak,
            "sample_rate": loop.sample_rate,
            "channels": loop.channels,
            "hash": loop.hash,
            "created": loop.created,
            "provenance": loop.provenance,
            "used_by": self.users(loop.id),
        }

    def exists(self, loop_id: int) -> bool:
        return db.get(self.db, int(loop_id)) is not None

    def search(self, **filters) -> list[Loop]:
        return db.search(self.db, **filters)

    def path_of(self, loop: Loop) -> str:
        return os.path.join(self.data_dir, loop.file)

    # -- importing ------------------------------------------------------------------------------------
    def _record(self, meta: dict) -> tuple[Loop, bool]:
        """Index an imported file; a file already there (same content) is not stored twice."""
        meta = dict(meta)
        meta.pop("rendition", None)
        existing = db.by_hash(self.db, meta["hash"])
        if existing is not None:
            return existing, False
        try:
            loop_id = db.insert(self.db, meta)
        except sqlite3.IntegrityError:  # imported at the same moment by someone else
            existing = db.by_hash(self.db, meta["hash"])
            assert existing is not None
            return existing, False
        except sqlite3.Error as exc:
            raise LibraryError(f"the library index cannot be written: {exc}") from None
        return self.get(loop_id), True

    async def import_file(self, path: str) -> tuple[Loop, bool]:
        try:
            meta = await self.pool.run(import_file, path, self.data_dir, self.rate)
        except AudioFileError as exc:
            raise LibraryError(str(exc)) from None
        except OSError as exc:
            raise LibraryError(f"cannot store {os.path.basename(path)}: {exc.strerror}") from None
        loop, new = self._record(meta)
        if new:
            log.info(
                "library: imported %s as loop %d (%s, %s BPM, %s)", path, loop.id, loop.category, loop.bpm, loop.key
            )
        return loop, new

    async def add_generated(
        self, audio: np.ndarray | None, rate: int, meta: dict, recipe: dict | None = None, encoded: tuple | None = None
    ) -> Loop:
        """Keep a generated take in the library (prepared by ``recipe`` first), with its provenance."""
        from padserver.library.importer import store_generated

        try:
            stored = await self.pool.run(store_generated, audio, rate, self.data_dir, self.rate, meta, recipe, encoded)
        except AudioFileError as exc:
            raise LibraryError(str(exc)) from None
        except OSError as exc:
            raise LibraryError(f"cannot store the generated loop: {exc.strerror}") from None
        loop, _ = self._record(stored)
        return loop

    def add_stored(self, stored: dict) -> Loop:
        """Index a take a worker already stored (``importer.store_generated``'s answer)."""
        return self._record(stored)[0]

    def import_many(
        self, paths: list[str], progress: Callable[[int, int, str], None] | None = None, workers: int | None = None
    ):
        """Synchronous import with worker processes (the CLI); yields (path, loop | None, new, error)."""
        import concurrent.futures
        import multiprocessing

        from padserver.loops.worker import worker_start

        files = audio_files(paths)
        workers = workers or max(1, (os.cpu_count() or 2) - 1)
        ctx = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=worker_start, initargs=(os.getpid(),)
        ) as pool:
            futures = {pool.submit(import_file, f, self.data_dir, self.rate): f for f in files}
            for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
                path = futures[future]
                try:
                    loop, new = self._record(future.result())
                    yield path, loop, new, None
                except (AudioFileError, LibraryError, OSError) as exc:
                    yield path, None, False, str(exc)
                if progress is not None:
                    progress(done, len(files), path)

    async def rendition(self, loop: Loop) -> np.ndarray:
        """The loop at the engine rate, rebuilt from the stored original when the cached one is missing."""
        path = rendition_path(self.data_dir, loop.hash, self.rate)
        if not os.path.exists(path):
            if not os.path.exists(self.path_of(loop)):
                raise LibraryError(f"the audio of loop {loop.id} ({loop.name}) is missing: {self.path_of(loop)}")
            try:
                path = await self.pool.run(make_rendition, self.data_dir, loop.file, loop.hash, self.rate)
            except AudioFileError as exc:
                raise LibraryError(f"loop {loop.id} ({loop.name}) cannot be read: {exc}") from None
        try:
            return await asyncio.to_thread(np.load, path)
        except (OSError, ValueError) as exc:  # a rendition cut short by a crash: make it again
            log.warning("rendition of loop %d is damaged (%s); rebuilding it", loop.id, exc)
            os.remove(path)
            return await self.rendition(loop)

    async def prepared(self, loop: Loop, recipe: dict) -> tuple[np.ndarray, dict]:
        """The loop prepared as ``recipe`` says (tempo, bars, downbeat, settings): audio and what was done."""
        info = await self.prepared_info(loop, recipe)
        try:
            audio = await asyncio.to_thread(np.load, info["path"])
        except (OSError, ValueError) as exc:
            raise LibraryError(f"loop {loop.id} ({loop.name}) cannot be prepared: {exc}") from None
        return audio, info

    async def prepared_info(self, loop: Loop, recipe: dict) -> dict:
        """The loop prepared as ``recipe`` says, in the cache: what was done and where (its audio not read)."""
        from padserver.library.prepared import cached, prepare_loop

        if not os.path.exists(self.path_of(loop)) and not os.path.exists(
            rendition_path(self.data_dir, loop.hash, self.rate)
        ):
            raise LibraryError(f"the audio of loop {loop.id} ({loop.name}) is missing: {self.path_of(loop)}")
        known = await asyncio.to_thread(cached, self.data_dir, loop.hash, self.rate, recipe)
        if known is not None:  # made before: no need to wait for a worker behind other jobs
            return known
        try:
            return await self.pool.run(prepare_loop, self.data_dir, loop.file, loop.hash, self.rate, recipe)
        except AudioFileError as exc:
            raise LibraryError(f"loop {loop.id} ({loop.name}) cannot be read: {exc}") from None
        except (OSError, ValueError) as exc:
            raise LibraryError(f"loop {loop.id} ({loop.name}) cannot be prepared: {exc}") from None

    # -- editing --------------------------------------------------------------------------------------
    def rename(self, loop_id: int, name: str) -> Loop:
        name = name.strip()
        if not name or len(name) > 64:
            raise LibraryError("a name is 1..64 characters")
        self.get(loop_id)
        self.db.execute("UPDATE loops SET name = ? WHERE id = ?", (name, int(loop_id)))
        return self.get(loop_id)

    def tag(self, loop_id: int, add: list[str] = (), remove: list[str] = ()) -> Loop:  # type: ignore[assignment]
        loop = self.get(loop_id)
        tags = [t for t in loop.tags if t not in remove]
        tags += [t for t in add if t not in tags]
        self.db.execute("UPDATE loops SET tags = ? WHERE id = ?", (json.dumps(tags), loop.id))
        return self.get(loop_id)

    def set_category(self, loop_id: int, category: str) -> Loop:
        if category not in CATEGORIES:
            raise LibraryError(f"category must be one of {', '.join(CATEGORIES)} (got {category!r})")
        self.get(loop_id)
        self.db.execute("UPDATE loops SET category = ? WHERE id = ?", (category, int(loop_id)))
        return self.get(loop_id)

    def declare(self, loop_id: int, bpm: float | None = None, key: str | None = None) -> Loop:
        """The user's tempo or key: it wins over the estimate."""
        self.get(loop_id)
        if bpm is not None:
            if not 20 <= bpm <= 300:
                raise LibraryError(f"bpm must be in range 20..300 (got {bpm:g})")
            self.db.execute("UPDATE loops SET bpm_user = ? WHERE id = ?", (float(bpm), int(loop_id)))
        if key is not None:
            self.db.execute("UPDATE loops SET key_user = ? WHERE id = ?", (key, int(loop_id)))
        return self.get(loop_id)

    def delete(self, loop_id: int, force: bool = False) -> Loop:
        loop = self.get(loop_id)
        users = self.users(loop.id)
        if users and not force:
            raise LibraryError(
                f"loop {loop.id} ({loop.name}) is used by {', '.join(users)}; delete it anyway with force"
            )
        self.db.execute("DELETE FROM loops WHERE id = ?", (loop.id,))
        stale = []
        for folder in (
            os.path.dirname(rendition_path(self.data_dir, loop.hash, self.rate)),
            os.path.dirname(prepared_path(self.data_dir, loop.hash, self.rate, {})),
        ):
            if os.path.isdir(folder):
                stale += [os.path.join(folder, n) for n in os.listdir(folder) if n.startswith(loop.hash)]
        for path in [self.path_of(loop), *stale]:
            try:
                os.remove(path)
            except FileNotFoundError:
                pass
        return loop

    def close(self) -> None:
        self.db.close()


class UnavailableLibrary:
    """Stands in when the library cannot be opened (a read-only or missing data folder).

    The daemon keeps running and playing; every library request gets the reason.
    """

    def __init__(self, data_dir: str, reason: str) -> None:
        self.data_dir = data_dir
        self.reason = reason
        self.users: Callable[[int], list[str]] = lambda loop_id: []

    def _fail(self, *args, **kwargs):
        raise LibraryError(f"the library is not available: {self.reason}")

    get = search = exists = import_file = rendition = prepared = add_generated = rename = tag = set_category = (
        declare
    ) = delete = _fail

    def close(self) -> None:
        pass
