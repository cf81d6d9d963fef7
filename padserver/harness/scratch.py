"""Folders for a test's or a benchmark's files, removed when the process ends (a loaded kit is gigabytes)."""

from __future__ import annotations

import atexit
import shutil
import tempfile

MADE: list[str] = []  # every folder made here, in order (a test's harness removes those of the test)


def scratch_dir(prefix: str = "padserver-bench-") -> str:
    path = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, path, True)
    MADE.append(path)
    return path
