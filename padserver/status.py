"""What `/status` says: tempo, transport, song, levels, audio, latency, MIDI devices, providers and every pad."""

from __future__ import annotations

import math

from padserver import __version__


class CallbackLoad:
    """The audio callback's share of one core, from the engine's callback meter, over the last second or so."""

    def __init__(self) -> None:
        self.figures = {"percent": 0.0, "mean_us": 0.0, "max_us": 0.0, "entry_max_us": 0.0, "thread_cpu_s": 0.0}
        self._last: tuple[float, int, int] | None = None  # (when, callbacks, total ns)

    def sample(self, meters, now: float, rate: int = 0) -> None:
        last = self._last
        self._last = (now, meters.callbacks, meters.callback_ns)
        meters.cpu_due = True  # (the audio thread reads its CPU time on its next cycle)
        if last is None or now - last[0] <= 0.0:
            return
        cycles, ns = meters.callbacks - last[1], meters.callback_ns - last[2]
        worst, meters.callback_max_ns = meters.callback_max_ns, 0  # (a cycle may land between: one lost maximum)
        entry, meters.entry_max = meters.entry_max, 0
        self.figures = {
            "percent": round(ns / ((now - last[0]) * 1e7), 2),
            "mean_us": round(ns / cycles / 1e3, 1) if cycles else 0.0,
            "max_us": round(worst / 1e3, 1),
            # how late in its cycle the callback began at worst (JACK): a late wake-up of the process thread (the
            # dummy driver's own are 0.1–1 ms) or a wait for the GIL
            "entry_max_us": round(entry * 1e6 / rate, 1) if rate else 0.0,
            # the audio thread's CPU time so far (as of a second ago at most): the callbacks and the driver's
            # own work in that thread; the process's CPU time less this is the control side's
            "thread_cpu_s": round(meters.thread_cpu_ns / 1e9, 3),
        }


def snapshot(daemon) -> dict:
    """The daemon's state as `/status` replies it (and `padserver status` shows it)."""
    engine, project, info = daemon.engine, daemon.project, daemon.backend.info
    bar, beat = engine.clock.position(engine.frame)
    return {
        "version": __version__,
        "tempo": project.tempo,
        "timesig": project.beats_per_bar,
        "quantize": project.quantize,
        "sync_source": daemon.actions.sync_source,
        "link": None
        if daemon.actions.link is None
        else {"peers": daemon.actions.link.peers, "quantum": daemon.actions.link.quantum},
        "transport": project.transport,
        "song": {"position": list(daemon.actions.song.position()), **project.song.to_dict()},
        "position": {"bar": bar, "beat": beat, "frame": engine.frame},
        "master_gain": project.master_gain,
        "limiter_gain_db": round(engine.limiter.gain_db, 2),
        "levels": {
            "pads": daemon.levels[0],
            "master": daemon.levels[1],
            "gain_reduction_db": round(-20 * math.log10(max(daemon.levels[2], 1e-6)), 2),
        },
        "xruns": engine.meters.xruns,
        "audio_callback": daemon.callback_load.figures,
        "osc_handled_us": _handled(daemon.osc.handled_ns),
        "event_loop_longest_stall_s": round(daemon.loop_watch.longest, 3),
        "audio_faults": {"count": engine.faults.count, "last": engine.faults.described()},
        "audio": {
            "backend": info.name,
            "connected": daemon.backend.connected,
            "sample_rate": info.sample_rate,
            "block_size": info.block_size,
            "device": info.device,
            "outputs": info.outputs,
            "connections": info.connections,
        },
        "latency": {
            "master": info.output_latency,
            "outputs": {
                name: {"frames": frames, "ms": round(1000.0 * frames / info.sample_rate, 2)}
                for name, frames in daemon.backend.output_latencies().items()
            },
        },
        "midi": _midi(daemon),
        "providers": daemon._providers,
        "project": daemon.projects.name,
        "pads": [p.to_dict() for p in project.pads],
        "live": daemon.actions.live.status() if daemon.actions.live is not None else {},
        "live_mode": daemon.actions.live_mode.status() if daemon.actions.live_mode is not None else {},
    }


def _handled(times) -> dict:
    """The last packets' time from arrival to handled (a trigger's command queued for the engine), in µs."""
    if not times:
        return {"packets": 0}
    us = sorted(t / 1000.0 for t in times)
    return {"packets": len(us), "median": round(us[len(us) // 2], 1), "p99": round(us[int(len(us) * 0.99)], 1)}


def _midi(daemon) -> list[dict]:
    if daemon.midi is None:
        return []
    out = []
    for port, (controller, link) in daemon.midi.controllers.items():
        entry = {"device": controller.mapping.device, "mapping": controller.mapping.name, "port": port}
        for counter in ("received", "ignored", "sent", "deferred", "resent"):
            if hasattr(link, counter):
                entry[counter] = getattr(link, counter)
        if hasattr(link, "outgoing"):
            entry["queued"] = len(link.outgoing)
        out.append(entry)
    return out
