"""Following and sending MIDI clock, frame by frame, on the stepped driver: its clock input and output are
read and written in the audio block that holds each message, exactly as JACK's ``padserver:clock_in`` and
``padserver:clock_out`` (the JACK ports themselves are tested in test_midi_clock.py)."""

import pytest

from padserver.harness.signals import write_click

TICK, START, CONTINUE, STOP = b"\xf8", b"\xfa", b"\xfb", b"\xfc"
FOLLOW = 'sync:\n  source: midi\n  clock_in: "daw clock:out"\nloops:\n  normalize: false\n'
RATE = 48000


class Daw:
    """A DAW's clock on exact frames: tick k at ``origin + k × per_tick``."""

    def __init__(self, d, bpm: float, origin: int = 0) -> None:
        self.d = d
        self.per_tick = RATE * 60.0 / (bpm * 24)
        self.origin = origin
        self.next = 0  # the next tick to send

    def frame(self, tick: int) -> int:
        return self.origin + round(tick * self.per_tick)

    def run(self, frames: int, at_tick: dict[int, bytes] | None = None):
        """Send the ticks of the next ``frames`` frames (with ``at_tick``'s messages before those ticks), and
        step through them; the master."""
        end = self.d.frame + frames
        events = []
        while self.frame(self.next) < end:
            if at_tick and self.next in at_tick:
                events.append((self.frame(self.next), at_tick[self.next]))
            events.append((self.frame(self.next), TICK))
            self.next += 1
        self.d.clock(*events)
        return self.d.step(frames)


def test_the_grid_follows_an_external_clock_and_its_transport(stepped, tmp_path):
    d = stepped(config=FOLLOW)
    assert d.status()["sync_source"] == "midi"
    assert "follows the midi clock" in d.osc.error("/tempo", 100.0)
    daw = Daw(d, 123.0, origin=d.frame)
    bar_ticks = 4 * 24
    daw.run(round(2 * bar_ticks * daw.per_tick))  # two bars of clock
    assert d.status()["tempo"] == pytest.approx(123.0, abs=0.01)
    click = write_click(str(tmp_path / "click.wav"))
    d.request("/pad/1/load", click, reply="/pad/1/loaded")
    start_tick = daw.next + 10
    started = daw.frame(start_tick)
    daw.run(round(24 * daw.per_tick), at_tick={start_tick: START})  # Start, with the song's first tick
    assert d.status()["transport"] == "playing"
    d.osc.send("/pad/1/play")  # on the next bar line of the external song
    sent_at = d.frame
    out = daw.run(round(bar_ticks * daw.per_tick) + 2000)
    onset = sent_at + int(next(i for i in range(out.shape[1]) if out[0, i] != 0.0))
    bars = round((onset - started) / (bar_ticks * daw.per_tick))
    line = daw.frame(start_tick + bars * bar_ticks)  # the frame of the DAW's tick on that bar line
    assert bars >= 1 and abs(onset - line) <= 1, (onset, line, bars)
    stop_tick = daw.next + 5
    daw.run(round(24 * daw.per_tick), at_tick={stop_tick: STOP})
    assert d.status()["transport"] == "paused"
    assert d.request("/sync/source", "internal", reply="/sync/source") == ["internal"]
    assert "internal, link or midi" in d.osc.error("/sync/source", "jack")


def test_clock_out_ticks_on_their_frames_and_carries_the_transport(stepped):
    d = stepped(config='sync:\n  clock_out: ["drum machine:in"]\n')
    d.step(RATE)
    ticks = [f for f, m in d.clock_out() if m == TICK]
    per_tick = RATE * 60.0 / (120.0 * 24)  # 1000 frames at 120 BPM
    assert ticks == [round(k * per_tick) for k in range(len(ticks))] and len(ticks) == 48
    d.osc.send("/transport/play")
    played_at = d.frame
    d.step(RATE // 2)
    d.osc.send("/transport/stop")
    stopped_at = d.frame
    d.step(RATE // 2)
    messages = [(f, m) for f, m in d.clock_out() if m != TICK]
    assert messages[0] == (played_at, START) and (stopped_at, STOP) in messages, messages


def test_a_jump_of_the_playing_song_relocates_the_follower(stepped):
    d = stepped(config='sync:\n  clock_out: ["drum machine:in"]\n')
    d.osc.send("/transport/loop", 1, 2, 3)  # bar 2 (song beats 4..8), 2 s at 120 BPM
    d.osc.send("/transport/locate", 2)
    d.step(256)
    d.clock_out()
    d.osc.send("/transport/play")
    begin = d.frame
    d.step(2 * RATE + 24000)  # the region wraps once, at 4 beats
    d.osc.send("/transport/locate", 5)  # and the song moves on, playing, to bar 5
    moved = d.frame
    d.step(RATE // 2)
    got = d.clock_out()
    at = lambda frame: [m for f, m in got if f == frame]  # noqa: E731
    spp = lambda sixteenth: bytes((0xF2, sixteenth, 0))  # noqa: E731
    # from bar 2 (the 16th sixteenth): Song Position, Continue, then that frame's tick
    assert at(begin) == [spp(16), CONTINUE, TICK]
    # the wrap, on the region's end, to its start: Stop, Song Position, Continue, then that frame's tick
    assert at(begin + 4 * 24000) == [STOP, spp(16), CONTINUE, TICK]
    assert at(moved)[:3] == [STOP, spp(64), CONTINUE]  # bar 5
    assert [m for _, m in got].count(CONTINUE) == 3
    frames = [f for f, _ in got]
    assert frames == sorted(frames)  # every message in the order of its frame


def test_rtmidi_clock_out_starts_a_song_from_its_beginning_with_start_however_late_it_hears_of_it():
    """The control side hears that the song plays a few blocks after the audio started it (on a loaded machine,
    many): a song started from its beginning is still a Start, not a Song Position and a Continue."""
    from types import SimpleNamespace

    from padserver.engine import commands as cmd
    from padserver.engine.mixer import Engine
    from padserver.sync.messages import START
    from padserver.sync.midi_clock_out import RtClockOut

    engine = Engine(48000, 256)
    engine.send(cmd.Transport("play"))
    for _ in range(200):  # half a second and more: the song is past its first beat by the time it is heard
        engine.process(256)
    assert engine.song.song_beat(engine.clock, engine.frame) > 1.0
    out = RtClockOut(SimpleNamespace(backend=None), [], SimpleNamespace(engine=engine))
    out.on_change(0, "transport", "playing")
    assert list(out.pending) == [START]
