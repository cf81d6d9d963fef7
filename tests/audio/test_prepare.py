"""Loop preparation measured on real audio: exact bars, the downbeat on frame 0, a quiet seam, the loudness."""

from __future__ import annotations

import math

import numpy as np
import pytest
import soundfile as sf

from padserver.library.testloops import click_song, drum_loop
from padserver.loops.decode import decode, decode_bytes
from padserver.loops.downbeat import find_downbeat
from padserver.loops.loudness import integrated_lufs, limit, true_peak_db
from padserver.loops.prepare import Settings, prepare

RATE = 48000


def _click(rate: int) -> np.ndarray:
    k = np.arange(int(0.02 * rate))
    return np.sin(2 * np.pi * 2000 * k / rate) * np.exp(-k / (0.002 * rate))


def downbeat_offsets_ms(audio: np.ndarray, bar: float, bars: int) -> list[float]:
    """Where each bar's accented click is, relative to its bar line (the loop read as it repeats)."""
    mono = audio.mean(axis=0)
    shift = int(bar / 2)  # bar 1's click sits on the seam: read the loop rotated by half a bar
    rolled = np.roll(mono, shift)
    tpl = _click(RATE)
    out = []
    for k in range(bars):
        at = int(round(k * bar)) + shift
        lo = at - int(0.03 * RATE)
        window = rolled[lo : at + int(0.03 * RATE) + len(tpl)]
        score = np.correlate(window, tpl, mode="valid")
        out.append((lo + int(np.argmax(score)) - (k * bar + shift)) / RATE * 1000)
    return out


def seam_step_ok(audio: np.ndarray, bar: float | None = None, bars: int = 0) -> tuple[float, float]:
    """(largest step across the seam, what a step there may be: the 99.9th percentile of the loop's own steps,
    or when the bar length is given the largest step at the loop's own inner bar lines — the seam is a bar line,
    and a loop whose downbeats keep their attack has its largest steps there)."""
    steps = np.abs(np.diff(audio, axis=1))
    seam = float(np.max(np.abs(audio[:, 0] - audio[:, -1])))
    allowed = float(np.percentile(steps, 99.9))
    if bar is not None:
        near = int(0.001 * RATE)
        for k in range(1, bars):
            at = int(round(k * bar))
            allowed = max(allowed, float(np.max(steps[:, at - near : at + near])))
    return seam, allowed


def _without_mp3_delay_info(data: bytes) -> bytes:
    """The MP3 with its encoder delay left in: the LAME tag's delay and padding fields zeroed."""
    out = bytearray(data)
    at = out.find(b"LAME")
    assert at > 0, "the encoder wrote no LAME tag"
    out[at + 21 : at + 24] = b"\0\0\0"
    return bytes(out)


CASES = [
    # source BPM, downbeat offset (s), target BPM, file rate, format
    (100.0, 0.30, 120.0, 48000, "WAV"),
    (120.0, 0.0, 120.0, 48000, "WAV"),
    (90.0, 1.1, 128.0, 44100, "WAV"),
    (140.0, 0.05, 100.0, 44100, "FLAC"),
    (124.0, 0.2, 124.0, 44100, "MP3"),
    (96.0, 0.0, 110.0, 44100, "MP3"),
    (133.0, 0.45, 87.5, 48000, "MP3"),
]


@pytest.mark.parametrize("source_bpm,offset,target_bpm,rate,fmt", CASES)
def test_prepared_loop_fits(tmp_path, source_bpm, offset, target_bpm, rate, fmt):
    song = click_song(source_bpm, 4, rate, offset, seed=3)
    path = tmp_path / f"song.{fmt.lower()}"
    sf.write(path, song.T, rate, format=fmt)
    if fmt == "MP3":  # as many encoders and providers deliver it: the decoder cannot trim the delay
        path.write_bytes(_without_mp3_delay_info(path.read_bytes()))
    audio = decode(str(path), RATE)

    loop = prepare(audio, RATE, source_bpm, target_bpm, 4)

    bar = RATE * 60.0 / target_bpm * 4
    assert loop.period == pytest.approx(4 * bar, abs=1e-9)
    assert loop.audio.shape == (2, math.ceil(4 * bar - 1e-6))  # exactly 4 bars, to the frame
    offsets = downbeat_offsets_ms(loop.audio, bar, 4)
    assert abs(offsets[0]) <= 5.0, offsets  # the first downbeat on frame 0
    # every later bar line where it belongs too: the stretch's jitter does not move attacks
    assert max(abs(o) for o in offsets) <= 2.0, offsets
    seam, allowed = seam_step_ok(loop.audio, bar, 4)
    assert seam <= allowed, (seam, allowed)
    # at the target, or as near as 1 dB of limiting at most allows (its true peak then at the ceiling)
    peak = true_peak_db(loop.audio, RATE)
    assert peak <= -1.0 + 0.05
    assert integrated_lufs(loop.audio, RATE) == pytest.approx(-14.0, abs=1.0) or peak >= -1.5


def test_mp3_encoder_delay_is_found_not_assumed(tmp_path):
    song = click_song(120.0, 4, 44100, 0.0, seed=1)
    path = tmp_path / "song.mp3"
    sf.write(path, song.T, 44100, format="MP3")
    path.write_bytes(_without_mp3_delay_info(path.read_bytes()))
    audio = decode(str(path), RATE)
    found = find_downbeat(audio, RATE, 120.0)
    # the decoded file starts late by the encoder's delay (576 frames at 44.1 kHz here)
    assert 10.0 <= found.frame / RATE * 1000 <= 16.0
    assert found.how == "beat"


def test_a_loop_that_already_fits_comes_through_untouched():
    source = drum_loop(120.0, 2, RATE, seed=2)
    loop = prepare(source, RATE, 120.0, 120.0, 2, settings=Settings(lufs=None))
    assert loop.audio.shape == source.shape
    np.testing.assert_allclose(loop.audio, source, atol=1e-6)  # the seam crossfades with its own start


@pytest.mark.parametrize("source_bpm,target_bpm", [(100.0, 120.0), (140.0, 87.5)])
def test_the_seam_flows_with_the_level_left_alone(source_bpm, target_bpm):
    """The seam is the preparation's, not the loudness stage's: a held chord crosses it without a step."""
    t = np.arange(int(RATE * (0.5 + 5 * 4 * 60.0 / source_bpm))) / RATE
    held = 0.3 * np.sin(2 * np.pi * 110.3 * t) + 0.2 * np.sin(2 * np.pi * 165.7 * t + 1.0)
    loop = prepare(
        np.vstack([held, held]).astype(np.float32),
        RATE,
        source_bpm,
        target_bpm,
        4,
        settings=Settings(lufs=None),
        downbeat_s=0.2,
    )
    seam, allowed = seam_step_ok(loop.audio, RATE * 60.0 / target_bpm * 4, 4)
    assert seam <= allowed, (seam, allowed)


def test_bars_default_to_what_the_audio_holds():
    song = click_song(120.0, 3, RATE, 0.25, seed=0)[:, : int(RATE * (0.25 + 6.0))]
    loop = prepare(song, RATE, 120.0, 120.0, None)
    assert loop.bars == 3


def test_loudness_is_calibrated():
    t = np.arange(RATE * 4) / RATE
    sine = 0.1 * np.sin(2 * np.pi * 997 * t)
    assert integrated_lufs(np.vstack([sine, sine]), RATE) == pytest.approx(-20.0, abs=0.1)
    assert integrated_lufs(np.zeros((2, RATE)), RATE) == -math.inf


def test_limiter_holds_the_ceiling_and_wraps_smoothly():
    rng = np.random.default_rng(0)
    x = (0.2 * rng.standard_normal((2, RATE))).astype(np.float32)
    x[:, 10] = 1.5  # a peak right after the seam: the gain must already be down at the end of the loop
    y = limit(x, 0.5, RATE)
    assert np.max(np.abs(y)) <= 0.5 + 1e-6
    assert abs(y[0, -1]) < abs(x[0, -1]) or abs(x[0, -1]) < 1e-3


def test_raw_pcm_from_a_stream_decodes():
    pcm = (np.arange(4800 * 2, dtype=np.int16) % 100).astype("<i2").tobytes()
    audio = decode_bytes(pcm, RATE, "pcm_s16le", 48000, 2)
    assert audio.shape == (2, 4800)
    with pytest.raises(ValueError, match="no audio"):
        decode_bytes(b"", RATE, "mp3")
    with pytest.raises(ValueError, match="cannot be read"):
        decode_bytes(b"not an mp3 at all" * 10, RATE, "mp3")
