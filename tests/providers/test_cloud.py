"""The cloud providers through their real SDKs against local fakes of their wire protocols (daemon on null audio)."""

import json
import math
import os

import numpy as np
import pytest
import soundfile as sf

from padserver.harness.daemon import DaemonProcess, OscPeer
from padserver.harness.fakes import FakeHttp, FakeLyria, Fault, LyriaScript
from padserver.harness.wait import gather, wait_for
from tests.audio.test_prepare import downbeat_offsets_ms

EL_KEY, G_KEY = "el-test-key-123", "g-test-key-456"
RATE = 48000


@pytest.fixture(scope="module")
def fakes():
    http, lyria = FakeHttp(), FakeLyria()
    yield http, lyria
    http.close()
    lyria.close()


@pytest.fixture(scope="module")
def daemon(fakes, tmp_path_factory):
    http, lyria = fakes
    config = f"""
providers:
  google_api_key: {G_KEY}
  elevenlabs_api_key: {EL_KEY}
  retry_first_s: 0.05
  retry_max_s: 0.3
  timeout_s: 3
  lyria-realtime:
    lead_in_s: 1.0
    stall_s: 2.0
  lyria-clip:
    base_url: {http.url}
  elevenlabs-music:
    base_url: {http.url}
  elevenlabs-sfx:
    base_url: {http.url}
"""
    # Lyria RealTime's endpoint comes from the environment, as google-genai reads it
    d = DaemonProcess(
        ["--audio", "null"], env=lyria.env(), config=config, data_dir=str(tmp_path_factory.mktemp("cloud"))
    )
    d.wait_ready()
    yield d
    d.terminate()


def generate(d, pad, *args):
    """Ask, then follow /job/{id} to its end: (final state, message, the pad afterwards)."""
    peer = OscPeer(d.port, feedback=True)
    try:
        job = peer.request(f"/pad/{pad}/generate", *args, reply="/job/started")[0]
        ends = ("done", "failed", "cancelled")

        def said(got):
            return [values for address, values in got if address == f"/job/{job}"]

        got = said(gather(lambda: peer.receive(0.2), lambda got: any(v[0] in ends for v in said(got)), 60))
        ended = [v for v in got if v[0] in ends]  # its end (done, or failed after it when the loop cannot land)
        state, message = (ended[-1][0], ended[-1][2]) if ended else ((got[-1][0], got[-1][2]) if got else ("?", ""))
        if state == "done":  # a done job lands its loop a moment later
            wait_for(
                lambda: (p := d.osc.status()["pads"][pad - 1])["loop_id"] is not None and not p["generating"],
                30,
                "the loop",
            )
        return state, message, d.osc.status()["pads"][pad - 1]
    finally:
        peer.close()


def stored_loop(d, loop_id):
    found = json.loads(d.osc.request("/library/search", "limit=500", reply="/library/result")[0])
    return next(loop for loop in found if loop["id"] == loop_id)


def kept_audio(d, pad):
    """The pad's generated take as the library keeps it (prepared at the tempo it was made at)."""
    loop_id = d.osc.status()["pads"][pad - 1]["loop_id"]
    path = stored_loop(d, loop_id)["path"]
    audio, rate = sf.read(path if os.path.isabs(path) else os.path.join(d.data_dir, path), always_2d=True)
    assert rate == RATE
    return audio.T


def assert_fits(audio, bpm, bars):
    bar = RATE * 60.0 / bpm * 4
    assert audio.shape[1] == math.ceil(bars * bar - 1e-6)
    offsets = downbeat_offsets_ms(audio, bar, bars)
    assert abs(offsets[0]) <= 5.0, offsets


@pytest.mark.parametrize("provider", ["elevenlabs-music", "lyria-clip", "lyria-realtime"])
def test_each_provider_makes_a_loop_that_fits(daemon, fakes, provider):
    state, message, pad = generate(daemon, 3, "dusty drums", f"provider={provider}", "bpm=96", "bars=4", "key=Am")
    assert state == "done", message
    assert_fits(kept_audio(daemon, 3), 96.0, 4)
    assert pad["loop_id"] is not None and pad["state"] == "loaded"


def test_what_elevenlabs_receives(daemon, fakes):
    http, _ = fakes
    generate(daemon, 4, "warm pads", "provider=elevenlabs-music", "bpm=100", "bars=2", "key=F#m", "seed=7")
    sent = http.seen("/v1/music/stream")[-1]
    assert sent["headers"]["xi-api-key"] == EL_KEY
    assert sent["query"]["output_format"] == "mp3_44100_192"
    body = sent["body"]
    # structured fields it lacks travel in words; the length is the bars plus one for the seam
    assert body["prompt"] == "warm pads, 100 BPM, F# minor, instrumental"
    assert body["music_length_ms"] == 3 * 4 * 600 and body["force_instrumental"] is True and body["seed"] == 7
    generate(daemon, 5, "vinyl crackle", "provider=elevenlabs-sfx", "bpm=120", "bars=1")
    sfx = http.seen("/v1/sound-generation")[-1]["body"]
    assert sfx["loop"] is True and sfx["duration_seconds"] == 2.0 and sfx["text"].startswith("vinyl crackle")


def test_what_lyria_receives(daemon, fakes):
    http, lyria = fakes
    generate(daemon, 6, "deep house", "provider=lyria-realtime", "bpm=124", "key=Am", "seed=9", "density=0.3")
    assert lyria.headers[-1]["x-goog-api-key"] == G_KEY
    assert lyria.paths[-1].endswith("GenerativeService.BidiGenerateMusic")
    configs = [m["musicGenerationConfig"] for m in lyria.messages if "musicGenerationConfig" in m]
    assert configs[-1] == {"bpm": 124, "scale": "C_MAJOR_A_MINOR", "seed": 9, "density": 0.3}
    prompts = [m["clientContent"]["weightedPrompts"] for m in lyria.messages if "clientContent" in m]
    assert prompts[-1] == [{"text": "deep house", "weight": 1.0}]
    generate(daemon, 7, "boom bap", "provider=lyria-clip", "bpm=90")
    clip = http.seen("/v1beta/models/{model}:generateContent")[-1]
    assert clip["path"] == "/v1beta/models/lyria-3-clip-preview:generateContent"
    assert clip["headers"]["x-goog-api-key"] == G_KEY
    assert clip["body"]["contents"][0]["parts"][0]["text"] == "boom bap, 90 BPM, instrumental"


def test_transient_failures_are_retried_and_permanent_ones_are_not(daemon, fakes):
    http, _ = fakes
    before = len(http.seen("/v1/music/stream"))
    http.fail(
        "/v1/music/stream",
        Fault(429, {"detail": {"status": "system_busy", "message": "busy"}}, {"retry-after": "0.1"}),
        Fault(500, {"detail": {"status": "internal", "message": "oops"}}),
    )
    state, message, _ = generate(daemon, 8, "techno", "provider=elevenlabs-music", "bars=1")
    assert state == "done", message
    assert len(http.seen("/v1/music/stream")) == before + 3
    loop_before = daemon.osc.status()["pads"][7]["loop_id"]
    http.fail(
        "/v1/music/stream",
        Fault(400, {"detail": {"status": "bad_prompt", "message": "names an artist", "data": {"prompt_suggestion": "moody techno"}}}),
    )  # fmt: skip
    state, message, pad = generate(daemon, 8, "like Aphex", "provider=elevenlabs-music", "bars=1")
    assert state == "failed" and "names an artist" in message and "try: moody techno" in message
    assert pad["loop_id"] == loop_before  # the pad is exactly as it was
    count = len(http.seen("/v1/music/stream"))
    http.fail("/v1/music/stream", Fault(401, {"detail": {"status": "quota_exceeded", "message": "no credits"}}))
    state, message, _ = generate(daemon, 8, "techno 2", "provider=elevenlabs-music", "bars=1")
    assert state == "failed" and "quota exceeded" in message
    assert len(http.seen("/v1/music/stream")) == count + 1  # not retried
    http.fail(
        "/v1beta/models/{model}:generateContent",
        Fault(429, {"error": {"code": 429, "message": "daily", "status": "RESOURCE_EXHAUSTED", "details": [
            {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{"quotaId": "GenerateRequestsPerDayPerProject"}]}]}}),
    )  # fmt: skip
    state, message, _ = generate(daemon, 8, "clip", "provider=lyria-clip", "bars=1")
    assert state == "failed" and "quota is used up" in message


def test_concurrency_limits_timeouts_and_validation_errors(daemon, fakes):
    http, _ = fakes
    count = len(http.seen("/v1/sound-generation"))
    http.fail(
        "/v1/sound-generation",
        Fault(429, {"detail": {"status": "too_many_concurrent_requests", "message": "3 at once on this plan"}}),
        Fault(200, delay_s=4.0),  # longer than providers.timeout_s: that attempt is abandoned
    )
    state, message, _ = generate(daemon, 12, "shaker", "provider=elevenlabs-sfx", "bars=1")
    assert state == "done", message
    assert len(http.seen("/v1/sound-generation")) == count + 3
    assert "lower providers.concurrency" in daemon.log() and "did not answer within 3 s" in daemon.log()
    http.fail(
        "/v1/sound-generation",
        Fault(
            422, {"detail": [{"loc": ["body", "duration_seconds"], "msg": "must be at most 30", "type": "value_error"}]}
        ),
    )
    state, message, _ = generate(daemon, 12, "long", "provider=elevenlabs-sfx", "bars=1")
    assert state == "failed" and "body.duration_seconds: must be at most 30" in message


def test_bad_answers_leave_the_pad_as_it_was(daemon, fakes):
    http, lyria = fakes
    loop_before = daemon.osc.status()["pads"][2]["loop_id"]  # pad 3 has a loop from the first test
    # (each answer as many times as a job tries: on a loaded machine an attempt may pass providers.timeout_s
    # and be tried again, and the bad answer must still be the one it gets; what is left is taken back)
    http.fail("/v1/music/stream", *[Fault(200, garbage=True)] * 3)
    state, message, pad = generate(daemon, 3, "noise", "provider=elevenlabs-music", "bars=1")
    http.faults.pop("/v1/music/stream", None)
    assert state == "failed" and "cannot be read" in message
    assert pad["loop_id"] == loop_before
    http.fail("/v1/sound-generation", *[Fault(200, truncate=True)] * 3)
    state, message, pad = generate(daemon, 3, "cut short", "provider=elevenlabs-sfx", "bars=4")
    http.faults.pop("/v1/sound-generation", None)
    assert "too short" in message and pad["loop_id"] == loop_before
    http.fail("/v1beta/models/{model}:generateContent", *[Fault(200, body="filtered")] * 3)
    state, message, pad = generate(daemon, 3, "something", "provider=lyria-clip", "bars=1")
    http.faults.pop("/v1beta/models/{model}:generateContent", None)
    assert state == "failed" and "filtered" in message and pad["loop_id"] == loop_before
    assert daemon.osc.status()["xruns"] >= 0  # still answering


def test_a_dropped_or_stalled_session_is_tried_again_with_a_fresh_one(daemon, fakes):
    _, lyria = fakes
    sessions = lyria.sessions
    lyria.scripts += [LyriaScript(close_after=1), LyriaScript(stall_after=1)]
    state, message, _ = generate(daemon, 9, "dub", "provider=lyria-realtime", "bars=1")
    assert state == "done", message
    assert lyria.sessions == sessions + 3
    lyria.scripts.append(LyriaScript(filtered="forbidden words"))
    state, message, _ = generate(daemon, 9, "forbidden words", "provider=lyria-realtime", "bars=1")
    assert state == "done"
    assert "'forbidden words' was filtered" in daemon.log()


def test_keys_never_show_and_a_missing_key_says_what_to_do(daemon, tmp_path):
    log = daemon.log()
    assert EL_KEY not in log and G_KEY not in log
    assert daemon.osc.status()["providers"]["elevenlabs-music"] == "ready"
    bare = DaemonProcess(
        ["--audio", "null"],
        env={"ELEVENLABS_API_KEY": "", "GEMINI_API_KEY": "", "GOOGLE_API_KEY": ""},
        data_dir=str(tmp_path),
    )
    try:
        bare.wait_ready()
        said = bare.osc.error("/pad/1/generate", "drums", "provider=elevenlabs-music")
        assert "elevenlabs-music is unavailable: no ElevenLabs API key (set $ELEVENLABS_API_KEY" in said
        providers = bare.osc.status()["providers"]
        assert providers["lyria-clip"].startswith("no Google API key") and providers["offline"] == "ready"
    finally:
        bare.terminate()


def test_a_seamless_sound_effect_loop_is_kept_whole_and_under_the_ceiling(daemon, fakes):
    generate(daemon, 10, "clicks", "provider=elevenlabs-sfx", "bpm=120", "bars=2")
    audio = kept_audio(daemon, 10)
    assert audio.shape[1] == 2 * 96000
    assert np.abs(audio).max() <= 10 ** (-1.0 / 20) + 1e-3  # normalised under the ceiling


def test_the_sdks_run_outside_the_daemon(daemon):
    """Parsing a provider's answer must never hold the interpreter the audio callback needs."""
    import psutil

    generate(daemon, 13, "hats", "provider=elevenlabs-sfx", "bars=1")
    with open(f"/proc/{daemon.proc.pid}/maps") as fh:
        maps = fh.read()
    assert "pydantic_core" not in maps  # both SDKs parse through pydantic: it was never loaded here
    children = [" ".join(c.cmdline()) for c in psutil.Process(daemon.proc.pid).children()]
    assert any("padserver.providers.remote" in c for c in children), children


def test_the_channels_of_raw_pcm_follow_the_setting_else_the_length():
    from types import SimpleNamespace

    from padserver.providers.elevenlabs import pcm_channels

    unset, stereo = SimpleNamespace(get=lambda k, d: 0), SimpleNamespace(get=lambda k, d: 2)
    ten_s_mono = 10 * 44100 * 2
    assert pcm_channels(unset, ten_s_mono, 44100, 10.0) == 1
    assert pcm_channels(unset, 2 * ten_s_mono, 44100, 10.0) == 2
    assert pcm_channels(unset, ten_s_mono, 44100, None) == 1  # (speech: mono)
    assert pcm_channels(stereo, ten_s_mono, 44100, 10.0) == 2  # told: as told
