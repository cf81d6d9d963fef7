"""Loudness of a loop (ITU-R BS.1770-4 integrated, true peak) and a safety limiter (worker side).

A loop repeats, so everything here treats its audio as circular: the
K-weighting filter is applied in the frequency domain over the whole loop,
a loop shorter than a few gating blocks is measured as it will be heard
(repeated), and the limiter's gain wraps around the seam.
"""

from __future__ import annotations

import math

import numpy as np

SILENT_LUFS = -70.0  # the absolute gate: below this a loop is silence, and is left alone
_BLOCK_S = 0.4
_MIN_MEASURE_S = 3.0


def _biquad_response(b: tuple[float, ...], a: tuple[float, ...], w: np.ndarray) -> np.ndarray:
    z = np.exp(-1j * w)
    return np.abs((b[0] + b[1] * z + b[2] * z * z) / (a[0] + a[1] * z + a[2] * z * z))


def _k_weighting(rate: int, bins: int) -> np.ndarray:
    """|H(f)| of BS.1770's two-stage K filter at ``rate`` on an rfft grid of ``bins`` bins."""
    w = np.linspace(0.0, np.pi, bins)
    # stage 1: the head's high shelf (+4 dB above ~1.7 kHz)
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / rate)
    vh = 10 ** (gain_db / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf_b = ((vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0)
    shelf_a = (1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0)
    # stage 2: the RLB high pass (~38 Hz)
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / rate)
    a0 = 1 + k / q + k * k
    hp_b = (1.0, -2.0, 1.0)
    hp_a = (1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0)
    return _biquad_response(shelf_b, shelf_a, w) * _biquad_response(hp_b, hp_a, w)


def _repeated(audio: np.ndarray, frames: int) -> np.ndarray:
    if audio.shape[1] >= frames:
        return audio
    return np.tile(audio, (1, math.ceil(frames / audio.shape[1])))


def integrated_lufs(audio: np.ndarray, rate: int) -> float:
    """Gated integrated loudness of the (channels, frames) loop, in LUFS (-inf for silence)."""
    x = _repeated(np.asarray(audio, dtype=np.float64), int(_MIN_MEASURE_S * rate))
    spectrum = np.fft.rfft(x, axis=1)
    spectrum *= _k_weighting(rate, spectrum.shape[1])
    y = np.fft.irfft(spectrum, n=x.shape[1], axis=1)
    block = int(_BLOCK_S * rate)
    step = block // 4
    power = np.cumsum(np.concatenate([np.zeros((y.shape[0], 1)), y * y], axis=1), axis=1)
    starts = np.arange(0, y.shape[1] - block + 1, step)
    z = ((power[:, starts + block] - power[:, starts]) / block).sum(axis=0)  # L and R weigh 1.0
    loud = -0.691 + 10 * np.log10(np.maximum(z, 1e-20))
    z = z[loud > SILENT_LUFS]
    if len(z) == 0:
        return -math.inf
    relative = -0.691 + 10 * math.log10(float(z.mean())) - 10.0
    z = z[-0.691 + 10 * np.log10(z) > relative]
    return -0.691 + 10 * math.log10(float(z.mean()))


def true_peak_db(audio: np.ndarray, rate: int) -> float:
    """The loop's true peak (4× oversampled, across its seam), in dBTP."""
    import soxr

    margin = min(audio.shape[1], 256)
    wrapped = np.concatenate([audio[:, -margin:], audio, audio[:, :margin]], axis=1)
    up = soxr.resample(np.ascontiguousarray(wrapped.T, dtype=np.float32), rate, rate * 4, quality="HQ")
    core = up[4 * margin : 4 * (margin + audio.shape[1])]
    peak = float(np.max(np.abs(core))) if core.size else 0.0
    return 20 * math.log10(peak) if peak > 0 else -math.inf


def running_min(x: np.ndarray, width: int) -> np.ndarray:
    """Circular minimum of ``x`` over a centred window of ``width`` (odd) samples, in O(n)."""
    n = len(x)
    r = width // 2
    ext = np.concatenate([x[-r:], x, x[:r]]) if r else x.copy()
    pad = (-len(ext)) % width
    ext = np.concatenate([ext, np.full(pad, np.inf)])
    blocks = ext.reshape(-1, width)
    prefix = np.minimum.accumulate(blocks, axis=1).ravel()
    suffix = np.minimum.accumulate(blocks[:, ::-1], axis=1)[:, ::-1].ravel()
    return np.minimum(suffix[:n], prefix[width - 1 : width - 1 + n])


def _moving_average(x: np.ndarray, width: int) -> np.ndarray:
    n = len(x)
    r = width // 2
    ext = np.concatenate([x[-r:], x, x[:r]]) if r else x
    c = np.concatenate([[0.0], np.cumsum(ext)])
    return (c[width : width + n] - c[:n]) / width


def limit(audio: np.ndarray, ceiling: float, rate: int, window_s: float = 0.005) -> np.ndarray:
    """``audio`` with its peaks held under ``ceiling`` (linear) by a smooth, look-ahead gain that wraps."""
    peak = np.max(np.abs(audio), axis=0).astype(np.float64)
    need = np.minimum(1.0, ceiling / np.maximum(peak, 1e-12))
    if need.min() >= 1.0:
        return audio
    width = 2 * int(rate * window_s) + 1
    # each smoothed value averages minima that all include its own frame: never above what it needs
    gain = _moving_average(running_min(need, width), width)
    return (audio * gain[None, :]).astype(np.float32)


MAX_LIMITING_DB = 1.0  # the most a transient is turned down to reach the loudness target
_SPARE_DB = 0.25  # the limiting aimed at stays this far inside the bound


def normalise(
    audio: np.ndarray, rate: int, target_lufs: float, ceiling_db: float, max_limiting_db: float = MAX_LIMITING_DB
) -> tuple[np.ndarray, float, float]:
    """The loop toward ``target_lufs`` with its true peak at or under ``ceiling_db``; (audio, lufs, dBTP) after.

    Loudness is matched only as far as it costs no transient more than ``max_limiting_db`` of limiting: the gain
    stops where the loop's sample peak would pass the limiter's ceiling by that much, and a loop that cannot reach the target
    so stays quieter (its loudness says so). A drum loop keeps its punch and its accents; a sampler or a DAW
    does not squash a clip to make it loud, and neither does this.
    """
    measured = integrated_lufs(audio, rate)
    if measured == -math.inf:
        return audio, measured, true_peak_db(audio, rate)
    # the limiter's sample-peak ceiling sits a little under the true-peak ceiling for inter-sample overs
    ceiling_db_sample = ceiling_db - 0.3
    ceiling = 10 ** (ceiling_db_sample / 20)
    sample_peak = float(np.max(np.abs(audio)))
    # the most gain at which the limiter turns no sample down by more than the bound, with some to spare: a
    # tempo change packs or spreads the hits (the crest factor moves by up to a few tenths of a dB with it)
    room = ceiling_db_sample + max(0.0, max_limiting_db - _SPARE_DB) - 20 * math.log10(sample_peak)
    gain_db = min(target_lufs - measured, room)
    peak_in = true_peak_db(audio, rate)
    if peak_in + gain_db <= ceiling_db:  # it gets there unlimited: loudness and peak move with the gain exactly
        out = (audio * 10 ** (gain_db / 20)).astype(np.float32)
        return out, measured + gain_db, peak_in + gain_db
    out = limit((audio * 10 ** (gain_db / 20)).astype(np.float32), ceiling, rate)
    for _ in range(3):  # limiting lowers the loudness a little: make it up, within the same bound
        now = integrated_lufs(out, rate)
        more = min(target_lufs - now, room - gain_db)
        if more <= 0.2:
            break
        gain_db += more
        out = limit((audio * 10 ** (gain_db / 20)).astype(np.float32), ceiling, rate)
    tp = true_peak_db(out, rate)
    for _ in range(3):  # inter-sample peaks the sample-peak ceiling missed
        if tp <= ceiling_db:
            break
        ceiling *= 10 ** ((ceiling_db - tp - 0.1) / 20)
        out = limit(out, ceiling, rate)
        tp = true_peak_db(out, rate)
    return out, integrated_lufs(out, rate), tp


def peak_normalise(audio: np.ndarray, rate: int, ceiling_db: float) -> tuple[np.ndarray, float, float]:
    """The loop with its true peak at ``ceiling_db`` and nothing else changed; (audio, lufs, dBTP) after."""
    peak = true_peak_db(audio, rate)
    if peak == -math.inf:
        return audio, integrated_lufs(audio, rate), peak
    out = (audio * 10 ** ((ceiling_db - peak) / 20)).astype(np.float32)
    return out, integrated_lufs(out, rate), true_peak_db(out, rate)
