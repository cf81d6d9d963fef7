import numpy as np
import pytest
import soundfile as sf

from padserver.drivers.recorder import Recorder, check_record_path


@pytest.mark.parametrize("ext", [".wav", ".flac"])
def test_blocks_pushed_are_written_in_order(tmp_path, ext):
    path = str(tmp_path / f"take{ext}")
    rec = Recorder(path, 48000, seconds=0.1)
    ramp = np.linspace(-0.9, 0.9, 48000, dtype=np.float32)
    for start in range(0, 48000, 480):
        block = np.vstack([ramp[start : start + 480], -ramp[start : start + 480]])
        rec.push(block)
        if start % 4800 == 0:
            import time

            time.sleep(0.06)  # let the writer drain, as the audio clock would
    rec.close()
    data, rate = sf.read(path, dtype="float32")
    assert rate == 48000 and data.shape == (48000, 2)
    assert np.allclose(data[:, 0], ramp, atol=1e-5) and np.allclose(data[:, 1], -ramp, atol=1e-5)
    assert rec.overflows == 0


def test_bad_record_paths_are_refused(tmp_path):
    with pytest.raises(ValueError, match=".wav or .flac"):
        check_record_path(str(tmp_path / "take.mp3"))
    with pytest.raises(ValueError, match="does not exist"):
        check_record_path(str(tmp_path / "no" / "take.wav"))
