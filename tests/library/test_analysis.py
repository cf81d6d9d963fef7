"""Tempo and key estimates on loops whose tempo and key are known."""

import numpy as np

from padserver.library.analysis import analyse, estimate_key
from padserver.library.testloops import drum_loop


def test_tempo_is_within_one_bpm_on_at_least_ninety_percent_of_generated_loops():
    rng = np.random.default_rng(2026)
    hits = 0
    for i in range(40):
        bpm = float(rng.uniform(70, 180))
        bars = int(rng.choice([1, 2, 4]))
        result = analyse(drum_loop(bpm, bars, seed=i, swing=float(rng.uniform(0, 0.2))), 44100)
        hits += result.bpm is not None and abs(result.bpm - bpm) <= 1.0  # half/double tempo is a miss
    assert hits / 40 >= 0.9, f"{hits}/40 within ±1 BPM"


def test_key_of_a_chord_loop():
    rate = 44100
    t = np.arange(rate * 4) / rate
    a_minor = [220.0, 261.63, 329.63, 440.0]  # A C E A
    tone = sum(np.sin(2 * np.pi * f * t) for f in a_minor).astype(np.float32) * 0.2
    key, confidence = estimate_key(tone, rate)
    assert key in ("Am", "C") and confidence > 0


def test_overview_and_levels():
    loop = drum_loop(120, 1)
    result = analyse(loop, 44100)
    assert len(result.overview) == 256 and all(lo <= hi for lo, hi in result.overview)
    assert result.peak == 0.7 and -40 < result.rms_db < 0
    assert abs(result.duration - 2.0) < 0.01
