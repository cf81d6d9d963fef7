"""A live stream made to fit the bar grid (offline, chunk by chunk as it arrives): its bar lines found, and
held on the grid's when the model plays a little fast or slow."""

import numpy as np
import pytest

from padserver.library.testloops import click_song
from padserver.loops.stream_fit import StreamFit
from padserver.loops.stream_lock import MAX_CORRECTION, CubicVarispeed
from padserver.loops.stream_shape import Shape

RATE = 48000
BAR = 4 * RATE * 60 // 120


def bar_line_errors(speed: float, bars: int = 64) -> list[int]:
    """Stream click music at 120 × ``speed`` BPM through a fit for 120 BPM, 2 s at a time as Lyria sends it;
    where each downbeat click rises against the bar lines the fit holds the stream to (frames)."""
    song = click_song(120 * speed, bars + 6, RATE, 0.15, seed=3)
    fit = StreamFit(Shape(RATE, RATE, 120, 120.0, 4, 0.0))
    for i in range(0, song.shape[1], 2 * RATE):
        fit.add(song[:, i : i + 2 * RATE])
    assert fit.downbeat is not None
    first = fit.start
    out = np.concatenate(list(fit._held), axis=1)
    errors = []
    for k in range(bars):
        i = int(round(fit.downbeat + k * BAR)) - first
        if i + 300 > out.shape[1]:
            break
        window = np.abs(out[0, i - 300 : i + 300])
        errors.append(int(np.argmax(window >= 0.5 * window.max())) - 300)  # (the downbeat click is the loudest)
    return errors


@pytest.mark.parametrize("speed", [1.0, 1.003, 0.997, 1.0045])
def test_a_stream_played_a_little_fast_or_slow_keeps_its_bar_lines_on_the_grid(speed):
    errors = bar_line_errors(speed)
    assert len(errors) >= 60
    # uncorrected, 0.3 % is 6 ms a bar: 384 ms by bar 64; held, every bar line within a millisecond
    assert max(abs(e) for e in errors) <= 48, errors


def test_the_varispeed_joins_chunks_seamlessly_and_plays_a_sine_as_it_was():
    t = np.arange(20000)
    sine = np.vstack([np.sin(2 * np.pi * 440 * t / RATE)] * 2).astype(np.float32)
    whole = CubicVarispeed().process(sine, 1.0)
    assert np.allclose(whole[:, 3:], sine[:, : whole.shape[1] - 3], atol=1e-6)  # (three frames' delay)
    chunked = CubicVarispeed()
    parts = [chunked.process(sine[:, i : i + 777], 1.0 + MAX_CORRECTION) for i in range(0, 20000, 777)]
    once = CubicVarispeed().process(sine, 1.0 + MAX_CORRECTION)
    joined = np.concatenate(parts, axis=1)
    assert joined.shape == once.shape and np.allclose(joined, once, atol=1e-6)
