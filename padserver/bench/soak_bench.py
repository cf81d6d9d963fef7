"""The soak: everything a gig can throw at padserver at once, for minutes, while 16 pads play at 128 frames.

1,000 OSC messages a second (one in ten malformed), a stranger sending junk (what padserver sends it back is
the amplification), MIDI floods from a Launchpad, generation jobs against a provider that fails in every way
the job manager knows, the JACK server killed and started again, the controller unplugged and plugged back.
Counted: crashes, audio stops (a second of the master heard silent while the JACK server was up), whether the
state is intact afterwards, xruns, OSC answer time p99, and the amplification factor.

The data folder turning read-only or full is tested by the suite in a private mount namespace
(tests/projects/test_disk_trouble.py); it is not repeated here.
"""

from __future__ import annotations

import json
import os
import random
import socket
import threading
import time

import numpy as np

from padserver.bench.control_bench import LPX, padserver_late
from padserver.bench.daemon_bench import _load_kit
from padserver.bench.targets import expect
from padserver.control.osc import build
from padserver.harness.capture import Capture
from padserver.harness.daemon import DaemonProcess
from padserver.harness.fakes import FakeHttp, Fault
from padserver.harness.jack import JackServer, MidiDevice
from padserver.harness.scratch import scratch_dir

OSC_RATE = 1000
MIDI_RATE = 1000
STRANGER_RATE = 50
FAULTS = (
    Fault(500),
    Fault(429, {"detail": "slow down"}, {"retry-after": "1"}),
    Fault(401, {"detail": {"status": "quota_exceeded", "message": "no credits"}}),
    Fault(200, garbage=True),
    Fault(200, truncate=True),
    Fault(503),
    Fault(200, delay_s=4.0),  # past the 3 s timeout
)


def _config(url: str) -> str:
    return (
        "audio:\n  jack:\n    connect: []\n"
        "providers:\n  elevenlabs_api_key: soak-key\n"
        f"  elevenlabs-music:\n    base_url: {url}\n"
        "  timeout_s: 3\n  retry_attempts: 2\n  retry_first_s: 0.2\n  retry_max_s: 1.0\n  concurrency: 4\n"
    )


class _Traffic:
    """The OSC and MIDI load, on threads of their own until `stop`."""

    def __init__(self, d: DaemonProcess, device_box: list) -> None:
        self.d = d
        self.devices = device_box
        self.stopping = threading.Event()
        self.gains: dict[int, float] = {}
        self.answers: list[float] = []
        self.sent = self.malformed = 0
        self.stranger_sent = self.stranger_got = 0
        self.threads = [threading.Thread(target=t, daemon=True) for t in (self._osc, self._stranger, self._midi)]

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def stop(self) -> None:
        self.stopping.set()
        for t in self.threads:
            t.join(5)

    def _osc(self) -> None:
        rng = random.Random(1)
        where = ("127.0.0.1", self.d.port)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(build("/unregister", []), where)
            t0 = time.monotonic()
            while not self.stopping.is_set():
                time.sleep(max(0.0, t0 + self.sent / OSC_RATE - time.monotonic()))
                self.sent += 1
                if self.sent % 10 == 0:
                    self.malformed += 1
                    s.sendto(bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 60))), where)
                elif self.sent % 100 == 1:
                    self.answers.append(self._ping(s, where))
                else:
                    pad = 1 + self.sent % 16
                    gain = round(0.05 + (self.sent % 97) / 1000, 3)
                    s.sendto(build(f"/pad/{pad}/gain", [gain]), where)
                    self.gains[pad] = gain

    def _ping(self, s: socket.socket, where) -> float:
        t = time.monotonic()
        s.sendto(build("/ping", []), where)
        s.settimeout(2.0)
        try:
            while not s.recv(65536).startswith(b"/pong"):
                pass
        except TimeoutError:
            return 2.0
        return time.monotonic() - t

    def _stranger(self) -> None:
        """A sender that never makes a valid request (a spoofed address, say): junk and unknown addresses."""
        rng = random.Random(2)
        where = ("127.0.0.1", self.d.port)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.setblocking(False)
            while not self.stopping.is_set():
                packet = (
                    build("/" + "z" * rng.randint(1, 200), [])
                    if rng.random() < 0.5
                    else bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 40)))
                )
                s.sendto(packet, where)
                self.stranger_sent += len(packet)
                try:
                    while True:
                        self.stranger_got += len(s.recv(65536))
                except BlockingIOError:
                    pass
                time.sleep(1 / STRANGER_RATE)

    def _midi(self) -> None:
        n = 0
        while not self.stopping.is_set():
            device = self.devices[0]
            if device is not None:
                for _ in range(MIDI_RATE // 100):
                    device.send(bytes((0xA0, 11 + n % 8, n % 128)))  # aftertouch, as resting fingers send
                    n += 1
            time.sleep(0.01)


def run_soak(smoke: bool, seconds: float | None = None) -> bool:
    seconds = float(seconds or (15.0 if smoke else 600.0))
    print(
        f"== soak: {seconds:g} s, 16 pads at 128 frames; OSC {OSC_RATE}/s (10 % malformed), a stranger's junk, "
        f"MIDI {MIDI_RATE}/s, failing generation jobs, a JACK restart, a controller unplugged and back =="
    )
    folder = scratch_dir("padserver-soak-")
    http = FakeHttp()
    server = JackServer(period=128, log=os.path.join(folder, "jackd.log")).start()
    box: list = [MidiDevice(server, "Launchpad X", "LPX MIDI Out", "LPX MIDI In")]
    d = DaemonProcess(["--audio", "jack"], env=server.env, config=_config(http.url), data_dir=folder)
    cap = None
    traffic = None
    try:
        d.wait_ready(30)
        box[0].wait_for(lambda m: m == LPX + bytes.fromhex("0E 01 F7"), timeout=10)
        _load_kit(d, folder)
        for pad in range(1, 17):
            d.osc.send(f"/pad/{pad}/play")
        cap = Capture(server, name="soak ears")
        cap.connect("padserver:master_L", "padserver:master_R")
        time.sleep(1.0)
        status0 = d.osc.status()
        loops0 = [p["loop_id"] for p in status0["pads"]]
        traffic = _Traffic(d, box)
        traffic.start()
        stops, checks, jobs = 0, 0, 0
        back_s = float("nan")
        restarted = replugged = False
        t0 = time.monotonic()
        next_job = t0
        while (elapsed := time.monotonic() - t0) < seconds:
            time.sleep(1.0)
            if d.proc.poll() is not None:
                break
            if time.monotonic() >= next_job:  # 4 jobs, each meeting faults until it gives up
                for pad in (13, 14, 15, 16):
                    for route in ("/v1/music/stream", "/v1/music"):
                        http.fail(route, *random.Random(jobs).sample(FAULTS, 3))
                    d.osc.send(f"/pad/{pad}/generate", f"soak {jobs}", "provider=elevenlabs-music", "bars=1")
                    jobs += 1
                next_job = time.monotonic() + max(5.0, seconds / 6)
            if not restarted and elapsed > seconds * 0.3:
                restarted = True
                # (this process's own JACK clients leave first: libjack does not survive its server's death
                # beside the next server's clients)
                gone, box[0] = box[0], None
                gone.close()
                cap.close()
                assert server.proc is not None
                server.proc.kill()
                server.proc.wait()
                server.start()  # the same name: padserver finds it again
                cap = Capture(server, name="soak ears")
                box[0] = MidiDevice(server, "Launchpad X", "LPX MIDI Out", "LPX MIDI In")
                killed = time.monotonic()
                _connect_when_back(cap)
                back = _heard_again(cap, server.rate)
                back_s = (back - killed) if back is not None else float("inf")
                stops += back is None
                continue
            if not replugged and elapsed > seconds * 0.6:
                replugged = True
                gone, box[0] = box[0], None
                gone.close()
                time.sleep(2.0)
                box[0] = MidiDevice(server, "Launchpad X", "LPX MIDI Out", "LPX MIDI In")
            # the last half second, heard
            end = cap.last_frame
            start = end - server.rate // 2
            if start > 0 and not cap.missed(start, end):
                checks += 1
                if np.abs(cap.frames(start, end)).max() < 1e-4:
                    stops += 1
        traffic.stop()
        crashed = d.proc.poll() is not None
        time.sleep(1.0)
        if not crashed:  # each pad's gain once more, answered: a datagram of the flood may have been dropped
            for pad in range(1, 17):  # by the kernel (UDP), so the flood's last values are not known to be in
                traffic.gains[pad] = 0.08 + pad / 1000
                d.osc.send(f"/pad/{pad}/gain", traffic.gains[pad])
            d.osc.request("/ping", reply="/pong", timeout=10)
        status1 = json.loads(d.osc.request("/status", reply="/status", timeout=10)[0]) if not crashed else None
        intact = (
            status1 is not None
            and all(p["state"] in ("playing", "loaded") for p in status1["pads"])
            and [p["loop_id"] for p in status1["pads"]] == loops0
            and all(abs(status1["pads"][p - 1]["gain"] - g) < 1e-6 for p, g in traffic.gains.items())
        )
        p99 = float(np.percentile(traffic.answers, 99)) * 1000 if traffic.answers else float("inf")
        amplification = traffic.stranger_got / max(1, traffic.stranger_sent)
        xruns = (status1["xruns"] - status0["xruns"]) if status1 else -1
        print(
            f"{traffic.sent} OSC messages ({traffic.malformed} malformed), {jobs} failing jobs, JACK restarted "
            f"(padserver heard again {back_s:.1f} s after the kill), "
            f"controller replugged; crashes {int(crashed)}, audio stops {stops} of {checks} checks, state intact "
            f"{'yes' if intact else 'NO'}, xruns {xruns} ({padserver_late(server)} with padserver the late client), "
            f"OSC answer p99 {p99:.1f} ms, amplification {amplification:.2f} "
            f"({traffic.stranger_got} bytes back for {traffic.stranger_sent})"
        )
        ok = expect("soak crashes", int(crashed), at_most=0, sane=0)
        ok &= expect("soak audio stops", stops, at_most=0, sane=0)
        ok &= expect("soak state intact", 1 if intact else 0, at_least=1, sane=1)
        ok &= expect("soak OSC answer p99", p99, "ms", at_most=20, sane=2000)
        ok &= expect("soak heard again after a JACK restart", back_s, "s", at_most=5.0, sane=30.0)
        ok &= expect("soak amplification", amplification, "×", at_most=1.0, sane=1.0)
        return ok
    finally:
        if traffic is not None:
            traffic.stop()
        if cap is not None:
            cap.close()
        d.terminate()
        if box[0] is not None:
            box[0].close()
        server.stop()
        http.close()


def _heard_again(cap: Capture, rate: int, timeout: float = 20.0) -> float | None:
    """When the master is heard again after the JACK server came back (None: not within ``timeout``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.1)
        end = cap.last_frame
        if end > rate // 10 and np.abs(cap.frames(end - rate // 10, end)).max() >= 1e-4:
            return time.monotonic()
    return None


def _connect_when_back(cap: Capture, timeout: float = 20.0) -> None:
    """Connect the ears to padserver's master once padserver is back on the new server."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            cap.connect("padserver:master_L", "padserver:master_R")
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
