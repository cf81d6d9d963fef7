"""The effects' kernels and the engine's chains: the filter's response, a bit-transparent centre, the delay's
timing to a fraction of a frame, tempo changes without a click, smoothing, tails and panic."""

import math

import numpy as np
import pytest

from padserver.engine import commands as cmd
from padserver.engine import effects as fx
from padserver.engine.effects import Chain
from tests.engine.helpers import RATE, grown_in_blocks, load, make_engine, q

_fx = pytest.importorskip("padserver.engine._fx", reason="the effects' kernels are not built (pip install -e .)")


def run(chain: Chain, audio: np.ndarray, block: int = 256, beat: float = 24000.0) -> np.ndarray:
    """``audio`` (2, n) through ``chain`` block by block; what came out."""
    out = np.array(audio, dtype=np.float32, copy=True)
    for i in range(0, out.shape[1], block):
        piece = np.ascontiguousarray(out[:, i : i + block])
        chain.process(piece, piece.shape[1], beat)
        out[:, i : i + block] = piece
    return out


def sine(freq: float, seconds: float, level: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    s = (level * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.vstack([s, s])


def rms_db(x: np.ndarray) -> float:
    return 10 * math.log10(float(np.mean(np.square(x, dtype=np.float64))) + 1e-30)


def two_pole(freq: float, fc: float, k: float, high: bool) -> complex:
    """An analogue two-pole low- or high-pass, prewarped (bilinear) at its cutoff: as a TPT filter sounds."""
    w = math.tan(math.pi * freq / RATE) / math.tan(math.pi * fc / RATE)
    return (-(w * w) if high else 1.0) / complex(1.0 - w * w, k * w)


def intended_db(freq: float, position: float, resonance: float) -> float:
    """The filter's response as designed: the moving filter at its cutoff with the resonance, the other at its
    end (a Butterworth at 20 Hz or 20 kHz)."""
    a = abs(position)
    k = 2.0 - 1.9 * resonance
    if position < 0:
        h = two_pole(freq, 20000.0 * (40.0 / 20000.0) ** a, k, False) * two_pole(freq, 20.0, math.sqrt(2), True)
    else:
        h = two_pole(freq, 20.0 * (10000.0 / 20.0) ** a, k, True) * two_pole(freq, 20000.0, math.sqrt(2), False)
    return 20 * math.log10(abs(h))


@pytest.mark.parametrize("position", [-0.75, -0.4, 0.3, 0.7])
@pytest.mark.parametrize("resonance", [0.0, 0.6])
def test_the_filter_sounds_as_designed_over_its_pass_band(position, resonance):
    chain = Chain(RATE)
    chain.targets[fx.FILTER], chain.targets[fx.RESONANCE] = position, resonance
    fc = 20000.0 * (40.0 / 20000.0) ** abs(position) if position < 0 else 20.0 * (10000.0 / 20.0) ** position
    # the pass band, and an octave into the stop band (where it must also be as designed, not merely lower)
    freqs = [f for f in (30, 60, 120, 250, 500, 1000, 2000, 4000, 8000, 16000)
             if (f < fc * 2 if position < 0 else f > fc / 2)]  # fmt: skip
    for freq in freqs:
        out = run(chain, sine(freq, 0.6))
        measured = rms_db(out[:, RATE // 4 :]) - rms_db(sine(freq, 0.6)[:, RATE // 4 :])
        assert abs(measured - intended_db(freq, position, resonance)) < 1.0, (freq, measured)


def test_the_centre_passes_the_sound_bit_for_bit_even_after_a_sweep():
    chain = Chain(RATE)
    audio = sine(440, 1.0) + sine(3000, 1.0, 0.2)
    assert np.array_equal(run(chain, audio), audio)  # never moved: untouched
    chain.targets[fx.FILTER] = -0.8
    run(chain, audio[:, :12000])
    chain.targets[fx.FILTER] = 0.0
    run(chain, audio[:, :12000])  # (back to the centre: 60 ms is twelve time constants)
    assert chain.filter_state[4] == 0.0 and chain.filter_state[6] == 0.0 and not chain.active
    assert np.array_equal(run(chain, audio), audio)


def steps(x: np.ndarray) -> tuple[float, float]:
    """The largest change from one sample to the next, and the largest change of that (a click's mark)."""
    return float(np.abs(np.diff(x)).max()), float(np.abs(np.diff(x, 2)).max())


def test_a_full_sweep_in_one_block_steps_no_more_than_the_sound_does():
    audio = sine(220, 0.5)
    own, own_bend = steps(audio[0])
    for start, end in ((-1.0, 1.0), (1.0, -1.0), (0.0, -1.0), (-1.0, 0.0)):
        chain = Chain(RATE)
        chain.targets[fx.RESONANCE] = 0.0  # (no resonance: the filter never raises the level by design)
        chain.targets[fx.FILTER] = start
        run(chain, audio[:, :9600])
        chain.targets[fx.FILTER] = end  # the whole knob at once, between two blocks
        step, bend = steps(run(chain, audio[:, 9600:])[0])
        assert step <= own * 1.05 and bend <= own_bend * 1.5, (start, end, step / own, bend / own_bend)
    eq = Chain(RATE)
    run(eq, audio[:, :9600])
    eq.targets[fx.LOW] = eq.targets[fx.MID] = eq.targets[fx.HIGH] = 0.0  # every band killed at once
    step, bend = steps(run(eq, audio[:, 9600:])[0])
    assert step <= own * 1.05 and bend <= own_bend * 1.5, (step / own, bend / own_bend)


def test_eq_kills_its_band_and_flat_passes_untouched():
    chain = Chain(RATE)
    chain.targets[fx.LOW] = 0.0
    low, high = run(chain, sine(60, 0.6)), run(chain, sine(8000, 0.6))
    assert rms_db(low[:, RATE // 4 :]) - rms_db(sine(60, 0.6)) < -40  # the kick and bass gone
    assert abs(rms_db(high[:, RATE // 4 :]) - rms_db(sine(8000, 0.6))) < 0.5  # the hats as they were
    chain.targets[fx.LOW] = 1.0
    run(chain, sine(60, 0.2))
    audio = sine(60, 0.5)
    assert not chain.active and np.array_equal(run(chain, audio), audio)


def delay_chain(beats: float, feedback: float = 0.5, echo: float = 1.0) -> Chain:
    chain = Chain(RATE)
    chain.line = np.zeros((2, int(fx.MAX_DELAY_S * RATE) + 4), dtype=np.float32)
    chain.targets[fx.BEATS], chain.targets[fx.FEEDBACK], chain.targets[fx.ECHO] = beats, feedback, echo
    chain.delay_state[3] = echo  # (the echo's level already there: the repeats are measured, not the fade-in)
    return chain


def centroid(x: np.ndarray) -> float:
    w = np.abs(x.astype(np.float64))
    return float((w * np.arange(len(x))).sum() / w.sum())


@pytest.mark.parametrize("bpm", [120.0, 140.0])
def test_a_click_comes_back_one_sixteenth_later_to_half_a_frame_and_each_repeat_by_the_feedback(bpm):
    beat = RATE * 60.0 / bpm
    chain = delay_chain(0.25, feedback=0.5)
    exact = 0.25 * beat  # at 140 BPM 5142.86 frames
    audio = np.zeros((2, int(exact * 4) + 2000), dtype=np.float32)
    audio[:, 0] = 1.0
    out = run(chain, audio, beat=beat)
    peaks = []
    for k in (1, 2, 3):
        lo = int(exact * k) - 4
        piece = out[0, lo : lo + 9]
        assert abs(lo + centroid(piece) - exact * k) < 0.5, (k, lo + centroid(piece), exact * k)
        peaks.append(float(piece.sum()))
    assert np.allclose(peaks, [1.0, 0.5, 0.25], rtol=1e-3), peaks
    assert np.abs(out[0, 1 : int(exact) - 4]).max() == 0.0  # nothing between the click and its echo


def test_a_tempo_change_moves_the_delay_time_without_a_click():
    """A sine, its echoes and their bend as the time glides are all smooth: the output's curvature (its second
    difference) stays within what a sine of that level (dry and every echo in phase), 10 % higher in pitch at
    the most, can have. A time that jumped would cut the echoes and break that many times over."""
    audio = sine(110, 3.0)
    chain = delay_chain(0.5, feedback=0.4)
    run(chain, audio[:, :RATE], beat=24000.0)  # 120 BPM (its start, and each echo's, is the sine's own onset)
    second = run(chain, audio[:, RATE:], beat=RATE * 60 / 140)  # 140 BPM from here
    w = 2 * np.pi * 110 / RATE
    loudest = 0.5 * (1 + 1.0 / (1 - 0.4))
    bound = (1.1 * w) ** 2 * loudest
    assert float(np.abs(np.diff(second[0], 2)).max()) <= bound * 1.05
    assert abs(chain.delay_state[1] - 0.5 * RATE * 60 / 140) < 1.0  # (glided to the new time within 2 s)
    # what it guards against: the same change as a jump
    jumped = delay_chain(0.5, feedback=0.4)
    jumped.glide = 1.0
    run(jumped, audio[:, :RATE], beat=24000.0)
    jumped.delay_state[1] = 0.5 * RATE * 60 / 140
    cut = run(jumped, audio[:, RATE:], beat=RATE * 60 / 140)
    assert float(np.abs(np.diff(cut[0], 2)).max()) > bound * 3


def clicking_with_a_delay(settings: dict):
    """An engine whose pad 1 plays a click a bar (0.5, 200 frames) at once, through a delay set so."""
    engine = make_engine(block=256)
    click = np.zeros((2, 96000), dtype=np.float32)
    click[:, :200] = 0.5
    load(engine, 0, click, quantum="off")
    engine.send(cmd.SetFxLine(0, np.zeros((2, int(fx.MAX_DELAY_S * RATE) + 4), dtype=np.float32)))
    for what, value in settings.items():
        engine.send(cmd.SetFx(0, what, value))
    engine.send(cmd.Launch(0, q("off")))
    return engine


def test_tails_ring_on_after_the_sound_stops_and_panic_silences_them():
    engine = clicking_with_a_delay({fx.ECHO: 0.8, fx.FEEDBACK: 0.7})
    out = np.concatenate([engine.process(256).copy() for _ in range(40)], axis=1)
    assert np.abs(out).max() > 0.1
    engine.send(cmd.Stop(0, q("off")))
    later = np.concatenate([engine.process(256).copy() for _ in range(400)], axis=1)  # 2 s after the stop
    assert np.abs(later[:, -24000:]).max() > 1e-3  # the echoes ring on (between them, silence: still ringing)
    engine.send(cmd.Panic())
    after = np.concatenate([engine.process(256).copy() for _ in range(20)], axis=1)
    assert np.abs(after[:, 512:]).max() == 0.0  # silent at once (past the panic's fade)


def test_sixteen_pads_with_effects_keep_nothing_the_blocks_allocate():
    engine = make_engine(block=256)
    for pad in range(16):
        load(engine, pad, (np.random.default_rng(pad).standard_normal((2, 48000)) * 0.1).astype(np.float32),
             quantum="off")  # fmt: skip
        engine.send(cmd.SetFxLine(pad, np.zeros((2, int(fx.MAX_DELAY_S * RATE) + 4), dtype=np.float32)))
        for what, value in ((fx.FILTER, -0.4), (fx.LOW, 0.0), (fx.ECHO, 0.3), (fx.SEND, 0.2)):
            engine.send(cmd.SetFx(pad, what, value))
        engine.send(cmd.Launch(pad, q("off")))
    engine.send(cmd.SetFx(-1, fx.FILTER, 0.2))
    grown = grown_in_blocks(engine)  # (what is kept: the attributes' latest values, a few per pad, not growth)
    assert grown < 8 * 1024 and grown_in_blocks(engine, blocks=800) < 8 * 1024, grown
    assert engine.fx_on and engine.reverb.ringing > 0.0 and not engine.faults.count


def test_a_cycle_the_driver_dropped_leaves_the_echoes_on_the_timeline():
    engine = clicking_with_a_delay({fx.BEATS: 1.0, fx.FEEDBACK: 0.0, fx.ECHO: 0.5})
    start = engine.frame
    heard = {}
    while engine.frame < start + 30000:
        if engine.frame == start + 4096:
            engine.frame += 256  # (a cycle JACK ran without the engine: its frames move on)
        f0 = engine.frame
        heard[f0] = engine.process(256)[0].copy()

    def first_above(level: float, after: int) -> int:
        return min(f0 + int(i) for f0, b in heard.items() for i in np.flatnonzero(np.abs(b) > level) if f0 + i > after)

    # the click (0.5) and its echo (0.25) where each is 0.4 of the way up its fade-in: a beat apart on the timeline
    assert first_above(0.1, start + 20000) - first_above(0.2, start - 1) == 24000


def test_the_pads_chains_in_one_call_sound_as_each_on_its_own():
    """The mixer runs every pad's chain in one call (`Bank.process`): bit for bit what each chain gives alone,
    with the sends at each pad's fader and pan, a silent pad's echoes ringing on, an idle chain untouched."""
    pads, n = 5, 256
    settings = [
        {fx.FILTER: -0.4, fx.RESONANCE: 0.6},
        {fx.LOW: 0.0, fx.HIGH: 1.5, fx.ECHO: 0.5, fx.BEATS: 0.25, fx.SEND: 0.3},
        {},  # all off: its row passes untouched
        {fx.FILTER: 0.5, fx.ECHO: 0.7, fx.FEEDBACK: 0.6, fx.BEATS: 0.125},  # silent after the first blocks
        {fx.SEND: 1.0},
    ]
    bank = fx.Bank(RATE, pads)
    alone = [Chain(RATE) for _ in range(pads)]
    for chains in (bank.chains, alone):
        for chain, setting in zip(chains, settings, strict=True):
            for what, value in setting.items():
                chain.targets[what] = value
            if fx.ECHO in setting:
                chain.line = np.zeros((2, RATE), dtype=np.float32)
            chain.active = True
    gains = np.array([[0.5, 0.7], [1.0, 0.2], [0.3, 0.3], [0.9, 0.9], [0.25, 1.0]], dtype=np.float32)
    rng = np.random.default_rng(5)
    for block in range(40):
        rows = (rng.standard_normal((pads, 2, n)) * 0.2).astype(np.float32)
        sounding = 0b10111 if block < 4 else 0b10111 & ~0b01000  # pad 4 falls silent: its echoes ring on
        rows[3] *= block < 4
        together, bus = rows.copy(), np.zeros((2, n), dtype=np.float32)
        ringing = bank.process(together, n, sounding, 12000.0, bus, gains)
        each, each_bus = rows.copy(), np.zeros((2, n), dtype=np.float32)
        for i, chain in enumerate(alone):
            if chain.active and ((sounding >> i) & 1 or chain.line is not None):
                chain.process(each[i], n, 12000.0, each_bus, float(gains[i, 0]), float(gains[i, 1]))
        assert np.array_equal(together, each) and np.array_equal(bus, each_bus), block
        assert ringing == sum(1 << i for i, c in enumerate(alone) if c.ringing > 0.0)
        assert [c.active for c in bank.chains] == [c.active for c in alone]
    assert np.array_equal(together[2], rows[2]) and not bank.chains[2].active  # (the idle chain: untouched)
    assert ringing & 0b01000  # (pad 4's echoes ring on in its silent row)
