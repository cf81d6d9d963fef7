"""Ableton Link between padserver and a peer, in a network namespace the test makes (discovery stays inside).

What is shared (joining, tempo both ways, start/stop, bars heard) is checked here. How well it is shared
(a tempo crossing within 0.6 s, bar lines within 1 ms median and 3 ms at most of the peer's, on JACK and on
PortAudio) are targets of ``padserver bench sync``, which fails when one is missed: on a dummy JACK server
that loses time whenever the machine is busy, a bound on milliseconds says more about the machine than about
padserver.
"""

import pytest

from padserver.harness.link_check import in_namespace, namespace_problem


def test_link_tempo_both_ways_start_stop_and_bars_heard(tmp_path):
    problem = namespace_problem()
    if problem:
        pytest.skip(problem)
    out = in_namespace(str(tmp_path), bars=3, timeout=180)
    print("Link:", out)
    assert out["source"] == "link" and out["joined_s"] is not None, out
    assert out["follow_s"] is not None, out  # a peer's tempo reaches padserver
    assert out["push_s"] is not None, out  # and padserver's tempo reaches the peer
    assert out["started_s"] is not None and out["stopped_s"] is not None, out  # start/stop shared both ways
    assert out["heard"], out  # launched on "next bar", the bars were heard
