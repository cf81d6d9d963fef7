"""The one ring type: rows handed from a writer to a reader, wrapping, and what an overrun leaves."""

import numpy as np

from padserver.engine.ring import Ring


def test_a_block_wraps_round_the_end_and_reads_back_in_order():
    ring = Ring(8, 2, np.float32)
    ring.push_block(np.zeros((2, 5), np.float32))
    ring.read = 5
    block = np.arange(12, dtype=np.float32).reshape(2, 6)  # left 0..5, right 6..11
    assert ring.room() == 8
    ring.push_block(block)
    got = np.array([ring.at(i) for i in ring.unread()])
    assert np.array_equal(got, block.T) and ring.written == 11 and ring.room() == 2


def test_a_reader_that_fell_behind_gets_the_newest_capacity_rows():
    ring = Ring(4)
    for v in range(10):
        ring.rows[ring.slot()] = v
        ring.commit()
    assert [float(ring.at(i)) for i in ring.unread()] == [6.0, 7.0, 8.0, 9.0]
    assert list(ring.rows[ring.newest(2, skip=1)]) == [7.0, 8.0]
