"""Pitch-preserving tempo change (worker side): Rubber Band's R3 engine through pylibrb.

Chosen by measurement (`padserver bench prepare --compare` prints the table):
on a click track with chords and noise stretched 100 → 120 BPM, R3 offline
(short window, channels together) keeps every click within 3 ms of its
stretched time with the crispest transients, at about 0.2 s per 10 s of
stereo on one core. pedalboard's time_stretch (the same library, driven in
its real-time mode) moved clicks by up to 18 ms and smeared them more;
R2 was as fast but moved clicks by up to 9 ms.
"""

from __future__ import annotations

import numpy as np

_BLOCK = 8192


def stretch(audio: np.ndarray, rate: int, ratio: float) -> np.ndarray:
    """(channels, frames) ``audio`` made ``ratio`` times as long, pitch unchanged (length round(frames × ratio)).

    Beats land within a few ms of ``ratio`` times their place (more at large
    ratios) and short attacks lose 2 to 10 dB of their peak: the caller copies
    the source's attacks back in on time (``attacks.keep``). Rubber Band's own
    key-frame map would pin beats but not their peaks, and pylibrb's
    ``set_keyframe_map`` cannot be called (no conversion of its argument).
    """
    import pylibrb

    frames = audio.shape[1]
    if abs(ratio - 1.0) < 1e-9 or frames == 0:
        return audio
    option = pylibrb.Option
    stretcher = pylibrb.RubberBandStretcher(
        sample_rate=rate,
        channels=audio.shape[0],
        options=option.PROCESS_OFFLINE
        | option.ENGINE_FINER
        | option.WINDOW_SHORT
        | option.CHANNELS_TOGETHER
        | option.THREADING_NEVER,
        initial_time_ratio=float(ratio),
    )
    stretcher.set_logging_level(0)
    stretcher.set_expected_input_duration(frames)
    stretcher.set_max_process_size(_BLOCK)
    data = np.ascontiguousarray(audio, dtype=np.float32)
    for i in range(0, frames, _BLOCK):
        stretcher.study(data[:, i : i + _BLOCK], final=i + _BLOCK >= frames)
    pieces = []
    for i in range(0, frames, _BLOCK):
        stretcher.process(data[:, i : i + _BLOCK], final=i + _BLOCK >= frames)
        pieces.append(stretcher.retrieve_available())
    out = np.concatenate(pieces, axis=1) if pieces else np.zeros((audio.shape[0], 0), np.float32)
    want = int(round(frames * ratio))
    if out.shape[1] < want:
        out = np.concatenate([out, np.zeros((out.shape[0], want - out.shape[1]), np.float32)], axis=1)
    return np.ascontiguousarray(out[:, :want], dtype=np.float32)
