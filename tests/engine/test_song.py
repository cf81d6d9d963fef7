"""The song on the engine: clips land on their bars to the frame, repeat, cut, offset, mix; the loop region wraps."""

import numpy as np

from padserver.drivers.offline import OfflineRenderer
from padserver.engine import commands as cmd
from padserver.engine import events as ev
from padserver.engine.song import SongClip
from tests.engine.helpers import dc, make_engine, q, ramp

BAR = 96000  # 120 BPM, 48 kHz
BEATS = 4


def song(engine, clips, gains, loop=None):
    engine.send(cmd.SetSong(tuple(clips), np.asarray(gains, dtype=np.float32), loop))


def clip(track, buffer, start_bar, bars, offset_bars=0.0):
    start = (start_bar - 1) * BEATS
    return SongClip(track, buffer, start, start + bars * BEATS, start - offset_bars * BEATS, buffer.shape[1])


def render(engine, frames, at=None, block=128):
    at = at or {}

    def before(frame):
        for c in at.get(frame, []):
            engine.send(c)

    return OfflineRenderer(engine, block).render(frames, before_block=before)


def test_clips_start_on_their_bars_repeat_cut_and_offset():
    engine = make_engine(fade_ms=0.0)
    one_bar = 0.5 * ramp(BAR)  # value tells the place in the loop
    song(
        engine,
        [
            clip(0, one_bar, 2, 2),  # bars 2–3: the loop twice
            clip(1, one_bar, 4, 1, offset_bars=0.5),  # bar 4: from the loop's middle, wrapping
        ],
        [[1.0, 0.0], [0.0, 1.0]],  # track 1 on the left, track 2 on the right
    )
    master = render(engine, 5 * BAR, {0: [cmd.Transport("play")]})
    left, right = master[0], master[1]
    assert np.all(left[:BAR] == 0) and left[BAR] == one_bar[0, 0]  # bar 2's first frame
    np.testing.assert_array_equal(left[BAR : 2 * BAR], one_bar[0])
    np.testing.assert_array_equal(left[2 * BAR : 3 * BAR], one_bar[0])  # repeated
    assert np.all(left[3 * BAR :] == 0)  # cut at the clip's end
    np.testing.assert_array_equal(right[3 * BAR : 3 * BAR + BAR // 2], one_bar[0, BAR // 2 :])
    np.testing.assert_array_equal(right[3 * BAR + BAR // 2 : 4 * BAR], one_bar[0, : BAR // 2])
    assert np.all(right[4 * BAR :] == 0)


def test_track_gains_and_a_stopped_track_mix():
    engine = make_engine(fade_ms=0.0)
    dc = np.full((2, BAR), 0.25, dtype=np.float32)
    song(engine, [clip(0, dc, 1, 1), clip(1, dc, 1, 1)], [[0.5, 0.5], [0.0, 0.0]])  # track 2 muted
    master = render(engine, BAR, {0: [cmd.Transport("play")]})
    assert np.allclose(master, 0.125)


def test_the_loop_region_cycles_on_the_bar_and_stop_returns():
    engine = make_engine(fade_ms=2.0)
    one_bar = 0.5 * ramp(BAR)
    song(engine, [clip(0, one_bar, 1, 4)], [[1.0, 1.0]], loop=(1 * BEATS, 3 * BEATS))  # bars 2..3
    master = render(engine, 6 * BAR, {0: [cmd.Transport("play")]})
    left = master[0]
    # bars 1, 2, 3, then 2, 3, 2 …: each bar line reads the loop from its start
    for bar in range(6):
        assert abs(left[bar * BAR + 200] - one_bar[0, 200]) < 1e-6, bar
    # the wrap is a crossfade, not a jump: no step larger than the loop's own near the wrap
    steps = np.abs(np.diff(left[3 * BAR - 500 : 3 * BAR + 500]))
    assert steps.max() < 0.6
    assert engine.song.song_beat(engine.clock, engine.frame) < 3 * BEATS


def test_a_loop_end_in_frames_the_driver_skipped_still_wraps():
    # a cycle the audio driver dropped is skipped in the music (the JACK backend moves the frame on): when the
    # loop region's end falls in it, the song wraps on the first frame after, where the loop would be by then
    engine = make_engine(fade_ms=2.0)
    one_bar = 0.5 * ramp(BAR)
    song(engine, [clip(0, one_bar, 1, 4)], [[1.0, 1.0]], loop=(1 * BEATS, 3 * BEATS))  # bars 2..3
    engine.send(cmd.Transport("play"))
    while engine.frame < 3 * BAR - 128:
        engine.process(128)
    engine.frame += 256  # frames 3 BAR − 128 … 3 BAR + 128 never played
    after = engine.process(128)[0].copy()
    assert engine.song.jumped_at == 3 * BAR + 128
    assert abs(engine.song.jumped_to - (1 * BEATS + 128 * BEATS / BAR)) < 1e-9
    assert abs(after[-1] - one_bar[0, 128 + 127]) < 1e-6  # bar 2 again, 128 frames in (past the crossfade)
    while engine.frame < 5 * BAR + 256:  # and it goes on looping on the bar grid: bar 2 from 4 BAR and 5 BAR
        block = engine.process(128)[0]
        if engine.frame - 128 in (4 * BAR + 128, 5 * BAR + 128):
            assert abs(block[0] - one_bar[0, 128]) < 1e-6, engine.frame
    assert engine.song.song_beat(engine.clock, engine.frame) < 3 * BEATS
    engine.send(cmd.Transport("locate", 4 * BEATS))  # a locate past the region's end plays on from there
    for _ in range(BAR // 128):
        engine.process(128)
    assert engine.song.song_beat(engine.clock, engine.frame) > 5 * BEATS - 0.01


def test_play_while_pads_play_joins_their_grid_on_the_next_bar():
    engine = make_engine(fade_ms=0.0)
    engine.send(cmd.SetBuffer(0, np.full((2, BAR), 0.1, np.float32), BAR, q("1")))
    engine.send(cmd.Launch(0, q("1")))
    dc = np.full((2, BAR), 0.2, dtype=np.float32)
    song(engine, [clip(0, dc, 1, 1)], [[1.0, 1.0]])
    master = render(engine, 2 * BAR, {12800: [cmd.Transport("play")]})
    assert np.allclose(master[0, 12800:BAR], 0.1)  # only the pad until the bar line
    assert np.allclose(master[0, BAR : 2 * BAR], 0.3)  # the song's bar 1 on the pads' bar 2


def test_the_metronome_clicks_on_every_beat_with_the_downbeat_accented():
    engine = make_engine(fade_ms=0.0)
    song(engine, [], np.zeros((0, 2)))
    engine.send(cmd.SetMetronome(True, 0.5))
    master = render(engine, 2 * BAR, {0: [cmd.Transport("play")]})
    beat = BAR // 4
    onsets = [i for i in range(1, 2 * BAR) if master[0, i] != 0 and master[0, i - 1] == 0]
    # a click starts on each beat's first frame (its first sample is sin(0) = 0: the next one sounds)
    assert [o - 1 for o in onsets] == [b * beat for b in range(8)]
    downbeat = np.abs(master[0, 0:1000]).max()
    other = np.abs(master[0, beat : beat + 1000]).max()
    assert downbeat > 1.5 * other > 0


def test_resampling_records_the_master_from_the_next_bar_exactly():
    engine = make_engine(fade_ms=0.0)
    loop = 0.5 * ramp(BAR)
    engine.send(cmd.SetBuffer(0, loop, BAR, q("1")))
    engine.send(cmd.Launch(0, q("1")))
    take = np.zeros((2, BAR), dtype=np.float32)
    master = render(engine, 3 * BAR, {1280: [cmd.Record(1, take, master=True)]})
    np.testing.assert_array_equal(take, master[:, BAR : 2 * BAR])  # bar 2, as it left the engine
    assert engine.events.drain()[-1].name == "recorded" and np.array_equal(engine.recorded, take)


def test_a_take_is_handed_over_before_its_event_can_be_read():
    # the control thread reads the take as soon as it sees the event: the audio thread may be preempted right
    # after the push, so the take must be in place by then
    engine = make_engine(fade_ms=0.0)
    seen = []
    push = engine.events.push

    def push_and_look(kind, pad, frame, value=0):
        push(kind, pad, frame, value)
        if kind == ev.RECORDED:
            seen.append(engine.recorded)  # what a control thread running at this instant would find

    engine.events.push = push_and_look
    take = np.zeros((2, BAR), dtype=np.float32)
    render(engine, 3 * BAR, {1280: [cmd.Record(1, take, master=True)]})
    assert len(seen) == 1 and seen[0] is not None and seen[0].shape == (2, BAR)


def test_an_open_ended_recording_ends_on_the_bar_line_after_it_is_asked_to():
    engine = make_engine(fade_ms=0.0)
    signal = (np.arange(4 * BAR, dtype=np.float32) + 1) / (4 * BAR)  # each input frame says where it was
    take = np.zeros((2, 10 * BAR), dtype=np.float32)
    asked = {1280: [cmd.Record(0, take, (0, 0))], BAR + BAR // 2: [cmd.FinishRecord()]}

    def before(frame):
        engine.inputs = [signal[frame : frame + 128]]
        for c in asked.get(frame, []):
            engine.send(c)

    OfflineRenderer(engine, 128).render(4 * BAR - 128, before_block=before)
    # nothing plays, so the grid starts at frame 0: the take runs from bar 2 to the bar line after the finish (bar 3)
    got = engine.recorded
    assert got is not None and got.shape == (2, BAR)
    np.testing.assert_array_equal(got[0], signal[BAR : 2 * BAR])


def onsets_of(row, start=0):
    """Frames where a click starts: after 100 silent frames (its first sample is sin(0) = 0: one frame earlier)."""
    loud = np.abs(row) > 1e-6
    return [start + i - 1 for i in np.flatnonzero(loud) if not loud[max(0, i - 100) : i].any()]


def test_a_count_in_clicks_one_bar_then_the_song_starts_on_the_next():
    engine = make_engine(fade_ms=0.0)
    song(engine, [clip(0, dc(BAR, 0.3), 1, 2)], [[1.0, 1.0]])  # the metronome itself is off
    master = render(engine, 4 * BAR, {1280: [cmd.Transport("play", count_in=1)]})
    beat = BAR // 4
    # nothing was playing: the count-in starts at once (the grid with it), the song a bar later
    assert onsets_of(master[0, : BAR - 10]) == [1280 + b * beat for b in range(4)]
    assert np.all(master[:, 1280 + 4 * beat - 1] == 0) and np.allclose(master[:, 1280 + BAR : 1280 + BAR + 100], 0.3)
    accent, other = (
        np.abs(master[0, 1280 : 1280 + 1000]).max(),
        np.abs(master[0, 1280 + beat : 1280 + beat + 1000]).max(),
    )
    assert accent > 1.5 * other > 0
    assert np.allclose(master[:, 1280 + BAR + 2000 : 1280 + 3 * BAR], 0.3)  # no clicks once the song plays


def test_a_pad_recording_counts_in_and_starts_a_bar_later():
    engine = make_engine(fade_ms=0.0)
    engine.send(cmd.SetBuffer(0, dc(BAR, 0.1), BAR, q("1")))
    engine.send(cmd.Launch(0, q("1")))  # a pad plays from frame 0: the grid
    signal = (np.arange(4 * BAR, dtype=np.float32) + 1) / (4 * BAR)
    take = np.zeros((2, BAR), dtype=np.float32)

    def before(frame):
        engine.inputs = [signal[frame : frame + 128]]
        if frame == 1280:
            engine.send(cmd.Record(1, take, (0, 0), count_in=1))

    master = OfflineRenderer(engine, 128).render(4 * BAR, before_block=before)
    beat = BAR // 4
    assert onsets_of(master[0, BAR : 2 * BAR] - 0.1, BAR) == [BAR + b * beat for b in range(4)]  # bar 2 counts
    np.testing.assert_array_equal(engine.recorded[0], signal[2 * BAR : 3 * BAR])  # bar 3 is the take
    assert np.allclose(master[:, 2 * BAR + 2000 : 4 * BAR], 0.1)  # the pad alone afterwards


def test_the_click_can_have_outputs_of_its_own():
    engine = make_engine(fade_ms=0.0)
    song(engine, [], np.zeros((0, 2)))
    engine.send(cmd.SetMetronome(True, 0.5, to_master=False))
    engine.send(cmd.Transport("play"))
    master, click = np.zeros((2, BAR), dtype=np.float32), np.zeros((2, BAR), dtype=np.float32)
    for f in range(0, BAR, 128):
        master[:, f : f + 128] = engine.process(128)
        click[:, f : f + 128] = engine.metronome.out[:, :128]
    assert not master.any()  # nothing on the master
    assert onsets_of(click[0]) == [b * (BAR // 4) for b in range(4)]
    assert np.array_equal(click[0], click[1])


def test_a_click_due_in_frames_the_driver_skipped_sounds_on_after_them():
    # a cycle the driver dropped is skipped in the music: a count-in click due in it is not lost for good, it
    # sounds from where it would be by then (a dropout costs 2.7 ms of it, not a beat of the count-in)
    clean, dropped = make_engine(fade_ms=0.0), make_engine(fade_ms=0.0)
    beat = BAR // 4
    out = {}
    for name, engine in (("clean", clean), ("dropped", dropped)):
        engine.send(cmd.Transport("play", count_in=1))
        blocks = np.zeros((2, BAR), dtype=np.float32)
        while engine.frame < BAR - 128:
            f0 = engine.frame
            if engine is dropped and f0 == beat - 64:  # the second click's onset falls in the frames skipped
                engine.frame += 128
                continue
            blocks[:, f0 : f0 + 128] = engine.process(128)
        out[name] = blocks
    a, b = out["clean"][0], out["dropped"][0]
    after = beat + 64  # the first frame played after the skip
    assert np.array_equal(b[after : after + 1000], a[after : after + 1000]) and np.abs(b[after : after + 100]).max() > 0
    assert np.array_equal(b[2 * beat - 10 : BAR - 128], a[2 * beat - 10 : BAR - 128])  # the beats after: as ever
