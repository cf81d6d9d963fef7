"""``padserver bench``: the engine's cost, and the daemon's timing and footprint through JACK."""

from __future__ import annotations


def run_bench(what: str, smoke: bool = False, seconds: float | None = None) -> int:
    from padserver.bench import (
        cloud_bench,
        control_bench,
        daemon_bench,
        engine_bench,
        generate_bench,
        library_bench,
        prepare_bench,
        song_bench,
        sync_bench,
    )

    parts = (
        ["engine", "jack", "startup", "midi", "floods", "library", "generate", "prepare", "cloud", "song", "sync"]
        if what == "all"
        else [what]
    )
    from padserver.bench.targets import TARGETS

    TARGETS.smoke = smoke
    ok = True
    for part in parts:
        if part == "engine":
            ok &= engine_bench.run(smoke)
        elif part == "jack":
            ok &= daemon_bench.run_jack(smoke, seconds)
        elif part == "startup":
            ok &= daemon_bench.run_startup(smoke)
        elif part == "midi":
            ok &= control_bench.run_midi(smoke)
        elif part == "floods":
            ok &= control_bench.run_floods(smoke)
        elif part == "generate":
            ok &= generate_bench.run(smoke)
        elif part == "prepare":
            ok &= prepare_bench.run_prepare(smoke)
            ok &= prepare_bench.run_compare(smoke)
            ok &= prepare_bench.run_jobs_while_playing(smoke)
        elif part == "cloud":
            ok &= cloud_bench.run_overhead(smoke)
            ok &= cloud_bench.run_realtime(smoke)
            ok &= cloud_bench.run_jobs_while_playing(smoke)
        elif part == "song":
            ok &= song_bench.run_export_speed(smoke)
            ok &= song_bench.run_export_while_playing(smoke)
        elif part == "sync":
            ok &= sync_bench.run_clock_out(smoke)
            ok &= sync_bench.run_rtmidi_clock_out(smoke)
            ok &= sync_bench.run_rtmidi_follow(smoke)
            ok &= sync_bench.run_follow(smoke)
            ok &= sync_bench.run_follow_phase(smoke)
            ok &= sync_bench.run_link(smoke)
        elif part == "library":
            ok &= library_bench.run_bpm_accuracy(smoke)
            ok &= library_bench.run_search(smoke)
            ok &= library_bench.run_project_load(smoke)
            ok &= library_bench.run_import(smoke)
    failed = TARGETS.failed()
    if failed:
        print(f"{len(failed)} of {len(TARGETS.checked)} targets " + ("not sane" if smoke else "missed") + ":")
        for t in failed:
            print(f"  {t.name}: {t.value:.4g} {t.unit}")
    elif TARGETS.checked:
        print(f"all {len(TARGETS.checked)} targets " + ("sane" if smoke else "met"))
    return 0 if ok and not failed else 1
