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
    return _planar(data, int(rate), sample_rate, os.path.basename(path))


def decode_bytes(
    data: bytes, sample_rate: int, fmt: str = "", source_rate: int = 48000, channels: int = 2
) -> np.ndarray:
    """Decode a provider's answer to (2, frames) float32 at ``sample_rate``.

    ``fmt`` "pcm_s16le" is raw 16-bit little-endian PCM at ``source_rate`` with
    ``channels`` interleaved (a streamed session); anything else is a file in
    memory (MP3, WAV, FLAC, OGG/Opus) that libsndfile recognises.
    """
    import io

    import soundfile as sf

    if not data:
        raise AudioFileError("the provider sent no audio")
    if fmt == "pcm_s16le":
        usable = len(data) - len(data) % (2 * channels)
        pcm = np.frombuffer(data[:usable], dtype="<i2").reshape(-1, channels).astype(np.float32) / 32768.0
        rate = source_rate
    else:
        try:
            pcm, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
        except Exception as exc:
            raise AudioFileError(f"the provider's audio ({fmt or 'unknown format'}) cannot be read: {exc}") from None
    return _planar(pcm, int(rate), sample_rate, "the provider's audio")


def decode_take(take: tuple, sample_rate: int, remove: bool = False) -> np.ndarray:
    """A provider's take as (its bytes, or the path of a file holding them; format; sample rate; channels)
    decoded at ``sample_rate`` (see `decode_bytes`); with ``remove`` the file is removed once read."""
    source, fmt, source_rate, channels = take
    if isinstance(source, str):
        with open(source, "rb") as fh:
            source = fh.read()
        if remove:
            os.remove(take[0])
    return decode_bytes(source, sample_rate, fmt, source_rate, channels)


def _planar(data: np.ndarray, rate: int, sample_rate: int, what: str) -> np.ndarray:
    if data.shape[0] == 0:
        raise AudioFileError(f"{what} holds no audio")
    if data.shape[1] == 1:
        data = np.repeat(data, 2, axis=1)
    elif data.shape[1] > 2:
        data = data[:, :2]
    if rate != sample_rate:
        import soxr

        data = soxr.resample(data, rate, sample_rate, quality="VHQ").astype(np.float32, copy=False)
    if not np.all(np.isfinite(data)):
        raise AudioFileError(f"{what} holds invalid samples (NaN or infinity)")
    return np.ascontiguousarray(data.T)
