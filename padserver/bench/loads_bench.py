"""Xruns under load: 16 pads playing through dummy JACK while the control side is flooded or busy.

Each load on its own, then all at once, on one daemon (a Launchpad X on JACK MIDI, a tablet registered and
fed meters): 2,000 OSC messages/s from the tablet, 10,000 MIDI messages/s from the Launchpad, a 200-file
import, 4 generation jobs at once, a WAV export of a 3-minute 8-track song. Every xrun is counted, and those
jackd blames on padserver itself (its log: "client = padserver was not finished"); an idle stretch of the
same length first says what the dummy driver drops by itself on this machine.
"""

from __future__ import annotations

import json
import os
import threading
import time

import numpy as np

from padserver.bench.control_bench import LPX, padserver_late
from padserver.bench.daemon_bench import _proc_cpu
from padserver.bench.library_bench import make_files, playing_kit
from padserver.bench.targets import expect
from padserver.control.osc import build
from padserver.harness.daemon import DaemonProcess, OscPeer
from padserver.harness.jack import JackServer, MidiDevice
from padserver.harness.scratch import scratch_dir

CONFIG = "audio:\n  jack:\n    connect: []\n"
OSC_RATE = 2000
MIDI_RATE = 10000
IMPORT_FILES = 200
SONG_BARS = 90  # 3 minutes at 120 BPM
REALTIME = (
    os.environ.get("PADSERVER_BENCH_RT", "1") == "1"
)  # JACK as a musician runs it: process threads at real-time priority
LOADS = ("OSC", "MIDI", "import", "jobs", "export")


class _Rig:
    """The daemon with its kit playing, a Launchpad X and a registered tablet, on one dummy JACK server."""

    def __init__(self, period: int, folder: str, kit: list[str]) -> None:
        self.folder = folder
        data = scratch_dir("padserver-bench-data-")
        self.server = JackServer(period=period, log=os.path.join(data, "jackd.log"), realtime=REALTIME).start()
        self.device = MidiDevice(self.server, "Launchpad X", "LPX MIDI Out", "LPX MIDI In")
        config = CONFIG + f"paths:\n  allowed_folders: [{folder}]\n"
        self.d = DaemonProcess(["--audio", "jack"], env=self.server.env, config=config, data_dir=data)
        self.d.wait_ready(30)
        self.device.wait_for(lambda m: m == LPX + bytes.fromhex("0E 01 F7"), timeout=10)
        for pad, path in enumerate(kit, 1):
            self.d.osc.request(f"/pad/{pad}/load", path, reply=f"/pad/{pad}/loaded", timeout=60)
            self.d.osc.send(f"/pad/{pad}/gain", 0.1)
            self.d.osc.send(f"/pad/{pad}/play")
        self.tablet = OscPeer(self.d.port, feedback=True)
        self.tablet.send("/register")  # the full state, the changes and the meters flow to it
        self._song()
        self.imports = 0
        self.exports = 0
        time.sleep(1.0)

    def _song(self) -> None:
        """Eight tracks of the pads' loops, 90 bars each: the song an export writes."""
        pads = self.status()["pads"]
        for track in range(1, 9):
            self.d.osc.request("/song/track/add", reply="/song/track/added")
            self.d.osc.request(
                "/song/clip/add", track, str(pads[track - 1]["loop_id"]), 1, SONG_BARS, reply="/song/clip/added"
            )

    def status(self) -> dict:
        return json.loads(self.d.osc.request("/status", reply="/status", timeout=10)[0])

    def xruns(self) -> tuple[int, int]:
        return self.status()["xruns"], padserver_late(self.server)

    def close(self) -> None:
        self.tablet.close()
        self.d.terminate()
        self.device.close()
        self.server.stop()

    # -- the loads: each returns when it is done ------------------------------------------------------------
    def osc_flood(self, seconds: float, stop: threading.Event | None = None) -> str:
        t0, sent = time.monotonic(), 0
        while time.monotonic() - t0 < seconds and not (stop and stop.is_set()):
            time.sleep(max(0.0, t0 + sent / OSC_RATE - time.monotonic()))
            message = build(f"/pad/{1 + sent % 16}/gain", [round(0.05 + (sent % 97) / 1000, 3)])
            self.tablet.sock.sendto(message, ("127.0.0.1", self.d.port))  # (from the registered tablet)
            sent += 1
            if sent % 200 == 0:
                self.tablet.receive(0.0)  # (it reads its feedback, as a tablet does)
        return f"{sent / (time.monotonic() - t0):.0f} messages/s"

    def midi_flood(self, seconds: float, stop: threading.Event | None = None) -> str:
        t0, sent = time.monotonic(), 0
        while time.monotonic() - t0 < seconds and not (stop and stop.is_set()):
            for _ in range(100):  # aftertouch on the pads fingers rest on, as a Launchpad X sends it
                self.device.send(bytes((0xA0, 11 + sent % 8, sent % 128)))
                sent += 1
            time.sleep(max(0.0, t0 + sent / MIDI_RATE - time.monotonic()))
        return f"{sent / (time.monotonic() - t0):.0f} messages/s"

    def library_import(self, files: int) -> str:
        self.imports += 1
        folder = os.path.join(self.folder, f"import{self.imports}")  # (made before the clock started)
        watcher = OscPeer(self.d.port)
        try:
            t0 = time.monotonic()
            watcher.send("/library/import", folder)
            done = 0
            while done < files and time.monotonic() < t0 + 600:
                done += sum(1 for a, _ in watcher.receive(0.5) if a == "/library/imported")
            return f"{done}/{files} files in {time.monotonic() - t0:.1f} s"
        finally:
            watcher.close()

    def jobs(self, count: int = 4) -> str:
        peer = OscPeer(self.d.port)
        try:
            pads = self.status()["pads"]
            before = [p["loop_id"] for p in pads[12 : 12 + count]]
            t0 = time.monotonic()
            for i in range(count):  # (pads 13–16: the song's tracks keep their loops)
                peer.send(f"/pad/{13 + i}/generate", f"bench {time.monotonic()} {i}", "bpm=97", "bars=4")
            landed = False
            while not landed and time.monotonic() < t0 + 120:
                time.sleep(0.1)
                now = self.status()["pads"][12 : 12 + count]
                landed = all(p["loop_id"] != old and not p["generating"] for p, old in zip(now, before, strict=True))
            return f"{count} jobs {'landed' if landed else 'NOT landed'} in {time.monotonic() - t0:.1f} s"
        finally:
            peer.close()

    def export(self) -> str:
        self.exports += 1
        peer = OscPeer(self.d.port)
        try:
            t0 = time.monotonic()
            peer.request("/song/export", f"bench-{self.exports}.wav", "bits=24", reply="/song/exported", timeout=600)
            took = time.monotonic() - t0
            return f"{SONG_BARS * 2 / took:.0f}× real time"
        finally:
            peer.close()


def _idle(seconds: float) -> str:
    time.sleep(seconds)
    return "idle"


def _measure(rig: _Rig, load) -> tuple[int, int, str, float]:
    """(xruns, those with padserver late, what the load said, seconds) over one load."""
    before = rig.xruns()
    t0 = time.monotonic()
    said = load()
    took = time.monotonic() - t0
    time.sleep(0.3)  # (an xrun of the load's last cycles is counted with it)
    after = rig.xruns()
    return after[0] - before[0], after[1] - before[1], said, took


def _all_at_once(rig: _Rig, seconds: float, files: int) -> str:
    stop = threading.Event()
    done: list[str] = []
    work = [
        lambda: done.append(rig.library_import(files)),
        lambda: done.append(rig.jobs()),
        lambda: done.append(rig.export()),
    ]
    threads = [threading.Thread(target=w, daemon=True) for w in work]
    floods = [
        threading.Thread(target=rig.osc_flood, args=(3600, stop), daemon=True),
        threading.Thread(target=rig.midi_flood, args=(3600, stop), daemon=True),
    ]
    for t in threads + floods:
        t.start()
    t0 = time.monotonic()
    for t in threads:
        t.join(600)
    time.sleep(max(0.0, t0 + seconds - time.monotonic()))  # the floods go on at least ``seconds``
    stop.set()
    for t in floods:
        t.join(10)
    return "; ".join(done) + " with both floods"


def run_idle(smoke: bool, seconds: float | None = None) -> bool:
    """An idle daemon (nothing loaded, no client) costs next to nothing: its CPU at 256 and 128 frames."""
    seconds = seconds or (3.0 if smoke else 30.0)
    print(f"== loads: an idle daemon (no pad, no client) for {seconds:g} s ==")
    ok = True
    for period in (256, 128):
        server = JackServer(period=period, realtime=REALTIME).start()
        d = DaemonProcess(["--audio", "jack"], env=server.env, config=CONFIG, data_dir=scratch_dir("padserver-bench-"))
        try:
            d.wait_ready(30)
            time.sleep(2.0)  # (start-up's work done)
            cpu0, t0 = _proc_cpu(d.proc.pid), time.monotonic()
            time.sleep(seconds)
            cpu = (_proc_cpu(d.proc.pid) - cpu0) / (time.monotonic() - t0) * 100
            load = d.osc.status()["audio_callback"]
            print(f"period {period}: {cpu:.2f} % of one core (the audio callback {load['mean_us']:.0f} µs a cycle)")
            if period == 256:  # (at 128 the cycles come twice as often: reported, no target)
                ok &= expect("idle daemon's CPU at 256", cpu, "% of a core", at_most=1.0, sane=50)
        finally:
            d.terminate()
            server.stop()
    return ok


def run(smoke: bool, seconds: float | None = None) -> bool:
    seconds = seconds or (3.0 if smoke else 20.0)
    runs = 1 if smoke else 3
    files = 10 if smoke else IMPORT_FILES
    print(
        f"== loads: 16 pads playing, a Launchpad X and a registered tablet; {runs} run(s) of each load on its own, "
        f"then all at once (floods {seconds:g} s, {files}-file import, 4 jobs, a 3-minute WAV export) =="
    )
    folder = scratch_dir("padserver-bench-")
    kit = playing_kit(folder, smoke, 44)
    # new audio for every import (nothing already known), made before anything is measured
    for i in range(1, 2 * (runs + 1) + 1):
        make_files(os.path.join(folder, f"import{i}"), files, np.random.default_rng(1000 + i))
    ok = True
    imports = 0
    for period in (256,) if smoke else (256, 128):
        rig = _Rig(period, folder, kit)
        rig.imports = imports  # (each period's imports take folders of their own)
        ok &= _one_period(rig, period, seconds, runs, files)
        imports += runs + 1
    return ok


def _one_period(rig: _Rig, period: int, seconds: float, runs: int, files: int) -> bool:
    ok = True
    try:
        loads = {
            "OSC": lambda: rig.osc_flood(seconds),
            "MIDI": lambda: rig.midi_flood(seconds),
            "import": lambda: rig.library_import(files),
            "jobs": rig.jobs,
            "export": rig.export,
        }
        idle = _measure(rig, lambda: _idle(seconds))
        print(f"period {period}: idle {seconds:g} s: xruns {idle[0]} ({idle[1]} with padserver the late client)")
        late: dict[str, list[int]] = {name: [] for name in LOADS}
        for r in range(runs):
            for name in LOADS:
                xr, own, said, took = _measure(rig, loads[name])
                late[name].append(own)
                print(
                    f"  run {r + 1} {name:6s}: {said}; {took:.1f} s, xruns {xr} ({own} with padserver the late client)"
                )
        xr, own, said, took = _measure(rig, lambda: _all_at_once(rig, seconds, files))
        print(f"  all at once: {said}; {took:.1f} s, xruns {xr} ({own} with padserver the late client)")
        if period == 256:
            for name in LOADS:
                worst = max(late[name])
                ok &= expect(
                    f"xruns with padserver late, {name} at 256 (worst of {runs})", worst, "", at_most=0, sane=1000
                )
    finally:
        rig.close()
    return ok
