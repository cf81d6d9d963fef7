"""padserver beside SooperLooper, in one run on one dummy JACK server: 16 stereo loops playing in each, a
tablet registered with padserver, triggers over OSC to each. Figures: CPU of each (padserver: all its
processes), OSC trigger → first sample of each (from captures of both outputs, measured the same way), and
the ratios the speed targets are set in."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import numpy as np

from padserver.bench.control_bench import padserver_late
from padserver.bench.sooperlooper_shim import preload_env
from padserver.bench.targets import expect
from padserver.harness.capture import Capture
from padserver.harness.daemon import DaemonProcess, OscPeer, free_udp_port
from padserver.harness.jack import JackServer
from padserver.harness.scratch import scratch_dir
from padserver.harness.signals import write_tone

CONFIG = "audio:\n  jack:\n    connect: []\nloops:\n  normalize: false\n"
LOOPS = 16
CLICK = 0  # the loop (0-based) the triggers sound; the others play throughout
PLAYING, PAUSED = 4.0, 14.0  # SooperLooper's state numbers (a loaded loop waits paused)
# SooperLooper 1.7.8 hands the loops it starts with to its audio thread through a queue of 15 places: started
# with 16, the 16th never plays (it stays paused whatever it is sent). It starts with 15 and is sent one more.
AT_START = 15


def _cpu_seconds(pids: list[int]) -> float:
    import psutil

    total = 0.0
    for pid in pids:
        try:
            process = psutil.Process(pid)
            for p in [process, *process.children(recursive=True)]:
                t = p.cpu_times()
                total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def _files(folder: str) -> list[str]:
    """The 16 loops both play: quiet tones of two 2-second bars. The last is the one triggered: it sounds from
    its first sample (a click at a loop's start would be faded by SooperLooper's loop-point crossfade)."""
    return [
        write_tone(os.path.join(folder, f"tone{i + 1}.wav"), rate=48000, seconds=4.0, freq=110 * (i + 1), level=0.05)
        for i in range(LOOPS)
    ]


class SooperLooper:
    """SooperLooper on the server, driven over its OSC interface."""

    def __init__(self, server: JackServer, files: list[str]) -> None:
        self.port = free_udp_port()
        env = {**os.environ, **server.env, "JACK_NO_START_SERVER": "1", **preload_env()}
        self.proc = subprocess.Popen(
            ["sooperlooper", "-l", str(AT_START), "-c", "2", "-t", "10", "-j", "sl", "-p", str(self.port), "-q"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        self.osc = OscPeer(self.port)
        self.url = f"osc.udp://127.0.0.1:{self.osc.sock.getsockname()[1]}/"
        self._wait_up()
        for _ in range(LOOPS - AT_START):
            self.osc.send("/loop_add", 2, 10.0)
        deadline = time.monotonic() + 20
        while self._wait_up() < LOOPS:
            if time.monotonic() > deadline:
                raise RuntimeError("SooperLooper did not add its 16th loop")
            time.sleep(0.2)
        for i, path in enumerate(files):  # (one at a time: each paused before the next is read)
            self.osc.send(f"/sl/{i}/load_loop", path, self.url, "/error")
            self._until(PAUSED, [i])
        self._until(PLAYING, [i for i in range(LOOPS) if i != CLICK], "trigger")  # (that one only when triggered)

    def _until(self, state: float, loops, hit: str | None = None) -> None:
        """Wait until ``loops`` are in ``state``, hitting ``hit`` on those that are not yet."""
        deadline = time.monotonic() + 30
        while True:
            behind = [i for i in loops if self.state(i) != state]
            if not behind:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"SooperLooper's loops {behind} did not reach state {state:g}")
            for i in behind if hit else ():
                self.osc.send(f"/sl/{i}/hit", hit)
            time.sleep(0.2)

    def _wait_up(self) -> int:
        """Wait for SooperLooper to answer; how many loops it has."""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sooperlooper exited with {self.proc.returncode}")
            self.osc.send("/ping", self.url, "/pong")
            for address, values in self.osc.receive(0.2, until="/pong"):
                if address == "/pong":
                    return int(values[2])
        raise RuntimeError("sooperlooper did not answer /ping")

    def state(self, loop: int) -> float:
        self.osc.send(f"/sl/{loop}/get", "state", self.url, "/state")
        for address, values in self.osc.receive(2.0, until="/state"):
            if address == "/state":
                return float(values[2])
        return -1.0

    def trigger(self) -> None:
        self.osc.send(f"/sl/{CLICK}/hit", "trigger")  # (plays from the start)

    def pause(self) -> None:
        self.osc.send(f"/sl/{CLICK}/hit", "pause")

    def close(self) -> None:
        self.osc.send("/quit")
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.osc.close()


def _padserver(server: JackServer, folder: str, files: list[str]) -> tuple[DaemonProcess, OscPeer]:
    config = CONFIG + f"paths:\n  allowed_folders: [{folder}]\n"
    d = DaemonProcess(["--audio", "jack"], env=server.env, config=config, data_dir=os.path.join(folder, "padserver"))
    d.wait_ready(30)
    for pad, path in enumerate(files, start=1):
        d.osc.request(f"/pad/{pad}/load", path, reply=f"/pad/{pad}/loaded", timeout=60)
    d.osc.send(f"/pad/{CLICK + 1}/quantize", "off")
    d.osc.send(f"/pad/{CLICK + 1}/pan", 1.0)
    for pad in range(1, LOOPS + 1):
        if pad != CLICK + 1:
            d.osc.send(f"/pad/{pad}/pan", -1.0)
            d.osc.send(f"/pad/{pad}/play")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        pads = d.osc.status()["pads"]
        if sum(p["state"] == "playing" for p in pads) >= LOOPS - 1:
            break
        time.sleep(0.1)
    tablet = OscPeer(d.port, feedback=True)
    tablet.send("/register")  # the full state and the meters flow to it, as to a tablet
    return d, tablet


EFFECTS = (("fx/filter", -0.3), ("fx/delay/time", "1/8."), ("fx/delay/feedback", 0.4), ("fx/delay/mix", 0.3),
           ("fx/reverb", 0.2))  # each pad's, with effects: the filter, a delay and the send to the reverb (15 pads)  # fmt: skip


def side_by_side(period: int, seconds: float, triggers: int, effects: bool = False) -> dict:
    folder = scratch_dir("padserver-vs-sl-")
    server = JackServer(period=period, log=os.path.join(folder, "jackd.log")).start()  # (whom jackd found late)
    files = _files(folder)
    d = tablet = sl = ours = theirs = None
    try:
        d, tablet = _padserver(server, folder, files)
        if effects:
            for pad in range(1, LOOPS + 1):
                if pad == CLICK + 1:
                    continue  # (the click the triggers are timed by stays dry: its echoes would come before it)
                for setting, value in EFFECTS:
                    d.osc.send(f"/pad/{pad}/{setting}", value)
            d.osc.request("/ping", reply="/pong")
        sl = SooperLooper(server, files)
        ours, theirs = Capture(server, name="ours"), Capture(server, name="theirs")
        ours.connect("padserver:master_L", "padserver:master_R")
        theirs.connect(f"sl:loop{CLICK}_out_1", f"sl:loop{CLICK}_out_2")
        pids = {"padserver": [d.proc.pid], "sooperlooper": [sl.proc.pid]}
        before = d.osc.status()
        audio0, xruns0, late0 = before["audio_callback"]["thread_cpu_s"], before["xruns"], padserver_late(server)
        cpu0, t0 = {k: _cpu_seconds(v) for k, v in pids.items()}, time.monotonic()
        latency: dict[str, list[float]] = {"padserver": [], "sooperlooper": []}
        spacing = seconds / max(1, triggers)
        # A press lands anywhere in a JACK period: the triggers' places in the period are spread evenly over
        # it (in a shuffled order), so the median compares the two loopers and not where the sends fell.
        rng = np.random.default_rng()
        phases = rng.permutation((np.arange(triggers) + rng.uniform()) / triggers)
        rate = server.rate
        for i in range(triggers):
            time.sleep(max(0.0, t0 + i * spacing - time.monotonic()))
            frame = ours.now()
            wait = (phases[i] * period - frame) % period + period  # to that place in the period after next
            time.sleep(wait / rate)
            sent, onset = ours.onset_of(lambda: d.osc.send(f"/pad/{CLICK + 1}/play"), 12000, channel=1)
            if onset is not None:
                latency["padserver"].append(onset - sent)
            d.osc.send(f"/pad/{CLICK + 1}/stop")
            sent, onset = theirs.onset_of(sl.trigger, 12000, channel=0)
            if onset is not None:
                latency["sooperlooper"].append(onset - sent)
            sl.pause()
            tablet.receive(0.0)  # (the feedback is read, as a tablet would)
        time.sleep(max(0.0, t0 + seconds - time.monotonic()))
        took = time.monotonic() - t0
        cpu = {k: (_cpu_seconds(v) - cpu0[k]) / took * 100 for k, v in pids.items()}
        status = d.osc.status()
        callback, handled = status["audio_callback"], status["osc_handled_us"]
        callback["thread_percent"] = (callback["thread_cpu_s"] - audio0) / took * 100
        return {
            "period": period,
            "cpu": cpu,
            "latency": {k: np.array(v) for k, v in latency.items()},
            "took": took,
            "callback": callback,
            "handled": handled,
            "xruns": (status["xruns"] - xruns0, padserver_late(server) - late0),
        }
    finally:
        for closing in (ours, theirs, tablet):
            if closing is not None:
                closing.close()
        if sl is not None:
            sl.close()
        if d is not None:
            d.terminate()
        server.stop()


def run(smoke: bool, seconds: float | None = None) -> bool:
    print("== vs-sooperlooper: padserver beside SooperLooper, 16 loops each, one dummy JACK server ==")
    if shutil.which("sooperlooper") is None:
        print("  SooperLooper is not installed (Debian/Ubuntu: apt-get install sooperlooper): no comparison made")
        return not smoke  # (CI's set-up installs it: a smoke run without it is a broken set-up)
    seconds = seconds or (4.0 if smoke else 60.0)
    triggers = 4 if smoke else max(4, int(seconds / 2))  # (each takes ~0.5 s of the run: heard on both)
    ok = True
    plain: dict[int, float] = {}
    # (the smoke run as before: plain loops only; the effects' cost has a smoke run of its own, offline)
    runs = [(256, False), (128, False)] + ([] if smoke else [(256, True), (128, True)])
    for period, effects in runs:
        r = side_by_side(period, seconds, triggers, effects)
        cpu, lat = r["cpu"], r["latency"]
        print(
            f"period {period}, {r['took']:.0f} s"
            + (", every pad with a filter, a delay and the reverb send:" if effects else ":")
        )
        for who in ("padserver", "sooperlooper"):
            heard = lat[who]
            said = f"median {np.median(heard):.0f} frames, p95 {np.percentile(heard, 95):.0f}" if len(heard) else "none"
            print(
                f"  {who:13s} CPU {cpu[who]:5.1f} % of one core; trigger → first sample ({len(heard)}/{triggers}): {said}"
            )
        cb = r["callback"]
        print(
            f"  padserver's audio callback: {cb['percent']:.2f} % of one core, {cb['mean_us']:.0f} µs a cycle "
            f"(longest {cb['max_us']:.0f} µs); its audio thread {cb['thread_percent']:.2f} % CPU, "
            f"the rest of padserver {cpu['padserver'] - cb['thread_percent']:.2f} %"
        )
        xruns, late = r["xruns"]
        print(f"  xruns {xruns} ({late} with padserver the late client; the dummy driver's own are the rest)")
        if effects and period == 256:
            ok &= expect(
                f"xruns with padserver the late client, with effects at {period}", late, "xruns", at_most=0, sane=50
            )
        handled = r["handled"]
        print(
            f"  padserver's OSC: packet in → handled (its command queued) over the last {handled['packets']}: "
            f"median {handled['median']:.0f} µs, p99 {handled['p99']:.0f} µs"
        )
        ok &= expect(f"OSC packet → command queued at {period}", handled["median"], "µs", at_most=500, sane=20000)
        if not len(lat["padserver"]) or not len(lat["sooperlooper"]):
            print("  a trigger was not heard: no ratio")
            ok = False
            continue
        if effects:  # (the effects' budget: half again the plain loops' CPU, and still under SooperLooper's)
            ok &= expect(f"CPU with effects vs without at {period}", cpu["padserver"] / plain[period], "×",
                         at_most=1.5, sane=20)  # fmt: skip
            ok &= expect(f"CPU with effects vs SooperLooper at {period}", cpu["padserver"] / cpu["sooperlooper"],
                         "×", at_most=1.0, sane=20)  # fmt: skip
            continue
        plain[period] = cpu["padserver"]
        ok &= expect(
            f"CPU vs SooperLooper at {period}", cpu["padserver"] / cpu["sooperlooper"], "×", at_most=0.5, sane=20
        )
        ratio = float(np.median(lat["padserver"]) / max(1.0, np.median(lat["sooperlooper"])))
        ok &= expect(f"OSC → first sample vs SooperLooper at {period}", ratio, "×", at_most=0.7, sane=20)
    return ok
