from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest
import torch

from metakd_ext.transforms import (
    BratsLabelToRegions,
    InferModalityMask,
    LoadModalities,
    NormalizeModalityIntensity,
    RandDropModality,
    SetModalities,
    ZeroOutsideForeground,
)

NAMES = ["flair", "t1", "t1ce", "t2"]


def test_rand_drop_replays_with_seed_and_never_drops_all() -> None:
    mask = torch.ones(4, dtype=torch.bool)
    a = RandDropModality().set_random_state(seed=7)
    b = RandDropModality().set_random_state(seed=7)
    draws_a = [a(mask) for _ in range(200)]
    draws_b = [b(mask) for _ in range(200)]
    assert all(torch.equal(x, y) for x, y in zip(draws_a, draws_b))
    assert all(d.any() for d in draws_a)
    sizes = [int(d.sum()) for d in draws_a]
    assert set(sizes) == {1, 2, 3, 4}  # k uniform in 1..M
    assert all(abs(sizes.count(k) - 50) < 25 for k in (1, 2, 3, 4))


def test_rand_drop_keeps_only_available() -> None:
    mask = torch.tensor([1, 0, 1, 1]).bool()
    drop = RandDropModality().set_random_state(seed=0)
    for _ in range(50):
        keep = drop(mask)
        assert not keep[1] and keep.any() and keep.dtype == torch.bool
    assert torch.equal(RandDropModality(prob=0.0)(mask), mask)
    assert torch.equal(drop(mask, randomize=False), drop(mask, randomize=False))
    with pytest.raises(ValueError, match="none available"):
        drop(torch.zeros(4, dtype=torch.bool))


def test_rand_drop_of_a_batch_is_the_draws_of_its_samples_in_turn() -> None:
    """(B, M) in, (B, M) out: the same draws, in the same order, as one call per sample (a seeded run replays)."""
    g = torch.Generator().manual_seed(0)
    mask = torch.rand(64, 4, generator=g) > 0.3
    mask[:, 0] |= ~mask.any(dim=1)
    batch = RandDropModality().set_random_state(seed=3)(mask)
    one_by_one = RandDropModality().set_random_state(seed=3)
    assert torch.equal(batch, torch.stack([one_by_one(row) for row in mask]))
    assert not (batch & ~mask).any() and batch.any(dim=1).all()
    assert len({tuple(k.tolist()) for k in batch}) > 1


def test_rand_drop_one_pattern_per_batch() -> None:
    mask = torch.ones(16, 4, dtype=torch.bool)
    mask[:, 3] = False
    mask[0] = torch.tensor([False, False, False, True])  # shares nothing with the others: keeps its own
    drop = RandDropModality(per_sample=False).set_random_state(seed=1)
    for _ in range(20):
        keep = drop(mask)
        assert len({tuple(k.tolist()) for k in keep[1:]}) == 1
        assert not keep[1:, 3].any() and keep.any(dim=1).all()
        assert torch.equal(keep[0], mask[0])


def test_set_modalities() -> None:
    img = np.ones((4, 2, 2, 2), dtype=np.float32)
    out, keep = SetModalities("flair+t1ce", NAMES)(img)
    assert keep.tolist() == [True, False, True, False]
    assert isinstance(out, np.ndarray) and out[1].max() == 0 and out[0].min() == 1
    with pytest.raises(ValueError, match="case X: has none of the modalities t1"):
        SetModalities(["t1"], NAMES)(img, torch.tensor([1, 0, 1, 1]).bool(), case="X")
    with pytest.raises(ValueError, match="unknown modality subset 'flair\\+pd'"):
        SetModalities("flair+pd", NAMES)


def test_infer_mask() -> None:
    img = torch.rand(4, 3, 3, 3)
    img[2] = 0
    assert InferModalityMask()(img).tolist() == [True, True, False, True]


def test_normalize_nonzero() -> None:
    img = torch.zeros(2, 10, 10, 10)
    img[0, 2:8, 2:8, 2:8] = torch.rand(6, 6, 6) * 100 + 50
    out = NormalizeModalityIntensity(lower=0, upper=100)(img)
    fg = out[0][img[0] != 0]
    assert fg.mean().abs() < 1e-4 and (fg.std() - 1).abs() < 1e-3
    assert torch.all(out[0][img[0] == 0] == 0) and torch.all(out[1] == 0)


def test_brats_regions() -> None:
    label = torch.tensor([0, 1, 2, 4]).reshape(1, 4, 1, 1)
    regions = BratsLabelToRegions()(label)
    assert regions[:, :, 0, 0].T.tolist() == [[0, 0, 0], [1, 1, 0], [0, 1, 0], [1, 1, 1]]
    with pytest.raises(ValueError, match=r"case C: label map .* has values \[3\] .* set `et_label` to 3"):
        BratsLabelToRegions()(torch.tensor([0, 3]).reshape(1, 2, 1, 1), case="C")
    assert BratsLabelToRegions(et_label=3)(torch.tensor([0, 3]).reshape(1, 2, 1, 1))[2].sum() == 1


def _write(path, array, affine=None) -> str:
    nib.save(nib.Nifti1Image(array, np.eye(4) if affine is None else affine), str(path))
    return str(path)


def _volume(value: int, shape=(4, 5, 6)) -> np.ndarray:
    """A volume with a background of 0 and ``value`` inside."""
    out = np.zeros(shape, np.int16)
    out[1:3, 1:4, 1:5] = value
    return out


def test_load_modalities(tmp_path) -> None:
    a = _write(tmp_path / "a.nii.gz", _volume(1))
    c = _write(tmp_path / "c.nii.gz", _volume(2))
    image, mask = LoadModalities(NAMES)([a, None, c, ""])
    assert image.shape == (4, 4, 5, 6) and mask.tolist() == [True, False, True, False]
    assert image[1].abs().sum() == 0 and image[2].max() == 2
    assert image.affine.shape == (4, 4)
    gone = str(tmp_path / "gone.nii.gz")
    with pytest.raises(FileNotFoundError, match="case K: t1 file .*gone.nii.gz does not exist"):
        LoadModalities(NAMES)([a, gone, None, None], case="K")
    _, mask = LoadModalities(NAMES, allow_missing_files=True)([a, gone, None, None])
    assert mask.tolist() == [True, False, False, False]
    bad = _write(tmp_path / "b.nii.gz", _volume(1, (4, 5, 7)))
    with pytest.raises(
        ValueError, match=r"case K: the t1ce file .*b.nii.gz and the flair .* \(shape \(4, 5, 7\) against \(4, 5, 6\)\)"
    ):
        LoadModalities(NAMES)([a, None, bad, None], case="K")
    with pytest.raises(ValueError, match="case K: no modality image found"):
        LoadModalities(NAMES)([None, None, None, None], case="K")


def test_load_modalities_non_finite_voxels_are_an_error_or_missing(tmp_path, caplog) -> None:
    a = _write(tmp_path / "a.nii.gz", _volume(1))
    nan = _volume(1).astype(np.float32)
    nan[2, 2, 2] = np.nan
    b = _write(tmp_path / "K_t1.nii.gz", nan)
    with pytest.raises(ValueError, match=r"case K: the t1 image of .*K_t1.nii.gz has 1 NaN or infinite voxels"):
        LoadModalities(NAMES)([a, b, None, None], case="K")
    inf = np.full((4, 5, 6), np.inf, np.float32)
    c = _write(tmp_path / "K_t1ce.nii.gz", inf)
    image, mask = LoadModalities(NAMES, bad_image="missing")([a, b, c, None], case="K")
    assert mask.tolist() == [True, False, False, False] and image[1:].abs().sum() == 0
    assert "case K: the t1 image" in caplog.text and "t1 is treated as missing" in caplog.text
    assert "t1ce is treated as missing" in caplog.text
    with pytest.raises(ValueError, match="`bad_image` must be one of"):
        LoadModalities(NAMES, bad_image="ignore")


def test_load_modalities_volume_of_one_value_is_missing(tmp_path, caplog) -> None:
    a = _write(tmp_path / "a.nii.gz", _volume(1))
    flat = _write(tmp_path / "flat.nii.gz", np.full((4, 5, 6), 7, np.int16))
    zero = _write(tmp_path / "zero.nii.gz", np.zeros((4, 5, 6), np.int16))
    image, mask = LoadModalities(NAMES)([a, flat, zero, None], case="K")
    assert mask.tolist() == [True, False, False, False] and image[1:].abs().sum() == 0
    assert "every voxel of the t1 image of" in caplog.text and "is 7; t1 is treated as missing" in caplog.text
    assert "every voxel of the t1ce image" in caplog.text
    with pytest.raises(
        ValueError, match="case K: no usable modality image: every voxel of the flair image of .* is 7;"
    ):
        LoadModalities(NAMES)([flat, None, None, None], case="K")


def test_load_modalities_unreadable_file_names_case_and_file(tmp_path, caplog) -> None:
    a = _write(tmp_path / "a.nii.gz", _volume(1))
    whole = (tmp_path / "a.nii.gz").read_bytes()
    cut = tmp_path / "K_t2.nii.gz"
    cut.write_bytes(whole[: len(whole) // 2])  # a truncated copy
    with pytest.raises(ValueError, match=r"case K: cannot read the t2 file .*K_t2.nii.gz \(.*\)\. The file is damaged"):
        LoadModalities(NAMES)([a, None, None, str(cut)], case="K")
    _, mask = LoadModalities(NAMES, bad_image="missing")([a, None, None, str(cut)], case="K")
    assert mask.tolist() == [True, False, False, False]
    assert "cannot read the t2 file" in caplog.text and "t2 is treated as missing" in caplog.text


def test_load_stacked_zero_channel_is_silent_and_flat_channel_missing(tmp_path, caplog) -> None:
    shape = (3, 5, 6)
    stacked = np.stack(
        [_volume(1, shape), np.zeros(shape, np.int16), np.full(shape, 3, np.int16), _volume(2, shape)], -1
    )
    path = _write(tmp_path / "K.nii.gz", stacked)
    image, mask = LoadModalities(NAMES)(path, case="K")
    assert mask.tolist() == [True, False, False, True] and image[2].abs().sum() == 0
    assert "t1ce image" in caplog.text and "t1 image" not in caplog.text


def test_rand_drop_keeps_at_most_max_kept() -> None:
    drop = RandDropModality(max_kept=3).set_random_state(seed=0)
    sizes = {int(drop(torch.ones(4, dtype=torch.bool)).sum()) for _ in range(200)}
    assert sizes == {1, 2, 3}  # LCKD: some modality is always missing
    assert int(drop(torch.tensor([1, 0, 1, 0]).bool()).sum()) in (1, 2)
    with pytest.raises(ValueError, match="`max_kept` must be >= 1"):
        RandDropModality(max_kept=0)


def test_zero_outside_foreground() -> None:
    image = torch.zeros(4, 3, 3, 3)
    image[0, 1, 1, 1] = -0.5  # normalised intensities can be negative: foreground is any non-zero channel
    image[3, 0, 0, 0] = 2.0
    pred = torch.ones(3, 3, 3, 3)
    out = ZeroOutsideForeground()(pred, image)
    assert out.sum() == 6 and out[:, 1, 1, 1].tolist() == [1, 1, 1] and out[:, 0, 0, 0].tolist() == [1, 1, 1]
    with pytest.raises(ValueError, match="must share a grid"):
        ZeroOutsideForeground()(pred, torch.zeros(4, 3, 3, 2))
    with pytest.raises(ValueError, match="`image` is required"):
        ZeroOutsideForeground()(pred)
