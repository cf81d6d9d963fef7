"""Song export: speed of a 3-minute, 8-track song, and an export while 16 pads play through dummy JACK."""

from __future__ import annotations

import os
import time

import numpy as np

from padserver.bench.control_bench import xruns, xruns_since
from padserver.bench.library_bench import playing_kit, sixteen_playing
from padserver.bench.targets import expect
from padserver.harness.scratch import scratch_dir

RATE = 48000


def _job(folder: str, fmt: str, bits: int, bars: int = 90) -> dict:
    from padserver.providers.offline import synth

    loops = {}
    kinds = ["drums", "percussion", "bass", "chords", "pad", "arp", "lead", "fx"]
    for i, kind in enumerate(kinds, 1):
        path = os.path.join(folder, f"{kind}.npy")
        if not os.path.exists(path):
            np.save(path, synth.render(kind, "house", "Am", 120.0, 4, i, RATE))
        loops[i] = {"path": path, "period": 4 * 4 * RATE * 0.5}
    tracks = [
        {"id": i, "name": k, "gain": 1.0, "pan": 0.0, "mute": False, "solo": False, "output": "master",
         "clips": [{"id": 100 + i, "loop_id": i, "start": 1, "bars": bars, "offset": 0.0, "gain": None, "pan": None}]}
        for i, k in enumerate(kinds, 1)
    ]  # fmt: skip
    return {
        "rate": RATE, "tempo": 120.0, "beats_per_bar": 4, "master_gain": 0.5,
        "fade_ms": 2.0, "limiter": True, "limiter_ceiling_db": -1.0,
        "song": {"tracks": tracks, "loop": None, "next_id": 200}, "gains": [[0.7, 0.7]] * 8, "loops": loops,
        "region": (1, bars + 1), "tail": 0.0, "format": fmt, "bits": bits, "out_rate": None, "normalize": None,
        "path": os.path.join(folder, f"song.{fmt}"),
    }  # fmt: skip


def run_export_speed(smoke: bool) -> bool:
    from padserver.loops.export import export_song

    folder = scratch_dir("padserver-bench-")
    bars = 8 if smoke else 90
    seconds = bars * 2.0
    print(f"== song: export a {seconds:.0f} s, 8-track song (one core, limiter on) ==")
    _job(folder, "wav", 32, bars)  # the loops, prepared before the clock starts (as the daemon's cache has them)
    for fmt, bits in (("wav", 32), ("wav", 24), ("flac", 24), ("mp3", 0)):
        job = _job(folder, fmt, bits, bars)
        t0 = time.perf_counter()
        done = export_song(job)
        took = time.perf_counter() - t0
        size = os.path.getsize(done["path"]) / 1e6
        target = " (target ≥ 300×)" if fmt == "wav" else ""
        print(f"{fmt} {bits or ''}: {took:.2f} s = {seconds / took:.0f}× real time{target}, {size:.1f} MB")
        if fmt == "wav":
            expect(f"export to wav {bits}", seconds / took, "× real time", at_least=300, sane=1)
    return True


def run_export_while_playing(smoke: bool) -> bool:
    folder = scratch_dir("padserver-bench-")
    kit = playing_kit(folder, smoke, 43)
    bars = 8 if smoke else 90
    print(f"== song: export a {bars * 2} s, 8-track song while 16 pads play ==")
    for period in (256,) if smoke else (256, 128):
        with sixteen_playing(period, folder, kit) as (server, d):
            pads = d.osc.status()["pads"]
            for track in range(1, 9):
                d.osc.request("/song/track/add", reply="/song/track/added")
                d.osc.request(
                    "/song/clip/add",
                    track,
                    str(pads[track - 1]["loop_id"]),
                    1,
                    bars,
                    reply="/song/clip/added",
                    timeout=60,
                )
            time.sleep(2.0)  # (the kit's loading work done: the export does not queue behind it)
            before = xruns(server, d)
            took = []
            for i in range(3):  # request → /song/exported: the file written as 24-bit WAV and synced to disk
                t0 = time.monotonic()
                name = f"bench-{period}-{i}.wav"
                d.osc.request("/song/export", name, "bits=24", reply="/song/exported", timeout=600)
                took.append(time.monotonic() - t0)
            speed = bars * 2 / float(np.median(took))
            print(
                f"period {period}: exports took {', '.join(f'{t:.2f}' for t in took)} s "
                f"(median {speed:.0f}× real time), " + xruns_since(server, d, before)
            )
            expect(f"export through the daemon at {period}, median of 3", speed, "× real time", at_least=300, sane=1)
    return True
