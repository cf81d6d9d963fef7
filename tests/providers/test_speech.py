"""Speaking a line onto a pad, on the stepped driver: ElevenLabs' text to speech through the real SDK against a
fake of its wire protocol (voices by name, the cache, retries, fit to bars), and espeak-ng without a key."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from padserver.harness.fakes import SPEECH_S_PER_CHAR, VOICES, Fault
from padserver.harness.wait import wait_for

BAR = 96000  # 120 BPM at 48 kHz
KEY = "el-test-key-321"
LINE = "drop the bass in four, three, two, one"  # 38 characters: 2.28 s from the fake


def cli(*args, env=None):
    full = dict(os.environ, **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "padserver", *args], capture_output=True, text=True, env=full, timeout=60
    )


def config(url: str) -> str:
    return (
        f"providers:\n  elevenlabs_api_key: {KEY}\n  retry_first_s: 0.05\n  retry_max_s: 0.2\n"
        f"  elevenlabs-voice:\n    base_url: {url}\n"
    )


def onset_after(d, pad: int) -> tuple[int, np.ndarray]:
    """Play the pad from a grid line: (where its first sound is from the line, two bars heard from it)."""
    d.osc.send(f"/pad/{pad}/play")
    first = d.step(128)
    heard = np.concatenate([first, d.step(2 * BAR)], axis=1)
    loud = np.flatnonzero(np.abs(heard).max(axis=0) > 0.01)
    return int(loud[0]) if loud.size else -1, heard


def test_a_line_spoken_by_a_named_voice_lands_as_a_one_shot_on_the_beat_and_is_said_once(stepped, fake):
    fake.fail("/v1/text-to-speech/{voice}", Fault(429, {"detail": {"status": "system_busy", "message": "busy"}}))
    d = stepped(config=config(fake.url))
    got = d.request("/pad/5/speak", LINE, "voice=george", "stability=0.4", reply="/pad/5/speak", timeout=60)
    loop, engine, voice, bars, cached = got
    assert (engine, voice, bars, cached) == ("elevenlabs-voice", "George - warm narrator", 2, 0)  # 2.28 s: 2 bars
    pad = d.status()["pads"][4]
    assert pad["mode"] == "oneshot" and pad["loop_id"] == loop and pad["name"] == "drop the bass in four,…"
    # what the service was asked: the voice found by name, the default model, the settings; once after the 429
    said = fake.seen("/v1/text-to-speech/{voice}")
    assert len(said) == 2 and said[-1]["path"].endswith(VOICES[1][0])
    body = said[-1]["body"]
    assert body["text"] == LINE and body["model_id"] == "eleven_multilingual_v2"
    assert body["voice_settings"]["stability"] == 0.4
    # the first word on the bar line (the service's silence before it left out), the line as long as it is
    start, heard = onset_after(d, 5)
    assert 0 <= start < 96 + 128, start  # (within 2 ms of the line)
    loud = np.flatnonzero(np.abs(heard).max(axis=0) > 0.01)
    assert abs((loud[-1] - loud[0]) / 48000 - SPEECH_S_PER_CHAR * len(LINE)) < 0.05
    # the same line again, onto another pad: from the cache, nothing asked of the service
    assert d.request("/pad/6/speak", LINE, "voice=george", "stability=0.4", reply="/pad/6/speak")[2:] == [
        "George - warm narrator",
        2,
        1,
    ]
    assert len(fake.seen("/v1/text-to-speech/{voice}")) == 2
    # one undo takes the line off pad 6 (and its one-shot mode with it)
    assert d.request("/undo", reply="/undo") == ["pad 6 speak"]
    wait_for(lambda: d.status()["pads"][5]["loop_id"] is None, 10, "pad 6 empty")
    assert d.status()["pads"][5]["mode"] == "loop"
    # the words never go to the log whole
    assert LINE not in d.log()
    shown = json.loads(d.request("/library/show", loop, reply="/library/show")[0])["provenance"]
    assert shown["provider"] == "elevenlabs-voice" and shown["params"]["voice"]["id"] == VOICES[1][0]


def test_fit_stretches_a_line_to_whole_bars_that_loop(stepped, fake):
    d = stepped(config=config(fake.url))
    assert d.request("/pad/1/speak", LINE, "fit=2", "voice=Rachel", reply="/pad/1/speak", timeout=60)[3] == 2
    assert d.status()["pads"][0]["mode"] == "loop" and d.status()["pads"][0]["bars"] == 2
    start, heard = onset_after(d, 1)
    loud = np.flatnonzero(np.abs(heard[:, : 2 * BAR]).max(axis=0) > 0.01)
    assert start < 96 + 128 and loud[-1] > 2 * BAR - 2400, (start, loud[-1])  # it fills the two bars
    for args, why in (
        (("fit=8",), "would play it 0.14× as fast (from 0.5× to 2×); fit=1"),
        (("speed=3",), "speed must be"),
        (("voice=Nobody",), "no voice named 'Nobody'"),
    ):
        assert why in d.osc.error("/pad/2/speak", LINE, *args)
    voices = json.loads(d.request("/voices", reply="/voices")[0])
    assert [v["name"] for v in voices] == [n for _, n in VOICES]


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_without_a_key_espeak_ng_speaks(stepped):
    d = stepped(env={"ELEVENLABS_API_KEY": ""})
    loop, engine, voice, bars, cached = d.request("/pad/3/speak", "one two three", reply="/pad/3/speak", timeout=60)
    assert (engine, voice, bars, cached) == ("espeak-ng", "en", 1, 0)
    start, heard = onset_after(d, 3)
    assert 0 <= start < 96 + 128 and np.abs(heard).max() > 0.05
    assert any(v["id"] == "en-us" for v in json.loads(d.request("/voices", reply="/voices")[0]))
    # from the command line: the same line onto pad 4 comes from the cache; the voices are listed
    said = cli("speak", "one two three", "--pad", "4", "--port", str(d.process.port))
    assert said.returncode == 0 and said.stdout.startswith("pad 4: loop") and "from the cache" in said.stdout
    listed = cli("speak", "--voices", "--port", str(d.process.port))
    assert listed.returncode == 0 and any(line.split()[0] == "en-us" for line in listed.stdout.splitlines())


def test_without_a_key_or_espeak_ng_it_says_what_to_do(stepped):
    d = stepped(env={"ELEVENLABS_API_KEY": "", "PATH": "/nonexistent"})
    said = d.osc.error("/pad/3/speak", "one two three")
    assert "no speech engine" in said and "ELEVENLABS_API_KEY" in said and "apt-get install espeak-ng" in said
    doctor = cli("doctor", env={"ELEVENLABS_API_KEY": "", "PATH": "/nonexistent", "JACK_DEFAULT_SERVER": "none"})
    assert "speech (/pad/n/speak)" in doctor.stdout and "install espeak-ng" in doctor.stdout
