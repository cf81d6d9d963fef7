"""The Link check, run inside a network namespace of its own (`in_namespace` makes it): padserver on dummy JACK
joins a Link session with a peer made here with the same binding; prints what it measured as JSON.

Used by the Link test and `padserver bench link`.
"""

import json
import sys
import time

from padserver.harness.wait import until

CONFIG = "audio:\n  jack:\n    connect: []\nloops:\n  normalize: false\nsync:\n  link_start_stop: true\n"
PLAYBACK_LATENCY = 480  # the "speakers" declare 10 ms: padserver must play that much ahead of the Link timeline
BPM = 110.0
LOSS_WINDOW_S = 1.0  # how long after the dummy driver lost time a bar may still be placed on the old clock
LOSS_MS = 0.3  # … and how much lost time counts


NAMESPACE = 'ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo && exec "$@"'


def namespace_problem() -> str | None:
    """Why a network namespace with multicast on loopback cannot be made here, or None."""
    import shutil
    import subprocess

    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "needs unshare and ip (util-linux, iproute2) to make a network namespace"
    probe = subprocess.run(["unshare", "-n", "sh", "-c", NAMESPACE, "sh", "true"], capture_output=True, text=True)
    return None if probe.returncode == 0 else f"cannot make a network namespace here: {probe.stderr.strip()}"


def in_namespace(folder: str, bars: int, timeout: float, audio: str = "jack") -> dict:
    """Run the check in a fresh network namespace (Link's discovery never leaves it); what it measured.
    ``audio``: padserver's backend, jack or portaudio (through PortAudio's JACK host API)."""
    import subprocess

    command = [sys.executable, "-m", "padserver.harness.link_check", folder, str(bars), audio]
    result = subprocess.run(
        ["unshare", "-n", "sh", "-c", NAMESPACE, "sh", *command], capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise RuntimeError(f"the Link check failed:\n{result.stdout}{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(folder: str, bars: int = 8, audio: str = "jack") -> None:
    import link

    from padserver.harness.capture import Capture
    from padserver.harness.daemon import DaemonProcess
    from padserver.harness.jack import JackServer
    from padserver.harness.signals import write_click

    server = JackServer(period=256).start()
    # PortAudio's JACK client beside rtmidi's starves both on a 2-core machine: no MIDI there
    config = CONFIG + ("midi:\n  api: none\n" if audio == "portaudio" else "")
    d = DaemonProcess(["--audio", audio, "--link"], env=server.env, config=config, data_dir=folder)
    ears = None
    out: dict = {"audio": audio}
    try:
        d.wait_ready()
        status = lambda: d.osc.status()  # noqa: E731
        if audio == "jack":  # the "speakers" declare their latency; padserver learns it through JACK
            ears = Capture(server, name="ears", latency=PLAYBACK_LATENCY)
            ears.connect("padserver:master_L", "padserver:master_R")
            latency = PLAYBACK_LATENCY
        else:  # PortAudio's stream says when its output is heard; that is what padserver plays ahead by
            ears = Capture(server, name="ears")
            ears.connect("PortAudio:out_0", "PortAudio:out_1")
            latency = status()["latency"]["master"]
        out["latency"] = latency
        out["source"] = status()["sync_source"]
        peer = link.Link(120.0)
        peer.startStopSyncEnabled = True
        peer.enabled = True
        out["joined_s"] = until(lambda: (status()["link"] or {}).get("peers", 0) >= 1, 10, poll=0.005)

        def peer_tempo(bpm=None):
            state = peer.captureAppSessionState()
            if bpm is not None:
                state.setTempo(bpm, peer.clock().micros())
                peer.commitAppSessionState(state)
            return state.tempo()

        peer_tempo(100.0)
        out["follow_s"] = until(lambda: abs(status()["tempo"] - 100.0) < 0.01, 5, poll=0.005)
        d.osc.send("/tempo", BPM)
        out["push_s"] = until(lambda: abs(peer_tempo() - BPM) < 0.01, 5, poll=0.005)
        time.sleep(1.0)  # the loop is re-stretched to the new tempo
        click = write_click(f"{folder}/click.wav")
        d.osc.request("/pad/1/load", click, reply="/pad/1/loaded", timeout=30)
        time.sleep(1.0)
        bar = 4 * 60.0 / BPM * server.rate
        _, first = ears.onset_of(lambda: d.osc.send("/pad/1/play"), int(2 * bar))
        out["heard"] = first is not None
        offsets: list[float] = []
        # bars after the dummy driver lost time (a cycle ran late, and it started its clock again: no sound card
        # does that) are heard late by what it lost, until padserver places the next ones: (offset, ms lost)
        after_loss: list[tuple[float, float]] = []
        k = 0
        while first is not None and len(offsets) < bars and k < 3 * bars:
            # each bar's time is the one JACK gave its cycle as it ran (the first is read two bars later)
            ears.wait_until(int(first + k * bar + 4800))
            onset = ears.onset(int(first + k * bar) - 2400, int(first + k * bar) + 2400)
            k += 1
            if onset is None:
                continue
            heard_at = ears.time_of(onset - 1) + 1e6 * latency / server.rate  # sin(0) = 0
            phase = peer.captureAppSessionState().phaseAtTime(int(heard_at), 4.0)
            beats = phase if phase < 2.0 else phase - 4.0  # how far past (or short of) the peer's bar line
            lost = ears.time_lost(onset - int(LOSS_WINDOW_S * server.rate), onset)
            if lost > LOSS_MS:
                after_loss.append((1000.0 * beats * 60.0 / BPM, lost))
            else:
                offsets.append(1000.0 * beats * 60.0 / BPM)
        out["offsets_ms"] = offsets
        out["after_loss_ms"] = after_loss
        # start/stop shared with the session
        state = peer.captureAppSessionState()
        state.setIsPlaying(True, peer.clock().micros())
        peer.commitAppSessionState(state)
        out["started_s"] = until(lambda: status()["transport"] == "playing", 5, poll=0.005)
        d.osc.send("/transport/stop")
        out["stopped_s"] = until(lambda: not peer.captureAppSessionState().isPlaying(), 5, poll=0.005)
        out["xruns"] = status()["xruns"]
    finally:
        if ears is not None:
            ears.close()
        d.terminate()
        server.stop()
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 8, sys.argv[3] if len(sys.argv) > 3 else "jack")
