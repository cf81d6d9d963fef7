import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from padserver.engine.clock import Clock
from padserver.engine.quantum import NAMES, parse_quantum

tempos = st.floats(min_value=20.0, max_value=300.0, allow_nan=False)
numerators = st.integers(min_value=1, max_value=16)
rates = st.sampled_from([44100, 48000, 96000])


@given(tempos, numerators, rates, st.integers(min_value=0, max_value=10**9), st.sampled_from(NAMES[1:]))
def test_boundary_is_the_next_grid_line_and_its_first_frame(tempo, bpb, rate, frame, name):
    clock = Clock(rate, tempo, bpb)
    q = parse_quantum(name)
    beat, first = clock.boundary_frame(frame, q)
    now = clock.beat_at(frame)
    assert first == max(frame, math.ceil(clock.frame_at(beat) - 1e-6))
    bar = clock.bar_at(beat)
    if q.bars:
        assert abs(bar / q.bars - round(bar / q.bars)) < 1e-6
        step = q.bars * bpb
    else:
        step = float(q.note) * 4
        in_bar = beat - clock.beat_of_bar(math.floor(bar + 1e-6))
        on_step = abs(in_bar / step - round(in_bar / step)) < 1e-6
        assert on_step or abs(bar - round(bar)) < 1e-6
    # the *next* line: not behind us, and less than one quantum ahead
    assert now - 1e-6 <= beat < now + step + 1e-6


@given(tempos, numerators, st.integers(min_value=0, max_value=64))
def test_bar_lines_at_whole_bars(tempo, bpb, bar):
    clock = Clock(48000, tempo, bpb)
    beat, first = clock.boundary_frame(clock.first_frame_at(bar * bpb) - 1 if bar else 0, parse_quantum("1"))
    assert math.isclose(beat, bar * bpb, abs_tol=1e-9)
    assert first == math.ceil(bar * bpb * 48000 * 60 / tempo - 1e-6)


@given(tempos, tempos, st.integers(min_value=1, max_value=10**7))
def test_tempo_change_keeps_position_continuous(t1, t2, frame):
    clock = Clock(48000, t1, 4)
    before = clock.beat_at(frame)
    clock.set_tempo(t2, frame)
    assert math.isclose(clock.beat_at(frame), before, rel_tol=1e-12, abs_tol=1e-9)
    assert math.isclose(clock.frames_per_beat, 48000 * 60 / t2)


def test_note_quanta_restart_on_each_bar_in_odd_meters():
    clock = Clock(48000, 120, 3)  # 3/4: a half-note grid is 0, 2 | 3, 5 | 6 …
    half = parse_quantum("1/2")
    assert clock.next_boundary(0.5, half) == 2.0
    assert clock.next_boundary(2.5, half) == 3.0
    assert clock.next_boundary(3.1, half) == 5.0


def test_time_signature_changes_on_the_next_bar_line():
    clock = Clock(48000, 120, 4)
    clock.set_beats_per_bar(3, at_frame=clock.frame_at(5.0))  # in bar 2
    assert clock.next_boundary(5.0, parse_quantum("1")) == 8.0  # bar 2 keeps 4 beats
    assert clock.next_boundary(8.5, parse_quantum("1")) == 11.0  # then bars of 3
    assert clock.position(clock.frame_at(11.0)) == (4, 1)


def test_position_counts_from_one():
    clock = Clock(48000, 120, 4)
    assert clock.position(0) == (1, 1)
    assert clock.position(24000 * 5) == (2, 2)


@pytest.mark.parametrize("bad", ["3", "1/3", "bar", 0.5, None, True])
def test_bad_quantum_says_what_is_allowed(bad):
    with pytest.raises((ValueError, TypeError)) as err:
        parse_quantum(bad)
    assert "quantum" in str(err.value)


@pytest.mark.parametrize("bad", [19.9, 300.1, float("nan")])
def test_tempo_range(bad):
    with pytest.raises(ValueError, match="20..300"):
        Clock(48000, bad)


def test_quantum_accepts_numbers_as_tablets_send_them():
    assert parse_quantum(4.0).bars == 4
    assert parse_quantum("OFF").off
