"""A live pad's voice: it plays its stream's ring from the launch on, across laps, on the grid through tempo
changes, and fades out when the stream runs dry (rendered offline, frame by frame)."""

import numpy as np

from padserver.drivers.offline import OfflineRenderer
from padserver.engine import commands as cmd
from padserver.engine import events as ev
from padserver.engine.live_feed import LiveFeed
from tests.engine.helpers import grown_in_blocks, make_engine, q

BEAT = 24000  # frames per beat at 120 BPM
BAR = 4 * BEAT


def clicks(frames: int, every: int, level: float = 0.8) -> np.ndarray:
    """A (2, frames) stream with a 1-frame click at the start of each ``every`` frames."""
    out = np.zeros((2, frames), dtype=np.float32)
    out[:, ::every] = level
    return out


def render(engine, frames, at, block=128):
    def before(frame):
        for command in at.get(frame, []):
            engine.send(command)

    return OfflineRenderer(engine, block).render(frames, stems=True, before_block=before)


def live_pad(engine, pad: int, ring_frames: int) -> LiveFeed:
    engine.send(cmd.SetMode(pad, cmd.LIVE))
    feed = LiveFeed(ring_frames, BEAT)  # ring time at 120 BPM
    engine.send(cmd.SetLiveFeed(pad, feed))
    return feed


def test_a_stream_plays_from_its_launch_on_the_bar_and_runs_dry_where_its_writer_stopped():
    engine = make_engine(fade_ms=0.0)
    engine.send(cmd.SetBuffer(0, clicks(BAR, BAR), BAR, q("1")))  # pad 1 starts the grid, a click a bar
    feed = live_pad(engine, 1, 3 * BAR + 1000)  # a ring that is not a whole number of bars
    feed.write(clicks(feed.frames, BEAT, 0.5))
    launch_at = 1024  # pressed during the first bar: it starts on the second bar line
    _, stems = render(engine, 9 * BAR, {0: [cmd.Launch(0, q("1"))], launch_at: [cmd.Launch(1, q("1"))]})
    heard = np.flatnonzero(stems[1, 0] > 0.25)
    assert list(heard[:4]) == [BAR, BAR + BEAT, BAR + 2 * BEAT, BAR + 3 * BEAT]  # from the bar line, on the beats
    # nothing more was written: when the ring's frames are heard it runs dry there, not into a stale lap
    dry = [e.frame for e in engine.events.drain() if e.kind == ev.UNDERRUN]
    assert len(dry) == 1 and BAR + feed.frames - 256 <= dry[0] <= BAR + feed.frames
    assert heard[-1] < BAR + feed.frames and feed.played <= feed.written


def test_a_stream_kept_fed_plays_on_across_laps_and_follows_a_tempo_change_on_the_beat():
    engine = make_engine(fade_ms=0.0)
    feed = live_pad(engine, 0, 2 * BAR)
    stream = clicks(20 * BAR, BEAT, 0.5)
    fed = {"n": feed.write(stream)}
    change = 2 * BAR + 128 * 10

    def before(frame):
        if frame == 0:
            engine.send(cmd.Launch(0, q("off")))
        if frame == change:
            engine.send(cmd.SetTempo(150.0))
        fed["n"] += feed.write(stream[:, fed["n"] :])  # the control side tops the ring up as it is heard

    _, stems = OfflineRenderer(engine, 128).render(6 * BAR, stems=True, before_block=before)
    events = engine.events.drain()
    assert ev.UNDERRUN not in [e.kind for e in events]
    heard = np.flatnonzero(np.diff((stems[0, 0] > 0.25).astype(np.int8)) > 0) + 1
    clock = engine.clock
    beats = [
        clock.first_frame_at(b) for b in range(int(np.ceil(clock.beat_at(change))), int(clock.beat_at(6 * BAR - 1)) + 1)
    ]
    after = [h for h in heard if h > change + BEAT]
    # every beat of the stream on a beat of the grid at the new tempo (within the varispeed's one frame)
    assert len(after) >= 8
    assert all(min(abs(h - b) for b in beats) <= 1 for h in after), (after[:8], beats[:8])


def test_a_stream_that_runs_dry_fades_out_and_says_so():
    engine = make_engine(fade_ms=2.0)
    feed = live_pad(engine, 0, 4 * BAR)
    feed.write(np.full((2, BAR), 0.5, dtype=np.float32))  # one bar of sound, then nothing arrives
    _, stems = render(engine, 2 * BAR, {0: [cmd.Launch(0, q("off"))]})
    kinds = [e.kind for e in engine.events.drain()]
    assert ev.UNDERRUN in kinds and kinds.index(ev.UNDERRUN) < kinds.index(ev.STOPPED)
    out = stems[0, 0]
    last = int(np.flatnonzero(out > 1e-6)[-1])
    assert BAR - 2 * 128 - 96 <= last < BAR  # faded out before the ring's unwritten part was reached
    assert np.abs(np.diff(out)).max() < 0.5 / 96 * 1.6  # a fade, not a cut (a 2 ms raised cosine)
    assert not out[BAR:].any()  # nothing stale from the ring


def test_a_live_pad_ignores_presses_matched_on_the_audio_thread():
    engine = make_engine()
    feed = live_pad(engine, 0, BAR)
    feed.write(np.full((2, BAR), 0.5, dtype=np.float32))
    OfflineRenderer(engine, 128).render(128)  # (the commands are applied)
    assert engine.press(0, 0, 100) is False  # the control side opens and ends the stream
    engine.send(cmd.Trigger(0, q("off")))
    _, stems = render(engine, 1024, {})
    assert not stems[0].any()


def test_live_pads_allocate_nothing_that_grows_in_the_callback():
    engine = make_engine()
    feeds = [live_pad(engine, pad, 4 * BAR) for pad in range(16)]
    for pad, feed in enumerate(feeds):
        feed.write(clicks(feed.frames, BEAT, 0.05))
        engine.send(cmd.Launch(pad, q("off")))
    engine.send(cmd.SetTempo(133.0))  # (played resampled)
    grown = grown_in_blocks(engine)
    assert grown < 8 * 1024, grown
