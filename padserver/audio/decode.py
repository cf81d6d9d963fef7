"""Reading audio files into planar float32 at the engine rate (runs in worker processes)."""

from __future__ import annotations

import os

import numpy as np

EXTENSIONS = (".wav", ".flac", ".aif", ".aiff", ".ogg", ".oga", ".mp3")


class AudioFileError(ValueError):
    """An audio file that cannot be used, with a reason a musician can act on."""


def decode(path: str, sample_rate: int) -> np.ndarray:
    """Decode ``path`` to a C-contiguous (2, frames) float32 array at ``sample_rate``.

    Mono is spread to both sides; more than two channels keep the first two.
    Resampling uses soxr (very high quality).
    """
    import soundfile as sf

    if not os.path.isfile(path):
        raise AudioFileError(f"no such file: {path}")
    if not path.lower().endswith(EXTENSIONS):
        raise AudioFileError(f"not a supported audio file (WAV, FLAC, AIFF, OGG, MP3): {path}")
    try:
        data, rate = sf.read(path, dtype="float32", always_2d=True)
    except Exception as exc:  # libsndfile reports everything as one error type
        raise AudioFileError(f"cannot read {os.path.basename(path)}: {exc}") from None
    if data.shape[0] == 0:
        raise AudioFileError(f"{os.path.basename(path)} holds no audio")
    if data.shape[1] == 1:
        data = np.repeat(data, 2, axis=1)
    elif data.shape[1] > 2:
        data = data[:, :2]
    if rate != sample_rate:
        import soxr

        data = soxr.resample(data, rate, sample_rate, quality="VHQ").astype(np.float32, copy=False)
    if not np.all(np.isfinite(data)):
        raise AudioFileError(f"{os.path.basename(path)} holds invalid samples (NaN or infinity)")
    return np.ascontiguousarray(data.T)
