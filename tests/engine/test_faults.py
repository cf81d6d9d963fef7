"""A part of the music that fails inside the audio callback falls silent alone: the rest plays on, sample for
sample as it would have, and the failure is counted and named for the control side to report."""

import numpy as np
import pytest

from padserver.engine import commands as cmd
from padserver.engine.song import SongClip
from tests.engine.helpers import dc, load, make_engine, q

BAR = 96000
BLOCK = 128


def _render(engine, blocks, block=BLOCK):
    return np.concatenate([engine.process(block).copy() for _ in range(blocks)], axis=1)


def _playing(*pads, level=0.25):
    engine = make_engine()
    for pad in pads:
        load(engine, pad, dc(BAR, level))
        engine.send(cmd.Launch(pad, q("off")))
    return engine


@pytest.mark.parametrize(
    "broken",
    [
        np.zeros((2, 0), np.float32),  # an empty loop: a modulo by zero where it wraps
        np.zeros((3, BAR), np.float32),  # three channels into a stereo row
    ],
    ids=["empty", "three-channels"],
)
def test_a_pad_that_fails_falls_silent_and_the_others_play_on_unchanged(broken):
    alone = _render(_playing(0), 20)
    engine = _playing(0)
    engine.process(BLOCK)
    engine.events.drain()
    engine.send(cmd.SetBuffer(2, broken, float(BAR), q("1")))
    engine.send(cmd.Launch(2, q("off")))
    heard = np.concatenate([alone[:, :BLOCK], _render(engine, 19)], axis=1)
    assert np.array_equal(heard, alone)  # pad 1 as if pad 3 had never been pressed
    assert engine.faults.count == 1 and engine.faults.where == "pad 3"
    assert not engine.voices[2].busy
    assert [e.name for e in engine.events.drain() if e.pad == 2][-1] == "stopped"  # the tablet hears of it
    # a press tries again, and fails alone again
    engine.send(cmd.Launch(2, q("off")))
    assert np.array_equal(_render(engine, 2), alone[:, -2 * BLOCK :])  # (a steady level by then)
    assert engine.faults.count == 2


def test_a_command_that_fails_is_dropped_and_the_next_one_applies():
    engine = _playing(0)
    engine.send(object())  # no handler: dropped, counted
    engine.send(cmd.SetRegion(0, 0.0, 0.5))
    engine.process(BLOCK)
    assert engine.faults.count == 1 and engine.faults.where == "object"
    assert engine.voices[0].playing and engine.voices[0].region == (0.0, 0.5)


def test_a_pad_whose_audio_is_not_a_number_is_silenced_and_never_reaches_the_output():
    alone = _render(_playing(0), 8)
    engine = _playing(0)
    poisoned = dc(BAR, 0.25)
    poisoned[:, 1000:2000] = np.nan
    load(engine, 5, poisoned)
    engine.send(cmd.Launch(5, q("off")))
    heard = _render(engine, 8)
    assert np.isfinite(heard).all()
    first_bad = 1000 // BLOCK  # that block is silent; pad 1 is back from the next block on
    assert not heard[:, first_bad * BLOCK : (first_bad + 1) * BLOCK].any()
    assert np.array_equal(heard[:, (first_bad + 1) * BLOCK :], alone[:, (first_bad + 1) * BLOCK :])
    assert engine.faults.where == "pad 6" and not engine.voices[5].playing
    assert engine.limiter.gain_db == 0.0  # the limiter never saw it


def test_a_song_that_fails_stops_and_the_pads_play_on():
    alone = _render(_playing(0), 10)
    engine = _playing(0)
    broken = SongClip(0, np.zeros((3, BAR), np.float32), 0.0, 4.0, 0.0, float(BAR))  # three channels
    engine.send(cmd.SetSong((broken,), np.ones((1, 2), np.float32), None))
    engine.send(cmd.Transport("play"))
    heard = _render(engine, 10)
    assert np.array_equal(heard, alone)
    assert engine.faults.where == "song" and not engine.song.playing


def test_a_region_narrower_than_a_few_ms_plays_a_cycle_of_a_few_ms():
    # (a 1e-4 region of a one-bar loop is 9.6 frames: wrapping 13 times a block cost ~50 pads' worth each)
    from padserver.engine.varispeed import MIN_CYCLE
    from tests.engine.helpers import ramp

    engine = make_engine()
    load(engine, 0, ramp(BAR))
    engine.send(cmd.SetRegion(0, 0.5, 0.5001))
    engine.send(cmd.Launch(0, q("off")))
    heard = _render(engine, 32)[0]
    cycle = int(MIN_CYCLE)
    assert np.array_equal(heard[1024:2048], heard[1024 + cycle : 2048 + cycle])  # it repeats every cycle …
    assert not np.array_equal(heard[1024:2048], heard[1024 + 10 : 2048 + 10])  # … not every 9.6 frames
    assert heard[1024:2048].min() > 0.49  # and it plays from the region's start (the ramp's middle)
