"""The jitter buffer's measure: how late a real-time stream's chunks come, and nothing for a stream ahead."""

import numpy as np
import pytest

from padserver.loops.arrival import Arrival


def test_chunks_on_time_give_their_spread_and_a_stall_gives_its_length():
    arrival = Arrival()
    rng = np.random.default_rng(3)
    for k in range(20):  # 2 s chunks, each within ±0.1 s of its time
        arrival.add(100.0 + 2.0 * k + rng.uniform(-0.1, 0.1), 2.0)
    assert 0.05 < arrival.jitter_s <= 0.2
    arrival.add(100.0 + 2.0 * 20 + 3.0, 2.0)  # one 3 s late (a network stall)
    assert arrival.jitter_s == pytest.approx(3.0, abs=0.2)


def test_a_stream_ahead_of_real_time_is_never_late():
    burst = Arrival()
    for _ in range(10):  # ten chunks at once (the model's head start), then one every 2 s
        burst.add(50.0, 2.0)
    for k in range(1, 10):
        burst.add(50.0 + 2.0 * k, 2.0)
    assert burst.jitter_s == pytest.approx(0.0, abs=1e-9)
    fast = Arrival()
    for k in range(40):  # a fake that streams five times faster than real time
        fast.add(10.0 + 0.4 * k, 2.0)
    assert fast.jitter_s == 0.0


def test_the_window_forgets_an_old_stall():
    arrival = Arrival(window=5)
    arrival.add(0.0, 2.0)
    arrival.add(6.0, 2.0)  # 4 s late
    assert arrival.jitter_s == pytest.approx(4.0)
    for k in range(2, 8):
        arrival.add(6.0 + 2.0 * (k - 1), 2.0)
    assert arrival.jitter_s == 0.0  # on its new schedule since: the stall has left the window of five


def test_what_must_be_held_covers_a_chunk_and_the_delays():
    arrival = Arrival()
    for k in range(5):
        arrival.add(2.0 * k, 2.0)
    assert arrival.needed_s() == pytest.approx(2.0)  # on time: one chunk plays out before the next comes
    arrival.add(2.0 * 5 + 1.0, 2.0)  # a second late
    assert arrival.needed_s() == pytest.approx(2.0 + 1.25)
