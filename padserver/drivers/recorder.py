"""Writing the master to a file (``--record``) without I/O on the audio thread.

The audio thread copies each block into a preallocated ring; a writer thread
drains it into the file. With one writer and one reader, two counters suffice.
"""

from __future__ import annotations

import logging
import os
import threading

import numpy as np

log = logging.getLogger(__name__)

FORMATS = {".wav": ("WAV", "FLOAT"), ".flac": ("FLAC", "PCM_24")}


def check_record_path(path: str) -> None:
    ext = os.path.splitext(path)[1].lower()
    if ext not in FORMATS:
        raise ValueError(f"record file must end in .wav or .flac (got {path!r})")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ValueError(f"record folder does not exist: {folder}")


class Recorder:
    def __init__(self, path: str, sample_rate: int, seconds: float = 10.0) -> None:
        check_record_path(path)
        import soundfile as sf

        fmt, subtype = FORMATS[os.path.splitext(path)[1].lower()]
        self.path = path
        self._file = sf.SoundFile(path, "w", samplerate=sample_rate, channels=2, format=fmt, subtype=subtype)
        self._cap = int(seconds * sample_rate)
        self._ring = np.zeros((2, self._cap), dtype=np.float32)
        self._out = np.zeros((self._cap, 2), dtype=np.float32)
        self.written = 0  # audio thread
        self.read = 0  # writer thread
        self.overflows = 0
        self.frames = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="padserver-record", daemon=True)
        self._thread.start()

    def push(self, block: np.ndarray) -> None:
        """Audio thread: copy a (2, n) block into the ring, or count an overflow."""
        n = block.shape[1]
        if self.written - self.read + n > self._cap:
            self.overflows += 1
            return
        i = self.written % self._cap
        k = min(n, self._cap - i)
        self._ring[:, i : i + k] = block[:, :k]
        if k < n:
            self._ring[:, : n - k] = block[:, k:]
        self.written += n

    def _drain(self) -> None:
        avail = self.written - self.read
        while avail > 0:
            i = self.read % self._cap
            k = min(avail, self._cap - i)
            out = self._out[:k]
            out[:] = self._ring[:, i : i + k].T
            self._file.write(out)
            self.read += k
            self.frames += k
            avail -= k

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            try:
                self._drain()
            except Exception:
                log.exception("recording to %s failed; recording stops", self.path)
                return

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._drain()
        self._file.close()
        if self.overflows:
            log.warning("recording lost %d blocks (the disk was too slow)", self.overflows)
        log.info("recorded %.1f s to %s", self.frames / self._file.samplerate, self.path)
