"""The library and projects: importing while playing, searching a big library, opening a project."""

from __future__ import annotations

import contextlib
import os
import time

import numpy as np

from padserver.bench.control_bench import xruns, xruns_since
from padserver.bench.targets import expect
from padserver.harness.daemon import DaemonProcess
from padserver.harness.jack import JackServer
from padserver.harness.scratch import scratch_dir
from padserver.library.testloops import drum_loop

CONFIG = "audio:\n  jack:\n    connect: []\nprojects:\n  restore: false\n"
FORMATS = ((".wav", "PCM_16"), (".flac", "PCM_24"), (".ogg", "VORBIS"), (".mp3", "MPEG_LAYER_III"), (".aiff", "PCM_16"))


def make_files(folder: str, count: int, rng: np.random.Generator) -> list[str]:
    import soundfile as sf

    os.makedirs(folder, exist_ok=True)
    paths = []
    for i in range(count):
        ext, subtype = FORMATS[i % len(FORMATS)]
        bpm = float(rng.uniform(70, 170))
        bars = max(1, int(round(rng.uniform(2, 30) * bpm / 240)))  # 2..30 s
        rate = (44100, 48000)[i % 2]
        path = os.path.join(folder, f"loop{i:04d}{ext}")
        sf.write(path, drum_loop(bpm, bars, rate=rate, seed=i).T, rate, subtype=subtype)
        paths.append(path)
    return paths


def playing_kit(folder: str, smoke: bool, seed: int) -> list[str]:
    """What 16 pads play while a benchmark measures: 16 loops of their own; for a smoke run one loop on all 16
    (the mixer's work is the same; preparing 16 loops would cost each smoke run ~20 s per daemon)."""
    files = make_files(os.path.join(folder, "kit"), 1 if smoke else 16, np.random.default_rng(seed))
    return files * 16 if smoke else files


@contextlib.contextmanager
def sixteen_playing(
    period: int, folder: str, kit: list[str], config: str = "", env: dict | None = None, realtime: bool = False
):
    """A dummy JACK server and the daemon on it with the ``kit`` playing on all 16 pads: (server, daemon)."""
    data = scratch_dir("padserver-bench-data-")
    server = JackServer(period=period, log=os.path.join(data, "jackd.log"), realtime=realtime).start()
    config = CONFIG + f"paths:\n  allowed_folders: [{folder}]\n" + config
    d = DaemonProcess(["--audio", "jack"], env={**server.env, **(env or {})}, config=config, data_dir=data)
    try:
        d.wait_ready(30)
        for pad, path in enumerate(kit, 1):
            d.osc.request(f"/pad/{pad}/load", path, reply=f"/pad/{pad}/loaded", timeout=60)
            d.osc.send(f"/pad/{pad}/gain", 0.1)
            d.osc.send(f"/pad/{pad}/play")
        time.sleep(0.5)
        yield server, d
    finally:
        d.terminate()
        server.stop()


def run_import(smoke: bool) -> bool:
    count = 20 if smoke else 200
    rng = np.random.default_rng(4)
    folder = scratch_dir("padserver-bench-")
    files = make_files(os.path.join(folder, "in"), count, rng)
    kit = playing_kit(folder, smoke, 40)  # what plays meanwhile
    seconds = sum(__import__("soundfile").info(f).duration for f in files)
    print(
        f"== library: import {count} files ({seconds / count:.1f} s long on average, 5 formats) while 16 pads play =="
    )
    ok = True
    for period in (256,) if smoke else (256, 128):
        with sixteen_playing(period, folder, kit) as (server, d):
            before = xruns(server, d)
            t0 = time.monotonic()
            d.osc.send("/library/import", os.path.join(folder, "in"))
            done = 0
            deadline = t0 + 600
            while done < count and time.monotonic() < deadline:
                done += sum(1 for a, _ in d.osc.receive(0.5) if a == "/library/imported")
            took = time.monotonic() - t0
            print(
                f"period {period}: {done}/{count} files in {took:.1f} s = {done / took:.1f} files/s with analysis "
                f"(target ≥ 10), " + xruns_since(server, d, before)
            )
            expect(f"import at period {period}", done / took, "files/s", at_least=10, sane=0.1)
            ok &= done == count
    return ok


def run_bpm_accuracy(smoke: bool) -> bool:
    """Tempo estimates on loops of known tempo (seed sets of their own, not the tests'): drum loops at the
    usual 70–160 BPM with no name, and the offline generator's loops across genres, named by genre and not."""
    from padserver.library.analysis import UNSURE, analyse
    from padserver.providers.offline.synth import render

    count = 20 if smoke else 200
    rng = np.random.default_rng(90210)
    hits = octave = 0
    for i in range(count):
        bpm = float(rng.uniform(70, 160))
        bars = int(rng.choice([1, 2, 4, 8]))
        result = analyse(drum_loop(bpm, bars, seed=1000 + i, swing=float(rng.uniform(0, 0.25))), 44100)
        if result.bpm is not None and abs(result.bpm - bpm) <= 1.0:
            hits += 1
        elif result.bpm is not None and min(abs(result.bpm * 2 - bpm), abs(result.bpm / 2 - bpm)) <= 1.0:
            octave += 1
    print(
        f"== library: tempo estimate on {count} drum loops (70–160 BPM, 1–8 bars, swing, no name): "
        f"{hits / count * 100:.0f} % within ±1 BPM, {octave / count * 100:.0f} % half or double tempo (target ≥ 90 %) =="
    )
    expect("tempo estimates within ±1 BPM, drum loops", hits / count * 100, "%", at_least=90, sane=50)
    genres = {"house": (118, 130), "techno": (125, 140), "hiphop": (80, 100), "dnb": (160, 178)}
    genres |= {"trap": (130, 150), "rock": (100, 140)}
    instruments = ("drums", "percussion", "bass", "chords", "arp")
    tally = {"named": [0, 0, 0], "unnamed": [0, 0, 0]}  # within ±1, half or double, marked unsure among those
    rng = np.random.default_rng(4242)
    for i in range(count):
        genre = list(genres)[i % len(genres)]
        instrument = instruments[i // len(genres) % len(instruments)]
        bpm = round(float(rng.uniform(*genres[genre])), 1)
        audio = render(instrument, genre, "Am", bpm, int(rng.choice([1, 2, 4, 8])), seed=5000 + i, rate=44100)
        for kind, name in (("named", f"{genre}/{instrument} loop.wav"), ("unnamed", "loop.wav")):
            result = analyse(audio, 44100, name)
            if result.bpm is not None and abs(result.bpm - bpm) <= 1.0:
                tally[kind][0] += 1
            elif result.bpm is not None and min(abs(result.bpm * 2 - bpm), abs(result.bpm / 2 - bpm)) <= 1.0:
                tally[kind][1] += 1
                tally[kind][2] += result.bpm_confidence <= UNSURE
    named, unnamed = tally["named"], tally["unnamed"]
    print(
        f"== library: tempo estimate on {count} generated loops across 6 genres and 5 instruments: in a folder "
        f"named for the genre {named[0] / count * 100:.1f} % within ±1 BPM, {named[1]} at half or double "
        f"(target ≥ 95 %, none); with no name {unnamed[0] / count * 100:.1f} %, {unnamed[1]} at half or double, "
        f"{unnamed[2]} of those marked unsure =="
    )
    expect(
        "tempo estimates within ±1 BPM, generated loops named by genre",
        named[0] / count * 100,
        "%",
        at_least=95,
        sane=50,
    )
    expect("tempo estimates at half or double, named by genre", named[1], "", at_most=0, sane=count)
    return True


def run_search(smoke: bool) -> bool:
    from padserver.library import db

    entries = 1000 if smoke else 10000
    rng = np.random.default_rng(5)
    folder = scratch_dir("padserver-bench-")
    conn = db.connect(os.path.join(folder, "library.sqlite"))
    words = ["dusty", "boom", "bap", "house", "techno", "warm", "analog", "vinyl", "deep", "acid", "break", "chord"]
    conn.execute("BEGIN")
    for i in range(entries):
        name = " ".join(rng.choice(words, 3)) + f" {i}"
        db.insert(conn, {
            "hash": f"{i:064x}", "name": name, "category": db.CATEGORIES[i % 8], "tags": list(rng.choice(words, 2)),
            "file": f"x/{i}.wav", "duration": 8.0, "sample_rate": 48000, "channels": 2, "bars": int(rng.choice([1, 2, 4, 8])),
            "bpm": float(rng.uniform(70, 170)), "bpm_confidence": 0.9, "key": "Am", "key_confidence": 0.5,
            "source": db.SOURCES[i % 3], "prompt": name if i % 3 == 2 else None,
        })  # fmt: skip
    conn.execute("COMMIT")
    queries: list[dict] = [
        {"text": "dusty vinyl"},
        {"text": "acid", "category": "synth"},
        {"bpm_min": 118.0, "bpm_max": 126.0},
        {"category": "drums", "bars": 4},
        {"text": "deep", "source": "generated", "bpm_min": 100.0},
        {"key": "am", "limit": 50},
    ]
    times = []
    for _ in range(5 if smoke else 50):
        for q in queries:
            t0 = time.perf_counter()
            db.search(conn, **q)
            times.append((time.perf_counter() - t0) * 1000)
    t = np.array(times)
    print(
        f"== library: search over {entries} entries: median {np.median(t):.2f} ms, p95 {np.percentile(t, 95):.2f} ms, max {t.max():.2f} ms (target median ≤ 5 ms) =="
    )
    conn.close()
    expect("library search, median", float(np.median(t)), "ms", at_most=5, sane=500)
    return True


def run_project_load(smoke: bool) -> bool:
    bars = 2 if smoke else 8
    folder = scratch_dir("padserver-bench-")
    rng = np.random.default_rng(6)
    d = DaemonProcess(["--audio", "null"], config="projects:\n  restore: false\n", data_dir=folder)
    try:
        d.wait_ready(30)
        import soundfile as sf

        os.makedirs(os.path.join(folder, "in"))
        for pad in range(1, 17):
            path = os.path.join(folder, "in", f"p{pad}.flac")
            sf.write(path, drum_loop(120, bars, rate=48000, seed=int(rng.integers(1000))).T, 48000)
            d.osc.request(f"/pad/{pad}/load", path, reply=f"/pad/{pad}/loaded", timeout=60)
        d.osc.request("/project/save_as", "bench", reply="/project/saved")
        times = []
        for _ in range(2 if smoke else 5):
            d.osc.request("/project/new", reply="/project/loaded")
            t0 = time.monotonic()
            d.osc.request("/project/load", "bench", reply="/project/loaded", timeout=30)
            times.append((time.monotonic() - t0) * 1000)
        print(
            f"== projects: open a project of 16 pads × {bars} bars (renditions ready): median {np.median(times):.0f} ms, "
            f"max {max(times):.0f} ms from request to all pads ready (target ≤ 300 ms) =="
        )
        expect("open a project of 16 pads", max(times), "ms", at_most=300, sane=30000)
        return True
    finally:
        d.terminate()
