"""Free the JACK server slots that servers killed without closing left behind.

JACK 2 keeps the running servers in a shared-memory registry of eight slots
(``/dev/shm/jack-shm-registry``). A server that exits cleanly frees its slot;
one killed (a crashed test run, a machine's processes ended at once) leaves
it, and JACK reclaims such a slot only for a server *of the same name*. The
tests give every server a name of its own, so after eight such deaths no
server starts on the machine again ("Too many servers already active"). Before
starting one, the harness frees the slots whose process is gone, under JACK's
own registry lock (a System V semaphore), as JACK does for a same-name slot,
and removes the shared memory and semaphores such a server left in /dev/shm.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import fcntl
import mmap
import os
import re
import struct
import threading
from collections.abc import Iterator

SHM = "/dev/shm"
REGISTRY = f"{SHM}/jack-shm-registry"
_SEMAPHORE_KEY = 0x282929  # JACK_SEMAPHORE_KEY
_SEM_UNDO = 0x1000
_MAGIC = 0x4A41434B  # "JACK"
_SERVERS = 8  # MAX_SERVERS
_SLOT = 264  # jack_shm_server_t: pid_t + char[257], padded to 4
_FIRST_SLOT = 24  # after magic, protocol, type, size, hdr_len, entry_len
_HEADER = _FIRST_SLOT + _SERVERS * _SLOT


class _SemBuf(ctypes.Structure):
    _fields_ = [("sem_num", ctypes.c_ushort), ("sem_op", ctypes.c_short), ("sem_flg", ctypes.c_short)]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


class _RegistryLock:
    """JACK's registry semaphore, taken as JACK takes it (undone by the kernel if we die holding it)."""

    def __init__(self) -> None:
        self.libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        self.semid = self.libc.semget(_SEMAPHORE_KEY, 0, 0)  # -1: no JACK ran yet, so nothing to lock

    def _add(self, value: int) -> None:
        if self.semid != -1:
            op = _SemBuf(0, value, _SEM_UNDO)
            if self.libc.semop(self.semid, ctypes.byref(op), 1) == -1:
                raise OSError(ctypes.get_errno(), "JACK's registry semaphore")

    def __enter__(self) -> _RegistryLock:
        self._add(-1)
        return self

    def __exit__(self, *exc: object) -> None:
        self._add(1)


_held = threading.RLock()  # this process's threads, one at a time
_depth = 0
_fd = -1


@contextlib.contextmanager
def registry_held() -> Iterator[None]:
    """While held, no other process of the harness starts or stops a JACK server, nor frees a slot: the
    registry's eight slots are the machine's, and tests in parallel workers share them. Re-entrant within a
    process (an flock on /dev/shm itself, so nothing is left behind; it ends with the process)."""
    global _depth, _fd
    with _held:
        if _depth == 0:
            fd = os.open(SHM, os.O_RDONLY)
            fcntl.flock(fd, fcntl.LOCK_EX)
            _fd = fd
        _depth += 1
        try:
            yield
        finally:
            _depth -= 1
            if _depth == 0:
                os.close(_fd)  # (the lock goes with it)
                _fd = -1


def free_dead_server_slots(path: str = REGISTRY) -> list[str]:
    """Free the slots of servers whose process is gone, and remove the files they left; returns their names.
    A registry this code does not recognise (another JACK build) is left alone."""
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return []  # no registry yet, or not ours to touch
    freed: list[str] = []
    try:
        if os.fstat(fd).st_size < _HEADER:
            return []
        with _RegistryLock(), mmap.mmap(fd, _HEADER) as header:
            magic = struct.unpack_from("<I", header, 0)[0]
            hdr_len = struct.unpack_from("<I", header, 16)[0]
            if magic != _MAGIC or hdr_len != _HEADER:
                return []
            for i in range(_SERVERS):
                at = _FIRST_SLOT + i * _SLOT
                pid = struct.unpack_from("<i", header, at)[0]
                if pid != 0 and not _alive(pid):
                    raw = bytes(header[at + 4 : at + _SLOT]).split(b"\0")[0].decode(errors="replace")
                    named = re.fullmatch(r"jack-\d+:(.*):", raw)  # (JACK keeps "jack-<uid>:<name>:")
                    freed.append(named.group(1) if named else raw)
                    header[at : at + _SLOT] = bytes(_SLOT)
    finally:
        os.close(fd)
    for name in freed:
        remove_server_files(name)
    return freed


def remove_server_files(name: str, folder: str = SHM) -> list[str]:
    """The shared memory (``jack_<server>_<n>_<n>``) and client semaphores (``jack_sem.<uid>_<server>_<client>``)
    of server ``name``, which JACK removes when the server closes and a killed one leaves; the ones removed."""
    shm = re.compile(rf"jack_{re.escape(name)}_\d+_\d+")
    sem = f"jack_sem.{os.getuid()}_{name}_"
    removed = []
    for entry in os.listdir(folder):
        # (a server named like this one plus "_…" would match its semaphores too: the tests' names have no "_")
        if shm.fullmatch(entry) or (entry.startswith(sem) and "_" not in name):
            try:
                os.unlink(os.path.join(folder, entry))
                removed.append(entry)
            except OSError:
                pass
    return removed
