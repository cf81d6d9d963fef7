"""Following an external MIDI clock: the tempo from a jittery clock, and the grid on its beats."""

import numpy as np
import pytest

from padserver.actions import Actions
from padserver.engine import commands as cmd
from padserver.engine.mixer import Engine
from padserver.state.project import Project
from padserver.sync.follow import MidiClockFollower
from padserver.sync.jack_clock import ClockIn

RATE = 48000


def follower(stamped=False):
    actions = Actions(Project(), Engine(RATE, 1024), library=None, allowed=[])
    actions.sync_source = "midi"
    clock_in = ClockIn(port=None, follow=True)
    clock_in.stamped = stamped  # (as the rtmidi clock in's: its ticks carry a MIDI driver's timestamps)
    return actions, clock_in, MidiClockFollower(actions, clock_in, RATE)


def feed(clock_in, frames):
    for f in frames:
        clock_in.ticks.rows[clock_in.ticks.slot()] = f
        clock_in.ticks.commit()


@pytest.mark.parametrize("jitter_ms", [0.0, 0.5, 1.0])
def test_a_jittery_clock_gives_a_steady_tempo(jitter_ms):
    actions, clock_in, f = follower()
    rng = np.random.default_rng(7)
    per_tick = RATE * 60 / (123.0 * 24)
    ticks = np.arange(24 * 4 * 4) * per_tick + rng.uniform(-1, 1, 24 * 4 * 4) * jitter_ms * RATE / 1000
    seen = []
    for k in range(0, len(ticks), 4):  # the control side looks every 4 ticks (about 20 ms)
        feed(clock_in, np.round(ticks[k : k + 4]))
        f.poll()
        if k >= 2 * 96:  # after two bars
            seen.append(actions.project.tempo)
    assert max(abs(t - 123.0) for t in seen) <= 0.1, seen
    follows = [c for c in actions.engine.commands if isinstance(c, cmd.FollowClock)]
    assert len(follows) <= (3 if jitter_ms == 0 else 60)  # a steady clock does not keep re-timing the loops


def test_after_start_the_clock_beats_lie_on_the_ticks():
    actions, clock_in, f = follower()
    per_tick = RATE * 60 / (100.0 * 24)
    ticks = np.ceil(np.arange(200) * per_tick)
    feed(clock_in, ticks[:48])
    clock_in.events.append(("start", float(ticks[47]), 0.0))  # the song starts on tick 47
    actions.song = type("S", (), {"set_state": lambda self, s: None})()
    f.poll()
    for k in range(48, 200, 4):
        feed(clock_in, ticks[k : k + 4])
        f.poll()
    last = [c for c in actions.engine.commands if isinstance(c, cmd.FollowClock)][-1]
    actions.engine.clock.follow(last.frame, last.beat, last.tempo)
    for k in (48 + 24, 48 + 96, 196):
        beat = (k - 47) / 24
        assert actions.engine.clock.frame_at(beat) == pytest.approx(ticks[k], abs=2.5)  # within 2 frames (+ rounding)


def test_a_tempo_change_is_followed_within_a_beat():
    actions, clock_in, f = follower()
    slow, fast = RATE * 60 / (120.0 * 24), RATE * 60 / (128.0 * 24)
    ticks = list(np.arange(192) * slow) + list(191 * slow + np.arange(1, 97) * fast)
    settled = None
    for k in range(0, len(ticks), 2):
        feed(clock_in, np.round(ticks[k : k + 2]))
        f.poll()
        if k >= 192 and settled is None and abs(actions.project.tempo - 128.0) <= 0.1:
            settled = k - 192
    assert settled is not None and settled <= 12, settled  # ticks after the change: half a beat
    assert actions.project.tempo == pytest.approx(128.0, abs=0.01)


def _click_loop_playing(bar: int) -> Engine:
    """An engine at 120 BPM with a one-bar loop, a click on its first frame, launched on pad 1."""
    from tests.engine.helpers import make_engine, q

    engine = make_engine(fade_ms=0.0, block=128)
    buffer = np.zeros((2, bar), dtype=np.float32)
    buffer[:, 0] = 1.0
    engine.send(cmd.SetBuffer(0, buffer, bar, q("1")))
    engine.send(cmd.Launch(0, q("1")))
    return engine


def test_a_playing_loop_follows_a_phase_move_of_the_clock_and_keeps_it():
    bar = 96000
    engine = _click_loop_playing(bar)
    out = []
    for frame in range(0, 5 * bar, 128):
        if frame == bar + 12800:  # the outside clock's beats come 10 frames later than ours
            engine.send(cmd.FollowClock(float(frame + 10), engine.clock.beat_at(frame), 120.0))
        out.append(engine.process(128)[0].copy())
    clicks = np.flatnonzero(np.concatenate(out) > 0.5)
    assert list(clicks) == [0, bar, 2 * bar + 10, 3 * bar + 10, 4 * bar + 10]


def test_ticks_lost_to_dropped_cycles_do_not_move_the_beats():
    actions, clock_in, f = follower()
    actions.song = type("S", (), {"set_state": lambda self, s: None})()
    per_tick = RATE * 60 / (123.0 * 24)
    ticks = np.ceil(np.arange(400) * per_tick)
    kept = [k for k in range(400) if k < 48 or k % 37 != 0]  # a tick lost now and then after the start
    feed(clock_in, ticks[:48])
    clock_in.events.append(("start", float(ticks[47]), 0.0))
    f.poll()
    for k in range(48, 400, 4):
        feed(clock_in, ticks[[i for i in kept if k <= i < k + 4]])
        f.poll()
    last = [c for c in actions.engine.commands if isinstance(c, cmd.FollowClock)][-1]
    actions.engine.clock.follow(last.frame, last.beat, last.tempo)
    for k in (120, 240, 396):
        assert actions.engine.clock.frame_at((k - 47) / 24) == pytest.approx(ticks[k], abs=2.5)


def test_a_driver_stamped_clock_that_loses_ticks_and_stamps_some_late_keeps_its_tempo_and_beats():
    # through rtmidi (its JACK API loses the ticks of a dropped cycle; every stamp wanders by a millisecond or
    # two, and one now and then comes more than half a tick late): the ticks lost are counted, a late one is not
    # taken for a loss
    actions, clock_in, f = follower(stamped=True)
    actions.song = type("S", (), {"set_state": lambda self, s: None})()
    rng = np.random.default_rng(3)
    per_tick = RATE * 60 / (123.0 * 24)
    ticks = np.arange(600) * per_tick
    stamps = ticks + rng.uniform(-1, 1, 600) * 0.0015 * RATE
    late = [k for k in range(60, 600, 53)]
    stamps[late] = ticks[late] + 0.6 * per_tick
    kept = [k for k in range(600) if k < 48 or k % 37 != 0]
    feed(clock_in, stamps[:48])
    clock_in.events.append(("start", float(stamps[47]), 0.0))
    f.poll()
    seen = []
    for k in range(48, 600, 4):
        feed(clock_in, stamps[[i for i in kept if k <= i < k + 4]])
        f.poll()
        if k >= 48 + 2 * 96:
            seen.append(actions.project.tempo)
    assert max(abs(t - 123.0) for t in seen) <= 0.1, seen
    last = [c for c in actions.engine.commands if isinstance(c, cmd.FollowClock)][-1]
    actions.engine.clock.follow(last.frame, last.beat, last.tempo)
    assert actions.engine.clock.frame_at((596 - 47) / 24) == pytest.approx(ticks[596], abs=0.0005 * RATE)


@pytest.mark.parametrize("first", ["late", "together"])
def test_a_clock_whose_first_ticks_come_unevenly_is_not_read_at_twice_its_tempo(first):
    # the first ticks through a driver: the first late (its gap to the next is less than half a tick), or two stamped
    # together (queued while the port opened); no spacing read from them may become the clock's step
    actions, clock_in, f = follower(stamped=True)
    per_tick = RATE * 60 / (123.0 * 24)
    stamps = np.arange(400) * per_tick
    if first == "late":
        stamps[0] += 0.55 * per_tick
    else:
        stamps[0] = stamps[1]
    for k in range(0, 400, 2):
        feed(clock_in, stamps[k : k + 2])
        f.poll()
    assert actions.project.tempo == pytest.approx(123.0, abs=0.1)


def test_loops_playing_when_the_outside_song_starts_start_again_on_its_first_bar():
    bar = 96000
    engine = _click_loop_playing(bar)
    start = bar + 30000 + 37  # the outside song starts mid-way through our bar, between two blocks
    out = []
    for frame in range(0, 4 * bar, 128):
        if frame == (start // 128 + 1) * 128:  # told at the next block, as the callback tells it
            engine.send(cmd.FollowStart(start, 0.0))
        out.append(engine.process(128)[0].copy())
    clicks = np.flatnonzero(np.concatenate(out) > 0.5)
    # before: on our bars; from the start on, on the outside song's (its first frame was played before the
    # callback could say so: the loop joins that bar late, and every later bar begins with its click)
    assert list(clicks) == [0, bar, start + bar, start + 2 * bar], clicks


@pytest.mark.parametrize("poll, lost", [(3, (-26, 13, 15)), (4, (-11, 2, 15, 19, 20)), (5, (-13, -6, 11, 18))])
def test_a_tempo_change_read_a_few_ticks_at_a_time_with_ticks_lost_around_it(poll, lost):
    # the control side reads whatever ticks came since it last looked; cycles JACK drops lose theirs
    actions, clock_in, f = follower()
    slow, fast = RATE * 60 / (120.0 * 24), RATE * 60 / (128.0 * 24)
    change = 200
    ticks = np.round(np.r_[np.arange(change) * slow, (change - 1) * slow + np.arange(1, 200) * fast])
    kept = np.setdiff1d(np.arange(len(ticks)), [change + k for k in lost])
    settled = None
    for j in range(0, len(kept), poll):
        feed(clock_in, ticks[kept[j : j + poll]])
        f.poll()
        if kept[j] >= change and settled is None and abs(actions.project.tempo - 128.0) <= 0.1:
            settled = kept[j] - change
    assert settled is not None and settled <= 12, settled  # within half a beat, as without losses
    assert f.tick == len(ticks)  # every tick counted, the lost ones too: the beats stay on their ticks
    assert actions.project.tempo == pytest.approx(128.0, abs=0.01)


class DeliveredTwice:
    """A JACK MIDI port in the cycle after a late sender's: its cycle's messages came twice (as measured on
    JACK 2, the late client's buffer is mixed in again with the next one, in frame order), each a buffer of
    one-byte items."""

    def __init__(self, *messages: tuple[int, bytes]) -> None:
        self.messages = [(offset, [bytes([b]) for b in data]) for offset, data in messages]

    def incoming_midi_events(self):
        return iter(sorted(self.messages + self.messages, key=lambda m: m[0]))


def test_a_tick_delivered_twice_on_one_frame_counts_once():
    engine = Engine(RATE, 1024)
    clock_in = ClockIn(port=DeliveredTwice((0, b"\xfa"), (0, b"\xf8"), (500, b"\xf8")), follow=True)
    clock_in.process(1024, engine)
    assert clock_in.ticks.written == 2 and list(clock_in.ticks.rows[:2]) == [
        0.0,
        500.0,
    ]  # not 4: a tick early ever after
    assert [what for what, _, _ in clock_in.events] == ["start"]
    assert sum(isinstance(c, cmd.FollowStart) for c in engine.commands) == 1


def test_a_tick_rtmidi_hands_over_twice_at_one_instant_counts_once():
    from padserver.sync.midi_clock_in import _Source

    source = _Source(port=None)
    got = [([0xFA], 0.0), ([0xF8], 0.0), ([0xFA], 0.0), ([0xF8], 0.0), ([0xF8], 0.0), ([0xF8], 0.02), ([0xF8], 0.02)]
    kept = [data for data, delta in got if not source.repeated(data, delta)]
    assert kept == [[0xFA], [0xF8], [0xF8], [0xF8]]  # one Start, and one tick at each instant


@pytest.mark.parametrize("tempo", [1e6, 0.0, float("nan"), float("inf")])
def test_an_external_tempo_out_of_range_is_not_followed(tempo, caplog):
    # (a Link peer may say anything; followed, it raised on the audio thread)
    actions, _, _ = follower()
    actions.follow_tempo(tempo, 0.0, 0.0)
    actions.follow_tempo(tempo, 1000.0, 1.0)
    assert actions.project.tempo == 120.0 and not any(isinstance(c, cmd.FollowClock) for c in actions.engine.commands)
    assert caplog.text.count("not followed") == 1
    actions.follow_tempo(126.0, 2000.0, 2.0)  # and a good one is, at once
    assert actions.project.tempo == 126.0
