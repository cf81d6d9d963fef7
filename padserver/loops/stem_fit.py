"""A separator's stems made to fit the loop they came from: decoded at the engine rate, lined up with it (an
encoder's delay or a service's padding shifts them), cut to its length, merged to the count asked for, and
what the separator left out added to "other", so they sum to the loop exactly. Runs in the worker pool.
"""

from __future__ import annotations

import numpy as np

ORDER = ("drums", "bass", "vocals", "guitar", "piano", "instrumental", "other")
VARIATIONS = {2: "two_stems_v1", 4: "six_stems_v1", 6: "six_stems_v1"}  # ElevenLabs' for each count
INTO_OTHER = {4: ("guitar", "piano")}  # four stems: six with these merged into "other"
MAX_LAG_S = 0.1  # the furthest a stem may sit from the loop and still be lined up


def _lag(reference: np.ndarray, candidate: np.ndarray, most: int) -> float:
    """How many frames ``candidate`` lags ``reference`` (both mono), within ±``most``: by cross-correlation,
    to a fraction of a frame (a parabola through the peak; a delay at another sample rate is rarely whole)."""
    n = 1 << int(np.ceil(np.log2(len(reference) + len(candidate) + 1)))
    spectrum = np.fft.rfft(reference, n).conj() * np.fft.rfft(candidate, n)
    corr = np.fft.irfft(spectrum, n)
    lags = np.concatenate([corr[n - most :], corr[: most + 1]])  # lags -most..most
    best = int(np.argmax(lags))
    fraction = 0.0
    if 0 < best < len(lags) - 1:
        left, peak, right = lags[best - 1 : best + 2]
        bend = left - 2 * peak + right
        fraction = 0.5 * (left - right) / bend if bend < 0 else 0.0
    return best - most + fraction


def _placed(audio: np.ndarray, lag: float, frames: int) -> np.ndarray:
    """``audio`` moved ``lag`` frames earlier (a fraction by the spectrum's phase) and cut or padded to ``frames``."""
    whole = int(np.floor(lag))
    fraction = lag - whole
    if fraction > 1e-6:
        n = audio.shape[1] + 64  # (a little room: the shift is circular)
        spectrum = np.fft.rfft(audio, n, axis=1) * np.exp(2j * np.pi * np.fft.rfftfreq(n) * fraction)
        audio = np.fft.irfft(spectrum, n, axis=1)[:, : audio.shape[1]].astype(np.float32)
    out = np.zeros((2, frames), dtype=np.float32)
    start = max(0, whole)
    at = max(0, -whole)
    part = audio[:, start : start + frames - at]
    out[:, at : at + part.shape[1]] = part
    return out


def fit_stems(original: np.ndarray, takes: list[tuple[str, tuple]], rate: int, count: int) -> tuple[dict, dict]:
    """(stems by name in the house order, figures) for ``original`` (2, n) from named takes (see `loops.decode.decode_take`).

    The figures: the lag the stems were moved by (frames), and the separator's residual — what is left of the
    loop once its stems are taken away, in dB below the loop — before it went into "other".
    """
    frames = original.shape[1]
    decoded: dict[str, np.ndarray] = {}
    from padserver.loops.decode import decode_take

    for name, take in takes:
        audio = decode_take(take, rate)
        key, i = name, 2
        while key in decoded:
            key, i = f"{name}{i}", i + 1
        decoded[key] = audio
    total = _sum(list(decoded.values()))
    lag = _lag(original.mean(axis=0), total.mean(axis=0), int(MAX_LAG_S * rate))
    stems = {name: _placed(audio, lag, frames) for name, audio in decoded.items()}
    stems = merged(stems, count)
    residual = original.astype(np.float32) - _sum(list(stems.values()))
    loud = float(np.sqrt(np.mean(np.square(original, dtype=np.float64))))
    left = float(np.sqrt(np.mean(np.square(residual, dtype=np.float64))))
    figures = {
        "lag_frames": round(float(lag), 2),
        "residual_db": round(20 * float(np.log10(max(left, 1e-12) / max(loud, 1e-12))), 1),
    }
    into = next((n for n in ("other", "instrumental") if n in stems), None)
    if into is None:
        into = "other"
        stems[into] = np.zeros((2, frames), dtype=np.float32)
    stems[into] = stems[into] + residual
    # (a last rounding pass: what float32 addition left over goes into the same stem, so the sum is the loop)
    stems[into] += original.astype(np.float32) - _sum(list(stems.values()))
    ordered = sorted(stems, key=_rank)
    return {n: np.ascontiguousarray(stems[n]) for n in ordered}, figures


def merged(stems: dict[str, np.ndarray], count: int) -> dict[str, np.ndarray]:
    """``stems`` with those a count of ``count`` leaves out added into "other" (in the house order)."""
    out = dict(stems)
    for name in INTO_OTHER.get(count, ()):
        if name in out:
            part = out.pop(name)
            out["other"] = out["other"] + part if "other" in out else part
    return {n: out[n] for n in sorted(out, key=_rank)}


def _rank(name: str) -> tuple[float, str]:
    return (ORDER.index(name) if name in ORDER else ORDER.index("instrumental") - 0.5, name)


def _sum(parts: list[np.ndarray]) -> np.ndarray:
    """The parts added up (as long as the longest)."""
    out = np.zeros((2, max(p.shape[1] for p in parts)), dtype=np.float32)
    for part in parts:
        out[:, : part.shape[1]] += part
    return out
