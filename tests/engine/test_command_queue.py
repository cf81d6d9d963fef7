"""The engine's command queue: a stopped engine does not collect commands without end, a fader flood is one
slot whose last value wins, and a backlog is applied over several blocks, not all in the first one back."""

import sys
import threading

import numpy as np
import pytest

from padserver.engine import commands as cmd
from padserver.engine.command_queue import LIMIT, PER_BLOCK, EngineBusy
from tests.engine.helpers import dc, load, make_engine, q


def test_a_full_queue_refuses_and_settings_still_get_through():
    engine = make_engine()  # no driver runs it: nothing drains the queue
    for _ in range(LIMIT):
        engine.send(cmd.Launch(0, q("1")))
    with pytest.raises(EngineBusy, match="not taking commands"):
        engine.send(cmd.Launch(1, q("1")))
    for step in range(1000):  # a fader moved meanwhile
        engine.set(cmd.SetMasterGain(step / 1000))
    engine.set(cmd.SetMasterGain(0.25))
    assert len(engine.commands) == LIMIT + 1  # one slot for all those moves
    assert list(engine.commands)[-1] == cmd.SetMasterGain(0.25)


def test_a_backlog_is_applied_a_block_at_a_time():
    engine = make_engine()
    load(engine, 0, dc(96000))
    for _ in range(3 * PER_BLOCK):
        engine.send(cmd.SetRegion(0, 0.0, 1.0))
    engine.process(128)
    assert len(engine.commands) == 2 * PER_BLOCK + 1  # (the load took one of the first block's share)
    engine.process(128)
    engine.process(128)
    engine.process(128)
    assert not engine.commands


def test_the_last_value_of_a_setting_wins_whatever_the_threads_interleave():
    engine = make_engine()
    load(engine, 0, dc(96000))
    engine.send(cmd.Launch(0, q("off")))
    values = np.linspace(1.0, 0.5, 20001)
    done = threading.Event()

    def fader():
        for v in values:
            engine.set(cmd.SetMasterGain(float(v)))
        done.set()

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # the two threads change places as often as the interpreter allows
    try:
        thread = threading.Thread(target=fader)
        thread.start()
        while not done.is_set():
            engine.process(32)
        thread.join()
    finally:
        sys.setswitchinterval(switch)
    for _ in range(200):  # past any ramp
        heard = engine.process(32).copy()
    reference = make_engine()
    load(reference, 0, dc(96000))
    reference.send(cmd.Launch(0, q("off")))
    reference.set(cmd.SetMasterGain(0.5))
    for _ in range(200):
        wanted = reference.process(32)
    assert np.array_equal(heard, wanted)  # the master sits at the fader's last value
