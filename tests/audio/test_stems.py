"""The offline 2-stem split: percussive and harmonic parts that add up to the loop exactly."""

import numpy as np

from padserver.loops.stems import split_two
from padserver.providers.offline.synth import render

RATE = 48000


def _db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.square(x, dtype=np.float64)) + 1e-20))


def test_the_stems_add_up_to_the_loop_and_the_drums_go_to_the_drum_stem():
    drums = render("drums", "house", "Am", 120.0, 4, 1, RATE)
    pad = render("pad", "house", "Am", 120.0, 4, 2, RATE)
    mix = (drums + pad).astype(np.float32)
    stems = split_two(mix)
    assert set(stems) == {"drums", "other"} and all(s.shape == mix.shape for s in stems.values())
    assert np.abs(stems["drums"] + stems["other"] - mix).max() <= 1e-6  # exactly, to float32's rounding
    # each stem nearer its own part than the mix is (signal to distortion: measured 4.4 and 8.0 dB)
    assert _db(drums) - _db(stems["drums"] - drums) > 3.0
    assert _db(pad) - _db(stems["other"] - pad) > 6.0
    # and a part alone mostly stays where it belongs
    alone = split_two(pad.astype(np.float32))
    assert _db(alone["drums"]) < _db(pad) - 10.0


def _pcm(audio: np.ndarray) -> bytes:
    return (np.clip(audio.T, -1, 1) * 32767).astype("<i2").tobytes()


def test_a_separators_stems_are_lined_up_merged_to_the_count_and_what_it_left_out_goes_into_other():
    from padserver.loops.stem_fit import fit_stems
    from padserver.providers.elevenlabs.stems import stem_name

    drums = render("drums", "house", "Am", 120.0, 4, 1, RATE)
    bass = render("bass", "house", "Am", 120.0, 4, 2, RATE)
    keys = render("pad", "house", "Am", 120.0, 4, 3, RATE)
    mix = (drums + bass + keys).astype(np.float32)
    # a separator's answer: 0.9 of each part, 37.25 frames late, at 44.1 kHz in 16-bit stereo
    import soxr

    late = 37.25
    shift = np.exp(-2j * np.pi * np.fft.rfftfreq(mix.shape[1] + 4000) * late)

    def answer(part):
        moved = np.fft.irfft(np.fft.rfft(part, mix.shape[1] + 4000, axis=1) * shift, axis=1)
        return _pcm(soxr.resample((0.9 * moved).T, RATE, 44100, quality="VHQ").T)

    takes = [
        (stem_name(f), (answer(p), "pcm_s16le", 44100, 2))
        for f, p in (("Loop_Piano.wav", keys), ("loop-drums.wav", drums), ("x/bass.wav", bass))
    ]
    stems, figures = fit_stems(mix, takes, RATE, 4)
    assert list(stems) == ["drums", "bass", "other"]  # piano in other at four stems (and other holds the rest)
    assert all(s.shape == mix.shape for s in stems.values())
    assert abs(figures["lag_frames"] - late) < 0.05
    assert -21 < figures["residual_db"] < -19  # 0.1 of everything left out: 20 dB down
    assert np.abs(sum(stems.values()) - mix).max() <= 1e-6  # with it in other, they add up to the loop
    assert _db(drums) - _db(stems["drums"] - drums) > 18  # each lined up: only the 10 % loss from its part
    assert _db(bass) - _db(stems["bass"] - bass) > 18


def test_stem_files_are_named_for_what_they_hold():
    from padserver.providers.elevenlabs.stems import stem_name

    named = [
        "song_Vocals.mp3",
        "01 - Drums.mp3",
        "stems/bass.wav",
        "accompaniment.mp3",
        "My Loop (Other).mp3",
        "fx.mp3",
    ]
    assert [stem_name(f) for f in named] == ["vocals", "drums", "bass", "instrumental", "other", "fx"]
