"""Playing it: MIDI note → sound and → light, and floods of OSC and MIDI while 16 pads play."""

from __future__ import annotations

import os
import socket
import time

import numpy as np

from padserver.bench.daemon_bench import _load_kit, _proc_cpu
from padserver.bench.targets import expect
from padserver.control.osc import build
from padserver.harness.capture import Capture
from padserver.harness.daemon import DaemonProcess
from padserver.harness.jack import JackServer, MidiDevice
from padserver.harness.scratch import scratch_dir

CONFIG = "audio:\n  jack:\n    connect: []\n"
LPX = bytes.fromhex("F0 00 20 29 02 0C")


def _rig(period: int):
    folder = scratch_dir("padserver-bench-")
    server = JackServer(period=period, log=os.path.join(folder, "jackd.log")).start()
    device = MidiDevice(server, "Launchpad X", "LPX MIDI Out", "LPX MIDI In")
    d = DaemonProcess(["--audio", "jack"], env=server.env, config=CONFIG, data_dir=folder)
    d.wait_ready(30)
    device.wait_for(lambda m: m == LPX + bytes.fromhex("0E 01 F7"), timeout=10)
    return server, folder, device, d


def xruns(server: JackServer, d) -> tuple[int, int]:
    """(xruns the daemon counted, those jackd blamed on padserver itself) so far."""
    return d.osc.status()["xruns"], padserver_late(server)


def xruns_since(server: JackServer, d, before: tuple[int, int]) -> str:
    now = xruns(server, d)
    return f"xruns {now[0] - before[0]} ({now[1] - before[1]} with padserver the late client)"


def padserver_late(server: JackServer) -> int:
    """How often jackd said padserver itself had not finished its cycle (other xruns are the test rig's)."""
    try:
        with open(server.log or "", errors="replace") as fh:
            return sum(1 for line in fh if "client = padserver was not finished" in line)
    except OSError:
        return -1


def run_midi(smoke: bool) -> bool:
    presses = 10 if smoke else 100
    period = 128
    print(f"== midi: a Launchpad X on JACK MIDI, {period}-frame period, {presses} presses, quantize off ==")
    server, folder, device, d = _rig(period)
    cap = Capture(server, name="bench")
    try:
        _load_kit(d, folder)
        for pad in range(1, 16):
            d.osc.send(f"/pad/{pad}/pan", -1.0)
        d.osc.send("/pad/16/pan", 1.0)
        d.osc.send("/pad/16/quantize", "off")
        d.osc.send("/pad/16/mode", "oneshot")
        for pad in range(1, 16):
            d.osc.send(f"/pad/{pad}/play")
        cap.connect("padserver:master_L", "padserver:master_R")
        time.sleep(1.0)
        sound, light = [], []
        late = 0  # presses JACK's account says went out or came in about a cycle some client ran late (may be lost)
        rng = np.random.default_rng(3)
        note = bytes.fromhex("90 36 7F")  # note 54: pad 16 on the Launchpad X grid
        for _ in range(presses):
            time.sleep(rng.uniform(0.12, 0.2))
            since = len(device.received)
            pressed = device.press(note)
            device.send(bytes.fromhex("80 36 00"))
            cap.wait_until(pressed + 9600)
            onset = cap.onset(pressed - period, pressed + 9600, channel=1)
            if not device.on_time(pressed) or device.xruns_between(pressed - 2 * period, pressed + 9600):
                late += 1  # (JACK's account: a cycle about the press ran late, the device's or padserver's)
            elif onset is not None:
                sound.append((onset - pressed) / period)
            try:
                frame, _ = device.wait_for(
                    lambda m: m.startswith(LPX + b"\x03") and bytes((0, 54, 21)) in m, timeout=1.0, since=since
                )
                light.append((frame - pressed) / 48.0)
            except AssertionError:
                pass
            time.sleep(0.1)
            d.osc.send("/pad/16/stop")
        sound_a, light_a = np.array(sound), np.array(light)
        if len(sound_a):
            print(
                f"note → first sample ({len(sound_a)}/{presses - late}): median {np.median(sound_a):.2f} periods, "
                f"jitter p95−p5 {np.percentile(sound_a, 95) - np.percentile(sound_a, 5):.2f} periods, max {sound_a.max():.2f} "
                "(target median ≤ 1.2, jitter ≤ 1)"
            )
            expect("note → first sample, median", float(np.median(sound_a)), "periods", at_most=1.2, sane=50)
            expect(
                "note → first sample, jitter p95−p5",
                float(np.percentile(sound_a, 95) - np.percentile(sound_a, 5)),
                "periods",
                at_most=1,
                sane=50,
            )
        if len(light_a):
            print(
                f"note → LED message ({len(light_a)}/{presses}): median {np.median(light_a):.1f} ms, "
                f"p95 {np.percentile(light_a, 95):.1f} ms, max {light_a.max():.1f} ms (target median ≤ 10 ms)"
            )
            expect("note → LED message, median", float(np.median(light_a)), "ms", at_most=10, sane=1000)
        back = []
        for _ in range(2 if smoke else 5):  # unplugged and plugged in again: how soon it is lit again
            device.close()
            time.sleep(1.5)
            t0 = time.monotonic()
            device = MidiDevice(server, "Launchpad X", "LPX MIDI Out", "LPX MIDI In")
            device.wait_for(lambda m: m == LPX + bytes.fromhex("0E 01 F7"), timeout=30)
            back.append(time.monotonic() - t0)
        print(f"a replugged Launchpad in programmer mode again after: {', '.join(f'{b:.2f}' for b in back)} s")
        # the manager scans every second (SCAN_S), and lights what it connects at once
        expect("a replugged controller lit again after (worst)", max(back), "s", at_most=2.0, sane=30)
        if late:
            print(f"({late} of {presses} presses left out: JACK reported a late cycle about them)")
        return len(sound_a) == presses - late and len(light_a) > 0
    finally:
        cap.close()
        d.terminate()
        device.close()
        server.stop()


def run_floods(smoke: bool) -> bool:
    seconds = 3.0 if smoke else 30.0
    rate = 2000
    print(f"== floods: 16 pads playing, {rate} OSC messages/s for {seconds:g} s, then 10,000 MIDI messages/s ==")
    server, folder, device, d = _rig(256)
    try:
        _load_kit(d, folder)
        for pad in range(1, 17):
            d.osc.send(f"/pad/{pad}/play")
        time.sleep(1.0)
        status0 = d.osc.status()
        late_start = padserver_late(server)
        cpu0, t0 = _proc_cpu(d.proc.pid), time.monotonic()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.sendto(build("/unregister", []), ("127.0.0.1", d.port))
        sent = 0
        last = {}
        while time.monotonic() - t0 < seconds:
            due = t0 + sent / rate
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            pad = 1 + sent % 16
            gain = round(0.2 + (sent % 997) / 1000, 3)
            sock.sendto(build(f"/pad/{pad}/gain", [gain]), ("127.0.0.1", d.port))
            last[pad] = gain
            sent += 1
        took = time.monotonic() - t0
        cpu = (_proc_cpu(d.proc.pid) - cpu0) / took * 100
        late0 = padserver_late(server)
        time.sleep(0.3)
        status1 = d.osc.status()
        applied = all(abs(status1["pads"][p - 1]["gain"] - g) < 1e-6 for p, g in last.items())
        errors = d.log().count("OSC /pad/")
        late1 = padserver_late(server)
        print(
            f"OSC: {sent} messages in {took:.1f} s ({sent / took:.0f}/s), xruns {status1['xruns'] - status0['xruns']} "
            f"({late0 - late_start} with padserver the late client), "
            f"last values applied: {'yes' if applied else 'NO'}, errors {errors}, daemon CPU {cpu:.1f} % of one core"
        )
        # MIDI: aftertouch and CCs at 10 kHz (what a Launchpad X sends while fingers rest on pads)
        xruns0 = status1["xruns"]
        t1 = time.monotonic()
        pongs = []
        n = 0
        while time.monotonic() - t1 < min(seconds, 5.0):
            for _ in range(100):
                device.send(bytes((0xA0, 11 + n % 8, n % 128)))
                n += 1
            t_ping = time.monotonic()
            d.osc.request("/ping", reply="/pong")
            pongs.append(time.monotonic() - t_ping)
            time.sleep(max(0.0, t1 + n / 10000 - time.monotonic()))
        status2 = d.osc.status()
        print(
            f"MIDI: {n} messages in {time.monotonic() - t1:.1f} s, xruns {status2['xruns'] - xruns0} "
            f"({padserver_late(server) - late1} with padserver the late client), "
            f"event loop answers /ping in median {np.median(pongs) * 1000:.1f} ms, max {max(pongs) * 1000:.1f} ms"
        )
        sock.close()
        return applied
    finally:
        d.terminate()
        device.close()
        server.stop()
