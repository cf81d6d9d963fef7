"""Buttons as tablets send them (one float: press, then release) and the feedback their widgets bind,
sent with liblo's oscsend and heard with oscdump."""

import os
import subprocess
import time

from padserver.harness.signals import write_click
from padserver.harness.wait import wait_for


def button(daemon, address: str, value: float) -> None:
    subprocess.run(["oscsend", "localhost", str(daemon.port), address, "f", str(value)], check=True)


def test_buttons_act_on_the_press_and_ignore_the_release(daemon, dump):
    click = write_click(os.path.join(daemon.data_dir, "click.wav"))
    daemon.osc.request("/pad/1/load", click, reply="/pad/1/loaded")
    for address in ("/transport/play", "/transport/stop", "/tempo/tap", "/pads/stop", "/pads/panic", "/pad/1/play"):
        button(daemon, address, 1.0)
        button(daemon, address, 0.0)
    wait_for(lambda: daemon.osc.status()["pads"][0]["state"] == "playing", 5, "pad 1 playing from its play button")
    time.sleep(0.3)
    errors = [line for _, line in dump.lines if line.startswith("/error")]
    assert errors == [], errors
    button(daemon, "/pads/panic", 1.0)
    wait_for(lambda: daemon.osc.status()["pads"][0]["state"] == "loaded", 5, "panic stops it")


def test_a_gate_pads_play_button_stops_it_on_release(daemon, dump):
    click = write_click(os.path.join(daemon.data_dir, "click.wav"))
    daemon.osc.request("/pad/2/load", click, reply="/pad/2/loaded")
    daemon.osc.send("/pad/2/mode", "gate")
    daemon.osc.send("/pad/2/quantize", "off")
    button(daemon, "/pad/2/play", 1.0)
    wait_for(lambda: daemon.osc.status()["pads"][1]["state"] == "playing", 5, "pad 2 held")
    button(daemon, "/pad/2/play", 0.0)
    wait_for(lambda: daemon.osc.status()["pads"][1]["state"] in ("loaded", "stopped"), 5, "pad 2 let go")


def test_a_new_client_sees_the_transport_and_every_pads_colour(daemon, dump):
    for text in (
        "/transport/metronome i 0",
        "/transport/record i 0",
        "/transport/position ii 1 1",
        '/pad/1/color s "#1E1E1E"',
        '/pad/16/color s "#1E1E1E"',
    ):
        dump.wait_for(text)


def test_a_pads_colour_follows_its_state_and_mute_and_the_master_meter_comes_in_single_values(daemon, dump):
    click = write_click(os.path.join(daemon.data_dir, "click.wav"))
    daemon.osc.request("/pad/3/load", click, reply="/pad/3/loaded")
    dump.wait_for('/pad/3/color s "#E6B400"')  # loaded: amber
    daemon.osc.send("/pad/3/play")
    dump.wait_for('/pad/3/color s "#00E050"')  # playing: green
    for side in ("left", "right"):  # one number each, for widgets that take one
        wait_for(lambda side=side: any(line.startswith(f"/master/level/{side} f ") for _, line in dump.lines), 5, side)
    daemon.osc.send("/pad/3/mute", 1)
    dump.wait_for('/pad/3/color s "#004E1C"')  # muted: dimmed
    daemon.osc.send("/transport/metronome", 1)
    dump.wait_for("/transport/metronome i 1")


def test_a_new_clients_state_comes_in_a_few_bundles_that_fit_a_frame(daemon):
    import socket

    from padserver.control.osc import build, messages_in

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.sendto(build("/ping", []), ("127.0.0.1", daemon.port))
        s.settimeout(2.0)
        datagrams = []
        try:
            while True:
                datagrams.append(s.recv(65536))
                s.settimeout(0.3)
        except TimeoutError:
            pass
        s.sendto(build("/unregister", []), ("127.0.0.1", daemon.port))
    bundles = [d for d in datagrams if d.startswith(b"#bundle")]
    told = [m.address for d in bundles for m in messages_in(d)]
    assert {f"/pad/{n}/color" for n in range(1, 17)} <= set(told) and "/transport/position" in told
    assert len(told) > 200 and len(bundles) <= 15  # hundreds of messages in a dozen datagrams
    assert all(len(d) <= 1200 for d in bundles)
