"""When a PortAudio block is heard, from jittery callback stamps."""

import numpy as np

from padserver.sync.stream_clock import StreamClock

RATE = 48000
BLOCK = 256


def _stamps(clock: StreamClock, blocks: int, jitter_s: float, start: float = 1000.0, ppm: float = 0.0, seed: int = 1):
    rng = np.random.default_rng(seed)
    per_frame = (1.0 + ppm * 1e-6) / RATE  # the sound card's frame on the host clock
    for k in range(blocks):
        frame = k * BLOCK
        clock.stamp(frame, start + frame * per_frame + rng.uniform(-jitter_s, jitter_s))
    return start + (blocks - 2) * BLOCK * per_frame  # when the newest trusted frame is really heard


def test_a_jittery_callback_still_places_the_frames_within_microseconds():
    clock = StreamClock(RATE)
    truth = _stamps(clock, 600, jitter_s=0.001, ppm=80.0)  # ±1 ms wake-up jitter, a card 80 ppm fast
    frame, micros = clock.heard()
    assert frame == (600 - 2) * BLOCK
    assert abs(micros - truth * 1e6) <= 60  # one stamp is off by up to 1000 µs


def test_too_few_stamps_say_nothing_and_an_underflow_starts_again():
    clock = StreamClock(RATE)
    _stamps(clock, 10, jitter_s=0.0)
    assert clock.heard() is None
    _stamps(clock, 300, jitter_s=0.0)
    assert clock.heard() is not None
    clock.reset()
    assert clock.heard() is None
    truth = _stamps(clock, 100, jitter_s=0.0002, start=2000.0)  # the card's clock moved on during the gap
    assert abs(clock.heard()[1] - truth * 1e6) <= 50
