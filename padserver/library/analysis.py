"""What a loop is: tempo, key, bars, loudness and a waveform overview (runs in worker processes).

Tempo: loops are usually a whole number of bars, so the candidates are the
tempos at which the file holds 1, 2, 4, 8 or 16 bars of 4/4 (plus 3/4 and
half-bar lengths); the onset envelope's periodicity picks among them, and its
own autocorrelation peak is used when no candidate fits. Key: a chromagram
matched against the Krumhansl–Schmuckler major and minor profiles. Each
estimate has a confidence in 0..1; values a user declares always win.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from padserver.loops.tempo_prior import LIKELY, belief, bpm_in, likely_range

NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
BPM_RANGE = (60.0, 200.0)
_NAMED_SLACK = 1.03  # a tempo in the file's name is believed when the audio is within this of it
_READ_S = 12.0  # short loops are read round until this long (at most 4 times)
UNSURE = 0.5  # confidence at or under this: the estimate may be at half or double tempo
_BEAT_LEAN = 0.5  # how much the beat's standing out weighs against belief
_OCTAVE_FIT = 0.8  # the other octave fits the rhythm this well or better: the rhythm does not decide
_DECISIVE = 0.1  # ...and is believed less than this against the estimate: belief decides
MIN_ONSET_STRENGTH = 2.0  # spread of the onset envelope below which audio has no rhythm to read
OVERVIEW_POINTS = 256


@dataclass
class Analysis:
    duration: float
    bpm: float | None
    bpm_confidence: float
    key: str | None
    key_confidence: float
    rms_db: float
    peak: float
    overview: list[tuple[float, float]]


def _onset_envelope(mono: np.ndarray, rate: int, hop: int = 512, size: int = 1024) -> tuple[np.ndarray, float]:
    """Spectral flux per hop, and the envelope's frame rate."""
    if len(mono) < size:
        mono = np.pad(mono, (0, size - len(mono)))
    frames = 1 + (len(mono) - size) // hop
    idx = np.arange(size)[None, :] + hop * np.arange(frames)[:, None]
    window = np.hanning(size).astype(np.float32)
    spectra = np.abs(np.fft.rfft(mono[idx] * window, axis=1))
    spectra = np.log1p(spectra * 10.0)
    flux = np.maximum(0.0, np.diff(spectra, axis=0)).sum(axis=1)
    flux -= flux.mean()
    return flux, rate / hop


def _autocorrelation(env: np.ndarray) -> np.ndarray:
    ac = np.correlate(env, env, mode="full")[len(env) - 1 :]
    return ac / ac[0] if ac[0] > 0 else np.zeros_like(ac)


def _at(ac: np.ndarray, lag: float) -> float:
    if lag < 1 or lag >= len(ac) - 1:
        return 0.0
    i = int(lag)
    frac = lag - i
    return float((1 - frac) * ac[i] + frac * ac[i + 1])


def _periodicity(ac: np.ndarray, env_rate: float, bpm: float) -> float:
    """How strongly the envelope repeats every beat, two or four beats of ``bpm`` (a bass line or a chord
    pattern may repeat only every two beats: its tempo is still ``bpm``; which octave is left to belief)."""
    beat = 60.0 / bpm * env_rate
    return max(_at(ac, beat), 0.95 * _at(ac, 2 * beat), 0.9 * _at(ac, 4 * beat))


def estimate_bpm(mono: np.ndarray, rate: int, likely: tuple[float, float] = LIKELY) -> tuple[float | None, float]:
    """(tempo, confidence) of a loop, or (None, 0) when it has no rhythm to read.

    Among tempos that fit the rhythm, and half or double tempo fit almost equally well, ``likely`` (the range
    music of the kind is made at) decides; when the other octave stays nearly as believable the confidence
    says the estimate is uncertain (at most ``UNSURE``).
    """
    duration = len(mono) / rate
    env, env_rate = _onset_envelope(mono, rate)
    if len(env) < 8 or float(env.std()) < MIN_ONSET_STRENGTH:  # a drone or silence: no tempo to read
        return None, 0.0  # (read on one pass: round and round, a swell's restart would look like a beat)
    # a loop repeats: read it as it plays, a few times round (a one-bar loop's bar-long lag then overlaps
    # whole bars, where the autocorrelation of one pass fades out toward its length)
    repeats = max(1, min(4, math.ceil(_READ_S / max(duration, 1e-9))))
    if repeats > 1:
        env, env_rate = _onset_envelope(np.tile(mono, repeats), rate)
    ac = _autocorrelation(env)

    def fit(bpm: float) -> float:
        return _periodicity(ac, env_rate, bpm)

    def lean(bpm: float) -> float:
        """Belief in ``bpm``, times how much more its beats stand out than its half beats (on the right
        tempo the beat carries kick and snare, the half beat only hats; at half tempo it is the other way)."""
        beat = 60.0 / bpm * env_rate
        return belief(bpm, likely) * math.exp(_BEAT_LEAN * (_at(ac, beat) - _at(ac, beat / 2)))

    candidates = set()
    for beats in (2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64):
        bpm = 60.0 * beats / duration
        if BPM_RANGE[0] <= bpm <= BPM_RANGE[1]:
            candidates.add(round(bpm, 3))
    # a free search too, for audio that is not bar-exact
    free = np.arange(BPM_RANGE[0], BPM_RANGE[1] + 0.01, 0.5)
    free_scores = np.array([fit(b) for b in free])
    top_free = float(free_scores.max())
    bar_exact = [b for b in candidates if fit(b) >= 0.6 * top_free]  # lengths that also fit the rhythm
    if bar_exact:
        pool, sure = bar_exact, 0.9
    else:
        pool = [float(b) for b in free[free_scores >= 0.6 * top_free]]
        sure = float(min(1.0, max(0.0, top_free / (np.mean(free_scores) + 1e-9) / 4))) * 0.6
    believed = sorted(((fit(b) * lean(b), b) for b in pool), reverse=True)
    best_score, bpm = believed[0]
    confidence = sure * min(1.0, fit(bpm) / max(top_free, 1e-9)) + (0.1 if bar_exact else 0.0)
    # the other octave (half or double tempo, or near them): when the rhythm fits it nearly as well and only
    # a belief that is not decisive chose between them, the estimate is marked as unsure
    rivals = [b for _, b in believed[1:] if abs(abs(math.log2(b / bpm)) - 1.0) < 0.1]
    if rivals and fit(rivals[0]) >= _OCTAVE_FIT * fit(bpm) and lean(rivals[0]) >= _DECISIVE * lean(bpm):
        confidence = min(confidence, UNSURE)
    return round(bpm, 2), float(min(1.0, max(0.0, confidence)))


def tempo_of(mono: np.ndarray, rate: int, name: str = "") -> tuple[float | None, float]:
    """The tempo as ``estimate_bpm`` reads it, believing what ``name`` says: a tempo written in it wins
    when the audio bears it out (within 3 %), else its genre's range, else most loops' range."""
    named = bpm_in(name)
    if named is not None:
        bpm, confidence = estimate_bpm(mono, rate, (named / _NAMED_SLACK, named * _NAMED_SLACK))
        if bpm is not None and abs(math.log(bpm / named)) <= math.log(_NAMED_SLACK):
            return bpm, max(confidence, 0.95)
    return estimate_bpm(mono, rate, likely_range(name))


def estimate_key(mono: np.ndarray, rate: int) -> tuple[str | None, float]:
    size = 8192
    if len(mono) < size:
        return None, 0.0
    hop = size
    frames = min(200, 1 + (len(mono) - size) // hop)
    idx = np.arange(size)[None, :] + hop * np.arange(frames)[:, None]
    spectra = np.abs(np.fft.rfft(mono[idx] * np.hanning(size), axis=1)).sum(axis=0)
    freqs = np.fft.rfftfreq(size, 1.0 / rate)
    band = (freqs > 55) & (freqs < 2000)
    pitch = np.round(12 * np.log2(freqs[band] / 440.0) + 69).astype(int) % 12
    chroma = np.bincount(pitch, weights=spectra[band], minlength=12)
    if chroma.sum() <= 0:
        return None, 0.0
    scores = []
    for tonic in range(12):
        for profile, suffix in ((_MAJOR, ""), (_MINOR, "m")):
            r = np.corrcoef(chroma, np.roll(profile, tonic))[0, 1]
            scores.append((float(r), NOTE_NAMES[tonic] + suffix))
    scores.sort(reverse=True)
    best, second = scores[0], scores[1]
    return best[1], float(max(0.0, min(1.0, (best[0] - second[0]) * 5 + max(0.0, best[0]) * 0.5)))


def overview(mono: np.ndarray, points: int = OVERVIEW_POINTS) -> list[tuple[float, float]]:
    if len(mono) == 0:
        return [(0.0, 0.0)] * points
    edges = np.linspace(0, len(mono), points + 1).astype(int)
    out = []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        seg = mono[a : max(b, a + 1)]
        out.append((round(float(seg.min()), 4), round(float(seg.max()), 4)))
    return out


def analyse(audio: np.ndarray, rate: int, name: str = "", estimate: bool = True) -> Analysis:
    """``audio`` is (channels, frames) float32 at ``rate``; ``name`` its file's name or path, whose words may
    say its tempo ("124bpm") or its genre ("dnb/…"), and so which of half or double tempo it is at. Without
    ``estimate`` tempo and key are left out (a generated take's are known)."""
    mono = audio.mean(axis=0) if audio.ndim == 2 else audio
    mono = np.ascontiguousarray(mono, dtype=np.float32)
    rms = float(np.sqrt(np.mean(mono.astype(np.float64) ** 2))) if len(mono) else 0.0
    bpm, bpm_conf = tempo_of(mono, rate, name) if estimate else (None, 0.0)
    key, key_conf = estimate_key(mono, rate) if estimate else (None, 0.0)
    return Analysis(
        duration=len(mono) / rate,
        bpm=bpm,
        bpm_confidence=round(bpm_conf, 3),
        key=key,
        key_confidence=round(key_conf, 3),
        rms_db=round(20 * math.log10(max(rms, 1e-9)), 2),
        peak=round(float(np.abs(audio).max()) if audio.size else 0.0, 4),
        overview=overview(mono),
    )
