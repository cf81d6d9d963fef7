"""Importing a file into the library (worker side): hash, keep the original, analyse, prepare a rendition."""

from __future__ import annotations

import hashlib
import os
import shutil

import numpy as np

from padserver.files import atomic_file
from padserver.loops.decode import EXTENSIONS, AudioFileError

AUDIO_DIR = os.path.join("library", "audio")
RENDITION_DIR = os.path.join("library", "renditions")

_CATEGORY_WORDS = {
    "drums": ("drum", "kick", "snare", "hat", "beat", "break", "perc", "clap", "tom", "cymbal", "shaker"),
    "bass": ("bass", "sub", "808"),
    "synth": ("synth", "lead", "arp", "pad", "pluck", "saw"),
    "keys": ("piano", "keys", "rhodes", "organ", "chord", "epiano"),
    "guitar": ("guitar", "gtr", "riff"),
    "vocals": ("vocal", "vox", "voice", "choir", "acapella"),
    "fx": ("fx", "riser", "impact", "sweep", "noise", "whoosh", "hit"),
}


def guess_category(name: str) -> str:
    lower = name.lower()
    for category, words in _CATEGORY_WORDS.items():
        if any(w in lower for w in words):
            return category
    return "other"


def file_hash(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _atomic_copy(src: str, dst: str) -> None:
    with open(src, "rb") as fin, atomic_file(dst) as fout:
        shutil.copyfileobj(fin, fout, 1 << 20)


def rendition_path(data_dir: str, digest: str, rate: int) -> str:
    return os.path.join(data_dir, RENDITION_DIR, digest[:2], f"{digest}-{rate}.npy")


def write_rendition(audio: np.ndarray, path: str) -> None:
    # a cache: rebuilt from the stored original when missing or damaged, so no fsync
    with atomic_file(path, durable=False) as fh:
        np.save(fh, np.ascontiguousarray(audio, dtype=np.float32))


def make_rendition(data_dir: str, stored: str, digest: str, rate: int) -> str:
    """Worker: the engine-rate rendition of a stored loop (built again when missing)."""
    from padserver.loops.decode import decode

    path = rendition_path(data_dir, digest, rate)
    if not os.path.exists(path):
        write_rendition(decode(os.path.join(data_dir, stored), rate), path)
    return path


def import_file(src: str, data_dir: str, rate: int) -> dict:
    """Worker: everything the index needs about ``src``, with the original stored and a rendition made."""
    import soundfile as sf

    from padserver.library.analysis import analyse
    from padserver.loops.decode import decode

    if not os.path.isfile(src):
        raise AudioFileError(f"no such file: {src}")
    if not src.lower().endswith(EXTENSIONS):
        raise AudioFileError(f"not a supported audio file (WAV, FLAC, AIFF, OGG, MP3): {src}")
    digest = file_hash(src)
    ext = os.path.splitext(src)[1].lower()
    stored = os.path.join(AUDIO_DIR, digest[:2], digest + ext)
    try:
        info = sf.info(src)
    except Exception as exc:
        raise AudioFileError(f"cannot read {os.path.basename(src)}: {exc}") from None
    native = decode(src, int(info.samplerate))  # (2, frames) at its own rate, for analysis
    # the file's name and its folder's may say its tempo or its genre ("Loops/DnB/amen_172bpm.wav")
    said = os.path.join(os.path.basename(os.path.dirname(os.path.abspath(src))), os.path.basename(src))
    analysis = analyse(native, int(info.samplerate), said)
    full = os.path.join(data_dir, stored)
    if not os.path.exists(full):
        _atomic_copy(src, full)
    rendition = rendition_path(data_dir, digest, rate)
    if not os.path.exists(rendition):
        if int(info.samplerate) == rate:
            prepared = native
        else:  # resample what is already decoded rather than decoding again
            import soxr

            prepared = soxr.resample(native.T, int(info.samplerate), rate, quality="VHQ").T
        write_rendition(prepared, rendition)
    name = os.path.splitext(os.path.basename(src))[0][:64]
    bars = None
    if analysis.bpm:
        bars = max(1, round(analysis.duration * analysis.bpm / 60.0 / 4.0))
    return {
        "hash": digest,
        "name": name,
        "category": guess_category(name),
        "file": stored,
        "duration": analysis.duration,
        "sample_rate": int(info.samplerate),
        "channels": int(info.channels),
        "bars": bars,
        "bpm": analysis.bpm,
        "bpm_confidence": analysis.bpm_confidence,
        "key": analysis.key,
        "key_confidence": analysis.key_confidence,
        "rms_db": analysis.rms_db,
        "peak": analysis.peak,
        "source": "imported",
        "overview": analysis.overview,
        "rendition": rendition,
    }


def store_generated(
    audio: np.ndarray | None,
    rate: int,
    data_dir: str,
    engine_rate: int,
    meta: dict,
    recipe: dict | None = None,
    encoded: tuple | None = None,
) -> dict:
    """Worker: prepare a generated take, keep it (FLAC, lossless for its 24 bits) with its rendition, say what it is.

    ``encoded`` is (bytes, format, rate, channels) for a provider that answers
    with a file or raw PCM, or (path, format, rate, channels) for a take a worker or the network process wrote
    to a file ("npy": an array); ``recipe`` (tempo, bars, downbeat, settings) fits
    the take to the bar before it is kept, so a kept take starts on its downbeat.
    """
    import io

    import soundfile as sf

    from padserver.library.analysis import analyse
    from padserver.loops.decode import decode_take

    if encoded is not None and encoded[1] == "npy":  # a take a worker left in a file
        audio, rate = np.load(encoded[0]), encoded[2]
        os.remove(encoded[0])
    elif encoded is not None:  # encoded audio (or a file of it the network process left)
        audio, rate = decode_take(encoded, engine_rate, remove=True), engine_rate
    assert audio is not None
    if recipe is not None:
        from padserver.loops.prepare import prepare_recipe

        if rate != engine_rate:
            audio = __import__("soxr").resample(audio.T, rate, engine_rate, quality="VHQ").T
            rate = engine_rate
        if recipe.get("bars") and recipe.get("source_bpm"):
            wanted = recipe["bars"] * recipe["beats_per_bar"] * 60.0 / recipe["source_bpm"]
            got = audio.shape[1] / engine_rate
            if got < 0.5 * wanted:  # a cut-off answer: most of the loop would be silence
                raise AudioFileError(f"the provider's audio is too short: {got:.1f} s for a {wanted:.1f} s loop")
        prepared = prepare_recipe(audio, engine_rate, recipe)
        audio = prepared.audio
        meta = {**meta, "bars": prepared.bars, "bpm": prepared.bpm}
    buffer = io.BytesIO()
    sf.write(buffer, np.ascontiguousarray(audio.T), rate, format="FLAC", subtype="PCM_24")
    data = buffer.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    stored = os.path.join(AUDIO_DIR, digest[:2], digest + ".flac")
    full = os.path.join(data_dir, stored)
    if not os.path.exists(full):
        with atomic_file(full) as fh:
            fh.write(data)
    rendition = rendition_path(data_dir, digest, engine_rate)
    if not os.path.exists(rendition):
        write_rendition(
            audio if rate == engine_rate else __import__("soxr").resample(audio.T, rate, engine_rate).T, rendition
        )
    analysis = analyse(audio, rate, estimate=False)  # its tempo and key are what was asked for
    out = {
        "hash": digest,
        "file": stored,
        "duration": analysis.duration,
        "sample_rate": rate,
        "channels": 2,
        "bpm_confidence": 1.0,
        "key_confidence": 1.0,
        "rms_db": analysis.rms_db,
        "peak": analysis.peak,
        "source": "generated",
        "overview": analysis.overview,
    }
    out.update(meta)  # name, category, bpm, key, bars, provider, model, prompt, params, seed, watermark
    return out
