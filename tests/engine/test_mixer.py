"""Sample-exactness of the mixer, driven through the offline renderer."""

import math
import tracemalloc

import numpy as np
import pytest

from padserver.drivers.offline import OfflineRenderer
from padserver.engine import commands as cmd
from tests.engine.helpers import RATE, dc, load, make_engine, onset, q, ramp

BAR = 96000  # frames per bar at 120 BPM, 48 kHz, 4/4
CENTER = math.cos(math.pi / 4)


def play(engine, frames, block=128, at=None):
    """Render, sending the commands in ``at`` ({frame: [commands]}) at those block starts."""
    at = at or {}

    def before(frame):
        for command in at.get(frame, []):
            engine.send(command)

    return OfflineRenderer(engine, block).render(frames, stems=True, before_block=before)


def test_first_launch_starts_at_once_and_quantized_launch_on_the_bar():
    engine = make_engine()
    load(engine, 0, dc(BAR))
    load(engine, 1, dc(BAR))
    master, stems = play(engine, 3 * BAR, at={1280: [cmd.Launch(0, q("1"))], 5120: [cmd.Launch(1, q("1"))]})
    assert onset(stems[0, 0]) == 1280  # nothing played: at once, and the grid starts here
    assert onset(stems[1, 0]) == 1280 + BAR  # the next bar line of that grid
    names = [(e.name, e.pad, e.frame) for e in engine.events.drain()]
    assert ("grid", -1, 1280) in names
    assert ("queued", 1, 5120) in names and ("started", 1, 1280 + BAR) in names


@pytest.mark.parametrize("tempo", [120.0, 133.0, 87.3])
@pytest.mark.parametrize("name,beats", [("1/16", 0.25), ("1/8", 0.5), ("1/4", 1), ("1/2", 2), ("1", 4), ("2", 8)])
def test_every_quantum_lands_on_its_exact_frame(tempo, name, beats):
    engine = make_engine(tempo=tempo)
    fpb = RATE * 60 / tempo
    load(engine, 0, dc(4 * BAR))
    load(engine, 1, dc(4 * BAR))
    send_at = 640 + round(fpb * 1.37)  # somewhere inside beat 2, on a block start
    send_at -= send_at % 128
    master, stems = play(
        engine, send_at + round(9 * fpb), at={0: [cmd.Launch(0, q("1"))], send_at: [cmd.Launch(1, q(name))]}
    )
    now = send_at / fpb
    target = math.ceil(now / beats - 1e-9) * beats
    assert onset(stems[1, 0]) == math.ceil(target * fpb - 1e-6)


def test_quantum_off_starts_on_the_block_the_command_arrives():
    engine = make_engine()
    load(engine, 0, dc(BAR))
    load(engine, 1, dc(BAR))
    _, stems = play(engine, 20000, at={0: [cmd.Launch(0, q("1"))], 7040: [cmd.Launch(1, q("off"))]})
    assert onset(stems[1, 0]) == 7040


def test_loops_never_drift_when_a_bar_is_not_a_whole_number_of_frames():
    tempo = 140.0  # 82285.714… frames per bar
    engine = make_engine(tempo=tempo)
    period = 4 * RATE * 60 / tempo
    marker = np.zeros((2, math.ceil(period)), dtype=np.float32)
    marker[:, 200:210] = 1.0  # a click 200 frames into the bar
    load(engine, 0, marker, period)
    engine.send(cmd.Launch(0, q("1")))
    renderer = OfflineRenderer(engine, 256)
    cycles = 60
    renderer.run_until(int((cycles - 0.5) * period) // 256 * 256)
    out = renderer.render(2 * math.ceil(period))
    start = engine.frame - out.shape[1]
    hit = start + onset(out[0])
    cycle = round((hit - 200) / period)
    assert cycle >= cycles - 1
    # exactly on the grid after ~60 bars: no accumulated rounding drift
    assert hit == math.ceil(cycle * period - 1e-6) + 200


def test_level_follows_gain_and_constant_power_pan():
    engine = make_engine(fade_ms=0)
    load(engine, 0, dc(BAR, 0.5))
    gains = np.zeros((16, 2), dtype=np.float32)
    gains[0] = [0.8 * math.cos(math.pi / 8), 0.8 * math.sin(math.pi / 8)]  # pan -0.5
    engine.send(cmd.SetPadGains(gains))
    engine.send(cmd.Launch(0, q("off")))
    master = play(engine, 1024)[0]
    assert master[0, 512] == pytest.approx(0.5 * 0.8 * math.cos(math.pi / 8), rel=1e-5)
    assert master[1, 512] == pytest.approx(0.5 * 0.8 * math.sin(math.pi / 8), rel=1e-5)


def test_fades_are_present_and_short():
    engine = make_engine(fade_ms=2.0)
    fade = round(0.002 * RATE)
    load(engine, 0, dc(BAR, 0.5))
    master, _ = play(engine, 4000, at={0: [cmd.Launch(0, q("1"))], 2048: [cmd.Stop(0, q("off"))]})
    left = master[0]
    assert 0 < left[0] < 0.01  # starts from (almost) nothing …
    assert left[fade // 2] == pytest.approx(0.25, abs=0.02)  # … rises smoothly …
    assert left[fade] == pytest.approx(0.5)  # … and is at full level after the fade
    assert 0 < left[2048 + fade // 2] < 0.5  # the stop fades …
    assert np.all(left[2048 + fade :] == 0.0)  # … and is silent one fade later
    assert np.max(np.abs(np.diff(left))) < 0.5 / fade * 2  # no step anywhere


def test_region_loops_between_its_fractions_with_a_crossfade():
    engine = make_engine(fade_ms=1.0)
    buf = ramp(BAR)
    load(engine, 0, buf)
    engine.send(cmd.SetRegion(0, 0.25, 0.75))
    engine.send(cmd.Launch(0, q("off")))
    left = play(engine, 2 * BAR)[0][0]
    half = BAR // 2
    assert left[100] == pytest.approx(buf[0, BAR // 4 + 100])  # starts at the region start
    assert left[half + 200] == pytest.approx(buf[0, BAR // 4 + 200])  # and wraps back after half the loop
    assert left[half - 1] == pytest.approx(buf[0, 3 * BAR // 4 - 1])
    # across the seam the signal crossfades rather than jumping from 0.75 to 0.25
    seam = left[half - 2 : half + 50]
    assert np.max(np.abs(np.diff(seam))) < 0.5 / 48 * 2


def test_oneshot_plays_once_and_gate_stops_on_release():
    engine = make_engine(fade_ms=1.0)
    load(engine, 0, dc(2000))
    load(engine, 1, dc(BAR))
    engine.send(cmd.SetMode(0, cmd.ONESHOT))
    engine.send(cmd.SetMode(1, cmd.GATE))
    master, stems = play(
        engine, 12800, at={0: [cmd.Trigger(0, q("1")), cmd.Trigger(1, q("1"))], 6400: [cmd.Release(1)]}
    )
    assert np.all(stems[0, 0, 100:2000] == 0.5) and np.all(stems[0, 0, 2000:] == 0.0)
    assert stems[1, 0, 6000] == 0.5 and np.all(stems[1, 0, 6400 + 48 :] == 0.0)
    assert ("stopped", 0, 2000) in [(e.name, e.pad, e.frame) for e in engine.events.drain()]


def test_trigger_toggles_a_loop_on_the_quantum():
    engine = make_engine()
    load(engine, 0, dc(BAR))
    _, stems = play(engine, 3 * BAR, at={0: [cmd.Trigger(0, q("1"))], 12800: [cmd.Trigger(0, q("1"))]})
    assert stems[0, 0, BAR - 1] == 0.5 and np.all(stems[0, 0, BAR + 96 :] == 0.0)


def test_choke_group_stops_the_other_pad_on_the_launch_frame():
    engine = make_engine(fade_ms=1.0)
    for pad in (0, 1):
        load(engine, pad, dc(BAR))
        engine.send(cmd.SetChoke(pad, 3))
    _, stems = play(engine, 2 * BAR, at={0: [cmd.Launch(0, q("1"))], 2560: [cmd.Launch(1, q("1/4"))]})
    beat = 24000
    assert onset(stems[1, 0]) == beat
    assert stems[0, 0, beat - 1] == 0.5 and np.all(stems[0, 0, beat + 48 :] == 0.0)


def test_new_audio_on_a_playing_pad_swaps_in_on_the_next_boundary():
    engine = make_engine(fade_ms=1.0)
    load(engine, 0, dc(BAR, 0.5))
    _, stems = play(
        engine, 2 * BAR, at={0: [cmd.Launch(0, q("1"))], 3200: [cmd.SetBuffer(0, dc(BAR, 0.25), BAR, q("1/4"))]}
    )
    assert stems[0, 0, 24000 - 1] == 0.5 and stems[0, 0, 24000 + 48] == 0.25
    assert ("swapped", 0, 24000) in [(e.name, e.pad, e.frame) for e in engine.events.drain()]


def test_tempo_change_moves_a_pending_launch():
    engine = make_engine(tempo=120)
    load(engine, 0, dc(BAR))
    load(engine, 1, dc(BAR))
    _, stems = play(
        engine, 2 * BAR, at={0: [cmd.Launch(0, q("1"))], 1280: [cmd.Launch(1, q("1"))], 2560: [cmd.SetTempo(60)]}
    )
    # the bar line moves: 4 beats at 60 BPM counted from frame 2560 (beat 0.1067)
    expected = 2560 + math.ceil((4 - 2560 / 24000) * 48000 - 1e-6)
    assert onset(stems[1, 0]) == expected


def test_pads_pressed_together_start_together():
    engine = make_engine(together_ms=60)
    load(engine, 0, ramp(BAR))
    load(engine, 1, ramp(BAR))
    _, stems = play(engine, 20000, at={0: [cmd.Launch(0, q("1"))], 1024: [cmd.Launch(1, q("1"))]})
    assert onset(stems[1, 0]) == 1024
    # it joins in phase: same position in the loop as the first pad
    assert stems[1, 0, 5000] == pytest.approx(stems[0, 0, 5000])


def test_limiter_keeps_sixteen_loud_pads_under_the_ceiling():
    engine = make_engine()
    rng = np.random.default_rng(1)
    for pad in range(16):
        loud = (rng.uniform(-1, 1, (2, BAR)) * 0.9).astype(np.float32)
        load(engine, pad, loud)
        engine.send(cmd.Launch(pad, q("1")))
    master, _ = play(engine, BAR // 2)
    assert np.max(np.abs(master)) <= 10 ** (-1 / 20) + 1e-6
    pads, peaks, gain = engine.meters.take()
    assert gain < 0.5 and peaks.max() <= 10 ** (-1 / 20) + 1e-6


def test_panic_silences_everything_within_a_fade():
    engine = make_engine(fade_ms=1.0)
    for pad in range(4):
        load(engine, pad, dc(BAR))
        engine.send(cmd.Launch(pad, q("1")))
    master, _ = play(engine, 4096, at={1024: [cmd.Panic()]})
    assert np.all(master[:, 1024 + 48 :] == 0.0)


def test_meters_report_pad_and_master_peaks():
    engine = make_engine(fade_ms=0)
    load(engine, 2, dc(BAR, 0.5))
    engine.send(cmd.Launch(2, q("off")))
    play(engine, 1024)
    pads, master, gain = engine.meters.take()
    assert pads[2] == pytest.approx(0.5) and pads[0] == 0.0
    assert master[0] == pytest.approx(0.5) and gain == 1.0


@pytest.mark.parametrize("block", [64, 1024])
def test_steady_blocks_allocate_nothing_that_grows(block):
    engine = make_engine(block=2048)
    for pad in range(16):
        load(engine, pad, ramp(2 * BAR), quantum="off")
        engine.send(cmd.Launch(pad, q("off")))
    gains = np.full((16, 2), 0.3, dtype=np.float32)
    engine.send(cmd.SetPadGains(gains))
    for _ in range(8):
        engine.process(block)
    quieter = np.full((16, 2), 0.2, dtype=np.float32)
    tracemalloc.start()
    for i in range(200):
        if i == 100:
            engine.send(cmd.SetPadGains(quieter))  # a fader move: the ramp path too
        engine.process(block)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # A few small Python numbers at loop wraps, nothing of the block's size (a (2, 1024)
    # float32 block is 8 KiB; numpy's broadcasting buffer would be 32 KiB).
    assert peak < 6 * 1024, f"{peak} bytes allocated while mixing {block}-frame blocks"


def test_a_replacement_can_wait_for_the_loops_own_boundary():
    engine = make_engine(fade_ms=1.0)
    load(engine, 0, dc(2 * BAR, 0.5))  # a two-bar loop …
    at = {0: [cmd.Launch(0, q("1"))], 3 * 12800: [cmd.SetBuffer(0, dc(2 * BAR, 0.25), 2 * BAR, q("1"), at_wrap=True)]}
    _, stems = play(engine, 3 * BAR, at=at)
    # … keeps playing past the next bar line and changes where it would start again (bar 3)
    assert stems[0, 0, BAR + 100] == 0.5 and stems[0, 0, 2 * BAR - 1] == 0.5
    assert stems[0, 0, 2 * BAR + 48] == 0.25
    assert ("swapped", 0, 2 * BAR) in [(e.name, e.pad, e.frame) for e in engine.events.drain()]


def test_a_steady_loop_plays_its_buffer_exactly_and_a_stop_cuts_its_run_on_the_block():
    """A loop left alone is copied block after block without the voice's own render (its steady run): the
    output is still its buffer, cycle after cycle, and a stop that arrives mid-run takes effect on its block."""
    engine = make_engine()
    audio = ramp(BAR // 2)  # a half-bar loop: every sample different, so a frame out of place shows
    load(engine, 0, audio, quantum="off")
    stop_at = 3 * BAR + 64 * 37
    at = {0: [cmd.Launch(0, q("off"))], stop_at: [cmd.Stop(0, q("off"))]}
    master, stems = play(engine, 4 * BAR, block=64, at=at)
    fade = engine.fades.length  # (the first cycle fades in)
    played, expected = stems[0, 0], np.tile(audio[0], 8)
    scale = played[1000] / expected[1000]  # the pad's gain and pan
    np.testing.assert_allclose(played[fade:stop_at], expected[fade:stop_at] * scale, rtol=1e-6)
    assert np.all(np.abs(played[stop_at + fade :]) == 0)  # stopped on that block, its fade-out done
    assert abs(played[stop_at]) > 0  # (the fade-out starts where the loop was)


def test_the_mixers_kernels_give_the_samples_numpy_gives(monkeypatch):
    """The pads' steady runs, their sum at their gains and the meters' hold are C kernels (engine._mix) when
    built: the same samples and the same hold as numpy's work, bit for bit — 16 pads of 1..4 bars at gains and
    pans of their own, a fader moving, a pad stopping and one starting mid-way."""
    from padserver.engine import mixer

    pytest.importorskip("padserver.engine._mix", reason="the mixer's kernels are not built (pip install -e .)")

    def played(kernels: bool) -> tuple[np.ndarray, np.ndarray]:
        if not kernels:
            for name in ("_steady", "_mixdown", "_hold"):
                monkeypatch.setattr(mixer, name, None)
        engine = make_engine(block=256)
        rng = np.random.default_rng(3)
        gains = rng.uniform(0.1, 1.0, (engine.pads, 2)).astype(np.float32)
        engine.set_initial_gains(gains)
        for pad in range(16):
            load(engine, pad, (rng.standard_normal((2, 24000 * (1 + pad % 4))) * 0.1).astype(np.float32), quantum="off")
            engine.send(cmd.Launch(pad, q("off")))
        out, holds = [], []
        for block in range(600):
            if block == 100:
                moved = gains.copy()
                moved[3] = (0.0, 1.0)
                engine.send(cmd.SetPadGains(moved))
            if block == 200:
                engine.send(cmd.Stop(5, q("off")))
            if block == 300:
                engine.send(cmd.Launch(5, q("1")))
            out.append(engine.process(256).copy())
            if block % 50 == 49:
                holds.append(engine.meters.take()[0])
        monkeypatch.undo()
        return np.concatenate(out, axis=1), np.array(holds)

    (with_c, held_c), (with_numpy, held_numpy) = played(True), played(False)
    assert np.abs(with_c).max() > 0.1
    assert np.array_equal(with_c, with_numpy) and np.array_equal(held_c, held_numpy)
