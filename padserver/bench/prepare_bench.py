"""Loop preparation: one MP3 to a fitted loop on one core, the stretchers compared, and jobs while pads play."""

from __future__ import annotations

import os
import time

import numpy as np

from padserver.bench.control_bench import xruns, xruns_since
from padserver.bench.library_bench import playing_kit, sixteen_playing
from padserver.bench.targets import expect
from padserver.harness.scratch import scratch_dir
from padserver.library.testloops import click_song

RATE = 48000


def _one_core() -> None:
    try:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    except (AttributeError, OSError):
        pass


def _mp3(folder: str, seconds: float, bpm: float) -> str:
    import soundfile as sf

    bars = int(seconds * bpm / 240)
    song = click_song(bpm, bars, 44100, 0.2, seed=5)[:, : int(seconds * 44100)]
    path = os.path.join(folder, "song.mp3")
    sf.write(path, song.T, 44100, format="MP3")
    return path


def run_prepare(smoke: bool) -> bool:
    """A 30 s 44.1 kHz MP3 into a 4-bar loop at another tempo, decode included, in this process on one core."""
    from padserver.loops.decode import decode
    from padserver.loops.prepare import prepare

    _one_core()
    folder = scratch_dir("padserver-bench-")
    path = _mp3(folder, 30.0, 96.0)
    runs = 2 if smoke else 10
    prepare(decode(path, RATE), RATE, 96.0, 118.0, 4)  # warm-up: a worker imports its libraries once
    times, cpu = [], []
    for i in range(runs):
        c0, t0 = time.process_time(), time.perf_counter()
        audio = decode(path, RATE)
        loop = prepare(audio, RATE, 96.0, 120.0 + i, 4)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        assert loop.audio.shape[1] == int(np.ceil(loop.period - 1e-6))
    print(
        f"== prepare: 30 s 44.1 kHz MP3 (96 BPM) → 4-bar loop at 120–129 BPM on one core: median {np.median(times):.2f} s, "
        f"max {max(times):.2f} s, CPU {np.median(cpu):.2f} s over {runs} (target ≤ 1 s) =="
    )
    expect("prepare a 30 s MP3 into a 4-bar loop, median", float(np.median(times)), "s", at_most=1, sane=60)
    return True


def run_groove(smoke: bool) -> bool:
    """Accented click loops fitted to another tempo with the shipped settings (WAV and MP3, 44.1 and 48 kHz,
    87.5–140 BPM) and the generator's drum loops: crest factor, accent, every click's level, every bar line."""
    import soundfile as sf

    from padserver.library import testloops
    from padserver.loops.decode import decode
    from padserver.loops.prepare import Settings, prepare
    from padserver.providers.offline import synth

    folder = scratch_dir("padserver-bench-")
    cases = [(100.0, 120.0, 48000, "WAV"), (87.5, 140.0, 44100, "MP3"), (140.0, 87.5, 48000, "MP3")]
    if not smoke:
        cases += [(120.0, 100.0, 44100, "WAV"), (87.5, 120.0, 48000, "WAV"), (128.0, 96.0, 44100, "MP3")]
    print("== prepare: accented click loops fitted to another tempo (4 bars, the shipped loudness settings) ==")
    worst = {"crest": 0.0, "accent": 0.0, "clicks": 0.0, "bar": 0.0}
    for source_bpm, target_bpm, rate, fmt in cases:
        path = os.path.join(folder, f"clicks-{source_bpm}-{rate}.{fmt.lower()}")
        sf.write(path, testloops.accented_clicks(source_bpm, 4, rate).T, rate, format=fmt)
        source = decode(path, RATE)
        loop = prepare(source, RATE, source_bpm, target_bpm, 4, settings=Settings())
        heard = source[:, : int(round(16 * RATE * 60.0 / source_bpm))]
        crest = testloops.crest_db(loop.audio) - testloops.crest_db(heard)
        accent = testloops.accent_db(loop.audio, RATE, target_bpm) - testloops.accent_db(heard, RATE, source_bpm)
        peaks = testloops.beat_peaks(loop.audio, RATE, target_bpm, 16) / testloops.beat_peaks(
            heard, RATE, source_bpm, 16
        )
        clicks = float(np.ptp(20 * np.log10(peaks)))
        bar = _bar_line_error_ms(loop.audio, RATE * 240.0 / target_bpm, 4)
        for name, value in (("crest", crest), ("accent", accent), ("clicks", clicks), ("bar", bar)):
            worst[name] = max(worst[name], abs(value))
        print(
            f"{fmt} {rate / 1000:g} kHz {source_bpm:g} → {target_bpm:g} BPM: crest factor {crest:+.2f} dB, accent "
            f"{accent:+.2f} dB, clicks' levels within {clicks:.2f} dB, bar lines within {bar:.2f} ms"
        )
    for genre in ("house",) if smoke else synth.GENRES:
        bpm = synth.DEFAULT_BPM[genre]
        drums = synth.render("drums", genre, "Am", bpm, 4, seed=3)
        for target in (87.5, 140.0):
            loop = prepare(
                np.concatenate([drums, drums], axis=1),
                RATE,
                bpm,
                target,
                4,
                settings=Settings(lufs=None),
                downbeat_s=0.0,
            )
            crest = testloops.crest_db(loop.audio) - testloops.crest_db(drums)
            worst["crest"] = max(worst["crest"], abs(crest))
            print(f"generator's {genre} drums {bpm:g} → {target:g} BPM: crest factor {crest:+.2f} dB")
    expect("fitted loops: crest factor change, worst", worst["crest"], "dB", at_most=1, sane=6)
    expect("fitted loops: accent change, worst", worst["accent"], "dB", at_most=1, sane=6)
    expect("fitted loops: bar line off the grid, worst", worst["bar"], "ms", at_most=2, sane=20)
    return True


def _bar_line_error_ms(audio: np.ndarray, bar: float, bars: int) -> float:
    """The farthest any bar's accented click (a 1 kHz burst found by correlation) is from its bar line."""
    n = int(0.01 * RATE)
    tpl = np.sin(2 * np.pi * 1000 * np.arange(n) / RATE) * np.exp(-np.arange(n) / (RATE / 600))
    rolled = np.roll(audio.mean(axis=0), int(bar / 2))  # bar 1's click sits on the seam: read it rotated
    worst = 0.0
    for k in range(bars):
        at = int(round(k * bar + bar / 2))
        lo = at - int(0.03 * RATE)
        score = np.correlate(rolled[lo : at + int(0.03 * RATE) + n], tpl, mode="valid")
        worst = max(worst, abs(lo + int(np.argmax(score)) - (k * bar + int(bar / 2))) / RATE * 1000)
    return worst


def run_compare(smoke: bool) -> bool:
    """The stretchers on a click track with chords and noise, 100 → 120 BPM: beat timing, transients, speed."""
    import pylibrb

    from padserver.loops.attacks import keep
    from padserver.loops.stretch import stretch

    _one_core()
    src, dst, seconds = 100.0, 120.0, 10.0 if smoke else 30.0
    bars = int(seconds * src / 240)
    x = click_song(src, bars, RATE, 0.0, seed=7)[:, : int(seconds * RATE)]
    ratio = src / dst
    k = np.arange(int(0.02 * RATE))
    tpl = np.sin(2 * np.pi * 1200 * k / RATE) * np.exp(-k / (0.002 * RATE))
    beats = np.arange(1, int(seconds * src / 60) - 1) * 60.0 / src * RATE * ratio

    def peaks(y: np.ndarray, places: np.ndarray) -> np.ndarray:
        reach = int(0.01 * RATE)
        return np.array([np.max(np.abs(y[0, max(0, int(b) - reach) : int(b) + reach])) for b in places])

    source_peaks = peaks(x, beats / ratio)

    def measure(y: np.ndarray) -> tuple[float, float]:
        errors = []
        for b in beats:
            at = int(round(b))
            lo = at - int(0.03 * RATE)
            window = y[0, lo : at + int(0.03 * RATE) + len(tpl)]
            if len(window) <= len(tpl):
                continue
            score = np.correlate(window, np.asarray(tpl, np.float32), mode="valid")
            errors.append(abs(lo + int(np.argmax(score)) - b) / RATE * 1000)
        return float(np.median(errors)), float(np.max(errors))

    def r2(audio):
        o = pylibrb.Option
        s = pylibrb.RubberBandStretcher(RATE, 2, o.PROCESS_OFFLINE | o.ENGINE_FASTER | o.THREADING_NEVER, ratio)
        s.set_logging_level(0)
        s.set_expected_input_duration(audio.shape[1])
        s.set_max_process_size(8192)
        for i in range(0, audio.shape[1], 8192):
            s.study(audio[:, i : i + 8192], final=i + 8192 >= audio.shape[1])
        out = []
        for i in range(0, audio.shape[1], 8192):
            s.process(audio[:, i : i + 8192], final=i + 8192 >= audio.shape[1])
            out.append(s.retrieve_available())
        return np.concatenate(out, axis=1)

    candidates = [
        (
            "Rubber Band R3 offline, short window, the source's attacks kept (used)",
            lambda a: keep(stretch(a, RATE, ratio), a, ratio, RATE),
        ),
        ("Rubber Band R3 offline, short window alone", lambda a: stretch(a, RATE, ratio)),
    ]
    candidates.append(("Rubber Band R2 offline", r2))
    try:
        import pedalboard

        candidates.append(
            ("pedalboard time_stretch (R3, high quality)", lambda a: pedalboard.time_stretch(a, RATE, 1 / ratio))
        )
    except ImportError:
        print("(pedalboard is not installed here: pip install pedalboard to compare it too)")
    print(f"== prepare: stretchers, {seconds:.0f} s stereo 100 → 120 BPM on one core ==")
    for name, fn in candidates:
        t0 = time.perf_counter()
        y = fn(x)
        took = time.perf_counter() - t0
        median, worst = measure(y)
        change = 20 * np.log10(peaks(y, beats) / source_peaks)
        print(
            f"{name}: {took:.2f} s, beat timing error median {median:.2f} ms, max {worst:.2f} ms; "
            f"clicks' peaks {change.min():+.1f}..{change.max():+.1f} dB"
        )
    return True


def run_jobs_while_playing(smoke: bool) -> bool:
    """4 generations at once (each stretched to the project's tempo) while 16 pads play through dummy JACK."""
    folder = scratch_dir("padserver-bench-")
    kit = playing_kit(folder, smoke, 41)
    rounds = 1 if smoke else 5
    print(f"== prepare: 4 jobs at once ({rounds} round(s), 4 bars at 97 BPM fitted to 120) while 16 pads play ==")
    ok = True
    for period in (256,) if smoke else (256, 128):
        with sixteen_playing(period, folder, kit) as (server, d):
            before = xruns(server, d)
            took = []

            def pads(d=d):
                return d.osc.status()["pads"][:4]

            for r in range(rounds):
                loops = [p["loop_id"] for p in pads()]
                t0 = time.monotonic()
                for pad in range(1, 5):
                    d.osc.send(f"/pad/{pad}/generate", f"bench loop {r} {pad}", "bpm=97", "bars=4")
                landed = False
                while not landed and time.monotonic() < t0 + 120:
                    time.sleep(0.05)
                    now = pads()
                    landed = all(p["loop_id"] != old and not p["generating"] for p, old in zip(now, loops, strict=True))
                took.append(time.monotonic() - t0)
                ok &= landed
            print(
                f"period {period}: 4 jobs ready in median {np.median(took):.2f} s, {xruns_since(server, d, before)}, "
                f"{max(1, (os.cpu_count() or 2) - 1)} worker(s) at nice 10, SCHED_BATCH"
            )
    return ok
