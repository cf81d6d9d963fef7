"""Loop preparation (worker side): any audio in, a bar-exact, tempo-fitted, click-free loop out.

The steps: find the first downbeat at the source tempo, take N bars from
there (and a little more on each side, for the stretcher's edges and the
seam), stretch them to the target tempo keeping the pitch, cut exactly N bars
at the target tempo, crossfade the seam with the audio that followed the
loop (so the last frame flows into the first as it did in the source),
and normalise the loudness. (The library draws the prepared loop's overview.)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from padserver.loops import attacks
from padserver.loops.downbeat import find_downbeat
from padserver.loops.loudness import normalise, peak_normalise

_EDGE_S = 0.25  # audio kept beyond the loop on each side for the stretcher's edges
_SAME_TEMPO = 1e-4  # tempo ratios closer to 1 than this play unstretched


@dataclass(frozen=True)
class Settings:
    """How loops are prepared (the config's ``loops`` section)."""

    lufs: float | None = -14.0  # None: keep the level as it is
    true_peak_db: float = -1.0
    mode: str = "match"  # match: toward ``lufs`` within ``max_limiting_db`` of limiting; peak: the true peak only
    max_limiting_db: float = 1.0
    seam_ms: float = 10.0
    level_db: float = 0.0  # where the loop sits against ``lufs`` (its kind's place in the mix)
    stretch: bool = True  # False: keep the source tempo's length (the loop plays resampled instead)


def settings_from(loops) -> dict:
    """``Settings`` fields as the config's ``loops`` section sets them (its kind's level is the caller's)."""
    off = loops.normalize == "off"
    return {
        "lufs": None if off else loops.lufs,
        "mode": "match" if off else loops.normalize,
        "max_limiting_db": loops.max_limiting_db,
        "true_peak_db": loops.true_peak_db,
        "seam_ms": loops.seam_ms,
    }


@dataclass
class Prepared:
    audio: np.ndarray  # (2, frames) float32, frames = ceil(period)
    rate: int
    bars: int
    bpm: float  # the tempo it is fitted to
    period: float  # exact loop length in frames
    source_bpm: float
    downbeat_s: float  # where in the source the loop starts
    downbeat_how: str
    lufs: float
    true_peak_db: float

    def info(self) -> dict:
        out = {k: v for k, v in asdict(self).items() if k != "audio"}
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in out.items()}


def _slice(audio: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Frames [start, stop) of ``audio``, silence where that lies outside it."""
    out = np.zeros((audio.shape[0], stop - start), np.float32)
    a, b = max(0, start), min(audio.shape[1], stop)
    if b > a:
        out[:, a - start : b - start] = audio[:, a:b]
    return out


def _has_sound(x: np.ndarray) -> bool:
    return x.size > 0 and float(np.max(np.abs(x))) > 1e-4


def crossfade_seam(loop: np.ndarray, after: np.ndarray, before: np.ndarray, k: int) -> np.ndarray:
    """Make the seam flow: fade what followed the loop into its start (or what preceded it into its end)."""
    k = min(k, loop.shape[1] // 2, after.shape[1])
    if k <= 0:
        return loop
    fade_in = attacks.ramp(k)
    out = loop.copy()
    if _has_sound(after[:, :k]):
        out[:, :k] = loop[:, :k] * fade_in + after[:, :k] * (1.0 - fade_in)
    elif _has_sound(before[:, -k:]):
        out[:, -k:] = loop[:, -k:] * (1.0 - fade_in) + before[:, -k:] * fade_in
    elif _has_sound(loop[:, -1:]):  # nothing on either side and a sound cut off: fade it out into the seam
        out[:, -k:] *= 1.0 - fade_in
    return out


def prepare(
    audio: np.ndarray,
    rate: int,
    source_bpm: float,
    target_bpm: float,
    bars: int | None,
    beats_per_bar: int = 4,
    settings: Settings | None = None,
    downbeat_s: float | None = None,
) -> Prepared:
    """Fit (channels, frames) ``audio`` at ``rate`` (the engine rate) whose tempo is ``source_bpm``.

    ``bars`` None takes the whole bars the audio holds from its first downbeat.
    """
    from padserver.loops.stretch import stretch

    settings = settings or Settings()
    if audio.ndim != 2 or audio.shape[0] != 2:
        raise ValueError("loop audio must be (2, frames)")
    if downbeat_s is None:
        found = find_downbeat(audio, rate, source_bpm, beats_per_bar)
        downbeat, how = found.frame, found.how
    else:
        downbeat, how = downbeat_s * rate, "given"
    if bars is None:
        bars = bars_in(audio.shape[1] - int(downbeat), rate, source_bpm, beats_per_bar)
    if not settings.stretch:
        target_bpm = source_bpm
    ratio = source_bpm / target_bpm if abs(source_bpm / target_bpm - 1.0) > _SAME_TEMPO else 1.0
    target_bar = rate * 60.0 / target_bpm * beats_per_bar
    period = bars * target_bar
    length = math.ceil(period - 1e-6)
    seam = max(1, int(settings.seam_ms * rate / 1000))
    # source frames to take: the loop, the seam after it, and edges for the stretcher
    edge = int(_EDGE_S * rate)
    first = int(math.floor(downbeat))
    need = int(math.ceil((length + seam) / ratio))
    loop_frames = int(round(period / ratio))  # the loop in source frames
    available = audio.shape[1] - first
    bar_frames = rate * 60.0 / source_bpm * beats_per_bar
    if 0 < available < loop_frames - 0.05 * bar_frames and _has_sound(audio[:, -1:]):
        # the sound stops short of the loop's end, mid-note: fade it out rather than cut it
        k = min(seam, audio.shape[1])
        audio = audio.copy()
        audio[:, -k:] *= np.linspace(1.0, 0.0, k, dtype=np.float32)
    elif loop_frames - 0.05 * bar_frames <= available < need + edge:
        # the file ends where the loop does: it is a loop already, and what follows its end is its start
        audio = np.concatenate([audio[:, : first + loop_frames], audio[:, first : first + need + edge]], axis=1)
    piece = _slice(audio, first - edge, first + need + edge)
    if ratio != 1.0:  # the attacks copied in as they were, on time: the stretch smears and moves them
        piece = attacks.keep(stretch(piece, rate, ratio), piece, ratio, rate)
    # the downbeat, in the (stretched) piece's frames; the fraction of a frame is kept by the stretch
    at = int(round((edge + (downbeat - first)) * ratio))
    loop = _slice(piece, at, at + length)
    after = _slice(piece, at + length, at + length + seam)
    before = _slice(piece, at - seam, at)
    loop = crossfade_seam(loop, after, before, seam)
    lufs, peak = -math.inf, -math.inf
    level = settings.level_db
    if settings.lufs is not None and settings.mode == "peak":
        loop, lufs, peak = peak_normalise(loop, rate, settings.true_peak_db + min(0.0, level))
    elif settings.lufs is not None:
        target = settings.lufs + level
        loop, lufs, peak = normalise(loop, rate, target, settings.true_peak_db, settings.max_limiting_db)
    else:
        from padserver.loops.loudness import integrated_lufs, true_peak_db

        lufs, peak = integrated_lufs(loop, rate), true_peak_db(loop, rate)
    return Prepared(
        audio=np.ascontiguousarray(loop, dtype=np.float32),
        rate=rate,
        bars=bars,
        bpm=float(target_bpm),
        period=period,
        source_bpm=float(source_bpm),
        downbeat_s=downbeat / rate,
        downbeat_how=how,
        lufs=lufs,
        true_peak_db=peak,
    )


def prepare_recipe(audio: np.ndarray, rate: int, recipe: dict) -> Prepared:
    """``prepare`` as a recipe dict says (source_bpm, bpm, bars, beats_per_bar, downbeat_s, settings)."""
    return prepare(
        np.ascontiguousarray(audio, dtype=np.float32),
        rate,
        recipe["source_bpm"],
        recipe["bpm"],
        recipe["bars"],
        recipe["beats_per_bar"],
        Settings(**recipe["settings"]),
        recipe.get("downbeat_s"),
    )


def bars_in(frames: int, rate: int, bpm: float, beats_per_bar: int = 4) -> int:
    """Whole bars a loop of ``frames`` holds at ``bpm`` (at least one; half a bar over rounds up)."""
    bar = rate * 60.0 / bpm * beats_per_bar
    return max(1, math.floor(frames / bar + 0.5))
