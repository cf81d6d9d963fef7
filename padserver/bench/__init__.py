"""``padserver bench``: the engine's cost, and the daemon's timing and footprint through JACK."""

from __future__ import annotations

import time

# every part, in the order `all` runs them
PARTS = (
    "engine",
    "jack",
    "startup",
    "midi",
    "floods",
    "library",
    "generate",
    "prepare",
    "cloud",
    "song",
    "sync",
    "soak",
    "vs-sooperlooper",
    "loads",
    "live",
    "effects",
)


def run_bench(what: str, smoke: bool = False, seconds: float | None = None) -> int:
    parts = list(PARTS) if what == "all" else [what]
    from padserver.bench.targets import TARGETS

    TARGETS.smoke = smoke
    ok = True
    took: list[str] = []
    for part in parts:
        began = time.monotonic()
        ok &= _run_part(part, smoke, seconds)
        took.append(f"{part} {time.monotonic() - began:.0f} s")
    if len(parts) > 1:
        print("took: " + ", ".join(took))
    failed = TARGETS.failed()
    if failed:
        print(f"{len(failed)} of {len(TARGETS.checked)} targets " + ("not sane" if smoke else "missed") + ":")
        for t in failed:
            print(f"  {t.name}: {t.value:.4g} {t.unit}")
    elif TARGETS.checked:
        print(f"all {len(TARGETS.checked)} targets " + ("sane" if smoke else "met"))
    return 0 if ok and not failed else 1


def _run_part(part: str, smoke: bool, seconds: float | None) -> bool:
    """Each of the part's benchmarks in turn (all run, whatever one says); whether all went through."""
    from padserver.bench import (
        cloud_bench,
        control_bench,
        daemon_bench,
        effects_bench,
        engine_bench,
        generate_bench,
        library_bench,
        live_bench,
        loads_bench,
        prepare_bench,
        soak_bench,
        song_bench,
        sync_bench,
        vs_sooperlooper,
    )

    runs = {
        "engine": [engine_bench.run],
        "effects": [effects_bench.run],
        "jack": [lambda smoke: daemon_bench.run_jack(smoke, seconds)],
        "startup": [daemon_bench.run_startup],
        "midi": [control_bench.run_midi],
        "floods": [control_bench.run_floods],
        "soak": [lambda smoke: soak_bench.run_soak(smoke, seconds)],
        "vs-sooperlooper": [lambda smoke: vs_sooperlooper.run(smoke, seconds)],
        "loads": [lambda smoke: loads_bench.run_idle(smoke, seconds), lambda smoke: loads_bench.run(smoke, seconds)],
        "generate": [generate_bench.run],
        "live": [live_bench.run_lock, lambda smoke: live_bench.run_streams_while_playing(smoke, seconds)],
        "prepare": [
            prepare_bench.run_prepare,
            prepare_bench.run_groove,
            prepare_bench.run_compare,
            prepare_bench.run_jobs_while_playing,
        ],
        "cloud": [cloud_bench.run_overhead, cloud_bench.run_realtime, cloud_bench.run_jobs_while_playing],
        "song": [song_bench.run_export_speed, song_bench.run_export_while_playing],
        "sync": [
            sync_bench.run_clock_out,
            sync_bench.run_rtmidi_clock_out,
            sync_bench.run_rtmidi_follow,
            sync_bench.run_follow,
            sync_bench.run_follow_phase,
            sync_bench.run_link,
        ],
        "library": [
            library_bench.run_bpm_accuracy,
            library_bench.run_search,
            library_bench.run_project_load,
            library_bench.run_import,
        ],
    }[part]
    ok = True
    for k, run in enumerate(runs):
        try:
            went = run(smoke)
        except Exception as exc:  # (one benchmark's failure is said, and the others still run)
            print(f"part {part}: its benchmark {k + 1} of {len(runs)} failed: {type(exc).__name__}: {exc}")
            ok = False
            continue
        if not went:
            print(f"part {part}: its benchmark {k + 1} of {len(runs)} did not go through (said above)")
            ok = False
    return ok
