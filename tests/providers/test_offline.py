"""The offline generator and the provider interface it shares with every other provider."""

import asyncio

import numpy as np
import pytest

from padserver.providers import registry
from padserver.providers.base import Capabilities, Provider, Request, Result, Take
from padserver.providers.offline import synth

RATE = 48000


@pytest.mark.parametrize("instrument", synth.INSTRUMENTS)
@pytest.mark.parametrize("genre", synth.GENRES)
def test_every_combination_is_exactly_n_bars_without_clipping(instrument, genre):
    bpm, bars = 133.0, 2  # a bar is not a whole number of frames at 133 BPM
    audio = synth.render(instrument, genre, "F#", bpm, bars, seed=5, rate=RATE)
    assert audio.shape == (2, round(bars * 4 * 60 / bpm * RATE)) and audio.dtype == np.float32
    peak = np.abs(audio).max()
    assert 0.05 < peak <= 10 ** (-3 / 20) + 1e-6  # something plays, with headroom
    assert np.isfinite(audio).all()


def test_deterministic_for_a_seed_and_varied_by_it():
    a = synth.render("drums", "hiphop", "Am", 90, 4, seed=11)
    b = synth.render("drums", "hiphop", "Am", 90, 4, seed=11)
    c = synth.render("drums", "hiphop", "Am", 90, 4, seed=12)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def pitch_class_energy(audio: np.ndarray, lo: float = 40.0, hi: float = 1500.0) -> np.ndarray:
    """Energy per pitch class over the whole loop, counted only near each semitone's centre (within 25 cents:
    the notes played, not the skirts a short note's spectrum spreads between them), between ``lo`` and ``hi`` Hz. No window:
    a loop is periodic, and a window would weigh its middle bars' chords over its first and last."""
    mono = audio.mean(axis=0)
    spectrum = np.abs(np.fft.rfft(mono)) ** 2
    freqs = np.fft.rfftfreq(len(mono), 1 / RATE)
    band = (freqs > lo) & (freqs < hi)
    semis = 12 * np.log2(freqs[band] / 440.0) + 69
    near = np.abs(semis - np.round(semis)) <= 0.25
    pcs = np.round(semis[near]).astype(int) % 12
    return np.bincount(pcs, weights=spectrum[band][near], minlength=12)


@pytest.mark.parametrize("key,scale", [("Am", {9, 11, 0, 2, 4, 5, 7}), ("Eb", {3, 5, 7, 8, 10, 0, 2})])
@pytest.mark.parametrize("instrument", ["bass", "chords", "pad", "arp", "lead"])
def test_notes_stay_in_the_key(key, scale, instrument):
    energy = pitch_class_energy(synth.render(instrument, "house", key, 120, 4, seed=3))
    inside = sum(energy[pc] for pc in scale)
    assert inside / energy.sum() > 0.9, f"{instrument} in {key}: {inside / energy.sum():.2f} of the energy in the key"


def test_keys_are_read_as_musicians_write_them():
    assert synth.parse_key("Am") == (9, True) and synth.parse_key("F#") == (6, False)
    assert synth.parse_key("Eb minor") == (3, True) and synth.parse_key(None) == (9, True)
    with pytest.raises(ValueError, match="key must look like"):
        synth.parse_key("H7")


def test_the_offline_provider_is_found_by_its_entry_point_and_makes_takes():
    provider = registry.create("offline")
    assert provider.name == "offline" and "offline" in registry.names()
    seen = []
    request = Request(prompt="dusty boom bap drums", bars=2, takes=3, seed=7)
    result = asyncio.run(provider.generate(request, lambda f, m: seen.append(f)))
    assert len(result.takes) == 3 and seen[-1] == 1.0
    assert result.provenance["provider"] == "offline" and result.provenance["seed"] == 7
    assert result.provenance["choices"]["genre"] == "hiphop" and result.provenance["choices"]["instrument"] == "drums"
    assert result.provenance["request"]["prompt"] == "dusty boom bap drums"
    assert not np.array_equal(result.takes[0].audio, result.takes[1].audio)  # takes differ
    assert provider.warnings(request) == []
    assert provider.warnings(Request(prompt="a song", instrumental=False)) == [
        "offline has no voices: the loop is instrumental"
    ]


class Clip(Provider):
    """A stand-in registered at run time, as a third party or a test would: no seed, no key field."""

    name = "clip-test"
    capabilities = Capabilities(
        seconds=(30, 30), bpm_field=False, key_field=False, instrumental_toggle=True, seed=False, takes_per_call=1
    )

    async def generate(self, request, progress):
        return Result([Take(audio=np.zeros((2, 10), np.float32), sample_rate=RATE)], {"provider": self.name})


def test_capability_warnings_say_what_a_provider_cannot_do_and_unknown_names_are_refused():
    registry.register("clip-test", lambda config: Clip())
    provider = registry.create("clip-test")
    warnings = provider.warnings(Request(prompt="x", seed=3, key="Am", bpm=96, takes=2))
    assert any("no seed" in w for w in warnings) and any("no key setting" in w for w in warnings)
    assert any("no tempo setting" in w for w in warnings) and any("2 takes mean 2 calls" in w for w in warnings)
    with pytest.raises(ValueError, match="no provider named 'nope'"):
        registry.create("nope")
