"""Generating through the daemon (null audio): the CLI, vary, takes, and every bad request."""

import json
import subprocess
import sys
import time

import pytest

from padserver.harness.daemon import DaemonProcess
from padserver.harness.wait import gather, wait_for


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    d = DaemonProcess(["--audio", "null"], data_dir=str(tmp_path_factory.mktemp("gen")))
    d.wait_ready()
    yield d
    d.terminate()


def pad(d, n):
    return d.osc.status()["pads"][n - 1]


def wait_loaded(d, n, loop_before=None):
    def landed():
        p = pad(d, n)
        return (
            p if p["state"] in ("loaded", "playing") and p["loop_id"] != loop_before and not p["generating"] else None
        )

    return wait_for(landed, 30, f"a new loop on pad {n}")


def test_the_cli_shows_progress_and_the_loop_lands(daemon):
    result = subprocess.run(
        [sys.executable, "-m", "padserver", "generate", "techno drums", "--pad", "6", "--bars", "2", "--takes", "2", "--port", str(daemon.port)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "done" in result.stdout and "[#####" in result.stderr
    landed = wait_loaded(daemon, 6)
    assert landed["bars"] == 2
    second = daemon.osc.request("/pad/6/take", 2, reply="/pad/6/loaded")[1]
    assert second != landed["loop_id"]
    found = json.loads(daemon.osc.request("/library/search", "source=generated", reply="/library/result")[0])
    assert {f["id"] for f in found} >= {landed["loop_id"], second}


def test_vary_keeps_tempo_and_bars(daemon):
    daemon.osc.request("/pad/7/generate", "house chords", "bars=1", "bpm=124", reply="/job/started")
    first = wait_loaded(daemon, 7)
    daemon.osc.request("/pad/7/vary", "more_complex", reply="/job/started")
    varied = wait_loaded(daemon, 7, first["loop_id"])
    assert varied["bars"] == first["bars"] == 1
    found = json.loads(daemon.osc.request("/library/search", "busier", reply="/library/result")[0])
    assert found and found[0]["bpm"] == 124.0


@pytest.mark.parametrize(
    "address,args,message",
    [
        ("/pad/17/generate", ("drums",), "pad must be in range 1..16"),
        ("/pad/1/generate", ("drums", "colour=red"), "generate options are key=value"),
        ("/pad/1/generate", ("drums", "bars=0"), "bars must be in range 1..64"),
        ("/pad/1/generate", ("drums", "bpm=nan"), "bpm must be in range 20..300"),
        ("/pad/1/generate", ("drums", "temperature=inf"), "temperature must be in range 0..3"),
        ("/pad/1/generate", ("drums", "seed=99999999999999999999"), "seed must be in range 0..2147483647"),
        ("/pad/1/generate", ("drums", "top_k=-1"), "top_k must be in range 1..1000"),
        ("/pad/1/generate", ("drums", "genre=" + "x" * 5000), "genre must be at most 100 characters"),
        ("/pad/1/generate", ("drums", "provider=nope"), "no provider named 'nope'"),
        ("/pad/1/generate", ("drums", "key=H7"), "key must look like"),
        ("/pad/9/regenerate", (), "pad 9 has no earlier generation to repeat"),
        ("/pad/9/cancel", (), "pad 9 is not generating"),
        ("/pad/9/vary", ("simpler",), "pad 9 is empty: nothing to vary"),
        ("/pad/9/take", (1,), "pad 9 has no takes"),
    ],
)
def test_bad_generation_requests_get_clear_errors(daemon, address, args, message):
    assert message in daemon.osc.error(address, *args)


def test_every_number_a_generation_takes_has_a_range():
    from padserver.actions.generate import EXTRAS, OPTIONS, RANGES

    numbers = {k for k, kind in {**OPTIONS, **EXTRAS}.items() if kind is not str}
    assert numbers == set(RANGES)


def test_the_prompt_field_and_a_tablet_button_generate(daemon):
    osc = daemon.osc
    assert "no words to generate from" in osc.error("/pad/9/generate", 1.0)
    osc.send("/prompt", "deep house bass")
    assert osc.request("/prompt", reply="/prompt") == ["deep house bass"]
    started = osc.request("/pad/9/generate", 1.0, reply="/job/started")  # the button's press
    assert started[1] == 9
    landed = wait_loaded(daemon, 9)
    osc.send("/pad/9/generate", 0.0)  # its release starts nothing
    time.sleep(0.3)
    assert not pad(daemon, 9)["generating"] and pad(daemon, 9)["loop_id"] == landed["loop_id"]
    found = json.loads(osc.request("/library/search", "deep house bass", reply="/library/result")[0])
    assert found and found[0]["category"] == "bass"


def test_asking_again_for_the_same_loop_costs_nothing(daemon):
    from padserver.harness.daemon import OscPeer

    osc = OscPeer(daemon.port, feedback=True)  # a surface that hears /job/{id}
    osc.request("/pad/10/generate", "techno hats", "seed=5", "bars=1", reply="/job/started")
    first = wait_loaded(daemon, 10)
    job = osc.request("/pad/11/generate", "techno hats", "seed=5", "bars=1", reply="/job/started")[0]
    said = [
        (a, v)
        for a, v in gather(
            lambda: osc.receive(0.2), lambda got: "done" in (v[0] for a, v in got if a == f"/job/{job}"), 30
        )
        if a == f"/job/{job}"
    ]
    assert (f"/job/{job}", ["done", 1.0, "from the cache"]) in said
    osc.close()
    again = wait_loaded(daemon, 11)
    assert again["loop_id"] == first["loop_id"]  # the same library loop, not a copy
