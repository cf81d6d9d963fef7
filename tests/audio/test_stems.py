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
