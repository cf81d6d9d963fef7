"""Tempo changes: loops keep to their bars at once (played resampled) until a re-stretched buffer takes over."""

import numpy as np

from padserver.drivers.offline import OfflineRenderer
from padserver.engine import commands as cmd
from tests.engine.helpers import RATE, grown_in_blocks, make_engine, q, ramp

BEAT = 24000  # frames per beat at 120 BPM


def render(engine, frames, at, block=128):
    def before(frame):
        for command in at.get(frame, []):
            engine.send(command)

    return OfflineRenderer(engine, block).render(frames, stems=True, before_block=before)


def wraps(signal):
    """Frames where the ramp starts again (the loop's cycle boundaries)."""
    return [int(i) + 1 for i in np.flatnonzero(np.diff(signal) < -0.2)]


def fitted(engine, pad, buffer, beats):
    engine.send(cmd.SetBuffer(pad, buffer, buffer.shape[1], q("1"), beat_frames=buffer.shape[1] / beats))


def test_a_tempo_change_keeps_the_loop_on_the_bar_grid():
    engine = make_engine(fade_ms=0.0)
    fitted(engine, 0, 0.5 * ramp(4 * BEAT), 4)  # one bar at 120 BPM
    change = 128 * 300  # within the first bar
    _, stems = render(engine, 4 * 4 * BEAT, {0: [cmd.Launch(0, q("1"))], change: [cmd.SetTempo(150.0)]})
    clock = engine.clock
    bars = [clock.first_frame_at(clock.beat_of_bar(b)) for b in (1, 2, 3)]
    assert wraps(stems[0, 0])[:3] == bars  # every cycle ends on a bar line of the new tempo
    # and within a cycle the loop reads 150/120 as fast: its ramp rises faster
    slope = np.diff(stems[0, 0, bars[0] + 10 : bars[0] + 1000]).mean()
    assert abs(slope / (0.5 / (4 * BEAT) * 1.25) - 1) < 1e-3
    # no jump where the tempo changed
    step = abs(float(stems[0, 0, change] - stems[0, 0, change - 1]))
    assert step < 2 * 0.5 / (4 * BEAT) * 1.25


def test_a_restretched_buffer_takes_over_on_the_loop_boundary_and_plays_exactly():
    engine = make_engine(fade_ms=0.0)
    fitted(engine, 0, 0.5 * ramp(4 * BEAT), 4)
    new_bar = round(4 * RATE * 60 / 100.0)  # 115200 frames: one bar at 100 BPM
    refit = 0.25 * ramp(new_bar)
    at = {
        0: [cmd.Launch(0, q("1"))],
        1280: [cmd.SetTempo(100.0)],
        2560: [cmd.SetBuffer(0, refit, new_bar, q("1"), at_wrap=True, beat_frames=new_bar / 4)],
    }
    _, stems = render(engine, 1280 + 3 * new_bar, at)
    first = 1280 + round((4 * BEAT - 1280) * 120 / 100)  # the rest of bar 1 takes longer at 100 BPM
    assert wraps(stems[0, 0])[0] == first
    # from the boundary on, the new buffer plays sample for sample (no resampling)
    np.testing.assert_array_equal(stems[0, 0, first + 5 : first + 500], refit[0, 5:500])
    assert wraps(stems[0, 0])[1] == first + new_bar


def test_varispeed_blocks_allocate_nothing_that_grows():
    engine = make_engine()
    for pad in range(16):
        fitted(engine, pad, 0.05 * ramp(4 * BEAT), 4)
        engine.send(cmd.Launch(pad, q("off")))
    engine.send(cmd.SetTempo(133.0))
    grown = grown_in_blocks(engine)
    assert grown < 8 * 1024, grown
