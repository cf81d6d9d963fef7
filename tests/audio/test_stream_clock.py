"""When a PortAudio block is heard, from jittery callback stamps."""

import numpy as np

from padserver.audio.stream_clock import StreamClock

RATE = 48000
BLOCK = 256


def _stamps(
    clock: StreamClock, blocks: int, jitter_s: float, start: float = 1000.0, ppm: float = 0.0, seed: int = 1, late=None
):
    """Stamps of callbacks that wake up late by up to ``jitter_s`` (never early), or by ``late[k]``."""
    rng = np.random.default_rng(seed)
    per_frame = (1.0 + ppm * 1e-6) / RATE  # the sound card's frame on the host clock
    for k in range(blocks):
        frame = k * BLOCK
        lateness = late[k] if late is not None else rng.exponential(jitter_s / 3)
        clock.stamp(frame, start + frame * per_frame + min(lateness, jitter_s))
    return start + (blocks - 2) * BLOCK * per_frame  # when the newest trusted frame is really heard


def test_a_jittery_callback_still_places_the_frames_within_microseconds():
    clock = StreamClock(RATE)
    truth = _stamps(clock, 600, jitter_s=0.003, ppm=80.0)  # wake-ups up to 3 ms late, a card 80 ppm fast
    frame, micros = clock.heard()
    assert frame == (600 - 2) * BLOCK
    assert abs(micros - truth * 1e6) <= 150  # one stamp is up to 3000 µs late, half of them 700 µs (the median)


def test_too_few_stamps_say_nothing_and_an_underflow_starts_again():
    clock = StreamClock(RATE)
    _stamps(clock, 30, jitter_s=0.0)
    assert clock.heard() is None
    _stamps(clock, 300, jitter_s=0.0)
    assert clock.heard() is not None
    clock.reset()
    assert clock.heard() is None
    truth = _stamps(clock, 100, jitter_s=0.0002, start=2000.0)  # the card's clock moved on during the gap
    assert abs(clock.heard()[1] - truth * 1e6) <= 50


def test_after_an_underflow_a_busy_spell_of_late_callbacks_does_not_move_the_line():
    # the callbacks right after an underflow, on a busy machine: the first 20 wake 4–6 ms late
    clock = StreamClock(RATE)
    _stamps(clock, 300, jitter_s=0.0005)
    clock.reset()
    rng = np.random.default_rng(3)
    late = np.r_[rng.uniform(0.004, 0.006, 20), rng.exponential(0.0002, 60)]
    truth = _stamps(clock, 60, jitter_s=0.01, start=2000.0, late=late)
    assert abs(clock.heard()[1] - truth * 1e6) <= 150  # (their median would put it 1.6 ms late)
