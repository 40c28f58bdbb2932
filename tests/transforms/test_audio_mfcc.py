from __future__ import annotations

from pathlib import Path

import librosa
import numpy as np
import pytest
import torch

from metakd_ext.transforms import AudioMFCC, AudioMFCCd


@pytest.fixture()
def recording(fake_avmnist: Path) -> Path:
    return fake_avmnist / "fsdd" / "recordings" / "3_theo_15.wav"


@pytest.mark.filterwarnings("ignore:n_fft=.* is too large")
def test_smil_mfcc(recording: Path) -> None:
    mfcc = AudioMFCC()(recording)
    assert mfcc.shape == (1, 20, 20) and mfcc.dtype == torch.float32
    wave, _ = librosa.load(recording, sr=None)
    expected = librosa.feature.mfcc(y=wave[::3], sr=8000, n_mfcc=20)  # SMIL's wav2mfcc
    frames = expected.shape[1]
    assert frames < 20
    np.testing.assert_allclose(mfcc[0, :, :frames].numpy(), expected, rtol=1e-5, atol=1e-4)
    assert not mfcc[0, :, frames:].any()  # zero-padded to 20 frames


def test_long_recordings_are_cut(recording: Path) -> None:
    assert AudioMFCC(n_mfcc=13, frames=2)(recording).shape == (1, 13, 2)


def test_unreadable_recording_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "7_theo_20.wav"
    bad.write_bytes(b"RIFF broken")
    with pytest.raises(ValueError, match=r"recording .*7_theo_20.wav cannot be read"):
        AudioMFCC()(bad)
    with pytest.raises(ValueError, match=r"case train_7_001: recording .*7_theo_20.wav cannot be read"):
        AudioMFCCd("audio")({"subject": "train_7_001", "audio": str(bad)})


def test_dictionary_version_leaves_a_missing_recording_missing(recording: Path) -> None:
    transform = AudioMFCCd("audio")
    assert transform({"subject": "a", "image": 1})["image"] == 1 and "audio" not in transform({"audio": None})
    out = transform({"audio": str(recording)})
    torch.testing.assert_close(out["audio"], AudioMFCC()(recording))
