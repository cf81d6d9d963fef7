"""What a test leaves behind: processes it started that outlive it, and files in the temporary folder.

The test process makes itself a child subreaper (Linux): a process a test started whose parent died (a pool
worker of a daemon killed with SIGKILL, say) is handed to it instead of to init, so it is found, named and
ended here rather than running on after the suite.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import tempfile
import time

import psutil

from padserver.harness import scratch

PR_SET_CHILD_SUBREAPER = 36
GRACE_S = 20.0  # a process the test ended may take this long to go on a loaded machine


def become_subreaper() -> bool:
    """Orphaned descendants of this process become its children (Linux only); whether that holds."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _children() -> list[psutil.Process]:
    try:
        return psutil.Process().children()
    except psutil.Error:
        return []


def _reap(process: psutil.Process) -> bool:
    """Collect a child that has exited (a zombie); whether it had."""
    try:
        if process.status() != psutil.STATUS_ZOMBIE:
            return False
        os.waitpid(process.pid, os.WNOHANG)
    except (psutil.Error, ChildProcessError):
        pass
    return True


def _describe(process: psutil.Process) -> str:
    try:
        return f"pid {process.pid}: {' '.join(process.cmdline())[:200]}"
    except psutil.Error:
        return f"pid {process.pid}"


class Leftovers:
    """Before a test: what is there. After it: what the test left, ended and removed, as a list of words."""

    def __init__(self) -> None:
        self.temp = tempfile.gettempdir()
        self._children: set[int] = set()
        self._files: set[str] = set()
        self._scratch = 0

    def before(self) -> None:
        self._children = {p.pid for p in _children()}
        self._files = set(os.listdir(self.temp))
        self._scratch = len(scratch.MADE)

    def after(self, kept: set[int], kept_files: set[str]) -> list[str]:
        """End what the test left running and remove what it left in the temporary folder; what that was.
        ``kept``: processes of the session (its JACK server); ``kept_files``: their files."""
        for path in scratch.MADE[self._scratch :]:  # the test's own folders, made by the harness
            shutil.rmtree(path, ignore_errors=True)
        del scratch.MADE[self._scratch :]
        problems = self._processes(kept)
        for name in sorted(set(os.listdir(self.temp)) - self._files - kept_files):
            problems.append(f"{os.path.join(self.temp, name)} was left in the temporary folder")
            path = os.path.join(self.temp, name)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                try:
                    os.remove(path)
                except OSError:
                    pass
        return problems

    def _processes(self, kept: set[int]) -> list[str]:
        deadline = time.monotonic() + GRACE_S
        while True:
            left = [p for p in _children() if p.pid not in self._children and p.pid not in kept and not _reap(p)]
            if not left or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        problems = []
        for process in left:
            problems.append(f"a process the test started outlived it ({_describe(process)})")
            try:
                for child in process.children(recursive=True):
                    child.send_signal(signal.SIGKILL)
                process.send_signal(signal.SIGKILL)
                process.wait(5)
            except psutil.Error:
                pass
        return problems
