"""The --demo starter kit: one harmonic plan, real variations, and a mix with room for all sixteen pads."""

import math

import numpy as np
import pytest

from padserver.harness.kit_mix import TYPICAL, gain_reduction_db, prepared_kit, rendered_kit
from padserver.providers.offline import synth
from tests.providers.test_offline import pitch_class_energy

RATE = 48000
TEMPO = 120.0
BAR = int(RATE * 4 * 60 / TEMPO)
PITCHED = ("bass", "chords", "pad", "arp", "lead")


def chroma(audio: np.ndarray) -> np.ndarray:
    return pitch_class_energy(audio, 25.0, 2000.0)  # the sub and the arps' top notes included


def triad_of(energy: np.ndarray, chords: list[set[int]]) -> int:
    """Which of ``chords`` (pitch-class sets) the bar's energy fits best."""
    return int(np.argmax([sum(energy[pc] for pc in chord) for chord in chords]))


@pytest.fixture(scope="module", params=synth.GENRES)
def kit(request):
    return rendered_kit(request.param, "Am", TEMPO, 1)


def test_every_pitched_pad_plays_the_kits_one_progression_in_its_key(kit):
    degrees = kit[0][1]["progression"]
    assert all(c["progression"] == degrees for _, c, _ in kit)  # chosen once for the kit
    root, minor = synth.parse_key("Am")
    progression = [{n % 12 for n in chord} for chord in synth.chords_of(root, minor, degrees)]
    diatonic = [{n % 12 for n in chord} for chord in synth.chords_of(root, minor, list(range(7)))]
    scale = {(root + step) % 12 for step in synth.MINOR}
    for instrument, _, audio in kit:
        if instrument not in PITCHED:
            continue
        energy = chroma(audio)
        assert sum(energy[pc] for pc in scale) / energy.sum() > 0.9, instrument
        for bar in range(4):
            heard = chroma(audio[:, bar * BAR : (bar + 1) * BAR])
            chord = progression[bar]
            if instrument == "bass":  # its strongest note is the chord's root
                assert int(np.argmax(heard)) == min(synth.chords_of(root, minor, degrees)[bar]) % 12, (instrument, bar)
            elif instrument == "lead":  # a motif on chord tones: they carry it
                assert sum(heard[pc] for pc in chord) / heard.sum() > 0.8, (instrument, bar, heard.round())
            else:
                assert diatonic[triad_of(heard, diatonic)] == chord, (instrument, bar)


def test_paired_pads_are_variations_not_copies(kit):
    for i, (a_name, _, a) in enumerate(kit):
        for b_name, _, b in kit[i + 1 :]:
            assert not np.array_equal(a, b)
            if a_name == b_name:  # the same part, another rhythm, register or voicing: far from a copy
                n = min(a.shape[1], b.shape[1])
                x, y = a[0, :n].astype(np.float64), b[0, :n].astype(np.float64)
                assert abs(np.dot(x, y)) / math.sqrt(np.dot(x, x) * np.dot(y, y)) < 0.5, a_name


def test_a_typical_set_never_touches_the_limiter_and_all_sixteen_barely(kit):
    loops, gains = prepared_kit(kit)
    assert gain_reduction_db(loops, gains, TYPICAL) <= 0.01  # drums, bass, chords, lead at unity
    assert gain_reduction_db(loops, gains, list(range(16))) <= 2.0


def test_hats_live_where_hats_live_and_the_riser_ends_in_its_impact(kit):
    for instrument, choices, audio in kit:
        if instrument in ("drums", "percussion"):
            spectrum = np.abs(np.fft.rfft(audio.mean(axis=0))) ** 2
            freqs = np.fft.rfftfreq(audio.shape[1], 1 / RATE)
            assert spectrum[freqs > 20000].sum() / spectrum.sum() < 0.01, instrument  # nothing near Nyquist
        if instrument == "fx" and choices["variation"] == 0:  # the riser: 2 bars rising, the impact on bar 3
            lands = (choices["bars"] - 1) * BAR
            level = [float(np.sqrt(np.mean(audio[:, k * BAR // 4 : (k + 1) * BAR // 4] ** 2))) for k in range(8)]
            assert level == sorted(level), level  # louder beat by beat until it lands
            before = np.abs(audio[:, lands - 2400 : lands]).max()
            after = np.abs(audio[:, lands : lands + 2400]).max()
            assert after > 2 * before
