"""Writing the master to a file (``--record``) without I/O on the audio thread.

The audio thread copies each block into a preallocated ring; a writer thread
drains it into the file. With one writer and one reader, two counters suffice.
"""

from __future__ import annotations

import logging
import os
import threading

import numpy as np

from padserver.engine.ring import Ring

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
        self._ring = Ring(int(seconds * sample_rate), 2, np.float32)  # frames as rows, as the file takes them
        self.overflows = 0
        self.frames = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="padserver-record", daemon=True)
        self._thread.start()

    def push(self, block: np.ndarray) -> None:
        """Audio thread: copy a (2, n) block into the ring, or count an overflow."""
        if block.shape[1] > self._ring.room():
            self.overflows += 1
            return
        self._ring.push_block(block)

    def _drain(self) -> None:
        ring = self._ring
        avail = ring.written - ring.read
        while avail > 0:
            i = ring.read % ring.capacity
            k = min(avail, ring.capacity - i)
            self._file.write(ring.rows[i : i + k])
            ring.read += k
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
