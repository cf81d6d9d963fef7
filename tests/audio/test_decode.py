"""Reading every supported format into pad-ready audio."""

import numpy as np
import pytest
import soundfile as sf

from padserver.harness.signals import write_tone
from padserver.loops.decode import AudioFileError, decode
from padserver.loops.prepare import Settings, bars_in, prepare

BAR = 96000


@pytest.mark.parametrize(
    "name,fmt,subtype",
    [
        ("a.wav", "WAV", "PCM_16"),
        ("a.flac", "FLAC", "PCM_24"),
        ("a.aiff", "AIFF", "PCM_16"),
        ("a.ogg", "OGG", "VORBIS"),
        ("a.mp3", "MP3", "MPEG_LAYER_III"),
    ],
)
def test_every_format_decodes_to_stereo_at_the_engine_rate(tmp_path, name, fmt, subtype):
    rate = 44100
    t = np.arange(rate) / rate
    tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    path = str(tmp_path / name)
    sf.write(path, tone, rate, format=fmt, subtype=subtype)
    audio = decode(path, 48000)
    assert audio.dtype == np.float32 and audio.shape[0] == 2 and audio.flags.c_contiguous
    # one second, give or take the encoder's padding (MP3 and Vorbis add some)
    assert abs(audio.shape[1] - 48000) < 48000 * 0.06
    assert np.array_equal(audio[0], audio[1])  # mono spread to both sides
    mid = audio[0, 12000:36000]
    assert 0.45 < np.max(np.abs(mid)) < 0.55  # level kept through resampling
    # still a 440 Hz tone after resampling (zero crossings ≈ 2 × 440 per second)
    crossings = np.count_nonzero(np.diff(np.signbit(mid))) / 0.5
    assert abs(crossings - 880) < 10


def test_stereo_keeps_its_sides_and_extra_channels_are_dropped(tmp_path):
    rate = 48000
    data = np.zeros((rate, 4), dtype=np.float32)
    data[:, 0] = 0.25
    data[:, 1] = -0.5
    data[:, 2] = 0.9
    path = str(tmp_path / "quad.wav")
    sf.write(path, data, rate, subtype="FLOAT")
    audio = decode(path, rate)
    assert np.all(audio[0] == 0.25) and np.all(audio[1] == -0.5)


@pytest.mark.parametrize("content", [b"", b"not audio at all" * 100])
def test_unreadable_files_get_a_clear_error(tmp_path, content):
    path = tmp_path / "broken.wav"
    path.write_bytes(content)
    with pytest.raises(AudioFileError, match="broken.wav"):
        decode(str(path), 48000)


def test_missing_and_unsupported_files(tmp_path):
    with pytest.raises(AudioFileError, match="no such file"):
        decode(str(tmp_path / "nope.wav"), 48000)
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(AudioFileError, match="not a supported audio file"):
        decode(str(tmp_path / "notes.txt"), 48000)


@pytest.mark.parametrize("seconds,bars", [(0.3, 1), (2.0, 1), (2.9, 1), (3.1, 2), (7.9, 4), (17.0, 9)])
def test_bar_count_is_the_duration_rounded_to_whole_bars(seconds, bars):
    assert bars_in(int(seconds * 48000), 48000, 120.0) == bars


def _as_is(audio, bpm=120.0):
    """Prepared with no tempo to read (taken from its start) and its level kept."""
    return prepare(audio, 48000, bpm, bpm, None, settings=Settings(lufs=None), downbeat_s=0.0)


def test_short_audio_is_padded_and_long_audio_cut_where_it_flows_on():
    short = np.full((2, 60000), 0.5, dtype=np.float32)
    fitted = _as_is(short)
    assert fitted.bars == 1 and fitted.audio.shape == (2, BAR)
    assert np.all(fitted.audio[:, 60000:] == 0.0)
    assert fitted.audio[0, 59999] < 0.01  # the sound's sudden end is faded, not a click
    long = np.full((2, 110000), 0.5, dtype=np.float32)
    cut = _as_is(long)
    assert cut.bars == 1 and cut.audio.shape == (2, BAR)
    # the seam is crossfaded with the audio that followed the cut: a steady sound stays steady
    np.testing.assert_allclose(cut.audio, 0.5, atol=1e-6)


def test_fractional_bar_lengths_keep_the_exact_period():
    fpbar = 4 * 48000 * 60 / 140
    fitted = _as_is(np.zeros((2, 160000), dtype=np.float32), 140.0)
    assert fitted.bars == 2
    assert fitted.period == pytest.approx(2 * fpbar)
    assert fitted.audio.shape[1] == int(np.ceil(2 * fpbar))


def test_mono_tone_helper_roundtrip(tmp_path):
    path = write_tone(str(tmp_path / "t.wav"), rate=22050, seconds=1.0)
    assert decode(path, 48000).shape[1] == 48000
