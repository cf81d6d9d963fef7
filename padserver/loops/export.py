"""Song export (worker side): the song rendered by the same engine code as live playback, faster than real time.

The engine is built as the live one is (sample rate, fades, master gain,
limiter), so the export equals what playback sends to JACK for the same song,
sample for sample. Nothing in the engine depends on where blocks begin (clip
repeats and the limiter's gain curve are per frame), so the export runs in
large blocks, which is what makes it fast. The file
is written beside its final name and renamed into place when complete: a
failed export (an unwritable folder, a full disk) leaves no partial file.
"""

from __future__ import annotations

import math
import os
import struct

import numpy as np

EXPORT_BLOCK = 8192
FORMATS = {"wav": "WAV", "flac": "FLAC", "mp3": "MP3"}
SUBTYPES = {
    ("wav", 16): "PCM_16",
    ("wav", 24): "PCM_24",
    ("wav", 32): "FLOAT",
    ("flac", 16): "PCM_16",
    ("flac", 24): "PCM_24",
}


class ExportError(ValueError):
    """An export that cannot be done, said plainly."""


def subtype(fmt: str, bits: int) -> str | None:
    if fmt == "mp3":
        return None
    if (fmt, bits) not in SUBTYPES:
        allowed = sorted(b for f, b in SUBTYPES if f == fmt)
        raise ExportError(f"{fmt} takes bits {', '.join(map(str, allowed))} (got {bits})")
    return SUBTYPES[(fmt, bits)]


class Progress:
    """The fraction of an export done, written into a small file the daemon reads while the worker runs."""

    def __init__(self, path: str | None, parts: int) -> None:
        self.fd = os.open(path, os.O_WRONLY) if path else None
        self.parts = max(1, parts)
        self.part = 0
        self.last = -1.0

    def at(self, done: int, total: int) -> None:
        fraction = (self.part + done / max(1, total)) / self.parts
        if self.fd is not None and fraction - self.last >= 0.005:
            os.pwrite(self.fd, struct.pack("<d", fraction), 0)
            self.last = fraction

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def read_progress(path: str) -> float:
    """Control side: the fraction a worker last wrote (0 until it has)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(8)
        return struct.unpack("<d", data)[0] if len(data) == 8 else 0.0
    except OSError:
        return 0.0


def render(job: dict, progress: Progress | None = None) -> np.ndarray:
    """The song's (2, frames) mix at the engine rate, from frame 0 = the first bar of the region."""
    from padserver.drivers.offline import OfflineRenderer
    from padserver.engine import commands as cmd
    from padserver.engine.mixer import Engine
    from padserver.engine.song import SongClip

    rate, bpb = job["rate"], job["beats_per_bar"]
    engine = Engine(rate, EXPORT_BLOCK, tempo=job["tempo"], beats_per_bar=bpb, fade_ms=job["fade_ms"])
    engine.set_master_gain_now(job["master_gain"])  # as live, where it was set long before the song
    engine.set(cmd.SetLimiter(job["limiter"], job["limiter_ceiling_db"]))
    loaded: dict[int, tuple[np.ndarray, float]] = {}
    clips = []
    for row, track in enumerate(job["song"]["tracks"]):
        for c in track["clips"]:
            source = job["loops"].get(c["loop_id"])  # prepared by the library at the song's tempo
            if source is None:
                raise ExportError(f"clip {c['id']}'s loop {c['loop_id']} is not in the library")
            if c["loop_id"] not in loaded:
                loaded[c["loop_id"]] = (np.load(source["path"]), source["period"])
            audio, period = loaded[c["loop_id"]]
            start = (c["start"] - 1) * bpb
            clips.append(
                SongClip(row, audio, float(start), float(start + c["bars"] * bpb), start - c["offset"], period)
            )
    gains = np.asarray(job["gains"], dtype=np.float32).reshape(-1, 2)
    first, last = job["region"]
    engine.send(cmd.SetSong(tuple(clips), gains, None))
    _effects(engine, job, bpb)
    engine.send(cmd.Transport("locate", float((first - 1) * bpb)))
    engine.send(cmd.Transport("play"))
    frames = int(math.ceil((last - first) * bpb * rate * 60.0 / job["tempo"])) + int(job["tail"] * rate)
    report = None if progress is None else (lambda frame: progress.at(frame, frames))
    return OfflineRenderer(engine, EXPORT_BLOCK).render(frames, before_block=report, interleaved=True)


def _effects(engine, job: dict, bpb: int) -> None:
    """The tracks' and the master's effects, as playback has them (the same chains, the same code): set on the
    engine at once, before it renders (as commands they could spread over its first blocks)."""
    from padserver.engine import commands as cmd
    from padserver.engine.effects import ECHO, MAX_DELAY_S
    from padserver.engine.fx_commands import HANDLERS
    from padserver.state.effects import engine_settings

    def apply(command) -> None:
        HANDLERS[type(command)](engine, command, 0)

    chains = [(row, track.get("fx") or {}) for row, track in enumerate(job["song"]["tracks"])]
    for row, fx in [*chains, (-1, job.get("master_fx") or {})]:
        if not fx:
            continue
        settings = engine_settings(fx, bpb, master=row < 0)
        if dict(settings)[ECHO] > 0.0:
            line = np.zeros((2, int(MAX_DELAY_S * job["rate"]) + 4), dtype=np.float32)
            apply(cmd.SetFxLine(row, line) if row < 0 else cmd.SetTrackFxLine(row, line))
        for what, value in settings:
            apply(cmd.SetFx(row, what, value) if row < 0 else cmd.SetTrackFx(row, what, value))


def export_song(job: dict) -> dict:
    """Worker: render the song (and with ``stems`` each track alone) and write it atomically; what was written."""
    tracks = job["song"]["tracks"]
    progress = Progress(job.get("progress"), 1 + (len(tracks) if job.get("stems") else 0))
    try:
        done = _export_one(job, render(job, progress), job["path"])
        if job.get("stems"):
            base, ext = os.path.splitext(job["path"])
            done["stems"] = []
            for i, track in enumerate(tracks):
                progress.part = i + 1
                alone = [g if j == i else [0.0, 0.0] for j, g in enumerate(job["gains"])]
                # a stem is the track before the master limiter, so the stems add up to the mix
                stem_job = {**job, "gains": alone, "limiter": False, "normalize": None}
                name = "".join(c if c.isalnum() or c in "-_" else "-" for c in track["name"]) or f"track{i + 1}"
                path = f"{base}-{i + 1:02d}-{name}{ext}"
                done["stems"].append(_export_one(stem_job, render(stem_job, progress), path)["path"])
        return done
    finally:
        progress.close()


def _export_one(job: dict, mix: np.ndarray, path: str) -> dict:
    import soundfile as sf

    from padserver.files import atomic_file

    fmt = job["format"]
    kind = subtype(fmt, job["bits"])
    out_rate = job["out_rate"] or job["rate"]
    if out_rate != job["rate"]:
        import soxr

        mix = soxr.resample(mix.T, job["rate"], out_rate, quality="VHQ").T
    if job["normalize"] is not None:
        from padserver.loops.loudness import integrated_lufs

        loudness = integrated_lufs(mix, out_rate)
        if math.isfinite(loudness):
            gain = 10 ** ((job["normalize"] - loudness) / 20)
            peak = float(np.max(np.abs(mix))) or 1.0
            mix = mix * min(gain, 10 ** (-1.0 / 20) / peak)  # never over −1 dBFS
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        raise ExportError(f"no such folder: {folder}")
    try:
        with atomic_file(path) as fh:
            sf.write(fh, np.ascontiguousarray(mix.T, dtype=np.float32), out_rate, format=FORMATS[fmt], subtype=kind)
    except (OSError, RuntimeError) as exc:  # libsndfile reports a full disk as a RuntimeError
        raise ExportError(f"cannot write {path}: {getattr(exc, 'strerror', None) or exc}") from None
    return {"path": path, "frames": int(mix.shape[1]), "rate": out_rate, "seconds": mix.shape[1] / out_rate}
