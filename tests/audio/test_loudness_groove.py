"""Loudness matching that never crushes: a drum loop keeps its crest factor and its accents."""

import numpy as np
import pytest

from padserver.library import testloops
from padserver.loops.loudness import integrated_lufs, normalise, peak_normalise, true_peak_db

RATE = 48000


def accented_clicks(bpm: float = 120.0, bars: int = 2, accent_db: float = 7.2) -> np.ndarray:
    """Quiet chords under a 1 kHz click on every beat, the bar's first 7.2 dB louder (a drum loop's shape)."""
    beat = RATE * 60.0 / bpm
    frames = int(round(bars * 4 * beat))
    t = np.arange(frames) / RATE
    audio = 0.02 * (np.sin(2 * np.pi * 220 * t) + np.sin(2 * np.pi * 277.2 * t) + np.sin(2 * np.pi * 329.6 * t))
    click = np.sin(2 * np.pi * 1000 * np.arange(480) / RATE) * np.exp(-np.arange(480) / 80)
    for k in range(bars * 4):
        at = int(round(k * beat))
        level = 0.3 * (10 ** (accent_db / 20) if k % 4 == 0 else 1.0)
        audio[at : at + 480] += level * click
    return np.vstack([audio, audio]).astype(np.float32)


def crest_db(audio: np.ndarray) -> float:
    return testloops.crest_db(audio)


def accent_db(audio: np.ndarray, bpm: float = 120.0) -> float:
    """The bar's first click against the others (peak in each beat's first 10 ms)."""
    return testloops.accent_db(audio, RATE, bpm)


def test_matching_loudness_keeps_a_drum_loops_punch_and_accents():
    source = accented_clicks()
    out, lufs, peak = normalise(source, RATE, -14.0, -1.0)
    assert peak <= -1.0 + 0.05
    assert abs(crest_db(out) - crest_db(source)) <= 1.0, (crest_db(source), crest_db(out))
    assert abs(accent_db(out) - accent_db(source)) <= 1.0, (accent_db(source), accent_db(out))
    # no frame turned down by more than 1 dB against the source at the gain applied
    gain = float(np.sqrt(np.mean(out**2)) / np.sqrt(np.mean(source**2)))
    loud = np.abs(source[0]) > 0.05 * np.max(np.abs(source[0]))
    reduction = 20 * np.log10(gain * np.abs(source[0][loud]) / np.maximum(np.abs(out[0][loud]), 1e-9))
    assert np.max(reduction) <= 1.0 + 0.1
    # this loop cannot reach −14 LUFS within 1 dB of limiting: it stays quieter, and says how loud it is
    assert lufs < -14.0 - 1.0 and lufs == pytest.approx(integrated_lufs(out, RATE), abs=0.01)


def test_a_loop_with_headroom_reaches_the_target():
    t = np.arange(RATE * 4) / RATE
    pad = (0.05 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    out, lufs, peak = normalise(np.vstack([pad, pad]), RATE, -14.0, -1.0)
    assert lufs == pytest.approx(-14.0, abs=0.3) and peak <= -1.0 + 0.05


def test_peak_mode_changes_only_the_level():
    source = accented_clicks()
    out, lufs, peak = peak_normalise(source, RATE, -1.0)
    assert peak == pytest.approx(-1.0, abs=0.05)
    ratio = out[0][np.abs(source[0]) > 1e-3] / source[0][np.abs(source[0]) > 1e-3]
    assert np.ptp(ratio) < 1e-4  # one gain for every sample
    assert true_peak_db(out, RATE) == pytest.approx(peak, abs=1e-6)


def test_a_drum_loop_prepared_at_its_own_tempo_keeps_its_punch_and_accents():
    from padserver.loops.prepare import prepare

    source = accented_clicks(120.0, bars=4)
    loop = prepare(source, RATE, 120.0, 120.0, 4, downbeat_s=0.0)
    assert abs(crest_db(loop.audio) - crest_db(source)) <= 1.0, (crest_db(source), crest_db(loop.audio))
    assert abs(accent_db(loop.audio) - accent_db(source)) <= 1.0, (accent_db(source), accent_db(loop.audio))
    assert loop.true_peak_db <= -1.0 + 0.05


def _clicks_at(rate: int, bpm: float, bars: int) -> np.ndarray:
    return testloops.accented_clicks(bpm, bars, rate)


def _beat_peaks(audio: np.ndarray, bpm: float, beats: int) -> np.ndarray:
    return testloops.beat_peaks(audio, RATE, bpm, beats)


@pytest.mark.parametrize(
    "source_bpm,target_bpm,rate,fmt",
    [
        (100.0, 120.0, 48000, "WAV"),
        (87.5, 140.0, 44100, "MP3"),
        (140.0, 87.5, 48000, "MP3"),
        (120.0, 100.0, 44100, "WAV"),
    ],
)
def test_a_drum_loop_fitted_to_another_tempo_keeps_its_punch_accents_and_grid(
    tmp_path, source_bpm, target_bpm, rate, fmt
):
    import soundfile as sf

    from padserver.loops.decode import decode
    from padserver.loops.prepare import prepare

    path = tmp_path / f"clicks.{fmt.lower()}"
    sf.write(path, _clicks_at(rate, source_bpm, 4).T, rate, format=fmt)
    source = decode(str(path), RATE)
    loop = prepare(source, RATE, source_bpm, target_bpm, 4)  # the defaults: loudness matched

    heard = source[:, : int(round(16 * RATE * 60.0 / source_bpm))]
    assert abs(crest_db(loop.audio) - crest_db(heard)) <= 1.0, (crest_db(heard), crest_db(loop.audio))
    assert abs(accent_db(loop.audio, target_bpm) - accent_db(heard, source_bpm)) <= 1.0
    # every click as loud against the others as it was: none turned down more than 1 dB
    change = 20 * np.log10(_beat_peaks(loop.audio, target_bpm, 16) / _beat_peaks(heard, source_bpm, 16))
    assert np.ptp(change) <= 1.0, change.round(2)
    assert loop.true_peak_db <= -1.0 + 0.05


@pytest.mark.parametrize("genre,target_bpm", [("house", 87.5), ("hiphop", 140.0), ("dnb", 120.0)])
def test_the_generators_drum_loops_keep_their_punch_through_a_tempo_change(genre, target_bpm):
    from padserver.loops.prepare import Settings, prepare
    from padserver.providers.offline.synth import DEFAULT_BPM, render

    bpm = DEFAULT_BPM[genre]
    source = render("drums", genre, "Am", bpm, 4, seed=3)
    loop = prepare(
        np.concatenate([source, source], axis=1), RATE, bpm, target_bpm, 4, settings=Settings(lufs=None), downbeat_s=0.0
    )
    assert abs(crest_db(loop.audio) - crest_db(source)) <= 1.0, (crest_db(source), crest_db(loop.audio))
    assert float(np.max(np.abs(loop.audio))) == pytest.approx(float(np.max(np.abs(source))), rel=0.02)
