"""The --demo kit as the pads play it, and what the master limiter does to it (tests and benchmarks)."""

from __future__ import annotations

import numpy as np

RATE = 48000


def rendered_kit(genre: str = "house", key: str = "Am", tempo: float = 120.0, seed: int = 1) -> list:
    """(instrument, choices, audio) of each of the 16 pads, as the generator makes them for the kit."""
    from padserver.actions.demo_kit import KIT, kit_choices
    from padserver.providers.offline import render_take

    return [(KIT[i][0], c, render_take(c, 0, RATE)) for i, c in enumerate(kit_choices(genre, key, tempo, seed))]


def prepared_kit(kit: list, tempo: float = 120.0) -> tuple[list, np.ndarray]:
    """Each pad's loop prepared with the shipped defaults (reference loudness, its kind's level) and the
    pads' left/right gains with the kit's own mix (centred, constant-power pan)."""
    from padserver.actions.demo_kit import KIT, KIT_GAINS_DB
    from padserver.config import load_config
    from padserver.loops.prepare import Settings, prepare, settings_from
    from padserver.state.project import Project

    config = load_config()
    project = Project()
    loops = []
    for pad, (_instrument, choices, audio) in enumerate(kit, 1):
        settings = Settings(**settings_from(config.loops), level_db=getattr(config.levels, KIT[pad - 1][1]))
        loops.append(prepare(audio, RATE, tempo, tempo, choices["bars"], settings=settings, downbeat_s=0.0))
        project.pad(pad).gain = 10 ** (KIT_GAINS_DB.get(pad, 0.0) / 20)
    return loops, project.pad_gains()


def gain_reduction_db(loops: list, gains: np.ndarray, pads: list[int], bars: int = 8, tempo: float = 120.0) -> float:
    """The master limiter's deepest gain reduction with ``pads`` (0-based) launched together, read from its
    output against the same render with the limiter off."""
    from padserver.drivers.offline import OfflineRenderer
    from padserver.engine import commands as cmd
    from padserver.engine.mixer import Engine
    from padserver.engine.quantum import parse_quantum

    rendered = []
    for limiter in (False, True):
        engine = Engine(RATE, 1024, tempo=tempo)
        for pad in pads:
            engine.send(cmd.SetBuffer(pad, loops[pad].audio, loops[pad].period, parse_quantum("1")))
            engine.send(cmd.Launch(pad, parse_quantum("1")))
        engine.set_initial_gains(gains)
        engine.send(cmd.SetLimiter(limiter, -1.0))
        rendered.append(OfflineRenderer(engine, 256).render(int(bars * engine.frames_per_bar())))
    raw, limited = rendered
    loud = np.abs(raw) > 1e-3
    return float(np.max(20 * np.log10(np.abs(raw[loud]) / np.maximum(np.abs(limited[loud]), 1e-12)), initial=0.0))


TYPICAL = [0, 4, 6, 10]  # drums, bass, chords, lead
