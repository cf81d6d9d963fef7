"""Attacks kept as they were through a tempo change (worker side).

A phase vocoder smears short attacks: on a click or a hat, Rubber Band
turns the peak down by 3 to 10 dB and moves it by a few milliseconds, so a
stretched drum loop loses its punch, its accents and its grid. Here every
sharp attack of the source is copied into the stretched audio as it was,
placed exactly where the tempo change puts it (a few ms before it to a few
tens of ms after, the lengths below), and the stretched audio takes over
again after it, lined up on the copy's tail by correlation so that the
crossfade neither thins nor doubles what rings on. The listener hears an
attack where it belongs and as strong as it was; between attacks the
stretcher's smooth body plays.
"""

from __future__ import annotations

import numpy as np

_HOP = 32  # frames between energy readings (the attack's place is read to this)
_WINDOW = 128  # frames each reading sums: long enough that a low tone's own waves do not look like attacks
_BEFORE_S = (0.01, 0.05)  # an attack rises over the mean of the audio this long before it...
_RISE = 6.0  # ...by this factor (about 8 dB) over both: the short one sees a new attack after a loud one,
# the long one keeps a chord's beating (its level swells and dips) from reading as attacks
_FLOOR_DB = -40.0  # and is louder than this against the loudest reading
_GAP_S = 0.02  # attacks closer than this are one attack

_PRE_S = 0.005  # copied before the attack (the reading's and the stretch's slack)
_FADE_IN_S = 0.002
_HOLD_S = 0.03  # copied after the attack before handing back
_FADE_OUT_S = 0.012
_PEAK_S = 0.015  # an attack's peak is looked for this far after its start
_ALIGN_S = 0.005  # how far the stretched audio may be moved to line up with the copy


def find(audio: np.ndarray, rate: int) -> np.ndarray:
    """Frames where sharp attacks start in (channels, frames) ``audio``.

    An attack is a rise of the energy, or of the energy of the differentiated
    signal (which weighs high frequencies more: a hat over a held bass), that
    is sharp against the audio before it and not far below the loudest.
    """
    mono = audio.mean(axis=0, dtype=np.float64) if audio.ndim == 2 else audio.astype(np.float64)
    if len(mono) < 2 * _WINDOW:
        return np.zeros(0, np.int64)
    lead = np.zeros(max(_HOP, int(_BEFORE_S[1] * rate)))  # silence before: a sound at frame 0 is an attack
    found: list[np.ndarray] = []
    for signal in (mono[1:], np.diff(mono)):
        total = np.concatenate([lead, [0.0], np.cumsum(signal * signal)])
        found.append(_rises(total, len(lead), rate) - len(lead))
    gap = int(_GAP_S * rate)
    out: list[int] = []
    for at in np.sort(np.concatenate(found)):
        if not out or at - out[-1] >= gap:
            out.append(int(at))
    return np.asarray(out, np.int64)


def _rises(total: np.ndarray, first: int, rate: int) -> np.ndarray:
    """Where the energy whose running sum is ``total`` rises sharply (from frame ``first`` on)."""
    short, long = (max(_HOP, min(first, int(s * rate))) for s in _BEFORE_S)
    starts = np.arange(first, len(total) - _WINDOW, _HOP)
    energy = total[starts + _WINDOW] - total[starts]
    before = np.maximum(
        (total[starts] - total[starts - short]) * (_WINDOW / short),
        (total[starts] - total[starts - long]) * (_WINDOW / long),
    )
    floor = float(energy.max(initial=0.0)) * 10 ** (_FLOOR_DB / 10)
    rising = np.flatnonzero((energy >= _RISE * before) & (energy >= floor) & (energy > 0))
    out = []
    for i in rising:
        at = int(starts[i])
        # the reading's window holds the attack: the first of its stretches that rises on its own
        part = total[at + _HOP : at + _WINDOW + 1 : _HOP] - total[at : at + _WINDOW - _HOP + 1 : _HOP]
        sharp = np.flatnonzero(part * (_WINDOW / _HOP) >= _RISE * before[i])
        out.append(at + (int(sharp[0]) * _HOP if len(sharp) else 0))
    return np.asarray(out, np.int64)


def ramp(n: int) -> np.ndarray:
    """0 → 1 over ``n`` frames (raised cosine, the two sides sum to 1)."""
    t = (np.arange(n, dtype=np.float64) + 0.5) / max(1, n)
    return (0.5 - 0.5 * np.cos(np.pi * t)).astype(np.float32)


def _best_lag(source: np.ndarray, body: np.ndarray, reach: int) -> int:
    """The shift of ``body`` (``reach`` frames longer on each side) that lines it up with ``source``."""
    if not source.any() or len(body) < len(source) + 2 * reach:
        return 0
    score = np.correlate(body, source, mode="valid")  # length 2 * reach + 1
    power = np.convolve(body * body, np.ones(len(source)), mode="valid")
    score = score / np.sqrt(power + 1e-12)
    return int(np.argmax(score)) - reach


def keep(stretched: np.ndarray, source: np.ndarray, ratio: float, rate: int) -> np.ndarray:
    """``stretched`` (``source`` made ``ratio`` times as long) with ``source``'s attacks copied in on time."""
    starts = find(source, rate)
    if len(starts) == 0:
        return stretched
    pre = int((_PRE_S + _FADE_IN_S) * rate)
    fade_in = max(1, int(_FADE_IN_S * rate))
    fade_out = max(1, int(_FADE_OUT_S * rate))
    hold = int((_HOLD_S + _FADE_OUT_S) * rate)
    reach = int(_ALIGN_S * rate)
    up, down = ramp(fade_in), ramp(fade_out)
    # each attack is placed by its peak (an encoder's pre-echo or a slow start would misplace it by its start)
    mono = np.abs(source.mean(axis=0))
    window = int(_PEAK_S * rate)
    peaks = np.array([s + int(np.argmax(mono[s : s + window])) for s in starts], np.int64)
    first = starts - pre  # where each copy starts, in the source
    places = np.round(peaks * ratio).astype(np.int64)  # each peak's place in the stretched timeline
    heads = places - (peaks - first)  # where each copy starts there
    length = stretched.shape[1]
    out = stretched.copy()
    lag = 0  # how far the stretched audio is moved where it plays now
    resume = 0  # where it last took over
    for i in range(len(starts)):
        after = hold  # frames copied after the peak: up to the next copy's start, in both timelines
        if i + 1 < len(starts):
            after = min(after, int(first[i + 1] - peaks[i]), int(heads[i + 1] - places[i]))
        a, b = int(heads[i]), int(places[i]) + after  # the copy's span in the stretched timeline
        src = int(first[i])
        n = b - a
        if n < fade_in + fade_out or src < 0 or src + n > source.shape[1] or a < reach or b + reach > length:
            continue
        if lag and a + fade_in > resume:  # the stretched audio since the last copy, moved as its tail asked
            _shifted(out, stretched, resume, a + fade_in, lag)
        piece = source[:, src : src + n]
        out[:, a : a + fade_in] = out[:, a : a + fade_in] * (1.0 - up) + piece[:, :fade_in] * up
        out[:, a + fade_in : b - fade_out] = piece[:, fade_in:-fade_out]
        tail = piece[:, -fade_out:]
        lag = _best_lag(tail.mean(axis=0), stretched[:, b - fade_out - reach : b + reach].mean(axis=0), reach)
        out[:, b - fade_out : b] = tail * (1.0 - down) + stretched[:, b - fade_out + lag : b + lag] * down
        resume = b
    if lag and resume < length:
        _shifted(out, stretched, resume, length, lag)
    return out


def _shifted(out: np.ndarray, stretched: np.ndarray, a: int, b: int, lag: int) -> None:
    """out[a:b] = stretched[a + lag : b + lag], silence past either end."""
    lo, hi = max(a, -lag), min(b, stretched.shape[1] - lag)
    out[:, a:b] = 0.0
    if hi > lo:
        out[:, lo:hi] = stretched[:, lo + lag : hi + lag]
