"""Undo/redo through the actions, with a real engine."""

import asyncio

import pytest

from padserver.actions import ActionError, Actions
from padserver.engine.mixer import Engine
from padserver.state.project import Project


def run(coro):
    return asyncio.run(coro)


@pytest.fixture
def actions():
    return Actions(Project(), Engine(48000, 1024), library=None, allowed=[])


def test_every_setting_undoes_and_redoes(actions):
    a = actions
    a.pad_gain(1, 0.5)
    a.pad_mute(2, 1)
    a.pad_mode(3, "oneshot")
    a.pad_region(4, 0.25, 0.5)
    a.set_tempo(90)
    a.set_quantize("1/4")
    assert run(a.undo()) == "quantize" and a.project.quantize == "1"
    assert run(a.undo()) == "tempo" and a.project.tempo == 120
    assert run(a.undo()) == "pad 4 region" and a.project.pad(4).region == (0.0, 1.0)
    assert run(a.undo()) == "pad 3 mode" and a.project.pad(3).mode == "loop"
    assert run(a.redo()) == "pad 3 mode" and a.project.pad(3).mode == "oneshot"
    assert run(a.undo()) and run(a.undo()) and run(a.undo())
    assert not a.project.pad(2).mute and a.project.pad(1).gain == 1.0
    with pytest.raises(ActionError, match="nothing to undo"):
        run(a.undo())


def test_a_fader_sweep_is_one_step(actions):
    for g in (0.9, 0.8, 0.7, 0.6, 0.5):
        actions.pad_gain(5, g)
    actions.pad_pan(5, 0.3)
    assert run(actions.undo()) == "pad 5 pan"
    assert run(actions.undo()) == "pad 5 gain" and actions.project.pad(5).gain == 1.0
    assert run(actions.redo()) == "pad 5 gain" and actions.project.pad(5).gain == 0.5


def test_a_new_change_ends_redo_and_depth_is_bounded():
    actions = Actions(Project(), Engine(48000, 1024), library=None, allowed=[])
    actions.history.depth = 3
    actions.history.past = type(actions.history.past)(maxlen=3)
    for i in range(5):
        actions.pad_choke(1, i + 1)
    assert len(actions.history.past) == 3
    run(actions.undo())
    actions.pad_name(1, "kick")
    with pytest.raises(ActionError, match="nothing to redo"):
        run(actions.redo())
