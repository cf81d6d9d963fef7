"""Ableton Link between padserver and a peer, in a network namespace the test makes (discovery stays inside)."""

import numpy as np
import pytest

from padserver.harness.link_check import in_namespace, namespace_problem


def test_link_tempo_both_ways_and_launches_on_the_peers_bar(tmp_path):
    problem = namespace_problem()
    if problem:
        pytest.skip(problem)
    out = in_namespace(str(tmp_path), bars=8, timeout=180)
    print("Link:", out)
    assert out["source"] == "link" and out["joined_s"] is not None, out
    assert out["follow_s"] is not None and out["follow_s"] <= 0.6, out  # a peer's tempo, within a beat at 100 BPM
    assert out["push_s"] is not None and out["push_s"] <= 0.6, out  # and padserver's tempo reaches the peer
    assert out["started_s"] is not None and out["stopped_s"] is not None, out  # start/stop shared both ways
    offsets = np.abs(out["offsets_ms"])
    assert out["heard"] and len(offsets) >= 6, out
    # launched on "next bar", each bar line is heard on the peer's bar line (after the output latency); bars
    # heard soon after the dummy driver lost time (a cycle ran late) are left out: a sound card keeps its time
    assert np.median(offsets) <= 1.0 and offsets.max() <= 3.0, out


def test_link_on_portaudio_lays_the_bars_on_when_the_stream_is_heard(tmp_path):
    problem = namespace_problem()
    if problem:
        pytest.skip(problem)
    out = in_namespace(str(tmp_path), bars=6, timeout=180, audio="portaudio")
    print("Link on PortAudio:", out)
    assert out["source"] == "link" and out["follow_s"] is not None and out["follow_s"] <= 0.6, out
    offsets = np.abs(out["offsets_ms"])
    assert out["heard"] and len(offsets) >= 4, out
    # PortAudio keeps no clock JACK could lend: the bars are placed from the callbacks' own stamps (bars
    # after the dummy driver lost time left out, as above)
    assert np.median(offsets) <= 1.0 and offsets.max() <= 3.0, out
