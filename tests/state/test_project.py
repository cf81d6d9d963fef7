import math

import pytest

from padserver.state.project import Project


def test_pan_law_is_constant_power():
    project = Project()
    pad = project.pad(1)
    for pan in (-1.0, -0.5, 0.0, 0.3, 1.0):
        pad.pan = pan
        left, right = project.pad_gains()[0]
        assert left**2 + right**2 == pytest.approx(1.0, rel=1e-6)
    pad.pan = 0.0
    assert project.pad_gains()[0] == pytest.approx([math.sqrt(0.5)] * 2)
    pad.pan = -1.0
    assert project.pad_gains()[0] == pytest.approx([1.0, 0.0], abs=1e-7)


def test_gain_scales_both_sides():
    project = Project()
    project.pad(2).gain = 2.0
    assert project.pad_gains()[1] == pytest.approx([2 * math.sqrt(0.5)] * 2)


def test_mute_and_solo_in_place():
    project = Project()
    project.pad(3).mute = True
    gains = project.pad_gains()
    assert gains[2].tolist() == [0.0, 0.0] and gains[0].tolist() != [0.0, 0.0]
    project.pad(5).solo = True
    project.pad(6).solo = True
    gains = project.pad_gains()
    audible = [i + 1 for i in range(16) if gains[i].any()]
    assert audible == [5, 6]  # only the soloed pads sound
    project.pad(5).mute = True  # mute wins over solo
    assert [i + 1 for i in range(16) if project.pad_gains()[i].any()] == [6]
