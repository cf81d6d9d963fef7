"""The OSC request side, against the daemon running as a process (null audio backend)."""

import json
import os
import socket
import time

import pytest
from pythonosc.osc_bundle_builder import OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder

from padserver.harness.daemon import DaemonProcess
from padserver.harness.signals import write_click, write_tone
from padserver.harness.wait import wait_for


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    d = DaemonProcess(
        ["--audio", "null"], config="loops:\n  normalize: false\n", data_dir=str(tmp_path_factory.mktemp("data"))
    )  # the levels measured here are the pads' gain and pan, not the loops' loudness
    d.wait_ready()
    yield d
    code, _ = d.terminate()
    assert code == 0


@pytest.mark.parametrize(
    "address,args,message",
    [
        ("/pad/17/gain", (0.5,), "pad must be in range 1..16 (got 17)"),
        ("/pad/0/play", (), "pad must be in range 1..16 (got 0)"),
        ("/pad/x/play", (), "pad must be a number"),
        ("/pad/1/gain", (2.5,), "gain must be in range 0..2 (got 2.5)"),
        ("/pad/1/gain", ("loud",), "gain must be a number"),
        ("/pad/1/gain", (), "expects f:gain (got 0 arguments)"),
        ("/pad/1/pan", (1.5,), "pan must be in range -1..1"),
        ("/pad/1/mute", (2,), "mute must be 0 or 1"),
        ("/pad/1/mode", ("pingpong",), "mode must be one of loop, oneshot, gate"),
        ("/pad/1/quantize", ("3",), "quantum must be one of off, 1/16"),
        ("/pad/1/region", (0.5, 0.2), "region end must be after its start"),
        ("/pad/1/choke", (17,), "choke group must be in range 0..16"),
        ("/pad/1/play", (), "pad 1 is empty: load a loop first"),
        ("/tempo", (10.0,), "tempo must be in range 20..300"),
        ("/timesig", (0,), "beats per bar must be in range 1..32"),
        ("/quantize", ("bar",), "quantum must be one of"),
        ("/master/gain", (3.0,), "master gain must be in range 0..2"),
        ("/nothing/here", (), "unknown address"),
        ("/pad/1/load", ("/etc/passwd",), "outside the allowed folders"),
        ("/pad/1/load", ("",), "a file path is needed"),
        ("/register", ("127.0.0.1",), "register takes no arguments, or a host and a port"),
        ("/register", ("é" * 70, 9000), "host must be an IP address"),
        ("/register", ("localhost", 9000), "host must be an IP address"),  # (no DNS lookup on the event loop)
        ("/register", ("::1", 9000), "host must be an IPv4 address"),
        ("/pad/1/load", (float("inf"),), "loop id must be in range"),
        ("/pad/1/load", ("12345678901234567890",), "loop id must be in range"),
        ("/library/search", (" ".join(f"w{i}" for i in range(3000)),), "search text must be at most 1000 characters"),
        ("/library/search", (" ".join(["ab"] * 40),), "a search takes at most 32 words"),
        ("/song/export", ("../../x.wav",), "stays in the exports folder"),
        ("/song/export", ("x.wav", "tail=inf"), "tail (seconds after the end) must be in range 0..60"),
        ("/song/export", ("x.wav", "normalize=nan"), "normalize (LUFS) must be in range -70..0"),
        ("/song/export", ("x.wav", "rate=12"), "rate must be in range 8000..192000"),
    ],
)
def test_every_bad_request_gets_an_error_back(daemon, address, args, message):
    assert message in daemon.osc.error(address, *args)


def test_a_host_a_socket_cannot_take_is_refused_and_the_server_keeps_answering(daemon):
    # (taken, the first feedback to it raised inside asyncio's transport, which closed the socket for good)
    assert "host must be an IP address" in daemon.osc.error("/register", "é" * 70, 9000)
    daemon.osc.send("/tempo", 121.0)  # feedback to every registered client
    assert daemon.osc.request("/ping", reply="/pong")
    daemon.osc.send("/tempo", 120.0)


def test_errors_are_logged_too(daemon):
    daemon.osc.error("/pad/99/stop")
    time.sleep(0.1)
    assert "OSC /pad/99/stop from 127.0.0.1" in daemon.log()


def _received(s, timeout=0.5) -> list[bytes]:
    s.settimeout(timeout)
    out = []
    try:
        while True:
            out.append(s.recvfrom(65536)[0])
    except TimeoutError:
        return out


def test_malformed_packets_get_an_error_and_do_not_stop_anything(daemon):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(OscMessageBuilder("/ping").build().dgram, ("127.0.0.1", daemon.port))  # a valid request first
        assert len(_received(s)) >= 1
        for junk in (b"\x00\x01garbage", b"/pad/1/gain\x00\x00\x00\x00,f\x00\x00\x00"):
            s.sendto(junk, ("127.0.0.1", daemon.port))
            data, _ = s.recvfrom(4096)
            assert b"/error" in data and b"malformed OSC packet" in data
    assert daemon.osc.request("/ping", reply="/pong") == ["0.1.0"]


def test_a_sender_that_made_no_valid_request_is_never_sent_more_than_it_sent(daemon):
    # (a spoofed source address would turn those bytes on someone else: no amplification)
    junk = [
        b"\x00\x01garbage",
        OscMessageBuilder("/" + "x" * 300).build().dgram,  # an unknown address, echoed shortened if at all
        OscMessageBuilder("/no/such/thing").build().dgram,
        b"/pad/1/gain\x00\x00\x00\x00,f\x00\x00\x00",
    ] * 5
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        sent = got = 0
        for packet in junk:
            s.sendto(packet, ("127.0.0.1", daemon.port))
            sent += len(packet)
        answers = _received(s)
        got = sum(len(a) for a in answers)
        assert got <= sent and answers  # errors still come, cut to fit
        assert not any(a.startswith(b"/pad/") or a.startswith(b"/tempo") for a in answers)  # no state
        assert all(b"x" * 100 not in a for a in answers)
        # its first valid request: it is answered in full, and (auto-registration) gets the state
        s.sendto(OscMessageBuilder("/ping").build().dgram, ("127.0.0.1", daemon.port))
        after = _received(s, 1.0)
        # (the state comes in bundles: "/pad/16/state" inside one)
        assert any(a.startswith(b"/pong") for a in after) and any(b"/pad/16/state" in a for a in after)
        s.sendto(OscMessageBuilder("/unregister").build().dgram, ("127.0.0.1", daemon.port))


def test_a_flood_from_one_sender_is_held_to_its_rate_and_said_once_a_second(tmp_path):
    config = "osc:\n  rate_limit: 100\n  burst: 100\n"
    d = DaemonProcess(["--audio", "null"], config=config, data_dir=str(tmp_path))
    try:
        d.wait_ready()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            s.sendto(OscMessageBuilder("/unregister").build().dgram, ("127.0.0.1", d.port))  # (no feedback)
            ping = OscMessageBuilder("/ping").build().dgram
            t0 = time.monotonic()
            for _ in range(300):
                s.sendto(ping, ("127.0.0.1", d.port))
            elapsed = time.monotonic() - t0
            answers = _received(s, 1.0)
            pongs = sum(a.startswith(b"/pong") for a in answers)
            told = [a for a in answers if a.startswith(b"/error") and b"too many messages" in a]
            assert pongs <= 100 + 1 + 100 * elapsed, (pongs, elapsed)  # the burst, then the rate
            assert 1 <= len(told) <= 1 + elapsed, told
        time.sleep(1.0)  # the bucket fills again
        assert d.osc.request("/ping", reply="/pong")
        assert "too many messages" in d.log()
    finally:
        d.terminate()


def test_settings_show_in_status_and_queries(daemon):
    osc = daemon.osc
    for message in (
        ("/pad/3/gain", 0.25),
        ("/pad/3/pan", -0.5),
        ("/pad/3/mute", 1.0),  # tablets send floats
        ("/pad/3/solo", 1),
        ("/pad/3/mode", "oneshot"),
        ("/pad/3/quantize", "1/8"),
        ("/pad/3/region", 0.25, 0.75),
        ("/pad/3/choke", 2),
        ("/pad/3/name", "hats"),
        ("/tempo", 96),
        ("/timesig", 3),
        ("/quantize", 2.0),
        ("/master/gain", 0.8),
    ):
        osc.send(*message)
    s = daemon.osc.status()
    pad = s["pads"][2]
    assert pad["gain"] == 0.25 and pad["pan"] == -0.5 and pad["mute"] and pad["solo"]
    assert pad["mode"] == "oneshot" and pad["quantum"] == "1/8" and pad["region"] == [0.25, 0.75]
    assert pad["choke"] == 2 and pad["name"] == "hats" and pad["state"] == "empty"
    assert s["tempo"] == 96 and s["timesig"] == 3 and s["quantize"] == "2" and s["master_gain"] == 0.8
    assert osc.request("/tempo", reply="/tempo") == [pytest.approx(96.0)]
    assert osc.request("/timesig", reply="/timesig") == [3]
    assert osc.request("/quantize", reply="/quantize") == ["2"]
    for reset in (("/tempo", 120), ("/timesig", 4), ("/quantize", "1"), ("/pad/3/solo", 0), ("/master/gain", 1.0)):
        osc.send(*reset)


def test_timed_bundles_are_scheduled_not_slept_on(daemon):
    due = time.time() + 3.0
    bundle = OscBundleBuilder(due)
    msg = OscMessageBuilder("/tempo")
    msg.add_arg(77.0)
    bundle.add_content(msg.build())
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(bundle.build().dgram, ("127.0.0.1", daemon.port))
    # a request sent after the bundle, before its time, is answered before the bundle acts (the event loop
    # does not sleep on it: if it did, the answer would be the bundle's tempo)
    asked = time.time()
    tempo = daemon.osc.request("/tempo", reply="/tempo")
    assert asked >= due or tempo == [pytest.approx(120.0)], "the event loop slept on a future bundle"
    # … and the bundle acts at its time, not before
    assert wait_for(lambda: daemon.osc.request("/tempo", reply="/tempo") == [pytest.approx(77.0)], 10, "the bundle")
    assert time.time() >= due
    daemon.osc.send("/tempo", 120)


def test_load_plays_and_a_bad_file_leaves_the_pad_as_it_was(daemon):
    osc = daemon.osc
    good = write_tone(os.path.join(daemon.data_dir, "tone.ogg"), rate=44100, seconds=3.5)
    assert osc.request("/pad/5/load", good, reply="/pad/5/loaded")[0] == 2
    bad = os.path.join(daemon.data_dir, "bad.wav")
    with open(bad, "wb") as fh:
        fh.write(b"RIFF....WAVEfmt broken")
    assert "cannot read bad.wav" in daemon.osc.error("/pad/5/load", bad)
    pad = daemon.osc.status()["pads"][4]
    assert pad["state"] == "loaded" and pad["source"] == "tone" and pad["bars"] == 2 and pad["loop_id"] >= 1
    assert pad["name"] == "tone"
    osc.send("/pad/5/play")
    time.sleep(0.2)
    s = daemon.osc.status()
    assert s["pads"][4]["state"] == "playing"
    # a 0.5 sine at centre pan: 0.5 × cos(45°) ≈ 0.354 on the pad's meter and the master's
    assert s["levels"]["pads"][4] == pytest.approx(0.354, abs=0.01) and s["levels"]["pads"][0] == 0.0
    assert s["levels"]["master"] == [pytest.approx(0.354, abs=0.01)] * 2
    assert s["levels"]["gain_reduction_db"] == 0.0
    osc.send("/pads/panic")
    time.sleep(0.2)
    assert daemon.osc.status()["pads"][4]["state"] == "loaded"
    osc.send("/pad/5/clear")
    assert daemon.osc.status()["pads"][4]["state"] == "empty"


def test_quantized_play_and_stop_show_queued_and_stopping(daemon):
    osc = daemon.osc
    click = write_click(os.path.join(daemon.data_dir, "click.wav"))
    osc.request("/pad/6/load", click, reply="/pad/6/loaded")
    osc.request("/pad/7/load", click, reply="/pad/7/loaded")
    osc.send("/pad/6/play")
    time.sleep(0.1)
    osc.send("/pad/7/play")
    time.sleep(0.1)
    pads = daemon.osc.status()["pads"]
    assert pads[5]["state"] == "playing" and pads[6]["state"] == "queued"
    osc.send("/pad/6/stop")
    time.sleep(0.1)
    assert daemon.osc.status()["pads"][5]["state"] == "stopping"
    osc.send("/pads/panic")


def test_register_routes_replies_to_a_listening_port(daemon):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.settimeout(2)
        port = listener.getsockname()[1]
        assert daemon.osc.request("/register", "127.0.0.1", port, reply="/registered") == ["127.0.0.1", port]
        daemon.osc.send("/ping")
        seen = []
        while b"/pong" not in b"".join(seen):
            seen.append(listener.recvfrom(4096)[0])
        daemon.osc.send("/unregister")


def test_lan_mode_accepts_only_allowlisted_senders(tmp_path):
    config = "osc:\n  allow: [10.0.0.0/8]\n"
    d = DaemonProcess(["--audio", "null", "--osc-host", "0.0.0.0"], config=config, data_dir=str(tmp_path))
    try:
        wait_for(lambda: "ready" in d.log() or d.proc.poll() is not None, 15, "the daemon's start")
        assert d.proc.poll() is None, d.log()
        assert "open to the network for 10.0.0.0/8 only" in d.log()
        d.osc.send("/ping")
        assert d.osc.receive(0.5) == []  # 127.0.0.1 is not on the list
        time.sleep(0.1)
        assert "OSC from 127.0.0.1 refused: not in osc.allow" in d.log()
    finally:
        d.terminate()


def test_a_reply_too_large_for_a_datagram_is_refused_with_an_error_not_dropped():
    import asyncio

    from padserver.control.osc import OscServer

    async def run():
        server = OscServer(None, None, "127.0.0.1", 0, [])
        await server.start()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            client = s.getsockname()
            server.guard.trust(client)
            server.send(client, "/library/results", ["x" * 70000])
            await asyncio.sleep(0.05)
            answers = _received(s, 0.5)
        server.close()
        return answers

    answers = asyncio.run(run())
    assert len(answers) == 1 and answers[0].startswith(b"/error")
    assert b"/library/results" in answers[0] and b"too large for one datagram" in answers[0]


def test_a_search_larger_than_a_datagram_comes_in_pages_the_client_asks_for(tmp_path):
    from padserver.library import db

    folder = tmp_path / "library"
    folder.mkdir()
    conn = db.connect(str(folder / "library.sqlite"))
    for i in range(500):
        name = f"long loop name {i} " + "x" * 180
        db.insert(conn, {
            "hash": f"{i:064x}", "name": name, "category": "drums", "tags": ["dusty", "vinyl"], "file": f"x/{i}.wav",
            "duration": 8.0, "sample_rate": 48000, "channels": 2, "bars": 4, "bpm": 120.0, "bpm_confidence": 0.9,
            "key": "Am", "key_confidence": 0.5, "source": "imported", "prompt": None,
        })  # fmt: skip
    conn.commit()
    conn.close()
    d = DaemonProcess(["--audio", "null"], data_dir=str(tmp_path))
    try:
        d.wait_ready()
        ids: list[int] = []
        offset, pages = 0, 0
        while True:
            d.osc.send("/library/search", "limit=500", f"offset={offset}")
            got = dict(d.osc.receive(10.0, until="/library/result"))
            got.update(d.osc.receive(0.3))
            page = json.loads(got["/library/result"][0])
            assert len(json.dumps(page)) < 65000
            ids += [loop["id"] for loop in page]
            pages += 1
            if "/library/result/more" not in got:
                break
            offset = got["/library/result/more"][0]
            assert offset == len(ids)
        assert pages > 1 and sorted(ids) == list(range(1, 501)) and len(set(ids)) == 500
    finally:
        d.terminate()
