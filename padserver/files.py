"""Writing files so that a crash at any moment leaves the old file or the new one, never half of one."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any


def fsync_dir(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_file(path: str, mode: str = "wb", keep_previous: bool = False, durable: bool = True) -> Iterator[IO[Any]]:
    """Write ``path`` through a temporary file beside it, renamed over it when the block ends.

    ``keep_previous`` keeps the file it replaces as ``<path>.prev``; ``durable``
    fsyncs the data and the folder (a cache that is rebuilt when damaged can skip
    that). A temporary file a crash leaves behind ends in ``.part``.
    """
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, exist_ok=True)
    tmp = f"{path}.{os.getpid()}.part"
    try:
        with open(tmp, mode, encoding=None if "b" in mode else "utf-8") as fh:
            yield fh
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise
    if keep_previous and os.path.exists(path):
        os.replace(path, path + ".prev")
    os.replace(tmp, path)
    if durable:
        fsync_dir(folder)
